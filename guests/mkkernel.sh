#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Fetch Debian's newest arm64 cloud kernel and lay it out for booting:
#
#   guests/mkkernel.sh OUTDIR [cloud|generic]
#
#   OUTDIR/Image                  raw arm64 Image (Debian's vmlinuz is one)
#   OUTDIR/lib/modules/VER/       modules with modules.dep: decompressed for
#                                 cloud (busybox insmod reads no xz), left
#                                 as .ko.xz for generic (the kernel reads them)
#   OUTDIR/version                VER
#   OUTDIR/config                 the kernel's .config
#
# The same cloud kernel serves as the emulated KVM host and as the nested
# guest. The generic flavour, of the same version, is for run-a-command mode,
# which needs 9p (the cloud kernel has none). The work is skipped when
# OUTDIR already holds the newest kernel.
set -euo pipefail

[ $# -eq 1 ] || [ $# -eq 2 ] || {
	echo "usage: $0 OUTDIR [cloud|generic]" >&2; exit 2; }
here=$(cd "$(dirname "$0")" && pwd)
out=$1 flavour=${2:-cloud}

pkg=$("$here/debian-fetch.sh" --newest arm64 \
	'^linux-image-[0-9].*-cloud-arm64-unsigned$')
[ -n "$pkg" ] || { echo "$0: no arm64 cloud kernel package found" >&2; exit 1; }
case $flavour in
cloud) ;;
generic) pkg=${pkg/-cloud-arm64-/-arm64-} ;;
*) echo "$0: flavour '$flavour': cloud or generic" >&2; exit 2 ;;
esac

stamp=$out/.stamp
want="$pkg $(sha256sum "$0" | cut -c1-16)"
if [ -f "$out/Image" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
	exit 0
fi

echo "mkkernel: unpacking $pkg" >&2
rm -rf "$out"
tmp=$out.tmp
rm -rf "$tmp"
mkdir -p "$tmp"
"$here/debian-fetch.sh" arm64 "$tmp" "$pkg"

vmlinuz=$(ls "$tmp"/boot/vmlinuz-*)
ver=${vmlinuz##*/vmlinuz-}
[ -d "$tmp/lib/modules/$ver" ] || {
	echo "$0: $pkg has no lib/modules/$ver" >&2; exit 1; }

# Busybox's insmod cannot read xz-compressed modules; the .deb ships no
# modules.dep either, so build it after decompressing.
if [ "$flavour" = cloud ]; then
	find "$tmp/lib/modules/$ver" -name '*.ko.xz' -print0 |
		xargs -0 -r -n 64 -P "$(nproc)" xz -d
fi
depmod -b "$tmp" "$ver"

mkdir -p "$out"
mv "$vmlinuz" "$out/Image"
mv "$tmp/boot/config-$ver" "$out/config"
mkdir -p "$out/lib/modules"
mv "$tmp/lib/modules/$ver" "$out/lib/modules/"
echo "$ver" >"$out/version"
rm -rf "$tmp"
echo "$want" >"$stamp"
