/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_KVM_H
#define ARMZ_VMM_KVM_H

#include <stdbool.h>
#include <stdint.h>

#include <armz/kvm-arm64-abi.h>
#include <armz/vmm.h>

/*
 * The arm64 KVM device (/dev/kvm, or /dev/kvm-arm64 on s390x): what it
 * offers, the VM and its VM-wide ioctls, and the in-kernel GIC.
 */

/* What the arm64 KVM in front of us can do, probed before building. */
struct kvm_caps {
	int api_version;
	unsigned int max_vcpus;
	unsigned int ipa_bits;		/* 0: fixed 40-bit IPA space */
	bool ioeventfd;
	bool irqfd;
	bool psci_0_2;
	bool immediate_exit;
	/* KVM_CAP_COALESCED_MMIO: the ring's page in the vCPU mapping, 0: none */
	unsigned int coalesced_mmio_page;
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
/* Writes to [addr, addr + size) queue in the coalesced MMIO ring. */
int kvm_coalesced_mmio_zone(struct kvm *kvm, uint64_t addr, uint32_t size);
const char *kvm_default_device(void);

int gic_create(struct kvm *kvm, unsigned int ncpus, int *version);
int gic_finalize(int gic_fd);

#endif
