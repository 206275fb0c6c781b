/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_H
#define ARMZ_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include <armz/bus.h>
#include <armz/guest-mem.h>
#include <armz/irq.h>
#include <armz/memmap.h>
#include <armz/virtqueue.h>

/*
 * Virtio devices over the virtio-mmio transport, version 2 only (virtio
 * 1.2, 4.2). Two halves:
 *
 *  - struct virtio_device: what a device (rng, blk, console, net) fills in
 *    and the callbacks it implements. It knows nothing of MMIO.
 *  - struct virtio_mmio: the transport. It owns the registers, feature
 *    negotiation, the status state machine, the queues' registers and kick
 *    eventfds, the interrupt status, and the device's worker threads.
 *
 * Threads. MMIO callbacks run on vCPU threads. Each device has one or more
 * worker threads (dev->nr_workers) that exist only while the driver has
 * set DRIVER_OK; queue q is served by worker q % nr_workers, which polls
 * the queue's kick eventfd and calls ops->queue_notify(). Workers start on
 * DRIVER_OK and are stopped and joined on a device reset (Status = 0), on
 * virtio_mmio_reset() and virtio_mmio_free(). A worker never takes the
 * transport's register lock, so a vCPU that resets the device while a
 * worker is busy simply waits for the worker to finish its request.
 *
 * Notification. Every queue has a kick eventfd. The VMM registers it with
 * KVM_IOEVENTFD at virtio_mmio_notify_addr() (4 bytes, datamatch = queue
 * index), so the guest's QueueNotify write wakes the worker without a
 * userspace exit; a QueueNotify write that does reach the MMIO handler
 * writes the same eventfd.
 */

/* Device status bits (2.1). */
#define VIRTIO_STATUS_ACKNOWLEDGE	1
#define VIRTIO_STATUS_DRIVER		2
#define VIRTIO_STATUS_DRIVER_OK		4
#define VIRTIO_STATUS_FEATURES_OK	8
#define VIRTIO_STATUS_NEEDS_RESET	64
#define VIRTIO_STATUS_FAILED		128

/* Transport feature bits (6); the ring bits are in virtqueue.h. */
#define VIRTIO_F_VERSION_1		32

#define VIRTIO_BIT(n)			(1ULL << (n))

/* Device IDs (5). */
#define VIRTIO_ID_NET			1
#define VIRTIO_ID_BLOCK			2
#define VIRTIO_ID_CONSOLE		3
#define VIRTIO_ID_RNG			4

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
#define VIRTIO_CONFIG_MAX		(VIRTIO_MMIO_SIZE - VIRTIO_MMIO_CONFIG)

/* Most queues and backend fds one device can have. */
#define VIRTIO_QUEUES_MAX		64
#define VIRTIO_WORKER_FDS_MAX		8

/*
 * Counters for the machine's report. Devices add with virtio_stat_add()
 * from any thread; virtio_dev_stats() takes a snapshot.
 */
struct virtio_stats {
	uint64_t requests;	/* chains completed */
	uint64_t bytes_in;	/* guest -> device: tx data, disk writes */
	uint64_t bytes_out;	/* device -> guest: rx data, disk reads */
	uint64_t errors;	/* requests that failed (I/O error, bad ring) */
	uint64_t kicks;		/* driver notifications */
	uint64_t interrupts;	/* interrupts raised */
};

struct virtio_device;
struct virtq_chain;

struct virtio_device_ops {
	/*
	 * DRIVER_OK: features are negotiated (dev->features_acked) and the
	 * ready queues are live; called on a vCPU thread before the workers
	 * start. A negative return refuses: the device needs a reset. May be
	 * NULL.
	 */
	int (*start)(struct virtio_device *dev);
	/* After the workers are joined on a reset: drop per-run state. */
	void (*stop)(struct virtio_device *dev);
	/* Worker thread: the driver kicked queue q. Usually one
	 * virtio_dev_process() call. */
	void (*queue_notify)(struct virtio_device *dev, unsigned int q);
	/*
	 * Extra descriptors worker w polls (a tap, a socket): fills fds with
	 * up to VIRTIO_WORKER_FDS_MAX of them and returns how many. Called
	 * as each worker starts. Both may be NULL.
	 */
	unsigned int (*worker_fds)(struct virtio_device *dev, unsigned int w,
				   int *fds);
	void (*fd_ready)(struct virtio_device *dev, unsigned int w, int fd,
			 short revents);
	/* Writes to the device config space (data LE); NULL ignores them. */
	void (*config_write)(struct virtio_device *dev, unsigned int off,
			     const void *data, unsigned int len);
	/* Releases the device; the transport calls it from its own free. */
	void (*free)(struct virtio_device *dev);
};

/*
 * Embedded in each device's own struct. The device fills the first block
 * before virtio_mmio_new(); the transport owns the rest.
 */
