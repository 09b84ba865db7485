#!/usr/bin/env bash
# Runs one bare-metal guest test image under tx86 and passes when it exits with status 33
# (the guest wrote 0x10 to isa-debug-exit: every check passed). Prints the guest's report.
# Usage: run_guest.sh TX86 IMAGE [extra tx86 args...]
set -u
tx86="$1"; image="$2"; shift 2
out=$(timeout 60 "$tx86" -bios "$image" -debugcon stdio -serial null -no-reboot "$@" 2>&1)
status=$?
echo "$out"
if [ "$status" -ne 33 ]; then
  echo "run_guest: $(basename "$image") exited with status $status (33 = pass)"
  exit 1
fi
exit 0
