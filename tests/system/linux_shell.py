#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Whole-system test: boots Debian's i386 kernel + busybox initramfs under tx86 (headless, serial
# on stdio), then drives the shell over the serial console and checks what comes back:
# uname, /proc/cpuinfo flags, busybox gzip/sha256sum/sort over generated data compared with the
# same busybox version run natively on the host, a floating-point awk loop, 500 fork+exec, and
# `poweroff` ending tx86 with status 0. A kernel log with a panic, oops, BUG or WARNING fails the
# test and shows the last console lines.
#
# Usage: linux_shell.py TX86 [--append EXTRA] [--timeout SECONDS]
import argparse
import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
# The guest driver; BAD, PROMPT, Guest and fail stay importable from here as well.
from guest_driver import BAD, PROMPT, TOP, Guest, build_guest, fail, linux_argv  # noqa: E402,F401

DATA_CMD = "seq 1 30000 | awk '{print ($1*7919)%10007 \" line \" $1}' > /tmp/d"
CHECKS = [
    # (name, guest command, how to judge the output)
    ("gzip", "gzip -6 -c /tmp/d | sha256sum", "host"),
    ("sha256sum", "sha256sum < /tmp/d", "host"),
    ("sort", "sort -n /tmp/d | sha256sum", "host"),
    # Debian's static busybox awk has no math library: plain double arithmetic only.
    ("awk-float", "awk 'BEGIN{s=0; for(i=1;i<=20000;i++) s+=1.5*i/(i+0.5)/(i*i+3.25); "
                  "printf \"%.12f\\n\", s}'", "host"),
]
FORK_CMD = "i=0; while [ $i -lt 500 ]; do /bin/true; i=$((i+1)); done; echo forks=$i"


def last_line(text):
    # The serial console echoes (and may wrap) the command; its result is the last line.
    lines = [l.strip() for l in text.strip().splitlines() if l.strip()]
    return lines[-1] if lines else ""


def host_busybox():
    for p in ("/bin/busybox", "/usr/bin/busybox"):
        if os.path.exists(p):
            return p
    return None


def run_host(cmd):
    bb = host_busybox()
    script = DATA_CMD.replace("/tmp/d", "$T") + "; " + cmd.replace("/tmp/d", "$T")
    env = dict(os.environ, T=os.path.join(os.environ.get("TMPDIR", "/tmp"), f"tx86-host-{os.getpid()}"))
    out = subprocess.run([bb, "sh", "-c", script], capture_output=True, text=True, env=env)
    return out.stdout.strip()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tx86")
    ap.add_argument("--append", default="")
    ap.add_argument("--timeout", type=float, default=900)
    ap.add_argument("--extra", default="", help="extra tx86 options, space separated")
    ap.add_argument("--boot-only", action="store_true",
                    help="boot, check uname and /proc/cpuinfo, power off (no workloads)")
    a = ap.parse_args()

    build_guest()
    argv = linux_argv(a.tx86, ("console=ttyS0 " + a.append).strip(), a.extra.split())
    print("running:", " ".join(argv))
    t0 = time.time()
    g = Guest(argv, a.timeout)
    g.wait_shell()
    t_boot = time.time() - t0
    print(f"boot to shell: {t_boot:.1f} s")

    failures = []
    st, out = g.command("uname -a")
    print("uname:", out)
    if st != 0 or "Linux" not in out or "i686" not in out:
        failures.append(f"uname -a gave: {out!r}")
    st, out = g.command("cat /proc/cpuinfo")
    flags = re.search(r"^flags\s*:(.*)$", out, re.M)
    want = "fpu tsc cx8 cmov pse pae pge sep mmx fxsr sse sse2".split()
    have = flags.group(1).split() if flags else []
    missing = [f for f in want if f not in have]
    print("cpuinfo flags:", " ".join(have))
    if missing:
        failures.append(f"/proc/cpuinfo lacks {missing}")

    checks = [] if a.boot_only else CHECKS
    if checks:
        st, _ = g.command(DATA_CMD)
    for name, cmd, how in checks:
        t = time.time()
        st, out = g.command(cmd)
        expect = run_host(cmd) if host_busybox() else None
        print(f"{name}: {last_line(out)!r} ({time.time() - t:.1f} s)")
        if st != 0:
            failures.append(f"{name}: exit status {st}")
        elif expect is not None and last_line(out).split()[:1] != expect.split()[:1]:
            failures.append(f"{name}: guest {out!r} != host {expect!r}")
    if not a.boot_only:
        t = time.time()
        st, out = g.command(FORK_CMD)
        print(f"fork+exec: {last_line(out)!r} ({time.time() - t:.1f} s)")
        if last_line(out) != "forks=500":
            failures.append(f"fork loop gave {out!r}")

    g.poweroff(max(10, g.deadline - time.time()))
    if BAD.search(g.log):
        fail(g, "the kernel reported a problem")
    if g.proc.returncode != 0:
        failures.append(f"tx86 exited with status {g.proc.returncode} after poweroff")
    if failures:
        for f in failures:
            print("FAIL:", f)
        sys.exit(1)
    print(f"PASS ({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
