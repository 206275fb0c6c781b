#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Boot one Linux guest under armz on a machine without arm64 KVM: armz runs
# inside an emulated arm64 KVM host (qemu-system-aarch64, TCG) and the
# guest's console shows up here, live.
#
#   tests/e2e/boot.sh                       armz run ... -p armz.test=boot
#   tests/e2e/boot.sh -c 2 -p "armz.test=reset"
#
# Options replace the default "-p armz.test=boot"; the guest kernel and
# initrd are always given. Exits with armz's exit status. Ctrl-C stops it.
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

e2e_build boot
initrd=$E2E_DIR/host.cpio
if [ $# -gt 0 ]; then
	# A second cpio appended to the first adds /e2e/boot-args to the
	# host's root: one argument a line, so that spaces survive.
	extra=$E2E_DIR/boot-args.root
	rm -rf "$extra"
	mkdir -p "$extra/e2e"
	printf '%s\n' "$@" >"$extra/e2e/boot-args"
	initrd=$E2E_DIR/boot.cpio
	{
		cat "$E2E_DIR/host.cpio"
		(cd "$extra" && find . | LC_ALL=C sort |
			cpio -o -H newc -R 0:0 --quiet)
	} >"$initrd"
	rm -rf "$extra"
fi

log=$E2E_DIR/boot.log
e2e_qemu "$initrd" "quiet loglevel=1 armz_mode=boot" </dev/null | tee "$log"
status=$(tr -d '\r' <"$log" |
	sed -n 's/.*E2E-HOST: armz exit status \([0-9]*\).*/\1/p')
if [ -z "$status" ] || ! grep -q E2E-DONE "$log"; then
	echo "boot: the emulated host did not finish (see $log)" >&2
	exit 1
fi
exit "$status"
