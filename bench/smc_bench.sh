#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Code and data on one page: runs bench/guests/smc.asm (a loop in RAM storing to a counter)
# under tx86's translator and QEMU (TCG), once with the counter on the loop's own page and once
# on a page of its own, and prints each emulator's time for both and the slowdown ratio
# same-page / own-page. QEMU tracks translated code per page, so every store to a page holding
# code goes through its slow path; tx86 invalidates by the translated bytes.
#
# Usage: bench/smc_bench.sh [tx86-binary]     Environment: ITER (default 100000000), REPEAT (3)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
tx86=${1:-$root/build/tx86}
iter=${ITER:-100000000}
repeat=${REPEAT:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nasm -f bin -DITER="$iter" -DDATA=0x20800 -o "$work/same.bin" "$root/bench/guests/smc.asm"
nasm -f bin -DITER="$iter" -DDATA=0x31000 -o "$work/apart.bin" "$root/bench/guests/smc.asm"

run_tx86() { "$tx86" -nographic -bios "$1" -no-reboot; }
run_qemu() {
    qemu-system-i386 -accel tcg -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -nographic -monitor none -serial none -bios "$1" -no-reboot
}
# best_cpu CMD IMAGE: the fastest user+sys CPU time of REPEAT runs (the guest must exit 33).
best_cpu() {
    local best="" t status
    for ((r = 0; r < repeat; ++r)); do
        t=$( { TIMEFORMAT='%U %S'; time "$1" "$2" >/dev/null 2>&1; } 2>&1 ) && status=0 || status=$?
        t=$(awk '{ printf "%.3f", $1 + $2 }' <<<"${t##*$'\n'}")
        if [ -z "$best" ] || awk -v x="$t" -v y="$best" 'BEGIN { exit !(x < y) }'; then best=$t; fi
    done
    echo "$best"
}
printf '%-6s %12s %12s %10s\n' emulator same-page_s own-page_s slowdown
for emu in tx86 qemu; do
    s=$(best_cpu "run_$emu" "$work/same.bin")
    a=$(best_cpu "run_$emu" "$work/apart.bin")
    awk -v e="$emu" -v s="$s" -v a="$a" 'BEGIN { printf "%-6s %12.2f %12.2f %9.2fx\n", e, s, a, s / a }'
done
