/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_H
#define ARMZ_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/kernel.h>
#include <armz/net-backend.h>
#include <armz/p9.h>
#include <armz/virtio-blk.h>
#include <armz/virtio-fs.h>

/*
 * Exit statuses, one table for --help, the README and scripts. A payload's
 * test-exit status and, later, a guest command's status pass through.
 */
enum armz_exit {
	ARMZ_EXIT_POWEROFF	= 0,	/* the guest powered off */
	ARMZ_EXIT_ERROR		= 1,	/* armz could not do what was asked */
	ARMZ_EXIT_USAGE		= 2,	/* the command line is wrong */
	ARMZ_EXIT_GDB_KILL	= 120,	/* gdb's kill ended the guest */
	ARMZ_EXIT_GUEST_FAULT	= 121,	/* access outside the memory map */
	ARMZ_EXIT_GUEST_PANIC	= 122,
	ARMZ_EXIT_GUEST_RESET	= 123,	/* reset under --no-reboot */
	ARMZ_EXIT_TIMEOUT	= 124,
	ARMZ_EXIT_SECCOMP	= 159,	/* 128 + SIGSYS: a forbidden call */
};

#define VM_MAX_DISKS	16
#define VM_MAX_NETS	4
#define VM_MAX_SHARES	8

/* --seccomp: how each thread is confined to its system calls. */
enum vm_seccomp {
	VM_SECCOMP_ON,			/* a forbidden call ends armz */
	VM_SECCOMP_LOG,			/* the kernel logs it and allows it */
	VM_SECCOMP_OFF,
};

/* How the guest's console is reached. */
enum vm_console {
	VM_CONSOLE_SERIAL,		/* the UART, ttyS0 */
	VM_CONSOLE_VIRTIO,		/* virtio-console, hvc0 */
};

/* Which interrupt controller (lkvm's --irqchip); AUTO: GICv3, else v2. */
enum vm_irqchip {
	VM_IRQCHIP_AUTO,
	VM_IRQCHIP_GICV2,
	VM_IRQCHIP_GICV3,
	VM_IRQCHIP_GICV3_ITS,		/* a GICv3 with an ITS */
};

/*
 * What the user asked for: filled by vmm/cli.c alone, every option parsed
 * into its typed form there, and read-only afterwards. Anything random
 * (a MAC) is drawn once, here, so a guest reset keeps it.
 */
struct vm_config {
	const char *kernel;
	enum kernel_format kernel_format;	/* --kernel-format; 0: auto */
	const char *initrd;
	const char *params;
	bool nodefaults;		/* bootargs are exactly params */
	const char *payload;
	bool has_load_addr;
	uint64_t load_addr;
	bool has_entry;
	uint64_t entry;
	unsigned int cpus;
	uint64_t mem_size;
	const char *name;
	const char *dtb_dump;
	const char *kvm_dev;
	bool no_reboot;
	uint64_t timeout_ms;		/* 0: none */
	const char *console_log;
	const char *report;
	enum vm_console console;
	enum vm_irqchip irqchip;
	bool pmu;			/* a PMUv3 for the guest, or fail */
	bool mte;			/* memory tagging, where offered */
	bool rng;
	struct blk_config disks[VM_MAX_DISKS];
	unsigned int ndisks;
	struct net_config nets[VM_MAX_NETS];
	unsigned int nnets;
	struct p9_share shares[VM_MAX_SHARES];
	unsigned int nshares;
	enum vm_seccomp seccomp;
	const char *user;		/* --user; NULL: sudo's caller */
	struct fs_share fs[VM_MAX_SHARES];	/* --fs: virtio-fs */
	unsigned int nfs;

	/* Run-a-command mode: armz run -k IMAGE [--rootfs DIR] -- CMD... */
	char **command;			/* NULL in normal mode */
	const char *rootfs;
	const char *modules_dir;	/* --modules DIR, or NULL */
	bool rw;
	bool verbose;

	/* --gdb ENDPOINT (armz/gdb-listen.h), --gdb-wait */
	const char *gdb;
	bool gdb_wait;
};

#endif
