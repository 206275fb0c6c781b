/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_H
#define ARMZ_VIRTIO_H

#include <stdbool.h>
#include <stdint.h>

#include <armz/thread.h>
#include <armz/virtqueue.h>

/*
 * The virtio device model: struct virtio_device is what a device (rng,
 * blk, console, net, 9p) fills in, and the callbacks it implements. It
 * knows nothing of MMIO; the transport (virtio-mmio.h) owns the registers,
 * feature negotiation, the status state machine, the queues' registers
 * and kick eventfds, the interrupt status, and the device's worker
 * threads. Each device header names its own device ID (virtio 1.2, 5).
 *
 * Threads. MMIO callbacks run on vCPU threads. Each device has one or more
 * worker threads (dev->nr_workers) that exist only while the driver has
 * set DRIVER_OK; queue q is served by worker q % nr_workers, which polls
 * the queue's kick eventfd and calls ops->queue_notify(). Workers start on
 * DRIVER_OK and are stopped and joined on a device reset (Status = 0), on
 * virtio_mmio_reset() and virtio_mmio_free(), and are made by
 * thread_spawn() in the device's worker_role. A worker never takes the
 * transport's register lock, so a vCPU that resets the device while a
 * worker is busy simply waits for the worker to finish its request.
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

/* Largest device config space (the virtio-mmio window has this much). */
#define VIRTIO_CONFIG_MAX		256

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
	enum thread_role worker_role;	/* what the workers do (thread.h) */
	uint8_t *config;		/* LE config space image */
	unsigned int config_size;	/* up to VIRTIO_CONFIG_MAX */
	/*
	 * Another process serves the queues (vhost-user): the workers poll
	 * no kicks (the backend reads virtio_dev_kick_fd()) and, while the
	 * device runs with an interrupt eventfd, InterruptStatus always
	 * shows a used-buffer interrupt, since the backend signals
	 * virtio_dev_irq_fd() behind the transport's back.
	 */
	bool external;

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

/* --- For devices whose queues another process serves (dev->external) --- */

/* Queue q's kick eventfd (KVM_IOEVENTFD writes it), or -1. */
int virtio_dev_kick_fd(const struct virtio_device *dev, unsigned int q);
/*
 * The eventfd that interrupts the guest directly (KVM_IRQFD), or -1
 * where interrupts go through virtio_dev_interrupt().
 */
int virtio_dev_irq_fd(const struct virtio_device *dev);
/* A used-buffer interrupt, whatever the rings say (any thread). */
void virtio_dev_interrupt(struct virtio_device *dev);

#endif
