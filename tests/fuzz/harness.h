/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_FUZZ_HARNESS_H
#define ARMZ_FUZZ_HARNESS_H

/*
 * What the libFuzzer targets share (tests/fuzz/harness.c, linked into
 * each): reading an input as fields, and a virtio driver that drives a
 * device through its virtio-mmio registers on the bus, with guest RAM
 * taken from the input.
 *
 * Determinism. A device serves its queues on worker threads, so the
 * driver waits, after every register write, until the device has done
 * all that write set off: each kick of a live queue has been through the
 * device's queue_notify (counted by a wrapper around its ops), every
 * worker has said which extra descriptors it polls, and none of those is
 * readable or being served. A device that does not get there within
 * VH_SETTLE_SECONDS is a bug, reported like a crash. The next input finds
 * no thread and no state of this one: the device is made and freed per
 * input.
 */
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/bus.h>
#include <armz/guest-mem.h>
#include <armz/virtio-mmio.h>

/* --- The input, as fields; past its end every field reads as 0 --- */

struct fz {
	const uint8_t *p;
	size_t n;
};

uint8_t fz_u8(struct fz *f);
uint16_t fz_u16(struct fz *f);
uint32_t fz_u32(struct fz *f);
uint64_t fz_u64(struct fz *f);
/* A u16 length, then that many bytes (fewer at the end), at most max. */
const uint8_t *fz_blob(struct fz *f, size_t max, size_t *len);
bool fz_more(const struct fz *f);

/*
 * After an input: every descriptor it opened is closed again (the
 * lowest free one is where it was after the first input).
 */
void fz_check_fds(void);

/* The device broke a rule the harness checks: report it as a crash. */
void fz_fail(const char *fmt, ...)
	__attribute__((format(printf, 1, 2), noreturn));

/* --- A virtio driver --- */

#define VH_RAM_GPA		0x40000000ULL
#define VH_RAM_SIZE		(64u << 10)
#define VH_BASE			0x0a000000ULL
#define VH_SETTLE_SECONDS	10

/* Queues vh_queue() and vh_chain() look after; the rest take raw ops. */
#define VH_RINGS		8

/*
 * What the driver set up for one queue through vh_queue(), and the
 * descriptors it has given the device: as a driver should, it takes
 * them back from the used ring before it writes them again.
 */
struct vh_ring {
	bool set;
	unsigned int num;
	uint64_t desc, avail, used;	/* offsets into RAM */
	uint16_t last_used;		/* used entries taken back */
	uint16_t cursor;		/* where the search for free ones starts */
	bool busy[VIRTQ_NUM_MAX];
	uint16_t next[VIRTQ_NUM_MAX];	/* by descriptor: the chain's next */
	uint8_t count[VIRTQ_NUM_MAX];	/* by head: descriptors in its chain */
};

struct vh {
	struct guest_mem mem;
	struct mmio_bus bus;
	struct virtio_mmio *t;
	struct virtio_device *dev;
	const struct virtio_device_ops *dev_ops;	/* the device's own */
	struct virtio_device_ops ops;			/* wrapping them */
	struct vh_ring ring[VH_RINGS];
	unsigned int gen;	/* bumped when the driver redoes its rings */

	/* What the workers did, under lock; cond says it changed. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	uint64_t notified[VIRTIO_QUEUES_MAX];	/* queue_notify calls done */
	uint64_t expected[VIRTIO_QUEUES_MAX];	/* kicks the workers owe */
	unsigned int fds_told, fds_due;		/* worker_fds calls */
	unsigned int busy;			/* fd_ready calls running */
	int fds[VIRTIO_WORKER_FDS_MAX * VIRTIO_QUEUES_MAX];
	unsigned int nfds;
	uint64_t irqs;				/* interrupts raised */
};

/* vh_init() flags: the interrupt line has an eventfd (an irqfd's). */
#define VH_IRQ_FD		1

/*
 * Puts dev (made by the target, owned by h from now on) behind a
 * transport at VH_BASE on h->bus, with guest RAM of VH_RAM_SIZE bytes at
 * VH_RAM_GPA starting with ram[0, ram_len). A device the transport
 * refuses is a failure: targets make only good ones.
 */
void vh_init(struct vh *h, struct virtio_device *dev, const uint8_t *ram,
	     size_t ram_len, unsigned int flags);
/* Also checks that the input left no descriptor open (fz_check_fds()). */
/* Waits for the workers (see above), stops and frees everything. */
void vh_fini(struct vh *h);

/* One access through the bus, then waits until the device settles. */
int vh_access(struct vh *h, uint64_t addr, void *data, unsigned int len,
	      bool is_write);
void vh_write32(struct vh *h, uint64_t off, uint32_t v);
uint32_t vh_read32(struct vh *h, uint64_t off);

