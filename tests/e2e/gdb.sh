# shellcheck shell=bash disable=SC2016,SC2028
# SPDX-License-Identifier: GPL-2.0
# The outside half of the gdb cases, sourced by run.sh. A case in
# cases.sh starts armz with --gdb inside the emulated host and prints
#
#   E2E-GDB-READY NAME PORT [SYMBOL=HEXADDRESS...]
#
# on the serial console. run.sh reads the console as it comes
# (gdb_watch) and starts gdb_session for the marker: gdb-multiarch,
# outside, against 127.0.0.1:$E2E_GDB_HOSTPORT, which qemu forwards to
# PORT in the host. gdb_script_NAME writes gdb's commands, gdb_check_NAME
# judges what gdb printed; the verdict, PASS or FAIL and why, goes to
# $E2E_DIR/gdb/NAME.result, which run.sh reports as case NAME_gdb. The
# inside half judges what armz and the guest did meanwhile.
#
# Ctrl-C: a gdb command file cannot press it, so a shell gdb starts
# sends gdb SIGINT a few seconds into the next continue, which is what
# Ctrl-C at gdb's prompt does.

E2E_GDB_DIR=$E2E_DIR/gdb
# One gdb session at most (armz inside gives up at 240 s too).
E2E_GDB_TIMEOUT=${E2E_GDB_TIMEOUT:-240}

# gdb_interrupt_in SECONDS: gdb's next continue gets a Ctrl-C.
gdb_interrupt_in() {
	echo "shell (sleep $1; kill -INT \$PPID) &"
}

gdb_prelude() {
	cat <<EOF
set pagination off
set confirm off
set width 0
set remotetimeout 30
target remote 127.0.0.1:$E2E_GDB_HOSTPORT
EOF
}

# A bare payload built with symbols (tests/payloads/gdb.S), held at its
# first instruction by --gdb-wait: breakpoints by symbol, registers and
# memory both ways, a step, a watchpoint, a hardware breakpoint, detach.
gdb_script_gdb_payload() {
	gdb_prelude
	cat <<'EOF'
echo MARK attached\n
p/x $pc
break tick
continue
p (long)counter
info registers pc cpsr
p/x $x30
info registers sctlr_el1 fpsr fpcr
set var $x20 = 0x5a5a
p/x $x20
x/2i $pc
stepi
p/x $pc
p/x $x0
set var *(long long *)((char *)&crossing + 4) = 0x1122334455667788
x/4xw &crossing
set var *(int *)&exit_code = 77
p *(int *)&exit_code
delete
watch *(long *)&watched
continue
delete
hbreak tick
continue
p (long)counter
delete
info threads
set var *(int *)&command = 1
echo MARK script-end\n
EOF
}

gdb_args_gdb_payload() {
	echo "$PAYLOADS/gdb.elf"
}

# After the script: an unmapped address is an error (an error would end
# the script, so it comes on its own), then detach.
gdb_tail_gdb_payload() {
	echo "x/xw 0x80000000"
	echo detach
}

gdb_check_gdb_payload() {
	want 'MARK attached'
	want '$1 = 0x40080000'
	want 'Breakpoint 1 at 0x400800d8'
	want 'Breakpoint 1, 0x00000000400800d8 in tick ()'
	want '$2 = 0'
	want_re '^pc +0x400800d8 +0x400800d8 <tick>'
	want_re '^cpsr +0x[0-9a-f]+ +\[ .*EL=1'
	want '$3 = 0x40080020'
	want_re '^sctlr_el1 +0x[0-9a-f]+'
	want_re '^fpcr +0x[0-9a-f]+'
	want '$4 = 0x5a5a'
	want_re '^=> 0x400800d8 <tick>:[[:space:]]+ldr[[:space:]]+x0'
	want '0x00000000400800dc in tick ()'
	want '$5 = 0x400800dc'
	want '$6 = 0x40091000'
	want_re '^0x40092ff8 <crossing>:[[:space:]]+0x00000000[[:space:]]+0x55667788[[:space:]]+0x11223344[[:space:]]+0x00000000'
	want '$7 = 77'
	want 'Hardware watchpoint 2: *(long *)&watched'
	want 'Old value = 0'
	want 'New value = 16'
	want 'Hardware assisted breakpoint 3 at 0x400800d8'
	want 'Breakpoint 3, 0x00000000400800d8 in tick ()'
	want '$8 = 16'
	want_re '^\* 1 +Thread 1 \(vCPU 0\)'
	want 'MARK script-end'
	want 'Cannot access memory at address 0x80000000'
	want '[Inferior 1 (Remote target) detached]'
}

