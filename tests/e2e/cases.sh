#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# End-to-end cases. They run inside the emulated arm64 KVM host (busybox sh),
# started by its /init, and each prints exactly one line:
#
#   E2E-RESULT NAME PASS
#   E2E-RESULT NAME FAIL reason
#
# A case is a function case_NAME() defined at the start of a line; cases run
# in the order they appear. To add one, write the function: run armz with
# run_armz (or check something else), then state what must hold with the
# expect_* helpers. The first unmet expectation is the case's reason.
#
# ARMZ_E2E=boot_1cpu,bad_* selects cases (names or shell patterns).

ARMZ=${ARMZ:-/bin/armz}
KERNEL=/guest/Image
INITRD=/guest/initrd.cpio.gz
STAMP=$(cat /guest/initrd-stamp 2>/dev/null)
LOGDIR=/tmp/e2e
# Seconds one guest may take, boot to poweroff, in nested KVM under TCG.
BOOT_TIMEOUT=${BOOT_TIMEOUT:-90}
# armz on its own, not booting anything.
QUICK_TIMEOUT=60

# ---------------------------------------------------------------- helpers

# run_armz TIMEOUT ARG...: run armz; stdout to $OUT, stderr to $ERR, exit
# status to $status. busybox timeout kills with SIGTERM: status 143.
run_armz() {
	_t=$1
	shift
	echo "armz $*" >>"$CMD"
	timeout "$_t" "$ARMZ" "$@" >"$OUT" 2>"$ERR" </dev/null
	status=$?
	# The guest's tty writes CR LF.
	tr -d '\r' <"$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
	if [ "$status" -eq 143 ]; then
		note "killed after ${_t}s"
	fi
}

note() {
	echo "$*" >>"$CMD"
}

fail() {
	[ -n "$reason" ] || reason=$*
}

expect_status() {
	[ "$status" = "$1" ] || fail "expected exit status $1, got $status"
}

expect_out() {
	grep -qF -- "$1" "$OUT" || fail "expected '$1' on the console"
}

expect_no_out() {
	! grep -qF -- "$1" "$OUT" || fail "unexpected '$1' on the console"
}

# An error message: a line on stderr that starts with "armz: " and holds STR.
expect_err() {
	grep -F -- "$1" "$ERR" | grep -q '^armz: ' ||
		fail "expected an 'armz: ...$1...' line on stderr"
}

# The console line KEY=VALUE must be exactly that.
expect_line() {
	grep -qxF -- "$1" "$OUT" || fail "expected the line '$1'," \
		"got '$(grep -m1 "^${1%%=*}=" "$OUT")'"
}

# A guest boots, runs its test and powers off: status 0 and the marker.
expect_guest_ran() {
	expect_status 0
	expect_out ARMZ-GUEST-UP
}

# ------------------------------------------------------------------ cases

case_kvm_up() {
	[ -c /dev/kvm ] || fail "no /dev/kvm in the emulated host"
	dmesg | grep -q 'kvm \[[0-9]*\]: .*mode initialized successfully' ||
		fail "no 'kvm: ... mode initialized successfully' in dmesg"
}

case_version() {
	run_armz "$QUICK_TIMEOUT" --version
	expect_status 0
	grep -q '[0-9]\.[0-9]' "$OUT" || fail "no version number on stdout"
}

case_help() {
	run_armz "$QUICK_TIMEOUT" --help
	expect_status 0
	expect_out run
	run_armz "$QUICK_TIMEOUT" run --help
	expect_status 0
	expect_out --kernel
}

case_boot_1cpu() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		-p armz.test=boot
	expect_guest_ran
	expect_line cpus=1
}

case_boot_2cpu() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" -c 2 \
		-p armz.test=boot
	expect_guest_ran
	expect_line cpus=2
}

case_cmdline_initrd() {
	run_armz "$BOOT_TIMEOUT" run --kernel "$KERNEL" --initrd "$INITRD" \
		--params "armz.test=boot foo=bar123"
	expect_guest_ran
	grep '^cmdline=' "$OUT" | grep -q ' foo=bar123' ||
		fail "foo=bar123 missing from the guest's cmdline"
	grep '^cmdline=' "$OUT" | grep -q 'console=ttyS0' ||
		fail "console=ttyS0 missing from the guest's cmdline"
	[ -n "$STAMP" ] || fail "no /guest/initrd-stamp in the host"
	expect_line "initrd-stamp=$STAMP"
}

# Status 0 must mean the guest asked to power off, not merely that armz
# went away: the guest's last words must be there and no error.
case_poweroff_status() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" -m 128M \
		-p "armz.test=boot quiet"
	expect_status 0
	expect_out "initrd-stamp="
	! grep -q '^armz: .*error' "$ERR" || fail "armz reported an error"
}

case_reset_reboots() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		-p "armz.test=reset quiet"
	expect_guest_ran
	expect_line reset-count=0
	expect_line reset-count=1
}

case_reset_no_reboot() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" --no-reboot \
		-p "armz.test=reset quiet"
	expect_status 123
	expect_line reset-count=0
	expect_no_out reset-count=1
}

case_guest_panic() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		-p "armz.test=panic quiet"
	expect_status 122
	expect_out "Kernel panic - not syncing"
}

# Long enough for the guest to reach its hang, so that the timeout is
# known to strike a running guest and not a slow boot.
case_guest_timeout() {
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" --timeout 60s \
		-p "armz.test=hang quiet"
	expect_status 124
	expect_out "armz-guest: hanging"
}

# --console-log gets what the console got; --report says how the run went,
# including when the guest's init wrote test-exit's BOOTED register.
case_console_log_report() {
	_log=$LOGDIR/console.log _rep=$LOGDIR/report.json
	rm -f "$_log" "$_rep"
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--console-log "$_log" --report "$_rep" -p "armz.test=boot quiet"
	expect_guest_ran
	tr -d '\r' <"$_log" 2>/dev/null | grep -qxF "initrd-stamp=$STAMP" ||
		fail "console log lacks initrd-stamp=$STAMP"
	grep -q '"exit_status": 0,' "$_rep" 2>/dev/null ||
		fail "report lacks \"exit_status\": 0"
	grep -q '"userspace": [0-9]' "$_rep" 2>/dev/null ||
		fail "report has no userspace time: BOOTED not seen"
	# The boot phases happen in this order.
	tr -d ' \n' <"$_rep" 2>/dev/null | grep -o '"times_ms":{[^}]*}' |
		awk -F'[:,}]' '{ if (!($3 <= $5 && $5 <= $7 && $7 <= $9))
			exit 1 }' ||
		fail "report's boot phases are out of order"
	note "report: $(tr -d ' \n' <"$_rep" 2>/dev/null | cut -c1-300)"
	sed -n 's/^ *"userspace": \([0-9.]*\).*/report-userspace-ms=\1/p' \
		"$_rep" 2>/dev/null >>"$OUT"
}

