/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_H
#define ARMZ_VMM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/kernel.h>
#include <armz/kvm-arm64-abi.h>

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

/* What the user asked for, filled by vmm/cli.c. */
struct vm_config {
	const char *kernel;
	enum kernel_format kernel_format;	/* --kernel-format; 0: auto */
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
	bool virtio_console;		/* --console virtio: hvc0 */
	bool rng;
	const char *disks[VM_MAX_DISKS];
	unsigned int ndisks;
	const char *nets[VM_MAX_NETS];
	unsigned int nnets;
	int tap_fds[VM_MAX_NETS];	/* taps made up front, or -1 */
	const char *shares[VM_MAX_SHARES];	/* --9p HOSTDIR,TAG[,ro] */
	unsigned int nshares;

	/* Run-a-command mode: armz run -k IMAGE [--rootfs DIR] -- CMD... */
	char **command;			/* NULL in normal mode */
	const char *rootfs;
	const char *modules_dir;	/* --modules DIR, or NULL */
	bool rw;
	bool verbose;
	const void *initrd_data;	/* the initramfs armz built */
	size_t initrd_size;
};

/* What the arm64 KVM in front of us can do, probed before building. */
struct kvm_caps {
	int api_version;
	unsigned int max_vcpus;
	unsigned int ipa_bits;		/* 0: fixed 40-bit IPA space */
	bool ioeventfd;
	bool irqfd;
	bool psci_0_2;
	bool immediate_exit;
	int gic_version;		/* 3, 2 or 0: none in the kernel */
	uint32_t preferred_target;
};

struct kvm {
	const char *path;
	int sys_fd;
	int vm_fd;
	int run_size;
	struct kvm_caps caps;
};

int kvm_open(struct kvm *kvm, const char *path);
/* vmm/caps.c: no ioctls, so unit-testable. */
int kvm_check_request(const struct kvm *kvm, const struct vm_config *cfg);
unsigned long kvm_vm_type(const struct kvm *kvm, uint64_t ipa_end);
int kvm_probe(struct kvm *kvm);
int kvm_create_vm(struct kvm *kvm, uint64_t ipa_end);
void kvm_destroy_vm(struct kvm *kvm);
void kvm_close(struct kvm *kvm);
int kvm_add_memory(struct kvm *kvm, unsigned int slot, uint64_t gpa,
		   uint64_t size, void *host);
int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, unsigned int len,
		  uint64_t datamatch, int fd);
int kvm_irqfd(struct kvm *kvm, unsigned int spi, int fd);
int kvm_irq_line(struct kvm *kvm, unsigned int spi, int level);
const char *kvm_default_device(void);

int gic_create(struct kvm *kvm, unsigned int ncpus, int *version);
int gic_finalize(int gic_fd);

#endif
