#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
#
# Interpreter and translator benchmark: runs bench/guests/loop.asm (a fixed, known number of
# 32-bit integer instructions) under tx86's interpreter ("tx86"), tx86's translator ("jit"),
# QEMU (TCG) and Bochs, one after another, and prints guest instructions per second for each
# plus the ratios to QEMU and Bochs.
# It is a rough speed check on an idle machine, not a rigorous measurement; see README.md.
#
# Usage: bench/interp_bench.sh [tx86-binary]        (default: build/tx86)
# Environment: OUTER, INNER (loop counts, default 2500 x 10000 = 325 M instructions),
#              REPEAT (runs per emulator, the fastest counts; default 3),
#              SKIP="qemu bochs" to leave emulators out.
#
# Timing: CPU time (user + sys) of the emulator process, minus that of a run of the same image
# with OUTER=1 INNER=1 (start-up and shutdown cost), so the figure is the execution speed.
# Each run is repeated and the fastest kept: CPU time still grows when other jobs share the
# cores (caches, frequency), and the minimum is the least disturbed figure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tx86=${1:-$root/build/tx86}
outer=${OUTER:-2500}
inner=${INNER:-10000}
skip=${SKIP:-}
repeat=${REPEAT:-3}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Instructions retired from reset to the exit OUT (see the header of loop.asm).
count() { echo $((21 + $1 * (4 + 13 * $2) + 2)); }

nasm -f bin -DOUTER="$outer" -DINNER="$inner" -o "$work/loop.bin" "$root/bench/guests/loop.asm"
nasm -f bin -DOUTER=1 -DINNER=1 -o "$work/base.bin" "$root/bench/guests/loop.asm"
n_full=$(count "$outer" "$inner")
n_base=$(count 1 1)

# cpu_seconds CMD... : runs CMD, prints "user+sys wall" of it (bash's time keyword).
cpu_seconds() {
    local t
    t=$( { TIMEFORMAT='%U %S %R'; time "$@" >/dev/null 2>&1; } 2>&1 ) || true
    awk '{ printf "%.3f %.3f\n", $1 + $2, $3 }' <<<"$t"
}

run_tx86() { "$tx86" -accel interp -nographic -bios "$1" -no-reboot; }
run_jit() { "$tx86" -accel jit -nographic -bios "$1" -no-reboot; }
run_qemu() {
    qemu-system-i386 -accel tcg -device isa-debug-exit,iobase=0xf4,iosize=0x04 \
        -display none -nographic -monitor none -serial none -bios "$1" -no-reboot
}
# Debian's Bochs is a debugger build with no headless display: the term display needs a tty
# (script provides one) and the debugger needs a "c" (continue) command file.
run_bochs() {
    cat >"$work/bochsrc" <<EOF
megs: 32
romimage: file=$1, address=0xffff0000
vgaromimage: file=/usr/share/seabios/vgabios-isavga.bin
vga: extension=none
cpu: count=1, ips=200000000, reset_on_triple_fault=0
clock: sync=none
display_library: term
log: $work/bochs.log
panic: action=fatal
error: action=report
info: action=report
debug: action=ignore
EOF
    echo c >"$work/bochs.rc"
    script -qc "bochs -q -f $work/bochsrc -rc $work/bochs.rc" /dev/null </dev/null
}

# Checks that a run really reached the guest's exit (and not, say, a #UD halt).
check_exit() {
    case $1 in
    tx86) run_tx86 "$work/base.bin" >/dev/null 2>&1 && return 1 || [ $? -eq 33 ] ;;
    jit) run_jit "$work/base.bin" >/dev/null 2>&1 && return 1 || [ $? -eq 33 ] ;;
    qemu) run_qemu "$work/base.bin" >/dev/null 2>&1 && return 1 || [ $? -eq 33 ] ;;
    bochs) run_bochs "$work/base.bin" >/dev/null 2>&1 || true
           grep -q "Shutdown port: shutdown requested" "$work/bochs.log" ;;
    esac
}

declare -A mips best_base best_full best_wall
emus=()
for emu in tx86 jit qemu bochs; do
    case " $skip " in *" $emu "*) continue ;; esac
    if ! check_exit "$emu"; then
        printf '%-6s did not reach the guest exit; skipped\n' "$emu" >&2
        continue
    fi
    emus+=("$emu")
done
# Repetitions are interleaved (tx86, qemu, bochs, tx86, ...) so that a burst of load from
# other jobs hits every emulator alike; the fastest run of each counts.
for ((r = 0; r < repeat; ++r)); do
    for emu in "${emus[@]}"; do
        read -r b _ < <(cpu_seconds "run_$emu" "$work/base.bin")
        read -r f w < <(cpu_seconds "run_$emu" "$work/loop.bin")
        if [ -z "${best_base[$emu]:-}" ] || awk -v x="$b" -v y="${best_base[$emu]}" 'BEGIN { exit !(x < y) }'; then
            best_base[$emu]=$b
        fi
        if [ -z "${best_full[$emu]:-}" ] || awk -v x="$f" -v y="${best_full[$emu]}" 'BEGIN { exit !(x < y) }'; then
            best_full[$emu]=$f
            best_wall[$emu]=$w
        fi
    done
done
printf '%-6s %12s %10s %10s %10s\n' emulator instructions cpu_s wall_s MIPS
for emu in "${emus[@]}"; do
    m=$(awk -v n=$((n_full - n_base)) -v t="${best_full[$emu]}" -v b="${best_base[$emu]}" \
        'BEGIN { d = t - b; if (d <= 0.001) d = 0.001; printf "%.1f", n / d / 1e6 }')
    mips[$emu]=$m
    printf '%-6s %12d %10s %10s %10s\n' "$emu" "$n_full" "${best_full[$emu]}" "${best_wall[$emu]}" "$m"
done
for mine in tx86 jit; do
    [ -n "${mips[$mine]:-}" ] || continue
    for ref in qemu bochs; do
        if [ -n "${mips[$ref]:-}" ]; then
            awk -v a="${mips[$mine]}" -v b="${mips[$ref]}" -v m="$mine" -v r="$ref" \
                'BEGIN { printf "%s/%s: %.2f\n", m, r, a / b }'
        fi
    done
done
