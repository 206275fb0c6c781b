// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/eventfd.h>

#include <libfdt.h>

#include <armz/dt.h>
#include <armz/virtio.h>

#include "unit.h"
#include "virtio-ring.h"

#define BASE		(MEMMAP_VIRTIO_BASE + 3 * MEMMAP_VIRTIO_SLOT_SIZE)
#define SPI		(MEMMAP_SPI_VIRTIO_BASE + 3)
#define QSIZE		64
#define F_DEV		VIRTIO_BIT(0)	/* the device-specific bit */
#define F_V1		VIRTIO_BIT(VIRTIO_F_VERSION_1)

/* A device with two queues that fills writable buffers with 0xab. */
struct dummy {
	struct virtio_device dev;
	uint8_t config[16];
	unsigned int starts, stops, frees;
	unsigned int notifies;	/* kicks fully served, interrupts raised */
};

static int dummy_handle(struct virtio_device *dev, unsigned int q,
			const struct virtq_chain *chain, uint32_t *used_len)
{
	unsigned int i;

	for (i = chain->nread; i < chain->count; i++)
		memset(chain->buf[i].addr, 0xab, chain->buf[i].len);
	*used_len = (uint32_t)chain->write_len;
	return 0;
}

static void dummy_notify(struct virtio_device *dev, unsigned int q)
{
	virtio_dev_process(dev, q, dummy_handle);
	__atomic_fetch_add(&((struct dummy *)dev)->notifies, 1,
			   __ATOMIC_SEQ_CST);
}

/* Waits up to 5 s until the worker has served n kicks to the end. */
static bool wait_notifies(struct dummy *d, unsigned int n)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (__atomic_load_n(&d->notifies, __ATOMIC_SEQ_CST) >= n)
			return true;
		usleep(1000);
	}
	return false;
}

/* This process's threads, as the kernel counts them. */
static int thread_count(void)
{
	char line[128];
	int n = -1;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "Threads: %d", &n) == 1)
			break;
	if (f)
		fclose(f);
	return n;
}

/*
 * Waits up to 5 s for the thread count to come down to n: a joined
 * thread leaves the count a moment after pthread_join() returns.
 */
static bool wait_thread_count(int n)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (thread_count() == n)
			return true;
		usleep(1000);
	}
	return false;
}

/* A kick written to q's eventfd that no worker has read. */
static bool kick_pending(struct virtio_mmio *vm, unsigned int q)
{
	struct pollfd p = { .fd = virtio_mmio_kick_fd(vm, q), .events = POLLIN };

	return poll(&p, 1, 0) == 1;
}

static int dummy_start(struct virtio_device *dev)
{
	((struct dummy *)dev)->starts++;
	return 0;
}

static void dummy_stop(struct virtio_device *dev)
{
	((struct dummy *)dev)->stops++;
}

static void dummy_free(struct virtio_device *dev)
{
	((struct dummy *)dev)->frees++;
}

static const struct virtio_device_ops dummy_ops = {
	.start = dummy_start,
	.stop = dummy_stop,
	.queue_notify = dummy_notify,
	.free = dummy_free,
};

struct mmio_fixture {
	struct guest_mem mem;
	struct test_ring t0, t1;
	struct tr_irq irq;
	struct dummy d;
	struct virtio_mmio *vm;
};

static struct mmio_fixture *fx_new(void)
{
	struct mmio_fixture *f = calloc(1, sizeof(*f));
	unsigned int i;

	tr_mem_init(&f->mem);
	tr_init(&f->t0, &f->mem, 16, TR_RING0);
	tr_init(&f->t1, &f->mem, 16, TR_RING1);
	tr_irq_init(&f->irq);
	for (i = 0; i < sizeof(f->d.config); i++)
		f->d.config[i] = (uint8_t)(0x10 + i);
	f->d.dev = (struct virtio_device){
		.ops = &dummy_ops, .name = "dummy", .id = 42,
		.features = F_DEV, .num_queues = 2, .queue_size = QSIZE,
		.nr_workers = 1, .config = f->d.config,
		.config_size = sizeof(f->d.config),
	};
	f->vm = tr_transport(&f->d.dev, &f->mem, &f->irq.line, BASE, SPI);
	CU_ASSERT_PTR_NOT_NULL(f->vm);
	return f;
}

