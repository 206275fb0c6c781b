#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# End-to-end tests: boot an emulated arm64 KVM host under qemu-system-aarch64
# (TCG), run tests/e2e/cases.sh in it against a static aarch64 armz and real
# nested guests, and judge the E2E-RESULT lines it prints.
#
#   tests/e2e/run.sh                  all cases
#   ARMZ_E2E=boot_1cpu,bad_* tests/e2e/run.sh
#   ARMZ_E2E_SANITIZE=1 tests/e2e/run.sh   the cases on an armz built
#                                     with ASan and UBSan (lib.sh)
#
# The serial log is kept in out/e2e/host.log, the logs of failed cases in
# out/e2e/logs/. Every selected case must report PASS, FAIL or SKIP (with a
# reason); one that never did is MISSING, and the summary counts all four.
# Exits non-zero when a case failed or is missing, when a result line is
# malformed or unasked for, when cases.sh did not reach its end, when the
# host never said E2E-DONE (it crashed or ran out of time), or, with
# CI=true, when a case skipped that is not on the allow-list below.
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh
# shellcheck source=tests/e2e/gdb.sh
. tests/e2e/gdb.sh

ARMZ_E2E=${ARMZ_E2E:-}
case $ARMZ_E2E in
*[!a-z0-9_,*]*)
	echo "$0: ARMZ_E2E may hold only case names, patterns and commas" >&2
	exit 2 ;;
esac

# Skips CI accepts: a capability the emulated host may lack, by case name.
# The host CI builds has everything every case needs; sanitizer_reports
# has something to read only in make check-asan's run.
E2E_SKIP_ALLOWED=(sanitizer_reports)

