#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# make install puts armz, armz-init, the man page and the bash completion
# where a user finds them; the man page renders without a warning and the
# installed armz finds its armz-init (and says so when it is missing).
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

# The installed armz finds its armz-init. In run-a-command mode armz packs
# it into the guest's initramfs before it opens KVM, so a KVM device that
# does not exist tells the two apart: with armz-init in its place armz
# gets as far as KVM; moved away, armz must stop at armz-init and say so.
# No guest boots, and this machine needs no KVM; the kernel is an arm64
# Image header and nothing else, which armz reads (for its release and
# config) before it opens KVM, as it does a real one.
kernel=$dest/Image
head -c 4096 /dev/zero >"$kernel"
printf 'ARM\x64' | dd of="$kernel" bs=1 seek=56 conv=notrunc 2>/dev/null
armz_try() {
	env -u ARMZ_INIT "$dest/usr/bin/armz" run -k "$kernel" \
		--kvm-dev "$dest/no-kvm" -- true 2>&1 >/dev/null
}
init=$dest/usr/libexec/armz/armz-init
err=$(armz_try)
st=$?
if [ "$st" != 1 ] || [[ $err != *"$dest/no-kvm"* ]] ||
   [[ $err == *armz-init* ]]; then
	fail "the installed armz did not get past armz-init to KVM" \
		"(status $st): $err"
fi
mv "$init" "$dest/armz-init.away" || fail "cannot move armz-init away"
err=$(armz_try)
st=$?
mv "$dest/armz-init.away" "$init" || fail "cannot put armz-init back"
if [ "$st" != 1 ] || [[ $err != *"cannot find armz-init"* ]]; then
	fail "without its armz-init the installed armz did not say so" \
		"(status $st): $err"
fi
echo "install-check: PASS"
