#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# The README's two commands on a fresh Debian 12 machine. mmdebstrap makes
# a minimal bookworm root (variant minbase: no compiler, no ca-certificates,
# nothing the build needs), a clean clone of the current commit goes in,
# and the commands run there exactly as the README writes them, with no
# stdin:
#
#   as root, in a root with no sudo:
#     tests/install-deps.sh && make check, then
#     tests/install-deps.sh && make boot
#   as a user with passwordless sudo, in a root of its own:
#     tests/install-deps.sh && make boot, then
#     tests/install-deps.sh && make check
#
# Each kind of user starts from its own root, so what one installed cannot
# hide what the other lacks, and each runs a different command first, so
# both are also seen to work on an untouched machine. Nothing of this
# machine goes in but the clone, resolv.conf, the hostname and apt's proxy
# setting: not ~/.cache/armz, not out/. Anything the commands need that
# install-deps.sh does not install makes the check fail.
#
#   tests/fresh-check.sh              both parts
#   tests/fresh-check.sh root|user    one
#
# Needs root (mmdebstrap --mode=root, chroot, mounts) and mmdebstrap, and
# about an hour on 2 cores: the full make check runs twice.
# FRESH_DIR   where the roots and the logs go (out/fresh). A part's root is
#             removed when it passed and kept for a look when it failed;
#             the next run starts anew either way.
# E2E_TIMEOUT passed in when set (tests/e2e/lib.sh): a machine busy with
#             other work may need more than the emulated host's 900 s.
set -euo pipefail

cd "$(dirname "$0")/.."
top=$(pwd)

usage() {
	echo "usage: $0 [root|user]..." >&2
	exit 2
}
parts=("$@")
[ ${#parts[@]} -gt 0 ] || parts=(root user)
for p in "${parts[@]}"; do
	case $p in root|user) ;; *) usage ;; esac
done
if [ "$EUID" -ne 0 ]; then
	echo "$0: needs root for mmdebstrap, chroot and mounts:" \
		"sudo make fresh-check" >&2
	exit 2
fi
if ! command -v mmdebstrap >/dev/null; then
	echo "$0: needs mmdebstrap, which makes the Debian root:" \
		"apt-get install mmdebstrap" >&2
	exit 2
fi

dir=$(realpath -m "${FRESH_DIR:-out/fresh}")
commit=$(git rev-parse HEAD)
if [ -n "$(git status --porcelain --untracked-files=no)" ]; then
	echo "fresh-check: uncommitted changes are not checked: the roots" \
		"get a clone of $commit" >&2
fi
mkdir -p "$dir"
rm -rf "$dir/logs"
mkdir -p "$dir/logs"

# A machine that reaches Debian only through a proxy is set up with it at
# install time; the root gets the same (mmdebstrap writes it into the
# root's apt.conf.d, so install-deps.sh and the build use it too).
aptopts=()
apt_http='' apt_https=''
eval "$(apt-config shell apt_http Acquire::http::Proxy \
	apt_https Acquire::https::Proxy)"
[ -z "$apt_http" ] ||
	aptopts+=(--aptopt="Acquire::http::Proxy \"$apt_http\"")
[ -z "$apt_https" ] ||
	aptopts+=(--aptopt="Acquire::https::Proxy \"$apt_https\"")

# isolated COMMAND...: COMMAND in a mount namespace and a PID namespace
# of its own, in the background, with unshare's pid in $dir/pid for the
# trap. What COMMAND mounts is never seen here and goes when the last
# process there ends. unshare blocks SIGINT and SIGTERM; when the trap
# sends it SIGKILL, the kernel kills its child, PID 1 of the namespace,
# and with it every process there (--kill-child). mmdebstrap alone would
# not do: it holds off SIGTERM while dpkg runs, and its forks outlive a
# SIGKILL with the root's mounts in place. Ctrl-C does not reach
# background processes, and this script may get SIGTERM alone.
isolated() {
	local status=0
	unshare --mount --propagation private --pid --kill-child -- "$@" &
	echo $! >"$dir/pid"
	wait $! || status=$?
	rm -f "$dir/pid"
	return "$status"
}

# The mounts of in_root live in a private mount namespace, so none is
# ever seen here; this is the last guard before rm -rf all the same.
remove_root() {
	if awk -v d="$1/" 'index($5 "/", d) == 1 { m = 1 } END { exit !m }' \
		/proc/self/mountinfo; then
		echo "fresh-check: something is still mounted under $1;" \
			"not removing it" >&2
		return 1
	fi
	rm -rf "$1"
}