# Bare-metal payloads from tests/payloads: test-exit's status comes through.
case_payload_hello() {
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/hello.bin
	expect_status 42
	expect_out "payload: hello from EL1"
	expect_out "payload: device tree and test-exit found"
}

case_payload_elf() {
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/hello.elf
	expect_status 42
	expect_out "payload: device tree and test-exit found"
}

case_payload_poweroff() {
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/poweroff.bin
	expect_status 0
	expect_out "payload: powering off"
	expect_no_out "SYSTEM_OFF returned"
}

case_payload_fault() {
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/fault.bin
	expect_status 121
	expect_err "unmapped address"
	expect_no_out "returned"
}

case_bad_kernel_missing() {
	run_armz "$QUICK_TIMEOUT" run -k /nonexistent-kernel
	expect_status 1
	expect_err "cannot open kernel"
}

case_bad_kernel_format() {
	head -c 65536 /dev/zero >"$LOGDIR/zeros"
	run_armz "$QUICK_TIMEOUT" run -k "$LOGDIR/zeros"
	rm -f "$LOGDIR/zeros"
	expect_status 1
	expect_err "not an arm64 Image"
}

# The usual mistakes get a message that says what the file is instead.
case_bad_kernel_gzip() {
	run_armz "$QUICK_TIMEOUT" run -k "$INITRD"
	expect_status 1
	expect_err "gzip"
}

case_bad_kernel_elf() {
	run_armz "$QUICK_TIMEOUT" run -k /bin/busybox
	expect_status 1
	expect_err "ELF"
}

case_bad_option_unknown() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" --frobnicate
	expect_status 2
	expect_err "unknown option"
}

case_bad_option_twice() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -c 1 -c 2
	expect_status 2
	expect_err "given twice"
}

case_bad_no_kernel() {
	run_armz "$QUICK_TIMEOUT" run -i "$INITRD"
	expect_status 2
	expect_err "--kernel"
}

case_bad_cpus_zero() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -c 0
	expect_status 2
	expect_err "armz: "
}

case_bad_mem_huge() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -m 1T
	expect_status 2
	expect_err "armz: "
}

case_bad_mem_zero() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -m 0
	expect_status 2
	expect_err "armz: "
}

case_bad_initrd_too_big() {
	# Sparse: costs no memory in the host.
	truncate -s 48M "$LOGDIR/big-initrd"
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -i "$LOGDIR/big-initrd" \
		-m 32M
	rm -f "$LOGDIR/big-initrd"
	expect_status 1
	expect_err "does not fit"
}

case_bad_kvm_dev() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" --kvm-dev /nonexistent
	expect_status 1
	expect_err "/nonexistent"
}

# The outer runner decompiles the dtb printed here (dtc is not in the host)
# and reports that as its own case, dtb_decompile.
case_dtb_dump() {
	_dtb=$LOGDIR/dump.dtb
	rm -f "$_dtb"
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -i "$INITRD" -c 2 -m 512M \
		-p "armz.test=boot foo=bar123" --dtb-dump "$_dtb"
	expect_status 0
	expect_no_out ARMZ-GUEST-UP
	[ -s "$_dtb" ] || { fail "no dtb written"; return; }
	[ "$(od -An -tx1 -N4 "$_dtb" | tr -d ' ')" = d00dfeed ] ||
		fail "dtb does not start with the FDT magic"
	echo "E2E-DTB-BEGIN dtb_dump"
	base64 "$_dtb"
	echo "E2E-DTB-END"
}

# ---------------------------------------------------- background runs

# bg_armz TIMEOUT ARG...: armz in the background, stdout to $OUT and
# stderr to $ERR as run_armz, stdin from $BG_IN (/dev/null); $bg_pid is
# armz itself (busybox timeout execs it in place and watches from a
# child). bg_finish collects its status into $status.
bg_armz() {
	_t=$1
	shift
	echo "${ARMZ_BIN:-$ARMZ} (background) $*" >>"$CMD"
	timeout "$_t" "${ARMZ_BIN:-$ARMZ}" "$@" >"$OUT" 2>"$ERR" \
		<"${BG_IN:-/dev/null}" &
	bg_pid=$!
}

bg_finish() {
	wait "$bg_pid"
	status=$?
	tr -d '\r' <"$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
	[ "$status" -ne 143 ] || note "status 143: killed or stopped"
}

# bg_kill: for a case that gave up early; leaves no armz behind.
bg_kill() {
	kill -9 "$bg_pid" 2>/dev/null
	wait "$bg_pid" 2>/dev/null
}

# wait_out STRING [SECONDS]: until the console shows STRING.
wait_out() {
	_n=$((${2:-$BOOT_TIMEOUT} * 5))
	while ! grep -qF -- "$1" "$OUT"; do
		_n=$((_n - 1))
		if [ "$_n" -le 0 ] || ! kill -0 "$bg_pid" 2>/dev/null; then
			grep -qF -- "$1" "$OUT" && return 0
			fail "'$1' never appeared on the console"
			return 1
		fi
		sleep 0.2
	done
}

# wait_file PATH [SECONDS]
wait_file() {
	_n=$((${2:-30} * 5))
	while [ ! -e "$1" ]; do
		_n=$((_n - 1))
		[ "$_n" -gt 0 ] || return 1
		sleep 0.2
	done
}

md5() {
	md5sum | cut -d' ' -f1
}

# A random number below 10^7, to tell one run's data from another's.
rand() {
	echo $(($(od -An -tu4 -N4 /dev/urandom | tr -d ' ') % 10000000))
}

# The value of the console line KEY=VALUE (also while armz still runs and
# $OUT still has the tty's CRs).
out_val() {
	tr -d '\r' <"$OUT" | sed -n "s/^$1=//p" | head -n 1
}

# file_md5 FILE OFFSET_KIB LENGTH_KIB
file_md5() {
	dd if="$1" bs=1k skip="$2" count="$3" 2>/dev/null | md5
}

# Runs the guest with the test of the same name: boot_test TEST ARG...
boot_test() {
	_test=$1
	shift
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" "$@" \
		-p "armz.test=$_test quiet"
}

# ----------------------------------------------------------- virtio-blk

