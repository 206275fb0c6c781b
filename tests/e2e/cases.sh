#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# End-to-end cases. They run inside the emulated arm64 KVM host (busybox sh),
# started by its /init, and each prints exactly one line:
#
#   E2E-RESULT NAME PASS
#   E2E-RESULT NAME FAIL reason
#   E2E-RESULT NAME SKIP reason
#
# and after the last one E2E-CASES-END. A case is a function case_NAME()
# defined at the start of a line; cases run in the order they appear. To
# add one, write the function: run armz with run_armz (or check something
# else), then state what must hold with the expect_* helpers. The first
# unmet expectation is the case's reason. skip is only for a capability
# the host lacks, checked first and named; the runner counts skips, and in
# CI a skip fails the run.
#
# ARMZ_E2E=boot_1cpu,bad_* selects cases (names or shell patterns).
# cases.sh --list prints the names selected, one a line, and runs nothing:
# the runner checks the results against it.

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

# skip WHAT: the host lacks WHAT, which the case needs and has checked for.
# A failure before or after still makes the case fail.
skip() {
	[ -n "$skipped" ] || skipped=$*
}

# cd_or_fail DIR: a case that cannot get to where it runs fails.
cd_or_fail() {
	cd "$1" 2>/dev/null || { fail "cannot cd to $1"; return 1; }
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

# The test kernel in the forms a developer has it: gzip'd (Ubuntu's
# vmlinuz is), and an EFI zboot image (zstd), made by tests/tools/mkzboot.
case_boot_image_gz() {
	run_armz "$BOOT_TIMEOUT" run -k /guest/Image.gz -i "$INITRD" \
		-p "armz.test=boot quiet"
	expect_guest_ran
	expect_line "initrd-stamp=$STAMP"
}

case_boot_zboot() {
	run_armz "$BOOT_TIMEOUT" run -k /guest/Image.zboot -i "$INITRD" \
		-p "armz.test=boot quiet"
	expect_guest_ran
	expect_line "initrd-stamp=$STAMP"
}

# --kernel-format raw: a bare binary at RAM + 0x80000, entered at its
# first byte with x0 = the DTB, on a Linux guest's machine (initrd and
# all). Without it the same file is refused, saying what would take it.
case_boot_raw_kernel() {
	run_armz "$QUICK_TIMEOUT" run -k /payloads/hello.bin -i "$INITRD" \
		--kernel-format raw
	expect_status 42
	expect_out "payload: device tree and test-exit found"
	run_armz "$QUICK_TIMEOUT" run -k /payloads/hello.bin
	expect_status 1
	expect_err "raw kernel format"
}

# A kernel that resets before it reaches userspace, every time: armz
# stops the loop at the third reset (within 60 s) with 123 and says so.
case_boot_loop() {
	_rep=$LOGDIR/loop.json
	rm -f "$_rep"
	run_armz "$QUICK_TIMEOUT" run -k /payloads/reset.bin \
		--kernel-format raw --timeout 45s --report "$_rep"
	expect_status 123
	expect_err "boot loop"
	_n=$(grep -c '^payload: resetting$' "$OUT")
	[ "$_n" -eq 3 ] || fail "expected 3 boots before armz stopped, saw $_n"
	grep -q '"resets": 2,' "$_rep" 2>/dev/null ||
		fail "the report does not count 2 reboots"
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
	# The boot phases are all there, in this order; a quiet kernel
	# prints nothing, so the first console byte may come after
	# userspace. (busybox sh has no pipefail: an empty match must not
	# reach awk as a pass.)
	_times=$(tr -d ' \n' <"$_rep" 2>/dev/null |
		grep -o '"times_ms":{[^}]*}')
	if [ -z "$_times" ]; then
		fail "the report has no times_ms"
	elif ! echo "$_times" | awk -F'[:,}]' '{
		for (i = 3; i <= 9; i += 2)
			if ($i !~ /^[0-9.]+$/)
				exit 1
		if (!($3 <= $5 && $3 <= $7 && $5 <= $9 && $7 <= $9))
			exit 1 }'; then
		fail "report's boot phases are missing or out of order: $_times"
	fi
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

# ------------------------------------------- kvmtool's command line: lkvm
# armz started as lkvm speaks kvmtool's command line; the bare test
# binary (tests/payloads/bare) stands in for kvm-unit-tests' tests, run
# with exactly the flags kvm-unit-tests' runner gives kvmtool.
LKVM=${LKVM:-/bin/lkvm}
BARE=/payloads/bare.bin
# What kvm-unit-tests puts in its environment file (the initrd).
BARE_ENV=$LOGDIR/bare.env

# run_lkvm TIMEOUT ARG...: as run_armz, through the lkvm name.
run_lkvm() {
	_t=$1
	shift
	echo "${ARMZ_FEATURES:+ARMZ_FEATURES=$ARMZ_FEATURES }lkvm $*" >>"$CMD"
	timeout "$_t" "$LKVM" "$@" >"$OUT" 2>"$ERR" </dev/null
	status=$?
	tr -d '\r' <"$OUT" >"$OUT.tmp" && mv "$OUT.tmp" "$OUT"
	[ "$status" -ne 143 ] || note "killed after ${_t}s"
}

# run_bare CPUS PARAMS [LKVM OPTION...]: kvm-unit-tests' arm/run line.
run_bare() {
	_cpus=$1 _params=$2
	shift 2
	printf 'TESTNAME=bare\nKVM_UNIT_TESTS_ENV_OLD=1\nFOO=bar 1\n' \
		>"$BARE_ENV"
	run_lkvm "$QUICK_TIMEOUT" run --kernel "$BARE" --cpus "$_cpus" \
		--params "$_params" --nodefaults --network mode=none \
		--loglevel=warning "$@" --initrd "$BARE_ENV"
}

# A lkvm usage error: one 'lkvm: ...' line holding STR.
expect_lkvm_err() {
	grep -F -- "$1" "$ERR" | grep -q '^lkvm: ' ||
		fail "expected an 'lkvm: ...$1...' line on stderr"
}

# The bare binary ran to its end: its status line and no failed check.
expect_bare_passed() {
	expect_out "bare: early output at 0x1000000"
	expect_out "dt: /chosen"
	expect_out "env: FOO=bar 1"
	expect_out " 0 unexpected failures"
	expect_line "EXIT: STATUS=1"
	expect_no_out "FAIL: "
}

case_lkvm_help() {
	run_lkvm "$QUICK_TIMEOUT" --help
	expect_status 0
	expect_out "The most commonly used lkvm commands are:"
	run_lkvm "$QUICK_TIMEOUT" run --help
	expect_status 0
	expect_out "--irqchip"
	run_lkvm "$QUICK_TIMEOUT" version
	expect_status 0
	expect_out "armz "
	# What armz does not have is refused by name, as a usage error.
	run_lkvm "$QUICK_TIMEOUT" run --kernel "$BARE" --nested
	expect_status 2
	expect_lkvm_err "'--nested' is not supported by armz"
	run_lkvm "$QUICK_TIMEOUT" run --kernel "$BARE" --network mode=bridge
	expect_status 2
	expect_lkvm_err "mode=bridge"
	# kvm-unit-tests probes with a kernel that is not there, and runs
	# nothing unless the answer is in kvmtool's words.
	run_bare 1 "" --kernel _NO_FILE_4Uhere_
	expect_status 1
	expect_err "Fatal: Unable to open kernel _NO_FILE_4Uhere_"
	# ... and skips the test when the machine cannot be made, which must
	# therefore be said first, as kvmtool does.
	run_bare 2 "" --kernel _NO_FILE_4Uhere_ --irqchip=gicv2
	expect_status 1
	if grep -q "cannot make a GICv2" "$ERR"; then
		! grep -q "Unable to open kernel" "$ERR" ||
			fail "the missing kernel was named, not the GICv2"
	else
		expect_err "Fatal: Unable to open kernel _NO_FILE_4Uhere_"
	fi
	export ARMZ_FEATURES=s390
	run_bare 1 "" --kernel _NO_FILE_4Uhere_ --irqchip=gicv3
	unset ARMZ_FEATURES
	expect_status 1
	expect_err "--irqchip: no in-kernel interrupt controller"
}

# 2 vCPUs, 256 MiB in kvmtool's unit, GICv3, timer, PSCI CPU_ON, the
# environment from the initrd and bootargs exactly --params.
case_lkvm_bare() {
	run_bare 2 "cpus=2 mem=256 gic=v3 timer=1 psci=1 pmu=0 its=0 env=TESTNAME env=FOO smp" \
		--mem 256
	expect_status 0
	expect_bare_passed
	expect_out "bare: bootargs 'cpus=2 mem=256 gic=v3 timer=1 psci=1 pmu=0 its=0 env=TESTNAME env=FOO smp'"
	expect_out "bare: cpu 1 up, MPIDR 0x1"
	expect_out "dt: /psci"
	expect_out "dt: /serial@9000000"
}

# A failing check must show in the status line (kvm-unit-tests reads it).
case_lkvm_bare_fail() {
	run_bare 1 "cpus=1 fail"
	expect_status 0
	expect_out "FAIL: fail: asked to"
	expect_line "EXIT: STATUS=3"
}

case_lkvm_pmu() {
	run_bare 2 "cpus=2 pmu=1 smp" --pmu
	expect_status 0
	expect_bare_passed
	expect_out "dt: /pmu"
}

case_lkvm_its() {
	run_bare 2 "cpus=2 gic=v3 its=1 smp" --irqchip=gicv3-its
	expect_status 0
	expect_bare_passed
	expect_out "dt: /intc@8000000/msi-controller@8080000"
}

# A GICv3 host gives a GICv2 only with the v2 compatibility of its CPU
# interface, which the emulated host lacks: armz must then say so.
case_lkvm_gicv2() {
	run_bare 2 "cpus=2 gic=v2 smp" --irqchip=gicv2
	if [ "$status" = 1 ]; then
		expect_err "--irqchip=gicv2: this arm64 KVM cannot make a GICv2"
		note "this host cannot make a GICv2: the refusal was checked"
	else
		expect_status 0
		expect_bare_passed
	fi
}

# armz's own command line runs the same binary with the raw format.
case_raw_kernel_format() {
	printf 'TESTNAME=raw\nFOO=bar 1\n' >"$BARE_ENV"
	run_armz "$QUICK_TIMEOUT" run -k "$BARE" --kernel-format raw -c 2 \
		-i "$BARE_ENV" -p "cpus=2 mem=256 gic=v3 env=FOO smp"
	expect_status 0
	expect_bare_passed
	expect_out "bare: bootargs 'cpus=2 mem=256 gic=v3 env=FOO smp'"
}

# ------------------------------------ the s390 device's feature set
# ARMZ_FEATURES=s390 keeps armz to what the arm64 KVM on s390 offers as
# posted: 1 vCPU, no vGIC, no irqfd, no PSCI 0.2 feature at VCPU_INIT, core
# registers only. What runs there today runs here under real KVM.

case_s390_payloads() {
	export ARMZ_FEATURES=s390
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/hello.bin
	expect_status 42
	expect_out "payload: device tree and test-exit found"
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/fault.bin
	expect_status 121
	expect_err "unmapped address"
	# Without the PSCI 0.2 feature KVM speaks PSCI 0.1, which has no
	# SYSTEM_OFF: the call returns and the payload says so (the s390
	# device serves SYSTEM_OFF itself).
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/poweroff.bin
	expect_status 5
	expect_out "payload: PSCI SYSTEM_OFF returned"
	unset ARMZ_FEATURES
}

# kvm-unit-tests' no-GIC tests: 1 vCPU, no interrupt controller, no timer
# or PSCI node, arguments and environment as on a full host.
case_s390_bare() {
	export ARMZ_FEATURES=s390
	run_bare 1 "cpus=1 mem=256 gic=none timer=0 psci=0 pmu=0 env=TESTNAME env=FOO"
	unset ARMZ_FEATURES
	expect_status 0
	expect_bare_passed
	expect_out "bare: ending through test-exit"
	expect_no_out "dt: /intc"
	expect_no_out "dt: /timer"
}

case_s390_refused() {
	export ARMZ_FEATURES=s390
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -i "$INITRD"
	expect_status 1
	expect_err "no in-kernel interrupt controller on /dev/kvm (ARMZ_FEATURES=s390): a Linux guest cannot run here yet"
	expect_err "payloads (use --payload FILE) and bare test binaries"
	run_bare 2 "cpus=2"
	expect_status 1
	expect_err "(ARMZ_FEATURES=s390) offers 1 vCPU"
	run_bare 1 "cpus=1" --pmu
	expect_status 1
	expect_err "--pmu"
	run_bare 1 "cpus=1" --rng
	expect_status 1
	expect_err "no virtio devices"
	export ARMZ_FEATURES=s390x
	run_armz "$QUICK_TIMEOUT" run --payload /payloads/hello.bin
	expect_status 1
	expect_err "ARMZ_FEATURES='s390x'"
	unset ARMZ_FEATURES
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

# Refused for the reason given, not merely refused.
case_bad_cpus_zero() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -c 0
	expect_status 2
	expect_err "--cpus '0': give a number from 1 to"
}

case_bad_mem_huge() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -m 1T
	expect_status 2
	expect_err "--mem '1T': give a size from"
}

