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