struct virtio_device {
	const struct virtio_device_ops *ops;
	const char *name;		/* "virtio-blk", for messages */
	uint32_t id;			/* VIRTIO_ID_* */
	uint64_t features;		/* device-specific feature bits */
	unsigned int num_queues;	/* 1 .. VIRTIO_QUEUES_MAX */
	unsigned int queue_size;	/* QueueNumMax, power of 2 */
	unsigned int nr_workers;	/* 1 .. num_queues */
	uint8_t *config;		/* LE config space image */
	unsigned int config_size;	/* up to VIRTIO_CONFIG_MAX */

	/* Transport-owned. */
	struct virtio_mmio *transport;
	uint64_t features_acked;	/* valid from start() to stop() */
	struct virtio_stats stats;
	bool warned;
};

/* Feature bits every device gets from the transport. */
#define VIRTIO_TRANSPORT_FEATURES					\
	(VIRTIO_BIT(VIRTIO_F_VERSION_1) |				\
	 VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC) |			\
	 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX))

/* --- For devices (any thread unless said otherwise) --- */

static inline void virtio_stat_add(uint64_t *counter, uint64_t n)
{
	__atomic_fetch_add(counter, n, __ATOMIC_RELAXED);
}

static inline bool virtio_dev_has(const struct virtio_device *dev,
				  unsigned int bit)
{
	return dev->features_acked & VIRTIO_BIT(bit);
}

/*
 * The live queue q while the device runs, or NULL (not running, no such
 * queue, queue not set up by the driver). Only the thread serving q, or a
 * device thread holding its own lock across start()/stop(), may use it.
 */
struct virtq *virtio_dev_vq(struct virtio_device *dev, unsigned int q);

/* Raises a used-buffer interrupt if the driver wants one for queue q. */
void virtio_dev_notify(struct virtio_device *dev, unsigned int q);

/*
 * The driver broke queue q (virtq_pop() failed; err_msg() has the
 * reason): stop using it, set DEVICE_NEEDS_RESET and raise a config
 * change interrupt. armz reports the first one on stderr.
 */
void virtio_dev_fail(struct virtio_device *dev, unsigned int q);

/*
 * Changes config space bytes [off, off + len) and tells the driver
 * (generation counter, config change interrupt).
 */
void virtio_dev_config_update(struct virtio_device *dev, unsigned int off,
			      const void *data, unsigned int len);

/*
 * Handles one chain: returns 0 with *used_len = bytes written into the
 * chain's writable buffers, or a negative errno if the chain is malformed
 * in a way that breaks the queue.
 */
typedef int (*virtio_handler_fn)(struct virtio_device *dev, unsigned int q,
				 const struct virtq_chain *chain,
				 uint32_t *used_len);

/*
 * Worker thread helper: pops every available chain of queue q, hands each
 * to handle, pushes it and interrupts as the driver asks; re-arms the kick
 * before returning. A malformed ring ends in virtio_dev_fail().
 */
void virtio_dev_process(struct virtio_device *dev, unsigned int q,
			virtio_handler_fn handle);

/*
 * True while the transport is stopping the workers (a reset): a handler
 * doing long work in steps gives up between them. False without one.
 */
bool virtio_dev_stopping(const struct virtio_device *dev);

void virtio_dev_stats(const struct virtio_device *dev,
		      struct virtio_stats *out);

/* --- For the VMM --- */

struct virtio_mmio;

/*
 * A transport for dev at guest physical base (one VIRTIO_MMIO_SIZE slot),
 * interrupting through irq (may be NULL: polled guests) which is SPI spi
 * in the device tree. mem must outlive the transport. Takes ownership of
 * dev even on failure. NULL with err_msg() set on failure.
 */
struct virtio_mmio *virtio_mmio_new(struct virtio_device *dev,
				    const struct guest_mem *mem,
				    struct irq_line *irq, uint64_t base,
				    unsigned int spi);
/* Stops the workers, frees the device and the transport. NULL is fine. */
void virtio_mmio_free(struct virtio_mmio *vm);

/* Machine reset: as if the driver wrote 0 to Status. */
void virtio_mmio_reset(struct virtio_mmio *vm);
/* Stops the workers (before guest RAM goes away); a reset in effect. */
void virtio_mmio_stop(struct virtio_mmio *vm);

/* opaque = struct virtio_mmio *; register at base, VIRTIO_MMIO_SIZE. */
extern const struct mmio_ops virtio_mmio_ops;

/* An fdt_node_writer (opaque = struct virtio_mmio *). */
struct fdt_ctx;
int virtio_mmio_fdt_node(void *opaque, void *fdt, const struct fdt_ctx *ctx);

/* For KVM_IOEVENTFD: one eventfd per queue at the QueueNotify address. */
unsigned int virtio_mmio_num_queues(const struct virtio_mmio *vm);
int virtio_mmio_kick_fd(const struct virtio_mmio *vm, unsigned int q);
uint64_t virtio_mmio_notify_addr(const struct virtio_mmio *vm);

struct virtio_device *virtio_mmio_device(const struct virtio_mmio *vm);

#endif
