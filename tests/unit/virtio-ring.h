/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_TESTS_VIRTIO_RING_H
#define ARMZ_TESTS_VIRTIO_RING_H

/*
 * The driver side of a split virtqueue for the virtio tests: guest RAM in
 * a heap buffer and rings laid out in it with the LE accessors, exactly as
 * a guest would (so the tests mean the same on a big-endian host).
 */

#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/virtio-mmio.h>
#include <armz/virtqueue.h>

#define TR_RAM_SIZE	(1u << 20)
#define TR_RING0	(MEMMAP_RAM_BASE + 0x0000)	/* rings of queue 0 */
#define TR_RING1	(MEMMAP_RAM_BASE + 0x4000)	/* rings of queue 1 */
#define TR_TABLE	(MEMMAP_RAM_BASE + 0x8000)	/* indirect tables */
#define TR_BUF		(MEMMAP_RAM_BASE + 0x10000)	/* data */

static inline void tr_mem_init(struct guest_mem *mem)
{
	mem->gpa = MEMMAP_RAM_BASE;
	mem->size = TR_RAM_SIZE;
	mem->host = aligned_alloc(4096, TR_RAM_SIZE);
	memset(mem->host, 0, TR_RAM_SIZE);
}

static inline void tr_mem_free(struct guest_mem *mem)
{
	free(mem->host);
	mem->host = NULL;
}

static inline uint8_t *tr_at(const struct guest_mem *mem, uint64_t gpa)
{
	return mem->host + (gpa - mem->gpa);
}

/* A queue of num entries: descriptors, avail and used rings in 16 KiB. */
struct test_ring {
	struct guest_mem *mem;
	unsigned int num;
	uint64_t desc, avail, used;
	uint16_t avail_idx;
};

static inline void tr_init(struct test_ring *t, struct guest_mem *mem,
			   unsigned int num, uint64_t area)
{
	t->mem = mem;
	t->num = num;
	t->desc = area;
	t->avail = area + 0x1000;
	t->used = area + 0x2000;
	t->avail_idx = 0;
}

static inline uint8_t *tr_host(struct test_ring *t, uint64_t gpa)
{
	return tr_at(t->mem, gpa);
}

/* Descriptor idx of the table at table_gpa (t->desc or an indirect one). */
static inline void tr_desc_at(struct test_ring *t, uint64_t table_gpa,
			      unsigned int idx, uint64_t addr, uint32_t len,
			      uint16_t flags, uint16_t next)
{
	uint8_t *d = tr_host(t, table_gpa) + 16 * idx;

	le64_write(d, addr);
	le32_write(d + 8, len);
	le16_write(d + 12, flags);
	le16_write(d + 14, next);
}

static inline void tr_desc(struct test_ring *t, unsigned int idx,
			   uint64_t addr, uint32_t len, uint16_t flags,
			   uint16_t next)
{
	tr_desc_at(t, t->desc, idx, addr, len, flags, next);
}

/* The index words are published atomically, as a real driver does. */
static inline void tr_set_avail_idx(struct test_ring *t, uint16_t idx)
{
	uint16_t raw;

	le16_write(&raw, idx);
	__atomic_store_n((uint16_t *)(void *)(tr_host(t, t->avail) + 2), raw,
			 __ATOMIC_RELEASE);
}

/* Makes the chain starting at head available. */
static inline void tr_avail(struct test_ring *t, uint16_t head)
{
	uint8_t *a = tr_host(t, t->avail);

	le16_write(a + 4 + 2 * (t->avail_idx % t->num), head);
	t->avail_idx++;
	tr_set_avail_idx(t, t->avail_idx);
}

static inline uint16_t tr_used_idx(struct test_ring *t)
{
	uint16_t raw = __atomic_load_n((uint16_t *)(void *)
				       (tr_host(t, t->used) + 2),
				       __ATOMIC_ACQUIRE);

	return le16_read(&raw);
}

static inline uint32_t tr_used_id(struct test_ring *t, unsigned int i)
{
	return le32_read(tr_host(t, t->used) + 4 + 8 * (i % t->num));
}

static inline uint32_t tr_used_len(struct test_ring *t, unsigned int i)
{
	return le32_read(tr_host(t, t->used) + 4 + 8 * (i % t->num) + 4);
}

/*
 * The device side as another engine (the vhost kernel) leaves it: used
 * entry idx, then used->idx = idx + 1, published as a device does.
 */
