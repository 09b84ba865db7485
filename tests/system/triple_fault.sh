#!/usr/bin/env bash
# A guest that triple-faults gets explained: exit status 4, and on stderr (and in the -D log)
# the chain of vectors, the IDT gate / GDT descriptor / TSS stack the failing deliveries used,
# decoded, the registers, a verdict, and the flight recorder's last instructions.
# Two guests: tests/guest/triple.asm (ring 3 #GP whose ring-0 stack segment is not present)
# and a real-mode ROM with an empty IVT that executes INT3.
# Usage: triple_fault.sh TX86 TRIPLE_BIN [extra tx86 args...]
set -u
tx86="$1"; image="$2"; shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0

has() { # file text what
  if grep -qF -- "$2" "$1"; then
    echo "ok: $3"
  else
    echo "FAIL: $3: '$(basename "$1")' has no line with: $2"
    fail=1
  fi
}

run() { # name image -> $tmp/NAME.err, $tmp/NAME.log; checks status 4
  local name="$1" rom="$2"
  timeout 60 "$tx86" -bios "$rom" -debugcon "file:$tmp/$name.con" -serial null -no-reboot \
    -D "$tmp/$name.log" "${extra[@]}" < /dev/null 2> "$tmp/$name.err"
  local status=$?
  echo "== $name: exit status $status, stderr:"
  cat "$tmp/$name.err"
  if [ "$status" -ne 4 ]; then
    echo "FAIL: $name: exit status $status (want 4: triple fault)"
    fail=1
  fi
}
extra=("$@")

# --- 1. ring 3 -> ring 0 with SS0 not present -------------------------------------------------
run ring3 "$image"
err="$tmp/ring3.err"
has "$err" "tx86: ---- triple fault ----" "report title"
has "$err" "CS:EIP 001b:" "faulting CS:EIP in ring 3"
has "$err" "(CPL 3, protected mode, paging off)" "mode and CPL"
has "$err" "chain: #GP(0x0) -> #DF(0x0) -> shutdown" "chain of vectors"
has "$err" "IDT entry 13 at linear 0x00002068" "the #GP gate's place"
has "$err" "= 32-bit interrupt gate, DPL 0, P=1, selector 0x0008" "the #GP gate decoded"
has "$err" "the gate's code segment: GDT entry 1 (selector 0x0008)" "the handler's code segment"
has "$err" "privilege change CPL 3 -> 0: the stack comes from the TSS" "the stack switch"
has "$err" "TSS SS0:ESP0 = 0x0030:0x00018000" "SS0:ESP0 from the TSS"
has "$err" "= data segment, base 0x00000000 limit 0xffffffff (G=1), type 0x2 (read/write), DPL 0, P=0" \
  "the SS0 descriptor decoded"
has "$err" "failed: #SS(0x0031: GDT selector 0x0030, EXT): the TSS's SS0 stack segment 0x0030 is not present (P=0)" \
  "what failed"
has "$err" "IDT entry 8 at linear 0x00002040" "the #DF gate"
has "$err" "verdict: #GP at 001b:" "verdict"
has "$err" "could not be delivered (the TSS's SS0 stack segment 0x0030 is not present (P=0)), nor could the #DF that followed (the same): triple fault" \
  "verdict names the cause"
has "$tmp/ring3.log" "chain: #GP(0x0) -> #DF(0x0) -> shutdown" "the -D log has the report too"
if grep -q "^note:" "$err"; then
  echo "FAIL: the explanation disagrees with the recorded fault"
  fail=1
fi
has "$err" "code at CS:EIP: fa " "the faulting instruction's bytes (CLI)"
# The flight recorder's dump ends with the ring-3 sequence: the CLI faulted, so it never
# retired, and its address is the CS:EIP above.
if grep -qF "flight recorder: none attached" "$err"; then
  echo "note: no flight recorder attached in this build: the dump is not checked"
