// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/virtqueue.h>

/*
 * Offsets into the three ring areas (virtio 1.2, 2.7.5 - 2.7.8). The
 * event-index words sit right after the rings: used_event at the end of
 * the available ring, avail_event at the end of the used ring.
 */
#define AVAIL_FLAGS		0
#define AVAIL_IDX		2
#define AVAIL_RING(i)		(4 + 2 * (size_t)(i))
#define USED_FLAGS		0
#define USED_IDX		2
#define USED_RING(i)		(4 + 8 * (size_t)(i))

#define DESC_ADDR		0
#define DESC_LEN		8
#define DESC_FLAGS		12
#define DESC_NEXT		14

/*
 * The index and flag words are shared with the guest's driver, which
 * reads and writes them concurrently: each is one aligned 16-bit access
 * (never two byte accesses a guest could see half-done), converted from
 * little-endian after the load or before the store.
 */
static inline uint16_t ring_load_acquire(const uint8_t *p)
{
	uint16_t raw = __atomic_load_n((const uint16_t *)(const void *)p,
				       __ATOMIC_ACQUIRE);

	return le16_read(&raw);
}

static inline uint16_t ring_load_relaxed(const uint8_t *p)
{
	uint16_t raw = __atomic_load_n((const uint16_t *)(const void *)p,
				       __ATOMIC_RELAXED);

	return le16_read(&raw);
}

static inline void ring_store_release(uint8_t *p, uint16_t v)
{
	uint16_t raw;

	le16_write(&raw, v);
	__atomic_store_n((uint16_t *)(void *)p, raw, __ATOMIC_RELEASE);
}

static inline void ring_store_relaxed(uint8_t *p, uint16_t v)
{
	uint16_t raw;

	le16_write(&raw, v);
	__atomic_store_n((uint16_t *)(void *)p, raw, __ATOMIC_RELAXED);
}

/* Marks the queue unusable and records why; returns -EINVAL. */
#define vq_bad(vq, ...) ((vq)->broken = true, err_set(EINVAL, __VA_ARGS__))

static void *ring_map(const struct guest_mem *mem, uint64_t gpa, size_t len,
		      unsigned int align)
{
	uint8_t *host;

	if (gpa & (align - 1))
		return NULL;
	host = guest_mem_at(mem, gpa, len);
	/* Ring words are accessed atomically: the host side must align too. */
	if (!host || ((uintptr_t)host & (align - 1)))
		return NULL;
	return host;
}

int virtq_init(struct virtq *vq, const struct guest_mem *mem, unsigned int num,
	       uint64_t desc, uint64_t avail, uint64_t used, uint64_t features)
{
	memset(vq, 0, sizeof(*vq));
	if (!num || num > VIRTQ_NUM_MAX || (num & (num - 1)))
		return err_set(EINVAL, "virtqueue size %u is not a power of 2 up to %u",
			       num, VIRTQ_NUM_MAX);
	vq->mem = mem;
	vq->num = (uint16_t)num;
	vq->desc = ring_map(mem, desc, (size_t)num * VIRTQ_DESC_SIZE, 16);
	vq->avail = ring_map(mem, avail, AVAIL_RING(num) + 2, 2);
	vq->used = ring_map(mem, used, USED_RING(num) + 2, 4);
	if (!vq->desc || !vq->avail || !vq->used) {
		vq->broken = true;
		return err_set(EINVAL,
			       "virtqueue rings 0x%llx/0x%llx/0x%llx are misaligned or outside RAM",
			       (unsigned long long)desc,
			       (unsigned long long)avail,
			       (unsigned long long)used);
	}
	vq->indirect = features & (1ULL << VIRTIO_RING_F_INDIRECT_DESC);
	vq->event_idx = features & (1ULL << VIRTIO_RING_F_EVENT_IDX);
	/* Indexes start at 0 after a reset, whatever the ring memory holds. */
	return 0;
}

/* Where one chain's walk is: which table and how far. */
struct vq_walk {
	const uint8_t *table;
	unsigned int size;	/* entries in table */
	bool indirect;		/* table is an indirect table */
	bool seen_write;
	unsigned int seen;	/* buffer descriptors so far */
};

