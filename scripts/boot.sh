#!/usr/bin/env bash
# Builds tx86 and boots the default guest on the serial console (the README's first command).
# Today the default guest is the ring-transition demo in roms/demo; extra arguments go to tx86.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup-deps.sh
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build -j"$(nproc)" >/dev/null
exec build/tx86 -nographic -no-reboot -bios build/roms/demo.bin "$@"
