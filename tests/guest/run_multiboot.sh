#!/usr/bin/env bash
# Boots the Multiboot test kernel with a module and a command line; passes on exit status 33.
# Usage: run_multiboot.sh TX86 KERNEL [extra tx86 args...]
set -u
tx86="$1"; kernel="$2"; shift 2
module=$(mktemp)
trap 'rm -f "$module"' EXIT
printf 'MODULE! test module\n' > "$module"
out=$(timeout 60 "$tx86" -kernel "$kernel" -initrd "$module" -append "mbtest arg=42" \
      -debugcon stdio -serial null -no-reboot "$@" 2>&1)
status=$?
echo "$out"
[ "$status" -eq 33 ] || { echo "run_multiboot: exit status $status (33 = pass)"; exit 1; }
