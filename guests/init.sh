#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test guest. It does one thing, chosen by armz.test=NAME on the
# kernel command line, prints what the host side checks, then powers off.
# It never waits for input: a test that goes wrong ends in poweroff, and one
# that hangs is caught by the host's timeout.

PATH=/bin:/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
# Without a /dev/console node at boot the kernel could not give us one.
if (: </dev/console >/dev/console) 2>/dev/null; then
	exec </dev/console >/dev/console 2>&1
fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys

param() {
	for w in $(cat /proc/cmdline); do
		case $w in
		"$1"=*) echo "${w#*=}"; return 0 ;;
		esac
	done
	return 1
}

# The console is a tty: what echo wrote may still sit in its buffer when
# the machine goes away. stty sets the line with TCSADRAIN, which waits.
drain() {
	stty -F /dev/console -ixany 2>/dev/null || sleep 1
}

off() {
	drain
	poweroff -f
	echo "armz-guest: poweroff failed"
	while :; do sleep 3600; done
}

die() {
	echo "armz-guest: error: $*"
	off
}

load() {
	for m in "$@"; do
		modprobe "$m" || echo "armz-guest: modprobe $m failed"
	done
}

# chosen/armz,reset-count is one big-endian u32.
reset_count() {
	f=/sys/firmware/devicetree/base/chosen/armz,reset-count
	[ -f "$f" ] || return 1
	# shellcheck disable=SC2046
	set -- $(od -An -tu1 -v "$f")
	[ $# -eq 4 ] || return 1
	echo $(($1 << 24 | $2 << 16 | $3 << 8 | $4))
}

# armz's test-exit device times boot to userspace when BOOTED is written.
booted() {
	for d in /sys/firmware/devicetree/base/test-exit@*; do
		grep -qs armz,test-exit "$d/compatible" || continue
		devmem "$(printf 0x%x $((0x${d##*@} + 8)))" 32 1
	done
}

booted
echo ARMZ-GUEST-UP
echo "guest-uptime=$(cut -d' ' -f1 /proc/uptime)"
test=$(param armz.test) || test=boot
echo "armz-guest: test=$test"

case $test in
boot)
	echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "cmdline=$(cat /proc/cmdline)"
	echo "initrd-stamp=$(cat /initrd-stamp)"
	off
	;;
reset)
	n=$(reset_count) || die "no readable chosen/armz,reset-count"
	echo "reset-count=$n"
	if [ "$n" -eq 0 ]; then
		drain
		reboot -f
		die "reboot failed"
	fi
	off
	;;
hang)
	echo "armz-guest: hanging"
	while :; do sleep 3600; done
	;;
panic)
	drain
	echo c >/proc/sysrq-trigger
	die "still alive after sysrq-c"
	;;
# New tests go here: disks (virtio_blk), net (virtio_net), console, rng.
modules)
	load virtio_mmio
	lsmod
	off
	;;
*)
	die "unknown test '$test'"
	;;
esac
