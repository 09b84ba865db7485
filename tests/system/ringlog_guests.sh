#!/usr/bin/env bash
# SPDX-License-Identifier: MIT
# The ring log on the bare-metal guests (tests/guest): each runs with -d ring on the translator
# and on the interpreter. The two event logs must be identical, instruction counts included
# (the translator runs every transition through the interpreter's code, so both report the
# same events), each guest's log must hold the transitions it is known to make, and the
# summary's instructions per ring must add up to the instruction counter. The binary log of
# the same run must hold the same events (tx86-timeline --stats gives the same summary) and
# render. Bad input: an unwritable -ringlog path and files that are not ring logs get a
# clear error and exit status 1, not a crash.
# Usage: ringlog_guests.sh TX86 TX86_TIMELINE GUEST_DIR   (GUEST_DIR holds rings.bin, ...)
set -u
tx86="$1"; timeline="$2"; dir="$3"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail=0

# The summary block: from "ring summary:" to the first line not indented.
summary_of() { awk '/^ring summary:/ {s = 1; print; next} s && /^  / {print; next} s {exit}' "$1"; }

# guest: the event texts its log must contain (one grep pattern each).
declare -A expect=(
  [rings]='CR0.PE set|INT 0x80 eax=|IRET cpl 0->3|CALL gate cpl 3->0 .*\(\+2 parameters copied\)|RETF cpl 0->3|SYSENTER eax=|SYSEXIT cpl 0->3|#GP err=0x[0-9a-f]+ cpl 3->0'
  [tasks]='task switch by JMP|task switch by CALL|task switch by IRET|INT 0x90 eax=[0-9]+ via task gate|#UD via task gate'
  [v86]='IRET cpl 0->3 mode protected->v86 .*popped \[gs=|#GP err=0x0 cpl 3->0 mode v86->protected .*frame \[gs='
  [paging]='paging on|#PF err=0x2 |#PF err=0x5 cpl 3->0'
)

for g in rings tasks v86 paging; do
  for accel in jit interp; do
    timeout 60 "$tx86" -accel "$accel" -bios "$dir/$g.bin" -debugcon null -serial null -no-reboot \
      -d ring -D "$work/$g-$accel.log" -ringlog "$work/$g-$accel.ringlog"
    st=$?
    if [ "$st" -ne 33 ]; then
      echo "FAIL: $g on $accel exited with status $st (33 = the guest passed)"
      fail=1
    fi
  done
  # Everything but the line naming the binary log file.
  if ! diff <(grep -v '^ring log: ' "$work/$g-jit.log") <(grep -v '^ring log: ' "$work/$g-interp.log") \
       > "$work/diff"; then
    echo "FAIL: $g: the translator's ring log differs from the interpreter's:"
    head -10 "$work/diff"
    fail=1
  fi
  log="$work/$g-jit.log"
  IFS='|' read -r -a patterns <<< "${expect[$g]}"
  for p in "${patterns[@]}"; do
    if ! grep -Eq "^ring: [0-9]+ .*$p" "$log"; then
      echo "FAIL: $g: no event matching '$p'"
      fail=1
    fi
  done
  events=$(grep -c '^ring: ' "$log")
  summary=$(grep -E '^ring summary: ' "$log")
  sum=$(sed -nE 's/^ +sum +([0-9]+) \(instruction counter advanced by ([0-9]+)\)$/\1 \2/p' "$log")
  read -r s c <<< "$sum"
  if [ -z "$summary" ] || [ "${s:-x}" != "${c:-y}" ] || ! grep -q "^ring summary: $events transitions" "$log"; then
    echo "FAIL: $g: the summary is missing or does not add up ($summary; sum $sum)"
    fail=1
  fi
  # The binary log of the same run: the same summary, and a picture.
  "$timeline" --stats "$work/$g-jit.ringlog" > "$work/$g.stats"
  if ! diff <(summary_of "$log") <(summary_of "$work/$g.stats") > /dev/null; then
    echo "FAIL: $g: tx86-timeline --stats disagrees with the live summary"
    fail=1
  fi
  if ! "$timeline" --width 200 -o "$work/$g" "$work/$g-jit.ringlog" > /dev/null ||
     [ "$(head -c 4 "$work/$g.png" | od -An -tx1 | tr -d ' ')" != "89504e47" ] ||
     ! grep -q '<svg' "$work/$g.html"; then
    echo "FAIL: $g: tx86-timeline did not render the log"
    fail=1
  fi
  echo "$g: $events events, identical on both engines; $summary"
done

# Bad input: a clear message and status 1.
expect_error() { # what status pattern command...
  local what="$1" want="$2"; shift 2
  local out st
  out=$("$@" 2>&1); st=$?
  if [ "$st" -ne 1 ] || ! grep -Eq "$want" <<< "$out"; then
    echo "FAIL: $what: status $st, output: $out"
    fail=1
  else
    echo "$what: $out"
  fi
}
expect_error "unwritable -ringlog" "tx86: -ringlog: cannot open" \
  "$tx86" -bios "$dir/rings.bin" -debugcon null -serial null -no-reboot -ringlog "$work/no/such/dir/x"
printf 'not a ring log' > "$work/garbage"
expect_error "not a ring log" "not a tx86 ring log" "$timeline" --stats "$work/garbage"
printf 'TX86RING\001\000\150\000\000\000\000\000this is no zlib stream' > "$work/corrupt"
expect_error "corrupt ring log" "corrupt" "$timeline" -o "$work/corrupt-out" "$work/corrupt"
expect_error "missing ring log" "cannot open" "$timeline" "$work/none.ringlog"
[ "$fail" -eq 0 ] && echo PASS
exit "$fail"