else
  dump=$(sed -n '/^flight recorder: the last/,/^tx86: ---- end of triple fault report/p' "$err" |
         sed '1d;$d')
  last=$(grep -v '^ *$' <<<"$dump" | tail -n1)
  if grep -q "001b:.*add eax, ebx" <<<"$dump" && grep -q "001b:.*xchg e[cd]x, e[cd]x" <<<"$last"; then
    echo "ok: the flight dump ends with the ring-3 sequence just before the CLI"
  else
    echo "FAIL: the flight dump does not end with the ring-3 sequence (last line: $last)"
    fail=1
  fi
fi

# --- 2. real mode, empty IVT, INT3 -------------------------------------------------------------
python3 - "$tmp/real.bin" <<'PY'
import sys
img = bytearray(b"\x90" * 65536)
code = bytes([0x0F, 0x01, 0x1E, 0xF8, 0xFF, 0xCC])  # lidt [0xFFF8]; int3
img[0xFFF0:0xFFF0 + len(code)] = code
img[0xFFF8:0xFFFE] = bytes(6)
open(sys.argv[1], "wb").write(img)
PY
run real "$tmp/real.bin"
err="$tmp/real.err"
has "$err" "CS:EIP f000:fff5 (CPL 0, real mode)" "real mode, at the INT3"
has "$err" "verdict: #GP at f000:fff5 could not be delivered" "verdict"
has "$err" "chain: #GP(0x001a: IDT vector 3) -> #DF(0x0) -> shutdown" "chain from the INT3"
has "$err" "IVT entry 13 (bytes 0x34..0x37) lies beyond the IDT limit 0x0" "IVT limit"
has "$err" "IVT entry 8 (bytes 0x20..0x23) lies beyond the IDT limit 0x0" "IVT limit for #DF"

# --- 3. a watchpoint set from gdb dumps the recorder (-flight-dump-on watch) --------------------
if ! command -v gdb > /dev/null; then
  echo "note: gdb is not installed: the watchpoint dump is not checked"
  exit $fail
fi
if [[ " ${extra[*]} " == *" lockstep "* ]]; then
  # FIXME: -accel lockstep reports a divergence as soon as a watchpoint is set.
  echo "note: watchpoints under -accel lockstep are not checked"
  exit $fail
fi
# (timeout, not a killer subshell: a subshell killed before it has reset its traps runs this
# script's EXIT trap, which deletes $tmp under the running test.)
timeout 90 "$tx86" -bios "$image" -debugcon null -serial null -no-reboot -gdb tcp:127.0.0.1:0 -S \
  -flight-dump-on watch -flight 8 "${extra[@]}" < /dev/null 2> "$tmp/watch.err" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*gdb stub listening on port \([0-9]*\).*/\1/p' "$tmp/watch.err")
  [ -n "$port" ] && break
  sleep 0.1
done
# The guest writes the TSS's SS0 (0x3008) three times: zeroing the TSS, setting it to 0x10,
# then to the bad 0x30; gdb stops where the value changes. The rest runs to the triple fault.
timeout 60 gdb -q -batch -nx -ex "set architecture i386" -ex "target remote 127.0.0.1:$port" \
  -ex "watch *(short *)0x3008" -ex continue -ex continue -ex continue > "$tmp/gdb.out" 2>&1
wait "$pid"
echo "== watch: stderr:"
cat "$tmp/watch.err"
has "$tmp/watch.err" "tx86: ---- watchpoint ----" "a watchpoint report"
has "$tmp/watch.err" "write watchpoint at 0x00003008 (2 bytes) hit by an access to 0x00003008" \
  "the watchpoint named"
if grep -B1 -F "tx86: ---- end of watchpoint report" "$tmp/watch.err" |
   grep -qF "mov word ptr [0x3008], 0x30"; then
  echo "ok: a watchpoint dump ends with the write that hit it"
else
  echo "FAIL: no watchpoint dump ends with the write of 0x30 to 0x3008; gdb said:"
  cat "$tmp/gdb.out"
  fail=1
fi

exit $fail
