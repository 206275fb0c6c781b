#!/bin/bash
# armz built for s390x, started under qemu-s390x-static on a machine with
# no arm64 KVM: it must say which device is missing and why, and exit 1.
set -u
armz=${1:-out/s390x/armz}
out=$(qemu-s390x-static "$armz" run --kernel README.md 2>&1)
status=$?
want='no arm64 KVM device at /dev/kvm-arm64; this machine lacks the SAE facility'
if [ "$status" -eq 1 ] && [[ "$out" == *"$want"* ]]; then
	echo "s390x-host: PASS"
	exit 0
fi
echo "s390x-host: FAIL: status $status, output: $out"
exit 1
