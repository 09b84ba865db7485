#!/usr/bin/env bash
# Builds the default Linux guest: Debian's i386 kernel (linux-image-686) and an initramfs with
# Debian's static busybox whose init mounts proc/sys/devtmpfs and gives a shell on the serial
# console, plus our own test programs from tests/guest/linux/ (/bin/sysloop). Everything is
# cached in cache/guest/ (re-running is quick); the initramfs is rebuilt when this script or
# one of those programs' sources is newer than it.
# Output: cache/guest/bzImage and cache/guest/initrd.gz
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=cache/guest
mkdir -p "$OUT/debs"
# Tests run in parallel and each asks for the guest: one builds it, the others wait for it.
exec 9>"$OUT/.lock"
flock 9

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi

# Our own guest programs (nasm sources, static i386 ELF, no libc).
GUEST_PROGRAMS=(tests/guest/linux/sysloop.asm)

up_to_date() {
  [ -f "$OUT/bzImage" ] && [ -f "$OUT/initrd.gz" ] && [ "$OUT/initrd.gz" -nt scripts/build-guest.sh ] || return 1
  local src
  for src in "${GUEST_PROGRAMS[@]}"; do
    [ "$OUT/initrd.gz" -nt "$src" ] || return 1
  done
}
if up_to_date; then
  exit 0
fi

if ! dpkg --print-foreign-architectures | grep -qx i386; then
  $SUDO dpkg --add-architecture i386
  $SUDO apt-get update -qq || true
fi

cd "$OUT/debs"
if ! ls linux-image-*-686_*.deb >/dev/null 2>&1 || ! ls busybox-static_*.deb >/dev/null 2>&1; then
  # linux-image-686 is a metapackage: download the versioned image it depends on.
  image_pkg=$(apt-cache depends linux-image-686:i386 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  if [ -z "$image_pkg" ]; then
    $SUDO apt-get update -qq || true
    image_pkg=$(apt-cache depends linux-image-686:i386 | awk '/Depends: linux-image-[0-9]/ {print $2; exit}')
  fi
  [ -n "$image_pkg" ] || { echo "build-guest: cannot resolve linux-image-686:i386" >&2; exit 1; }
  apt-get download "$image_pkg" busybox-static:i386 2>/dev/null
fi
cd - >/dev/null

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
dpkg-deb -x "$(ls "$OUT"/debs/linux-image-*-686_*.deb | head -n1)" "$work/kernel"
dpkg-deb -x "$(ls "$OUT"/debs/busybox-static_*.deb | head -n1)" "$work/busybox"
# Outputs appear atomically (rename), so a reader never sees half a file.
cp "$(ls "$work"/kernel/boot/vmlinuz-* | head -n1)" "$OUT/bzImage.tmp"
mv "$OUT/bzImage.tmp" "$OUT/bzImage"

root="$work/root"
mkdir -p "$root"/{bin,sbin,usr/bin,usr/sbin,proc,sys,dev,tmp,etc,root}
cp "$work/busybox/bin/busybox" "$root/bin/busybox"
# busybox init runs as PID 1 (so that `poweroff` in the shell powers the machine off).
ln -s bin/busybox "$root/init"
# They are linked at 0x0a000000, away from busybox (0x08048000), so that their first
# instruction is an address only they run: a trace can start there (-dstart addr=0x0a000000).
for src in "${GUEST_PROGRAMS[@]}"; do
  name=$(basename "$src" .asm)
  nasm -f elf32 -o "$work/$name.o" "$src"
  ld -m elf_i386 -s -Ttext=0x0a000000 -o "$root/bin/$name" "$work/$name.o"
done
mkdir -p "$root/etc/init.d"
cat > "$root/etc/inittab" <<'INITTAB'
::sysinit:/etc/init.d/rcS
::respawn:/bin/busybox cttyhack /bin/sh -l
::shutdown:/bin/busybox umount -a -r
INITTAB
cat > "$root/etc/init.d/rcS" <<'RCS'
#!/bin/busybox sh
/bin/busybox mount -t proc proc /proc
/bin/busybox --install -s
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
echo "tx86 guest: busybox shell ready"
RCS
chmod 755 "$root/etc/init.d/rcS"
echo 'export PS1="~ # "' > "$root/etc/profile"

python3 scripts/mkcpio.py "$root" | gzip -9 > "$OUT/initrd.gz.tmp"
mv "$OUT/initrd.gz.tmp" "$OUT/initrd.gz"
echo "build-guest: $OUT/bzImage $OUT/initrd.gz"
