#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Benchmarks, inside the emulated arm64 KVM host (busybox sh), started by
# its /init for armz_mode=bench. Each measurement prints one line
#
#   E2E-BENCH KEY VALUE UNIT METHOD...
#
# for tests/e2e/bench.sh to put in its table. Numbers only: no thresholds,
# nothing fails; a measurement that could not be made says so as VALUE -.
# Everything runs under nested KVM in TCG: compare armz with itself.

ARMZ=/bin/armz
ARMZ_DYN=/bin/armz-dyn
KERNEL=/guest/Image
INITRD=/guest/initrd.cpio.gz
LOGDIR=/tmp/bench
TIMEOUT=240
# The file system workloads are slow over 9p in nested TCG.
FS_TIMEOUT=${FS_TIMEOUT:-1200}
BOOTS=${BOOTS:-3}

mkdir -p "$LOGDIR"

# run NAME BINARY ARG...: one armz run, its console in $LOGDIR/NAME.out
run() {
	_name=$1 _bin=$2
	shift 2
	echo "bench: $_bin $*" >&2
	timeout "$TIMEOUT" "$_bin" "$@" >"$LOGDIR/$_name.out" \
		2>"$LOGDIR/$_name.err" </dev/null
	_st=$?
	tr -d '\r' <"$LOGDIR/$_name.out" >"$LOGDIR/$_name.tmp"
	mv "$LOGDIR/$_name.tmp" "$LOGDIR/$_name.out"
	grep '^bench-' "$LOGDIR/$_name.out" >&2
	[ "$_st" -eq 0 ] || {
		echo "bench: $_name: armz exited $_st:" \
			"$(tail -n 3 "$LOGDIR/$_name.err" | tr '\n' '|')" >&2
		tail -n 20 "$LOGDIR/$_name.out" >&2
	}
	return "$_st"
}

val() {
	sed -n "s/^$2=//p" "$LOGDIR/$1.out" | head -n 1
}

result() {
	echo "E2E-BENCH $1 ${2:--} $3 $4"
}

# "123.4 MB/s (256 MiB in 2.07 s)": the number.
rate_mb() {
	case $1 in
	[0-9]*) echo "${1%% *}" ;;
	*) echo - ;;
	esac
}

bench_blk() {
	_img=$LOGDIR/bench.img
	truncate -s 256M "$_img"
	run blk "$ARMZ" run -k "$KERNEL" -i "$INITRD" --disk "$_img" \
		-p "armz.test=bench_blk quiet"
	_how="dd bs=1M O_DIRECT, image on the host's tmpfs:"
	result blk-seq-write "$(rate_mb "$(val blk bench-seq-write)")" MB/s \
		"$_how $(val blk bench-seq-write | sed 's/^[^(]*//'), fsync"
	result blk-seq-read "$(rate_mb "$(val blk bench-seq-read)")" MB/s \
		"$_how $(val blk bench-seq-read | sed 's/^[^(]*//')"
	_rr=$(val blk bench-randread-iops)
	result blk-randread-4k "${_rr%% *}" IOPS \
		"guests/randread.c: pread 4 KiB O_DIRECT, random, QD1, 10 s"
	rm -f "$_img"
}

# bench_net MODE BINARY ARG...: the guest pipes 32 MiB of zeroes through
# nc to a sink in this host; dd in the guest times it.
bench_net() {
	_mode=$1 _bin=$2
	shift 2
	rm -f "$LOGDIR/sink.fifo"
	mkfifo "$LOGDIR/sink.fifo"
	nc -l -p 5004 <>"$LOGDIR/sink.fifo" >/dev/null &
	_sink=$!
	if [ "$_mode" = tap ]; then
		(
			_n=100
			while [ ! -e /sys/class/net/tap0 ] && [ "$_n" -gt 0 ]
			do
				sleep 0.2
				_n=$((_n - 1))
			done
			ip addr add 192.168.77.1/24 dev tap0
			ip link set tap0 up
		) &
	fi
	run "net-$_mode" "$_bin" run -k "$KERNEL" -i "$INITRD" "$@" \
		-p "armz.test=bench_net armz.net=$_mode quiet"
	kill "$_sink" 2>/dev/null
	wait 2>/dev/null
	_tx=$(val "net-$_mode" bench-net-tx)
	result "net-$_mode-tx" "$(rate_mb "$_tx")" MB/s \
		"guest->host TCP, dd | busybox nc: $(echo "$_tx" |
		sed 's/^[^(]*//'), per packet $(val "net-$_mode" \
		bench-net-tx-packet)"
	_lo=$(val "net-$_mode" bench-net-lo)
	result "net-$_mode-guest-lo" "$(rate_mb "$_lo")" MB/s \
		"the same in the guest over its loopback: $(echo "$_lo" |
		sed 's/^[^(]*//')"
}