# The guest writes 4 MiB at 1 MiB + 64 KiB with O_DIRECT and a flush and
# reads it back; the same bytes must be in the image at that offset, and
# nothing around them may have changed.
case_blk_write() {
	_img=$LOGDIR/blk.img
	dd if=/dev/urandom of="$_img" bs=1M count=8 2>/dev/null
	_head=$(file_md5 "$_img" 0 1088)
	_tail=$(file_md5 "$_img" 5184 3008)
	boot_test blk_write --disk "$_img"
	expect_guest_ran
	expect_line blk-write=ok
	_pat=$(out_val pattern-md5)
	if [ -z "$_pat" ]; then
		fail "the guest printed no pattern-md5"
	else
		expect_line "readback-md5=$_pat"
		[ "$(file_md5 "$_img" 1088 4096)" = "$_pat" ] ||
			fail "the image lacks the guest's pattern at 1 MiB+64 KiB"
	fi
	[ "$(file_md5 "$_img" 0 1088)" = "$_head" ] ||
		fail "the image changed before the written range"
	[ "$(file_md5 "$_img" 5184 3008)" = "$_tail" ] ||
		fail "the image changed after the written range"
	rm -f "$_img"
}

# ,ro: the guest sees a read-only disk, and when it forces the block
# device writable anyway the device refuses; the image stays the same.
case_blk_ro() {
	_img=$LOGDIR/blk-ro.img
	dd if=/dev/urandom of="$_img" bs=1M count=2 2>/dev/null
	_sum=$(md5 <"$_img")
	boot_test blk_ro --disk "$_img,ro"
	expect_guest_ran
	expect_line ro-flag=1
	expect_line ro-write=refused
	expect_line ro-forced-write=refused
	expect_line "ro-head-md5=$(file_md5 "$_img" 0 1024)"
	[ "$(md5 <"$_img")" = "$_sum" ] || fail "the read-only image changed"
	rm -f "$_img"
}

# What the guest wrote and fsync'ed is in the image even when armz is
# killed -9 right after: a flush completes only once the data is written.
case_blk_fsync_kill() {
	_img=$LOGDIR/blk-kill.img
	truncate -s 8M "$_img"
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--disk "$_img" -p "armz.test=blk_fsync quiet"
	if wait_out "armz-guest: synced"; then
		kill -9 "$bg_pid"
	else
		bg_kill
	fi
	bg_finish
	expect_status 137
	_pat=$(out_val pattern-md5)
	[ -n "$_pat" ] || fail "the guest printed no pattern-md5"
	[ "$(file_md5 "$_img" 512 4096)" = "$_pat" ] ||
		fail "the fsync'ed pattern is not in the image after kill -9"
	rm -f "$_img"
}

# Discard punches holes: of 16 MiB written, 12 MiB discarded, about 4 MiB
# stay allocated in the (tmpfs) image, and the discarded range reads 0.
case_blk_discard() {
	_img=$LOGDIR/blk-discard.img
	truncate -s 64M "$_img"
	boot_test blk_discard --disk "$_img"
	expect_guest_ran
	expect_line discard=ok
	[ "$(out_val discard-max)" -gt 0 ] 2>/dev/null ||
		fail "the guest sees no discard support"
	expect_line "tail-md5=$(file_md5 "$_img" 12288 4096)"
	_zero=$(out_val zero-md5)
	expect_line "head-md5=$_zero"
	_kib=$(($(stat -c %b "$_img") * $(stat -c %B "$_img") / 1024))
	note "allocated after discard: ${_kib} KiB"
	if [ "$_kib" -lt 4096 ] || [ "$_kib" -gt 6144 ]; then
		fail "expected about 4096 KiB allocated after the discard," \
			"found $_kib KiB"
	fi
	rm -f "$_img"
}

case_blk_serial() {
	_img=$LOGDIR/blk-serial.img
	truncate -s 1M "$_img"
	boot_test blk_serial --disk "$_img,serial=ABC123"
	expect_guest_ran
	expect_line serial=ABC123
	rm -f "$_img"
}

# Four disks of four sizes, each with its own label: the guest must see
# each at its own name and write to the right image.
case_blk_multi() {
	_args=
	_mib=8
	for _d in vda vdb vdc vdd; do
		_img=$LOGDIR/multi-$_d.img
		truncate -s "${_mib}M" "$_img"
		printf 'armz-%s-%07d' "$_d" "$(rand)" >"$LOGDIR/$_d.label"
		dd if="$LOGDIR/$_d.label" of="$_img" conv=notrunc 2>/dev/null
		_opt=
		case $_d in
		vda|vdc) _opt=,direct ;;
		vdb) _opt=,serial=disk-b ;;
		esac
		_args="$_args --disk $_img$_opt"
		_mib=$((_mib + 1))
	done
	# shellcheck disable=SC2086
	boot_test blk_multi $_args
	expect_guest_ran
	_mib=8
	for _d in vda vdb vdc vdd; do
		_img=$LOGDIR/multi-$_d.img
		expect_line "$_d-sectors=$((_mib * 2048))"
		expect_line "$_d-label=$(cat "$LOGDIR/$_d.label")"
		[ "$(dd if="$_img" bs=4k skip=1 count=1 2>/dev/null |
			head -n 1)" = "guest-wrote-$_d" ] ||
			fail "$_img lacks the guest's 'guest-wrote-$_d'"
		_mib=$((_mib + 1))
		rm -f "$_img" "$LOGDIR/$_d.label"
	done
}

# A writable image is locked: a second armz must not corrupt it.
case_blk_in_use() {
	_img=$LOGDIR/blk-lock.img
	truncate -s 1M "$_img"
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--disk "$_img" -p "armz.test=hang quiet"
	_n=150
	while ! grep -q OFDLCK /proc/locks && [ "$_n" -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	_first_out=$OUT _first_err=$ERR
	OUT=$LOGDIR/blk_in_use.second.out ERR=$LOGDIR/blk_in_use.second.err
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--disk "$_img" -p "armz.test=boot quiet"
	expect_status 1
	expect_err "in use"
	_second=$status
	cat "$ERR" >>"$_first_err"
	OUT=$_first_out ERR=$_first_err
	kill -0 "$bg_pid" 2>/dev/null ||
		fail "the first armz died (second one's status $_second)"
	bg_kill
	rm -f "$_img"
}

case_blk_bad_size() {
	_img=$LOGDIR/blk-odd.img
	truncate -s 1000000 "$_img"
	boot_test boot --disk "$_img"
	expect_status 1
	expect_err "multiple of 512"
	expect_no_out ARMZ-GUEST-UP
	rm -f "$_img"
}

# ------------------------------------------------------- rng and console

case_rng() {
	_rep=$LOGDIR/rng-report.json
	boot_test rng --rng --report "$_rep"
	expect_guest_ran
	# The report counts what the device did: at least the 64 bytes read.
	_line=$(tr -d ' \n' <"$_rep" 2>/dev/null |
		grep -o '{"name":"virtio-rng"[^}]*}')
	_bytes=$(echo "$_line" | sed -n 's/.*"bytes_out":\([0-9]*\).*/\1/p')
	[ "${_bytes:-0}" -ge 64 ] ||
		fail "report: virtio-rng bytes_out '${_bytes}' < 64 ($_line)"
	case $(out_val rng-current) in
	virtio_rng*) ;;
	*) fail "rng_current is '$(out_val rng-current)', not virtio_rng" ;;
	esac
	_a=$(out_val rng-a) _b=$(out_val rng-b)
	[ "${#_a}" -eq 64 ] || fail "read no 32 bytes from /dev/hwrng: '$_a'"
	[ "$_a" != "$_b" ] || fail "two reads of /dev/hwrng gave the same bytes"
	[ "$_a" != "$(printf '%064d' 0)" ] || fail "/dev/hwrng gave zeroes"
}

