// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include <armz/virtio.h>
#include <armz/virtio-rng.h>

#include "unit.h"
#include "virtio-ring.h"

struct rng_fixture {
	struct guest_mem mem;
	struct test_ring t;
	struct tr_irq irq;
	struct virtio_mmio *vm;
};

static struct virtio_device *rng_make(void)
{
	struct virtio_device *dev;

	return virtio_rng_new(&dev) ? NULL : dev;
}

static struct rng_fixture *fx_new(void)
{
	struct rng_fixture *f = calloc(1, sizeof(*f));
	struct virtio_device *dev = rng_make();

	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(dev->id, VIRTIO_ID_RNG);
	tr_mem_init(&f->mem);
	tr_init(&f->t, &f->mem, 16, TR_RING0);
	tr_irq_init(&f->irq);
	f->vm = tr_transport(dev, &f->mem, &f->irq.line,
				MEMMAP_VIRTIO_BASE, MEMMAP_SPI_VIRTIO_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vm);
	CU_ASSERT_TRUE(tr_negotiate(f->vm, VIRTIO_BIT(VIRTIO_F_VERSION_1)) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(f->vm, 0, &f->t);
	tr_driver_ok(f->vm);
	return f;
}

static void fx_free(struct rng_fixture *f)
{
	virtio_mmio_free(f->vm);
	tr_mem_free(&f->mem);
	free(f);
}

static bool all_zero(const uint8_t *p, size_t len)
{
	while (len--)
		if (*p++)
			return false;
	return true;
}

static void test_rng_fills(void)
{
	struct rng_fixture *f = fx_new();
	struct virtio_stats st;

	/* A readable buffer (ignored), then 40 + 24 writable bytes. */
	tr_desc(&f->t, 0, TR_BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, TR_BUF + 0x100, 40,
		VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->t, 2, TR_BUF + 0x200, 24, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->t, 1));
	CU_ASSERT_EQUAL(tr_used_id(&f->t, 0), 0);
	CU_ASSERT_EQUAL(tr_used_len(&f->t, 0), 64);
	CU_ASSERT_TRUE(all_zero(tr_host(&f->t, TR_BUF), 16));
	CU_ASSERT_FALSE(all_zero(tr_host(&f->t, TR_BUF + 0x100), 40));
	CU_ASSERT_FALSE(all_zero(tr_host(&f->t, TR_BUF + 0x200), 24));
	/* Nothing written past the buffers. */
	CU_ASSERT_TRUE(all_zero(tr_host(&f->t, TR_BUF + 0x100 + 40), 0xd8));
	CU_ASSERT_TRUE(all_zero(tr_host(&f->t, TR_BUF + 0x200 + 24), 0x100));
	CU_ASSERT_TRUE(tr_wait_irq(&f->irq, 1));
	virtio_dev_stats(virtio_mmio_device(f->vm), &st);
	CU_ASSERT_EQUAL(st.requests, 1);
	CU_ASSERT_EQUAL(st.bytes_out, 64);
	fx_free(f);
}

static void test_rng_bounded(void)
{
	struct rng_fixture *f = fx_new();
	const uint32_t big = 600 << 10;

	/* 1.2 MB asked for (the same buffer twice): 1 MiB given. */
	tr_desc(&f->t, 3, TR_BUF, big, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT,
		4);
	tr_desc(&f->t, 4, TR_BUF, big, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 3);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->t, 1));
	CU_ASSERT_EQUAL(tr_used_id(&f->t, 0), 3);
	CU_ASSERT_EQUAL(tr_used_len(&f->t, 0), 1 << 20);
	fx_free(f);
}

static const CU_TestInfo virtio_rng_tests[] = {
	{ "fills writable buffers", test_rng_fills },
	{ "one request is bounded", test_rng_bounded },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_rng, virtio_rng_tests)
