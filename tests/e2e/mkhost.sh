#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs of the emulated arm64 KVM host: busybox, host-init.sh
# as /init, the cases, a static aarch64 armz, the guest kernel and initrd,
# the bare-metal test payloads and the tun module.
#
#   tests/e2e/mkhost.sh OUT.cpio ARMZ KERNELDIR GUESTDIR PAYLOADDIR
#
# KERNELDIR comes from guests/mkkernel.sh (the host runs the same kernel as
# its guests), GUESTDIR from guests/mkinitrd.sh. The cpio is left
# uncompressed: gunzip of a 35 MB kernel under TCG costs seconds, a copy not.
set -euo pipefail

[ $# -eq 5 ] || {
	echo "usage: $0 OUT.cpio ARMZ KERNELDIR GUESTDIR PAYLOADDIR" >&2
	exit 2
}
here=$(cd "$(dirname "$0")" && pwd)
guests=$here/../../guests
out=$1 armz=$2 kdir=$3 gdir=$4 pdir=$5

# A dynamic armz would find no libc in the host.
if ! readelf -h "$armz" 2>/dev/null | grep -q 'Machine:.*AArch64' ||
   readelf -l "$armz" | grep -q INTERP; then
	echo "$0: $armz is not a static aarch64 executable" >&2
	exit 1
fi

root=$out.root
rm -rf "$root"
mkdir -p "$root"/{bin,sbin,dev,proc,sys,tmp,etc,guest,e2e,payloads}

bb=$out.busybox
rm -rf "$bb"
"$guests/debian-fetch.sh" arm64 "$bb" busybox-static
cp "$bb/bin/busybox" "$root/bin/busybox"
rm -rf "$bb"
for applet in $(qemu-aarch64-static "$root/bin/busybox" --list); do
	[ "$applet" = busybox ] || ln -s busybox "$root/bin/$applet"
done
mknod -m 600 "$root/dev/console" c 5 1 2>/dev/null || true

"$guests/copy-modules.sh" "$kdir" "$root" tun

install -m 0755 "$here/host-init.sh" "$root/init"
install -m 0755 "$here/cases.sh" "$root/e2e/cases.sh"
install -m 0755 "$armz" "$root/bin/armz"
cp "$kdir/Image" "$gdir/initrd.cpio.gz" "$gdir/initrd-stamp" "$root/guest/"
cp "$pdir"/*.bin "$pdir"/*.elf "$root/payloads/"

(cd "$root" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$root"
