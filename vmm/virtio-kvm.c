// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio devices wired to KVM: each gets a virtio-mmio slot and SPI from
 * the memory map, its QueueNotify register wired to the device's kick
 * eventfds with KVM_IOEVENTFD (the guest's kick wakes the device thread
 * with no exit to userspace), and its interrupt raised through KVM_IRQFD
 * where the host has it, as an edge of two KVM_IRQ_LINE calls where not.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include <armz/virtio-mmio.h>
#include "virtio-kvm.h"

static int virtio_kvm_trigger(struct irq_line *line)
{
	struct kvm *kvm = line->ctx;
	uint64_t one = 1;
	int r;

	if (line->fd >= 0)
		return write(line->fd, &one, sizeof(one)) < 0 ? -errno : 0;
	r = kvm_irq_line(kvm, line->spi, 1);
	return r ? r : kvm_irq_line(kvm, line->spi, 0);
}

static void virtio_kvm_release(struct irq_line *line)
{
	if (line->fd >= 0)
		close(line->fd);
	line->fd = -1;
}

static const struct irq_ops virtio_kvm_irq_ops = {
	.trigger = virtio_kvm_trigger,
	.release = virtio_kvm_release,
};

/* The line the transport will own: an irqfd where KVM has them. */
static int virtio_kvm_irq(struct kvm *kvm, unsigned int spi,
			  struct irq_line *line)
{
	int r;

	*line = (struct irq_line){
		.ops = &virtio_kvm_irq_ops, .ctx = kvm, .spi = spi, .fd = -1,
	};
	if (!kvm->caps.irqfd)
		return 0;
	line->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (line->fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	r = kvm_irqfd(kvm, spi, line->fd);
	if (r)
		virtio_kvm_release(line);
	return r;
}

static int virtio_kvm_kicks(struct kvm *kvm, struct virtio_mmio *t)
{
	uint64_t addr = virtio_mmio_notify_addr(t);
	int r = 0;

	if (!kvm->caps.ioeventfd)
		return 0;	/* the MMIO handler kicks instead */
	for (unsigned int q = 0; !r && q < virtio_mmio_num_queues(t); q++)
		r = kvm_ioeventfd(kvm, addr, 4, q, virtio_mmio_kick_fd(t, q));
	return r;
}

int virtio_kvm_add(struct kvm *kvm, const struct guest_mem *mem,
		   struct mmio_bus *bus, unsigned int slot,
		   struct virtio_device *dev)
{
	uint64_t base = MEMMAP_VIRTIO_BASE + slot * MEMMAP_VIRTIO_SLOT_SIZE;
	struct virtio_mmio *t;
	struct irq_line irq;
	int r;

	if (slot >= MEMMAP_VIRTIO_SLOTS)
		r = err_set(ENOSPC, "too many virtio devices (at most %d)",
			    MEMMAP_VIRTIO_SLOTS);
	else
		r = virtio_kvm_irq(kvm, MEMMAP_SPI_VIRTIO_BASE + slot, &irq);
	if (r) {
		if (dev->ops->free)
			dev->ops->free(dev);
		return r;
	}
	r = virtio_mmio_new(dev, mem, &irq, base, &t) ?:
	    mmio_bus_add(bus, base, MEMMAP_VIRTIO_SLOT_SIZE, &virtio_mmio_ops,
			 t);
	return r ? r : virtio_kvm_kicks(kvm, t);
}