static void fx_free(struct mmio_fixture *f)
{
	virtio_mmio_free(f->vm);
	CU_ASSERT_EQUAL(f->d.frees, 1);
	tr_mem_free(&f->mem);
	free(f);
}

static uint32_t status(struct mmio_fixture *f)
{
	return tr_r32(f->vm, VIRTIO_MMIO_STATUS);
}

static void test_identity(void)
{
	struct mmio_fixture *f = fx_new();
	uint8_t b[4];

	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_MAGIC_VALUE), 0x74726976);
	/* "virt" in guest memory order. */
	virtio_mmio_ops.read(f->vm, VIRTIO_MMIO_MAGIC_VALUE, b, 4);
	CU_ASSERT_EQUAL(memcmp(b, "virt", 4), 0);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_VERSION), 2);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DEVICE_ID), 42);
	CU_ASSERT_NOT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_VENDOR_ID), 0);
	CU_ASSERT_EQUAL(status(f), 0);
	CU_ASSERT_EQUAL(virtio_mmio_num_queues(f->vm), 2);
	CU_ASSERT_EQUAL(virtio_mmio_notify_addr(f->vm), BASE + 0x50);
	CU_ASSERT_TRUE(virtio_mmio_kick_fd(f->vm, 1) >= 0);
	CU_ASSERT_EQUAL(virtio_mmio_kick_fd(f->vm, 2), -1);
	fx_free(f);
}

static void test_features(void)
{
	struct mmio_fixture *f = fx_new();
	uint32_t lo, hi;

	tr_w32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	lo = tr_r32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES);
	tr_w32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	hi = tr_r32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES);
	tr_w32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES), 0);
	CU_ASSERT_EQUAL(lo, (1u << 0) | (1u << VIRTIO_RING_F_INDIRECT_DESC) |
			(1u << VIRTIO_RING_F_EVENT_IDX));
	CU_ASSERT_EQUAL(hi, 1u << (VIRTIO_F_VERSION_1 - 32));

	/* No VERSION_1: FEATURES_OK does not stick. */
	CU_ASSERT_FALSE(tr_negotiate(f->vm, F_DEV) &
			VIRTIO_STATUS_FEATURES_OK);
	CU_ASSERT_EQUAL(status(f), VIRTIO_STATUS_ACKNOWLEDGE |
			VIRTIO_STATUS_DRIVER);
	/* DRIVER_OK without FEATURES_OK is refused too. */
	tr_driver_ok(f->vm);
	CU_ASSERT_FALSE(status(f) & VIRTIO_STATUS_DRIVER_OK);
	/* A bit the device does not offer. */
	CU_ASSERT_FALSE(tr_negotiate(f->vm, F_V1 | VIRTIO_BIT(5)) &
			VIRTIO_STATUS_FEATURES_OK);
	/* A subset with VERSION_1 is fine and visible through the Sel. */
	CU_ASSERT_TRUE(tr_negotiate(f->vm, F_V1 | F_DEV) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_w32(f->vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DRIVER_FEATURES), 1);
	/* Frozen after FEATURES_OK. */
	tr_w32(f->vm, VIRTIO_MMIO_DRIVER_FEATURES, 0);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DRIVER_FEATURES), 1);
	tr_w32(f->vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DRIVER_FEATURES), 1);
	/* Status bits cannot be cleared without a reset. */
	tr_w32(f->vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	CU_ASSERT_TRUE(status(f) & VIRTIO_STATUS_FEATURES_OK);
	/* Nor can the driver set NEEDS_RESET. */
	tr_w32(f->vm, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_NEEDS_RESET |
	       VIRTIO_STATUS_ACKNOWLEDGE);
	CU_ASSERT_FALSE(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	fx_free(f);
}

static void test_queue_registers(void)
{
	struct mmio_fixture *f = fx_new();
	struct virtio_mmio *vm = f->vm;

	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM_MAX), QSIZE);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 24);	/* not a power of 2 */
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 2 * QSIZE);	/* above the max */
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 16);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), 16);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x12345000);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH, 0x9);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH, 0x7);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW), 0x12345000);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DESC_HIGH), 0x9);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DEVICE_HIGH), 0x7);
	/* Queue 0 kept its own values. */
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), QSIZE);

	/* Once ready, the layout is fixed. */
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 1);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_READY), 1);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 32);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x2000);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), 16);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW), 0x12345000);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DRIVER_LOW), 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_READY, 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 32);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), 32);

	/* A queue the device does not have. */
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 2);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM_MAX), 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	fx_free(f);
}

