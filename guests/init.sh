#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the test guest. It does one thing, chosen by armz.test=NAME on the
# kernel command line, prints what the host side checks, then powers off.
# It never waits for input: a test that goes wrong ends in poweroff, and one
# that hangs is caught by the host's timeout.

PATH=/bin:/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t proc proc /proc
mount -t sysfs sysfs /sys
# console=hvc0 (armz --console virtio): virtio-mmio is a module in Debian's
# cloud kernel, so hvc0, and with it /dev/console, appears once it is in.
if grep -q 'console=hvc0' /proc/cmdline; then
	modprobe virtio_mmio
	n=50
	while [ ! -e /dev/hvc0 ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
	# No trial open here: the last close of a tty drops the input that
	# it already took in, and the host may have typed ahead.
	[ -e /dev/hvc0 ] && exec </dev/console >/dev/console 2>&1
# Without a /dev/console node at boot the kernel could not give us one.
elif (: </dev/console >/dev/console) 2>/dev/null; then
	exec </dev/console >/dev/console 2>&1
fi

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

guest_test() {
	"test_$1"
}

load() {
	for m in "$@"; do
		modprobe "$m" || echo "armz-guest: modprobe $m failed"
	done
}

# reset_once N: the first boot (N = 0) resets the machine, the second
# powers it off.
reset_once() {
	if [ "$1" -eq 0 ]; then
		drain
		reboot -f
		die "reboot failed"
	fi
	off
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

# --------------------------------------------------- device tests

# wait_for PATH [TENTHS]: device nodes appear when their driver probes.
wait_for() {
	_n=${2:-50}
	while [ ! -e "$1" ] && [ "$_n" -gt 0 ]; do
		sleep 0.1
		_n=$((_n - 1))
	done
	[ -e "$1" ]
}

md5() {
	md5sum | cut -d' ' -f1
}

disk_up() {
	load virtio_mmio virtio_blk
	wait_for /dev/vda || die "no /dev/vda"
}

# A random pattern, its checksum printed for the host to compare against
# what it finds in the image file.
pattern() {
	dd if=/dev/urandom of=/tmp/pat bs=64k count="$1" 2>/dev/null
	echo "pattern-md5=$(md5 </tmp/pat)"
}

# Guest-side results are single KEY=VALUE lines; the host compares them
# with what it sees in the image files, on the tap device, and so on.
test_blk_write() {
	disk_up
	pattern 64
	# 4 MiB at 1 MiB + 64 KiB, straight to the device, then a flush.
	dd if=/tmp/pat of=/dev/vda bs=64k seek=17 oflag=direct conv=fsync \
		2>/dev/null && echo blk-write=ok
	echo 3 >/proc/sys/vm/drop_caches
	echo "readback-md5=$(dd if=/dev/vda bs=64k skip=17 count=64 \
		iflag=direct 2>/dev/null | md5)"
}

test_blk_ro() {
	disk_up
	echo "ro-flag=$(cat /sys/block/vda/ro)"
	echo "ro-head-md5=$(dd if=/dev/vda bs=64k count=16 iflag=direct \
		2>/dev/null | md5)"
	if dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct \
		conv=fsync 2>/dev/null; then
		echo ro-write=succeeded
	else
		echo ro-write=refused
	fi
	# Past the kernel's own check: the device must refuse it too.
	blockdev --setrw /dev/vda 2>/dev/null
	if dd if=/dev/zero of=/dev/vda bs=4k count=1 oflag=direct \
		conv=fsync 2>/dev/null; then
		echo ro-forced-write=succeeded
	else
		echo ro-forced-write=refused
	fi
}

# Written through the page cache and fsync'ed; the host kills armz -9
# once it sees "synced" and then looks for the data in the image.
test_blk_fsync() {
	disk_up
	pattern 64
	dd if=/tmp/pat of=/dev/vda bs=64k seek=8 conv=fsync 2>/dev/null &&
		echo "armz-guest: synced"
	echo "armz-guest: hanging"
	while :; do sleep 3600; done
}

test_blk_discard() {
	disk_up
	echo "discard-max=$(cat /sys/block/vda/queue/discard_max_bytes)"
	dd if=/dev/urandom of=/dev/vda bs=1M count=16 oflag=direct \
		conv=fsync 2>/dev/null
	if blkdiscard -o 0 -l $((12 << 20)) /dev/vda; then
		echo discard=ok
	else
		echo discard=failed
	fi
	echo 3 >/proc/sys/vm/drop_caches
	echo "tail-md5=$(dd if=/dev/vda bs=1M skip=12 count=4 iflag=direct \
		2>/dev/null | md5)"
	echo "head-md5=$(dd if=/dev/vda bs=1M count=1 iflag=direct \
		2>/dev/null | md5)"
	echo "zero-md5=$(dd if=/dev/zero bs=1M count=1 2>/dev/null | md5)"
}

test_blk_serial() {
	disk_up
	echo "serial=$(cat /sys/block/vda/serial)"
}

# Every disk: its size, the label the host wrote at 0, and a line of our
# own at 4 KiB for the host to find in the right image.
test_blk_multi() {
	disk_up
	for d in vda vdb vdc vdd; do
		wait_for "/dev/$d" || { echo "$d=missing"; continue; }
		echo "$d-sectors=$(cat "/sys/block/$d/size")"
		echo "$d-label=$(head -c 16 "/dev/$d")"
		printf 'guest-wrote-%s\n' "$d" |
			dd of="/dev/$d" bs=4k seek=1 conv=sync,fsync 2>/dev/null
	done
}

test_rng() {
	load virtio_mmio virtio-rng
	wait_for /dev/hwrng
	echo "rng-current=$(cat /sys/class/misc/hw_random/rng_current)"
	for i in a b; do
		echo "rng-$i=$(dd if=/dev/hwrng bs=32 count=1 2>/dev/null |
			od -An -tx1 -v | tr -d ' \n')"
	done
}

# One line in from the console, echoed back with a prefix the tty's own
# echo cannot produce.
test_echo() {
	echo "console-active=$(cat /sys/class/tty/console/active)"
	echo "armz-guest: ready for input"
	# shellcheck disable=SC3045 # busybox ash has read -t
	if read -t "$(param armz.wait || echo 120)" -r line; then
		echo "echo-got=[$line]"
	else
		echo "echo-got=nothing"
		# Did the bytes reach the UART driver at all?
		grep -h 'rx:' /proc/tty/driver/* 2>/dev/null
	fi
}

# The worst a guest can leave queued when it is stopped: a disk kept busy
# with writes, and a console that prints without end (the host stops
# reading it). Never returns.
test_flood() {
	disk_up
	while :; do
		dd if=/dev/zero of=/dev/vda bs=1M 2>/dev/null
	done &
	sleep 1
	echo "armz-guest: flooding"
	# In the tty's largest writes: no newline, so stdio's full buffers.
	while :; do
		tr '\0' f </dev/zero
	done
}

test_heartbeat() {
	n=0
	while :; do
		n=$((n + 1))
		echo "heartbeat=$n"
		sleep 0.5
	done
}

# virtio-fs: mount the share tagged armz.fstag (or "share") at /mnt/fs.
# The device appears once virtio_mmio is in and probed.
fs_up() {
	load virtio_mmio
	mkdir -p /mnt/fs
	_tag=$(param armz.fstag) || _tag=share
	_n=50
	until mount -t virtiofs "$_tag" /mnt/fs 2>/tmp/mount.err; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || die "mount -t virtiofs $_tag: $(cat /tmp/mount.err)"
		sleep 0.1
	done
}

# What the host checks: a file's checksum, the listing, whether a write
# lands, and what the symlinks that point out of the share give.
test_fs() {
	fs_up
	echo "fs-type=$(sed -n 's|^[^ ]* /mnt/fs \([^ ]*\) .*|\1|p' /proc/mounts)"
	echo "fs-md5=$(md5 </mnt/fs/data)"
	echo "fs-list=$(ls /mnt/fs | tr '\n' ' ')"
	if echo "guest-wrote-$(param armz.word)" >/mnt/fs/new 2>/dev/null &&
		sync; then
		echo fs-write=ok
	else
		echo fs-write=refused
	fi
	for l in abs-link rel-link; do
		echo "fs-$l=$(cat "/mnt/fs/$l" 2>&1 | head -c 80)"
	done
	umount /mnt/fs && echo fs-umount=ok
}

# The same share on both sides of a reset: the backend serves a new
# guest in a new RAM.
test_fs_reset() {
	n=$(reset_count) || die "no readable chosen/armz,reset-count"
	fs_up
	echo "fs-md5-$n=$(md5 </mnt/fs/data)"
	umount /mnt/fs
	reset_once "$n"
}

# Reads on until the host kills the backend under it.
test_fs_hang() {
	fs_up
	echo "armz-guest: fs-ready"
	while :; do
		cat /mnt/fs/data >/dev/null 2>&1
		sleep 0.2
	done
}

net_up() {
	load virtio_mmio virtio_net
	wait_for /sys/class/net/eth0 || die "no eth0"
	ip link set lo up
	ip link set eth0 up
}

# send FILE HOST PORT: once the peer answers; busybox nc ends at EOF.
send() {
	_i=0
	until nc "$2" "$3" <"$1"; do
		_i=$((_i + 1))
		[ "$_i" -lt 30 ] || return 1
		sleep 1
	done
}

# recv FILE PORT: one connection's bytes; stdin held open (<> on a fifo)
# since busybox nc stops at EOF on either side.
recv() {
	rm -f /tmp/nc-in
	mkfifo /tmp/nc-in
	nc -l -p "$2" <>/tmp/nc-in >"$1"
}

# Tap: the host side is 192.168.77.1 on tap0. A file each way.
test_net_tap() {
	net_up
	ip addr add 192.168.77.2/24 dev eth0
	_i=0
	until ping -c 1 -W 1 192.168.77.1 >/dev/null 2>&1; do
		_i=$((_i + 1))
		[ "$_i" -lt 60 ] || die "192.168.77.1 does not answer"
	done
	dd if=/dev/urandom of=/tmp/out bs=64k count=64 2>/dev/null
	echo "sent-md5=$(md5 </tmp/out)"
	send /tmp/out 192.168.77.1 5001 && echo "armz-guest: sent"
	recv /tmp/in 5002 &
	sleep 1
	echo "armz-guest: listening"
	wait
	echo "recv-md5=$(md5 </tmp/in)"
}

# udhcpc runs this with the lease in its environment.
dhcp_script() {
	cat >/tmp/udhcpc.sh <<'EOS'
#!/bin/sh
case $1 in
bound|renew)
	ip addr add "$ip/${mask:-24}" dev "$interface"
	for r in $router; do ip route add default via "$r"; done
	;;
esac
EOS
	chmod +x /tmp/udhcpc.sh
}

# User mode: DHCP, a file to the host's 127.0.0.1:5003 through 10.0.2.2,
# then one served on port 80 for the host's forward from 8080.
test_net_user() {
	net_up
	dhcp_script
	udhcpc -i eth0 -n -q -t 10 -T 1 -s /tmp/udhcpc.sh >/dev/null 2>&1 ||
		echo "armz-guest: udhcpc failed"
	echo "net-addr=$(ip -4 addr show eth0 |
		sed -n 's/.*inet \([0-9.]*\)\/.*/\1/p')"
	echo "net-gw=$(ip route | sed -n 's/^default via \([0-9.]*\).*/\1/p')"
	dd if=/dev/urandom of=/tmp/out bs=64k count=64 2>/dev/null
	echo "sent-md5=$(md5 </tmp/out)"
	send /tmp/out 10.0.2.2 5003 && echo "armz-guest: sent"
	dd if=/dev/urandom of=/tmp/srv bs=64k count=16 2>/dev/null
	echo "served-md5=$(md5 </tmp/srv)"
	nc -l -p 80 </tmp/srv &
	sleep 1
	echo "armz-guest: serving"
	wait
	echo "armz-guest: served"
}

# Everything at once: four disks, rng, the virtio console, and net.
test_all() {
	echo "cpus=$(grep -c ^processor /proc/cpuinfo)"
	echo "console-active=$(cat /sys/class/tty/console/active)"
	test_blk_multi
	test_rng
	case $(param armz.net) in
	user) test_net_user ;;
	tap) test_net_tap ;;
	esac
}

