// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <string.h>
#include <time.h>

#include <armz/virtio.h>
#include <armz/virtio-console.h>

#include "unit.h"
#include "virtio-ring.h"

struct con_fixture {
	struct guest_mem mem;
	struct test_ring rx, tx;
	struct tr_irq irq;
	struct virtio_device *dev;
	struct virtio_mmio *vm;

	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool hold;			/* out() blocks while set */
	unsigned int out_entered;	/* calls of out() so far, held or not */
	char out[256];
	size_t out_len;
	unsigned int out_calls;
	unsigned int notified;
};

static struct virtio_device *con_make(virtio_console_out_fn out, void *ctx)
{
	struct virtio_device *dev;

	return virtio_console_new(out, ctx, &dev) ? NULL : dev;
}

static int con_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct con_fixture *f = ctx;

	pthread_mutex_lock(&f->lock);
	f->out_entered++;
	pthread_cond_broadcast(&f->cond);
	while (f->hold)
		pthread_cond_wait(&f->cond, &f->lock);
	if (f->out_len + len <= sizeof(f->out)) {
		memcpy(f->out + f->out_len, buf, len);
		f->out_len += len;
	}
	f->out_calls++;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static void con_notify(void *ctx)
{
	struct con_fixture *f = ctx;

	__atomic_fetch_add(&f->notified, 1, __ATOMIC_SEQ_CST);
}

static unsigned int notified(struct con_fixture *f)
{
	return __atomic_load_n(&f->notified, __ATOMIC_SEQ_CST);
}

static struct con_fixture *fx_new(void)
{
	struct con_fixture *f = calloc(1, sizeof(*f));

	pthread_mutex_init(&f->lock, NULL);
	pthread_cond_init(&f->cond, NULL);
	tr_mem_init(&f->mem);
	tr_init(&f->rx, &f->mem, 16, TR_RING0);
	tr_init(&f->tx, &f->mem, 16, TR_RING1);
	tr_irq_init(&f->irq);
	f->dev = con_make(con_out, f);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->dev);
	virtio_console_set_rx_notify(f->dev, con_notify, f);
	f->vm = tr_transport(f->dev, &f->mem, &f->irq.line,
				MEMMAP_VIRTIO_BASE, MEMMAP_SPI_VIRTIO_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vm);
	return f;
}

static void fx_start(struct con_fixture *f)
{
	CU_ASSERT_TRUE(tr_negotiate(f->vm, VIRTIO_BIT(VIRTIO_F_VERSION_1)) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(f->vm, VIRTIO_CONSOLE_RX_QUEUE, &f->rx);
	tr_setup_queue(f->vm, VIRTIO_CONSOLE_TX_QUEUE, &f->tx);
	tr_driver_ok(f->vm);
}

static void fx_free(struct con_fixture *f)
{
	virtio_mmio_free(f->vm);
	tr_mem_free(&f->mem);
	pthread_mutex_destroy(&f->lock);
	pthread_cond_destroy(&f->cond);
	free(f);
}

static void put(struct con_fixture *f, uint64_t gpa, const char *s)
{
	memcpy(tr_at(&f->mem, gpa), s, strlen(s));
}

static void test_tx_in_order(void)
{
	struct con_fixture *f = fx_new();

	fx_start(f);
	/* "hello " in one chain, "wor" + "ld" in a second one. */
	put(f, TR_BUF, "hello ");
	put(f, TR_BUF + 0x100, "wor");
	put(f, TR_BUF + 0x200, "ld");
	tr_desc(&f->tx, 0, TR_BUF, 6, 0, 0);
	tr_desc(&f->tx, 1, TR_BUF + 0x100, 3, VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->tx, 2, TR_BUF + 0x200, 2, 0, 0);
	tr_avail(&f->tx, 0);
	tr_avail(&f->tx, 1);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_CONSOLE_TX_QUEUE);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->tx, 2));
	pthread_mutex_lock(&f->lock);
	CU_ASSERT_EQUAL(f->out_len, 11);
	CU_ASSERT_EQUAL(memcmp(f->out, "hello world", 11), 0);
	pthread_mutex_unlock(&f->lock);
	CU_ASSERT_EQUAL(tr_used_id(&f->tx, 0), 0);
	CU_ASSERT_EQUAL(tr_used_id(&f->tx, 1), 1);
	CU_ASSERT_EQUAL(tr_used_len(&f->tx, 1), 0);
	fx_free(f);
}

/* Waits up to 5 s until the worker has called out() n times. */
static bool wait_out_entered(struct con_fixture *f, unsigned int n)
{
	struct timespec until;
	bool ok;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += 5;
	pthread_mutex_lock(&f->lock);
	while (f->out_entered < n &&
	       !pthread_cond_timedwait(&f->cond, &f->lock, &until))
		;
	ok = f->out_entered >= n;
	pthread_mutex_unlock(&f->lock);
	return ok;
}

