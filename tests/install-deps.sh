#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Installs what building and testing armz needs on Debian 12, as root. The
# arm64 guest kernel, busybox and the aarch64/s390x -dev packages are not
# installed here: the build fetches those .debs and unpacks them itself
# (guests/debian-fetch.sh), so the host's dpkg never learns another
# architecture.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends \
	build-essential pkg-config ca-certificates clang \
	libfdt-dev libcap-ng-dev libcunit1-dev libvirt-dev libslirp-dev \
	liburing-dev libseccomp-dev zlib1g-dev libzstd-dev liblzma-dev \
	gcc-aarch64-linux-gnu libc6-dev-arm64-cross \
	gcc-s390x-linux-gnu libc6-dev-s390x-cross \
	qemu-system-arm qemu-user-static \
	device-tree-compiler cpio kmod xz-utils gzip groff-base man-db \
	gdb-multiarch >/dev/null