static void test_reset(void)
{
	struct mmio_fixture *f = fx_new();
	struct virtio_mmio *vm = f->vm;

	tr_negotiate(vm, F_V1);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 1);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 8);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x4000);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	tr_w32(vm, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(status(f), 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_SEL), 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_READY), 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_NUM), QSIZE);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW), 0);
	tr_w32(vm, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_DRIVER_FEATURES), 0);
	/* The machine reset does the same. */
	tr_negotiate(vm, F_V1);
	virtio_mmio_reset(vm);
	CU_ASSERT_EQUAL(status(f), 0);
	fx_free(f);
}

static void test_config_space(void)
{
	struct mmio_fixture *f = fx_new();
	uint8_t b[8];
	static const uint8_t zero[8];
	uint32_t gen;

	virtio_mmio_ops.read(f->vm, 0x101, b, 1);
	CU_ASSERT_EQUAL(b[0], 0x11);
	virtio_mmio_ops.read(f->vm, 0x102, b, 2);
	CU_ASSERT_EQUAL(memcmp(b, "\x12\x13", 2), 0);
	virtio_mmio_ops.read(f->vm, 0x104, b, 4);
	CU_ASSERT_EQUAL(memcmp(b, "\x14\x15\x16\x17", 4), 0);
	CU_ASSERT_EQUAL(tr_r32(f->vm, 0x104), 0x17161514);
	virtio_mmio_ops.read(f->vm, 0x108, b, 8);
	CU_ASSERT_EQUAL(memcmp(b, "\x18\x19\x1a\x1b\x1c\x1d\x1e\x1f", 8), 0);
	/* Past the end of the config space: zeros. */
	memset(b, 0xff, sizeof(b));
	virtio_mmio_ops.read(f->vm, 0x10c, b, 8);
	CU_ASSERT_EQUAL(memcmp(b, zero, 8), 0);

	/* An update bumps the generation; no interrupt before DRIVER_OK. */
	gen = tr_r32(f->vm, VIRTIO_MMIO_CONFIG_GENERATION);
	virtio_dev_config_update(&f->d.dev, 4, "\x99", 1);
	CU_ASSERT_NOT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_CONFIG_GENERATION), gen);
	virtio_mmio_ops.read(f->vm, 0x104, b, 1);
	CU_ASSERT_EQUAL(b[0], 0x99);
	CU_ASSERT_EQUAL(tr_irq_count(&f->irq), 0);
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	fx_free(f);
}

static void test_notify_kicks_eventfd(void)
{
	struct mmio_fixture *f = fx_new();
	int fd = virtio_mmio_kick_fd(f->vm, 1);
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t v = 0;

	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 5);	/* no such queue */
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 1);
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 1);
	CU_ASSERT_EQUAL(read(fd, &v, sizeof(v)), sizeof(v));
	CU_ASSERT_EQUAL(v, 1);
	/* Queue 0's eventfd is a different one. */
	p.fd = virtio_mmio_kick_fd(f->vm, 0);
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 0);
	fx_free(f);
}