static inline void tr_used_push(struct test_ring *t, uint16_t idx,
				uint32_t id, uint32_t len)
{
	uint8_t *u = tr_host(t, t->used);
	uint16_t raw;

	le32_write(u + 4 + 8 * (idx % t->num), id);
	le32_write(u + 4 + 8 * (idx % t->num) + 4, len);
	le16_write(&raw, (uint16_t)(idx + 1));
	__atomic_store_n((uint16_t *)(void *)(u + 2), raw, __ATOMIC_RELEASE);
}

/* used_event, at the end of the available ring. */
static inline void tr_set_used_event(struct test_ring *t, uint16_t v)
{
	le16_write(tr_host(t, t->avail) + 4 + 2 * t->num, v);
}

/* avail_event, at the end of the used ring. */
static inline uint16_t tr_avail_event(struct test_ring *t)
{
	return le16_read(tr_host(t, t->used) + 4 + 8 * t->num);
}

/* Waits up to 5 s for used->idx to reach idx; true if it did. */
static inline int tr_wait_used(struct test_ring *t, uint16_t idx)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (tr_used_idx(t) == idx)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* --- A driver talking to a virtio-mmio transport --- */

/* A transport for dev at base; line (may be NULL) gets SPI spi. */
static inline struct virtio_mmio *tr_transport(struct virtio_device *dev,
					       const struct guest_mem *mem,
					       struct irq_line *line,
					       uint64_t base, unsigned int spi)
{
	struct virtio_mmio *t;

	if (line)
		line->spi = spi;
	return virtio_mmio_new(dev, mem, line, base, &t) ? NULL : t;
}

static inline void tr_w32(struct virtio_mmio *vm, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	le32_write(b, v);
	virtio_mmio_ops.write(vm, off, b, 4);
}

static inline uint32_t tr_r32(struct virtio_mmio *vm, uint64_t off)
{
	uint8_t b[4];

	virtio_mmio_ops.read(vm, off, b, 4);
	return le32_read(b);
}

/* ACKNOWLEDGE, DRIVER, accept features, FEATURES_OK; returns the status. */
static inline uint32_t tr_negotiate(struct virtio_mmio *vm, uint64_t features)
{
	tr_w32(vm, VIRTIO_MMIO_STATUS, 0);
	tr_w32(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	tr_w32(vm, VIRTIO_MMIO_STATUS,
	       VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER);
	tr_w32(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	tr_w32(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)features);
	tr_w32(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	tr_w32(vm, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(features >> 32));
	tr_w32(vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
	       VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	return tr_r32(vm, VIRTIO_MMIO_STATUS);
}

/* Queue q of vm uses the rings of t. */
static inline void tr_setup_queue(struct virtio_mmio *vm, unsigned int q,
				  struct test_ring *t)
{
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, q);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, t->num);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, (uint32_t)t->desc);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH, (uint32_t)(t->desc >> 32));
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, (uint32_t)t->avail);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DRIVER_HIGH, (uint32_t)(t->avail >> 32));
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DEVICE_LOW, (uint32_t)t->used);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, (uint32_t)(t->used >> 32));
	tr_w32(vm, VIRTIO_MMIO_QUEUE_READY, 1);
}

static inline void tr_driver_ok(struct virtio_mmio *vm)
{
	tr_w32(vm, VIRTIO_MMIO_STATUS, tr_r32(vm, VIRTIO_MMIO_STATUS) |
	       VIRTIO_STATUS_DRIVER_OK);
}

/* An interrupt line that counts edges. */
struct tr_irq {
	struct irq_line line;
	unsigned int count;
};

/* The transport keeps a copy of the line: ctx leads back to the count. */
static inline int tr_irq_trigger(struct irq_line *line)
{
	struct tr_irq *i = line->ctx;

	__atomic_fetch_add(&i->count, 1, __ATOMIC_SEQ_CST);
	return 0;
}

static const struct irq_ops tr_irq_ops = { .trigger = tr_irq_trigger };

static inline void tr_irq_init(struct tr_irq *i)
{
	memset(i, 0, sizeof(*i));
	i->line.ops = &tr_irq_ops;
	i->line.ctx = i;
	i->line.fd = -1;
}

static inline unsigned int tr_irq_count(struct tr_irq *i)
{
	return __atomic_load_n(&i->count, __ATOMIC_SEQ_CST);
}

/*
 * Waits up to 5 s for at least n edges. A device publishes used->idx
 * before it interrupts, so a test that saw the used entry waits here.
 */
static inline int tr_wait_irq(struct tr_irq *i, unsigned int n)
{
	int k;

	for (k = 0; k < 5000; k++) {
		if (tr_irq_count(i) >= n)
			return 1;
		usleep(1000);
	}
	return 0;
}

#endif
