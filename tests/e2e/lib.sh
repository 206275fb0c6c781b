# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
# Shared by run.sh and boot.sh (sourced from the repository root): build
# armz for aarch64, the guest and the emulated host, and boot the host.
#
# ARMZ=path     use this static aarch64 armz (and armz-init beside it)
#               instead of building one
# ARMZ_DYN=path and this dynamic one for user-mode networking, its
#               libraries taken from ARMZ_DYN_SYSROOT; ARMZ_DYN=none: none
# ARMZ_E2E_SANITIZE=1
#               the dynamic armz is built with ASan and UBSan
#               (out/arm64-asan) and every case runs it (make check-asan)
# PAYLOADS=dir  and these bare-metal payloads (out/arm64/payloads)
# E2E_DIR       where images are kept (out/e2e)
# E2E_TIMEOUT   wall-clock seconds the emulated host may run (1200)

E2E_DIR=${E2E_DIR:-out/e2e}
E2E_TIMEOUT=${E2E_TIMEOUT:-1200}

# libslirp ships no static library, so --net user needs a dynamic armz.
# A failure only costs the user-mode cases.
e2e_build_dyn() {
	local o=out/arm64-dyn san=()

	if [ -n "${ARMZ_E2E_SANITIZE:-}" ]; then
		o=out/arm64-asan
		san=(SANITIZE=1)
	fi
	make -s -j"$(nproc)" O=$o CROSS_COMPILE=aarch64-linux-gnu- \
		"${san[@]}" all || return 1
	ARMZ_DYN=$o/armz ARMZ_DYN_SYSROOT=$o/sysroot
}

# e2e_build all|boot: everything the cases need, or only what
# booting one guest needs (no generic kernel, no dynamic armz).
e2e_build() {
	local dyn=() generic=()

	mkdir -p "$E2E_DIR"
	[ "${1:-}" = boot ] && ARMZ_DYN=${ARMZ_DYN:-none}
	if [ -z "${ARMZ:-}" ]; then
		make -s -j"$(nproc)" O=out/arm64 \
			CROSS_COMPILE=aarch64-linux-gnu- STATIC=1 all payloads
		ARMZ=out/arm64/armz
		if [ -z "${ARMZ_DYN:-}" ] && ! e2e_build_dyn; then
			if [ -n "${ARMZ_E2E_SANITIZE:-}" ]; then
				echo "e2e: the sanitized armz did not build" >&2
				return 1
			fi
			echo "e2e: no dynamic armz: user-mode network" \
				"cases will fail" >&2
			ARMZ_DYN=none
		fi
	fi
	if [ -n "${ARMZ_DYN:-}" ] && [ "$ARMZ_DYN" != none ]; then
		dyn=(--armz-dyn "$ARMZ_DYN" "${ARMZ_DYN_SYSROOT:?}")
	fi
	PAYLOADS=${PAYLOADS:-$(dirname "$ARMZ")/payloads}
	guests/mkkernel.sh "$E2E_DIR/kernel"
	if [ "${1:-}" != boot ]; then
		guests/mkkernel.sh "$E2E_DIR/kernel-generic" generic
		generic=(--generic "$E2E_DIR/kernel-generic")
	fi
	guests/mkinitrd.sh "$E2E_DIR/guest" "$E2E_DIR/kernel"
	tests/e2e/mkhost.sh "${generic[@]}" "${dyn[@]}" \
		"$E2E_DIR/host.cpio" "$ARMZ" "$E2E_DIR/kernel" \
		"$E2E_DIR/guest" "$PAYLOADS"
}

# e2e_qemu INITRD CMDLINE...: boot the emulated host, serial on stdout.
# virtualization=on starts the host kernel at EL2, where it sets up KVM
# (VHE; -cpu max has it). pauth and SVE only slow TCG down.
# -nodefaults: the host gets only the devices named here. Without it virt
# adds a virtio-net-pci NIC whose option ROM comes from ipxe-qemu, which a
# --no-install-recommends install lacks; a NIC the host needs goes here as
# -netdev/-device. The serial port, multiplexed with the monitor on stdio
# (Ctrl-A x, Ctrl-A c), is what -nographic gives by default.
e2e_qemu() {
	local initrd=$1
	shift
	timeout --foreground "$E2E_TIMEOUT" qemu-system-aarch64 \
		-M virt,virtualization=on,gic-version=3 \
		-cpu max,pauth=off,sve=off -smp 2 -m 2G \
		-accel tcg,thread=multi -nodefaults -nographic \
		-serial mon:stdio -no-reboot \
		-kernel "$E2E_DIR/kernel/Image" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 $*"
}
