// SPDX-License-Identifier: GPL-2.0
/*
 * The in-kernel interrupt controller: a GICv3 where the host has one,
 * otherwise a GICv2, or the one lkvm's --irqchip names, with an ITS for
 * gicv3-its. Addresses come from the memory map; the controller is
 * initialised only after every vCPU exists (KVM requires that order).
 */
#include <errno.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include "kvm.h"

/* SPIs armz hands out: virtio slots above the fixed devices, rounded to 32. */
#define GIC_NR_IRQS \
	((AZ_GIC_SPI_BASE + MEMMAP_SPI_VIRTIO_BASE + MEMMAP_VIRTIO_SLOTS + 31) & ~31U)

static int gic_set(int fd, uint32_t group, uint64_t attr, void *addr)
{
	struct az_kvm_device_attr a = {
		.group = group, .attr = attr, .addr = (uint64_t)(uintptr_t)addr,
	};

	return ioctl(fd, AZ_KVM_SET_DEVICE_ATTR, &a);
}

static int gic_create_type(struct kvm *kvm, int version, unsigned int ncpus)
{
	struct az_kvm_create_device dev = {
		.type = version == 3 ? AZ_KVM_DEV_TYPE_ARM_VGIC_V3
				     : AZ_KVM_DEV_TYPE_ARM_VGIC_V2,
	};
	uint64_t dist = MEMMAP_GIC_DIST_BASE;
	uint64_t second = version == 3 ? MEMMAP_GIC_REDIST_BASE
				       : MEMMAP_GIC_CPU_BASE;
	uint32_t nr_irqs = GIC_NR_IRQS;
	int fd;

	if (ioctl(kvm->vm_fd, AZ_KVM_CREATE_DEVICE, &dev) < 0)
		return -errno;
	fd = (int)dev.fd;
	if (gic_set(fd, AZ_KVM_DEV_ARM_VGIC_GRP_ADDR,
		    version == 3 ? AZ_KVM_VGIC_V3_ADDR_TYPE_DIST
				 : AZ_KVM_VGIC_V2_ADDR_TYPE_DIST, &dist) ||
	    gic_set(fd, AZ_KVM_DEV_ARM_VGIC_GRP_ADDR,
		    version == 3 ? AZ_KVM_VGIC_V3_ADDR_TYPE_REDIST
				 : AZ_KVM_VGIC_V2_ADDR_TYPE_CPU, &second) ||
	    gic_set(fd, AZ_KVM_DEV_ARM_VGIC_GRP_NR_IRQS, 0, &nr_irqs))
		return err_set(errno, "cannot set up the GICv%d: %s", version,
			       strerror(errno));
	return fd;
}

/* A GICv3 ITS frame: KVM wants it initialised right away. */
static int gic_create_its(struct kvm *kvm)
{
	struct az_kvm_create_device dev = {
		.type = AZ_KVM_DEV_TYPE_ARM_VGIC_ITS,
	};
	uint64_t base = MEMMAP_GIC_ITS_BASE;
	int fd;

	if (ioctl(kvm->vm_fd, AZ_KVM_CREATE_DEVICE, &dev) < 0)
		return err_set(errno, "cannot create the GICv3 ITS: %s",
			       strerror(errno));
	fd = (int)dev.fd;
	if (gic_set(fd, AZ_KVM_DEV_ARM_VGIC_GRP_ADDR,
		    AZ_KVM_VGIC_ITS_ADDR_TYPE, &base) ||
	    gic_set(fd, AZ_KVM_DEV_ARM_VGIC_GRP_CTRL,
		    AZ_KVM_DEV_ARM_VGIC_CTRL_INIT, NULL)) {
		int e = errno;

		close(fd);
		return err_set(e, "cannot set up the GICv3 ITS: %s",
			       strerror(e));
	}
	return fd;
}

/*
 * Returns the device fd; *version says which GIC the guest got. AUTO
 * takes a GICv3 and falls back to a GICv2; an explicit choice is that or
 * an error.
 */
int gic_create(struct kvm *kvm, unsigned int ncpus, enum vm_irqchip want,
	       int *version, int *its_fd)
{
	int fd = -ENODEV;

	*its_fd = -1;
	if (want != VM_IRQCHIP_GICV2 && kvm->caps.gic_version == 3)
		fd = gic_create_type(kvm, 3, ncpus);
	if (fd >= 0) {
		*version = 3;
		if (want == VM_IRQCHIP_GICV3_ITS) {
			*its_fd = gic_create_its(kvm);
			if (*its_fd < 0) {
				close(fd);
				return *its_fd;
			}
		}
		return fd;
	}
	if (want == VM_IRQCHIP_GICV3 || want == VM_IRQCHIP_GICV3_ITS)
		return err_set(-fd, "cannot create a GICv3: %s",
			       strerror(-fd));
	if (ncpus > 8)
		return err_set(ENOTSUP, "this host has no GICv3, and a GICv2 serves at most 8 vCPUs");
	fd = gic_create_type(kvm, 2, ncpus);
	if (fd < 0 && want == VM_IRQCHIP_GICV2)
		return err_set(-fd, "cannot create a GICv2 (--irqchip=gicv2): %s",
			       strerror(-fd));
	if (fd < 0)
		return err_set(-fd, "this arm64 KVM has no in-kernel interrupt controller");
	*version = 2;
	return fd;
}

int gic_finalize(int gic_fd)
{
	if (gic_set(gic_fd, AZ_KVM_DEV_ARM_VGIC_GRP_CTRL,
		    AZ_KVM_DEV_ARM_VGIC_CTRL_INIT, NULL))
		return err_set(errno, "cannot initialise the GIC: %s",
			       strerror(errno));
	return 0;
}
