#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Whole-system test of the ring log: boots Debian's i386 kernel + busybox initramfs under tx86
# with -ringlog, runs /bin/sysloop (tests/guest/linux/sysloop.asm: exactly N system calls with
# the unused number 4242 through INT 0x80) in the shell, powers off, and checks
#   - the log's count of system calls numbered 4242 is exactly N (tx86-timeline --stats),
#   - the exit summary is there and plausible: instructions per ring add up to the instruction
#     counter, both rings ran, interrupts, exceptions (#PF), IRETs and paging-on were seen,
#   - the summary tx86-timeline computes from the file is the one tx86 printed live,
#   - tx86-timeline renders the log (a PNG with a valid signature, an HTML page with an SVG).
#
# Usage: ringlog_linux.py TX86 TX86_TIMELINE [--extra "tx86 options"] [--keep DIR]
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guest_driver  # noqa: E402
from guest_driver import check  # noqa: E402
SYSLOOP_NR = 4242
# Two runs: the default count and one given on the command line.
RUNS = [("sysloop", 5000), ("sysloop 123", 123)]


def parse_summary(text):
    """The numbers of a ring summary (tx86's exit summary or tx86-timeline --stats)."""
    s = {}
    m = re.search(r"ring summary: (\d+) transitions over (\d+) guest instructions", text)
    if not m:
        return None
    s["events"], s["insns"] = int(m.group(1)), int(m.group(2))
    s["rings"] = {int(r): int(n) for r, n in re.findall(r"^\s+ring (\d) +(\d+) +[\d.]+%$", text, re.M)}
    m = re.search(r"sum +(\d+) \(instruction counter advanced by (\d+)\)", text)
    s["sum"], s["counter"] = (int(m.group(1)), int(m.group(2))) if m else (None, None)
    s["kinds"] = {k.strip(): int(n) for k, n in
                  re.findall(r"^    ([A-Za-z0-9. ]+?) +(\d+)$", text.split("transitions by ring pair")[0], re.M)}
    m = re.search(r"system calls from ring 3: (\d+)", text)
    s["syscalls"] = int(m.group(1)) if m else None
    return s


def summary_block(text):
    """The summary lines themselves, for comparing two summaries."""
    start = text.find("ring summary:")
    if start < 0:
        return ""
    lines = []
    for line in text[start:].splitlines():
        if lines and not line.startswith("  "):
            break
        lines.append(line)
    return "\n".join(lines)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tx86")
    ap.add_argument("timeline")
    ap.add_argument("--extra", default="", help="extra tx86 options, space separated")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--keep", help="keep the log, summary and pictures in this directory")
    a = ap.parse_args()

    guest_driver.build_guest()
    work = a.keep or tempfile.mkdtemp(prefix="tx86-ringlog-")
    os.makedirs(work, exist_ok=True)
    log = os.path.join(work, "linux.ringlog")
    dlog = os.path.join(work, "summary.txt")
    argv = guest_driver.linux_argv(a.tx86, "console=ttyS0",
                                   ["-ringlog", log, "-D", dlog] + a.extra.split())
    print("running:", " ".join(argv))
    t0 = time.time()
    g = guest_driver.Guest(argv, a.timeout)
    g.wait_shell()
    print(f"boot to shell: {time.time() - t0:.1f} s")

    failures = []
    want = 0
    for cmd, n in RUNS:
        st, out = g.command(cmd)
        check(failures, st == 0, f"'{cmd}' exits with status 0 (got {st}: {out!r})")
        want += n

    g.poweroff(max(10, g.deadline - time.time()))
    if guest_driver.BAD.search(g.log):
        guest_driver.fail(g, "the kernel reported a problem")
    check(failures, g.proc.returncode == 0, f"tx86 exits with status 0 (got {g.proc.returncode})")
    print(f"whole run: {time.time() - t0:.1f} s")

    # The exit summary, written to the -D file.
    live_text = open(dlog).read()
    print(summary_block(live_text))
    live = parse_summary(live_text)
    check(failures, live is not None, "tx86 printed the ring summary")
    if live:
        check(failures, live["sum"] == live["counter"] == live["insns"],
              f"instructions per ring add up to the instruction counter ({live['sum']} = {live['counter']})")
        check(failures, sum(live["rings"].values()) == live["insns"], "the per-ring lines add up")
        check(failures, live["insns"] > 100_000_000, f"a boot runs > 10^8 instructions ({live['insns']})")
        check(failures, live["rings"].get(0, 0) > 0 and live["rings"].get(3, 0) > 0, "rings 0 and 3 both ran")
        for kind in ("IRET", "exception", "IRQ", "INT", "paging on"):
            check(failures, live["kinds"].get(kind, 0) > 0, f"the boot has {kind} transitions")
        check(failures, live["kinds"].get("paging on") == 1, "paging was turned on once")
        check(failures, (live["syscalls"] or 0) > want, f"more system calls than sysloop's ({live['syscalls']})")
    m = re.search(r"ring log: .*: (\d+) events, (\d+) bytes", live_text)
    check(failures, m is not None, "the log file's size is reported")
    if m:
        print(f"ring log: {int(m.group(1))} events, {int(m.group(2))} bytes, "
              f"{os.path.getsize(log)} on disk")
        check(failures, int(m.group(2)) == os.path.getsize(log), "the reported size is the file's")

    # The same log read back by tx86-timeline.
    st = subprocess.run([a.timeline, "--stats", log], capture_output=True, text=True)
    check(failures, st.returncode == 0, f"tx86-timeline --stats reads the log ({st.stderr.strip()})")
    counts = {int(nr): int(n) for nr, n in re.findall(r"^    syscall (\d+) (\d+)$", st.stdout, re.M)}
    check(failures, counts.get(SYSLOOP_NR) == want,
          f"system calls numbered {SYSLOOP_NR}: {counts.get(SYSLOOP_NR)} (sysloop made {want})")
    check(failures, summary_block(st.stdout) == summary_block(live_text),
          "the summary from the file is the one tx86 printed")

    prefix = os.path.join(work, "linux")
    st = subprocess.run([a.timeline, "--width", "800", "-o", prefix, log], capture_output=True, text=True)
    check(failures, st.returncode == 0, f"tx86-timeline renders the log ({st.stderr.strip()})")
    if st.returncode == 0:
        with open(prefix + ".png", "rb") as f:
            check(failures, f.read(8) == b"\x89PNG\r\n\x1a\n", "the PNG has a PNG signature")
        html = open(prefix + ".html").read()
        check(failures, "<svg" in html and "</svg>" in html, "the HTML page holds an SVG")
        check(failures, len(html) < 2_000_000, f"the HTML page stays small ({len(html)} bytes)")

    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"FAIL ({len(failures)} checks)")
        sys.exit(1)
    print(f"PASS ({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