# median WORDS...: the middle number of those that are numbers.
median() {
	echo "$@" | tr ' ' '\n' | grep '^[0-9]' | sort -n |
		awk '{ v[NR] = $1 } END { if (NR) print v[int((NR + 1) / 2)] }'
}

# exits FILE: every exit to userspace the report counted.
exits() {
	tr -d ' \n' <"$1" | sed -n 's/.*"vcpu_exits":{\([^}]*\)}.*/\1/p' |
		tr ',' '\n' | awk -F: '{ n += $2 } END { if (NR) print n }'
}

# boot_once NAME PARAMS ARG...: one boot; its report's userspace time
# (first vCPU entry to init's BOOTED write) and exits to userspace of the
# whole run go on the lists NAME_all and NAME_ex.
boot_once() {
	_name=$1 _params=$2
	shift 2
	rm -f "$LOGDIR/$_name.json"
	run "$_name" "$ARMZ" run -k "$KERNEL" -i "$INITRD" \
		--report "$LOGDIR/$_name.json" "$@" -p "$_params" || return 0
	_ms=$(sed -n 's/^ *"userspace": \([0-9.]*\).*/\1/p' \
		"$LOGDIR/$_name.json")
	_var=$(echo "$_name" | tr -c 'a-z0-9\n' _)
	eval "${_var}_all=\"\$${_var}_all ${_ms:-?}\""
	eval "${_var}_ex=\"\$${_var}_ex $(exits "$LOGDIR/$_name.json")\""
	eval "${_var}_q=$(sed -n 's/^ *"queued_writes": \([0-9]*\).*/\1/p' \
		"$LOGDIR/$_name.json")"
	eval "${_var}_by='$(tr -d ' \n' <"$LOGDIR/$_name.json" |
		grep -o '"mmio_exits":{[^}]*}')'"
}

# boot_results NAME PARAMS: the medians of what boot_once gathered.
boot_results() {
	_var=$(echo "$1" | tr -c 'a-z0-9\n' _)
	eval "_all=\$${_var}_all _ex=\$${_var}_ex _q=\$${_var}_q _by=\$${_var}_by"
	result "$1" "$(median $_all)" ms \
		"median of:$_all (report's userspace)"
	result "$1-exits" "$(median $_ex)" exits \
		"median of:$_ex (report's vcpu_exits, whole run; UART writes without an exit: ${_q:-?}; the last run's $_by), -p '$2'"
}

# bench_boot NAME PARAMS ARG...: $BOOTS boots, the medians and all.
bench_boot() {
	_i=0
	while [ "$_i" -lt "$BOOTS" ]; do
		_i=$((_i + 1))
		boot_once "$@"
	done
	boot_results "$1" "$2"
}

# Which groups of measurements run: armz_bench=boot,fs on the host's
# command line (ARMZ_BENCH for make bench); all of them by default.
param() {
	for w in $(cat /proc/cmdline); do
		case $w in
		"$1"=*) echo "${w#*=}"; return 0 ;;
		esac
	done
	return 1
}
WANT=$(param armz_bench) || WANT=all
want() {
	case ",$WANT," in
	*,all,*|*,"$1",*) return 0 ;;
	esac
	return 1
}

modprobe tun 2>/dev/null
ip link set lo up

# --------------------------------------------------------- 9p, virtio-fs

GENERIC=/guest/Image-generic
TREE_STAT=$LOGDIR/tree-stat
TREE_CAT=$LOGDIR/tree-cat

# The trees, in this host's /tmp (tmpfs): 20,000 empty files in 200
# directories, and 100 MiB in 400 files of 256 KiB in 10.
fs_trees() {
	rm -rf "$TREE_STAT" "$TREE_CAT"
	mkdir -p "$TREE_STAT" "$TREE_CAT"
	for _d in $(seq 1 200); do
		mkdir "$TREE_STAT/d$_d"
		(cd "$TREE_STAT/d$_d" && seq 1 100 | xargs touch)
	done
	dd if=/dev/urandom of="$LOGDIR/chunk" bs=256k count=1 2>/dev/null
	for _d in $(seq 1 10); do
		mkdir "$TREE_CAT/d$_d"
		for _f in $(seq 1 40); do
			cp "$LOGDIR/chunk" "$TREE_CAT/d$_d/f$_f"
		done
	done
	# What the guest runs: each workload timed by the guest's clock.
	cat >"$LOGDIR/fsbench.sh" <<'EOS'
#!/bin/sh
now() { cut -d' ' -f1 /proc/uptime; }
took() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }
a=$(now)
case $1 in
stat)	n=$(find "$2" -type f | xargs stat -c %s | wc -l); what=files ;;
cat)	n=$(find "$2" -type f | xargs cat | wc -c); what=bytes ;;
esac
b=$(now)
echo "bench-fs-$1=$(took "$a" "$b") s for $n $what"
EOS
}

