#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# A real gdb (gdb-multiarch) against armz's gdb stub in front of the unit
# tests' fake machine (tests/gdb/fake-server.c): target.xml, registers of
# all three features, memory across a page boundary through the stage-1
# walk, threads, breakpoints of both kinds, a watchpoint, continue,
# stepi, writes, detach; then over a unix socket, kill.
# Usage: tests/gdb/run.sh PATH/gdb-fake-server
set -euo pipefail

server=${1:?usage: $0 gdb-fake-server}
gdb=${GDB:-gdb-multiarch}
if ! command -v "$gdb" >/dev/null; then
	echo "gdb-check: $gdb is missing (tests/install-deps.sh installs it)" >&2
	exit 1
fi

dir=$(mktemp -d)
pid=
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT

# Starts the stub listening on $1; sets $where to what gdb connects to.
start() {
	: >"$dir/where"
	"$server" "$1" >"$dir/where" 2>"$dir/server.log" &
	pid=$!
	for _ in $(seq 50); do
		[ -s "$dir/where" ] && break
		sleep 0.1
	done
	where=$(cat "$dir/where")
}

stop() {
	wait "$pid" || true
	pid=
}

start tcp::0
cat >"$dir/cmds" <<GDB
set pagination off
set confirm off
target remote $where
info registers x0 x1 sp pc cpsr
p/x \$sctlr_el1
p/x \$ttbr1_el1
p/x \$sp_el0
p \$v0.b.u
p/x \$fpsr
x/4xw 0xffff000020000ff8
x/2i \$pc
info threads
break *0xffff000010000020
hbreak *0xffff000010000800
watch *(int *)0xffff000020000010
continue
p/x \$pc
stepi
p/x \$pc
set var \$x2 = 0x1234
p/x \$x2
set {int}0xffff000020000ffe = 0x11223344
x/2xw 0xffff000020000ffc
thread 2
p/x \$x0
GDB

# An error ends a command file, so the unmapped read comes on its own.
timeout 60 "$gdb" -nx -batch -x "$dir/cmds" \
	-ex 'x/xw 0xffff000020002000' -ex detach >"$dir/gdb.log" 2>&1 || true
stop
cp "$dir/server.log" "$dir/server-tcp.log"

# Over a unix socket, ended by kill.
start "unix:$dir/gdb.sock"
timeout 60 "$gdb" -nx -batch -ex "target remote $where" -ex 'p/x $x0' \
	-ex kill >>"$dir/gdb.log" 2>&1 || true
stop

fail=0
want() {
	if ! grep -qF -- "$1" "$dir/gdb.log"; then
		echo "gdb-check: missing: $1" >&2
		fail=1
	fi
}
want $'x0             0x1122334455667788'
want $'sp             0xffff000020002000'
want $'pc             0xffff000010000000'
want $'cpsr           0x3c5               [ SP EL=1 F I A D BTYPE=0 ]'
want '$1 = 0x30d00801'
want '$2 = 0x40001000'
want '$3 = 0x1000'
want '$4 = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15}'
want '$5 = 0x8000010'
want $'0xffff000020000ff8:\t0xfafbf8f9\t0xfefffcfd\t0x03020100\t0x07060504'
want $'=> 0xffff000010000000:\tnop'
want '2    Thread 2 (vCPU 1)'
want 'Breakpoint 1 at 0xffff000010000020'
want 'Hardware assisted breakpoint 2 at 0xffff000010000800'
want 'Hardware watchpoint 3: *(int *)0xffff000020000010'
want 'Thread 1 hit Breakpoint 1, 0xffff000010000020 in ?? ()'
want '$6 = 0xffff000010000020'
want '$7 = 0xffff000010000024'
want '$8 = 0x1234'
want $'0xffff000020000ffc:\t0x3344fcfd\t0x03021122'
want 'Cannot access memory at address 0xffff000020002000'
want '$9 = 0x1122334455667789'
want '[Inferior 1 (Remote target) detached]'
want '$1 = 0x1122334455667788'
want '[Inferior 1 (Remote target) killed]'
if ! grep -q 'session over (detaches 1, kills 0)' "$dir/server-tcp.log"; then
	echo "gdb-check: the stub did not see the detach" >&2
	fail=1
fi
if ! grep -q 'session over (detaches 0, kills 1)' "$dir/server.log"; then
	echo "gdb-check: the stub did not see the kill" >&2
	fail=1
fi
if [ "$fail" != 0 ]; then
	echo "--- gdb:" >&2
	cat "$dir/gdb.log" >&2
	echo "--- stub:" >&2
	cat "$dir/server-tcp.log" "$dir/server.log" >&2
	exit 1
fi
echo "gdb-check: $("$gdb" --version | head -1): all $(grep -c '^want ' "$0") checks passed"
