#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Copy a few kernel modules and everything they depend on into an initramfs
# tree, with a modules.dep of their own so that busybox modprobe works there.
#
#   guests/copy-modules.sh KERNELDIR ROOTDIR MODULE...
#
# KERNELDIR is what guests/mkkernel.sh made. A module that the kernel has
# built in is skipped; one that exists neither way is an error.
set -euo pipefail

[ $# -ge 3 ] || { echo "usage: $0 KERNELDIR ROOTDIR MODULE..." >&2; exit 2; }
kdir=$1 root=$2
shift 2
ver=$(cat "$kdir/version")
src=$kdir/lib/modules/$ver
dst=$root/lib/modules/$ver
mkdir -p "$dst"

# Module names treat '-' and '_' alike; files keep the spelling they have
# (and their compression, .ko.xz, when the kernel decompresses itself).
path_of() {
	local re
	re=${1//[-_]/[-_]}
	grep -E "(^|/)$re\.ko(\.xz)?:" "$src/modules.dep" | cut -d: -f1 || true
}

builtin() {
	local re
	re=${1//[-_]/[-_]}
	grep -qE "(^|/)$re\.ko$" "$src/modules.builtin"
}

for mod in "$@"; do
	path=$(path_of "$mod")
	if [ -z "$path" ]; then
		builtin "$mod" && continue
		echo "$0: no module $mod in $ver" >&2
		exit 1
	fi
	deps=$(grep "^$path:" "$src/modules.dep" | cut -d: -f2)
	for p in $path $deps; do
		mkdir -p "$dst/$(dirname "$p")"
		cp "$src/$p" "$dst/$p"
	done
done
cp "$src/modules.builtin" "$src/modules.builtin.modinfo" "$src/modules.order" \
	"$dst/"
depmod -b "$root" "$ver"
