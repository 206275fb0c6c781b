#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20), or until FUZZ_RUNS inputs when that comes
# first (default: no cap), starting from the checked-in seed corpus
# tests/fuzz/corpus/TARGET and with tests/fuzz/TARGET.dict when there is
# one. A crash, leak, sanitizer report, failed check or hang fails, naming
# the input; so does a seed corpus that is not what tests/fuzz/mkseeds.c
# writes.
#
#   tests/fuzz/run.sh [TARGET...]     the targets below (default: all)
#   tests/fuzz/run.sh --seeds         rewrite tests/fuzz/corpus/ from
#                                     mkseeds.c, after changing it
#
# The targets, tests/fuzz/fuzz_TARGET.c, each what a guest or a host file
# reaches (the file's comment has its input format and what it checks):
#   virtqueue  split rings in guest RAM (devices/virtqueue.c)
#   p9         9P2000.L sessions against a writable share (devices/p9*.c)
#   mmio       the virtio-mmio registers and config space over a device of
#              any shape; test-exit and pvpanic (devices/virtio-mmio.c)
#   blk        virtio-blk requests on a memfd image, data checked
#   net        virtio-net transmit and receive against a fake backend
#   console    virtio-console output and input
#   uart       the 16550A registers against a model; console lines
#   kernel     kernel files: Image, gzip/zstd/xz/lzma, zboot, vmlinux,
#              raw; layout, load, release and config; payload_load()
#   modules    modules.dep, modules.order, .modinfo, .config, the plan
#   initramfs  the cpio archive and the files it packs
#   guestlog   the guest's console as armz reads it for the user: lines,
#              panics, armz-init's markers (vmm/guest-log.c)
#   gdb        the gdb stub's protocol in front of a fake machine
#              (vmm/gdb-*.c), and memory as gdb leaves it
# The virtio targets share tests/fuzz/harness.c, a driver that waits for
# the device's worker threads after every access, so runs repeat.
#
# New inputs found go to out/fuzz/corpus-TARGET, never into the seeds;
# an input that fails is kept as out/fuzz/TARGET-crash-* (-leak-*,
# -timeout-*, -oom-*), and the line saying FAIL names it.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-20}
runs=${FUZZ_RUNS:--1}
# A unit slower than this is a hang, reported with its input. It must be
# shorter than the run: libFuzzer ends a run that is out of time with
# success, even with a unit stuck.
timeout=$(( secs / 2 > 30 ? 30 : secs / 2 > 2 ? secs / 2 : 2 ))
out=out/fuzz
mkdir -p "$out"
all=(virtqueue p9 mmio blk net console uart kernel modules initramfs guestlog
     gdb)

# The seed corpora come from a generator, checked in with its output.
clang -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -o "$out/mkseeds" \
	tests/fuzz/mkseeds.c vmm/gdb-packet.c
seeds() {
	rm -rf "$2"
	mkdir -p "$2"
	"$out/mkseeds" "$1" "$2"
}
if [ "${1:-}" = --seeds ]; then
	for t in "${all[@]}"; do
		seeds "$t" "tests/fuzz/corpus/$t"
	done
	exit 0
fi

targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=("${all[@]}")

# The code under test, loader/ and devices/, and the targets' common part
# (harness.c), built once for all targets: with coverage for libFuzzer,
# ASan and UBSan. An object is rebuilt when its source or any header is
# newer than it. What a target needs from vmm/ (and the unit tests' fake
# machine) is linked into that target alone.
target_srcs() {
	case $1 in
	gdb)	echo vmm/gdb-packet.c vmm/gdb-regs.c vmm/gdb-server.c \
		     vmm/mmu-walk.c tests/unit/fake-target.c ;;
	guestlog) echo vmm/guest-log.c ;;
	esac
}
cflags=(-g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -pthread
	-fsanitize=address,undefined -fno-sanitize-recover=undefined)
mkdir -p "$out/obj"
obj_of() {
	local obj=$out/obj/${1//\//-}

	echo "${obj%.c}.o"
}
objs=()
for src in loader/*.c devices/*.c tests/fuzz/harness.c; do
	objs+=("$(obj_of "$src")")
done
pids=()
for src in loader/*.c devices/*.c tests/fuzz/harness.c \
	   $(for t in "${targets[@]}"; do target_srcs "$t"; done | sort -u); do
	obj=$(obj_of "$src")
	if [ -f "$obj" ] && [ ! "$src" -nt "$obj" ] &&
	   [ -z "$(find include loader devices vmm tests/fuzz tests/unit \
		-name '*.h' -newer "$obj" | head -n 1)" ]; then
		continue
	fi
	clang "${cflags[@]}" -fsanitize=fuzzer-no-link -c -o "$obj" "$src" &
	pids+=($!)
	if [ ${#pids[@]} -ge 2 ]; then
		wait "${pids[0]}"
		pids=("${pids[@]:1}")
	fi
done
for p in "${pids[@]}"; do
	wait "$p"
done

for t in "${targets[@]}"; do
	seeds "$t" "$out/seeds-$t"
	if ! diff -r "tests/fuzz/corpus/$t" "$out/seeds-$t" >/dev/null; then
		echo "fuzz $t: FAIL: tests/fuzz/corpus/$t is not what" \
			"tests/fuzz/mkseeds.c writes; run tests/fuzz/run.sh --seeds"
		exit 1
	fi
	dict=()
	[ ! -f "tests/fuzz/$t.dict" ] || dict=(-dict="tests/fuzz/$t.dict")
	extra=()
	for src in $(target_srcs "$t"); do
		extra+=("$(obj_of "$src")")
	done
	clang "${cflags[@]}" -fsanitize=fuzzer -o "$out/fuzz_$t" \
		"tests/fuzz/fuzz_$t.c" "${objs[@]}" "${extra[@]}" \
		-lfdt -lz -lzstd -llzma
	mkdir -p "$out/corpus-$t"
	# -print_funcs=0: naming a newly covered function starts the
	# symbolizer, whose pipe would look like a descriptor the input
	# leaked (fz_check_fds()).
	"$out/fuzz_$t" -max_total_time="$secs" -runs="$runs" \
		-max_len=65536 -timeout="$timeout" \
		-print_final_stats=1 -print_funcs=0 -artifact_prefix="$out/$t-" \
		"${dict[@]}" \
		"$out/corpus-$t" \
		"tests/fuzz/corpus/$t" 2>"$out/$t.log" || {
		tail -n 40 "$out/$t.log"
		input=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' \
			"$out/$t.log" | tail -n 1)
		echo "fuzz $t: FAIL (log: $out/$t.log; the input:" \
			"${input:-none written, see the log})"
		exit 1
	}
	done=$(grep -a '	DONE ' "$out/$t.log" | tail -n 1)
	cov=$(sed -n 's/.* cov: \([0-9]*\) ft: \([0-9]*\) .*/cov \1, ft \2/p' \
		<<<"$done")
	eps=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$out/$t.log")
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out/$t.log")
	echo "fuzz $t: PASS, ${execs:-?} inputs, ${cov:-no coverage line}," \
		"${eps:-?} execs/s, $(find "$out/corpus-$t" -type f | wc -l)" \
		"corpus entries, at most ${secs}s"
done