# type_line CONSOLE LINE: the guest waits for a line from its console;
# it is typed into armz's stdin (a fifo) once the guest says so.
type_line() {
	rm -f "$LOGDIR/in.fifo"
	mkfifo "$LOGDIR/in.fifo"
	BG_IN=$LOGDIR/in.fifo
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--console "$1" -p "armz.test=echo quiet"
	BG_IN=
	exec 8>"$LOGDIR/in.fifo"
	wait_out "armz-guest: ready for input" && printf '%s\n' "$2" >&8
	exec 8>&-
	bg_finish
	rm -f "$LOGDIR/in.fifo"
}

# pipe_line CONSOLE LINE: the line is in the pipe before the guest boots,
# as when a script pipes into armz.
pipe_line() {
	printf '%s\n' "printf '$2\\n' | armz run ... --console $1" >>"$CMD"
	printf '%s\n' "$2" | timeout "$BOOT_TIMEOUT" "$ARMZ" run \
		-k "$KERNEL" -i "$INITRD" --console "$1" \
		-p "armz.test=echo armz.wait=15 quiet" >"$OUT" 2>"$ERR"
	status=$?
	tr -d '\r' <"$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
}

# --console virtio: hvc0 is the console, its output is armz's stdout, and
# armz's stdin reaches it.
case_console_virtio() {
	type_line virtio hello-in
	expect_guest_ran
	expect_line console-active=hvc0
	expect_line "echo-got=[hello-in]"
}

case_console_uart_input() {
	type_line serial hello-uart
	expect_guest_ran
	expect_line console-active=ttyS0
	expect_line "echo-got=[hello-uart]"
}

# Input written before the guest is up must not be lost either.
case_console_pipe_virtio() {
	pipe_line virtio hello-pipe
	expect_guest_ran
	expect_line "echo-got=[hello-pipe]"
}

case_console_pipe_uart() {
	pipe_line serial hello-pipe
	expect_guest_ran
	expect_line "echo-got=[hello-pipe]"
}

# ---------------------------------------------------------------- network

TAP_HOST=192.168.77.1
TAP_GUEST=192.168.77.2

# host_recv FILE PORT: a listener in the background ($recv_pid); stdin is
# held open since busybox nc stops at EOF on either side.
host_recv() {
	rm -f "$1.fifo"
	mkfifo "$1.fifo"
	nc -l -p "$2" <>"$1.fifo" >"$1" &
	recv_pid=$!
}

# host_send FILE HOST PORT: retried until the guest listens.
host_send() {
	_i=0
	until nc "$2" "$3" <"$1"; do
		_i=$((_i + 1))
		[ "$_i" -lt 20 ] || return 1
		sleep 0.5
	done
}

# wait_pid PID SECONDS: 0 if it ended in time, else kill it and 1.
wait_pid() {
	_n=$(($2 * 5))
	while kill -0 "$1" 2>/dev/null; do
		_n=$((_n - 1))
		if [ "$_n" -le 0 ]; then
			kill "$1" 2>/dev/null
			return 1
		fi
		sleep 0.2
	done
	wait "$1" 2>/dev/null
	return 0
}

