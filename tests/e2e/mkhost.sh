#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the initramfs of the emulated arm64 KVM host: busybox, host-init.sh
# as /init, the cases, a static aarch64 armz with its armz-init, the guest
# kernel and initrd, the bare-metal test payloads and the tun module.
#
#   tests/e2e/mkhost.sh [--generic KDIR] [--armz-dyn ARMZ SYSROOT]
#                       [--mkzboot TOOL]
#                       OUT.cpio ARMZ KERNELDIR GUESTDIR PAYLOADDIR
#
# KERNELDIR comes from guests/mkkernel.sh (the host runs the same kernel as
# its guests), GUESTDIR from guests/mkinitrd.sh. The cpio is left
# uncompressed: gunzip of a 35 MB kernel under TCG costs seconds, a copy not.
#
# --generic adds Debian's generic kernel (guests/mkkernel.sh KDIR generic)
# as /guest/Image-generic, with the modules run-a-command mode loads in
# the host's /lib/modules, where armz looks for them, and its config
# beside it as /guest/config-RELEASE, where armz finds it to check the
# kernel before booting. --mkzboot adds the guest kernel in two more
# forms: /guest/Image.gz, and /guest/Image.zboot, an EFI zboot image
# (zstd) that TOOL (tests/tools/mkzboot.c) makes. --armz-dyn adds a
# dynamically linked armz (user-mode networking needs libslirp, which has
# no static library) as /bin/armz-dyn, with the libraries it needs from
# SYSROOT and the cross toolchain. QEMU's virtiofsd, with its libraries,
# is always there, at /usr/lib/qemu/virtiofsd as in Debian.
set -euo pipefail

usage() {
	echo "usage: $0 [--generic KDIR] [--armz-dyn ARMZ SYSROOT]" \
		"[--mkzboot TOOL] OUT.cpio ARMZ KERNELDIR GUESTDIR PAYLOADDIR" >&2
	exit 2
}
generic='' armz_dyn='' sysroot='' mkzboot='' fsd_root=''
while [ $# -gt 0 ]; do
	case $1 in
	--generic) [ $# -ge 2 ] || usage; generic=$2; shift 2 ;;
	--mkzboot) [ $# -ge 2 ] || usage; mkzboot=$2; shift 2 ;;
	--armz-dyn) [ $# -ge 3 ] || usage; armz_dyn=$2 sysroot=$3; shift 3 ;;
	-*) usage ;;
	*) break ;;
	esac
done
[ $# -eq 5 ] || usage
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
# Users for armz --user: root and nobody, as Debian numbers them.
mkdir -p "$root/root"
chmod 0700 "$root/root"
printf '%s\n' 'root:x:0:0:root:/root:/bin/sh' \
	'nobody:x:65534:65534:nobody:/nonexistent:/bin/false' \
	>"$root/etc/passwd"
printf '%s\n' 'root:x:0:' 'nogroup:x:65534:' >"$root/etc/group"

# virtio_mmio and virtio_net: the NIC gdb reaches the host through.
"$guests/copy-modules.sh" "$kdir" "$root" tun vhost_net virtio_mmio \
	virtio_net

install -m 0755 "$here/host-init.sh" "$root/init"
install -m 0755 "$here/cases.sh" "$root/e2e/cases.sh"
install -m 0755 "$here/bench-host.sh" "$root/e2e/bench-host.sh"
install -m 0755 "$armz" "$root/bin/armz"
# By these names armz speaks kvmtool's command line, as make install links.
for n in lkvm lkvm-static vm; do
	ln -sf armz "$root/bin/$n"
done
# armz looks for its guest init beside itself.
install -m 0755 "$(dirname "$armz")/armz-init" "$root/bin/armz-init"
cp "$kdir/Image" "$gdir/initrd.cpio.gz" "$gdir/initrd-stamp" "$root/guest/"
cp "$pdir"/*.bin "$pdir"/*.elf "$root/payloads/"
if [ -n "$mkzboot" ]; then
	gzip -n <"$kdir/Image" >"$root/guest/Image.gz"
	"$mkzboot" zstd "$kdir/Image" "$root/guest/Image.zboot"
fi

if [ -n "$generic" ]; then
	cp "$generic/Image" "$root/guest/Image-generic"
	cp "$generic/config" "$root/guest/config-$(cat "$generic/version")"
	"$guests/copy-modules.sh" "$generic" "$root" \
		virtio_mmio virtio_console 9pnet_virtio 9p overlay virtiofs
fi

# The shared libraries armz-dyn and virtiofsd need, and theirs: from the
# sysroot armz-dyn was linked against or the packages virtiofsd came
# with, libc from the cross toolchain.
lib_find() {
	local d s
	for s in $sysroot $fsd_root; do
		for d in "$s/lib/aarch64-linux-gnu" \
			 "$s/usr/lib/aarch64-linux-gnu"; do
			if [ -e "$d/$1" ]; then
				echo "$d/$1"
				return 0
			fi
		done
	done
	if [ -e "/usr/aarch64-linux-gnu/lib/$1" ]; then
		echo "/usr/aarch64-linux-gnu/lib/$1"
		return 0
	fi
	echo "$0: $1 is not in $sysroot $fsd_root" >&2
	return 1
}

# The dynamic loader of an executable, from the cross toolchain.
interp_copy() {
	local interp
	interp=$(readelf -l "$1" | sed -n 's/.*interpreter: \(.*\)\]/\1/p')
	[ -e "$root/$interp" ] && return 0
	mkdir -p "$root/$(dirname "$interp")"
	cp -L "$(lib_find "${interp##*/}")" "$root/$interp"
	chmod 0755 "$root/$interp"
}

lib_copy() {
	local lib path dst=$root/lib/aarch64-linux-gnu
	for lib in $(readelf -d "$1" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
	do
		[ -e "$dst/$lib" ] && continue
		path=$(lib_find "$lib")
		cp -L "$path" "$dst/$lib"
		lib_copy "$path"
	done
}

mkdir -p "$root/lib/aarch64-linux-gnu"
if [ -n "$armz_dyn" ]; then
	install -m 0755 "$armz_dyn" "$root/bin/armz-dyn"
	lib_copy "$armz_dyn"
	interp_copy "$armz_dyn"
fi

# virtio-fs: QEMU's virtiofsd from Debian's arm64 qemu-system-common, where
# armz looks for it, with its libraries.
fsd_root=$out.virtiofsd
rm -rf "$fsd_root"
"$guests/debian-fetch.sh" arm64 "$fsd_root" qemu-system-common \
	libseccomp2 libcap-ng0 libglib2.0-0 libnuma1 libpcre2-8-0
mkdir -p "$root/usr/lib/qemu"
install -m 0755 "$fsd_root/usr/lib/qemu/virtiofsd" "$root/usr/lib/qemu/"
lib_copy "$fsd_root/usr/lib/qemu/virtiofsd"
interp_copy "$fsd_root/usr/lib/qemu/virtiofsd"
rm -rf "$fsd_root"

(cd "$root" && find . | LC_ALL=C sort |
	cpio -o -H newc -R 0:0 --quiet) >"$out.tmp"
mv "$out.tmp" "$out"
rm -rf "$root"