# The payload running, no --gdb-wait: gdb stops it by connecting, then
# Ctrl-C twice on the running guest; the payload resets, gdb is told the
# inferior exited, connects to the next boot and kills it.
gdb_script_gdb_payload_kill() {
	gdb_prelude
	cat <<'EOF'
echo MARK attached\n
p (long)counter > 0
EOF
	gdb_interrupt_in 2
	echo continue
	echo 'echo MARK interrupted-1\n'
	echo 'p (long)counter > 0'
	gdb_interrupt_in 2
	echo continue
	echo 'echo MARK interrupted-2\n'
	cat <<EOF
set var *(int *)&command = 2
continue
echo MARK reset\n
target remote 127.0.0.1:$E2E_GDB_HOSTPORT
echo MARK attached-again\n
info threads
kill
EOF
}

gdb_args_gdb_payload_kill() {
	echo "$PAYLOADS/gdb.elf"
}

gdb_check_gdb_payload_kill() {
	want 'MARK attached'
	want '$1 = 1'
	want 'MARK interrupted-1'
	want 'Program received signal SIGINT, Interrupt.'
	want '$2 = 1'
	want 'MARK interrupted-2'
	want_count 'Program received signal SIGINT, Interrupt.' 2
	want '[Inferior 1 (Remote target) exited with code 0173]'
	want 'MARK attached-again'
	want_re '^\* 1 +Thread 1 \(vCPU 0\)'
	want '[Inferior 1 (Remote target) killed]'
}

# Run-a-command mode, attached while the kernel boots: Ctrl-C, detach.
gdb_script_gdb_cmd() {
	gdb_prelude
	echo 'echo MARK attached\n'
	echo 'info threads'
	gdb_interrupt_in 2
	echo continue
	echo 'echo MARK interrupted\n'
	echo 'info registers pc cpsr'
	echo detach
}

gdb_args_gdb_cmd() {
	:
}

gdb_check_gdb_cmd() {
	want 'MARK attached'
	want_re '^\* 1 +Thread 1 \(vCPU 0\)'
	want 'received signal SIGINT, Interrupt.'
	want 'MARK interrupted'
	want_re '^cpsr +0x[0-9a-f]+ +\[ '
	want '[Inferior 1 (Remote target) detached]'
}

# Debian's kernel with nokaslr on 2 vCPUs, held by --gdb-wait. No
# vmlinux: gdb's symbols come from the kernel's own kallsyms, which the
# host serves (see cases.sh), and the marker names a few addresses the
# checks compare with. A hardware breakpoint at start_kernel, as the MMU
# is still off when gdb plants it; then a software one at
# do_one_initcall, a backtrace through the stack, a step, Ctrl-C on the
# running kernel twice, detach.
gdb_script_gdb_kernel() {
	gdb_prelude
	cat <<EOF
echo MARK attached\n
info threads
hbreak *start_kernel
continue
p/x \$pc
bt
info registers
p/x \$sctlr_el1 & 1
x/4i \$pc
x/s ${SYM[linux_banner]}
delete
break *do_one_initcall
continue
p/x \$pc
bt
info threads
stepi
p/x \$pc
p/x \$cpsr & 0xc0
delete
echo MARK running\n
EOF
	gdb_interrupt_in 8
	echo continue
	echo 'echo MARK interrupted-1\n'
	echo 'bt'
	echo "x/gx ${SYM[jiffies]}"
	gdb_interrupt_in 4
	echo continue
	echo 'echo MARK interrupted-2\n'
	echo "x/gx ${SYM[jiffies]}"
	echo 'info threads'
	echo detach
}

# gdb_fetch FILE: what the host serves once on its port 1235.
gdb_fetch() {
	local n=30
	while [ "$n" -gt 0 ]; do
		n=$((n - 1))
		timeout 60 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1" && cat <&3' \
			_ "$E2E_GDB_FILEPORT" >"$1" 2>/dev/null
		[ -s "$1" ] && return 0
		sleep 1
	done
	return 1
}