# net_tap IFNAME NETOPTS: a file each way between the guest and the
# host over a tap, checksums compared.
net_tap() {
	_tapif=$1
	modprobe tun 2>/dev/null
	[ -c /dev/net/tun ] || { fail "no /dev/net/tun in the host"; return; }
	ip link set lo up
	host_recv "$LOGDIR/tap-recv" 5001
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--net "tap,ifname=$_tapif$2" -p "armz.test=net_tap quiet"
	if wait_file /sys/class/net/$_tapif 30; then
		ip addr add "$TAP_HOST/24" dev "$_tapif"
		ip link set "$_tapif" up
	else
		fail "armz made no $_tapif"
	fi
	if wait_out "armz-guest: sent"; then
		# vhost-net works in a thread of the VMM's own: "vhost-PID".
		case $2 in
		*vhost=on*)
			grep -qs '^vhost-' /proc/[0-9]*/task/*/comm ||
				fail "no vhost kernel task: vhost-net unused" ;;
		esac
		wait_pid "$recv_pid" 30 || fail "the guest's data never ended"
		[ "$(md5 <"$LOGDIR/tap-recv")" = "$(out_val sent-md5)" ] ||
			fail "the host received other bytes than the guest sent"
	fi
	dd if=/dev/urandom of="$LOGDIR/tap-send" bs=64k count=64 2>/dev/null
	if wait_out "armz-guest: listening"; then
		host_send "$LOGDIR/tap-send" "$TAP_GUEST" 5002 ||
			fail "could not connect to the guest's $TAP_GUEST:5002"
	fi
	bg_finish
	kill "$recv_pid" 2>/dev/null
	expect_guest_ran
	expect_line "recv-md5=$(md5 <"$LOGDIR/tap-send")"
	rm -f "$LOGDIR"/tap-*
}

case_net_tap() {
	net_tap tap0 ""
}

# The same with vhost-net moving the packets in the host kernel.
case_net_tap_vhost() {
	modprobe vhost_net 2>/dev/null
	[ -c /dev/vhost-net ] || { fail "no /dev/vhost-net in the host"; return; }
	net_tap tap1 ",vhost=on"
}

# User mode needs libslirp, which only a dynamic armz has: /bin/armz-dyn.
ARMZ_DYN=/bin/armz-dyn

case_net_user() {
	[ -x "$ARMZ_DYN" ] || {
		fail "no $ARMZ_DYN in the host: no dynamic armz was built" \
			"(see the runner's output)"; return; }
	ip link set lo up
	host_recv "$LOGDIR/user-recv" 5003
	ARMZ_BIN=$ARMZ_DYN
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--net user,hostfwd=tcp::8080-:80 -p "armz.test=net_user quiet"
	ARMZ_BIN=
	if wait_out "armz-guest: sent"; then
		wait_pid "$recv_pid" 30 || fail "the guest's data never ended"
		[ "$(md5 <"$LOGDIR/user-recv")" = "$(out_val sent-md5)" ] ||
			fail "the host received other bytes than the guest sent"
	fi
	if wait_out "armz-guest: serving"; then
		rm -f "$LOGDIR/user-fwd.fifo"
		mkfifo "$LOGDIR/user-fwd.fifo"
		timeout 30 nc 127.0.0.1 8080 <>"$LOGDIR/user-fwd.fifo" \
			>"$LOGDIR/user-fwd"
		[ "$(md5 <"$LOGDIR/user-fwd")" = "$(out_val served-md5)" ] ||
			fail "through hostfwd 8080 came other bytes than" \
				"the guest served on 80"
	fi
	bg_finish
	kill "$recv_pid" 2>/dev/null
	expect_guest_ran
	expect_line net-addr=10.0.2.15
	expect_line net-gw=10.0.2.2
	rm -f "$LOGDIR"/user-*
}

# A guest that resets comes back with the MAC it had: armz draws it once
# per run, not once per boot, so leases and host rules keyed on it hold.
case_net_mac_reset() {
	[ -x "$ARMZ_DYN" ] || {
		fail "no $ARMZ_DYN in the host: no dynamic armz was built" \
			"(see the runner's output)"; return; }
	_armz=$ARMZ
	ARMZ=$ARMZ_DYN
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" --net user \
		-p "armz.test=net_mac quiet"
	ARMZ=$_armz
	expect_guest_ran
	m0=$(out_val mac-0)
	m1=$(out_val mac-1)
	case $m0 in
	52:54:00:??:??:??) ;;
	*) fail "before the reset the MAC was '$m0', not armz's 52:54:00:..." ;;
	esac
	[ "$m0" = "$m1" ] ||
		fail "the MAC changed across the reset: $m0, then '$m1'"
}

# Everything on one machine: 2 vCPUs, four disks, rng, the virtio
# console and user-mode networking.
case_all_devices() {
	[ -x "$ARMZ_DYN" ] || {
		fail "no $ARMZ_DYN in the host: no dynamic armz was built"
		return; }
	ip link set lo up
	_args=
	for _d in vda vdb vdc vdd; do
		truncate -s 8M "$LOGDIR/all-$_d.img"
		printf 'armz-%s-%07d' "$_d" "$(rand)" >"$LOGDIR/$_d.label"
		dd if="$LOGDIR/$_d.label" of="$LOGDIR/all-$_d.img" \
			conv=notrunc 2>/dev/null
		_args="$_args --disk $LOGDIR/all-$_d.img"
	done
	host_recv "$LOGDIR/all-recv" 5003
	ARMZ_BIN=$ARMZ_DYN
	# shellcheck disable=SC2086
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" -c 2 $_args \
		--rng --console virtio --net user,hostfwd=tcp::8080-:80 \
		-p "armz.test=all armz.net=user quiet"
	ARMZ_BIN=
	if wait_out "armz-guest: serving"; then
		timeout 30 nc 127.0.0.1 8080 </dev/null >/dev/null
	fi
	bg_finish
	wait_pid "$recv_pid" 5 || fail "the guest's data never ended"
	expect_guest_ran
	expect_line cpus=2
	expect_line console-active=hvc0
	for _d in vda vdb vdc vdd; do
		expect_line "$_d-label=$(cat "$LOGDIR/$_d.label")"
		[ "$(dd if="$LOGDIR/all-$_d.img" bs=4k skip=1 count=1 \
			2>/dev/null | head -n 1)" = "guest-wrote-$_d" ] ||
			fail "all-$_d.img lacks the guest's 'guest-wrote-$_d'"
		rm -f "$LOGDIR/all-$_d.img" "$LOGDIR/$_d.label"
	done
	case $(out_val rng-current) in
	virtio_rng*) ;;
	*) fail "rng_current is '$(out_val rng-current)', not virtio_rng" ;;
	esac
	expect_line net-addr=10.0.2.15
	[ "$(md5 <"$LOGDIR/all-recv")" = "$(out_val sent-md5)" ] ||
		fail "the host received other bytes than the guest sent"
	rm -f "$LOGDIR"/all-*
}

# ------------------------------------------------ control socket, report

# Every armz makes its control socket where XDG_RUNTIME_DIR says; the
# directory must exist.
CTL_DIR=$LOGDIR/xdg
XDG_RUNTIME_DIR=$CTL_DIR
export XDG_RUNTIME_DIR
mkdir -p "$CTL_DIR"

# ctl ARG...: armz list/status/pause/..., output in $CTL_OUT, status in
# $ctl_status.
ctl() {
	CTL_OUT=$LOGDIR/ctl.out
	echo "armz $*" >>"$CMD"
	timeout 20 "$ARMZ" "$@" >"$CTL_OUT" 2>>"$ERR"
	ctl_status=$?
	sed 's/^/  | /' "$CTL_OUT" >>"$CMD"
}

beats() {
	grep -c '^heartbeat=' "$OUT"
}

case_control_socket() {
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" --name hb1 \
		-p "armz.test=heartbeat quiet"
	wait_out heartbeat=3 || { bg_kill; return; }
	ctl list
	grep -q '^hb1 .*VIR_DOMAIN_RUNNING' "$CTL_OUT" ||
		fail "'armz list' does not show hb1 running"
	ctl status hb1
	grep -q '"state": "VIR_DOMAIN_RUNNING"' "$CTL_OUT" ||
		fail "'armz status hb1' does not say VIR_DOMAIN_RUNNING"
	ctl pause hb1
	[ "$ctl_status" -eq 0 ] || fail "'armz pause' exited $ctl_status"
	ctl status hb1
	grep -q '"state": "VIR_DOMAIN_PAUSED"' "$CTL_OUT" ||
		fail "'armz status' does not say VIR_DOMAIN_PAUSED after pause"
	# What was already on its way out may still come.
	sleep 1
	_n1=$(beats)
	sleep 3
	_n2=$(beats)
	note "heartbeats while paused: $_n1 then $_n2"
	[ "$_n1" -eq "$_n2" ] || fail "the heartbeat went on while paused"
	ctl resume hb1
	[ "$ctl_status" -eq 0 ] || fail "'armz resume' exited $ctl_status"
	_n=50
	while [ "$(beats)" -le "$_n2" ] && [ "$_n" -gt 0 ]; do
		sleep 0.2
		_n=$((_n - 1))
	done
	[ "$(beats)" -gt "$_n2" ] || fail "no heartbeat after resume"
	ctl status hb1
	grep -q '"state": "VIR_DOMAIN_RUNNING"' "$CTL_OUT" ||
		fail "'armz status' does not say VIR_DOMAIN_RUNNING after resume"
	ctl stop hb1
	wait_pid "$bg_pid" 30 || fail "armz still runs 30 s after 'armz stop'"
	bg_finish
	expect_status 143
	[ ! -e "$CTL_DIR/armz/hb1.sock" ] ||
		fail "hb1's socket is still there after stop"
}

# A VM killed -9 leaves its socket; 'armz list' must not show it and
# must clear the socket away.
case_control_stale() {
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" --name k9 \
		-p "armz.test=hang quiet"
	wait_file "$CTL_DIR/armz/k9.sock" 30 ||
		fail "no socket $CTL_DIR/armz/k9.sock"
	ctl list
	grep -q '^k9 ' "$CTL_OUT" || fail "'armz list' does not show k9"
	kill -9 "$bg_pid"
	bg_finish
	ctl list
	[ "$ctl_status" -eq 0 ] || fail "'armz list' exited $ctl_status"
	! grep -q '^k9 ' "$CTL_OUT" || fail "'armz list' shows the dead k9"
	[ ! -e "$CTL_DIR/armz/k9.sock" ] ||
		fail "'armz list' left the dead k9's socket"
	ctl status k9
	[ "$ctl_status" -eq 1 ] ||
		fail "'armz status' of the dead k9 exited $ctl_status, not 1"
}

# SIGTERM stops the guest in order: status 143 and a report that says
# it was destroyed.
case_sigterm_report() {
	_rep=$LOGDIR/term.json
	rm -f "$_rep"
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--report "$_rep" -p "armz.test=hang quiet"
	wait_out "armz-guest: hanging" && kill -TERM "$bg_pid"
	wait_pid "$bg_pid" 30 || fail "armz still runs 30 s after SIGTERM"
	bg_finish
	expect_status 143
	[ -s "$_rep" ] || { fail "no report written"; return; }
	note "report: $(tr -d ' \n' <"$_rep" | cut -c1-300)"
	grep -q '"state": "VIR_DOMAIN_SHUTOFF"' "$_rep" ||
		fail "the report's state is not VIR_DOMAIN_SHUTOFF"
	grep -q '"reason": "VIR_DOMAIN_SHUTOFF_DESTROYED"' "$_rep" ||
		fail "the report's reason is not VIR_DOMAIN_SHUTOFF_DESTROYED"
	grep -q '"exit_status": 143' "$_rep" ||
		fail "the report's exit_status is not 143"
}

# The report's boot phases: all there, in the order they happen.
case_report_phases() {
	_rep=$LOGDIR/phases.json
	rm -f "$_rep"
	boot_test boot -c 2 --report "$_rep"
	expect_guest_ran
	[ -s "$_rep" ] || { fail "no report written"; return; }
	note "report: $(tr -d ' \n' <"$_rep" | cut -c1-400)"
	_check=$(awk '
		/"times_ms"/ { t = 1; next }
		t && /}/ { t = 0 }
		t { gsub(/[",:]/, ""); k[++n] = $1; v[n] = $2 }
		END {
			split("first_kvm_run first_console_output userspace exit",
			      w, " ")
			for (i = 1; i <= 4; i++) {
				if (k[i] != w[i] || v[i] !~ /^[0-9.]+$/) {
					print "no " w[i]
					exit
				}
				if (i > 1 && v[i] + 0 < v[i - 1] + 0) {
					print w[i] " before " w[i - 1]
					exit
				}
			}
			print "ok"
		}' "$_rep")
	[ "$_check" = ok ] || fail "report phases: $_check"
	grep -q '"state": "VIR_DOMAIN_SHUTOFF"' "$_rep" ||
		fail "the report's state is not VIR_DOMAIN_SHUTOFF"
	grep -q '"reason": "VIR_DOMAIN_SHUTOFF_SHUTDOWN"' "$_rep" ||
		fail "the report's reason is not VIR_DOMAIN_SHUTOFF_SHUTDOWN"
	grep -q '"vcpus": 2' "$_rep" || fail "the report does not say 2 vcpus"
	grep -q '"mmio": [1-9]' "$_rep" || fail "the report counts no MMIO exits"
	grep -q '"peak_rss_kib": [1-9]' "$_rep" || fail "the report has no RSS"
}

# ------------------------------------------------------ run-a-command mode

# Debian's generic kernel: the cloud one has no 9p. Its modules are in
# this host's /lib/modules, where armz finds them; armz-init is beside
# /bin/armz.
GENERIC=/guest/Image-generic
CMD_TIMEOUT=${CMD_TIMEOUT:-90}

# run_cmd ARG...: armz run -k $GENERIC ARG..., in the current directory;
# stdout and stderr kept byte for byte.
run_cmd() {
	echo "(in $PWD) armz run -k $GENERIC $*" >>"$CMD"
	timeout "$CMD_TIMEOUT" "$ARMZ" run -k "$GENERIC" "$@" \
		>"$OUT" 2>"$ERR" </dev/null
	status=$?
}

# expect_exactly FILE TEXT: FILE holds TEXT and a newline, nothing else.
expect_exactly() {
	printf '%s\n' "$2" | cmp -s - "$1" ||
		fail "expected exactly '$2' in ${1##*/}, got" \
			"'$(head -c 120 "$1" | tr '\r\n' '^|')'"
}

