#!/usr/bin/env bash
# Builds tx86 and runs the whole test suite (the README's test command).
# Usage: scripts/test.sh [BUILD_DIR] [extra meson setup options...]
# Prints a final line "N passed, N failed" counting meson tests.
set -uo pipefail
cd "$(dirname "$0")/.."
BUILD="${1:-build}"
shift || true

bash scripts/setup-deps.sh || { echo "setup-deps failed" >&2; echo "0 passed, 1 failed"; exit 1; }

if [ ! -f "$BUILD/build.ninja" ]; then
  meson setup "$BUILD" "$@" >/dev/null || { echo "meson setup failed" >&2; echo "0 passed, 1 failed"; exit 1; }
fi
if ! ninja -C "$BUILD" -j"$(nproc)"; then
  echo "build failed" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

# The whole-system tests boot Debian's kernel: fetch and build it once, before they run.
bash scripts/build-guest.sh || { echo "building the Linux guest failed" >&2; echo "0 passed, 1 failed"; exit 1; }

meson test -C "$BUILD" --print-errorlogs --num-processes "$(nproc)"
status=$?
python3 - "$BUILD/meson-logs/testlog.json" <<'PY'
import json, sys
passed = failed = skipped = 0
for line in open(sys.argv[1]):
    r = json.loads(line)
    res = r.get("result")
    if res in ("OK", "EXPECTEDFAIL"):
        passed += 1
    elif res == "SKIP":
        skipped += 1
    else:
        failed += 1
print(f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else ""))
PY
exit $status