case_bad_mem_zero() {
	run_armz "$QUICK_TIMEOUT" run -k "$KERNEL" -m 0
	expect_status 2
	expect_err "--mem '0': give a size from"
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
# The full boot log on the UART, its writes queued in KVM's coalesced
# MMIO ring, and again with every write an exit: the same text either
# way, and nothing in it the kernel did not print (a divisor byte the
# 8250 driver writes with DLAB set, served out of order, would be a
# stray control byte in the log).
uart_boot_log() {
	_log=$LOGDIR/uart-$1.log _rep=$LOGDIR/uart-$1.json
	rm -f "$_log" "$_rep"
	run_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--console-log "$_log" --report "$_rep" -p armz.test=boot
	expect_guest_ran
	grep -q 'Linux version' "$_log" 2>/dev/null ||
		fail "$1: the log lacks the kernel's banner"
	tr -d '\r' <"$_log" 2>/dev/null | grep -qxF "initrd-stamp=$STAMP" ||
		fail "$1: the log lacks initrd-stamp=$STAMP"
	_stray=$(tr -d '\r\n\t -~' <"$_log" | od -An -tx1 | head -c 60)
	[ -z "$_stray" ] || fail "$1: bytes the kernel did not print: $_stray"
	queued=$(sed -n 's/^ *"queued_writes": \([0-9]*\).*/\1/p' "$_rep")
	mmio=$(tr -d ' \n' <"$_rep" |
		sed -n 's/.*"vcpu_exits":{[^}]*"mmio":\([0-9]*\).*/\1/p')
	note "$1: $queued UART writes queued, ${mmio:-?} MMIO exits:" \
		"$(tr -d ' \n' <"$_rep" | grep -o '"mmio_exits":{[^}]*}')"
	uart_exits=$(tr -d ' \n' <"$_rep" |
		sed -n 's/.*"mmio_exits":{[^}]*"uart@0x9000000":\([0-9]*\).*/\1/p')
}

case_console_uart_queued() {
	ARMZ_FEATURES=no-coalesced-mmio uart_boot_log plain
	[ "$queued" = 0 ] || fail "plain: $queued writes queued without the ring"
	_plain=$mmio _plain_uart=$uart_exits
	uart_boot_log queued
	[ "${queued:-0}" -ge 5000 ] ||
		fail "queued: only ${queued:-no} UART writes went through the ring"
	[ -n "$mmio" ] && [ -n "$_plain" ] && [ "$mmio" -lt "$_plain" ] ||
		fail "queued: ${mmio:-?} MMIO exits, not fewer than ${_plain:-?}"
	# The report says where they went: the UART's own share fell.
	[ -n "$uart_exits" ] && [ -n "$_plain_uart" ] &&
		[ "$uart_exits" -lt "$_plain_uart" ] ||
		fail "the UART's exits: ${uart_exits:-?} queued, ${_plain_uart:-?} plain"
}

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

# report_dev NAME KEY: a counter of device NAME in the report $_rep.
report_dev() {
	tr -d ' \n' <"$_rep" 2>/dev/null | grep -o "{\"name\":\"$1\"[^}]*}" |
		sed -n "s/.*\"$2\":\([0-9]*\).*/\1/p" | head -n 1
}

# net_tap IFNAME NETOPTS: a file each way between the guest and the
# host over a tap, checksums compared. The report then says who moved
# the packets: armz's own virtio-net counts the 4 MiB the host sent, and
# with vhost-net none of it, since the host kernel moved them.
net_tap() {
	_tapif=$1 _rep=$LOGDIR/tap-report.json
	modprobe tun 2>/dev/null
	[ -c /dev/net/tun ] || { skip "no /dev/net/tun in the host"; return; }
	ip link set lo up
	rm -f "$_rep"
	host_recv "$LOGDIR/tap-recv" 5001
	bg_armz "$BOOT_TIMEOUT" run -k "$KERNEL" -i "$INITRD" \
		--net "tap,ifname=$_tapif$2" --report "$_rep" \
		-p "armz.test=net_tap quiet"
	if wait_file /sys/class/net/$_tapif 30; then
		ip addr add "$TAP_HOST/24" dev "$_tapif"
		ip link set "$_tapif" up
	else
		fail "armz made no $_tapif"
	fi
	if wait_out "armz-guest: sent"; then
		# vhost-net works in a thread of the VMM's own: "vhost-PID"
		# (what it moved, the report tells at the end).
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
	_in=$(report_dev virtio-net bytes_in)
	_out=$(report_dev virtio-net bytes_out)
	_irqs=$(report_dev virtio-net interrupts)
	note "report: virtio-net bytes_in=$_in bytes_out=$_out interrupts=$_irqs"
	if [ -z "$_in" ] || [ -z "$_out" ] || [ -z "$_irqs" ]; then
		fail "the report has no virtio-net counters"
	else
		case $2 in
		*vhost=on*)
			# armz saw none of the data: the kernel moved it.
			[ "$_in" -lt 65536 ] && [ "$_out" -lt 65536 ] ||
				fail "with vhost=on armz itself moved the data" \
					"(bytes_in $_in, bytes_out $_out)"
			[ "$_irqs" -gt 0 ] ||
				fail "no interrupts relayed from vhost-net" ;;
		*)
			[ "$_out" -ge 4194304 ] ||
				fail "armz's virtio-net delivered $_out bytes," \
					"less than the 4 MiB the host sent" ;;
		esac
	fi
	rm -f "$LOGDIR"/tap-*
}

