// SPDX-License-Identifier: GPL-2.0
/*
 * Is the machine the user asked for one this arm64 KVM can run? Decided
 * from the probed capabilities alone, before anything is built, and said
 * in the user's terms: what is missing and what to do instead. No ioctl
 * here, so the unit tests can play a host that offers little, such as
 * the arm64 KVM on s390 as first posted.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include "kvm.h"

#define GICV2_MAX_CPUS	8

static unsigned int ipa_bits_needed(uint64_t end)
{
	unsigned int bits = 32;

	while (bits < 64 && (1ULL << bits) < end)
		bits++;
	return bits;
}

/* The s390 device as posted (kvm.h). */
static void kvm_caps_s390(struct kvm_caps *c)
{
	c->max_vcpus = 1;
	c->gic_version = 0;
	c->gicv2 = false;
	c->its = false;
	c->irqfd = false;
	c->psci_0_2 = false;
	c->pmu_v3 = false;
	c->mte = false;
	/* Core registers only, and no guest debugging, as posted. */
	c->sysregs = false;
	c->guest_debug = false;
	c->hw_bps = c->hw_wps = 0;
	/* Not listed as posted: armz must not count on it. */
	c->coalesced_mmio_page = 0;
	c->restricted = "s390";
}

int kvm_caps_restrict(struct kvm_caps *c, const char *features)
{
	char buf[128], *tok, *save = NULL;

	if (!features || !*features)
		return 0;
	snprintf(buf, sizeof(buf), "%s", features);
	for (tok = strtok_r(buf, ",", &save); tok;
	     tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "s390"))
			kvm_caps_s390(c);
		else if (!strcmp(tok, "no-coalesced-mmio"))
			c->coalesced_mmio_page = 0;
		else
			return err_set(EINVAL, "ARMZ_FEATURES='%s': armz knows 's390' (the s390 device's feature set) and 'no-coalesced-mmio', separated by commas",
				       features);
	}
	return 0;
}

/* " (ARMZ_FEATURES=s390)" when the caps were restricted, else "". */
static const char *caps_why(const struct kvm_caps *c, char *buf, size_t n)
{
	if (!c->restricted)
		return "";
	snprintf(buf, n, " (ARMZ_FEATURES=%s)", c->restricted);
	return buf;
}

/* What the interrupt controller options need of the host. */
static int caps_check_irqchip(const struct kvm *kvm,
			      const struct vm_config *cfg, const char *why)
{
	const struct kvm_caps *c = &kvm->caps;

	if (cfg->irqchip != VM_IRQCHIP_AUTO && !c->gic_version)
		return err_set(ENOTSUP, "--irqchip: no in-kernel interrupt controller on %s%s",
			       kvm->path, why);
	if (cfg->irqchip == VM_IRQCHIP_GICV2 && !c->gicv2)
		return err_set(ENOTSUP, "--irqchip=gicv2: this arm64 KVM cannot make a GICv2 (a GICv3 host needs the GICv2 compatibility of its CPU interface); use --irqchip=gicv3");
	if ((cfg->irqchip == VM_IRQCHIP_GICV3 ||
	     cfg->irqchip == VM_IRQCHIP_GICV3_ITS) && c->gic_version != 3)
		return err_set(ENOTSUP, "--irqchip=gicv3: this arm64 KVM has a GICv2 only; use --irqchip=gicv2");
	if (cfg->irqchip == VM_IRQCHIP_GICV3_ITS && !c->its)
		return err_set(ENOTSUP, "--irqchip=gicv3-its: this arm64 KVM has no ITS; use --irqchip=gicv3");
	if (cfg->pmu && !c->pmu_v3)
		return err_set(ENOTSUP, "--pmu: this arm64 KVM offers no PMU to guests (KVM_CAP_ARM_PMU_V3)%s",
			       why);
	if (cfg->pmu && !c->gic_version)
		return err_set(ENOTSUP, "--pmu: the PMU's interrupt needs an in-kernel interrupt controller, and %s has none%s",
			       kvm->path, why);
	return 0;
}

