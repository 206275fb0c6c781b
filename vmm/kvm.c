// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 KVM device: which node, what it offers, and the VM-wide ioctls.
 * Everything here goes through armz's own ABI definitions so that the same
 * code speaks to /dev/kvm on arm64 and /dev/kvm-arm64 on s390x.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <armz/err.h>
#include "kvm.h"

const char *kvm_default_device(void)
{
#if defined(__s390x__)
	return "/dev/kvm-arm64";
#else
	return "/dev/kvm";
#endif
}

/* Whether the s390 machine has the facility the arm64 KVM module needs. */
static const char *kvm_missing_hint(void)
{
#if defined(__s390x__)
	char line[4096];
	FILE *f = fopen("/proc/cpuinfo", "r");
	bool sae = false;

	while (f && fgets(line, sizeof(line), f))
		if (!strncmp(line, "features", 8) && strstr(line, " sae"))
			sae = true;
	if (f)
		fclose(f);
	return sae ? "; this machine has the SAE facility: load the arm64 KVM module (kvm-arm64)"
		   : "; this machine lacks the SAE facility (no \"sae\" in /proc/cpuinfo features), so arm64 KVM cannot run here";
#else
	return "; is KVM enabled in the kernel (and virtualization in firmware)?";
#endif
}

int kvm_open(struct kvm *kvm, const char *path)
{
	memset(kvm, 0, sizeof(*kvm));
	kvm->vm_fd = -1;
	kvm->path = path;
	kvm->sys_fd = open(path, O_RDWR | O_CLOEXEC);
	if (kvm->sys_fd < 0) {
		int e = errno;

		if (e == ENOENT)
			return err_set(e, "no arm64 KVM device at %s%s", path,
				       kvm_missing_hint());
		if (e == EACCES || e == EPERM)
			return err_set(e, "cannot open %s: %s; add yourself to its group (usually 'kvm') or ask an administrator",
				       path, strerror(e));
		return err_set(e, "cannot open %s: %s", path, strerror(e));
	}
	return 0;
}

static int kvm_check(struct kvm *kvm, int fd, unsigned long cap)
{
	int r = ioctl(fd, AZ_KVM_CHECK_EXTENSION, cap);

	return r < 0 ? 0 : r;
}

/* Can a vGIC of this type be created? KVM_CREATE_DEVICE_TEST creates none. */
static bool kvm_has_gic(struct kvm *kvm, uint32_t type)
{
	struct az_kvm_create_device dev = {
		.type = type, .flags = AZ_KVM_CREATE_DEVICE_TEST,
	};

	return ioctl(kvm->vm_fd, AZ_KVM_CREATE_DEVICE, &dev) == 0;
}

/*
 * Probing needs a VM for the VM-scoped questions, so it makes a throwaway
 * one with the default IPA size and closes it again. ARMZ_FEATURES, read
 * here once, then takes away what the named feature set lacks.
 */