case_net_tap() {
	net_tap tap0 ""
}

# The same with vhost-net moving the packets in the host kernel.
case_net_tap_vhost() {
	modprobe vhost_net 2>/dev/null
	[ -c /dev/vhost-net ] || { skip "no /dev/vhost-net in the host"; return; }
	net_tap tap1 ",vhost=on"
}

# User mode needs libslirp, which only a dynamic armz has: /bin/armz-dyn.
ARMZ_DYN=${ARMZ_DYN:-/bin/armz-dyn}

case_net_user() {
	[ -x "$ARMZ_DYN" ] || {
		skip "no $ARMZ_DYN (libslirp) in the host: no dynamic armz" \
			"was built (see the runner's output)"; return; }
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
		skip "no $ARMZ_DYN (libslirp) in the host: no dynamic armz" \
			"was built (see the runner's output)"; return; }
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
		skip "no $ARMZ_DYN (libslirp) in the host: no dynamic armz" \
			"was built (see the runner's output)"; return; }
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
# directory must exist (the runner below makes it).
CTL_DIR=$LOGDIR/xdg
XDG_RUNTIME_DIR=$CTL_DIR
export XDG_RUNTIME_DIR

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

# kvmtool's list, pause, resume and stop --name, on the bare binary
# beating twice a second (a Linux boot would cost the suite a minute).
lkvm_ctl() {
	CTL_OUT=$LOGDIR/ctl.out
	echo "lkvm $*" >>"$CMD"
	timeout 20 "$LKVM" "$@" >"$CTL_OUT" 2>>"$ERR"
	ctl_status=$?
	sed 's/^/  | /' "$CTL_OUT" >>"$CMD"
}