static void test_misaligned_ignored(void)
{
	struct mmio_fixture *f = fx_new();
	uint8_t b[8];

	memset(b, 0xff, sizeof(b));
	virtio_mmio_ops.read(f->vm, VIRTIO_MMIO_MAGIC_VALUE, b, 2);
	CU_ASSERT_EQUAL(b[0] | b[1], 0);
	virtio_mmio_ops.read(f->vm, VIRTIO_MMIO_MAGIC_VALUE + 1, b, 4);
	CU_ASSERT_EQUAL(le32_read(b), 0);
	virtio_mmio_ops.read(f->vm, VIRTIO_MMIO_MAGIC_VALUE, b, 8);
	CU_ASSERT_EQUAL(le64_read(b), 0);
	le32_write(b, VIRTIO_STATUS_ACKNOWLEDGE);
	virtio_mmio_ops.write(f->vm, VIRTIO_MMIO_STATUS, b, 1);
	virtio_mmio_ops.write(f->vm, VIRTIO_MMIO_STATUS, b, 2);
	virtio_mmio_ops.write(f->vm, VIRTIO_MMIO_STATUS + 2, b, 4);
	CU_ASSERT_EQUAL(status(f), 0);
	virtio_mmio_ops.write(f->vm, VIRTIO_MMIO_STATUS, b, 4);
	CU_ASSERT_EQUAL(status(f), VIRTIO_STATUS_ACKNOWLEDGE);
	fx_free(f);
}

