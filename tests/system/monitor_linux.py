#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Whole-system test of the monitor on a booted Linux, over its two sockets:
#   - the human monitor (-monitor unix:...): info registers, info mmu, info tlb, x/i on kernel
#     code (do_timer's add to jiffies), x on jiffies (rising while the guest runs), xp on the
#     RSDP in the BIOS area, stop/cont (the instruction counter and jiffies stand still while
#     stopped, and the guest's clock does not jump by the paused time after cont), stats, help,
#     errors; and at the end `quit`, which ends tx86 with status 0;
#   - QMP (-qmp unix:...): greeting, capability negotiation, query-status, stop/cont,
#     query-registers (the same EIP and counter twice while stopped), human-monitor-command,
#     malformed input answered with errors.
#
# Usage: monitor_linux.py TX86 [--extra "OPTIONS"] [--timeout SECONDS]
import json
import os
import re
import shutil
import socket
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guest_driver  # noqa: E402
import guest_kallsyms  # noqa: E402

failures = []


def check(ok, what):
    guest_driver.check(failures, ok, what)


class Human:
    PROMPT = b"(tx86) "

    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(path)
        self.greeting = self._until_prompt()

    def _until_prompt(self):
        buf = b""
        while not buf.endswith(self.PROMPT):
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("monitor closed the connection")
            buf += chunk
        return buf[: -len(self.PROMPT)].decode()

    def cmd(self, line):
        self.s.sendall(line.encode() + b"\n")
        return self._until_prompt()


class Qmp:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(30)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self.greeting = json.loads(self.f.readline())

    def raw(self, text):
        self.f.write(text.encode())
        self.f.flush()
        return json.loads(self.f.readline())

    def cmd(self, name, **args):
        req = {"execute": name}
        if args:
            req["arguments"] = args
        return self.raw(json.dumps(req) + "\n")


def word_at(human, addr):
    out = human.cmd(f"x/1xw {addr:#x}")
    m = re.search(r":\s+0x([0-9a-f]{8})", out)
    return int(m.group(1), 16) if m else None


def icount(human):
    m = re.search(r"instructions retired: (\d+)", human.cmd("stats"))
    return int(m.group(1)) if m else None


