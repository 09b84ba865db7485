#!/usr/bin/env bash
# Installs every build and test dependency of tx86 on Debian 12 with apt-get.
# Idempotent: when everything is already installed it only checks and exits.
set -euo pipefail

PACKAGES=(
  build-essential meson ninja-build pkg-config ccache cmake
  nasm binutils
  libasmjit-dev libcapstone-dev zlib1g-dev catch2 libsdl2-dev
  python3 busybox-static
  qemu-system-x86 bochs bochs-term seabios
  gdb
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "setup-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