bare_beats() {
	grep -c '^beat=' "$OUT"
}

case_lkvm_control() {
	ARMZ_BIN=$LKVM bg_armz "$QUICK_TIMEOUT" run --kernel "$BARE" \
		--name lk1 --nodefaults --network mode=none --params beat
	wait_out beat=2 30 || { bg_kill; return; }
	lkvm_ctl list
	grep -q '^lk1 .*VIR_DOMAIN_RUNNING' "$CTL_OUT" ||
		fail "'lkvm list' does not show lk1 running"
	lkvm_ctl pause --name lk1
	[ "$ctl_status" -eq 0 ] || fail "'lkvm pause' exited $ctl_status"
	sleep 1
	_n1=$(bare_beats)
	sleep 2
	[ "$_n1" -eq "$(bare_beats)" ] || fail "the beat went on while paused"
	lkvm_ctl resume --name lk1
	[ "$ctl_status" -eq 0 ] || fail "'lkvm resume' exited $ctl_status"
	wait_out "beat=$((_n1 + 2))" 30
	lkvm_ctl stop --name lk1
	[ "$ctl_status" -eq 0 ] || fail "'lkvm stop' exited $ctl_status"
	wait_pid "$bg_pid" 30 || fail "armz still runs 30 s after 'lkvm stop'"
	bg_finish
	expect_status 143
}

# Stop ends armz within a bound whatever the guest has queued: its disk's
# queue full of writes, its console (hvc0) printing without end to a
# reader that stopped reading: armz's stdout is a fifo read up to the
# guest's first flood line, then held open and never read again. Once
# the console log, which armz writes after stdout, has 48 KiB and stays
# the same for three seconds, the fifo (64 KiB) is full and the console's
# worker waits on it; a waiting writer used to hold armz forever. (The UART
# takes the same path from a vCPU, but fills 64 KiB too slowly under
# TCG for a test.) 10 s is what TCG needs for armz's teardown, not a
# benchmark: armz lets go after one disk step (1 MiB) and a poll(); the
# bound is there to catch waiting for ever.
STOP_BOUND=10

stop_bounded_one() {
	_img=$LOGDIR/stop.img _fifo=$LOGDIR/stop.fifo _seen=$LOGDIR/stop.seen
	_log=$LOGDIR/stop.log
	rm -f "$_img" "$_fifo" "$_seen" "$_log"
	truncate -s 64M "$_img"
	mkfifo "$_fifo"
	( grep -q -m1 "armz-guest: flooding" && : >"$_seen"
	  exec sleep 600 ) <"$_fifo" &
	_reader=$!
	echo "armz run ... --console $1 >fifo (background)" >>"$CMD"
	"$ARMZ" run -k "$KERNEL" -i "$INITRD" --name stopper --disk "$_img" \
		--console "$1" --console-log "$_log" -p "armz.test=flood quiet" \
		>"$_fifo" 2>>"$ERR" </dev/null &
	bg_pid=$!
	if ! wait_file "$_seen" "$BOOT_TIMEOUT"; then
		fail "$1: the guest never started its flood"
		bg_kill
	elif ! console_blocked "$_log"; then
		fail "$1: the console never filled its reader"
		bg_kill
	else
		ctl stop stopper
		_stop_t0=$(centisecs)
		_n=$((STOP_BOUND * 5))
		while kill -0 "$bg_pid" 2>/dev/null && [ "$_n" -gt 0 ]; do
			sleep 0.2
			_n=$((_n - 1))
		done
		if kill -0 "$bg_pid" 2>/dev/null; then
			fail "$1: armz still ran ${STOP_BOUND}s after 'armz stop'"
			kill -9 "$bg_pid"
		else
			_ms=$(($(centisecs) - _stop_t0))0
			note "$1: armz ended $_ms ms after 'armz stop'"
			echo "E2E-NOTE stop_bounded $1: armz ended $_ms ms after 'armz stop'"
		fi
	fi
	wait "$bg_pid" 2>/dev/null
	status=$?
	kill "$_reader" 2>/dev/null
	wait "$_reader" 2>/dev/null
	[ "$status" = 143 ] ||
		fail "$1: expected exit status 143 after 'armz stop', got $status"
	rm -f "$_img" "$_fifo" "$_seen" "$_log"
}

# console_blocked LOG: 0 once LOG holds 48 KiB and stays the same for
# three seconds, 1 if that does not happen within three minutes.
console_blocked() {
	_last=-1 _same=0 _n=180
	while [ "$_n" -gt 0 ]; do
		sleep 1
		_size=$(stat -c %s "$1" 2>/dev/null || echo 0)
		if [ "$_size" = "$_last" ]; then
			_same=$((_same + 1))
		else
			_same=0
		fi
		if [ "$_size" -ge 49152 ] && [ "$_same" -ge 3 ]; then
			note "the console blocked at $_size bytes"
			return 0
		fi
		_last=$_size
		_n=$((_n - 1))
	done
	note "the console log has $_size bytes, not blocked"
	return 1
}

