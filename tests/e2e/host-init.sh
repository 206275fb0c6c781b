#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# /init of the emulated arm64 KVM host. The host kernel command line says
# what to do:
#
#   armz_mode=e2e     (default) run /e2e/cases.sh; armz_e2e=LIST selects
#   armz_mode=boot    boot one guest with its console on ours
#   armz_mode=bench   run /e2e/bench-host.sh (make bench)
#   armz_mode=shell   a shell on the console, for poking around by hand
#
# Whatever happens it ends with E2E-DONE and powers off: a missing E2E-DONE
# tells the outer runner that the host crashed or ran out of time. In e2e
# mode E2E-CASES-EXIT gives cases.sh's exit status before it.

PATH=/bin:/sbin
export PATH

mount -t devtmpfs devtmpfs /dev 2>/dev/null
if (: </dev/console >/dev/console) 2>/dev/null; then
	exec </dev/console >/dev/console 2>&1
fi
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t tmpfs tmpfs /tmp

param() {
	for w in $(cat /proc/cmdline); do
		case $w in
		"$1"=*) echo "${w#*=}"; return 0 ;;
		esac
	done
	return 1
}

echo "E2E-HOST-UP uptime=$(cut -d' ' -f1 /proc/uptime)" \
	"kernel=$(uname -r) cpus=$(grep -c ^processor /proc/cpuinfo)"
if [ ! -c /dev/kvm ]; then
	echo "E2E-HOST: FAILURE: no /dev/kvm: the host kernel did not bring" \
		"up KVM (is qemu running it at EL2, virtualization=on?)"
	dmesg | grep -i kvm
fi
dmesg | grep 'kvm \[[0-9]*\]: .*initialized successfully'

# A NIC on qemu's user network when run.sh gave one (gdb comes in
# through it): qemu's address plan, the host at 10.0.2.15.
modprobe virtio_mmio 2>/dev/null && modprobe virtio_net 2>/dev/null
if grep -qs 0x0001 /sys/bus/virtio/devices/*/device; then
	n=20
	while [ ! -d /sys/class/net/eth0 ] && [ "$n" -gt 0 ]; do
		sleep 0.1
		n=$((n - 1))
	done
fi
if [ -d /sys/class/net/eth0 ]; then
	ip link set lo up
	ip addr add 10.0.2.15/24 dev eth0
	ip link set eth0 up
	echo "E2E-HOST: eth0 up at 10.0.2.15"
fi

# armz_sanitize: every case runs the dynamic armz, built with ASan and
# UBSan. Their reports go to files the case sanitizer_reports reads;
# seccomp is off, the sanitizers' runtime makes calls no list allows;
# LeakSanitizer stops the world with ptrace, not here.
sanitized() {
	mkdir -p /tmp/e2e
	cat >/bin/armz-san <<-'EOF'
	#!/bin/sh
	export ASAN_OPTIONS=detect_leaks=0:log_path=/tmp/e2e/sanitizer:exitcode=66
	export UBSAN_OPTIONS=print_stacktrace=1:log_path=/tmp/e2e/sanitizer:exitcode=67
	if [ "$1" = run ]; then
		shift
		exec /bin/armz-dyn run --seccomp=off "$@"
	fi
	exec /bin/armz-dyn "$@"
	EOF
	chmod 0755 /bin/armz-san
	ARMZ=/bin/armz-san ARMZ_DYN=/bin/armz-san ARMZ_SANITIZED=1
	export ARMZ ARMZ_DYN ARMZ_SANITIZED
}

mode=$(param armz_mode) || mode=e2e
case $mode in
e2e)
	ARMZ_E2E=$(param armz_e2e) || ARMZ_E2E=
	export ARMZ_E2E
	if param armz_sanitize >/dev/null; then
		sanitized
	fi
	sh /e2e/cases.sh
	# E2E-DONE comes whatever happened; this says how the cases ended.
	echo "E2E-CASES-EXIT $?"
	;;
boot)
	# boot.sh may append a cpio holding /e2e/boot-args, one a line.
	set -- -p armz.test=boot
	if [ -f /e2e/boot-args ]; then
		set --
		while IFS= read -r a; do
			set -- "$@" "$a"
		done </e2e/boot-args
	fi
	echo "E2E-HOST: armz run -k /guest/Image -i /guest/initrd.cpio.gz $*"
	t0=$(cut -d' ' -f1 /proc/uptime)
	armz run -k /guest/Image -i /guest/initrd.cpio.gz "$@"
	status=$?
	echo "E2E-HOST: armz exit status $status after" \
		"$(cut -d' ' -f1 /proc/uptime) - $t0 seconds"
	;;
bench)
	sh /e2e/bench-host.sh
	;;
shell)
	setsid cttyhack sh
	;;
*)
	echo "E2E-HOST: unknown armz_mode=$mode"
	;;
esac

echo E2E-DONE
poweroff -f
while :; do sleep 3600; done
