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

int kvm_check_request(const struct kvm *kvm, const struct vm_config *cfg)
{
	const struct kvm_caps *c = &kvm->caps;
	unsigned int cpus = cfg->payload ? 1 : cfg->cpus;
	unsigned int ipa_max = c->ipa_bits ? c->ipa_bits : 40;
	uint64_t end = MEMMAP_RAM_BASE + cfg->mem_size;

	if (cpus > c->max_vcpus)
		return err_set(ENOTSUP, "this arm64 KVM offers %u vCPU%s; use --cpus %u",
			       c->max_vcpus, c->max_vcpus == 1 ? "" : "s",
			       c->max_vcpus);
	if (!cfg->payload && !c->gic_version)
		return err_set(ENOTSUP, "no in-kernel interrupt controller on %s: a Linux guest cannot run here yet; use --payload",
			       kvm->path);
	if (!cfg->payload && c->gic_version == 2 && cpus > GICV2_MAX_CPUS)
		return err_set(ENOTSUP, "this host has a GICv2 only, which serves at most %d vCPUs; use --cpus %d",
			       GICV2_MAX_CPUS, GICV2_MAX_CPUS);
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
