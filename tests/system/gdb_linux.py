#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Whole-system test of the gdb stub with Debian's real gdb, on a booting Linux (translator by
# default; --extra "-accel interp" for the interpreter). tx86 starts paused (-S) with the stub
# on a free port and a QMP socket; gdb, in batch mode:
#   - attaches, reads the target description (extra registers cr0..efer shown), sets a software
#     breakpoint at start_kernel and continues to it;
#   - reads EIP, which must equal what QMP's query-registers reports at the same stop (asked
#     from gdb's Python while gdb holds the guest), and runs `monitor info registers`;
#   - single-steps (stepi), reads registers and memory, writes memory and reads it back;
#   - watches jiffies (a write watchpoint: the timer interrupt writes it), continues until it
#     fires with the value one higher, then a read watchpoint on it;
#   - a hardware breakpoint at kernel_init, continue to it, delete everything, detach.
# Then a raw protocol client checks Ctrl-C (0x03 while the guest runs -> T02), and the guest
# goes on to the busybox shell, where `poweroff` ends tx86 with status 0. Kernel addresses come
# from guest_kallsyms.py (a cached /proc/kallsyms of a `nokaslr` boot).
#
# Usage: gdb_linux.py TX86 [--extra "OPTIONS"] [--timeout SECONDS]
import os
import re
import select
import shutil
import socket
import subprocess
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


def drain(g, seconds):
    """Reads the serial console for a while (tx86 must never block on a full pipe)."""
    end = time.time() + seconds
    while time.time() < end:
        r, _, _ = select.select([g.proc.stdout], [], [], min(0.2, max(0, end - time.time())))
        if r:
            chunk = os.read(g.proc.stdout.fileno(), 65536)
            if not chunk:
                return
            text = chunk.decode("utf-8", "replace").replace("\r", "")
            g.buf += text
            g.log += text


def gdb_script(port, qmp, sym):
    sk, ki, jf = sym["start_kernel"], sym["kernel_init"], sym["jiffies"]
    return f"""set pagination off
set confirm off
set width 0
target remote 127.0.0.1:{port}
echo ==attached\\n
info registers
break *{sk:#x}
continue
echo ==at-start-kernel\\n
p/x $eip
python
import json, socket
s = socket.socket(socket.AF_UNIX)
s.connect("{qmp}")
f = s.makefile("rwb")
json.loads(f.readline())
for cmd in ("qmp_capabilities", "query-registers"):
    f.write(json.dumps({{"execute": cmd}}).encode() + b"\\n")
    f.flush()
    reply = json.loads(f.readline())
qmp_eip = reply["return"]["eip"]
gdb_eip = int(gdb.parse_and_eval("(unsigned int)$eip"))
print("==qmp-eip %#x gdb-eip %#x" % (qmp_eip, gdb_eip))
s.close()
end
monitor info registers
x/3i $pc
stepi
echo ==after-stepi\\n
p/x $eip
stepi 4
echo ==after-stepi-4\\n
p/x $eip
info registers esp eflags cs cr0 cr3
x/4xw $esp
set {{unsigned int}}($esp - 64) = 0x5eedf00d
echo ==written\\n
x/1xw $esp - 64
p/x *(unsigned int *){jf:#x}
delete
watch *(unsigned int *){jf:#x}
continue
echo ==after-watch\\n
p/x $eip
delete
rwatch *(unsigned int *){jf:#x}
continue
echo ==after-rwatch\\n
delete
hbreak *{ki:#x}
continue
echo ==at-kernel-init\\n
p/x $eip
delete
detach
echo ==detached\\n
"""


class Rsp:
    """A bare remote-protocol client, for what gdb's batch mode cannot do (Ctrl-C)."""

    def __init__(self, port):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=30)
        self.buf = b""

    def send(self, payload):
        data = payload.encode("latin1")
        self.s.sendall(b"$" + data + b"#" + b"%02x" % (sum(data) & 0xFF))

    def recv(self):
        while True:
            i = self.buf.find(b"$")
            j = self.buf.find(b"#", i + 1) if i >= 0 else -1
            if i >= 0 and j >= 0 and len(self.buf) >= j + 3:
                p = self.buf[i + 1:j].decode("latin1")
                self.buf = self.buf[j + 3:]
                self.s.sendall(b"+")
                return p
            chunk = self.s.recv(65536)
            if not chunk:
                raise EOFError("stub closed the connection")
            self.buf += chunk

    def cmd(self, payload):
        self.send(payload)
        return self.recv()


def value_of(text, marker):
    """The `$N = 0x...` printed after an ==marker line."""
    m = re.search(re.escape("==" + marker) + r"\n\$\d+ = (0x[0-9a-f]+)", text)
    return int(m.group(1), 16) if m else None


