#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Whole-system test of the panic watch: boots Debian's i386 kernel to the busybox shell, makes
# it panic on purpose (`echo c > /proc/sysrq-trigger`), and checks that tx86 printed exactly
# one kernel-panic report on stderr, quoting the panic line and followed by the flight
# recorder's dump, without changing what the console showed. `panic=-1` makes the kernel
# reboot at once after the panic, which -no-reboot turns into a clean exit.
# (tests/system/linux_shell.py fails on panic text, hence a script of its own.)
#
# Usage: linux_panic.py TX86 [--timeout SECONDS] [--extra "OPTIONS"]
import argparse
import os
import re
import select
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import guest_driver  # noqa: E402
from guest_driver import PROMPT  # noqa: E402

REPORT_TITLE = "tx86: ---- kernel panic on the serial console ----"
REPORT_END = "tx86: ---- end of kernel panic on the serial console report ----"


class Run:
    """tx86 with the console on stdout and the reports on stderr, read side by side.
    (Not guest_driver.Guest, which merges the two and fails on the very panic this test makes.)"""

    def __init__(self, argv, timeout):
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=subprocess.PIPE, bufsize=0)
        self.out = ""
        self.err = ""
        self.deadline = time.time() + timeout

    def pump(self, wait):
        """Reads what is available within `wait` seconds; False once both streams ended."""
        streams = [s for s in (self.proc.stdout, self.proc.stderr) if not s.closed]
        if not streams:
            return False
        ready, _, _ = select.select(streams, [], [], wait)
        for s in ready:
            chunk = os.read(s.fileno(), 65536)
            if not chunk:
                s.close()
                continue
            text = chunk.decode("utf-8", "replace").replace("\r", "")
            if s is self.proc.stdout:
                self.out += text
            else:
                self.err += text
        return True

    def wait_for(self, pred, what):
        while not pred():
            left = self.deadline - time.time()
            if left <= 0:
                self.fail(f"timed out waiting for {what}")
            if not self.pump(min(left, 1.0)):
                self.fail(f"tx86 ended (status {self.proc.wait()}) while waiting for {what}")

    def send(self, line):
        self.proc.stdin.write((line + "\n").encode())
        self.proc.stdin.flush()

    def fail(self, why):
        print(f"FAIL: {why}")
        print("---- last console lines ----")
        print("\n".join(self.out.splitlines()[-30:]))
        print("---- stderr ----")
        print(self.err[-6000:])
        try:
            self.proc.kill()
        except OSError:
            pass
        sys.exit(1)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tx86")
    ap.add_argument("--timeout", type=float, default=600)
    ap.add_argument("--extra", default="", help="extra tx86 options, space separated")
    a = ap.parse_args()

    guest_driver.build_guest()
    argv = guest_driver.linux_argv(a.tx86, "console=ttyS0 panic=-1", a.extra.split())
    print("running:", " ".join(argv))
    r = Run(argv, a.timeout)
    r.wait_for(lambda: "busybox shell ready" in r.out, "the shell")
    r.send("")  # busybox's line editor asks the terminal for its size first
    r.wait_for(lambda: PROMPT in r.out, "the prompt")
    if "tx86: ----" in r.err:
        r.fail("a report before the panic")
    # Writes to /proc/sysrq-trigger are allowed whatever kernel.sysrq says; set it anyway.
    r.send("echo 1 > /proc/sys/kernel/sysrq; echo c > /proc/sysrq-trigger")
    r.wait_for(lambda: REPORT_END in r.err, "the panic report on stderr")
    # Let the kernel finish (panic=-1 reboots, -no-reboot exits) and collect everything.
    while time.time() < r.deadline and r.pump(1.0):
        pass
    try:
        status = r.proc.wait(timeout=max(1, r.deadline - time.time()))
    except subprocess.TimeoutExpired:
        r.fail("tx86 did not exit after the panic (panic=-1 and -no-reboot)")

    failures = []
    panic_lines = [l for l in r.out.splitlines() if "Kernel panic - not syncing" in l]
    if not panic_lines:
        failures.append("the console shows no 'Kernel panic - not syncing' line")
    if r.err.count(REPORT_TITLE) != 1:
        failures.append(f"{r.err.count(REPORT_TITLE)} panic reports on stderr (want exactly 1)")
    if r.err.count("tx86: ---- ") != 2:  # the report's title and end lines, nothing else
        failures.append("other reports on stderr besides the panic's")
    report = r.err[r.err.find(REPORT_TITLE):r.err.find(REPORT_END)]
    quoted = re.search(r"^console: (.*Kernel panic - not syncing.*)$", report, re.M)
    if not quoted or (panic_lines and quoted.group(1).strip() != panic_lines[0].strip()):
        failures.append("the report does not quote the console's panic line")
    if "flight recorder: none attached" in report:
        print("note: no flight recorder attached in this build: the dump is not checked")
    elif not re.search(r"^flight recorder: the last \d+ instructions", report, re.M) or \
            len(report.splitlines()) < 10:
        failures.append("the report has no flight-recorder dump")
    if status != 0:
        failures.append(f"tx86 exited with status {status} (want 0: reset under -no-reboot)")
    print("---- the report ----")
    print(report + REPORT_END)
    for f in failures:
        print("FAIL:", f)
    if failures:
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
