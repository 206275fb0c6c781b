/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_H
#define ARMZ_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

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
	ARMZ_EXIT_GUEST_FAULT	= 121,	/* access outside the memory map */
	ARMZ_EXIT_GUEST_PANIC	= 122,
	ARMZ_EXIT_GUEST_RESET	= 123,	/* reset under --no-reboot */
	ARMZ_EXIT_TIMEOUT	= 124,
};

#define VM_MAX_DISKS	16
#define VM_MAX_NETS	4
#define VM_MAX_SHARES	8

/* How the guest's console is reached. */
enum vm_console {
	VM_CONSOLE_SERIAL,		/* the UART, ttyS0 */
	VM_CONSOLE_VIRTIO,		/* virtio-console, hvc0 */
};

/*
 * What the user asked for: filled by vmm/cli.c alone, every option parsed
 * into its typed form there, and read-only afterwards. Anything random
 * (a MAC) is drawn once, here, so a guest reset keeps it.
 */
struct vm_config {
	const char *kernel;
	const char *initrd;
	const char *params;
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
	bool rng;
	struct blk_config disks[VM_MAX_DISKS];
	unsigned int ndisks;
	struct net_config nets[VM_MAX_NETS];
	unsigned int nnets;
	struct p9_share shares[VM_MAX_SHARES];
	unsigned int nshares;
	struct fs_share fs[VM_MAX_SHARES];	/* --fs: virtio-fs */
	unsigned int nfs;

	/* Run-a-command mode: armz run -k IMAGE [--rootfs DIR] -- CMD... */
	char **command;			/* NULL in normal mode */
	const char *rootfs;
	bool rw;
	bool verbose;
};

#endif
