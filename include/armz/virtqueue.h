/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTQUEUE_H
#define ARMZ_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <armz/guest-mem.h>

/*
 * Split virtqueues (virtio 1.2, 2.7), device side.
 *
 * The rings live in guest RAM and everything in them is little-endian and
 * written by an untrusted guest. virtq_init() checks the three ring areas
 * once; virtq_pop() checks every descriptor of a chain and hands back host
 * pointers that lie inside guest RAM, so a device never does address
 * arithmetic on guest values itself.
 *
 * A struct virtq has a single consumer: only one thread at a time may pop,
 * push or notify on it (the device thread that owns the queue).
 */

/* Largest queue armz offers; a chain is never longer than its queue. */
#define VIRTQ_NUM_MAX			256

#define VIRTQ_DESC_SIZE			16
#define VIRTQ_DESC_F_NEXT		1
#define VIRTQ_DESC_F_WRITE		2
#define VIRTQ_DESC_F_INDIRECT		4

#define VIRTQ_AVAIL_F_NO_INTERRUPT	1
#define VIRTQ_USED_F_NO_NOTIFY		1

/* Ring feature bits: negotiated by the transport, honoured here. */
#define VIRTIO_RING_F_INDIRECT_DESC	28
#define VIRTIO_RING_F_EVENT_IDX		29

/* One guest buffer of a chain, already translated and bounds-checked. */
struct virtq_buf {
	void *addr;
	uint32_t len;		/* never 0: empty ones are dropped */
	bool write;		/* device-writable */
};

/*
 * A popped descriptor chain. The device-readable buffers come first
 * (buf[0 .. nread - 1]), the device-writable ones after them, as the
 * spec requires of the driver and virtq_pop() enforces.
 */
struct virtq_chain {
	uint16_t head;		/* give back to virtq_push() */
	unsigned int count;	/* entries used in buf[] */
	unsigned int nread;
	uint64_t read_len;	/* bytes in the readable buffers */
	uint64_t write_len;	/* bytes in the writable buffers */
	struct virtq_buf buf[VIRTQ_NUM_MAX];
};

struct virtq {
	const struct guest_mem *mem;
	uint8_t *desc;		/* host addresses of the checked rings */
	uint8_t *avail;
	uint8_t *used;
	uint16_t num;		/* queue size, a power of 2 */
	bool indirect;		/* RING_F_INDIRECT_DESC negotiated */
	bool event_idx;		/* RING_F_EVENT_IDX negotiated */
	bool broken;		/* malformed ring: no more processing */
	uint16_t last_avail;	/* next avail ring entry to consume */
	uint16_t used_idx;	/* our copy of used->idx */
	uint16_t signalled_used;	/* used_idx at the last notify check */
	bool signalled_valid;
};

/*
 * Sets vq up for a ring of num entries at the given guest addresses
 * (QueueDesc, QueueDriver, QueueDevice), with the negotiated features.
 * -EINVAL (err_msg() says why) when num is not a power of 2 up to
 * VIRTQ_NUM_MAX, or a ring is misaligned or not inside guest RAM.
 */
int virtq_init(struct virtq *vq, const struct guest_mem *mem, unsigned int num,
	       uint64_t desc, uint64_t avail, uint64_t used, uint64_t features);

/*
 * Takes the next available chain. 1 and *chain filled, 0 when the ring is
 * empty, or a negative errno for a malformed ring (loop, chain longer than
 * the queue, buffer outside RAM, readable after writable, bad indirect
 * table, avail->idx more than num ahead); the queue is then marked broken,
 * every later call fails too, and the device must ask for a reset.
 */
int virtq_pop(struct virtq *vq, struct virtq_chain *chain);

/* Gives back the last n chains popped (not yet pushed), newest first. */
void virtq_unpop(struct virtq *vq, unsigned int n);

/*
 * Returns a chain to the driver: len is the number of bytes the device
 * wrote into its writable buffers. The used entry is visible to the guest
 * before the new used->idx.
 */
void virtq_push(struct virtq *vq, uint16_t head, uint32_t len);

/*
 * Batched form of virtq_push() for devices that must make several chains
 * visible at once: virtq_fill() writes used entry n past the current
 * used->idx, virtq_flush() then publishes count entries.
 */
void virtq_fill(struct virtq *vq, unsigned int n, uint16_t head, uint32_t len);
void virtq_flush(struct virtq *vq, unsigned int count);

/*
 * Whether the driver wants an interrupt for what was pushed since the
 * last call: used_event with VIRTIO_RING_F_EVENT_IDX, the avail ring's
 * NO_INTERRUPT flag without it.
 */
bool virtq_should_notify(struct virtq *vq);

/*
 * Called when the device has drained the ring and will sleep until the
 * next kick: asks the driver to kick for the next chain (avail_event) and
 * returns true if chains arrived meanwhile, so the caller pops again
 * instead of sleeping through them.
 */
bool virtq_enable_notify(struct virtq *vq);

/* Whether virtq_pop() would find a chain (false on a broken queue). */
bool virtq_has_avail(struct virtq *vq);

/*
 * Where a queue's rings are and how far the device got: what another
 * engine needs to take the queue over (the vhost-net kernel thread, which
 * then pops and pushes on its own). Host addresses inside mem, checked by
 * virtq_init().
 */
struct virtq_layout {
	const struct guest_mem *mem;	/* the RAM the rings live in */
	void *desc;
	void *avail;
	void *used;
	unsigned int num;
	uint16_t next_avail;	/* the avail entry virtq_pop() takes next */
	bool indirect;		/* RING_F_INDIRECT_DESC negotiated */
	bool event_idx;		/* RING_F_EVENT_IDX negotiated */
};

void virtq_get_layout(const struct virtq *vq, struct virtq_layout *out);

/*
 * Another engine (the vhost kernel) pushed used entries behind the
 * queue's back: takes used->idx from the ring, so that the next
 * virtq_should_notify() counts those entries and a later virtq_push()
 * follows them.
 */
void virtq_sync_used(struct virtq *vq);

/*
 * Copies between a chain and host memory. off counts from the start of
 * the readable (virtq_chain_read) or writable (virtq_chain_write) part;
 * both return the number of bytes copied, short at the end of that part.
 */
size_t virtq_chain_read(const struct virtq_chain *chain, uint64_t off,
			void *dst, size_t len);
size_t virtq_chain_write(const struct virtq_chain *chain, uint64_t off,
			 const void *src, size_t len);

/*
 * Describes bytes [off, off + len) of the readable or writable part as an
 * iovec (for preadv/pwritev). Returns the number of entries used, at most
 * max; fewer bytes than len are covered only when the part is shorter.
 */
unsigned int virtq_chain_iov(const struct virtq_chain *chain, bool write,
			     uint64_t off, uint64_t len, struct iovec *iov,
			     unsigned int max);

#endif