# ms of wall time (this host's clock) of one command.
wall_ms() {
	_a=$(cut -d' ' -f1 /proc/uptime)
	"$@" >/dev/null
	_rc=$?
	_b=$(cut -d' ' -f1 /proc/uptime)
	awk -v a="$_a" -v b="$_b" 'BEGIN { printf "%d", (b - a) * 1000 }'
	return $_rc
}

# bench_fs KIND: run-a-command mode with its root over KIND (9p: no
# virtiofsd): the two workloads, then `-- true` $BOOTS times.
bench_fs() {
	_kind=$1 _all=
	if [ "$_kind" = 9p ]; then
		export ARMZ_VIRTIOFSD=none
	fi
	cd / || return
	# Each workload in a guest of its own, each with FS_TIMEOUT.
	TIMEOUT=$FS_TIMEOUT run "fs-stat-$_kind" "$ARMZ" run -k "$GENERIC" \
		-m 512M --report "$LOGDIR/fs-$_kind.json" -- /bin/sh \
		"$LOGDIR/fsbench.sh" stat "$TREE_STAT"
	_root=$(sed -n 's/^ *"root_fs": "\(.*\)",/\1/p' "$LOGDIR/fs-$_kind.json")
	_st=$(val "fs-stat-$_kind" bench-fs-stat)
	result "fs-stat-$_kind" "${_st%% *}" s \
		"find | xargs stat of 20,000 files, root over ${_root:-?}: ${_st:-no result within ${FS_TIMEOUT} s}"
	TIMEOUT=$FS_TIMEOUT run "fs-cat-$_kind" "$ARMZ" run -k "$GENERIC" \
		-m 512M -- /bin/sh "$LOGDIR/fsbench.sh" cat "$TREE_CAT"
	_ct=$(val "fs-cat-$_kind" bench-fs-cat)
	result "fs-cat-$_kind" "${_ct%% *}" s \
		"find | xargs cat of 100 MiB in 400 files, root over ${_root:-?}: ${_ct:-no result within ${FS_TIMEOUT} s}"
	_i=0
	while [ "$_i" -lt "$BOOTS" ]; do
		_i=$((_i + 1))
		echo "bench: $ARMZ run -k $GENERIC -- true ($_kind)" >&2
		_ms=$(wall_ms timeout "$TIMEOUT" "$ARMZ" run -k "$GENERIC" \
			-- true </dev/null 2>>"$LOGDIR/true-$_kind.err") ||
			_ms="?"
		_all="$_all $_ms"
	done
	result "cmd-true-$_kind" "$(median $_all)" ms \
		"armz run -k Image-generic -- true, wall time, median of:$_all"
	unset ARMZ_VIRTIOFSD
}

if want boot; then
	# The full log on the UART with every write an exit (as before
	# coalesced MMIO), and as armz runs it: the same kernel, this run,
	# boots taken in turn so that the machine's load falls on both.
	_i=0
	while [ "$_i" -lt "$BOOTS" ]; do
		_i=$((_i + 1))
		export ARMZ_FEATURES=no-coalesced-mmio
		boot_once boot-uart-plain armz.test=boot
		unset ARMZ_FEATURES
		boot_once boot-uart armz.test=boot
	done
	boot_results boot-uart-plain armz.test=boot
	boot_results boot-uart armz.test=boot
	bench_boot boot-hvc0 armz.test=boot --console virtio
fi
# (quiet: the quiet boots alone, ARMZ_BENCH=quiet.)
if want boot || want quiet; then
	bench_boot boot-quiet "armz.test=boot quiet"
	# The same with the console on hvc0: userspace's lines go out
	# through virtio and ioeventfd, not 2 UART accesses a byte.
	bench_boot boot-quiet-hvc0 "armz.test=boot quiet" --console virtio
	# And with no early console (a console= of the user's own replaces
	# armz's): the errors a quiet kernel still prints before hvc0 is up
	# wait in the log buffer instead of costing an exit a byte.
	bench_boot boot-quiet-hvc0-only "quiet console=hvc0 armz.test=boot" \
		--console virtio
	# quiet before the console options: the early console never
	# replays the messages a quiet boot does not print.
	bench_boot boot-quiet-first "quiet console=ttyS0 \
earlycon=uart8250,mmio,0x9000000 armz.test=boot"
fi
if want fs; then
	fs_trees
	bench_fs 9p
	bench_fs virtiofs
	rm -rf "$TREE_STAT" "$TREE_CAT"
fi
if want blk; then
	bench_blk
fi
if want net; then
	bench_net tap "$ARMZ" --net tap,ifname=tap0
	if [ -x "$ARMZ_DYN" ]; then
		bench_net user "$ARMZ_DYN" --net user
	else
		result net-user-tx - MB/s "no dynamic armz (libslirp) in the host"
	fi
fi