case_stop_bounded() {
	stop_bounded_one virtio
	expect_err "stopped by 'armz stop'"
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
				# A quiet kernel prints nothing: its first
				# console byte may come after userspace.
				p = i == 3 ? 1 : i - 1
				if (i > 1 && v[i] + 0 < v[p] + 0) {
					print w[i] " before " w[p]
					exit
				}
				if (i == 4 && v[4] + 0 < v[2] + 0) {
					print w[4] " before " w[2]
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

# A quiet boot is quiet from its first line: armz's console parameters
# come after the user's, so quiet governs the early console too and the
# boot log is not replayed. The report's vCPU exits go to E2E-TIME.
case_quiet_boot() {
	_rep=$LOGDIR/quiet.json
	rm -f "$_rep"
	boot_test boot --report "$_rep"
	expect_guest_ran
	expect_no_out "Booting Linux on physical CPU"
	expect_no_out "Machine model:"
	tr -d ' \n' <"$_rep" 2>/dev/null | grep -o '"vcpu_exits":{[^}]*}' |
		sed 's/"vcpu_exits":{//; s/}//; s/"//g; s/:/=/g; s/,/ /g' |
		awk '{ t = 0; for (i = 1; i <= NF; i++) {
			split($i, kv, "="); t += kv[2]
			print "report-exits-" kv[1] "=" kv[2] }
			print "report-exits-total=" t }' >>"$OUT"
	grep -q '^report-exits-mmio=[0-9]' "$OUT" ||
		fail "the report counts no vCPU exits"
}

# ------------------------------------------------------ run-a-command mode

# Debian's generic kernel: the cloud one has no 9p. Its modules are in
# this host's /lib/modules, where armz finds them; armz-init is beside
# /bin/armz.
GENERIC=/guest/Image-generic
CMD_TIMEOUT=${CMD_TIMEOUT:-90}

# run_cmd ARG...: armz run -k $GENERIC ARG..., in the current directory;
# stdout and stderr kept byte for byte. CMD_KERNEL=PATH boots another.
run_cmd() {
	_kernel=${CMD_KERNEL:-$GENERIC}
	echo "(in $PWD) armz run -k $_kernel $*" >>"$CMD"
	timeout "$CMD_TIMEOUT" "$ARMZ" run -k "$_kernel" "$@" \
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
	cd_or_fail / || return
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
	cd_or_fail / || return
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
	cd_or_fail / || return
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
# The root over virtio-fs with --rw: writes land, and a set-user-ID or
# set-group-ID bit the guest asks for never does (virtiofsd runs under
# armz's filter against them).
case_cmd_rw() {
	cd_or_fail / || return
	_word=landed-$(rand) _rep=$LOGDIR/cmd-rw.json
	rm -f /e2e/rwfile /e2e/rwsuid "$_rep"
	run_cmd --rw --report "$_rep" -- /bin/sh -c "echo $_word >/e2e/rwfile
		echo x >/e2e/rwsuid; chmod 0755 /e2e/rwsuid
		chmod 4755 /e2e/rwsuid || echo setuid-refused
		chmod 2755 /e2e/rwsuid || echo setgid-refused"
	expect_status 0
	[ "$(cat /e2e/rwfile 2>/dev/null)" = "$_word" ] ||
		fail "the guest's write did not reach the host with --rw"
	grep -q '"root_fs": "virtiofs"' "$_rep" 2>/dev/null ||
		fail "the root did not go over virtio-fs"
	expect_line setuid-refused
	expect_line setgid-refused
	_mode=$(stat -c %a /e2e/rwsuid 2>/dev/null)
	[ "$_mode" = 755 ] ||
		fail "the guest's file is mode $_mode on the host, not 755"
	rm -f /e2e/rwfile /e2e/rwsuid
}

# A directory on a file system of its own, as a home directory often is:
# the 9p root must take the command there, across the mount.
CMD_HOME=/mnt/e2e

cmd_home() {
	mkdir -p "$CMD_HOME"
	grep -q " $CMD_HOME " /proc/mounts ||
		mount -t tmpfs tmpfs "$CMD_HOME"
	grep -q " $CMD_HOME tmpfs " /proc/mounts || {
		fail "no tmpfs on $CMD_HOME: nothing would cross a mount"
		return 1
	}
}

case_cmd_cwd() {
	cmd_home || return
	_dir=$CMD_HOME/cwd-test
	mkdir -p "$_dir"
	echo "here-$(rand)" >"$_dir/here.txt"
	cd_or_fail "$_dir" || return
	run_cmd -- /bin/sh -c 'pwd; cat here.txt'
	cd_or_fail / || return
	expect_status 0
	expect_exactly "$OUT" "$(printf '%s\n%s' "$_dir" \
		"$(cat "$_dir/here.txt")")"
	rm -rf "$_dir"
}

# A command started in the host's /tmp, sharing a directory there, runs
# there and sees the share: armz-init lays no tmpfs over the root's /tmp,
# so there is no reason left to refuse, and a refusal, a failed mount or
# a hang is a failure (never run silently somewhere else either).
case_cmd_tmp_dir() {
	_dir=$LOGDIR/cwd-tmp _share=$LOGDIR/share-tmp
	mkdir -p "$_dir" "$_share"
	echo "shared-$(rand)" >"$_share/file"
	cd_or_fail "$_dir" || return
	run_cmd --9p "$_share,tmpshare" -- /bin/sh -c "pwd; cat $_share/file"
	cd_or_fail / || return
	expect_status 0
	expect_exactly "$OUT" "$(printf '%s\n%s' "$_dir" "$(cat "$_share/file")")"
	[ ! -s "$ERR" ] ||
		fail "stderr: '$(head -c 200 "$ERR" | tr '\r\n' '^|')'"
	rm -rf "$_dir" "$_share"
}

# --9p DIR,TAG,ro: readable, not writable, at DIR in the guest.
case_cmd_9p_ro() {
	cmd_home || return
	_dir=$CMD_HOME/share-ro
	rm -rf "$_dir"
	mkdir -p "$_dir"
	echo original >"$_dir/file"
	cd_or_fail / || return
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
	cmd_home || return
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
	cd_or_fail / || return
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

# A panic in run-a-command mode (booted with panic=-1: the kernel resets
# at once) ends the run with 122 within seconds, instead of a reboot that
# runs the command again until the timeout; its trace is on stderr
# without --verbose, and the report says the guest panicked.
case_cmd_panic() {
	cd / || return
	_rep=$LOGDIR/cmd-panic.json
	rm -f "$_rep"
	run_cmd --report "$_rep" -- \
		/bin/sh -c 'echo c >/proc/sysrq-trigger'
	expect_status 122
	grep -q 'Kernel panic - not syncing: sysrq triggered crash' "$ERR" ||
		fail "the panic's line is not on stderr"
	grep -q 'Call trace:' "$ERR" || fail "the panic's trace is not on stderr"
	expect_err "panicked"
	grep -q '"reason": "VIR_DOMAIN_CRASHED_PANICKED"' "$_rep" 2>/dev/null ||
		fail "the report does not say VIR_DOMAIN_CRASHED_PANICKED"
	grep -q '"resets": 0,' "$_rep" 2>/dev/null ||
		fail "the guest was booted again after the panic"
}

# What the command writes reaches armz's stdout and stderr byte for
# byte: every byte value, CR and LF among them, none added.
case_cmd_binary_streams() {
	_blob=/e2e/blob.bin
	{
		_i=0
		while [ $_i -lt 256 ]; do
			# shellcheck disable=SC2059 # the byte's octal escape
			printf "\\$(printf %o $_i)"
			_i=$((_i + 1))
		done
		printf 'a\nb\r\nc\r\r\n\n'
		dd if=/dev/urandom bs=64k count=2 2>/dev/null
	} >"$_blob"
	cd / || return
	run_cmd -- /bin/sh -c "cat $_blob; cat $_blob >&2"
	expect_status 0
	cmp -s "$_blob" "$OUT" ||
		fail "stdout differs from $_blob: $(cmp "$_blob" "$OUT" 2>&1 |
			head -c 100)"
	cmp -s "$_blob" "$ERR" ||
		fail "stderr differs from $_blob: $(cmp "$_blob" "$ERR" 2>&1 |
			head -c 100)"
	rm -f "$_blob"
}

