#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the test guest's initramfs: arm64 busybox, the virtio modules of the
# kernel that guests/mkkernel.sh laid out, and guests/init.sh as /init.
#
#   guests/mkinitrd.sh OUTDIR KERNELDIR
#
#   OUTDIR/initrd.cpio.gz   newc cpio, gzip
#   OUTDIR/initrd-stamp     random hex, also baked in as /initrd-stamp so a
#                           test can tell that the guest saw this initrd
#
# guests/randread.c, the 4k random-read benchmark, is built into /bin with
# $GUEST_CC (aarch64-linux-gnu-gcc).
#
# Nothing is rebuilt while the inputs stay the same.
set -euo pipefail

[ $# -eq 2 ] || { echo "usage: $0 OUTDIR KERNELDIR" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out=$1 kdir=$2
ver=$(cat "$kdir/version")

# virtio and virtio_console are built in; virtio_ring comes with virtio.
modules="virtio_mmio virtio_blk virtio_net virtio-rng"

stamp=$out/.stamp
cc=${GUEST_CC:-aarch64-linux-gnu-gcc}
want="$ver $modules $(cat "$here/init.sh" "$0" "$here/copy-modules.sh" \
	"$here/randread.c" |
	sha256sum | cut -c1-16)"
if [ -f "$out/initrd.cpio.gz" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]
then
	exit 0
fi

echo "mkinitrd: building $out/initrd.cpio.gz" >&2
mkdir -p "$out"
bb=$out/busybox.tmp root=$out/root.tmp
rm -rf "$bb" "$root"
"$here/debian-fetch.sh" arm64 "$bb" busybox-static

mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc}
cp "$bb/bin/busybox" "$root/bin/busybox"
# Busybox cannot --install itself for another architecture: ask it for its
# applet list under qemu-user and make the links here.
for applet in $(qemu-aarch64-static "$root/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
ln -s ../bin/busybox "$root/sbin/modprobe"
# The kernel opens /dev/console before /init runs; only root can make the
# node, and init.sh copes without it.
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

# shellcheck disable=SC2086
"$here/copy-modules.sh" "$kdir" "$root" $modules

install -m 0755 "$here/init.sh" "$root/init"
"$cc" -O2 -Wall -Wextra -static -o "$root/bin/randread" "$here/randread.c"
od -An -tx1 -N8 /dev/urandom | tr -d ' \n' >"$out/initrd-stamp"
cp "$out/initrd-stamp" "$root/initrd-stamp"

(cd "$root" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) | gzip -9n >"$out/initrd.cpio.gz.tmp"
mv "$out/initrd.cpio.gz.tmp" "$out/initrd.cpio.gz"
rm -rf "$bb" "$root"
echo "$want" >"$stamp"