static int vq_enter_indirect(struct virtq *vq, struct vq_walk *w,
			     uint64_t addr, uint32_t len, uint16_t flags)
{
	const uint8_t *table;

	if (!vq->indirect)
		return vq_bad(vq, "indirect descriptor without INDIRECT_DESC");
	if (w->indirect)
		return vq_bad(vq, "nested indirect descriptor");
	if (flags & VIRTQ_DESC_F_NEXT)
		return vq_bad(vq, "indirect descriptor with NEXT set");
	if (!len || len % VIRTQ_DESC_SIZE)
		return vq_bad(vq, "indirect table length %u is not a multiple of %u",
			      len, VIRTQ_DESC_SIZE);
	table = guest_mem_at(vq->mem, addr, len);
	if (!table)
		return vq_bad(vq, "indirect table 0x%llx+%u is outside RAM",
			      (unsigned long long)addr, len);
	w->table = table;
	w->size = len / VIRTQ_DESC_SIZE;
	w->indirect = true;
	return 0;
}

static int vq_add_buf(struct virtq *vq, struct vq_walk *w,
		      struct virtq_chain *c, uint64_t addr, uint32_t len,
		      bool write)
{
	void *host;

	/* A loop keeps adding descriptors: the queue size bounds any chain. */
	if (++w->seen > vq->num)
		return vq_bad(vq, "descriptor chain longer than the queue (%u)",
			      vq->num);
	if (!write && w->seen_write)
		return vq_bad(vq, "readable descriptor after a writable one");
	w->seen_write |= write;
	if (!len)
		return 0;
	host = guest_mem_at(vq->mem, addr, len);
	if (!host)
		return vq_bad(vq, "buffer 0x%llx+%u is outside RAM",
			      (unsigned long long)addr, len);
	c->buf[c->count++] = (struct virtq_buf){
		.addr = host, .len = len, .write = write,
	};
	if (write) {
		c->write_len += len;
	} else {
		c->nread++;
		c->read_len += len;
	}
	return 0;
}

static int vq_walk_chain(struct virtq *vq, uint16_t head,
			 struct virtq_chain *c)
{
	struct vq_walk w = { .table = vq->desc, .size = vq->num };
	unsigned int idx = head;

	c->head = head;
	c->count = c->nread = 0;
	c->read_len = c->write_len = 0;
	if (head >= vq->num)
		return vq_bad(vq, "chain head %u beyond queue size %u", head,
			      vq->num);
	for (;;) {
		const uint8_t *d = w.table + (size_t)idx * VIRTQ_DESC_SIZE;
		uint64_t addr = le64_read(d + DESC_ADDR);
		uint32_t len = le32_read(d + DESC_LEN);
		uint16_t flags = le16_read(d + DESC_FLAGS);
		uint16_t next = le16_read(d + DESC_NEXT);
		int r;

		if (flags & VIRTQ_DESC_F_INDIRECT) {
			r = vq_enter_indirect(vq, &w, addr, len, flags);
			if (r)
				return r;
			idx = 0;
			continue;
		}
		r = vq_add_buf(vq, &w, c, addr, len,
			       flags & VIRTQ_DESC_F_WRITE);
		if (r)
			return r;
		if (!(flags & VIRTQ_DESC_F_NEXT))
			return 0;
		if (next >= w.size)
			return vq_bad(vq, "descriptor next %u beyond table size %u",
				      next, w.size);
		idx = next;
	}
}

int virtq_pop(struct virtq *vq, struct virtq_chain *chain)
{
	uint16_t avail_idx, pending, head;
	int r;

	if (vq->broken)
		return err_set(EIO, "virtqueue is broken");
	/* Acquire: the ring entry and descriptors are read after the index. */
	avail_idx = ring_load_acquire(vq->avail + AVAIL_IDX);
	pending = (uint16_t)(avail_idx - vq->last_avail);
	if (pending > vq->num)
		return vq_bad(vq, "avail index %u is %u entries ahead of a %u-entry queue",
			      avail_idx, pending, vq->num);
	if (!pending)
		return 0;
	head = le16_read(vq->avail +
			 AVAIL_RING(vq->last_avail & (vq->num - 1)));
	r = vq_walk_chain(vq, head, chain);
	if (r)
		return r;
	vq->last_avail++;
	return 1;
}

void virtq_unpop(struct virtq *vq, unsigned int n)
{
	vq->last_avail -= (uint16_t)n;
}

void virtq_fill(struct virtq *vq, unsigned int n, uint16_t head, uint32_t len)
{
	uint16_t slot = (uint16_t)(vq->used_idx + n) & (vq->num - 1);
	uint8_t *e = vq->used + USED_RING(slot);

	le32_write(e, head);
	le32_write(e + 4, len);
}

