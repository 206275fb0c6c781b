/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_MMIO_H
#define ARMZ_VIRTIO_MMIO_H

#include <stdint.h>

#include <armz/bus.h>
#include <armz/guest-mem.h>
#include <armz/irq.h>
#include <armz/memmap.h>
#include <armz/virtio.h>

/*
 * The virtio-mmio transport, version 2 only (virtio 1.2, 4.2): the
 * registers a driver sees in one slot of the memory map, in front of one
 * struct virtio_device (virtio.h).
 *
 * Notification. Every queue has a kick eventfd. The VMM registers it with
 * KVM_IOEVENTFD at virtio_mmio_notify_addr() (4 bytes, datamatch = queue
 * index), so the guest's QueueNotify write wakes the worker without a
 * userspace exit; a QueueNotify write that does reach the MMIO handler
 * writes the same eventfd.
 */

/* virtio-mmio register offsets (4.2.2). */
#define VIRTIO_MMIO_MAGIC_VALUE		0x000
#define VIRTIO_MMIO_VERSION		0x004
#define VIRTIO_MMIO_DEVICE_ID		0x008
#define VIRTIO_MMIO_VENDOR_ID		0x00c
#define VIRTIO_MMIO_DEVICE_FEATURES	0x010
#define VIRTIO_MMIO_DEVICE_FEATURES_SEL	0x014
#define VIRTIO_MMIO_DRIVER_FEATURES	0x020
#define VIRTIO_MMIO_DRIVER_FEATURES_SEL	0x024
#define VIRTIO_MMIO_QUEUE_SEL		0x030
#define VIRTIO_MMIO_QUEUE_NUM_MAX	0x034
#define VIRTIO_MMIO_QUEUE_NUM		0x038
#define VIRTIO_MMIO_QUEUE_READY		0x044
#define VIRTIO_MMIO_QUEUE_NOTIFY	0x050
#define VIRTIO_MMIO_INTERRUPT_STATUS	0x060
#define VIRTIO_MMIO_INTERRUPT_ACK	0x064
#define VIRTIO_MMIO_STATUS		0x070
#define VIRTIO_MMIO_QUEUE_DESC_LOW	0x080
#define VIRTIO_MMIO_QUEUE_DESC_HIGH	0x084
#define VIRTIO_MMIO_QUEUE_DRIVER_LOW	0x090
#define VIRTIO_MMIO_QUEUE_DRIVER_HIGH	0x094
#define VIRTIO_MMIO_QUEUE_DEVICE_LOW	0x0a0
#define VIRTIO_MMIO_QUEUE_DEVICE_HIGH	0x0a4
#define VIRTIO_MMIO_SHM_SEL		0x0ac
#define VIRTIO_MMIO_SHM_LEN_LOW		0x0b0
#define VIRTIO_MMIO_SHM_LEN_HIGH	0x0b4
#define VIRTIO_MMIO_SHM_BASE_LOW	0x0b8
#define VIRTIO_MMIO_SHM_BASE_HIGH	0x0bc
#define VIRTIO_MMIO_CONFIG_GENERATION	0x0fc
#define VIRTIO_MMIO_CONFIG		0x100

#define VIRTIO_MMIO_MAGIC		0x74726976	/* "virt" */
#define VIRTIO_MMIO_VENDOR		0x7a6d7261	/* "armz" */

#define VIRTIO_MMIO_INT_VRING		1	/* used buffers */
#define VIRTIO_MMIO_INT_CONFIG		2	/* config change */

/* One transport instance occupies one slot of the memory map. */
#define VIRTIO_MMIO_SIZE		MEMMAP_VIRTIO_SLOT_SIZE
_Static_assert(VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG == VIRTIO_CONFIG_MAX,
	       "the config window is what devices may fill");

struct virtio_mmio;

/*
 * A transport for dev at guest physical base (one VIRTIO_MMIO_SIZE slot),
 * interrupting through irq, which it takes by value and owns (NULL: no
 * interrupts, a polled guest); its device tree node names irq->spi. mem
 * must outlive the transport. Takes ownership of dev even on failure.
 * 0 and *out, or a negative errno with err_msg() set.
 */
int virtio_mmio_new(struct virtio_device *dev, const struct guest_mem *mem,
		    const struct irq_line *irq, uint64_t base,
		    struct virtio_mmio **out);
/* Stops the workers, frees the device and the transport. NULL is fine. */
void virtio_mmio_free(struct virtio_mmio *t);

/* Machine reset: as if the driver wrote 0 to Status. */
void virtio_mmio_reset(struct virtio_mmio *t);
/* Stops the workers (before guest RAM goes away); a reset in effect. */
void virtio_mmio_stop(struct virtio_mmio *t);

/*
 * opaque = struct virtio_mmio *; register at base, VIRTIO_MMIO_SIZE. The
 * bus then writes its virtio,mmio node, stops it and frees it.
 */
extern const struct mmio_ops virtio_mmio_ops;

/* For KVM_IOEVENTFD: one eventfd per queue at the QueueNotify address. */
unsigned int virtio_mmio_num_queues(const struct virtio_mmio *t);
int virtio_mmio_kick_fd(const struct virtio_mmio *t, unsigned int q);
uint64_t virtio_mmio_notify_addr(const struct virtio_mmio *t);

struct virtio_device *virtio_mmio_device(const struct virtio_mmio *t);

#endif
