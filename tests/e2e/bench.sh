#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make bench: boot the emulated arm64 KVM host and run
# tests/e2e/bench-host.sh in it: boot time to userspace and exits to
# userspace (full boot log on the UART and on hvc0, quiet boots),
# metadata and read workloads over 9p and virtio-fs and the `-- true`
# round trip of run-a-command mode over each, virtio-blk sequential and
# random I/O, and TCP throughput from the guest over tap and over
# user-mode networking.
# Prints one table. A benchmark, not a test: no thresholds, and the numbers
# are those of nested KVM under TCG, good for comparing armz with itself.
#
# ARMZ_BENCH=boot,fs runs only those groups (boot, quiet, fs, blk, net).
# The serial log is kept in out/e2e/bench.log.
set -euo pipefail

cd "$(dirname "$0")/../.."
# Longer than a test run may take: every group, over 9p too, under TCG.
E2E_TIMEOUT=${E2E_TIMEOUT:-3600}
# shellcheck source=tests/e2e/lib.sh
. tests/e2e/lib.sh

t0=$(date +%s)
e2e_build all
log=$E2E_DIR/bench.log
echo "bench: booting the emulated arm64 KVM host (log: $log)" >&2
e2e_qemu "$E2E_DIR/host.cpio" "quiet loglevel=1 armz_mode=bench" \
	${ARMZ_BENCH:+armz_bench=$ARMZ_BENCH} \
	</dev/null | tee "$log" || true

rows=$(tr -d '\r' <"$log" | sed -n 's/.*E2E-BENCH //p')
if [ -z "$rows" ]; then
	echo "bench: no results; see $log" >&2
	exit 1
fi
echo
printf '%-18s %10s %-6s %s\n' measurement value unit method
printf '%-18s %10s %-6s %s\n' ----------- ----- ---- ------
while read -r key value unit method; do
	printf '%-18s %10s %-6s %s\n' "$key" "$value" "$unit" "$method"
done <<<"$rows"
echo
echo "bench: $(($(date +%s) - t0))s in all (host: qemu-system-aarch64 TCG," \
	"-smp 2; guests: nested KVM)"
grep -q E2E-DONE "$log" || { echo "bench: the host did not finish" >&2; exit 1; }
