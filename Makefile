# armz: a small VMM for AArch64 guests.
#
#   make                          ./armz for this host
#   make O=out/arm64 CROSS_COMPILE=aarch64-linux-gnu- STATIC=1
#                                 static out/arm64/armz; the target's -dev
#                                 packages are unpacked into out/arm64/sysroot
#   make check                    every test: unit tests native, sanitized,
#                                 s390x and aarch64; then real guests
#   make unit                     unit tests only (under qemu-user when cross)
#   make check-asan               the device cases with real guests, on an
#                                 armz built with ASan and UBSan
#   make boot                     boot a guest in the emulated arm64 KVM host
#   make bench                    benchmarks in the emulated arm64 KVM host
#   make fuzz                     libFuzzer on what guests, host files and gdb reach
#   make fresh-check              as root, with mmdebstrap: the README's two
#                                 commands in a fresh Debian 12 root, as root
#                                 and as a user with sudo (about an hour)
#   make install PREFIX=/usr/local DESTDIR=

VERSION		:= 0.1.0
O		?= .
PREFIX		?= /usr/local
CROSS_COMPILE	?=
CC		:= $(CROSS_COMPILE)gcc
PKG_CONFIG	?= pkg-config

MACHINE		:= $(shell $(CC) -dumpmachine)
HOST_ARCH	:= $(firstword $(subst -, ,$(MACHINE)))

CFLAGS		?= -O2 -g
CFLAGS		+= -std=gnu11 -Wall -Wextra -Wno-unused-parameter \
		   -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
		   -D_GNU_SOURCE -DARMZ_VERSION='"$(VERSION)"' -Iinclude \
		   -pthread -MMD -MP
LDFLAGS		+= -pthread

ifneq ($(CROSS_COMPILE),)
DEB_ARCH_aarch64 := arm64
DEB_ARCH_s390x	 := s390x
DEB_ARCH	:= $(DEB_ARCH_$(HOST_ARCH))
SYSROOT		:= $(O)/sysroot
SYSROOT_STAMP	:= $(SYSROOT)/.stamp
PKG_ENV		:= PKG_CONFIG_SYSROOT_DIR=$(abspath $(SYSROOT)) \
		   PKG_CONFIG_LIBDIR=$(abspath $(SYSROOT))/usr/lib/$(MACHINE)/pkgconfig
CFLAGS		+= -isystem $(SYSROOT)/usr/include
LDFLAGS		+= -L$(SYSROOT)/usr/lib/$(MACHINE)
QEMU_USER	:= qemu-$(HOST_ARCH)-static
endif

ifneq ($(STATIC),)
LDFLAGS		+= -static
PKG_STATIC	:= --static
endif

ifneq ($(SANITIZE),)
CFLAGS		+= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=all
LDFLAGS		+= -fsanitize=address,undefined
endif

pkg_libs = $(shell $(PKG_ENV) $(PKG_CONFIG) $(PKG_STATIC) --libs $(1) 2>/dev/null || echo $(2))

LIBFDT		= $(call pkg_libs,libfdt,-lfdt)
LIBCAPNG	= $(call pkg_libs,libcap-ng,-lcap-ng)
LIBCUNIT	= $(call pkg_libs,cunit,-lcunit)
# Compressed kernels and modules: gzip, zstd, xz and lzma.
LIBCOMP		= $(call pkg_libs,zlib libzstd liblzma,-lz -lzstd -llzma)
LIBSECCOMP	= $(call pkg_libs,libseccomp,-lseccomp)

# --net user needs libslirp, which ships no static library: on when it is
# installed and the build is dynamic. Its .pc requires glib-2.0's .pc,
# which may be missing, so the header alone also counts.
SLIRP		?= auto
ifeq ($(SLIRP),auto)
ifneq ($(STATIC),)
SLIRP		:= no
else ifneq ($(CROSS_COMPILE),)
SLIRP		:= yes
else
SLIRP		:= $(shell { $(PKG_ENV) $(PKG_CONFIG) --exists slirp || \
		     printf '\043include <slirp/libslirp.h>\n' | \
		     $(CC) -E -x c -o /dev/null - ; } >/dev/null 2>&1 && \
		     echo yes || echo no)
endif
endif
ifeq ($(SLIRP),yes)
CFLAGS		+= -DARMZ_HAVE_SLIRP
LIBSLIRP	= $(call pkg_libs,slirp,-lslirp)
endif