# A command that is not there: 127 and armz-init's line saying so. The
# root holds no modules; --modules names where they are.
case_cmd_not_found() {
	_root=$LOGDIR/bare-root
	mkdir -p "$_root"
	cd / || return
	run_cmd --rootfs "$_root" --modules / -- /nonexistent
	expect_status 127
	grep -qx 'armz-init: cannot run /nonexistent: No such file or directory' \
		"$ERR" || fail "stderr lacks armz-init's 'cannot run /nonexistent'"
}

# A root without the kernel's modules, the kernel's config known (beside
# it, /guest/config-RELEASE): refused before boot, naming what is missing.
# --modules naming a tree without them is refused as well.
case_cmd_modules_missing() {
	_root=$LOGDIR/bare-root _log=$LOGDIR/nomod.log
	mkdir -p "$_root" "$LOGDIR/no-modules"
	rm -f "$_log"
	cd / || return
	run_cmd --rootfs "$_root" --console-log "$_log" -- /bin/true
	expect_status 1
	expect_err "needs modules armz did not find"
	expect_err "virtio_mmio (CONFIG_VIRTIO_MMIO=m)"
	expect_err "9p (CONFIG_9P_FS=m)"
	[ ! -e "$_log" ] || fail "the guest was booted (a console log exists)"
	run_cmd --modules "$LOGDIR/no-modules" -- /bin/true
	expect_status 1
	expect_err "--modules '$LOGDIR/no-modules' holds no modules"
}

# No config anywhere and no modules: armz says once that it checked
# nothing, the guest boots, and armz-init's lines say on stderr why the
# root would not mount (the case of a kernel without the modules it
# needs): 126, never silence.
case_cmd_no_config() {
	_root=$LOGDIR/bare-root _k=$LOGDIR/nocfg/Image
	mkdir -p "$_root" "${_k%/*}"
	cp "$GENERIC" "$_k"
	cd / || return
	CMD_KERNEL=$_k run_cmd --rootfs "$_root" -- /bin/true
	rm -rf "${_k%/*}"
	expect_status 126
	expect_err "found no config of kernel"
	grep -q '^armz-init: cannot mount the root from the host over 9p' \
		"$ERR" || fail "stderr lacks armz-init's 'cannot mount the root'"
}

# A kernel that never gets to armz-init (rdinit= names a directory of
# the initramfs, which it cannot run, and there is no other init): armz
# says so, and the kernel's lines before its panic are on stderr too.
case_cmd_no_init() {
	cd / || return
	run_cmd -p rdinit=/armz -- /bin/true
	expect_status 122
	expect_err "never started"
	grep -q 'Failed to execute /armz' "$ERR" ||
		fail "the kernel's lines before the panic are not on stderr"
	grep -q 'Kernel panic - not syncing: No working init found' "$ERR" ||
		fail "the panic is not on stderr"
}

# A guest that resets in run-a-command mode is not booted again (that
# would run the command twice): 123, and armz says why.
case_cmd_reset() {
	cd / || return
	run_cmd -- /bin/sh -c 'echo once; reboot -f'
	expect_status 123
	expect_exactly "$OUT" once
	expect_err "never boots a command's guest twice"
}

# -------------------------------------------------------------------- gdb

# gdb runs outside: the host's eth0 (host-init.sh) takes what qemu
# forwards from the outer machine to this port, and run.sh starts gdb
# there when a case prints "E2E-GDB-READY NAME PORT [SYMBOL=ADDRESS...]"
# (tests/e2e/gdb.sh holds gdb's side and judges it as case NAME_gdb).
# The case here judges what armz and the guest did meanwhile.
GDB_PORT=1234
# armz under gdb, at most: the payloads' sessions take seconds, the
# kernel's a minute; a gdb that never comes costs no more than this.
GDB_PAYLOAD_TIMEOUT=${GDB_PAYLOAD_TIMEOUT:-120}
GDB_KERNEL_TIMEOUT=${GDB_KERNEL_TIMEOUT:-240}

# wait_err STR SECONDS: STR on armz's stderr while it runs.
wait_err() {
	_n=$(($2 * 5))
	until grep -qF -- "$1" "$ERR"; do
		_n=$((_n - 1))
		if [ "$_n" -le 0 ] || ! kill -0 "$bg_pid" 2>/dev/null; then
			grep -qF -- "$1" "$ERR" && return 0
			fail "'$1' never appeared on armz's stderr"
			return 1
		fi
		sleep 0.2
	done
}

