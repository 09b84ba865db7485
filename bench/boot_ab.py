#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Compare two tx86 builds (or two sets of options) on the same deterministic Linux boot.

Each run boots the benchmark guest (scripts/build-guest.sh) under a virtual clock that
depends on the instruction count only (-icount shift=0,sleep=off and a fixed -rtc), so every
run executes exactly the same guest instructions; tx86 stops after --icount of them and
reports the host CPU time they took. The two configurations take turns, --runs times each,
and the medians and their ratio are printed.

Why: on a shared host, wall-clock boots move by 10-30% from one minute to the next, so a 2%
change in tx86 cannot be seen with bench/linux_bench.py. Fixed guest work and CPU time (the
guest's delay loops no longer wait on the host clock) leave about 2-3% of noise. This compares
tx86 with itself only; linux_bench.py compares it with QEMU.

Examples:
  python3 bench/boot_ab.py --b /tmp/tx86.old                  # this build against another one
  python3 bench/boot_ab.py --a-args '' --b-args '-flight 0'   # the flight recorder's cost
"""
import argparse
import os
import re
import statistics
import subprocess
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def run_once(binary, extra, icount, timeout):
    guest = os.path.join(TOP, "cache", "guest")
    argv = ([binary] + extra.split() +
            ["-m", "256", "-nographic", "-no-reboot",
             "-kernel", os.path.join(guest, "bzImage"), "-initrd", os.path.join(guest, "initrd.gz"),
             "-append", "console=ttyS0 panic=-1",
             "-icount", "shift=0,sleep=off", "-rtc", "base=2020-01-01",
             "-exit-at-icount", str(icount)])
    p = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout)
    out = p.stdout.decode("latin-1") + p.stderr.decode("latin-1")
    m = re.search(r"exit-at-icount: instructions \S+ ran in ([0-9.]+) s CPU", out)
    if p.returncode != 0 or not m:
        sys.exit(f"boot_ab: {' '.join(argv)} failed (status {p.returncode}):\n{out[-2000:]}")
    return float(m.group(1))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--a", default=os.path.join(TOP, "build", "tx86"), help="first tx86 binary")
    ap.add_argument("--b", default=None, help="second tx86 binary (default: the first)")
    ap.add_argument("--a-args", default="", help="options for the first")
    ap.add_argument("--b-args", default="", help="options for the second")
    ap.add_argument("--runs", type=int, default=5, help="runs of each (the median counts)")
    ap.add_argument("--icount", type=int, default=7_500_000_000,
                    help="guest instructions per run (7.5e9: about the busybox prompt)")
    ap.add_argument("--timeout", type=float, default=600)
    a = ap.parse_args()
    b_bin = a.b or a.a
    subprocess.run(["bash", os.path.join(TOP, "scripts", "build-guest.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    times = {"A": [], "B": []}
    for r in range(a.runs):
        order = [("A", a.a, a.a_args), ("B", b_bin, a.b_args)]
        for name, binary, extra in (order if r % 2 == 0 else order[::-1]):
            times[name].append(run_once(binary, extra, a.icount, a.timeout))
    med = {k: statistics.median(v) for k, v in times.items()}
    print(f"host CPU seconds for the first {a.icount:,} guest instructions of the boot, "
          f"{a.runs} runs each, taking turns")
    print(f"  A {a.a} {a.a_args}".rstrip() + f": median {med['A']:.3f}  runs " +
          " ".join(f"{x:.3f}" for x in times["A"]))
    print(f"  B {b_bin} {a.b_args}".rstrip() + f": median {med['B']:.3f}  runs " +
          " ".join(f"{x:.3f}" for x in times["B"]))
    print(f"  B/A {med['B'] / med['A']:.3f}")


if __name__ == "__main__":
    main()