case_cmd_status_streams() {
	cd / || return
	# shellcheck disable=SC2016
	run_cmd -- /bin/sh -c 'echo out; echo err >&2; exit 7'
	expect_status 7
	expect_exactly "$OUT" out
	expect_exactly "$ERR" err
}

# The root comes over virtio-fs (virtiofsd is in this host), as the report
# says.
case_cmd_root_read() {
	_rep=$LOGDIR/cmd-root.json
	cd / || return
	rm -f "$_rep"
	run_cmd --report "$_rep" -- /bin/md5sum /guest/initrd.cpio.gz
	expect_status 0
	expect_exactly "$OUT" "$(md5 </guest/initrd.cpio.gz)  /guest/initrd.cpio.gz"
	grep -q '"root_fs": "virtiofs"' "$_rep" 2>/dev/null ||
		fail "the report does not say root_fs virtiofs:" \
			"$(grep root_fs "$_rep" 2>/dev/null | tr -d '\n')"
}

# The root is read-only with a tmpfs over it: the command may write, the
# host sees nothing of it.
case_cmd_overlay() {
	cd / || return
	echo host-bytes >/e2e/scratch
	rm -f /e2e/newfile
	run_cmd -- /bin/sh -c 'echo guest-bytes >/e2e/scratch &&
		echo new >/e2e/newfile && cat /e2e/scratch /e2e/newfile'
	expect_status 0
	expect_out guest-bytes
	expect_out new
	[ "$(cat /e2e/scratch)" = host-bytes ] ||
		fail "the guest's write reached the host's /e2e/scratch"
	[ ! -e /e2e/newfile ] || fail "the guest's new file is on the host"
	rm -f /e2e/scratch /e2e/newfile
}