# ------------------------------------------------- benchmarks (make bench)

# timed MIB CMD...: MB/s of CMD moving MIB mebibytes. Debian's busybox dd
# prints no rate of its own; the uptime clock has 10 ms steps.
timed() {
	_mib=$1
	shift
	_t0=$(cut -d' ' -f1 /proc/uptime)
	"$@" >/dev/null 2>&1
	_t1=$(cut -d' ' -f1 /proc/uptime)
	awk -v mib="$_mib" -v a="$_t0" -v b="$_t1" 'BEGIN {
		d = b - a
		if (d < 0.01)
			d = 0.01
		printf "%.1f MB/s (%d MiB in %.2f s)\n", mib * 1.048576 / d, mib, d
	}'
}

test_bench_blk() {
	disk_up
	mb=$(($(cat /sys/block/vda/size) / 2048))
	echo "bench-seq-write=$(timed "$mb" dd if=/dev/zero of=/dev/vda \
		bs=1M count="$mb" oflag=direct conv=fsync)"
	echo "bench-seq-read=$(timed "$mb" dd if=/dev/vda of=/dev/null \
		bs=1M count="$mb" iflag=direct)"
	randread /dev/vda 10
}

# The offloads the driver took, from the feature bits it accepted.
net_features() {
	for d in /sys/bus/virtio/devices/*; do
		[ "$(cat "$d/device")" = 0x0001 ] || continue
		f=$(cat "$d/features")
		for b in 0:csum 1:guest_csum 7:guest_tso4 11:host_tso4 \
			15:mrg_rxbuf; do
			printf '%s=%s ' "${b#*:}" "$(echo "$f" |
				cut -c$((${b%%:*} + 1)))"
		done
	done
}

# bench_net: zeroes to the host's sink on port 5004 through nc.
test_bench_net() {
	net_up
	mb=32
	case $(param armz.net) in
	tap)
		ip addr add 192.168.77.2/24 dev eth0
		peer=192.168.77.1
		_i=0
		until ping -c 1 -W 1 $peer >/dev/null 2>&1; do
			_i=$((_i + 1))
			[ "$_i" -lt 60 ] || die "$peer does not answer"
		done
		;;
	user)
		dhcp_script
		udhcpc -i eth0 -n -q -t 10 -T 1 -s /tmp/udhcpc.sh \
			>/dev/null 2>&1
		peer=10.0.2.2
		;;
	esac
	st=/sys/class/net/eth0/statistics
	p0=$(cat $st/tx_packets) b0=$(cat $st/tx_bytes)
	echo "bench-net-tx=$(timed "$mb" sh -c "dd if=/dev/zero bs=64k \
		count=$((mb * 16)) | nc $peer 5004")"
	# Big packets mean segmentation offload reached the device.
	echo "bench-net-tx-packet=$((($(cat $st/tx_bytes) - b0) /
		($(cat $st/tx_packets) - p0 + 1))) bytes, $(net_features)"
	# The same pipeline over the guest's loopback: what dd and nc manage
	# without any device.
	recv /dev/null 5005 &
	sleep 1
	echo "bench-net-lo=$(timed "$mb" sh -c "dd if=/dev/zero bs=64k \
		count=$((mb * 16)) | nc 127.0.0.1 5005")"
}

# -------------------------------------------------------------- the test

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
	reset_once "$n"
	;;
net_mac)
	# The MAC before and after a reset: armz draws it once per run.
	load virtio_mmio virtio_net
	wait_for /sys/class/net/eth0 || die "no eth0"
	n=$(reset_count) || die "no readable chosen/armz,reset-count"
	echo "mac-$n=$(cat /sys/class/net/eth0/address)"
	reset_once "$n"
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
blk_*|rng|echo|heartbeat|flood|net_*|fs|fs_*|all|bench_*)
	guest_test "$test"
	off
	;;
modules)
	load virtio_mmio
	lsmod
	off
	;;
*)
	die "unknown test '$test'"
	;;
esac
