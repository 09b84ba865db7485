#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# -trace-regs: the registers each traced instruction changed, checked against the interpreter's
# own register dumps (-d cpu, printed before every instruction) in the same run. Starting from
# the first dump, applying the trace's changes instruction by instruction must reproduce every
# later dump's general registers, EFLAGS, selectors and CR0/2/3/4 exactly; where an exception
# or interrupt is delivered (its pushes are not an instruction's doing) the replay restarts from
# the handler's dump. A register an instruction changed but the trace missed, or one it reports
# wrongly, makes the next dump disagree.
#
# Usage: trace_regs.py TX86 TX86_TRACE GUEST_IMAGE...
import os
import re
import subprocess
import sys
import tempfile

DUMP_REGS = ["EAX", "ECX", "EDX", "EBX", "ESP", "EBP", "ESI", "EDI"]
TRACE_NAMES = {"eax": "EAX", "ecx": "ECX", "edx": "EDX", "ebx": "EBX", "esp": "ESP", "ebp": "EBP",
               "esi": "ESI", "edi": "EDI", "eflags": "EFL", "es": "ES", "cs": "CS", "ss": "SS",
               "ds": "DS", "fs": "FS", "gs": "GS", "cr0": "CR0", "cr2": "CR2", "cr3": "CR3", "cr4": "CR4"}
INSN = re.compile(r"^\s*(\d+) ([0-9a-f]{4}):([0-9a-f]{8}) lin=\S+ phys=\S+ cpl=\d .*?(?:  ;((?: \w+=[0-9a-f]+)+))?$")
REGS = re.compile(r"^\s*(\d+) regs:((?: \w+=[0-9a-f]+)+)$")
INT = re.compile(r"^\s*(\d+) int: vector=0x([0-9a-f]+) \((\S+)\)")


def parse_dumps(path):
    """-d cpu's dumps, in order: {register: value} each."""
    dumps, cur = [], None
    with open(path) as f:
        for line in f:
            if line.startswith("EAX="):
                cur = {}
                dumps.append(cur)
            if cur is None:
                continue
            for k, v in re.findall(r"\b(E[A-Z]{2}|CR[0-4])=([0-9a-f]+)", line):
                cur[k] = int(v, 16)
            m = re.match(r"^(ES|CS|SS|DS|FS|GS) =([0-9a-f]{4}) ", line)
            if m:
                cur[m.group(1)] = int(m.group(2), 16)
    return dumps


def changes(text):
    return {TRACE_NAMES[k]: int(v, 16) for k, v in re.findall(r" (\w+)=([0-9a-f]+)", text)}


def check_guest(tx86, tool, image, work):
    name = os.path.basename(image)
    log, trace = os.path.join(work, name + ".cpu"), os.path.join(work, name + ".trace")
    r = subprocess.run([tx86, "-bios", image, "-debugcon", "null", "-serial", "null", "-no-reboot",
                        "-d", "cpu", "-D", log, "-trace-file", trace, "-trace-regs"],
                       stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    if r.returncode != 33:
        return [f"{name}: tx86 exited {r.returncode} (33 = the guest passed): {r.stderr[-2000:]}"]
    out = subprocess.run([tool, "print", trace], capture_output=True, text=True, check=True).stdout
    dumps = parse_dumps(log)
    checked = reg_writes = resyncs = 0
    state = None
    pending = {}   # changes of the last instruction, applied when the next one starts
    d = 0          # the next dump to match
    for line in out.splitlines():
        m = INSN.match(line)
        if m:
            eip = int(m.group(3), 16)
            # Dumps of instructions that faulted (no trace line) are passed over by EIP.
            while d < len(dumps) and dumps[d].get("EIP") != eip:
                d += 1
            if d == len(dumps):
                return [f"{name}: no -d cpu dump for the instruction at icount {m.group(1)}"]
            if state is None:
                state = dict(dumps[d])
            else:
                state.update(pending)
                for k in DUMP_REGS + ["EFL", "ES", "CS", "SS", "DS", "FS", "GS", "CR0", "CR2", "CR3", "CR4"]:
                    if state.get(k) != dumps[d].get(k):
                        return [f"{name}: before icount {m.group(1)} (EIP {eip:08x}) the trace's changes give "
                                f"{k}={state.get(k, 0):08x} but -d cpu shows {dumps[d].get(k, 0):08x}\n  {line}"]
                checked += 1
            pending = changes(m.group(4) or "")
            reg_writes += len(pending)
            d += 1
            continue
        m = REGS.match(line)
        if m:  # an INT n's own changes, printed after its delivery line
            c = changes(m.group(2))
            pending.update(c)
            reg_writes += len(c)
            continue
        m = INT.match(line)
        if m and m.group(3) != "software":
            # A delivery's pushes and new CS:EIP are nobody's instruction: start again from the
            # handler's own dump.
            state, pending = None, {}
            resyncs += 1
    if checked < 1000 or reg_writes < 1000:
        return [f"{name}: only {checked} instructions / {reg_writes} register changes checked"]
    print(f"ok:   {name}: {checked} instructions, {reg_writes} register changes agree with -d cpu "
          f"({resyncs} deliveries resynchronised)")
    return []


def main():
    tx86, tool, images = sys.argv[1], sys.argv[2], sys.argv[3:]
    failures = []
    with tempfile.TemporaryDirectory(prefix="tx86-regs-") as work:
        for image in images:
            failures += check_guest(tx86, tool, image, work)
        # Without a trace to add to, -trace-regs is refused.
        r = subprocess.run([tx86, "-trace-regs", "-bios", images[0]], stdin=subprocess.DEVNULL,
                           capture_output=True, text=True, timeout=60)
        if r.returncode != 2 or "give -trace-file FILE or -d exec" not in r.stderr:
            failures.append(f"-trace-regs alone: status {r.returncode}: {r.stderr.strip()}")
        else:
            print("ok:   -trace-regs alone is refused with a clear error")
    for f in failures:
        print("FAIL: " + f)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
