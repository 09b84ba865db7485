# SPDX-License-Identifier: MIT
# The shared part of the whole-system tests that boot Debian's i386 kernel + busybox initramfs
# (scripts/build-guest.sh) under tx86 with the serial console on stdio: the guest's command
# line, a driver that reads the console against one deadline for the whole test and fails at
# once on kernel-problem text, a shell command runner, and power-off. Each test script keeps
# its own checks and command-line interface; this is a module only (the scripts put their own
# directory on sys.path to import it, since meson runs them as `python3 tests/system/X.py`).
import argparse
import os
import re
import select
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.abspath(os.path.join(HERE, "..", ".."))
GUEST = os.path.join(TOP, "cache", "guest")
PROMPT = "~ # "
BAD = re.compile(r"Kernel panic|Oops|BUG:|WARNING:|Call Trace|general protection fault|"
                 r"invalid opcode|segfault at|Unable to handle")


def build_guest():
    """Makes sure the kernel and initramfs are in cache/guest (a no-op once built)."""
    subprocess.run(["bash", os.path.join(TOP, "scripts", "build-guest.sh")], check=True)


def linux_argv(tx86, append, extra=()):
    """tx86's command line for the guest: 256 MiB, serial on stdio, reset ends tx86."""
    return [tx86, "-m", "256", "-nographic", "-no-reboot",
            "-kernel", os.path.join(GUEST, "bzImage"), "-initrd", os.path.join(GUEST, "initrd.gz"),
            "-append", append] + list(extra)


def arguments(timeout=600):
    """The usual command line, TX86 [--extra "OPTIONS"] [--timeout SECONDS]; a script adds its own."""
    ap = argparse.ArgumentParser()
    ap.add_argument("tx86")
    ap.add_argument("--extra", default="", help="extra tx86 options, space separated")
    ap.add_argument("--timeout", type=float, default=timeout)
    return ap


def check(failures, ok, what):
    """Prints one check's verdict and collects the failed ones."""
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


class Guest:
    """tx86 running the guest, its console (stdout, with stderr unless given) read into `log`."""

    def __init__(self, argv, timeout, stderr=subprocess.STDOUT):
        # `stderr`: a file for tests that read tx86's own reports apart from the console.
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=stderr, bufsize=0)
        self.buf = ""  # console text not consumed by read_until yet
        self.log = ""  # all console text, for the kernel-problem check and failure reports
        self.deadline = time.time() + timeout

    def read_until(self, pattern, what):
        """Console text up to and including the first match of `pattern`."""
        while True:
            m = re.search(pattern, self.buf)
            if m:
                out = self.buf[:m.end()]
                self.buf = self.buf[m.end():]
                return out
            left = self.deadline - time.time()
            if left <= 0:
                fail(self, f"timed out waiting for {what}")
            r, _, _ = select.select([self.proc.stdout], [], [], min(left, 1.0))
            if r:
                chunk = os.read(self.proc.stdout.fileno(), 65536)
                if not chunk:
                    fail(self, f"tx86 exited (status {self.proc.wait()}) while waiting for {what}")
                text = chunk.decode("utf-8", "replace").replace("\r", "")
                self.buf += text
                self.log += text
                if BAD.search(self.log):
                    fail(self, "the kernel reported a problem")

    def wait_shell(self):
        """Waits for the initramfs's shell and its first prompt."""
        self.read_until(re.escape("busybox shell ready"), "the shell")
        # busybox's line editor asks the terminal for its size first; answer it with a newline.
        self.proc.stdin.write(b"\n")
        self.read_until(re.escape(PROMPT), "the prompt")

    def command(self, cmd):
        """Runs a shell command; returns its exit status and output."""
        # A marker line lets us find the command's output regardless of echo.
        self.proc.stdin.write((cmd + "; echo __END__$?\n").encode())
        self.proc.stdin.flush()
        out = self.read_until(r"__END__(\d+)\n", f"'{cmd}'")
        status = int(re.search(r"__END__(\d+)\n", out).group(1))
        body = out[:out.rfind("__END__")]
        # Drop the echoed command line.
        lines = [l for l in body.split("\n") if "__END__" not in l]
        return status, "\n".join(lines).strip()

    def wait_exit(self, timeout, what):
        """Waits for tx86 to end after `what` (collecting the rest of the console); fails if it
        does not within `timeout` seconds. The exit status is in proc.returncode."""
        try:
            rest, _ = self.proc.communicate(timeout=timeout)
            self.log += rest.decode("utf-8", "replace")
        except subprocess.TimeoutExpired:
            fail(self, f"{what} did not end tx86")

    def poweroff(self, timeout):
        """`poweroff` in the shell, which must end tx86 within `timeout` seconds."""
        self.proc.stdin.write(b"poweroff\n")
        self.proc.stdin.flush()
        self.wait_exit(timeout, "poweroff")


def fail(g, why):
    """Fails the test at once, showing the last console lines; kills tx86."""
    print(f"FAIL: {why}")
    print("---- last console lines ----")
    print("\n".join(g.log.splitlines()[-40:]))
    try:
        g.proc.kill()
    except OSError:
        pass
    sys.exit(1)