# --rw: writes land on the host.
case_cmd_rw() {
	cd / || return
	_word=landed-$(rand)
	rm -f /e2e/rwfile
	run_cmd --rw -- /bin/sh -c "echo $_word >/e2e/rwfile"
	expect_status 0
	[ "$(cat /e2e/rwfile 2>/dev/null)" = "$_word" ] ||
		fail "the guest's write did not reach the host with --rw"
	rm -f /e2e/rwfile
}

# A directory on a file system of its own, as a home directory often is:
# the 9p root must take the command there, across the mount.
CMD_HOME=/mnt/e2e

cmd_home() {
	mkdir -p "$CMD_HOME"
	grep -q " $CMD_HOME " /proc/mounts ||
		mount -t tmpfs tmpfs "$CMD_HOME"
}

case_cmd_cwd() {
	cmd_home
	_dir=$CMD_HOME/cwd-test
	mkdir -p "$_dir"
	echo "here-$(rand)" >"$_dir/here.txt"
	cd "$_dir" || return
	run_cmd -- /bin/sh -c 'pwd; cat here.txt'
	cd / || return
	expect_status 0
	expect_exactly "$OUT" "$(printf '%s\n%s' "$_dir" \
		"$(cat "$_dir/here.txt")")"
	rm -rf "$_dir"
}

# The guest gets a /tmp of its own; a command started in the host's /tmp,
# or sharing a directory there, must still run there and see the share,
# or armz must say why not: never run silently somewhere else.
case_cmd_tmp_dir() {
	_dir=$LOGDIR/cwd-tmp _share=$LOGDIR/share-tmp
	mkdir -p "$_dir" "$_share"
	echo "shared-$(rand)" >"$_share/file"
	cd "$_dir" || return
	run_cmd --9p "$_share,tmpshare" -- /bin/sh -c "pwd; cat $_share/file"
	cd / || return
	if [ "$status" -eq 0 ]; then
		expect_exactly "$OUT" "$(printf '%s\n%s' "$_dir" \
			"$(cat "$_share/file")")"
	else
		grep -q '^armz' "$ERR" ||
			fail "status $status and no armz message on stderr"
	fi
	rm -rf "$_dir" "$_share"
}

# --9p DIR,TAG,ro: readable, not writable, at DIR in the guest.
case_cmd_9p_ro() {
	cmd_home
	_dir=$CMD_HOME/share-ro
	rm -rf "$_dir"
	mkdir -p "$_dir"
	echo original >"$_dir/file"
	cd / || return
	run_cmd --9p "$_dir,shr,ro" -- /bin/sh -c "cat $_dir/file
		if echo changed >$_dir/file; then echo write=ok
		else echo write=refused; fi
		if touch $_dir/new; then echo create=ok
		else echo create=refused; fi"
	expect_status 0
	expect_line original
	expect_line write=refused
	expect_line create=refused
	[ "$(cat "$_dir/file")" = original ] || fail "the ro share's file changed"
	[ ! -e "$_dir/new" ] || fail "a file appeared in the ro share"
	rm -rf "$_dir"
}

# A share holding symlinks that point out of it, on a root of its own:
# nothing outside may be read through it.
case_cmd_escape() {
	cmd_home
	_root=$CMD_HOME/esc-root _share=$CMD_HOME/esc-share
	_outside=$CMD_HOME/esc-outside
	rm -rf "$_root" "$_share" "$_outside"
	# The share's mount point must exist in the guest's root.
	mkdir -p "$_root/bin" "$_root/lib" "$_root$_share" "$_share" \
		"$_outside"
	cp /bin/busybox "$_root/bin/"
	for _a in sh cat ls echo; do ln -s busybox "$_root/bin/$_a"; done
	cp -a /lib/modules "$_root/lib/"
	_secret=TOPSECRET-$(rand)
	echo "$_secret" >"$_outside/secret"
	echo inside >"$_share/inside"
	ln -s "$_outside" "$_share/abs-link"
	ln -s ../esc-outside/secret "$_share/rel-link"
	ln -s / "$_share/root-link"
	cd / || return
	run_cmd --rootfs "$_root" --9p "$_share,esc" -- /bin/sh -c "
		cat $_share/inside
		cat $_share/abs-link/secret $_share/rel-link
		cat $_share/../esc-outside/secret
		cat $_share/root-link$_outside/secret
		cd $_share/abs-link && cat secret
		ls -la $_share $_share/abs-link/
		echo all-done"
	expect_line inside
	expect_line all-done
	! grep -q "$_secret" "$OUT" "$ERR" ||
		fail "the guest read $_outside/secret through the share"
	rm -rf "$_root" "$_share" "$_outside"
}

# -------------------------------------------------------------- virtio-fs

# A share for --fs: 1 MiB of random data, and symlinks that point out of
# it (absolute, and relative past its root) at a secret beside it.
FS_DIR=$LOGDIR/fs-share
FS_OUT=$LOGDIR/fs-outside

fs_share() {
	rm -rf "$FS_DIR" "$FS_OUT"
	mkdir -p "$FS_DIR" "$FS_OUT"
	dd if=/dev/urandom of="$FS_DIR/data" bs=64k count=16 2>/dev/null
	echo "FSSECRET-$(rand)" >"$FS_OUT/secret"
	ln -s "$FS_OUT/secret" "$FS_DIR/abs-link"
	ln -s ../fs-outside/secret "$FS_DIR/rel-link"
}