def main():
    a = guest_driver.arguments().parse_args()
    if not shutil.which("gdb"):
        print("FAIL: gdb is not installed (scripts/setup-deps.sh installs it)")
        sys.exit(1)

    guest_driver.build_guest()
    sym = guest_kallsyms.symbols(a.tx86, ["start_kernel", "kernel_init", "jiffies"])
    print("symbols:", ", ".join(f"{k}={v:#x}" for k, v in sym.items()))

    tmp = tempfile.mkdtemp(prefix="tx86-gdb-")
    qmp = os.path.join(tmp, "qmp.sock")
    argv = guest_driver.linux_argv(a.tx86, guest_kallsyms.APPEND,
                                   ["-gdb", "tcp:127.0.0.1:0", "-S",
                                    "-qmp", f"unix:{qmp},server,nowait"] + a.extra.split())
    print("running:", " ".join(argv))
    t0 = time.time()
    g = guest_driver.Guest(argv, a.timeout)
    out = g.read_until(r"gdb stub listening on port (\d+)\n", "the gdb port")
    port = int(re.search(r"port (\d+)", out).group(1))

    script = os.path.join(tmp, "commands.gdb")
    with open(script, "w") as f:
        f.write(gdb_script(port, qmp, sym))
    log_path = os.path.join(tmp, "gdb.log")
    t_gdb = time.time()
    with open(log_path, "w") as log:
        gdb = subprocess.Popen(["gdb", "-nx", "-batch", "-x", script], stdout=log,
                               stderr=subprocess.STDOUT)
        while gdb.poll() is None:
            drain(g, 0.5)
            if time.time() - t_gdb > 300:
                gdb.kill()
                check(False, "gdb finished within 300 s")
                break
    t_gdb = time.time() - t_gdb
    text = open(log_path).read()
    print("---- gdb output ----")
    print(text)
    print("--------------------")

    sk, ki, jf = sym["start_kernel"], sym["kernel_init"], sym["jiffies"]
    check("==attached" in text, "gdb attached")
    check(re.search(r"^cr0\s+0x[0-9a-f]+\s+\[", text, re.M) is not None and
          re.search(r"^efer\s", text, re.M) is not None and re.search(r"^cs_base\s", text, re.M) is not None,
          "info registers shows the system registers (cr0 with its flags, efer, cs_base)")
    check(f"Breakpoint 1, {sk:#010x}" in text, f"software breakpoint stops at start_kernel {sk:#x}")
    check(value_of(text, "at-start-kernel") == sk, "EIP reads start_kernel at the breakpoint")
    m = re.search(r"==qmp-eip (0x[0-9a-f]+) gdb-eip (0x[0-9a-f]+)", text)
    check(m is not None and int(m.group(1), 16) == int(m.group(2), 16) == sk,
          "gdb reads the same EIP the monitor (QMP query-registers) reports")
    check(f"EIP={sk:08x}" in text, "gdb's `monitor info registers` runs the tx86 monitor")
    check(re.search(r"=> " + f"{sk:#x}" + r":\s+\S", text) is not None, "x/i disassembles at $pc")
    e1, e4 = value_of(text, "after-stepi"), value_of(text, "after-stepi-4")
    # Where one instruction leads: a call's or jump's target, else the next instruction.
    lines = re.search(r"=> (0x[0-9a-f]+):\s+(\w+)\s+(\S*)\n\s+(0x[0-9a-f]+):", text)
    expect = None
    if lines:
        branch = lines.group(2) in ("call", "jmp") and re.match(r"0x[0-9a-f]+$", lines.group(3))
        expect = int(lines.group(3), 16) if branch else int(lines.group(4), 16)
    check(e1 is not None and e1 == expect,
          f"stepi executed one instruction: {e1 and hex(e1)} (expected {expect and hex(expect)})")
    check(e4 is not None and e4 != e1, "stepi 4 moved on")
    check(re.search(r"^esp\s+0x[0-9a-f]+", text, re.M) is not None and
          re.search(r"^cr3\s+0x[0-9a-f]+", text, re.M) is not None, "registers read after stepping")
    check(re.search(r"==written\n0x[0-9a-f]+:\s+0x5eedf00d", text) is not None,
          "memory written through the stub reads back")
    w = re.search(r"Hardware watchpoint 2: \*\(unsigned int \*\)" + f"{jf:#x}" +
                  r"\s+Old value = (\d+)\s+New value = (\d+)", text)
    check(w is not None and (int(w.group(2)) - int(w.group(1))) % 2**32 == 1,
          "the write watchpoint on jiffies fires with jiffies one higher")
    check(re.search(r"Hardware read watchpoint 3: \*\(unsigned int \*\)" + f"{jf:#x}" + r"\s+Value = \d+", text)
          is not None, "the read watchpoint on jiffies fires")
    check(f"Breakpoint 4, {ki:#010x}" in text and value_of(text, "at-kernel-init") == ki,
          f"hardware breakpoint stops at kernel_init {ki:#x}")
    check("==detached" in text and gdb.returncode == 0, "gdb detached and exited cleanly")

    # Ctrl-C through the protocol while the guest runs.
    try:
        r = Rsp(port)
        check(r.cmd("?").startswith("T05"), "a new connection stops the guest (?: T05)")
        r.send("c")
        drain(g, 0.3)
        r.s.sendall(b"\x03")
        reply = r.recv()
        check(reply.startswith("T02"), f"Ctrl-C stops the running guest ({reply})")
        check(len(r.cmd("g")) >= 16 * 8, "registers readable after Ctrl-C")
        check(r.cmd("m0,4") != "" and r.cmd("mfffff000,4") == "E14", "unmapped memory reads as E14")
        check(r.cmd("D") == "OK", "detach")
        r.s.close()
    except (OSError, EOFError) as e:
        check(False, f"raw protocol session: {e}")

    g.wait_shell()
    g.poweroff(120)
    check(not guest_driver.BAD.search(g.log), "the kernel reported no problem")
    check(g.proc.returncode == 0, f"tx86 exited with status {g.proc.returncode} after poweroff")
    shutil.rmtree(tmp, ignore_errors=True)
    print(f"gdb session: {t_gdb:.1f} s; whole test: {time.time() - t0:.1f} s")
    if failures:
        print("---- last console lines ----")
        print("\n".join(g.log.splitlines()[-20:]))
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