/* What a driver does: reset, features, a queue, DRIVER_OK, a chain. */
void vh_features(struct vh *h, uint64_t features);
void vh_queue(struct vh *h, unsigned int q, unsigned int num, uint16_t desc,
	      uint16_t avail, uint16_t used);
void vh_driver_ok(struct vh *h);
void vh_kick(struct vh *h, unsigned int q);

struct vh_buf {
	uint16_t off;		/* into RAM */
	uint16_t len;
	bool write;
};
/*
 * A chain of n buffers made available on a queue set up by vh_queue(),
 * in descriptors the device does not hold: its head, or -1 when the
 * ring has no room (or does not fit in RAM).
 */
int vh_chain(struct vh *h, unsigned int q, const struct vh_buf *bufs,
	     unsigned int n);

/*
 * For checking answers: queue q was set up by vh_queue() with rings that
 * lie apart from each other, from every other queue's rings, and outside
 * RAM [lo, hi) where the target keeps its buffers, and the device runs it
 * on exactly those rings, its used index what the ring says. True before and after an op: the used
 * entries the op added are the device's answer to it.
 */
bool vh_ring_sane(struct vh *h, unsigned int q, uint64_t lo, uint64_t hi);
/* The used ring's index, and entry i (modulo the size). */
uint16_t vh_used_idx(struct vh *h, unsigned int q);
void vh_used_elem(struct vh *h, unsigned int q, uint16_t i, uint32_t *id,
		  uint32_t *len);
/*
 * Sends bufs as one chain on queue q and kicks: 0, with the length the
 * device wrote, when the device used exactly that chain, once, on a ring
 * sane before and after (vh_ring_sane() with lo, hi); -1 otherwise, an
 * answer the targets do not judge.
 */
int vh_send(struct vh *h, unsigned int q, const struct vh_buf *bufs,
	    unsigned int n, uint64_t lo, uint64_t hi, uint32_t *len);

/*
 * Device-writable chains the driver posts on one queue, each one buffer
 * of RAM [lo, hi) in up to four descriptors, found again by their head
 * in the used ring: what receive queues (net, console) fill.
 */
struct vh_rx_chain {
	bool valid;
	uint16_t off, size;
	uint16_t first_len;	/* of its first descriptor */
};

struct vh_rx {
	unsigned int q;
	uint16_t lo, hi, next;
	unsigned int gen;	/* of struct vh when the table was made */
	struct vh_rx_chain chain[VIRTQ_NUM_MAX];
};

void vh_rx_init(struct vh_rx *rx, unsigned int q, uint16_t lo, uint16_t hi);
/*
 * Posts n chains of size bytes (filled with 0xcc) in pieces descriptors
 * each and kicks; the buffers start over at lo when the device holds
 * none. The used entries the kick added go to check(from, to) when the
 * queue was sane (vh_ring_sane()) before it.
 */
void vh_rx_post(struct vh *h, struct vh_rx *rx, unsigned int n, uint16_t size,
		unsigned int pieces,
		void (*check)(struct vh *h, uint16_t from, uint16_t to));
/* The chain with this head as vh_rx_post() made it, or NULL. */
const struct vh_rx_chain *vh_rx_chain(struct vh *h, struct vh_rx *rx,
				      uint32_t head);

/*
 * The ops every virtio target understands, one byte each and their
 * arguments from the input (mkseeds.c writes them the same way). An
 * opcode past these goes to the target's own dev_op, with the opcode
 * minus VH_OP_DEVICE.
 */
enum vh_op {
	VH_OP_WRITE32,		/* u16 offset, u32 value */
	VH_OP_READ,		/* u16 offset, u8 width */
	VH_OP_WRITE,		/* u16 offset, u8 width, u64 value */
	VH_OP_KICK,		/* u8 queue */
	VH_OP_FEATURES,		/* u64 driver features: reset .. FEATURES_OK */
	VH_OP_QUEUE,		/* u8 queue, u8 log2 size, u16 x3 ring offsets */
	VH_OP_DRIVER_OK,
	VH_OP_RESET,		/* Status = 0 */
	VH_OP_CHAIN,		/* u8 queue, u8 n, n x (u16 off, u16 len, u8 w) */
	VH_OP_POKE,		/* u16 RAM offset, blob */
	VH_OP_MACHINE_RESET,	/* virtio_mmio_reset() */
	VH_OP_DEVICE,		/* and up: the target's */
};

/*
 * Runs the ops in f against h; dev_op (may be NULL) gets the target's
 * own, and is called with the device settled; it must leave it so.
 */
void vh_run(struct vh *h, struct fz *f,
	    void (*dev_op)(struct vh *h, unsigned int op, struct fz *f));

/* Waits until the device has done what was asked of it (see above). */
void vh_settle(struct vh *h);

#endif