# The guest reads what virtiofsd serves; a read-only share takes no write.
case_fs_read() {
	fs_share
	boot_test fs --fs "$FS_DIR,share,ro"
	expect_guest_ran
	expect_line fs-type=virtiofs
	expect_line "fs-md5=$(md5 <"$FS_DIR/data")"
	expect_line fs-write=refused
	expect_line fs-umount=ok
	[ ! -e "$FS_DIR/new" ] || fail "a file appeared in the ro share"
	! grep -q FSSECRET "$OUT" ||
		fail "the guest read $FS_OUT/secret through a symlink"
	rm -rf "$FS_DIR" "$FS_OUT"
}

# A writable share: the guest's file is on the host.
case_fs_rw() {
	fs_share
	_word=$(rand)
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--fs "$FS_DIR,rwshare" \
		-p "armz.test=fs armz.fstag=rwshare armz.word=$_word quiet"
	expect_guest_ran
	expect_line fs-write=ok
	[ "$(cat "$FS_DIR/new" 2>/dev/null)" = "guest-wrote-$_word" ] ||
		fail "the guest's write is not in $FS_DIR/new"
	! grep -q FSSECRET "$OUT" ||
		fail "the guest read $FS_OUT/secret through a symlink"
	rm -rf "$FS_DIR" "$FS_OUT"
}

# A guest reset keeps the backend: the second boot reads the share too.
case_fs_reset() {
	fs_share
	boot_test fs_reset --fs "$FS_DIR,share,ro"
	expect_guest_ran
	expect_line "fs-md5-0=$(md5 <"$FS_DIR/data")"
	expect_line "fs-md5-1=$(md5 <"$FS_DIR/data")"
	rm -rf "$FS_DIR" "$FS_OUT"
}

# The backend dies under a running guest: armz stops it, says why, exit 1.
case_fs_backend_dies() {
	fs_share
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--fs "$FS_DIR,share" -p "armz.test=fs_hang quiet"
	if wait_out "armz-guest: fs-ready"; then
		_pids=$(pidof virtiofsd)
		note "killing virtiofsd: $_pids"
		[ -n "$_pids" ] || fail "no virtiofsd running"
		# shellcheck disable=SC2086
		kill -9 $_pids
	fi
	bg_finish
	expect_status 1
	expect_err "virtio-fs 'share'"
	rm -rf "$FS_DIR" "$FS_OUT"
}

# No virtiofsd: the root falls back to 9p, and the report says why.
case_cmd_9p_fallback() {
	_rep=$LOGDIR/cmd-9p.json
	cd / || return
	rm -f "$_rep"
	export ARMZ_VIRTIOFSD=none
	run_cmd --report "$_rep" -- /bin/md5sum /guest/initrd.cpio.gz
	unset ARMZ_VIRTIOFSD
	expect_status 0
	expect_exactly "$OUT" "$(md5 </guest/initrd.cpio.gz)  /guest/initrd.cpio.gz"
	grep -q '"root_fs": "9p"' "$_rep" 2>/dev/null ||
		fail "the report does not say root_fs 9p"
	grep -q '"root_fs_fallback": ".*ARMZ_VIRTIOFSD=none' "$_rep" \
		2>/dev/null || fail "the report does not say why 9p"
}

# An --fs share in run-a-command mode, at its host path, holding symlinks
# that point out of it: nothing outside may be read through it.
case_cmd_fs_escape() {
	cmd_home
	_share=$CMD_HOME/fs-esc-share _outside=$CMD_HOME/fs-esc-outside
	rm -rf "$_share" "$_outside"
	mkdir -p "$_share" "$_outside"
	_secret=TOPSECRET-$(rand)
	echo "$_secret" >"$_outside/secret"
	echo inside >"$_share/inside"
	ln -s ../fs-esc-outside/secret "$_share/rel-link"
	ln -s / "$_share/root-link"
	cd / || return
	# The root is $CMD_HOME's tmpfs-less twin: a root of its own.
	_root=$CMD_HOME/fs-esc-root
	rm -rf "$_root"
	mkdir -p "$_root/bin" "$_root/lib" "$_root$_share"
	cp /bin/busybox "$_root/bin/"
	for _a in sh cat ls echo; do ln -s busybox "$_root/bin/$_a"; done
	cp -a /lib/modules "$_root/lib/"
	run_cmd --rootfs "$_root" --fs "$_share,escfs" -- /bin/sh -c "
		cat $_share/inside
		cat $_share/rel-link
		cat $_share/../fs-esc-outside/secret
		cat $_share/root-link$_outside/secret
		echo all-done"
	expect_line inside
	expect_line all-done
	! grep -q "$_secret" "$OUT" "$ERR" ||
		fail "the guest read $_outside/secret through the share"
	rm -rf "$_root" "$_share" "$_outside"
}

# ----------------------------------------------------------------- runner

cases() {
	sed -n 's/^case_\([a-z0-9_]*\)() {$/\1/p' "$0"
}

selected() {
	[ -n "$ARMZ_E2E" ] || return 0
	_old_ifs=$IFS
	IFS=,
	for _p in $ARMZ_E2E; do
		# shellcheck disable=SC2254
		case $1 in $_p) IFS=$_old_ifs; return 0 ;; esac
	done
	IFS=$_old_ifs
	return 1
}

centisecs() {
	read -r _u _ </proc/uptime
	echo "${_u%.*}${_u#*.}"
}

# One line, so that it fits after FAIL: the last lines of stderr and stdout.
log_tail() {
	{ tail -n 3 "$ERR"; tail -n 4 "$OUT"; } 2>/dev/null |
		tr '\n' '|' | cut -c1-400
}

run_case() {
	CMD=$LOGDIR/$1.cmd OUT=$LOGDIR/$1.out ERR=$LOGDIR/$1.err
	: >"$CMD"
	: >"$OUT"
	: >"$ERR"
	reason=""
	status=""
	_t0=$(centisecs)
	"case_$1"
	_dt=$(($(centisecs) - _t0))
	_up=$(grep -E '^(guest-uptime|report-userspace-ms)=' "$OUT" | tr '\n' ' ')
	echo "E2E-TIME $1 $((_dt / 100)).$(printf %02d $((_dt % 100)))s $_up"
	if [ -z "$reason" ]; then
		echo "E2E-RESULT $1 PASS"
		return 0
	fi
	echo "E2E-RESULT $1 FAIL $reason; log: $(log_tail)"
	echo "E2E-LOG-BEGIN $1"
	cat "$CMD"
	echo "--- stderr"
	cat "$ERR"
	echo "--- stdout"
	tail -n 60 "$OUT"
	echo "E2E-LOG-END $1"
	return 1
}

mkdir -p "$LOGDIR"
ran=0
for c in $(cases); do
	selected "$c" || continue
	run_case "$c"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || echo "E2E-ERROR no case matches ARMZ_E2E=$ARMZ_E2E"