# make_root ROOT USER [PACKAGE...]: a minimal Debian 12 root, with
# PACKAGEs, and the clone of $commit in USER's ~/armz. Like a fresh
# install it has /etc/hosts, and mmdebstrap copies resolv.conf and the
# hostname in.
make_root() {
	local root=$1 user=$2 home include=()
	shift 2
	[ $# -eq 0 ] || include=(--include="$(IFS=,; echo "$*")")
	remove_root "$root"
	isolated mmdebstrap --quiet --mode=root --variant=minbase \
		"${aptopts[@]}" "${include[@]}" bookworm "$root" </dev/null
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n' "$(uname -n)" \
		>"$root/etc/hosts"
	if [ "$user" = root ]; then
		home=/root
	else
		chroot "$root" useradd --create-home --shell /bin/bash "$user"
		home=/home/$user
	fi
	git clone -q --no-local --no-checkout "$top" "$root$home/armz"
	git -C "$root$home/armz" checkout -q --detach "$commit"
	chroot "$root" chown -R "$user:" "$home/armz"
}

# in_root ROOT USER COMMAND: COMMAND in a login shell of USER in ROOT,
# with no stdin and nothing of this environment but E2E_TIMEOUT (a make
# that runs this script would pass MAKEFLAGS down). The mounts and the
# processes end with the command however it ends (isolated).
in_root() {
	# shellcheck disable=SC2016 # expanded by the inner bash
	isolated env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		TERM="${TERM:-dumb}" ${E2E_TIMEOUT:+E2E_TIMEOUT="$E2E_TIMEOUT"} \
		bash -euc '
			root=$1 user=$2 cmd=$3
			mount -t proc proc "$root/proc"
			mount -t sysfs sysfs "$root/sys"
			mount --rbind /dev "$root/dev"
			exec chroot "$root" runuser -l -w E2E_TIMEOUT "$user" \
				-c "$cmd"
		' in_root "$@" </dev/null
}

# readme ROOT USER COMMAND: one of the README's commands, from the clone.
readme() {
	in_root "$1" "$2" "cd armz && $3"
}

fmt() {
	printf '%dm%02ds' $(($1 / 60)) $(($1 % 60))
}

# step NAME COMMAND...: COMMAND, its output also in the step's own log,
# and how long it took.
times=()
failed=0
step_name='' step_t0=0
step() {
	local name=$1 t0=$SECONDS status log
	shift
	step_name=$name step_t0=$t0
	log=$dir/logs/$(printf '%02d' $((${#times[@]} + 1))).log
	echo "fresh-check: ==> $name (log: $log)"
	# In the background, so that the trap runs at once on a signal.
	{ (set -e; "$@") 2>&1 | tee "$log"; } &
	status=0
	wait $! || status=$?
	step_name=''
	if [ "$status" -eq 0 ]; then
		times+=("$(printf '%8s  ok      %s' "$(fmt $((SECONDS - t0)))" \
			"$name")")
	else
		times+=("$(printf '%8s  FAIL %-2s %s' "$(fmt $((SECONDS - t0)))" \
			"$status" "$name")")
		failed=1
		echo "fresh-check: FAIL: $name: status $status (log: $log)"
	fi
	return "$status"
}

summary() {
	echo
	echo "fresh-check: $commit, in $dir"
	printf '%s\n' "${times[@]}"
	printf '%8s          total\n' "$(fmt $((SECONDS - t_all)))"
}
# Ctrl-C or SIGTERM: stop the step's command, then say where the run got
# to.
stop() {
	local pid=''
	[ ! -f "$dir/pid" ] || read -r pid <"$dir/pid" || true
	if [ -n "$pid" ] && kill -s KILL "$pid" 2>/dev/null; then
		while kill -0 "$pid" 2>/dev/null; do
			sleep 1
		done
	fi
	[ -z "$step_name" ] ||
		times+=("$(printf '%8s  stopped %s' \
			"$(fmt $((SECONDS - step_t0)))" "$step_name")")
	summary
	echo "fresh-check: FAIL (interrupted)"
	exit 130
}
trap stop INT TERM

# Root: nothing but minbase, and no sudo to fall back on.
part_root() {
	local root=$dir/root
	step "root: mmdebstrap bookworm minbase, clone" \
		make_root "$root" root || return 0
	step "root: no sudo in the root" \
		in_root "$root" root '! command -v sudo' || return 0
	step "root: tests/install-deps.sh && make check" \
		readme "$root" root 'tests/install-deps.sh && make check' ||
		return 0
	step "root: tests/install-deps.sh && make boot" \
		readme "$root" root 'tests/install-deps.sh && make boot' ||
		return 0
	remove_root "$root" || failed=1
}

# A user with sudo: minbase plus sudo, and the right to use it with no
# password (there is no one to type one).
make_user_root() {
	make_root "$1" "$2" sudo
	echo "$2 ALL=(ALL:ALL) NOPASSWD: ALL" >"$1/etc/sudoers.d/$2"
	chmod 0440 "$1/etc/sudoers.d/$2"
}

part_user() {
	local root=$dir/user user=dev
	step "user: mmdebstrap bookworm minbase + sudo, user $user, clone" \
		make_user_root "$root" "$user" || return 0
	# shellcheck disable=SC2016 # expanded in the root
	step "user: $user is no root and may use sudo" \
		in_root "$root" "$user" '[ "$(id -u)" -ne 0 ] && sudo -n true' ||
		return 0
	step "user: tests/install-deps.sh && make boot" \
		readme "$root" "$user" 'tests/install-deps.sh && make boot' ||
		return 0
	step "user: tests/install-deps.sh && make check" \
		readme "$root" "$user" 'tests/install-deps.sh && make check' ||
		return 0
	remove_root "$root" || failed=1
}

t_all=$SECONDS
for p in "${parts[@]}"; do
	"part_$p"
done
summary
if [ "$failed" -eq 0 ]; then
	echo "fresh-check: PASS"
else
	echo "fresh-check: FAIL"
	exit 1
fi
