#!/usr/bin/env bash
# Bad input gets a clear one-line error and the documented exit status, never a crash:
# bad options (2), missing or malformed files (1), impossible memory sizes, and a guest that
# triple-faults under -no-reboot (4).
# Usage: errors.sh TX86
set -u
tx86="$1"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # status pattern args...
  local want="$1" pattern="$2"
  shift 2
  local out status
  out=$(timeout 30 "$tx86" "$@" < /dev/null 2>&1)
  status=$?
  if [ "$status" -ne "$want" ] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: tx86 $* -> status $status (want $want), output: $out"
    fail=1
  else
    echo "ok: tx86 $* -> $status: $(head -n1 <<<"$out")"
  fi
}
head -c 5000 /dev/urandom > "$tmp/junk"
: > "$tmp/empty"
# A 64 KiB ROM whose reset vector loads an empty IDT and executes INT3: a triple fault.
python3 - "$tmp/tf.bin" <<'PY'
import sys
img = bytearray(b"\x90" * 65536)
code = bytes([0x0F, 0x01, 0x1E, 0xF8, 0xFF, 0xCC])  # lidt [0xFFF8]; int3
img[0xFFF0:0xFFF0 + len(code)] = code
img[0xFFF8:0xFFFE] = bytes(6)
open(sys.argv[1], "wb").write(img)
PY
expect 2 "unknown option '-frobnicate'" -frobnicate
expect 2 "needs an argument" -kernel
expect 2 "invalid memory size" -m 12x
expect 2 "too large" -m 5000
expect 1 "cannot open kernel" -kernel "$tmp/missing" -nographic
expect 1 "neither a Linux bzImage nor a Multiboot kernel" -kernel "$tmp/junk" -nographic
expect 1 "cannot open BIOS image" -bios "$tmp/missing" -nographic
expect 1 "is empty" -bios "$tmp/empty" -nographic
expect 1 "multiple of 4 KiB" -bios "$tmp/junk" -nographic
expect 4 "triple fault" -bios "$tmp/tf.bin" -nographic -no-reboot
exit $fail
