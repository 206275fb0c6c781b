#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install puts armz, armz-init, the man page and the bash completion
# where a user finds them; the man page renders without a warning and the
# installed armz finds its armz-init.
set -u
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
fail() {
	echo "install-check: FAIL: $*"
	exit 1
}

make -s install DESTDIR="$dest" PREFIX=/usr >/dev/null || fail "make install"
for f in bin/armz libexec/armz/armz-init share/man/man1/armz.1 \
	 share/bash-completion/completions/armz; do
	[ -s "$dest/usr/$f" ] || fail "missing /usr/$f"
done
# kvmtool's names: links to armz, which then speaks kvmtool's command line.
for n in lkvm lkvm-static vm; do
	[ "$(readlink "$dest/usr/bin/$n")" = armz ] ||
		fail "/usr/bin/$n is not a link to armz"
	"$dest/usr/bin/$n" --help | grep -q 'The most commonly used lkvm commands are:' ||
		fail "$n --help does not list kvmtool's commands"
done
warn=$(groff -man -Tutf8 -ww "$dest/usr/share/man/man1/armz.1" 2>&1 >/dev/null)
[ -z "$warn" ] || fail "man page: $warn"
man -l "$dest/usr/share/man/man1/armz.1" 2>/dev/null | grep -q 'EXIT STATUS' ||
	fail "man page has no EXIT STATUS section"
bash -n "$dest/usr/share/bash-completion/completions/armz" ||
	fail "bash completion does not parse"
echo "install-check: PASS"
