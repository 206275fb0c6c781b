#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 20). A crash, leak or sanitizer report fails.
#
#   tests/fuzz/run.sh [TARGET...]     virtqueue p9 (default: all)
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-20}
out=out/fuzz
mkdir -p "$out"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(virtqueue p9)

# The code under test: loader/ and devices/, minus the slirp backend's
# library needs (fuzzing never opens a network).
srcs=$(ls loader/*.c devices/*.c)
for t in "${targets[@]}"; do
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude -pthread \
		-fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined \
		-o "$out/fuzz_$t" "tests/fuzz/fuzz_$t.c" $srcs -lfdt \
		-lz -lzstd -llzma
	mkdir -p "$out/corpus-$t"
	"$out/fuzz_$t" -max_total_time="$secs" -max_len=65536 \
		-print_final_stats=0 "$out/corpus-$t" 2>"$out/$t.log" || {
		tail -n 40 "$out/$t.log"
		echo "fuzz $t: FAIL (log: $out/$t.log)"
		exit 1
	}
	echo "fuzz $t: PASS, $(grep -c . "$out/corpus-$t"/* 2>/dev/null | wc -l) corpus entries, ${secs}s"
done
