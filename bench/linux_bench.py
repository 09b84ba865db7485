#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Boot-and-workloads benchmark: the same Debian i386 kernel and busybox initramfs under tx86
# and under Debian's qemu-system-i386 (TCG), taking turns in one run. Reports the median time
# from start to the shell prompt and of each workload, run through the serial console, and the
# tx86/QEMU ratios (below 1.0 means tx86 is faster), against the targets of the translator
# issue (0.8x QEMU's time; 0.6x for fork+exec and the pipe).
#
# Usage: bench/linux_bench.py [--tx86 build/tx86] [--accel jit|interp] [--only tx86|qemu]
#                             [--rounds N]
import argparse
import os
import re
from statistics import median
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(TOP, "tests", "system"))
import linux_shell as ls  # noqa: E402

WORKLOADS = [
    ("gen-data", "seq 1 200000 | awk '{print ($1*7919)%100003 \" row \" $1}' > /tmp/d"),
    ("gzip -6", "gzip -6 -c /tmp/d | wc -c"),
    ("sha256sum", "sha256sum /tmp/d"),
    ("sort", "sort -n /tmp/d | wc -l"),
    ("awk-float", "awk 'BEGIN{s=0; for(i=1;i<=300000;i++) s+=1.5*i/(i+0.5)/(i*i+3.25); "
                  "printf \"%.12f\\n\", s}'"),
    ("fork+exec x600", "i=0; while [ $i -lt 600 ]; do /bin/true; i=$((i+1)); done; echo $i"),
    ("pipe 8MB", "dd if=/dev/zero bs=4096 count=2048 2>/dev/null | head -c 8388608 | wc -c"),
]

# The translator issue's targets, as tx86 time / QEMU time (gen-data has none).
TARGETS = {"boot to shell": 0.8, "gzip -6": 0.8, "sha256sum": 0.8, "sort": 0.8, "awk-float": 0.8,
           "fork+exec x600": 0.6, "pipe 8MB": 0.6}


def boot(argv, timeout):
    """Starts a guest and waits for its shell prompt; returns (guest, seconds)."""
    t0 = time.time()
    g = ls.Guest(argv, timeout)
    g.read_until(re.escape("busybox shell ready"), "the shell")
    g.proc.stdin.write(b"\n")
    g.read_until(re.escape(ls.PROMPT), "the prompt")
    return g, time.time() - t0


def power_off(g):
    g.proc.stdin.write(b"poweroff\n")
    g.proc.stdin.flush()
    try:
        g.proc.communicate(timeout=60)
    except Exception:
        g.proc.kill()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--tx86", default=os.path.join(TOP, "build", "tx86"))
    ap.add_argument("--only", choices=["tx86", "qemu"])
    ap.add_argument("--accel", default="jit", choices=["jit", "interp"], help="tx86 engine")
    ap.add_argument("--tx86-args", default="",
                    help="more tx86 options, e.g. '-flight 0' to measure without the flight recorder")
    ap.add_argument("--rounds", type=int, default=3,
                    help="boots and runs of each workload per emulator (the median counts)")
    ap.add_argument("--timeout", type=float, default=1800)
    a = ap.parse_args()
    import subprocess
    subprocess.run(["bash", os.path.join(TOP, "scripts", "build-guest.sh")], check=True)
    guest = os.path.join(TOP, "cache", "guest")
    common = ["-m", "256", "-nographic", "-no-reboot", "-kernel", os.path.join(guest, "bzImage"),
              "-initrd", os.path.join(guest, "initrd.gz"), "-append", "console=ttyS0"]
    argvs = {"tx86": [a.tx86, "-accel", a.accel] + a.tx86_args.split() + common,
             "qemu": ["qemu-system-i386", "-display", "none"] + common}
    engines = [e for e in ("tx86", "qemu") if a.only in (None, e)]
    # This machine's speed drifts by up to 2x over minutes (other tenants), so the two
    # emulators take turns: boots alternate, then each workload runs on one guest and right
    # after on the other, `rounds` times, the order swapped each round. The last boots' guests
    # stay up for the workloads.
    times = {e: {} for e in engines}
    guests = {}
    for r in range(a.rounds):
        for e in (engines if r % 2 == 0 else engines[::-1]):
            g, t = boot(argvs[e], a.timeout)
            times[e].setdefault("boot to shell", []).append(t)
            if r + 1 < a.rounds:
                power_off(g)
            else:
                guests[e] = g
    for wname, cmd in WORKLOADS:
        for r in range(a.rounds):
            for e in (engines if r % 2 == 0 else engines[::-1]):
                t = time.time()
                st, out = guests[e].command(cmd)
                times[e].setdefault(wname, []).append(time.time() - t)
                if st != 0:
                    print(f"{e}: {wname} failed: {out!r}")
    for g in guests.values():
        power_off(g)

    keys = ["boot to shell"] + [w for w, _ in WORKLOADS]
    both = len(engines) == 2
    print(f"medians of {a.rounds} runs each, the emulators taking turns")
    print(f"{'':18}" + "".join(f"{e:>12}" for e in engines) + ("   tx86/qemu  target" if both else ""))
    for k in keys:
        row = f"{k:18}" + "".join(f"{median(times[e][k]):11.2f}s" for e in engines)
        if both:
            ratio = median(times['tx86'][k]) / max(median(times['qemu'][k]), 1e-3)
            target = TARGETS.get(k)
            verdict = "" if target is None else f"  {target:.1f}x {'met' if ratio <= target else 'MISSED'}"
            row += f"   {ratio:9.2f}x{verdict}"
        print(row)
    print("each run, tx86 / qemu (seconds):")
    for k in keys:
        print(f"  {k:18}" + "  ".join(f"{x:.2f}" for x in times[engines[0]][k]) +
              ("   /   " + "  ".join(f"{x:.2f}" for x in times[engines[1]][k]) if both else ""))


if __name__ == "__main__":
    main()
