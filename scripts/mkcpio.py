#!/usr/bin/env python3
# Writes a "newc" cpio archive of a directory tree to stdout (the initramfs format), so the
# guest build needs no cpio package. Owner/group are 0; symlinks are kept as symlinks.
import os
import stat
import sys


def header(name, st, size, ino):
    fields = [ino, st.st_mode, 0, 0, 1, 0, size, 0, 0, 0, 0, len(name) + 1, 0]
    return b"070701" + b"".join(b"%08X" % f for f in fields) + name.encode() + b"\0"


def pad(n):
    return b"\0" * ((4 - n % 4) % 4)


def main():
    top = sys.argv[1]
    out = sys.stdout.buffer
    ino = 1
    for dirpath, dirnames, filenames in os.walk(top):
        dirnames.sort()
        for name in [""] + sorted(dirnames) + sorted(filenames):
            path = os.path.join(dirpath, name) if name else dirpath
            rel = os.path.relpath(path, top)
            if rel == ".":
                continue
            st = os.lstat(path)
            if stat.S_ISLNK(st.st_mode):
                data = os.readlink(path).encode()
            elif stat.S_ISREG(st.st_mode):
                with open(path, "rb") as f:
                    data = f.read()
            else:
                data = b""
            h = header(rel, st, len(data), ino)
            out.write(h + pad(len(h)) + data + pad(len(data)))
            ino += 1
    st = os.lstat(top)
    h = b"070701" + b"".join(b"%08X" % f for f in [0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 11, 0]) + b"TRAILER!!!\0"
    out.write(h + pad(len(h)))


main()
