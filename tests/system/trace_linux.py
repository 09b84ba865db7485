#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Whole-system test of instruction tracing on the translator: boots Debian's i386 kernel to the
# busybox shell with -trace-file recording the whole run, runs a command, powers off, and checks
#   - the trace's instruction count (tx86-trace count) equals tx86's own instruction counter at
#     exit, and the trace starts at icount 0 and ends at counter-1 (every instruction recorded
#     exactly once, across hundreds of millions of block entries, interrupts and CR3 loads);
#   - a window cut on read (-dicount) holds exactly that many instructions;
#   - printed lines have the documented shape and disassemble (kernel and user code);
#   - a second boot filtered by tx86 itself to CPL 3 (-dcpl 3) holds only user-mode code;
#   - -d exec,int on the translator prints exactly what the trace file holds for a window;
#   - a tx86 killed while tracing leaves a file tx86-trace reads up to its last whole chunk.
#
# Usage: trace_linux.py TX86 TX86_TRACE [--keep DIR]
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guest_driver  # noqa: E402
from guest_driver import TOP  # noqa: E402

LINE = re.compile(r"^\s*(\d+) ([0-9a-f]{4}):([0-9a-f]{8}) lin=([0-9a-f]{8}) phys=([0-9a-f]{8}) "
                  r"cpl=(\d) ([0-9a-f]+) +(\S.*)$")
failures = []
DETERMINISTIC = ["-icount", "sleep=off", "-rtc", "base=2026-01-01T00:00:00"]


def check(ok, what):
    print(("ok:   " if ok else "FAIL: ") + what)
    if not ok:
        failures.append(what)


def boot(tx86, extra, timeout=300, command="ls /"):
    """Boots to the shell, runs `command`, powers off. Returns (status, stderr text)."""
    argv = guest_driver.linux_argv(tx86, "console=ttyS0", extra)
    print("running:", " ".join(argv))
    err = tempfile.TemporaryFile()
    g = guest_driver.Guest(argv, timeout, stderr=err)
    g.wait_shell()
    g.command(command)
    g.poweroff(max(10, g.deadline - time.time()))
    err.seek(0)
    return g.proc.returncode, err.read().decode("utf-8", "replace")


def trace_tool(tool, *args):
    r = subprocess.run([tool] + list(args), capture_output=True, text=True)
    return r.returncode, r.stdout, r.stderr


def counts(tool, path, *filters):
    st, out, err = trace_tool(tool, "count", path, *filters)
    if st != 0:
        raise SystemExit(f"FAIL: tx86-trace count {path} {' '.join(filters)}: status {st}: {err}")
    d = {}
    for line in out.splitlines():
        k, v = line.split(" ", 1)
        d[k] = v
    return d