/* Posts a 32-byte writable buffer on t and kicks queue q through MMIO. */
static void post_and_kick(struct mmio_fixture *f, struct test_ring *t,
			  unsigned int q, uint64_t buf)
{
	tr_desc(t, 0, buf, 32, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(t, 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/*
 * The negative checks here wait for a positive signal, never for time: a
 * kick still unread in its eventfd while no worker thread exists, or the
 * worker's own count of kicks served to the end.
 */
static void test_device_runs(void)
{
	struct mmio_fixture *f = fx_new();
	struct virtio_mmio *vm = f->vm;
	struct virtio_stats st;
	int threads = thread_count();

	CU_ASSERT_FATAL(threads > 0);
	CU_ASSERT_TRUE(tr_negotiate(vm, F_V1) & VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(vm, 0, &f->t0);
	tr_setup_queue(vm, 1, &f->t1);
	/*
	 * A kick before DRIVER_OK waits in the eventfd: no worker thread
	 * exists yet that could take it.
	 */
	post_and_kick(f, &f->t1, 1, TR_BUF + 0x100);
	CU_ASSERT_EQUAL(thread_count(), threads);
	CU_ASSERT_TRUE(kick_pending(vm, 1));
	CU_ASSERT_EQUAL(tr_used_idx(&f->t1), 0);
	tr_driver_ok(vm);
	CU_ASSERT_EQUAL(f->d.starts, 1);
	CU_ASSERT_TRUE(tr_wait_used(&f->t1, 1));
	CU_ASSERT_EQUAL(tr_used_len(&f->t1, 0), 32);
	CU_ASSERT_EQUAL(tr_host(&f->t1, TR_BUF + 0x100)[31], 0xab);
	/* Served to the end, interrupt included: exactly one. */
	CU_ASSERT_TRUE(wait_notifies(&f->d, 1));
	CU_ASSERT_EQUAL(tr_irq_count(&f->irq), 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			VIRTIO_MMIO_INT_VRING);
	tr_w32(vm, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);

	post_and_kick(f, &f->t0, 0, TR_BUF);
	CU_ASSERT_TRUE(tr_wait_used(&f->t0, 1));
	CU_ASSERT_TRUE(wait_notifies(&f->d, 2));
	CU_ASSERT_EQUAL(tr_irq_count(&f->irq), 2);
	virtio_dev_stats(&f->d.dev, &st);
	CU_ASSERT_EQUAL(st.requests, 2);
	CU_ASSERT_EQUAL(st.kicks, 2);
	CU_ASSERT_EQUAL(st.interrupts, 2);

	/*
	 * Reset stops the device: its workers are gone, so a later kick
	 * stays unread and unserved.
	 */
	tr_w32(vm, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(f->d.stops, 1);
	CU_ASSERT_TRUE(wait_thread_count(threads));
	post_and_kick(f, &f->t0, 0, TR_BUF);
	CU_ASSERT_TRUE(kick_pending(vm, 0));
	CU_ASSERT_EQUAL(tr_used_idx(&f->t0), 1);
	CU_ASSERT_EQUAL(f->d.notifies, 2);
	fx_free(f);
}

/*
 * A device whose queues another process serves: kicks stay in the
 * eventfds for it, and with an interrupt eventfd InterruptStatus shows a
 * used-buffer interrupt whenever the device runs.
 */
static void test_external_device(void)
{
	struct mmio_fixture *f = calloc(1, sizeof(*f));
	struct virtio_device *dev = &f->d.dev;
	int efd = eventfd(0, EFD_CLOEXEC);
	struct pollfd p;
	struct virtio_mmio *vm;

	tr_mem_init(&f->mem);
	tr_init(&f->t0, &f->mem, 16, TR_RING0);
	tr_init(&f->t1, &f->mem, 16, TR_RING1);
	tr_irq_init(&f->irq);
	f->irq.line.fd = efd;
	*dev = (struct virtio_device){
		.ops = &dummy_ops, .name = "external", .id = 26,
		.num_queues = 2, .queue_size = QSIZE, .nr_workers = 1,
		.external = true,
	};
	vm = f->vm = tr_transport(dev, &f->mem, &f->irq.line, BASE, SPI);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	CU_ASSERT_EQUAL(virtio_dev_kick_fd(dev, 1), virtio_mmio_kick_fd(vm, 1));
	CU_ASSERT_EQUAL(virtio_dev_kick_fd(dev, 2), -1);
	CU_ASSERT_EQUAL(virtio_dev_irq_fd(dev), efd);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	tr_negotiate(vm, F_V1);
	tr_setup_queue(vm, 0, &f->t0);
	tr_setup_queue(vm, 1, &f->t1);
	tr_driver_ok(vm);
	CU_ASSERT_EQUAL(f->d.starts, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			VIRTIO_MMIO_INT_VRING);
	/* The worker leaves the kick for the backend. */
	post_and_kick(f, &f->t1, 1, TR_BUF);
	usleep(20000);
	p = (struct pollfd){ .fd = virtio_mmio_kick_fd(vm, 1), .events = POLLIN };
	CU_ASSERT_EQUAL(poll(&p, 1, 0), 1);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t1), 0);
	virtio_dev_interrupt(dev);
	CU_ASSERT_EQUAL(tr_irq_count(&f->irq), 1);
	tr_w32(vm, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(f->d.stops, 1);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	fx_free(f);
	close(efd);
}

static void test_malformed_ring_needs_reset(void)
{
	struct mmio_fixture *f = fx_new();
	struct virtio_mmio *vm = f->vm;

	tr_negotiate(vm, F_V1);
	tr_setup_queue(vm, 0, &f->t0);
	tr_driver_ok(vm);
	/* A descriptor that chains to itself. */
	tr_desc(&f->t0, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	tr_avail(&f->t0, 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	/* Status first, then the interrupt: wait for the latter. */
	CU_ASSERT_TRUE(tr_wait_irq(&f->irq, 1));
	CU_ASSERT_TRUE(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	CU_ASSERT_TRUE(status(f) & VIRTIO_STATUS_DRIVER_OK);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			VIRTIO_MMIO_INT_CONFIG);
	CU_ASSERT_EQUAL(tr_irq_count(&f->irq), 1);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t0), 0);
	/* The driver resets and starts over; the device works again. */
	tr_negotiate(vm, F_V1);
	CU_ASSERT_EQUAL(status(f) & VIRTIO_STATUS_NEEDS_RESET, 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS), 0);
	f->t0.avail_idx = 0;
	memset(tr_host(&f->t0, f->t0.desc), 0, 0x3000);
	tr_setup_queue(vm, 0, &f->t0);
	tr_driver_ok(vm);
	post_and_kick(f, &f->t0, 0, TR_BUF);
	CU_ASSERT_TRUE(tr_wait_used(&f->t0, 1));
	fx_free(f);
}

static void test_bad_ring_address(void)
{
	struct mmio_fixture *f = fx_new();
	struct virtio_mmio *vm = f->vm;

	tr_negotiate(vm, F_V1);
	tr_setup_queue(vm, 0, &f->t0);
	/* Descriptor table outside RAM: DRIVER_OK cannot start. */
	tr_w32(vm, VIRTIO_MMIO_QUEUE_SEL, 1);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NUM, 16);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_DESC_LOW, 0x1000);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_READY, 1);
	tr_driver_ok(vm);
	CU_ASSERT_TRUE(status(f) & VIRTIO_STATUS_NEEDS_RESET);
	CU_ASSERT_EQUAL(f->d.starts, 0);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			VIRTIO_MMIO_INT_CONFIG);
	fx_free(f);
}

