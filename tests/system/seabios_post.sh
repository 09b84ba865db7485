#!/usr/bin/env bash
# Whole-system test: Debian's SeaBIOS runs its full POST on tx86 (PCI enumeration, ACPI/MP/
# SMBIOS tables through fw_cfg, keyboard, boot selection) until its boot stage finds no disk and
# reboots, which -no-reboot turns into an exit. Checks the serial mirror and the debug log.
# Usage: seabios_post.sh TX86 [extra tx86 args...]
set -u
tx86="$1"; shift
log=$(mktemp)
trap 'rm -f "$log"' EXIT
out=$(timeout 120 "$tx86" -nographic -no-reboot -debugcon "file:$log" "$@" < /dev/null 2>&1)
status=$?
fail=0
check() { # where pattern
  if ! grep -q -- "$2" <<<"$1"; then
    echo "FAIL: missing '$2'"
    fail=1
  fi
}
check "$out" "SeaBIOS (version"
check "$out" "No bootable device"
dbg=$(cat "$log")
check "$dbg" "Running on QEMU (i440fx)"
check "$dbg" "Found 3 PCI devices"
check "$dbg" "Copying MPTABLE"
check "$dbg" "Copying SMBIOS"
check "$dbg" "PCI: init bdf=00:01.3 id=8086:7113"
check "$dbg" "PS2 keyboard initialized"
check "$dbg" "Found 2 serial ports"
check "$dbg" "e820 map has"
if [ "$status" -ne 0 ]; then
  echo "FAIL: tx86 exited with status $status"
  fail=1
fi
if [ "$fail" -ne 0 ]; then
  echo "---- serial ----"; echo "$out" | tail -20
  echo "---- SeaBIOS debug log ----"; tail -40 "$log"
  exit 1
fi
echo "PASS: SeaBIOS POST reached its boot stage"
