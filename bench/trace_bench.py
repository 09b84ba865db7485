#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# What instruction tracing costs on the Linux boot (issue 5's two targets), in one run:
#   armed/untraced   the boot up to icount S with a trace armed but filtered out (-trace-file
#                    with -dcpl 2: the recorder, its consumer thread and the filter all run,
#                    nothing is kept) against the same boot with no recorder (target <= 1.05);
#   window           the 100 million consecutive instructions from S recorded in full to a
#                    trace file against the same window untraced (target <= 3.0).
# The boot is deterministic (-icount sleep=off), so every run executes the same instructions.
# Runs end with -exit-at-icount, which also times the stretch from the -dicount window's start
# (or from icount 0) to the end, inside tx86: CPU time of all its threads (the guest's and the
# trace consumer's, including the consumer's flush at exit) and wall time (which a free second
# core helps: the consumer runs beside the guest). Each configuration runs --reps times,
# interleaved, and the best CPU and best wall time are kept. The flight recorder alone (the
# recorder attached with no consumer: tx86's default) is shown too.
#
# Usage: bench/trace_bench.py [--tx86 build/tx86] [--start 2300000000] [--reps 3]
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

TOP = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
WINDOW = 100_000_000


def run(tx86, args, exit_at):
    """Runs tx86 to `exit_at`; returns (CPU s, wall s, stderr) of the stretch tx86 timed."""
    guest = os.path.join(TOP, "cache", "guest")
    argv = [tx86, "-m", "256", "-nographic", "-no-reboot", "-kernel", os.path.join(guest, "bzImage"),
            "-initrd", os.path.join(guest, "initrd.gz"), "-append", "console=ttyS0",
            "-icount", "sleep=off", "-exit-at-icount", str(exit_at)] + args
    r = subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                       text=True)
    m = re.search(r"exit-at-icount: instructions (\d+)\.\.(\d+) ran in ([\d.]+) s CPU, ([\d.]+) s wall",
                  r.stderr)
    if r.returncode != 0 or not m:
        sys.exit(f"tx86 failed ({r.returncode}): {' '.join(argv)}\n{r.stderr}")
    return float(m.group(3)), float(m.group(4)), r.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tx86", default=os.path.join(TOP, "build", "tx86"))
    ap.add_argument("--start", type=int, default=2_300_000_000,
                    help="first instruction of the window (default: a stretch of the boot with short "
                         "blocks, interrupts, CR3 loads and port writes)")
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    subprocess.run(["bash", os.path.join(TOP, "scripts", "build-guest.sh")], check=True,
                   stdout=subprocess.DEVNULL)
    work = tempfile.mkdtemp(prefix="tx86-trace-bench-")
    s, e = a.start, a.start + WINDOW
    armed = ["-trace-file", os.path.join(work, "armed.trace"), "-dcpl", "2"]
    window = ["-dicount", f"{s}+{WINDOW}"]
    recorded = ["-trace-file", os.path.join(work, "window.trace")]
    configs = [
        # name, options, end of run (timed from the -dicount window's start, else from 0)
        ("boot to S, untraced", ["-flight", "0"], s),
        ("boot to S, flight recorder only", [], s),
        ("boot to S, armed, filtered out (-dcpl 2)", ["-flight", "0"] + armed, s),
        ("window, untraced", ["-flight", "0"] + window, e),
        ("window, recorded", ["-flight", "0"] + window + recorded, e),
    ]
    results = {}
    per_rep = []  # per repetition: {name: (cpu, wall)}
    # Interleave the repetitions so that a burst of load elsewhere touches every configuration.
    for _ in range(a.reps):
        rep = {}
        for name, opts, end in configs:
            cpu, wall, err = run(a.tx86, opts, end)
            rep[name] = (cpu, wall)
            old = results.get(name)
            results[name] = (min(cpu, old[0]) if old else cpu, min(wall, old[1]) if old else wall, err)
        per_rep.append(rep)
    print(f"tx86 {a.tx86}; Linux boot under -icount sleep=off; S = {s}, window {s}..{e - 1}; "
          f"best of {a.reps}")
    print(f"{'run':44} {'CPU s':>8} {'wall s':>8}")
    for name, _, _ in configs:
        cpu, wall, _ = results[name]
        print(f"{name:44} {cpu:8.3f} {wall:8.3f}")
    written = [l for l in results["window, recorded"][2].splitlines() if "written to" in l]
    if written:
        print(written[0].replace(work + "/", ""))
    print()
    for i, what in ((0, "CPU"), (1, "wall")):
        def ratio(num, den):
            return results[num][i] / results[den][i]
        print(f"{what:4}: armed-filtered/untraced {ratio('boot to S, armed, filtered out (-dcpl 2)', 'boot to S, untraced'):.2f}x"
              f" (target <= 1.05), window recorded/untraced {ratio('window, recorded', 'window, untraced'):.2f}x"
              f" (target <= 3.0); flight recorder only/untraced "
              f"{ratio('boot to S, flight recorder only', 'boot to S, untraced'):.2f}x")
    # The machine's speed drifts by tens of percent over minutes (a shared host); the ratio of
    # runs made seconds apart, in the same repetition, drifts much less: their median.
    def median_ratio(num, den, i):
        rs = sorted(r[num][i] / r[den][i] for r in per_rep)
        return rs[len(rs) // 2] if len(rs) % 2 else (rs[len(rs) // 2 - 1] + rs[len(rs) // 2]) / 2
    armed, untraced, flight = ("boot to S, armed, filtered out (-dcpl 2)", "boot to S, untraced",
                               "boot to S, flight recorder only")
    print()
    print("median of the per-repetition ratios:")
    for i, what in ((0, "CPU"), (1, "wall")):
        print(f"{what:4}: armed-filtered/untraced {median_ratio(armed, untraced, i):.3f}x, "
              f"armed-filtered/flight recorder (tx86's default) {median_ratio(armed, flight, i):.3f}x, "
              f"flight recorder/untraced {median_ratio(flight, untraced, i):.3f}x, "
              f"window recorded/untraced {median_ratio('window, recorded', 'window, untraced', i):.2f}x")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
