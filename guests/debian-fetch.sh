#!/bin/bash
# Unpack Debian packages of another architecture into a directory, without
# touching the host's dpkg database: a private package list for that
# architecture only, `apt-get download`, then `dpkg -x`.
#
#   guests/debian-fetch.sh ARCH DESTDIR PACKAGE...
#   guests/debian-fetch.sh --newest ARCH REGEX   prints the newest match
#
# The lists and .debs are cached in $ARMZ_CACHE (default ~/.cache/armz).
set -euo pipefail

cache=${ARMZ_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/armz}

apt_opts() {
	local arch=$1 dir=$cache/apt-$1

	mkdir -p "$dir/lists/partial" "$dir/cache/archives/partial"
	echo "-oAPT::Architecture=$arch -oAPT::Architectures=$arch" \
	     "-oDir::State::Lists=$dir/lists -oDir::Cache=$dir/cache" \
	     "-oDebug::NoLocking=1 -oAPT::Sandbox::User=root"
}

apt_update() {
	local arch=$1 stamp=$cache/apt-$1/updated

	# One refresh a day: the archive drops old kernel ABIs, so a stale
	# list names packages that can no longer be downloaded.
	if [ -z "$(find "$stamp" -mmin -1440 2>/dev/null)" ]; then
		# shellcheck disable=SC2046
		apt-get -qq $(apt_opts "$arch") update >&2
		touch "$stamp"
	fi
}

if [ "${1:-}" = --newest ]; then
	arch=$2 regex=$3
	apt_update "$arch"
	# shellcheck disable=SC2046
	apt-cache $(apt_opts "$arch") search --names-only "$regex" |
		awk '{print $1}' | sort -V | tail -n 1
	exit 0
fi

[ $# -ge 3 ] || { echo "usage: $0 ARCH DESTDIR PACKAGE..." >&2; exit 2; }
arch=$1 dest=$2
shift 2
apt_update "$arch"
debs=$cache/debs-$arch
mkdir -p "$debs" "$dest"
for pkg in "$@"; do
	deb=$(ls "$debs/${pkg}"_*_"$arch".deb "$debs/${pkg}"_*_all.deb 2>/dev/null | head -n 1 || true)
	if [ -z "$deb" ]; then
		# shellcheck disable=SC2046
		(cd "$debs" && apt-get -qq $(apt_opts "$arch") download "$pkg" >&2)
		deb=$(ls "$debs/${pkg}"_*.deb | head -n 1)
	fi
	dpkg -x "$deb" "$dest"
done