# gdb_ready NAME [SYMBOL=ADDRESS...]: armz listens; gdb may come.
gdb_ready() {
	[ -d /sys/class/net/eth0 ] || {
		fail "the host has no eth0: gdb cannot reach it"; return 1; }
	wait_err "armz: gdb: listening on 0.0.0.0:$GDB_PORT" 30 || return 1
	echo "E2E-GDB-READY $*"
	note "gdb called in: $*"
}

# A kernel symbol's address, from the host's kallsyms: the host runs the
# guests' kernel, booted with nokaslr by run.sh, so its addresses are
# the guest's under nokaslr. (Debian's package ships no System.map but
# a placeholder pointing at the -dbg package.)
ksym() {
	awk -v s="$1" '$3 == s { print $1; exit }' /proc/kallsyms
}

# Serves the kernel's text symbols once on port 1235, for gdb's symbol
# file outside (gdb.sh); $ksyms_pid.
serve_ksyms() {
	awk 'NF == 3 && $2 ~ /^[tTwW]$/ { print $1, $3 }' /proc/kallsyms \
		>"$LOGDIR/ksyms"
	nc -l -p 1235 <"$LOGDIR/ksyms" >/dev/null 2>&1 &
	ksyms_pid=$!
}

case_gdb_payload() {
	bg_armz "$GDB_PAYLOAD_TIMEOUT" run --payload /payloads/gdb.elf \
		--gdb "tcp:0.0.0.0:$GDB_PORT" --gdb-wait
	gdb_ready gdb_payload "$GDB_PORT" || { bg_kill; return; }
	bg_finish
	# gdb wrote exit_code, x20 and memory across a page, then detached.
	expect_status 77
	expect_out "payload-gdb: x20 is 0x5a5a"
	expect_out "payload-gdb: crossing holds 0x1122334455667788"
	expect_err "gdb: detached; the guest runs on"
}

# The raw binary this time (gdb outside reads the .elf's symbols).
case_gdb_payload_kill() {
	bg_armz "$GDB_PAYLOAD_TIMEOUT" run --payload /payloads/gdb.bin \
		--load-addr 0x40080000 --gdb "tcp:0.0.0.0:$GDB_PORT"
	wait_out "payload-gdb: running" 30 || { bg_kill; return; }
	gdb_ready gdb_payload_kill "$GDB_PORT" || { bg_kill; return; }
	bg_finish
	expect_status 120
	expect_err "killed by gdb"
	# gdb made it reset: told the first boot ended, it attached to the
	# second (which gdb stopped and killed as it began to print).
	expect_err "the guest ended (status 123); session over"
	[ "$(grep -c 'payload-gdb: resetting' "$OUT")" -eq 1 ] ||
		fail "the payload did not reset once"
	[ "$(grep -c '^armz: gdb: connected' "$ERR")" -eq 2 ] ||
		fail "gdb did not connect to both boots"
}

# Run-a-command mode: gdb stops the booting guest, lets it go, stops it
# again with Ctrl-C, detaches; the command's output and status are as
# without gdb.
case_gdb_cmd() {
	cd / || return
	bg_armz "$GDB_KERNEL_TIMEOUT" run -k "$GENERIC" \
		--gdb "tcp:0.0.0.0:$GDB_PORT" \
		-- /bin/sh -c 'sleep 3; echo cmd-done; exit 7'
	gdb_ready gdb_cmd "$GDB_PORT" || { bg_kill; return; }
	bg_finish
	expect_status 7
	expect_exactly "$OUT" cmd-done
	expect_err "gdb: detached; the guest runs on"
}

case_gdb_kernel() {
	grep -qw nokaslr /proc/cmdline ||
		{ fail "the host was not booted with nokaslr"; return; }
	_syms=
	for _s in start_kernel do_one_initcall linux_banner jiffies; do
		_a=$(ksym "$_s")
		case $_a in
		''|0000000000000000)
			fail "no address for $_s in /proc/kallsyms"; return ;;
		esac
		_syms="$_syms $_s=$_a"
	done
	serve_ksyms
	bg_armz "$GDB_KERNEL_TIMEOUT" run -k "$KERNEL" -i "$INITRD" -c 2 \
		--gdb "tcp:0.0.0.0:$GDB_PORT" --gdb-wait \
		-p "nokaslr armz.test=heartbeat quiet"
	# --gdb-wait holds the guest: not a byte on its console yet.
	if wait_err "armz: gdb: listening on" 30 && [ -s "$OUT" ]; then
		fail "the guest ran before gdb let it"
	fi
	# shellcheck disable=SC2086
	gdb_ready gdb_kernel "$GDB_PORT" $_syms ||
		{ bg_kill; kill "$ksyms_pid"; return; }
	wait_err "gdb: detached; the guest runs on" "$GDB_KERNEL_TIMEOUT" ||
		{ bg_kill; kill "$ksyms_pid"; return; }
	kill "$ksyms_pid" 2>/dev/null
	rm -f "$LOGDIR/ksyms"
	# And it runs on: the heartbeat goes on after the detach.
	_n=$(beats)
	wait_out "heartbeat=$((_n + 3))" 60
	kill -TERM "$bg_pid"
	bg_finish
	expect_status 143
	expect_out ARMZ-GUEST-UP
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

# ------------------------------------------------- seccomp and privileges