static void test_dt_node(void)
{
	struct mmio_fixture *f = fx_new();
	struct dt_ctx ctx = { .gic_phandle = 1, .gic_version = 3 };
	static uint8_t buf[4096];
	const fdt32_t *p;
	int node, len;

	CU_ASSERT_EQUAL(fdt_create(buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(fdt_finish_reservemap(buf), 0);
	CU_ASSERT_EQUAL(fdt_begin_node(buf, ""), 0);
	CU_ASSERT_EQUAL(fdt_property_u32(buf, "#address-cells", 2), 0);
	CU_ASSERT_EQUAL(fdt_property_u32(buf, "#size-cells", 2), 0);
	CU_ASSERT_EQUAL(unit_dt_node(&virtio_mmio_ops, f->vm, BASE,
				     VIRTIO_MMIO_SIZE, buf, &ctx), 0);
	CU_ASSERT_EQUAL(fdt_end_node(buf), 0);
	CU_ASSERT_EQUAL(fdt_finish(buf), 0);

	node = fdt_path_offset(buf, "/virtio_mmio@a000600");
	CU_ASSERT_TRUE(node >= 0);
	CU_ASSERT_EQUAL(fdt_node_check_compatible(buf, node, "virtio,mmio"), 0);
	CU_ASSERT_PTR_NOT_NULL(fdt_getprop(buf, node, "dma-coherent", &len));
	p = fdt_getprop(buf, node, "reg", &len);
	CU_ASSERT_EQUAL(len, 16);
	if (p && len == 16) {
		CU_ASSERT_EQUAL(fdt32_to_cpu(p[1]), (uint32_t)BASE);
		CU_ASSERT_EQUAL(fdt32_to_cpu(p[3]), VIRTIO_MMIO_SIZE);
	}
	p = fdt_getprop(buf, node, "interrupts", &len);
	CU_ASSERT_EQUAL(len, 12);
	if (p && len == 12) {
		CU_ASSERT_EQUAL(fdt32_to_cpu(p[0]), DT_IRQ_TYPE_SPI);
		CU_ASSERT_EQUAL(fdt32_to_cpu(p[1]), SPI);
		CU_ASSERT_EQUAL(fdt32_to_cpu(p[2]), DT_IRQ_EDGE_RISING);
	}
	fx_free(f);
}

static void test_bad_device_rejected(void)
{
	struct guest_mem mem = { 0 };
	struct dummy d = { 0 };

	d.dev = (struct virtio_device){
		.ops = &dummy_ops, .name = "dummy", .num_queues = 1,
		.queue_size = 48, .nr_workers = 1,
	};
	CU_ASSERT_PTR_NULL(tr_transport(&d.dev, &mem, NULL, BASE, SPI));
	/* Ownership passed even on failure. */
	CU_ASSERT_EQUAL(d.frees, 1);
}

static const CU_TestInfo virtio_mmio_tests[] = {
	{ "a device another process serves", test_external_device },
	{ "magic, version, ids", test_identity },
	{ "feature negotiation", test_features },
	{ "queue registers", test_queue_registers },
	{ "reset clears state", test_reset },
	{ "config space widths", test_config_space },
	{ "QueueNotify writes the kick eventfd", test_notify_kicks_eventfd },
	{ "misaligned accesses ignored", test_misaligned_ignored },
	{ "device thread serves queues", test_device_runs },
	{ "malformed ring needs reset", test_malformed_ring_needs_reset },
	{ "ring outside RAM", test_bad_ring_address },
	{ "device tree node", test_dt_node },
	{ "bad device rejected", test_bad_device_rejected },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_mmio, virtio_mmio_tests)