# kallsyms' text symbols ("ADDRESS NAME" lines) as an ELF for gdb:
# function symbols in a section at the kernel's addresses that holds no
# bytes, so gdb reads the code from the guest.
gdb_ksyms_elf() {
	local txt=$1 elf=$2 base

	LC_ALL=C sort -k1,1 "$txt" >"$elf.sorted" || return 1
	base=$(head -n 1 "$elf.sorted" | cut -d' ' -f1)
	awk -v base="$base" '
		NR == 1 {
			print "\t.section .ktext, \"ax\", %nobits"
			print "ktext:"
		}
		!seen[$2]++ {
			printf "\t.globl \"%s\"\n\t.type \"%s\", %%function\n",
				$2, $2
			printf "\t.set \"%s\", ktext + (0x%s - 0x%s)\n",
				$2, $1, base
			last = $1
		}
		END { printf "\t.skip 0x%s - 0x%s + 4\n", last, base }
		' "$elf.sorted" >"$elf.s" &&
	aarch64-linux-gnu-as -o "$elf.o" "$elf.s" &&
	aarch64-linux-gnu-ld -o "$elf" -e 0 \
		--section-start=.ktext="0x$base" "$elf.o"
}

gdb_prepare_gdb_kernel() {
	local txt=$E2E_GDB_DIR/gdb_kernel.kallsyms

	gdb_fetch "$txt" || {
		fail_gdb "no kallsyms from the host's port 1235"; return 1; }
	gdb_ksyms_elf "$txt" "$E2E_GDB_DIR/ksyms.elf" \
		>"$E2E_GDB_DIR/gdb_kernel.ksyms.log" 2>&1 || {
		fail_gdb "cannot make a symbol file of kallsyms:" \
			"$(tail -n 2 "$E2E_GDB_DIR/gdb_kernel.ksyms.log")"
		return 1; }
}

gdb_args_gdb_kernel() {
	echo "$E2E_GDB_DIR/ksyms.elf"
}