# A thread that makes a call its filter forbids ends armz at once with
# status 159 and a line naming the thread and the call. The trigger is
# for the tests alone: ARMZ_SECCOMP_SELFTEST=ROLE, read by main, makes
# ROLE's threads call getppid(), which no list allows, right after their
# filter is in. With --seccomp=off the same trigger changes nothing.
case_seccomp_kill() {
	_img=$LOGDIR/seccomp.img
	truncate -s 1M "$_img"
	for _role in spawner main vcpu console blk; do
		export ARMZ_SECCOMP_SELFTEST=$_role
		boot_test blk_serial --disk "$_img,serial=S1"
		unset ARMZ_SECCOMP_SELFTEST
		[ "$status" = 159 ] ||
			fail "$_role: expected exit status 159, got $status"
		grep -q "^armz: seccomp: the $_role thread made a forbidden system call: getppid" \
			"$ERR" || fail "$_role: no line naming the call"
		expect_no_out serial=S1
		cat "$ERR" >>"$CMD"
	done
	export ARMZ_SECCOMP_SELFTEST=control
	ctl list
	unset ARMZ_SECCOMP_SELFTEST
	[ "$ctl_status" = 159 ] ||
		fail "control: expected exit status 159, got $ctl_status"
	export ARMZ_SECCOMP_SELFTEST=blk
	boot_test blk_serial --disk "$_img,serial=S2" --seccomp=off
	unset ARMZ_SECCOMP_SELFTEST
	expect_guest_ran
	expect_line serial=S2
	# log: the kernel logs the call (audit type 1326) and lets it by.
	export ARMZ_SECCOMP_SELFTEST=vcpu
	boot_test blk_serial --disk "$_img,serial=S3" --seccomp=log
	unset ARMZ_SECCOMP_SELFTEST
	expect_guest_ran
	expect_line serial=S3
	dmesg | grep 'type=1326' | tail -n 3 >>"$CMD"
	dmesg | grep -q 'type=1326.*comm="armz"' ||
		fail "--seccomp=log: no audit line of type 1326 from armz"
	rm -f "$_img"
}

# uids, gids of a running process: "real effective saved fs" each.
proc_ids() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" 2>/dev/null |
		tr -s '\t ' '  '
}

# As root with --user nobody, armz becomes nobody once /dev/kvm is open:
# a command reads the guest's root with nobody's rights, so a file only
# root may read, which the same command reads without --user, stays
# unread; and the running armz's ids are all nobody's.
case_user_drop() {
	cd / || return
	_secret=/e2e/secret _word=secret-$(rand)
	echo "$_word" >"$_secret"
	chmod 0600 "$_secret"
	run_cmd -- /bin/cat "$_secret"
	expect_status 0
	expect_exactly "$OUT" "$_word"
	echo "(in /) armz run -k $GENERIC --user nobody -- sh -c 'sleep 5; cat $_secret' (background)" >>"$CMD"
	"$ARMZ" run -k "$GENERIC" --user nobody -- /bin/sh -c \
		"sleep 5; cat $_secret" >"$OUT" 2>"$ERR" </dev/null &
	bg_pid=$!
	_uids= _gids= _n=150
	while [ "$_n" -gt 0 ] && kill -0 "$bg_pid" 2>/dev/null; do
		_uids=$(proc_ids "$bg_pid" Uid)
		_gids=$(proc_ids "$bg_pid" Gid)
		[ "$_uids" = "65534 65534 65534 65534" ] && break
		sleep 0.2
		_n=$((_n - 1))
	done
	note "armz's Uid: $_uids, Gid: $_gids"
	[ "$_uids" = "65534 65534 65534 65534" ] ||
		fail "armz's uids are '$_uids', not nobody's"
	[ "$_gids" = "65534 65534 65534 65534" ] ||
		fail "armz's gids are '$_gids', not nogroup's"
	_n=$((CMD_TIMEOUT * 5))
	while [ "$_n" -gt 0 ] && kill -0 "$bg_pid" 2>/dev/null; do
		sleep 0.2
		_n=$((_n - 1))
	done
	kill -9 "$bg_pid" 2>/dev/null
	wait "$bg_pid"
	status=$?
	[ "$status" != 0 ] || fail "cat of the root-only file succeeded as nobody"
	grep -q "Permission denied" "$ERR" ||
		fail "no 'Permission denied' from the guest's cat"
	! grep -qF "$_word" "$OUT" || fail "nobody read the root-only file"
	rm -f "$_secret"
}

# A reset rebuilds the machine after armz became nobody: the disk (which
# nobody may write), the tap and vhost-net (opened by root once) must all
# come back. The guest prints its MAC on both boots.
case_user_reset() {
	modprobe tun 2>/dev/null
	modprobe vhost_net 2>/dev/null
	[ -c /dev/vhost-net ] || { fail "no /dev/vhost-net in the host"; return; }
	_img=$LOGDIR/user-reset.img
	truncate -s 8M "$_img"
	chown 65534:65534 "$_img"
	boot_test net_mac --user nobody --disk "$_img" \
		--net tap,ifname=tapu,vhost=on
	expect_guest_ran
	_m0=$(out_val mac-0) _m1=$(out_val mac-1)
	[ -n "$_m0" ] || fail "no MAC before the reset"
	[ "$_m0" = "$_m1" ] || fail "after the reset the MAC is '$_m1', not '$_m0'"
	rm -f "$_img"
}

# Last: in a sanitized run (make check-asan), what ASan and UBSan found
# in every case before, one file per armz process that had something.
case_sanitizer_reports() {
	[ -n "${ARMZ_SANITIZED:-}" ] ||
		{ skip "not a sanitized run (make check-asan is one)"; return; }
	# No reports must mean no findings: the runtime is in, and takes
	# its options from where the wrapper puts them.
	ASAN_OPTIONS=help=1 /bin/armz-dyn --version 2>&1 |
		grep -q 'log_path' ||
		fail "armz-dyn shows no AddressSanitizer at work"
	for _r in "$LOGDIR"/sanitizer.*; do
		[ -e "$_r" ] || continue
		fail "the sanitizers reported: $(head -c 300 "$_r" | tr '\n' '|')"
		cat "$_r" >>"$CMD"
	done
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
	skipped=""
	status=""
	_t0=$(centisecs)
	"case_$1"
	_dt=$(($(centisecs) - _t0))
	_up=$(grep -E '^(guest-uptime|report-[a-z-]*)=' "$OUT" | tr '\n' ' ')
	echo "E2E-TIME $1 $((_dt / 100)).$(printf %02d $((_dt % 100)))s $_up"
	if [ -z "$reason" ] && [ -n "$skipped" ]; then
		echo "E2E-RESULT $1 SKIP $skipped"
		return 0
	fi
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

if [ "${1:-}" = --list ]; then
	for c in $(cases); do
		selected "$c" && echo "$c"
	done
	exit 0
fi

mkdir -p "$LOGDIR" "$CTL_DIR"
ran=0
for c in $(cases); do
	selected "$c" || continue
	run_case "$c"
	ran=$((ran + 1))
done
[ "$ran" -gt 0 ] || echo "E2E-ERROR no case matches ARMZ_E2E=$ARMZ_E2E"
# The runner takes a missing end as a shell that died in a case.
echo "E2E-CASES-END ran=$ran"