void virtq_flush(struct virtq *vq, unsigned int count)
{
	vq->used_idx += (uint16_t)count;
	/* Release: the used entries are visible before the index moves. */
	ring_store_release(vq->used + USED_IDX, vq->used_idx);
}

void virtq_push(struct virtq *vq, uint16_t head, uint32_t len)
{
	virtq_fill(vq, 0, head, len);
	virtq_flush(vq, 1);
}

bool virtq_should_notify(struct virtq *vq)
{
	uint16_t old = vq->signalled_used, new = vq->used_idx, event;
	bool valid = vq->signalled_valid;

	/*
	 * Our used->idx store must be visible before we read what the driver
	 * asked for, or driver and device can both decide the other acts.
	 */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	vq->signalled_used = new;
	vq->signalled_valid = true;
	if (valid && old == new)
		return false;
	if (!vq->event_idx)
		return !(ring_load_relaxed(vq->avail + AVAIL_FLAGS) &
			 VIRTQ_AVAIL_F_NO_INTERRUPT);
	if (!valid)
		return true;
	event = ring_load_relaxed(vq->avail + AVAIL_RING(vq->num));
	/* Interrupt if used_event lies in [old, new): it was crossed. */
	return (uint16_t)(new - event - 1) < (uint16_t)(new - old);
}

bool virtq_enable_notify(struct virtq *vq)
{
	if (vq->broken)
		return false;
	if (vq->event_idx)
		ring_store_relaxed(vq->used + USED_RING(vq->num),
				   vq->last_avail);
	/* avail_event must be visible before we look at avail->idx again. */
	__atomic_thread_fence(__ATOMIC_SEQ_CST);
	return ring_load_acquire(vq->avail + AVAIL_IDX) != vq->last_avail;
}

bool virtq_has_avail(struct virtq *vq)
{
	return !vq->broken &&
	       ring_load_acquire(vq->avail + AVAIL_IDX) != vq->last_avail;
}

void virtq_get_layout(const struct virtq *vq, struct virtq_layout *out)
{
	*out = (struct virtq_layout){
		.mem = vq->mem,
		.desc = vq->desc,
		.avail = vq->avail,
		.used = vq->used,
		.num = vq->num,
		.next_avail = vq->last_avail,
		.indirect = vq->indirect,
		.event_idx = vq->event_idx,
	};
}

void virtq_sync_used(struct virtq *vq)
{
	/* Acquire: the entries are in place before the index we read. */
	vq->used_idx = ring_load_acquire(vq->used + USED_IDX);
}

/* The range of buf[] that makes up the readable or the writable part. */
static void chain_part(const struct virtq_chain *c, bool write,
		       unsigned int *first, unsigned int *end)
{
	*first = write ? c->nread : 0;
	*end = write ? c->count : c->nread;
}

static size_t chain_copy(const struct virtq_chain *c, bool write,
			 uint64_t off, uint8_t *host, size_t len)
{
	unsigned int i, end;
	size_t done = 0;

	chain_part(c, write, &i, &end);
	for (; i < end && done < len; i++) {
		const struct virtq_buf *b = &c->buf[i];
		size_t n;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		n = b->len - off;
		if (n > len - done)
			n = len - done;
		if (write)
			memcpy((uint8_t *)b->addr + off, host + done, n);
		else
			memcpy(host + done, (uint8_t *)b->addr + off, n);
		done += n;
		off = 0;
	}
	return done;
}

size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t off,
			void *dst, size_t len)
{
	return chain_copy(chain, false, off, dst, len);
}

size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t off,
			 const void *src, size_t len)
{
	return chain_copy(chain, true, off, (uint8_t *)src, len);
}

unsigned int virtq_chain_iov(const struct virtq_chain *chain, bool write,
			     uint64_t off, uint64_t len, struct iovec *iov,
			     unsigned int max)
{
	unsigned int i, end, n = 0;

	chain_part(chain, write, &i, &end);
	for (; i < end && len && n < max; i++) {
		const struct virtq_buf *b = &chain->buf[i];
		uint64_t part;

		if (off >= b->len) {
			off -= b->len;
			continue;
		}
		part = b->len - off;
		if (part > len)
			part = len;
		iov[n].iov_base = (uint8_t *)b->addr + off;
		iov[n].iov_len = (size_t)part;
		n++;
		len -= part;
		off = 0;
	}
	return n;
}