gdb_check_gdb_kernel() {
	local sk=${SYM[start_kernel]#0x} doi=${SYM[do_one_initcall]#0x}
	local doi4 j1 j2

	doi4=$(printf '%x' $((0x$doi + 4)))
	want 'MARK attached'
	want_re '^  2 +Thread 2 \(vCPU 1\)'
	want "Hardware assisted breakpoint 1 at 0x$sk"
	want_re "hit Breakpoint 1, 0x0*$sk in start_kernel \(\)"
	want "\$1 = 0x$sk"
	want_re "^#0  0x0*$sk in start_kernel \(\)"
	want_re '^x0 +0x[0-9a-f]+'
	want_re '^cpsr +0x[0-9a-f]+ +\[ .*EL=1'
	want_re '^ttbr1_el1 +0x[0-9a-f]+'
	want '$2 = 0x1'
	want_re "^=> 0x$sk <start_kernel>:"
	want_re '"Linux version 6\.'
	want "Breakpoint 2 at 0x$doi"
	want_re "hit Breakpoint 2, 0x0*$doi in do_one_initcall \(\)"
	want "\$3 = 0x$doi"
	# Its caller, named. (gdb 13's prologue analysis without debug
	# information gives up at the NOPs ftrace puts at every kernel
	# function's entry, so a backtrace ends there; with vmlinux gdb
	# unwinds by its DWARF CFI instead.)
	want_re "^#0  0x0*$doi in do_one_initcall \(\)"
	want_re '^#1  0x[0-9a-f]+ in [a-z_]+ \(\)'
	# A step with the timer's interrupt long pending lands on the next
	# instruction, not in the vector; and the interrupts are on again.
	want "\$4 = 0x$doi4"
	want '$5 = 0x0'
	want 'MARK interrupted-1'
	want 'MARK interrupted-2'
	want_count 'received signal SIGINT, Interrupt.' 2
	want '[Inferior 1 (Remote target) detached]'
	# jiffies went on between the two Ctrl-Cs.
	j1=$(grep -E "^0x${SYM[jiffies]#0x}( <[^>]*>)?:" "$GDB_LOG" |
		awk '{ print $NF }' | head -n 1)
	j2=$(grep -E "^0x${SYM[jiffies]#0x}( <[^>]*>)?:" "$GDB_LOG" |
		awk '{ print $NF }' | tail -n 1)
	if [ -z "$j1" ] || [ -z "$j2" ] || ! (( j2 > j1 )); then
		fail_gdb "jiffies did not advance between the Ctrl-Cs:" \
			"'$j1' then '$j2'"
	fi
}

# --- helpers of the checks: the first unmet expectation is the reason

fail_gdb() {
	[ -n "$GDB_REASON" ] || GDB_REASON=$*
}

want() {
	grep -qF -- "$1" "$GDB_LOG" || fail_gdb "gdb did not print '$1'"
}

want_re() {
	grep -qE -- "$1" "$GDB_LOG" || fail_gdb "gdb printed no line like /$1/"
}

want_count() {
	local n
	n=$(grep -cF -- "$1" "$GDB_LOG" || true)
	[ "$n" -ge "$2" ] || fail_gdb "gdb printed '$1' $n times, not $2"
}

# gdb_session NAME PORT [SYMBOL=HEX...]: runs in the background.
gdb_session() {
	local name=$1 script tail args
	local -A SYM
	shift 2
	for kv in "$@"; do
		[[ $kv == *=* ]] && SYM[${kv%%=*}]=0x${kv#*=}
	done
	mkdir -p "$E2E_GDB_DIR"
	script=$E2E_GDB_DIR/$name.gdb tail=$E2E_GDB_DIR/$name.tail.gdb
	GDB_LOG=$E2E_GDB_DIR/$name.log GDB_REASON=
	if ! declare -F "gdb_script_$name" >/dev/null; then
		echo "FAIL no outside gdb script for $name" >"$E2E_GDB_DIR/$name.result"
		return
	fi
	if declare -F "gdb_prepare_$name" >/dev/null &&
	   ! "gdb_prepare_$name"; then
		echo "FAIL $GDB_REASON" >"$E2E_GDB_DIR/$name.result"
		return
	fi
	"gdb_script_$name" >"$script"
	: >"$tail"
	if declare -F "gdb_tail_$name" >/dev/null; then
		"gdb_tail_$name" >"$tail"
	fi
	args=$("gdb_args_$name")
	# -x files end at their first error; the tail's commands each run.
	local ex=()
	while IFS= read -r line; do
		ex+=(-ex "$line")
	done <"$tail"
	# shellcheck disable=SC2086
	timeout "$E2E_GDB_TIMEOUT" "${GDB:-gdb-multiarch}" -batch -nx \
		-x "$script" "${ex[@]}" $args </dev/null >"$GDB_LOG" 2>&1
	echo "gdb exit status $?" >>"$GDB_LOG"
	"gdb_check_$name"
	if [ -z "$GDB_REASON" ]; then
		echo PASS
	else
		echo "FAIL $GDB_REASON; log: $(tail -n 4 "$GDB_LOG" |
			tr '\n\t' '| ' | cut -c1-300)"
	fi >"$E2E_GDB_DIR/$name.result"
}

# Copies the console through, and starts a session for each marker,
# once per case.
gdb_watch() {
	local line started=" "
	rm -rf "$E2E_GDB_DIR"
	mkdir -p "$E2E_GDB_DIR"
	while IFS= read -r line; do
		printf '%s\n' "$line"
		line=${line%$'\r'}
		case $line in
		*E2E-GDB-READY\ *)
			# shellcheck disable=SC2086
			set -- ${line##*E2E-GDB-READY }
			case $started in *" $1 "*) continue ;; esac
			started="$started$1 "
			gdb_session "$@" &
			;;
		esac
	done
	wait
}

# The outside results, one line per inside gdb case that reported: a
# case whose marker never came fails here too.
gdb_results() {
	local results=$1 name
	sed -n 's/^E2E-RESULT \(gdb_[a-z0-9_]*\) .*/\1/p' "$results" |
	while read -r name; do
		declare -F "gdb_check_$name" >/dev/null || continue
		if [ -s "$E2E_GDB_DIR/$name.result" ]; then
			echo "E2E-RESULT ${name}_gdb $(cat "$E2E_GDB_DIR/$name.result")"
		else
			echo "E2E-RESULT ${name}_gdb FAIL no E2E-GDB-READY from" \
				"the host: gdb never ran"
		fi
	done
}