def main():
    a = guest_driver.arguments().parse_args()

    guest_driver.build_guest()
    sym = guest_kallsyms.symbols(a.tx86, ["do_timer", "jiffies"])
    tmp = tempfile.mkdtemp(prefix="tx86-mon-")
    hmp_path, qmp_path = os.path.join(tmp, "monitor.sock"), os.path.join(tmp, "qmp.sock")
    argv = guest_driver.linux_argv(a.tx86, guest_kallsyms.APPEND,
                                   ["-monitor", f"unix:{hmp_path},server,nowait",
                                    "-qmp", f"unix:{qmp_path},server,nowait"] + a.extra.split())
    print("running:", " ".join(argv))
    t0 = time.time()
    g = guest_driver.Guest(argv, a.timeout)
    g.wait_shell()
    print(f"boot to shell: {time.time() - t0:.1f} s")

    h = Human(hmp_path)
    check("tx86 monitor" in h.greeting, "human monitor greets")
    # Right after the prompt the shell may still be running in user mode: the idle guest
    # (HLT in the kernel) is what is asked for, so ask again for up to two seconds.
    for _ in range(20):
        out = h.cmd("info registers")
        kernel_eip = re.search(r"EIP=c[0-9a-f]{7}", out) is not None and "CR0=8005" in out
        if kernel_eip:
            break
        time.sleep(0.1)
    check(kernel_eip, "info registers: a kernel EIP with paging on")
    if not kernel_eip:
        print("info registers said:\n" + out)
    out = h.cmd("info mmu")
    check("paging: 32-bit" in out and "address spaces retained" in out and "mmu: fills" in out,
          "info mmu: paging mode, retained spaces, counters")
    out = h.cmd("info tlb")
    check(re.search(r"^c0000000-[0-9a-f]{8} -> 000000000 .* rw kern", out, re.M) is not None,
          "info tlb lists the kernel's direct map")
    out = h.cmd(f"x/8i {sym['do_timer']:#x}")
    check(f"add dword ptr [{sym['jiffies']:#x}]" in out, "x/i disassembles do_timer (its add to jiffies)")
    out = h.cmd("xp/8c 0xf0000")
    check(out.startswith("00000000000f0000: R S D   P T R"), f"xp reads the RSDP signature ({out.strip()})")
    out = h.cmd("x/4xb 0xfffff000")
    check("Cannot access memory" in out, "x of an unmapped address says so")

    # Running: jiffies rises; the rate calibrates the pause check below.
    j_a = word_at(h, sym["jiffies"])
    time.sleep(1.0)
    j_b = word_at(h, sym["jiffies"])
    rate = (j_b - j_a) % 2**32 if j_a is not None and j_b is not None else 0
    check(rate > 0, f"jiffies rise while the guest runs ({rate} per second)")

    # Stopped: nothing moves.
    j0 = word_at(h, sym["jiffies"])
    check(h.cmd("stop") == "", "stop")
    check("paused" in h.cmd("info status"), "info status says paused")
    n1, j1 = icount(h), word_at(h, sym["jiffies"])
    time.sleep(2.0)
    n2, j2 = icount(h), word_at(h, sym["jiffies"])
    check(n1 is not None and n1 == n2, f"the instruction counter stands still while stopped ({n1}, {n2})")
    check(j1 == j2, "jiffies stand still while stopped")
    check(h.cmd("cont") == "", "cont")
    time.sleep(0.5)
    n3, j3 = icount(h), word_at(h, sym["jiffies"])
    check(n3 is not None and n2 is not None and n3 > n2, "the instruction counter advances after cont")
    # The virtual clock stopped too: after 2 s paused and 0.5 s running, jiffies moved by about
    # half a second's worth, not 2.5 seconds' (the guest sees no burst of missed ticks).
    moved = (j3 - j0) % 2**32 if j3 is not None and j0 is not None else None
    check(moved is not None and 0 < moved < rate * 1.6,
          f"no timer burst after the pause (jiffies +{moved} in ~0.5 s running, {rate}/s)")
    out = h.cmd("stats")
    check("instructions retired" in out and "mmu: fills" in out, "stats: counters")
    check("jit:" in out or "-accel" in a.extra, "stats: the translator's counters")
    check("x/FMT" in h.cmd("help"), "help")
    check("unknown command" in h.cmd("frobnicate"), "an unknown command is refused")
    check("invalid format" in h.cmd("x/3z 0"), "a bad format is refused")

    q = Qmp(qmp_path)
    check("QMP" in q.greeting, "QMP greets")
    r = q.cmd("query-status")
    check(r.get("error", {}).get("class") == "CommandNotFound", "commands wait for qmp_capabilities")
    check(q.cmd("qmp_capabilities") == {"return": {}}, "qmp_capabilities")
    check(q.cmd("query-status")["return"]["status"] == "running", "query-status: running")
    check(q.cmd("stop") == {"return": {}}, "QMP stop")
    check(q.cmd("query-status")["return"]["status"] == "paused", "query-status: paused")
    r1 = q.cmd("query-registers")["return"]
    time.sleep(0.3)
    r2 = q.cmd("query-registers")["return"]
    check(r1["eip"] == r2["eip"] and r1["icount"] == r2["icount"],
          f"query-registers: the same EIP and counter while stopped (eip {r1['eip']:#x})")
    check(all(k in r1 for k in ("eax", "esp", "eflags", "cs", "cr0", "cr3", "efer", "cpl")),
          "query-registers has general, segment and control registers")
    hmp = q.cmd("human-monitor-command", **{"command-line": "info registers"})
    check(f"EIP={r1['eip']:08x}" in hmp.get("return", ""), "human-monitor-command runs info registers")
    check(q.raw('{"execute": "cont",}\n').get("error", {}).get("class") == "GenericError",
          "malformed JSON gets an error reply")
    check(q.raw("hello\n").get("error", {}).get("class") == "GenericError", "garbage gets an error reply")
    check(q.cmd("frobnicate").get("error", {}).get("class") == "CommandNotFound", "unknown command")
    check(q.cmd("cont") == {"return": {}}, "QMP cont")
    check(q.cmd("query-status")["return"]["running"] is True, "running again")

    # The shell still answers, then the human monitor's quit ends tx86.
    st, out = g.command("echo alive")
    check(st == 0 and "alive" in out, "the guest runs on after the monitor's stop/cont")
    h.s.sendall(b"quit\n")
    g.wait_exit(60, "quit")
    check(g.proc.returncode == 0, f"quit ends tx86 with status 0 (got {g.proc.returncode})")
    check(not guest_driver.BAD.search(g.log), "the kernel reported no problem")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"whole test: {time.time() - t0:.1f} s")
    if failures:
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
