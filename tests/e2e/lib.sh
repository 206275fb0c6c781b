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
# E2E_TIMEOUT   wall-clock seconds the emulated host may run (2400: the
#               whole suite takes about 20 minutes on 2 idle cores)
# E2E_GDB_HOSTPORT  give the host a NIC on qemu's user network, with this
#               port of 127.0.0.1 forwarded to the host's port 1234 (for
#               gdb outside and armz --gdb inside)
# E2E_GDB_FILEPORT  and this one to its port 1235 (files for gdb)

# guests/mkkernel.sh and copy-modules.sh run depmod, which Debian keeps in
# /usr/sbin: in root's PATH, not in a user's.
PATH=$PATH:/usr/sbin:/sbin

E2E_DIR=${E2E_DIR:-out/e2e}
E2E_TIMEOUT=${E2E_TIMEOUT:-2400}

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
	local dyn=() generic=() forms=()

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
		# Runs here, not in the emulated host: built for this machine.
		make -s O=out/host tools
		forms=(--mkzboot out/host/mkzboot)
	fi
	guests/mkinitrd.sh "$E2E_DIR/guest" "$E2E_DIR/kernel"
	tests/e2e/mkhost.sh "${generic[@]}" "${forms[@]}" "${dyn[@]}" \
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
#
# With E2E_GDB_HOSTPORT: a virtio-mmio NIC (virtio-net-device needs no
# option ROM) on a restricted user network, so the host reaches nothing
# outside; only the forward comes in.
e2e_qemu() {
	local initrd=$1 net=()
	shift
	if [ -n "${E2E_GDB_HOSTPORT:-}" ]; then
		net=(-netdev "user,id=n0,restrict=on,hostfwd=tcp:127.0.0.1:$E2E_GDB_HOSTPORT-:1234,hostfwd=tcp:127.0.0.1:${E2E_GDB_FILEPORT:?}-:1235")
		net+=(-device "virtio-net-device,netdev=n0")
	fi
	timeout --foreground "$E2E_TIMEOUT" qemu-system-aarch64 \
		-M virt,virtualization=on,gic-version=3 \
		-cpu max,pauth=off,sve=off -smp 2 -m 2G \
		-accel tcg,thread=multi -nodefaults -nographic \
		-serial mon:stdio -no-reboot "${net[@]}" \
		-kernel "$E2E_DIR/kernel/Image" -initrd "$initrd" \
		-append "console=ttyAMA0 panic=-1 $*"
}

# A port of 127.0.0.1 nobody listens on, for qemu's forward; not one of
# those given.
e2e_free_port() {
	local p
	for p in $(shuf -i 20000-59999 -n 50); do
		case " $* " in *" $p "*) continue ;; esac
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	return 1
}
