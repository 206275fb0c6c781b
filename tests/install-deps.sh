#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs what building and testing armz needs on Debian 12. The arm64
# guest kernel, busybox and the aarch64/s390x -dev packages are not
# installed here: the build fetches those .debs and unpacks them itself
# (guests/debian-fetch.sh), so the host's dpkg never learns another
# architecture.
#
# Run it as root, or as a user who may use sudo: the README's commands are
# the same for both, so a user's run asks sudo for the apt-get part. A user
# without sudo gets through only when everything is installed already.
#
# Recommends are not installed, so what the build uses from one is named
# here: libclang-rt-14-dev holds clang's libFuzzer and ASan runtimes.
set -euo pipefail

pkgs=(
	build-essential pkg-config ca-certificates clang
	libclang-rt-14-dev
	libfdt-dev libcap-ng-dev libcunit1-dev libvirt-dev libslirp-dev
	liburing-dev libseccomp-dev zlib1g-dev libzstd-dev liblzma-dev
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross
	gcc-s390x-linux-gnu libc6-dev-s390x-cross
	qemu-system-arm qemu-user-static
	device-tree-compiler cpio kmod xz-utils gzip groff-base man-db
	gdb-multiarch
)

if [ "$EUID" -ne 0 ]; then
	# Nothing to install means nothing to ask root for.
	missing=0
	for p in "${pkgs[@]}"; do
		dpkg-query -W -f='${db:Status-Abbrev}' "$p" 2>/dev/null |
			grep -q '^ii' || missing=$((missing + 1))
	done
	[ "$missing" -gt 0 ] || exit 0
	if command -v sudo >/dev/null; then
		echo "$0: not root: installing through sudo" >&2
		exec sudo -- "$0" "$@"
	fi
	echo "$0: installing packages needs root, and there is no sudo:" \
		"run it as root, or install sudo and give $(id -un) the right" \
		"to use it" >&2
	exit 1
fi

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