# The cases cases.sh will run, selected by cases.sh itself.
mapfile -t want < <(ARMZ_E2E=$ARMZ_E2E sh tests/e2e/cases.sh --list)
if [ ${#want[@]} -eq 0 ]; then
	echo "$0: no case matches ARMZ_E2E=$ARMZ_E2E" >&2
	exit 2
fi
# The runner's own check of what dtb_dump printed, and gdb's side of a
# gdb case (gdb.sh), reported as NAME_gdb.
for c in "${want[@]}"; do
	[ "$c" != dtb_dump ] || want+=(dtb_decompile)
	! declare -F "gdb_script_$c" >/dev/null || want+=("${c}_gdb")
done

t0=$(date +%s)
e2e_build all
log=$E2E_DIR/host.log
echo "e2e: booting the emulated arm64 KVM host (log: $log)" >&2
t1=$(date +%s)
qstatus=0
# gdb runs here, outside, against armz in the host: through a port qemu
# forwards; the console is watched for the cases' markers (gdb.sh). The
# host boots with nokaslr: its kallsyms then give the gdb cases the
# addresses of the guests' kernel, which is the same.
E2E_GDB_HOSTPORT=$(e2e_free_port) &&
	E2E_GDB_FILEPORT=$(e2e_free_port "$E2E_GDB_HOSTPORT") ||
	E2E_GDB_HOSTPORT=
e2e_qemu "$E2E_DIR/host.cpio" "quiet loglevel=1 nokaslr" \
	${ARMZ_E2E:+armz_e2e=$ARMZ_E2E} \
	${ARMZ_E2E_SANITIZE:+armz_sanitize=1} </dev/null | tee "$log" |
	gdb_watch || qstatus=$?
t2=$(date +%s)

clean=$E2E_DIR/host.clean.log
tr -d '\r' <"$log" >"$clean"
results=$E2E_DIR/results
sed -n 's/.*\(E2E-RESULT .*\)/\1/p' "$clean" >"$results"

# Logs of failed cases, one file each.
rm -rf "$E2E_DIR/logs"
mkdir -p "$E2E_DIR/logs"
awk -v dir="$E2E_DIR/logs" '
	/E2E-LOG-BEGIN / { f = dir "/" $NF ".log"; next }
	/E2E-LOG-END / { f = ""; next }
	f { print > f }' "$clean"

# The dtb that case dtb_dump printed: dtc, which the host lacks, must read
# it back without a single warning, and it must say what armz was asked.
dtb_check() {
	local dtb=$E2E_DIR/dump.dtb dts=$E2E_DIR/dump.dts err=$E2E_DIR/dtc.err

	awk '/E2E-DTB-END/ { p = 0 } p { print } /E2E-DTB-BEGIN/ { p = 1 }' \
		"$clean" | base64 -d >"$dtb" 2>/dev/null || true
	if [ ! -s "$dtb" ]; then
		echo "FAIL no dtb in the log"
		return
	fi
	if ! dtc -I dtb -O dts -o "$dts" "$dtb" 2>"$err"; then
		echo "FAIL dtc failed: $(head -c 300 "$err" | tr '\n' '|')"
		return
	fi
	if [ -s "$err" ]; then
		echo "FAIL dtc warned: $(head -c 300 "$err" | tr '\n' '|')"
		return
	fi
	local cpus bootargs
	cpus=$(grep -c '^[[:space:]]*cpu@[0-9a-f]* {' "$dts" || true)
	bootargs=$(grep 'bootargs' "$dts" || true)
	if [ "$cpus" != 2 ]; then
		echo "FAIL expected 2 cpu@ nodes for -c 2, got $cpus"
	elif ! grep -A4 'memory@40000000 {' "$dts" | grep -q '0x20000000'; then
		echo "FAIL no memory@40000000 node of 512M for -m 512M"
	elif [[ $bootargs != *foo=bar123* || $bootargs != *console=ttyS0* ]]
	then
		echo "FAIL bootargs lack foo=bar123 or console=ttyS0: $bootargs"
	else
		echo PASS
	fi
}
if [[ " ${want[*]} " == *" dtb_decompile "* ]]; then
	echo "E2E-RESULT dtb_decompile $(dtb_check)" >>"$results"
fi
# What gdb saw, for each gdb case that ran in the host.
gdb_results "$results" >"$results.gdb"
cat "$results.gdb" >>"$results"

# The run as a whole: the host finished, and so did cases.sh.
if ! grep -q 'E2E-DONE' "$clean"; then
	echo "E2E-RESULT e2e_host FAIL no E2E-DONE: the emulated host" \
		"crashed or was killed after ${E2E_TIMEOUT}s (qemu status" \
		"$qstatus); see $log" >>"$results"
fi
cases_exit=$(sed -n 's/.*E2E-CASES-EXIT \([0-9]*\).*/\1/p' "$clean" | tail -n 1)
if ! grep -q 'E2E-CASES-END ' "$clean" || [ "${cases_exit:-none}" != 0 ]; then
	echo "E2E-RESULT e2e_cases FAIL cases.sh ended before its last case" \
		"(exit status ${cases_exit:-unknown}); see $log" >>"$results"
fi

# Every line judged; every selected case accounted for, once.
judge() {
	local name verdict rest line
	declare -A seen=()

	passed=0 failed=0 skipped=0 missing=0 ci_skips=()
	while IFS= read -r line; do
		read -r _ name verdict rest <<<"$line"
		if [ -z "$name" ]; then
			echo "E2E-RESULT ? FAIL malformed: $line"
			failed=$((failed + 1))
			continue
		fi
		if [ -n "${seen[$name]:-}" ]; then
			echo "E2E-RESULT $name FAIL reported twice"
			failed=$((failed + 1))
			continue
		fi
		seen[$name]=1
		if [[ " ${want[*]} e2e_host e2e_cases " != *" $name "* ]]; then
			echo "E2E-RESULT $name FAIL reported, but not selected"
			failed=$((failed + 1))
			continue
		fi
		case $verdict in
		PASS)
			if [ -n "$rest" ]; then
				echo "E2E-RESULT $name FAIL malformed: $line"
				failed=$((failed + 1))
			else
				echo "$line"
				passed=$((passed + 1))
			fi ;;
		FAIL)
			echo "$line"
			failed=$((failed + 1)) ;;
		SKIP)
			if [ -z "$rest" ]; then
				echo "E2E-RESULT $name FAIL skipped without a reason"
				failed=$((failed + 1))
				continue
			fi
			echo "$line"
			skipped=$((skipped + 1))
			if [ "${CI:-}" = true ] &&
			   [[ " ${E2E_SKIP_ALLOWED[*]} " != *" $name "* ]]; then
				ci_skips+=("$name")
			fi ;;
		*)
			echo "E2E-RESULT $name FAIL malformed: $line"
			failed=$((failed + 1)) ;;
		esac
	done <"$results"
	for name in "${want[@]}"; do
		if [ -z "${seen[$name]:-}" ]; then
			echo "E2E-RESULT $name MISSING: never reported"
			missing=$((missing + 1))
		fi
	done
}

echo
echo "e2e: host kernel to init: $(sed -n \
	's/.*E2E-HOST-UP uptime=\([0-9.]*\).*/\1/p' "$clean")s (emulated clock)," \
	"host run $((t2 - t1))s, total $(($(date +%s) - t0))s"
grep '^E2E-TIME ' "$clean" || true
judge
echo "$passed passed, $failed failed, $skipped skipped, $missing missing"
if [ ${#ci_skips[@]} -gt 0 ]; then
	echo "e2e: CI=true: skipped, and not on the allow-list:" \
		"${ci_skips[*]}"
fi
[ "$failed" -eq 0 ] && [ "$missing" -eq 0 ] && [ ${#ci_skips[@]} -eq 0 ]
