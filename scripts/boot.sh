#!/usr/bin/env bash
# Builds tx86 and boots the default guest on this terminal (the README's first command):
# Debian's i386 Linux kernel with a busybox initramfs, serial console on stdio.
# `scripts/boot.sh --demo` runs the bare-metal ring-transition demo instead.
# Other arguments are passed to tx86.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build -j"$(nproc)" >/dev/null
if [ "${1:-}" = "--demo" ]; then
  shift
  exec build/tx86 -nographic -no-reboot -bios build/roms/demo.bin "$@"
fi
bash scripts/build-guest.sh
exec build/tx86 -m 256 -nographic -kernel cache/guest/bzImage -initrd cache/guest/initrd.gz \
  -append "console=ttyS0" "$@"