def check_lines(lines, what, cpl=None):
    bad = [l for l in lines if not LINE.match(l)]
    check(not bad and len(lines) > 0, f"{what}: {len(lines)} lines in the documented shape"
          + (f" (first bad: {bad[0]!r})" if bad else ""))
    parsed = [LINE.match(l) for l in lines if LINE.match(l)]
    undecoded = [l for l in lines if "(bad)" in l or "bytes unknown" in l]
    check(not undecoded, f"{what}: every line disassembles" + (f" (not: {undecoded[0]!r})" if undecoded else ""))
    # The linear address is CS base + EIP (flat segments in Linux), the physical one shares the
    # page offset, and the bytes printed are the instruction's.
    consistent = all(int(m.group(4), 16) % 4096 == int(m.group(5), 16) % 4096 for m in parsed)
    check(consistent, f"{what}: linear and physical addresses share the page offset")
    if cpl is not None:
        others = [m.group(0) for m in parsed if int(m.group(6)) != cpl]
        check(not others, f"{what}: only CPL {cpl}" + (f" (not: {others[0]!r})" if others else ""))
    return parsed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("tx86")
    ap.add_argument("tx86_trace")
    ap.add_argument("--keep", help="keep the traces in this folder")
    a = ap.parse_args()
    guest_driver.build_guest()
    work = a.keep or tempfile.mkdtemp(prefix="tx86-trace-")
    os.makedirs(work, exist_ok=True)
    tool = a.tx86_trace
    t0 = time.time()

    # 1. The whole run, recorded.
    whole = os.path.join(work, "whole.trace")
    # With a fixed clock (-icount sleep=off, -rtc base=DATE: the guest's RNG seed too) the run
    # repeats exactly until the first key reaches the shell.
    status, err = boot(a.tx86, ["-trace-file", whole] + DETERMINISTIC)
    print(err.strip())
    check(status == 0, f"tx86 exits 0 after poweroff (got {status})")
    m = re.search(r"instruction counter at exit: (\d+)", err)
    check(m is not None, "tx86 reports its instruction counter")
    counter = int(m.group(1)) if m else -1
    c = counts(tool, whole)
    check(int(c["instructions"]) == counter,
          f"trace holds {c['instructions']} instructions = tx86's counter {counter}")
    check(c.get("icount") == f"0..{counter - 1}", f"trace covers icount 0..{counter - 1} (got {c.get('icount')})")
    check(int(c["interrupts"]) > 1000 and int(c["cr3-loads"]) > 10 and int(c["port-writes"]) > 1000,
          f"interrupts {c['interrupts']}, CR3 loads {c['cr3-loads']}, port writes {c['port-writes']}")
    check(c["gaps"] == "0", "no gaps")
    w = counts(tool, whole, "-dicount", "20000000+30000000")
    check(w["instructions"] == "30000000" and w["icount"] == "20000000..49999999",
          f"a -dicount window read back holds exactly 30000000 instructions ({w['instructions']}, {w.get('icount')})")
    st, out, _ = trace_tool(tool, "stats", whole, "--top", "3")
    per_cpl = {int(k): int(v) for k, v in re.findall(r"cpl (\d): +(\d+)", out)}
    check(st == 0 and "hottest instructions" in out and sum(per_cpl.values()) == counter and per_cpl.get(3, 0) > 0,
          f"stats: instructions per CPL {per_cpl} add up to the counter")
    st, out, _ = trace_tool(tool, "print", whole, "-dicount", "100000000+20", "--no-events")
    check_lines(out.splitlines(), "kernel print", cpl=0)
    st, out, _ = trace_tool(tool, "diff", whole, whole, "-dicount", "0+2000000")
    check(st == 0 and out.startswith("identical: 2000000"), f"a trace equals itself ({out.strip()})")

    # 2. Filtered by tx86 itself: only CPL 3. The same deterministic boot, cut before the shell
    # reads anything: it must hold exactly the user-mode instructions the whole trace holds up
    # to there (most of the recorder's buffers, all kernel code, never reach its consumer).
    user_trace = os.path.join(work, "user.trace")
    cut_at = 6_818_000_000  # user mode starts at 6.8127e9, the prompt appears at 6.8202e9
    r = subprocess.run(guest_driver.linux_argv(a.tx86, "console=ttyS0", [
        "-trace-file", user_trace, "-dcpl", "3", "-exit-at-icount", str(cut_at)] + DETERMINISTIC),
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 0, f"filtered run exits 0 (got {r.returncode})")
    u = counts(tool, user_trace)
    k = counts(tool, user_trace, "-dcpl", "0,1,2")
    check(int(u["instructions"]) > 100000 and k["instructions"] == "0",
          f"-dcpl 3 trace: {u['instructions']} instructions, none at CPL 0-2")
    # (-exit-at-icount stops between execution chunks: the run's own counter says where.)
    m = re.search(r"instruction counter at exit: (\d+)", r.stderr)
    ran = int(m.group(1)) if m else 0
    same = counts(tool, whole, "-dcpl", "3", "-dicount", f"0+{ran}")
    check(ran >= cut_at and u["instructions"] == same["instructions"] and u["interrupts"] == same["interrupts"],
          f"-dcpl 3 recorded = the whole trace read with -dcpl 3 up to icount {ran}: "
          f"{u['instructions']} = {same['instructions']} instructions, {u['interrupts']} = {same['interrupts']} interrupts")
    st, out, _ = trace_tool(tool, "print", user_trace, "--limit", "300", "--no-events")
    parsed = check_lines(out.splitlines(), "user print", cpl=3)
    check(all(int(p.group(4), 16) < 0xC0000000 for p in parsed), "user code lies below 0xc0000000")
    print("\n".join(out.splitlines()[:4]))

    # 3. -d exec,int on the translator prints what the trace file holds, interrupts in place.
    guest = os.path.join(TOP, "cache", "guest")
    log = os.path.join(work, "exec.log")
    window_trace = os.path.join(work, "window.trace")
    r = subprocess.run([a.tx86, "-m", "256", "-nographic", "-no-reboot", "-kernel", os.path.join(guest, "bzImage"),
                        "-initrd", os.path.join(guest, "initrd.gz"), "-append", "console=ttyS0",
                        "-icount", "sleep=off", "-d", "exec,int", "-D", log, "-trace-file", window_trace,
                        # Under -icount sleep=off the boot is deterministic: a timer
                        # interrupt arrives at icount 3003454434.
                        "-dicount", "3003400000+200000", "-exit-at-icount", "3003600000"],
                       stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    check(r.returncode == 0, f"-d exec run exits 0 (got {r.returncode})")
    with open(log, errors="replace") as f:
        # The CPU's own "int: vec=" lines (printed when delivered) are not the recorder's.
        logged = [l.rstrip("\n") for l in f if not l.startswith("int: vec=")]
    st, out, _ = trace_tool(tool, "print", window_trace)
    printed = [l[13:] for l in out.splitlines() if not l[13:].startswith(("cr3:", "out:"))]
    check(len(logged) > 200000 and logged == printed,
          f"-d exec,int prints the trace file's {len(printed)} lines, in order")
    check(any(l.startswith("int: vector=") for l in logged), "interrupts appear among the instructions")
    check_lines(["0 " + l for l in logged if not l.startswith("int:")][:5000], "-d exec log")

    # 3. tx86 killed while tracing: the file reads up to its last whole chunk.
    cut = os.path.join(work, "killed.trace")
    if os.path.exists(cut):
        os.remove(cut)
    p = subprocess.Popen([a.tx86, "-m", "256", "-nographic", "-no-reboot", "-kernel",
                          os.path.join(guest, "bzImage"), "-initrd", os.path.join(guest, "initrd.gz"),
                          "-append", "console=ttyS0", "-trace-file", cut],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 60
    while time.time() < deadline and (not os.path.exists(cut) or os.path.getsize(cut) < 3_000_000):
        time.sleep(0.2)
    p.send_signal(signal.SIGKILL)
    p.wait()
    st, out, err = trace_tool(tool, "count", cut)
    n = re.search(r"instructions (\d+)", out)
    check(st == 0 and "cut short" in err and n and int(n.group(1)) > 1000000,
          f"a killed run's trace reads ({out.splitlines()[0] if out else '-'}; {err.strip()})")

    if not a.keep:
        shutil.rmtree(work, ignore_errors=True)
    if failures:
        print(f"FAIL: {len(failures)} checks failed")
        sys.exit(1)
    print(f"PASS ({time.time() - t0:.1f} s)")


if __name__ == "__main__":
    main()
