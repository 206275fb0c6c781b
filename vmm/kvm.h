/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_KVM_H
#define ARMZ_VMM_KVM_H

#include <stdbool.h>
#include <stddef.h>
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
	bool gicv2;			/* a GICv2 can be made (not on all v3) */
	bool its;			/* a GICv3 ITS can be made */
	bool pmu_v3;			/* KVM_CAP_ARM_PMU_V3 */
	bool mte;			/* KVM_CAP_ARM_MTE */
	uint32_t preferred_target;
	bool guest_debug;		/* KVM_SET_GUEST_DEBUG */
	unsigned int hw_bps, hw_wps;	/* debug register slots for it */
	bool sysregs;			/* ONE_REG reaches more than the core */
	/*
	 * The feature set armz was told to keep to (ARMZ_FEATURES, see
	 * kvm_caps_restrict()), or NULL: what the probe found.
	 */
	const char *restricted;
};

struct kvm {
	const char *path;
	int sys_fd;
	int vm_fd;
	int run_size;
	struct kvm_caps caps;
	/* Of the VM being built: vCPUs get a PMU (the machine's --pmu). */
	bool vm_pmu;
};

int kvm_open(struct kvm *kvm, const char *path);
/* vmm/caps.c: no ioctls, so unit-testable. */
int kvm_check_request(const struct kvm *kvm, const struct vm_config *cfg);
/*
 * Keep to named feature sets, comma-separated, for testing on a full
 * arm64 KVM what a weaker one gives: "s390" is the arm64 KVM on s390 as
 * posted (1 vCPU, no vGIC, no irqfd, no PSCI 0.2, no PMU, no MTE, core
 * registers only, no guest debug, no coalesced MMIO);
 * "no-coalesced-mmio" takes that one away alone (every UART write an
 * exit, as before armz used it). NULL or "" changes nothing; anything
 * else is -EINVAL. kvm_probe() applies ARMZ_FEATURES.
 */
int kvm_caps_restrict(struct kvm_caps *c, const char *features);
unsigned long kvm_vm_type(const struct kvm *kvm, uint64_t ipa_end);
/*
 * What --gdb cannot do on this KVM, in one line for the user (which
 * capability is missing, what still works); 0 when nothing is missing,
 * else the length, as snprintf. vmm/caps.c too.
 */
int kvm_gdb_limits(const struct kvm *kvm, char *buf, size_t len);
int kvm_probe(struct kvm *kvm);
int kvm_create_vm(struct kvm *kvm, uint64_t ipa_end);
void kvm_destroy_vm(struct kvm *kvm);
/* Memory tagging for the guest: before any vCPU exists. */
int kvm_enable_mte(struct kvm *kvm);
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

/*
 * The vGIC the config asks for (cfg->irqchip); *version says which the
 * guest got. Then the vCPUs, then gic_finalize(). An ITS, where asked
 * for, comes with the GIC and is closed with it (*its_fd).
 */
int gic_create(struct kvm *kvm, unsigned int ncpus, enum vm_irqchip want,
	       int *version, int *its_fd);
int gic_finalize(int gic_fd);

#endif