int kvm_check_request(const struct kvm *kvm, const struct vm_config *cfg)
{
	const struct kvm_caps *c = &kvm->caps;
	unsigned int cpus = cfg->payload ? 1 : cfg->cpus;
	unsigned int ipa_max = c->ipa_bits ? c->ipa_bits : 40;
	uint64_t end = MEMMAP_RAM_BASE + cfg->mem_size;
	bool linux_guest = !cfg->payload &&
			   cfg->kernel_format != KERNEL_FORMAT_RAW;
	char why[64];

	caps_why(c, why, sizeof(why));
	if (cpus > c->max_vcpus)
		return err_set(ENOTSUP, "this arm64 KVM%s offers %u vCPU%s; use --cpus %u",
			       why, c->max_vcpus,
			       c->max_vcpus == 1 ? "" : "s", c->max_vcpus);
	/*
	 * What runs without a vGIC, as on s390 today: payloads, and bare
	 * test binaries that need no interrupts and no timer node.
	 */
	if (linux_guest && !c->gic_version)
		return err_set(ENOTSUP, "no in-kernel interrupt controller on %s%s: a Linux guest cannot run here yet. What runs today, on 1 vCPU without interrupts: payloads (use --payload FILE) and bare test binaries (--kernel FILE --kernel-format raw, or lkvm run --kernel FILE)",
			       kvm->path, why);
	if (!cfg->payload && c->gic_version == 2 && cpus > GICV2_MAX_CPUS)
		return err_set(ENOTSUP, "this host has a GICv2 only, which serves at most %d vCPUs; use --cpus %d",
			       GICV2_MAX_CPUS, GICV2_MAX_CPUS);
	if (cfg->irqchip == VM_IRQCHIP_GICV2 && cpus > GICV2_MAX_CPUS)
		return err_set(ENOTSUP, "--irqchip=gicv2 serves at most %d vCPUs; use --cpus %d",
			       GICV2_MAX_CPUS, GICV2_MAX_CPUS);
	if (!c->gic_version && (cfg->ndisks || cfg->nnets || cfg->nshares ||
				cfg->rng || cfg->console == VM_CONSOLE_VIRTIO))
		return err_set(ENOTSUP, "no in-kernel interrupt controller on %s%s: no virtio devices (--disk, --net, --9p, --rng, --console virtio)",
			       kvm->path, why);
	if (!cfg->payload && caps_check_irqchip(kvm, cfg, why))
		return -ENOTSUP;
	if (ipa_bits_needed(end) > ipa_max)
		return err_set(ENOTSUP, "guest RAM would end at 0x%llx, beyond the %u-bit physical address space this arm64 KVM offers; use less --mem",
			       (unsigned long long)end, ipa_max);
	return 0;
}

/* The smallest IPA size that covers the memory map, where KVM lets us pick. */
unsigned long kvm_vm_type(const struct kvm *kvm, uint64_t ipa_end)
{
	if (!kvm->caps.ipa_bits)
		return 0;
	return AZ_KVM_VM_TYPE_ARM_IPA_SIZE(ipa_bits_needed(ipa_end));
}

int kvm_gdb_limits(const struct kvm *kvm, char *buf, size_t len)
{
	const struct kvm_caps *c = &kvm->caps;

	if (!c->guest_debug && !c->sysregs)
		return snprintf(buf, len, "%s has no guest debugging (KVM_CAP_SET_GUEST_DEBUG) and core registers only: gdb gets no breakpoints, watchpoints, single steps or system registers, and memory by physical address; core registers, memory, continue and Ctrl-C work",
				kvm->path);
	if (!c->guest_debug)
		return snprintf(buf, len, "%s has no guest debugging (KVM_CAP_SET_GUEST_DEBUG): gdb gets no breakpoints, watchpoints or single steps; registers, memory, continue and Ctrl-C work",
				kvm->path);
	if (!c->hw_bps && !c->hw_wps)
		return snprintf(buf, len, "%s offers no hardware breakpoints or watchpoints (KVM_CAP_GUEST_DEBUG_HW_BPS and _HW_WPS are 0): hbreak is refused and gdb's watch single-steps the guest (slow); break and stepi work",
				kvm->path);
	if (!c->hw_bps)
		return snprintf(buf, len, "%s offers no hardware breakpoints (KVM_CAP_GUEST_DEBUG_HW_BPS is 0): hbreak is refused; break, watch and stepi work",
				kvm->path);
	if (!c->hw_wps)
		return snprintf(buf, len, "%s offers no hardware watchpoints (KVM_CAP_GUEST_DEBUG_HW_WPS is 0): gdb's watch single-steps the guest (slow); break, hbreak and stepi work",
				kvm->path);
	return 0;
}