int kvm_probe(struct kvm *kvm)
{
	struct kvm_caps *c = &kvm->caps;
	struct az_kvm_vcpu_init init;
	int fd = kvm->sys_fd;

	c->api_version = ioctl(fd, AZ_KVM_GET_API_VERSION, 0);
	if (c->api_version < 0)
		return err_set(ENOTTY, "%s is not a KVM device: %s", kvm->path,
			       strerror(errno));
	if (c->api_version != AZ_KVM_API_VERSION)
		return err_set(ENOTSUP, "%s speaks KVM API %d, armz needs %d",
			       kvm->path, c->api_version, AZ_KVM_API_VERSION);
	kvm->run_size = ioctl(fd, AZ_KVM_GET_VCPU_MMAP_SIZE, 0);
	if (kvm->run_size < (int)sizeof(struct az_kvm_run))
		return err_set(ENOTSUP, "%s: bad vCPU mmap size %d",
			       kvm->path, kvm->run_size);
	c->max_vcpus = kvm_check(kvm, fd, AZ_KVM_CAP_MAX_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = kvm_check(kvm, fd, AZ_KVM_CAP_NR_VCPUS);
	if (!c->max_vcpus)
		c->max_vcpus = 1;
	c->ipa_bits = kvm_check(kvm, fd, AZ_KVM_CAP_ARM_VM_IPA_SIZE);
	c->ioeventfd = kvm_check(kvm, fd, AZ_KVM_CAP_IOEVENTFD);
	c->irqfd = kvm_check(kvm, fd, AZ_KVM_CAP_IRQFD);
	c->psci_0_2 = kvm_check(kvm, fd, AZ_KVM_CAP_ARM_PSCI_0_2);
	c->immediate_exit = kvm_check(kvm, fd, AZ_KVM_CAP_IMMEDIATE_EXIT);
	c->guest_debug = kvm_check(kvm, fd, AZ_KVM_CAP_SET_GUEST_DEBUG);
	/* arm64 KVM has always had them; the s390 device as posted not. */
	c->sysregs = true;
	c->hw_bps = kvm_check(kvm, fd, AZ_KVM_CAP_GUEST_DEBUG_HW_BPS);
	c->hw_wps = kvm_check(kvm, fd, AZ_KVM_CAP_GUEST_DEBUG_HW_WPS);
	c->coalesced_mmio_page = kvm_check(kvm, fd, AZ_KVM_CAP_COALESCED_MMIO);

	kvm->vm_fd = ioctl(fd, AZ_KVM_CREATE_VM, 0UL);
	if (kvm->vm_fd < 0)
		return err_set(errno, "%s: cannot create a VM: %s", kvm->path,
			       strerror(errno));
	c->gicv2 = kvm_has_gic(kvm, AZ_KVM_DEV_TYPE_ARM_VGIC_V2);
	if (kvm_has_gic(kvm, AZ_KVM_DEV_TYPE_ARM_VGIC_V3))
		c->gic_version = 3;
	else if (c->gicv2)
		c->gic_version = 2;
	c->its = c->gic_version == 3 &&
		 kvm_has_gic(kvm, AZ_KVM_DEV_TYPE_ARM_VGIC_ITS);
	c->pmu_v3 = kvm_check(kvm, kvm->vm_fd, AZ_KVM_CAP_ARM_PMU_V3);
	c->mte = kvm_check(kvm, kvm->vm_fd, AZ_KVM_CAP_ARM_MTE);
	memset(&init, 0, sizeof(init));
	if (ioctl(kvm->vm_fd, AZ_KVM_ARM_PREFERRED_TARGET, &init) == 0)
		c->preferred_target = init.target;
	else
		c->preferred_target = AZ_KVM_ARM_TARGET_GENERIC_V8;
	close(kvm->vm_fd);
	kvm->vm_fd = -1;
	return kvm_caps_restrict(c, getenv("ARMZ_FEATURES"));
}

int kvm_enable_mte(struct kvm *kvm)
{
	struct az_kvm_enable_cap cap = { .cap = AZ_KVM_CAP_ARM_MTE };

	if (ioctl(kvm->vm_fd, AZ_KVM_ENABLE_CAP, &cap) < 0)
		return err_set(errno, "cannot enable memory tagging (KVM_CAP_ARM_MTE): %s",
			       strerror(errno));
	return 0;
}

int kvm_create_vm(struct kvm *kvm, uint64_t ipa_end)
{
	unsigned long type = kvm_vm_type(kvm, ipa_end);

	kvm->vm_fd = ioctl(kvm->sys_fd, AZ_KVM_CREATE_VM, type);
	if (kvm->vm_fd < 0)
		return err_set(errno, "%s: cannot create a VM: %s", kvm->path,
			       strerror(errno));
	return 0;
}

void kvm_destroy_vm(struct kvm *kvm)
{
	if (kvm->vm_fd >= 0)
		close(kvm->vm_fd);
	kvm->vm_fd = -1;
}

void kvm_close(struct kvm *kvm)
{
	kvm_destroy_vm(kvm);
	if (kvm->sys_fd >= 0)
		close(kvm->sys_fd);
	kvm->sys_fd = -1;
}

int kvm_add_memory(struct kvm *kvm, unsigned int slot, uint64_t gpa,
		   uint64_t size, void *host)
{
	struct az_kvm_userspace_memory_region r = {
		.slot = slot,
		.guest_phys_addr = gpa,
		.memory_size = size,
		.userspace_addr = (uint64_t)(uintptr_t)host,
	};

	if (ioctl(kvm->vm_fd, AZ_KVM_SET_USER_MEMORY_REGION, &r) < 0)
		return err_set(errno, "cannot give the guest %llu MiB of RAM: %s",
			       (unsigned long long)(size >> 20),
			       strerror(errno));
	return 0;
}

int kvm_ioeventfd(struct kvm *kvm, uint64_t addr, unsigned int len,
		  uint64_t datamatch, int fd)
{
	struct az_kvm_ioeventfd io = {
		.datamatch = datamatch,
		.addr = addr,
		.len = len,
		.fd = fd,
		.flags = AZ_KVM_IOEVENTFD_FLAG_DATAMATCH,
	};

	if (ioctl(kvm->vm_fd, AZ_KVM_IOEVENTFD, &io) < 0)
		return err_set(errno, "KVM_IOEVENTFD at 0x%llx: %s",
			       (unsigned long long)addr, strerror(errno));
	return 0;
}

/* Without interrupt routing, GSI n is SPI n on arm64. */
int kvm_irqfd(struct kvm *kvm, unsigned int spi, int fd)
{
	struct az_kvm_irqfd irqfd = { .fd = (uint32_t)fd, .gsi = spi };

	if (ioctl(kvm->vm_fd, AZ_KVM_IRQFD, &irqfd) < 0)
		return err_set(errno, "KVM_IRQFD for SPI %u: %s", spi,
			       strerror(errno));
	return 0;
}

int kvm_irq_line(struct kvm *kvm, unsigned int spi, int level)
{
	struct az_kvm_irq_level irq = {
		.irq = AZ_KVM_ARM_IRQ_TYPE_SPI << AZ_KVM_ARM_IRQ_TYPE_SHIFT |
		       (AZ_GIC_SPI_BASE + spi),
		.level = level,
	};

	if (ioctl(kvm->vm_fd, AZ_KVM_IRQ_LINE, &irq) < 0)
		return err_set(errno, "KVM_IRQ_LINE for SPI %u: %s", spi,
			       strerror(errno));
	return 0;
}

int kvm_coalesced_mmio_zone(struct kvm *kvm, uint64_t addr, uint32_t size)
{
	struct az_kvm_coalesced_mmio_zone zone = {
		.addr = addr, .size = size,
	};

	if (ioctl(kvm->vm_fd, AZ_KVM_REGISTER_COALESCED_MMIO, &zone) < 0)
		return err_set(errno, "KVM_REGISTER_COALESCED_MMIO at 0x%llx: %s",
			       (unsigned long long)addr, strerror(errno));
	return 0;
}
