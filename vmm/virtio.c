// SPDX-License-Identifier: GPL-2.0
/*
 * Virtio devices on a machine: each gets the next virtio-mmio slot and SPI
 * from the memory map, its QueueNotify registers wired to the device's
 * kick eventfds with KVM_IOEVENTFD (the guest's kick wakes the device
 * thread with no exit to userspace), and its interrupt raised through
 * KVM_IRQFD where the host has it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include <armz/virtio.h>
#include "machine.h"

static int virtio_irq_trigger(struct irq_line *line)
{
	struct machine *m = line->ctx;
	uint64_t one = 1;
	int r;

	if (line->fd >= 0)
		return write(line->fd, &one, sizeof(one)) < 0 ? -errno : 0;
	/* No irqfd: an edge made of two KVM_IRQ_LINE calls. */
	r = kvm_irq_line(m->kvm, line->spi, 1);
	return r ? r : kvm_irq_line(m->kvm, line->spi, 0);
}

static const struct irq_ops virtio_irq_ops = {
	.trigger = virtio_irq_trigger,
};

static int virtio_wire_irq(struct machine *m, struct irq_line *line,
			   unsigned int spi)
{
	*line = (struct irq_line){
		.ops = &virtio_irq_ops, .ctx = m, .spi = spi, .fd = -1,
	};
	if (!m->kvm->caps.irqfd)
		return 0;
	line->fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (line->fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	return 0;
}

/* KVM routes irqfds only once the GIC is initialised, after the vCPUs. */
int machine_connect_irqfds(struct machine *m)
{
	int r = 0;

	for (unsigned int i = 0; !r && i < m->nvirtio; i++)
		if (m->virtio_irq[i].fd >= 0)
			r = kvm_irqfd(m->kvm, m->virtio_irq[i].spi,
				      m->virtio_irq[i].fd);
	return r;
}

static int virtio_wire_kicks(struct machine *m, struct virtio_mmio *vm)
{
	uint64_t addr = virtio_mmio_notify_addr(vm);
	int r = 0;

	if (!m->kvm->caps.ioeventfd)
		return 0;	/* the MMIO handler kicks instead */
	for (unsigned int q = 0; !r && q < virtio_mmio_num_queues(vm); q++)
		r = kvm_ioeventfd(m->kvm, addr, 4, q,
				  virtio_mmio_kick_fd(vm, q));
	return r;
}

/* Takes ownership of dev, also on failure. */
int machine_add_virtio(struct machine *m, struct virtio_device *dev)
{
	unsigned int slot = m->nvirtio;
	uint64_t base = MEMMAP_VIRTIO_BASE + slot * MEMMAP_VIRTIO_SLOT_SIZE;
	unsigned int spi = MEMMAP_SPI_VIRTIO_BASE + slot;
	struct virtio_mmio *vm;
	int r;

	if (slot == MEMMAP_VIRTIO_SLOTS) {
		if (dev->ops->free)
			dev->ops->free(dev);
		return err_set(ENOSPC, "too many virtio devices (at most %d)",
			       MEMMAP_VIRTIO_SLOTS);
	}
	r = virtio_wire_irq(m, &m->virtio_irq[slot], spi);
	vm = virtio_mmio_new(dev, &m->mem, &m->virtio_irq[slot], base, spi);
	if (!vm)
		return -EINVAL;
	m->virtio[m->nvirtio++] = vm;
	if (!r)
		r = mmio_bus_add(&m->bus, base, MEMMAP_VIRTIO_SLOT_SIZE,
				 &virtio_mmio_ops, vm);
	return r ? r : virtio_wire_kicks(m, vm);
}

void machine_stop_virtio(struct machine *m)
{
	for (unsigned int i = 0; i < m->nvirtio; i++)
		virtio_mmio_stop(m->virtio[i]);
}

void machine_free_virtio(struct machine *m)
{
	for (unsigned int i = 0; i < m->nvirtio; i++) {
		virtio_mmio_free(m->virtio[i]);
		if (m->virtio_irq[i].fd >= 0)
			close(m->virtio_irq[i].fd);
	}
	m->nvirtio = 0;
}