# loader/ and devices/ know nothing of KVM: they build into the unit tests.
CORE_SRCS	:= $(wildcard loader/*.c devices/*.c)
VMM_SRCS	:= $(wildcard vmm/*.c)
UNIT_SRCS	:= $(wildcard tests/unit/*.c)

CORE_OBJS	:= $(CORE_SRCS:%.c=$(O)/obj/%.o)
VMM_OBJS	:= $(VMM_SRCS:%.c=$(O)/obj/%.o)
# The KVM-free parts of vmm/ are unit-tested too.
VMM_UNIT_SRCS	:= vmm/caps.c vmm/cli.c vmm/coalesced-mmio.c vmm/lkvm.c vmm/gdb-hwdebug.c \
		   vmm/gdb-listen.c vmm/gdb-packet.c vmm/gdb-regs.c vmm/gdb-server.c \
		   vmm/mmu-walk.c vmm/sandbox.c
# The command line armz gives Linux, and the console read for the user.
VMM_UNIT_SRCS	+= vmm/bootargs.c vmm/guest-log.c
UNIT_OBJS	:= $(UNIT_SRCS:%.c=$(O)/obj/%.o) $(VMM_UNIT_SRCS:%.c=$(O)/obj/%.o)

ARMZ		:= $(O)/armz
UNIT		:= $(O)/armz-unit
# The gdb stub on a socket in front of a fake machine, for a real gdb.
GDB_FAKE	:= $(O)/gdb-fake-server
GDB_FAKE_OBJS	:= $(O)/obj/tests/gdb/fake-server.o \
		   $(O)/obj/tests/unit/fake-target.o $(O)/obj/devices/err.o \
		   $(filter $(O)/obj/vmm/gdb-% $(O)/obj/vmm/mmu-%,$(UNIT_OBJS))
# PID 1 of run-a-command guests: static, libc only, for the host's arch
# (the guest's, since armz runs guests of its own architecture).
INIT		:= $(O)/armz-init

all: $(ARMZ) $(INIT)

$(INIT): vmm/guest/armz-init.c include/armz/memmap.h include/armz/test-exit.h \
	 include/armz/command.h
	@mkdir -p $(dir $@)
	$(CC) -O2 -std=gnu11 -Wall -Wextra -D_GNU_SOURCE -DARMZ_INIT -Iinclude -static \
		-o $@ $<

$(ARMZ): $(CORE_OBJS) $(VMM_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBFDT) $(LIBCAPNG) $(LIBSECCOMP) \
		$(LIBSLIRP) $(LIBCOMP)

$(UNIT): $(CORE_OBJS) $(UNIT_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBFDT) $(LIBCUNIT) $(LIBSECCOMP) \
		$(LIBSLIRP) $(LIBCOMP)

$(GDB_FAKE): $(GDB_FAKE_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^

# The unit tests read the docs they hold to the option table.
$(O)/obj/tests/unit/%.o: CFLAGS += -DARMZ_SRCDIR='"$(CURDIR)"'

$(O)/obj/%.o: %.c $(SYSROOT_STAMP)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

ifneq ($(SYSROOT_STAMP),)
SYSROOT_PKGS	:= libfdt-dev libcap-ng-dev libcunit1-dev libvirt-dev \
		   zlib1g-dev libzstd-dev liblzma-dev libseccomp-dev
# A dynamic cross build links against the shared libraries themselves
# (and libslirp's own dependencies); the same files run it on the target.
ifeq ($(STATIC),)
SYSROOT_PKGS	+= libfdt1 libcap-ng0 libcunit1 zlib1g libzstd1 liblzma5 \
		   libseccomp2
ifeq ($(SLIRP),yes)
SYSROOT_PKGS	+= libslirp-dev libslirp0 libglib2.0-0 libpcre2-8-0
endif
LDFLAGS		+= -Wl,-rpath-link=$(SYSROOT)/usr/lib/$(MACHINE) \
		   -Wl,-rpath-link=$(SYSROOT)/lib/$(MACHINE)
endif

$(SYSROOT_STAMP): guests/debian-fetch.sh Makefile
	guests/debian-fetch.sh $(DEB_ARCH) $(SYSROOT) $(SYSROOT_PKGS)
	@touch $@
endif

# Bare-metal AArch64 test payloads for --payload, whatever the host.
PAYLOAD_CC	?= aarch64-linux-gnu-gcc
PAYLOAD_OBJCOPY	?= aarch64-linux-gnu-objcopy
PAYLOAD_ADDR	:= 0x40080000
PAYLOADS	:= $(patsubst tests/payloads/%.S,$(O)/payloads/%,\
		   $(wildcard tests/payloads/*.S)) $(O)/payloads/bare

payloads: $(PAYLOADS:=.elf) $(PAYLOADS:=.bin)

$(O)/payloads/%.elf: tests/payloads/%.S tests/payloads/payload.h include/armz/memmap.h
	@mkdir -p $(dir $@)
	$(PAYLOAD_CC) -nostdlib -static -Iinclude -Wl,-Ttext=$(PAYLOAD_ADDR) \
		-Wl,--build-id=none -o $@ $<

$(O)/payloads/%.bin: $(O)/payloads/%.elf
	$(PAYLOAD_OBJCOPY) -O binary $< $@

# The bare test binary: position-independent C in the shape of a
# kvm-unit-tests test built for kvmtool, run as lkvm run --kernel bare.bin.
# It must hold no absolute address, so no dynamic relocation may be left.
BARE_SRCS	:= $(wildcard tests/payloads/bare/*.c tests/payloads/bare/*.S)
BARE_CFLAGS	:= -Os -std=gnu11 -Wall -Wextra -ffreestanding -fpie -fno-plt \
		   -fno-stack-protector -fno-asynchronous-unwind-tables \
		   -mgeneral-regs-only -mstrict-align -nostdlib

$(O)/payloads/bare.elf: $(BARE_SRCS) tests/payloads/bare/bare.lds
	@mkdir -p $(dir $@)
	$(PAYLOAD_CC) $(BARE_CFLAGS) -static-pie -Wl,--no-dynamic-linker \
		-Wl,-T,tests/payloads/bare/bare.lds -Wl,--build-id=none \
		-Wl,--no-warn-rwx-segments \
		-o $@ $(BARE_SRCS)
	@if $(PAYLOAD_CC:gcc=readelf) -r $@ | grep -q R_AARCH64; then \
		echo "$@: has relocations, so it is not position-independent" >&2; \
		rm -f $@; exit 1; \
	fi

unit: $(UNIT)
	$(QEMU_USER) $(UNIT)

# Tools the e2e build runs on this machine: an EFI zboot image made from
# the test kernel (tests/tools/mkzboot.c).
MKZBOOT		:= $(O)/mkzboot

$(MKZBOOT): $(O)/obj/tests/tools/mkzboot.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LIBCOMP)

tools: $(MKZBOOT)

# gdb-multiarch against the stub: registers, memory, breakpoints, steps.
gdb-check: $(GDB_FAKE)
	tests/gdb/run.sh $(GDB_FAKE)

# Everything CI runs: unit tests natively, under ASan/UBSan, big-endian
# (s390x) and on aarch64 under qemu-user; the s390x binary on a host
# without arm64 KVM; then real guests in the emulated arm64 KVM host.
check: unit gdb-check
	tests/install-check.sh
	$(MAKE) O=out/asan SANITIZE=1 unit
	FUZZ_SECONDS=8 tests/fuzz/run.sh
	$(MAKE) O=out/s390x CROSS_COMPILE=s390x-linux-gnu- STATIC=1 all unit
	tests/s390x-host.sh out/s390x/armz
	$(MAKE) O=out/arm64 CROSS_COMPILE=aarch64-linux-gnu- STATIC=1 all unit payloads
	tests/e2e/run.sh

check-all: check check-asan

# The device models under ASan and UBSan with real guests: a dynamic
# aarch64 armz built with both runs the device cases in the emulated host
# (tests/e2e/host-init.sh: seccomp off, reports to files the last case
# reads). Not in check: it would double the time real guests take.
ASAN_E2E	:= boot_1cpu,reset_reboots,blk_*,rng,console_*,net_*,fs_*,all_devices,control_socket,sigterm_report,cmd_*,stop_bounded,gdb_payload,sanitizer_reports

check-asan:
	ARMZ_E2E_SANITIZE=1 ARMZ_E2E='$(ASAN_E2E)' E2E_DIR=out/e2e-asan \
		tests/e2e/run.sh

# Boot one guest and show its console: in the emulated arm64 KVM host,
# which works on any machine.
boot:
	tests/e2e/boot.sh

bench:
	tests/e2e/bench.sh

# The fuzz targets (tests/fuzz/run.sh lists them), FUZZ_SECONDS each, or
# FUZZ_RUNS inputs when that comes first.
fuzz:
	tests/fuzz/run.sh

# Not part of check: it needs root and takes about an hour.
fresh-check:
	tests/fresh-check.sh
.PHONY: fresh-check

install: $(ARMZ) $(INIT)
	install -D -m 0755 $(ARMZ) $(DESTDIR)$(PREFIX)/bin/armz
	# Started by these names, armz speaks kvmtool's command line.
	for n in lkvm lkvm-static vm; do \
		ln -sf armz $(DESTDIR)$(PREFIX)/bin/$$n; \
	done
	install -D -m 0755 $(INIT) $(DESTDIR)$(PREFIX)/libexec/armz/armz-init
	install -D -m 0644 vmm/doc/armz.1 $(DESTDIR)$(PREFIX)/share/man/man1/armz.1
	install -D -m 0644 vmm/doc/armz.bash-completion \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/armz

clean:
	rm -rf $(O)/obj $(ARMZ) $(UNIT) $(INIT) $(GDB_FAKE) $(MKZBOOT)

.PHONY: all unit tools gdb-check payloads check check-all check-asan boot \
	bench fuzz install clean
-include $(CORE_OBJS:.o=.d) $(VMM_OBJS:.o=.d) $(UNIT_OBJS:.o=.d) \
	 $(GDB_FAKE_OBJS:.o=.d)
