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
# out/e2e/logs/. Exits non-zero when a case failed, when none ran, or when
# the host never said E2E-DONE (it crashed or ran out of time).
set -euo pipefail

cd "$(dirname "$0")/../.."
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

ARMZ_E2E=${ARMZ_E2E:-}
case $ARMZ_E2E in
*[!a-z0-9_,*]*)
	echo "$0: ARMZ_E2E may hold only case names, patterns and commas" >&2
	exit 2 ;;
esac

t0=$(date +%s)
e2e_build all
log=$E2E_DIR/host.log
echo "e2e: booting the emulated arm64 KVM host (log: $log)" >&2
t1=$(date +%s)
qstatus=0
e2e_qemu "$E2E_DIR/host.cpio" "quiet loglevel=1" \
	${ARMZ_E2E:+armz_e2e=$ARMZ_E2E} \
	${ARMZ_E2E_SANITIZE:+armz_sanitize=1} </dev/null | tee "$log" ||
	qstatus=$?
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
if grep -q '^E2E-RESULT dtb_dump ' "$results"; then
	echo "E2E-RESULT dtb_decompile $(dtb_check)" >>"$results"
fi

if ! grep -q 'E2E-DONE' "$clean"; then
	echo "E2E-RESULT e2e_host FAIL no E2E-DONE: the emulated host" \
		"crashed or was killed after ${E2E_TIMEOUT}s (qemu status" \
		"$qstatus); see $log" >>"$results"
fi
if [ ! -s "$results" ]; then
	echo "E2E-RESULT e2e_host FAIL no case reported a result" >>"$results"
fi

echo
echo "e2e: host kernel to init: $(sed -n \
	's/.*E2E-HOST-UP uptime=\([0-9.]*\).*/\1/p' "$clean")s (emulated clock)," \
	"host run $((t2 - t1))s, total $(($(date +%s) - t0))s"
grep '^E2E-TIME ' "$clean" || true
cat "$results"
passed=$(grep -c ' PASS$' "$results" || true)
failed=$(grep -c ' FAIL' "$results" || true)
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
