#!/usr/bin/env bash
# Bad tracing input gets a clear one-line error and the documented exit status, never a crash:
# tx86's tracing options (2 for a bad value, 1 for a trace file it cannot create), and
# tx86-trace on bad command lines (2), missing, foreign, damaged (1) and cut-short files (0, a
# warning, everything before the cut read).
# Usage: trace_errors.sh TX86 TX86_TRACE DEMO_ROM
set -u
tx86="$1"
tool="$2"
demo="$3"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
expect() { # status pattern program args...
  local want="$1" pattern="$2"
  shift 2
  local out status
  out=$(timeout 60 "$@" < /dev/null 2>&1)
  status=$?
  if [ "$status" -ne "$want" ] || ! grep -q -- "$pattern" <<<"$out"; then
    echo "FAIL: $* -> status $status (want $want), output: $out"
    fail=1
  else
    echo "ok: $* -> $status: $(head -n1 <<<"$out")"
  fi
}
expect 2 "invalid -dcpl value '5'" "$tx86" -dcpl 5
expect 2 "ends before it starts" "$tx86" -dfilter 0x2000..0x1000
expect 2 "invalid -dicount window" "$tx86" -dicount soon
expect 2 "invalid -dstart" "$tx86" -dstart when=now
expect 2 "invalid -exit-at-icount" "$tx86" -exit-at-icount -5
expect 1 "cannot create trace file" "$tx86" -nographic -bios "$demo" -trace-file "$tmp/no/such/dir/t"

# A real trace to damage: the demo guest (it runs to its end and exits through port 0xF4).
out=$(timeout 60 "$tx86" -nographic -no-reboot -bios "$demo" -trace-file "$tmp/t" < /dev/null 2>&1)
if ! grep -q "instructions written to" <<<"$out"; then
  echo "FAIL: the demo guest wrote no trace: $out"
  fail=1
fi
expect 0 "^instructions [1-9]" "$tool" count "$tmp/t"
expect 2 "unknown command 'frob'" "$tool" frob "$tmp/t"
expect 2 "takes two trace files" "$tool" diff "$tmp/t"
expect 2 "unknown option '--frob'" "$tool" count "$tmp/t" --frob
expect 2 "invalid -dcpl value" "$tool" count "$tmp/t" -dcpl 9
expect 1 "cannot open" "$tool" count "$tmp/missing"
head -c 5000 /dev/urandom > "$tmp/junk"
expect 1 "not a tx86 trace file" "$tool" print "$tmp/junk"
size=$(stat -c %s "$tmp/t")
head -c $((size - 7)) "$tmp/t" > "$tmp/cut"
expect 0 "cut short" "$tool" count "$tmp/cut"
head -c 30 "$tmp/t" > "$tmp/header-only"
expect 1 "cut short inside its header" "$tool" count "$tmp/header-only"
# Damage the first chunk's compressed bytes (its header is 32 bytes after the file header).
python3 - "$tmp/t" "$tmp/bad" <<'PY'
import struct, sys
b = bytearray(open(sys.argv[1], "rb").read())
at = struct.unpack_from("<I", b, 12)[0] + 32 + 10
for i in range(at, min(at + 8, len(b))):
    b[i] ^= 0x5A
open(sys.argv[2], "wb").write(b)
PY
expect 1 "is corrupt" "$tool" stats "$tmp/bad"
exit $fail