static void test_tx_back_pressure(void)
{
	struct con_fixture *f = fx_new();

	fx_start(f);
	f->hold = true;
	put(f, TR_BUF, "slow");
	tr_desc(&f->tx, 0, TR_BUF, 4, 0, 0);
	tr_avail(&f->tx, 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_CONSOLE_TX_QUEUE);
	/*
	 * The worker is inside out() and stuck there: the buffer must still
	 * be with the device (no sleep: however slow the worker, this is
	 * the moment it has the data and has not written it).
	 */
	CU_ASSERT_TRUE_FATAL(wait_out_entered(f, 1));
	CU_ASSERT_EQUAL(tr_used_idx(&f->tx), 0);
	pthread_mutex_lock(&f->lock);
	f->hold = false;
	pthread_cond_broadcast(&f->cond);
	pthread_mutex_unlock(&f->lock);
	CU_ASSERT_TRUE(tr_wait_used(&f->tx, 1));
	pthread_mutex_lock(&f->lock);
	CU_ASSERT_EQUAL(f->out_len, 4);
	pthread_mutex_unlock(&f->lock);
	fx_free(f);
}

static void test_rx(void)
{
	struct con_fixture *f = fx_new();
	struct virtio_stats st;
	unsigned int n;
	int i;

	/* Not started: nothing accepted. */
	CU_ASSERT_EQUAL(virtio_console_receive(f->dev,
					       (const uint8_t *)"x", 1), 0);
	CU_ASSERT_FALSE(virtio_console_rx_room(f->dev));
	fx_start(f);
	CU_ASSERT_TRUE(notified(f) >= 1);	/* start wakes the input */
	CU_ASSERT_FALSE(virtio_console_rx_room(f->dev));
	CU_ASSERT_EQUAL(virtio_console_receive(f->dev,
					       (const uint8_t *)"x", 1), 0);

	/* The guest posts two 4-byte buffers and kicks. */
	n = notified(f);
	tr_desc(&f->rx, 0, TR_BUF, 4, VIRTQ_DESC_F_WRITE, 0);
	tr_desc(&f->rx, 1, TR_BUF + 0x100, 4, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->rx, 0);
	tr_avail(&f->rx, 1);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_CONSOLE_RX_QUEUE);
	for (i = 0; i < 5000 && notified(f) == n; i++)
		usleep(1000);
	CU_ASSERT_TRUE(notified(f) > n);
	CU_ASSERT_TRUE(virtio_console_rx_room(f->dev));

	CU_ASSERT_EQUAL(virtio_console_receive(f->dev,
					       (const uint8_t *)"abcdefghij",
					       10), 8);
	CU_ASSERT_EQUAL(tr_used_idx(&f->rx), 2);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 0), 4);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 1), 4);
	CU_ASSERT_EQUAL(memcmp(tr_at(&f->mem, TR_BUF), "abcd", 4), 0);
	CU_ASSERT_EQUAL(memcmp(tr_at(&f->mem, TR_BUF + 0x100), "efgh", 4), 0);
	CU_ASSERT_TRUE(tr_irq_count(&f->irq) >= 1);
	CU_ASSERT_FALSE(virtio_console_rx_room(f->dev));

	/* The rest goes into the next buffer. */
	tr_desc(&f->rx, 2, TR_BUF + 0x200, 16, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->rx, 2);
	CU_ASSERT_EQUAL(virtio_console_receive(f->dev,
					       (const uint8_t *)"ij", 2), 2);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 2), 2);
	CU_ASSERT_EQUAL(memcmp(tr_at(&f->mem, TR_BUF + 0x200), "ij", 2), 0);
	virtio_dev_stats(f->dev, &st);
	CU_ASSERT_EQUAL(st.bytes_out, 10);

	/* After a reset nothing is accepted until the driver is back. */
	tr_w32(f->vm, VIRTIO_MMIO_STATUS, 0);
	tr_desc(&f->rx, 3, TR_BUF + 0x300, 16, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->rx, 3);
	CU_ASSERT_EQUAL(virtio_console_receive(f->dev,
					       (const uint8_t *)"z", 1), 0);
	fx_free(f);
}

static void test_size(void)
{
	struct virtio_device *dev = con_make(con_out, NULL);
	struct guest_mem mem;
	struct virtio_mmio *vm;
	uint8_t b[4];

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_FALSE(dev->features & VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE));
	virtio_console_set_size(dev, 132, 43);
	CU_ASSERT_TRUE(dev->features & VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE));
	tr_mem_init(&mem);
	vm = tr_transport(dev, &mem, NULL, MEMMAP_VIRTIO_BASE, 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_CONSOLE);
	virtio_mmio_ops.read(vm, VIRTIO_MMIO_CONFIG, b, 4);
	CU_ASSERT_EQUAL(memcmp(b, "\x84\x00\x2b\x00", 4), 0);
	virtio_console_set_size(dev, 80, 25);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_CONFIG), 80 | 25 << 16);
	virtio_mmio_free(vm);
	tr_mem_free(&mem);
}

static const CU_TestInfo virtio_console_tests[] = {
	{ "tx reaches out() in order", test_tx_in_order },
	{ "tx back-pressure", test_tx_back_pressure },
	{ "rx fills posted buffers", test_rx },
	{ "terminal size", test_size },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_console, virtio_console_tests)
