#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# Addresses of kernel symbols in the default Linux guest, for tests that set breakpoints and
# watchpoints (Debian's kernel package ships no real System.map). Boots the guest once with
# `nokaslr` (so the kernel sits at its link address), greps /proc/kallsyms in the busybox shell
# and caches the result in cache/guest/kallsyms.txt; later calls read the cache. Tests run in
# parallel, so the build is serialized with flock, as scripts/build-guest.sh does.
#
# Debian's kernel lists only code in /proc/kallsyms (no CONFIG_KALLSYMS_ALL), so `jiffies` is
# found in the code that writes it: do_timer() is `jiffies_64 += ticks`, whose first
# instruction with an absolute memory destination is the add to jiffies_64's low word (which
# is `jiffies` on little-endian i386). tx86's own monitor disassembles it (x/i).
#
# Usage (also importable: symbols(tx86, names)): guest_kallsyms.py TX86 NAME...
import fcntl
import os
import re
import socket
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import guest_driver  # noqa: E402
from guest_driver import GUEST, TOP  # noqa: E402,F401

CACHE = os.path.join(GUEST, "kallsyms.txt")
# Always looked up together, so that one boot serves every test.
DEFAULT_NAMES = ["start_kernel", "kernel_init", "do_timer", "do_idle"]
# Derived from the code (see above), not listed by kallsyms.
DERIVED = ["jiffies"]
APPEND = "console=ttyS0 nokaslr"


def _read_cache():
    out = {}
    if not os.path.exists(CACHE) or os.path.getmtime(CACHE) < os.path.getmtime(os.path.join(GUEST, "bzImage")):
        return out
    for line in open(CACHE):
        parts = line.split()
        if len(parts) == 3:
            out[parts[2]] = int(parts[0], 16)
    return out


def _monitor(sock_path, command):
    """One command on tx86's human monitor socket; returns its output."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sock_path)
    buf = b""
    while not buf.endswith(b"(tx86) "):
        buf += s.recv(65536)
    s.sendall(command.encode() + b"\n")
    buf = b""
    while not buf.endswith(b"(tx86) "):
        buf += s.recv(65536)
    s.close()
    return buf.decode()[: -len("(tx86) ")]


def _boot_and_grep(tx86, names):
    sock = os.path.join(tempfile.mkdtemp(prefix="tx86-kallsyms-"), "monitor.sock")
    argv = guest_driver.linux_argv(tx86, APPEND, ["-monitor", f"unix:{sock},server,nowait"])
    g = guest_driver.Guest(argv, 300)
    g.wait_shell()
    pattern = " ".join("-e " + n for n in names)
    st, out = g.command(f"grep -w {pattern} /proc/kallsyms")
    found = {}
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]{8}) (\w) (\w+)$", line.strip())
        if m and m.group(3) in names and int(m.group(1), 16) != 0:
            found[m.group(3)] = (int(m.group(1), 16), m.group(2))
    if "do_timer" in found:
        code = _monitor(sock, f"x/8i {found['do_timer'][0]:#x}")
        m = re.search(r"add dword ptr \[(0x[0-9a-f]+)\], e[a-d]x", code)
        if m:
            found["jiffies"] = (int(m.group(1), 16), "D")
    g.proc.stdin.write(b"poweroff\n")
    g.proc.stdin.flush()
    g.proc.communicate(timeout=60)
    return found


def symbols(tx86, names):
    """Returns {name: address} for `names`, booting the guest once if the cache lacks any."""
    want = list(dict.fromkeys(DEFAULT_NAMES + DERIVED + list(names)))
    os.makedirs(GUEST, exist_ok=True)
    with open(os.path.join(GUEST, ".kallsyms.lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        have = _read_cache()
        if not all(n in have for n in want):
            found = _boot_and_grep(tx86, [n for n in want if n not in DERIVED])
            missing = [n for n in want if n not in found]
            if missing:
                raise RuntimeError(f"symbols not in the guest's /proc/kallsyms: {missing}")
            tmp = CACHE + ".tmp"
            with open(tmp, "w") as f:
                for n in want:
                    f.write(f"{found[n][0]:08x} {found[n][1]} {n}\n")
            os.replace(tmp, CACHE)
            have = {n: found[n][0] for n in want}
    return {n: have[n] for n in names}


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit("usage: guest_kallsyms.py TX86 NAME...")
    for name, addr in symbols(sys.argv[1], sys.argv[2:]).items():
        print(f"{addr:08x} {name}")
