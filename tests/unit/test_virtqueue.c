// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/virtqueue.h>

#include "unit.h"
#include "virtio-ring.h"

#define NUM		16
#define F_INDIRECT	VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC)
#define F_EVENT_IDX	VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX)
#define F_IND		VIRTQ_DESC_F_INDIRECT

struct vq_fixture {
	struct guest_mem mem;
	struct test_ring t;
	struct virtq vq;
	struct virtq_chain chain;
};

static struct vq_fixture *fx_new(uint64_t features)
{
	struct vq_fixture *f = calloc(1, sizeof(*f));

	tr_mem_init(&f->mem);
	tr_init(&f->t, &f->mem, NUM, TR_RING0);
	CU_ASSERT_EQUAL(virtq_init(&f->vq, &f->mem, NUM, f->t.desc,
				   f->t.avail, f->t.used, features), 0);
	return f;
}

static void fx_free(struct vq_fixture *f)
{
	tr_mem_free(&f->mem);
	free(f);
}

/* Pops one chain and expects it to be rejected and the queue broken. */
static void expect_bad(struct vq_fixture *f)
{
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), -EINVAL);
	CU_ASSERT_TRUE(f->vq.broken);
	CU_ASSERT_TRUE(virtq_pop(&f->vq, &f->chain) < 0);
}

static void test_init_checks(void)
{
	struct guest_mem mem;
	struct virtq vq;

	tr_mem_init(&mem);
	CU_ASSERT_EQUAL(virtq_init(&vq, &mem, 3, TR_RING0, TR_RING0 + 0x1000,
				   TR_RING0 + 0x2000, 0), -EINVAL);
	CU_ASSERT_EQUAL(virtq_init(&vq, &mem, 512, TR_RING0,
				   TR_RING0 + 0x1000, TR_RING0 + 0x2000, 0),
			-EINVAL);
	/* Descriptor table must be 16-byte aligned, used ring 4-byte. */
	CU_ASSERT_EQUAL(virtq_init(&vq, &mem, 16, TR_RING0 + 8,
				   TR_RING0 + 0x1000, TR_RING0 + 0x2000, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(virtq_init(&vq, &mem, 16, TR_RING0, TR_RING0 + 0x1000,
				   TR_RING0 + 0x2002, 0), -EINVAL);
	/* Used ring running off the end of RAM. */
	CU_ASSERT_EQUAL(virtq_init(&vq, &mem, 16, TR_RING0, TR_RING0 + 0x1000,
				   MEMMAP_RAM_BASE + TR_RAM_SIZE - 64, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(virtq_init(&vq, &mem, 16, TR_RING0, TR_RING0 + 0x1000,
				   TR_RING0 + 0x2000, 0), 0);
	tr_mem_free(&mem);
}

static void test_simple_chain(void)
{
	struct vq_fixture *f = fx_new(0);

	memcpy(tr_host(&f->t, TR_BUF), "header-bytes-16!", 16);
	tr_desc(&f->t, 3, TR_BUF, 16, VIRTQ_DESC_F_NEXT, 7);
	tr_desc(&f->t, 7, TR_BUF + 0x100, 32, VIRTQ_DESC_F_WRITE, 0);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 0);
	tr_avail(&f->t, 3);
	CU_ASSERT_TRUE(virtq_has_avail(&f->vq));
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(f->chain.head, 3);
	CU_ASSERT_EQUAL(f->chain.count, 2);
	CU_ASSERT_EQUAL(f->chain.nread, 1);
	CU_ASSERT_EQUAL(f->chain.read_len, 16);
	CU_ASSERT_EQUAL(f->chain.write_len, 32);
	CU_ASSERT_PTR_EQUAL(f->chain.buf[0].addr, tr_host(&f->t, TR_BUF));
	CU_ASSERT_FALSE(f->chain.buf[0].write);
	CU_ASSERT_PTR_EQUAL(f->chain.buf[1].addr,
			    tr_host(&f->t, TR_BUF + 0x100));
	CU_ASSERT_TRUE(f->chain.buf[1].write);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 0);
	CU_ASSERT_FALSE(virtq_has_avail(&f->vq));
	fx_free(f);
}

static void test_chain_copy(void)
{
	struct vq_fixture *f = fx_new(0);
	struct iovec iov[4];
	char out[12] = { 0 };

	memcpy(tr_host(&f->t, TR_BUF), "abcd", 4);
	memcpy(tr_host(&f->t, TR_BUF + 0x10), "efghij", 6);
	tr_desc(&f->t, 0, TR_BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, TR_BUF + 0x10, 6, VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->t, 2, TR_BUF + 0x20, 3, VIRTQ_DESC_F_WRITE |
		VIRTQ_DESC_F_NEXT, 3);
	tr_desc(&f->t, 3, TR_BUF + 0x30, 5, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	/* Reads span buffer boundaries and stop at the readable part. */
	CU_ASSERT_EQUAL(virtq_chain_read(&f->chain, 2, out, sizeof(out)), 8);
	CU_ASSERT_EQUAL(memcmp(out, "cdefghij", 8), 0);
	CU_ASSERT_EQUAL(virtq_chain_write(&f->chain, 1, "XYZW", 4), 4);
	CU_ASSERT_EQUAL(memcmp(tr_host(&f->t, TR_BUF + 0x20), "\0XY", 3), 0);
	CU_ASSERT_EQUAL(memcmp(tr_host(&f->t, TR_BUF + 0x30), "ZW", 2), 0);
	CU_ASSERT_EQUAL(virtq_chain_write(&f->chain, 6, "12345", 5), 2);
	CU_ASSERT_EQUAL(virtq_chain_iov(&f->chain, false, 3, 5, iov, 4), 2);
	CU_ASSERT_PTR_EQUAL(iov[0].iov_base, tr_host(&f->t, TR_BUF + 3));
	CU_ASSERT_EQUAL(iov[0].iov_len, 1);
	CU_ASSERT_EQUAL(iov[1].iov_len, 4);
	CU_ASSERT_EQUAL(virtq_chain_iov(&f->chain, true, 0, 100, iov, 4), 2);
	CU_ASSERT_EQUAL(iov[0].iov_len + iov[1].iov_len, 8);
	fx_free(f);
}

static void test_indirect(void)
{
	struct vq_fixture *f = fx_new(F_INDIRECT);

	tr_desc_at(&f->t, TR_TABLE, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	tr_desc_at(&f->t, TR_TABLE, 1, TR_BUF + 0x100, 100,
		   VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 2);
	tr_desc_at(&f->t, TR_TABLE, 2, TR_BUF + 0x200, 4,
		   VIRTQ_DESC_F_WRITE, 0);
	/* A normal descriptor, then the indirect one: both are allowed. */
	tr_desc(&f->t, 5, TR_BUF + 0x300, 16, VIRTQ_DESC_F_NEXT, 6);
	tr_desc(&f->t, 6, TR_TABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	tr_avail(&f->t, 5);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(f->chain.head, 5);
	CU_ASSERT_EQUAL(f->chain.count, 4);
	CU_ASSERT_EQUAL(f->chain.nread, 2);
	CU_ASSERT_EQUAL(f->chain.read_len, 24);
	CU_ASSERT_EQUAL(f->chain.write_len, 104);
	CU_ASSERT_PTR_EQUAL(f->chain.buf[3].addr,
			    tr_host(&f->t, TR_BUF + 0x200));
	fx_free(f);

	/* Not negotiated: the driver may not use it. */
	f = fx_new(0);
	tr_desc_at(&f->t, TR_TABLE, 0, TR_BUF, 8, 0, 0);
	tr_desc(&f->t, 0, TR_TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);
}

static void test_loop(void)
{
	struct vq_fixture *f = fx_new(0);

	tr_desc(&f->t, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);

	/* A loop inside an indirect table. */
	f = fx_new(F_INDIRECT);
	tr_desc_at(&f->t, TR_TABLE, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 0);
	tr_desc(&f->t, 0, TR_TABLE, 16, VIRTQ_DESC_F_INDIRECT, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);
}

static void test_chain_at_queue_size(void)
{
	struct vq_fixture *f = fx_new(0);
	unsigned int i;

	/* Exactly NUM descriptors is fine... */
	for (i = 0; i < NUM; i++)
		tr_desc(&f->t, i, TR_BUF + i, 1,
			i + 1 < NUM ? VIRTQ_DESC_F_NEXT : 0, i + 1);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(f->chain.count, NUM);
	/* ... and a next beyond the table is not. */
	tr_desc(&f->t, NUM - 1, TR_BUF, 1, VIRTQ_DESC_F_NEXT, NUM);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);
}

/*
 * A next just past the table, in a short chain, with a valid descriptor
 * lying in memory where entry 'next' would be: only the bound on next
 * refuses it (the chain-length bound is far off).
 */
static void test_next_beyond_table(void)
{
	struct vq_fixture *f = fx_new(0);

	tr_desc(&f->t, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, NUM);
	tr_desc(&f->t, NUM, TR_BUF + 0x100, 8, 0, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);

	/* The same in a 2-entry indirect table of a 16-entry queue. */
	f = fx_new(F_INDIRECT);
	tr_desc_at(&f->t, TR_TABLE, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	tr_desc_at(&f->t, TR_TABLE, 1, TR_BUF + 0x100, 8, VIRTQ_DESC_F_NEXT,
		   2);
	tr_desc_at(&f->t, TR_TABLE, 2, TR_BUF + 0x200, 8, 0, 0);
	tr_desc(&f->t, 0, TR_TABLE, 2 * 16, F_IND, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);
}

static void test_out_of_ram(void)
{
	static const struct {
		uint64_t addr;
		uint32_t len;
	} bad[] = {
		{ MEMMAP_RAM_BASE + TR_RAM_SIZE - 4, 8 },	/* straddles */
		{ MEMMAP_RAM_BASE + TR_RAM_SIZE, 1 },		/* past */
		{ MEMMAP_RAM_BASE - 8, 16 },			/* below */
		{ 0xfffffffffffffff0ULL, 0x20 },		/* wraps */
		{ MEMMAP_RAM_BASE, 0xffffffff },		/* huge */
	};
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct vq_fixture *f = fx_new(0);

		tr_desc(&f->t, 0, TR_BUF, 8, VIRTQ_DESC_F_NEXT, 1);
		tr_desc(&f->t, 1, bad[i].addr, bad[i].len,
			VIRTQ_DESC_F_WRITE, 0);
		tr_avail(&f->t, 0);
		expect_bad(f);
		fx_free(f);
	}
}

static void test_zero_length(void)
{
	struct vq_fixture *f = fx_new(0);

	/* Zero-length descriptors are skipped, even with a wild address. */
	tr_desc(&f->t, 0, TR_BUF, 4, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, 0xdead0000ULL, 0, VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->t, 2, TR_BUF + 0x100, 1, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(f->chain.count, 2);
	CU_ASSERT_EQUAL(f->chain.read_len, 4);
	CU_ASSERT_EQUAL(f->chain.write_len, 1);
	/* A chain of nothing at all is still a chain. */
	tr_desc(&f->t, 3, 0, 0, 0, 0);
	tr_avail(&f->t, 3);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(f->chain.count, 0);
	/* The largest length that fits in RAM. */
	tr_desc(&f->t, 4, MEMMAP_RAM_BASE, TR_RAM_SIZE, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 4);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(f->chain.write_len, TR_RAM_SIZE);
	fx_free(f);
}

static void test_bad_indirect(void)
{
	struct vq_fixture *f;
	int i;

	for (i = 0; i < 5; i++) {
		f = fx_new(F_INDIRECT);
		tr_desc_at(&f->t, TR_TABLE, 0, TR_BUF, 8, 0, 0);
		switch (i) {
		case 0:		/* not a multiple of 16 */
			tr_desc(&f->t, 0, TR_TABLE, 40, F_IND, 0);
			break;
		case 1:		/* empty */
			tr_desc(&f->t, 0, TR_TABLE, 0, F_IND, 0);
			break;
		case 2:		/* outside RAM */
			tr_desc(&f->t, 0, MEMMAP_RAM_BASE + TR_RAM_SIZE - 16,
				32, F_IND, 0);
			break;
		case 3:		/* nested */
			tr_desc_at(&f->t, TR_TABLE, 0, TR_TABLE + 0x100, 16,
				   F_IND, 0);
			tr_desc(&f->t, 0, TR_TABLE, 16, F_IND, 0);
			break;
		case 4:		/* indirect with NEXT */
			tr_desc(&f->t, 0, TR_TABLE, 16,
				F_IND | VIRTQ_DESC_F_NEXT, 1);
			tr_desc(&f->t, 1, TR_BUF, 8, 0, 0);
			break;
		}
		tr_avail(&f->t, 0);
		expect_bad(f);
		fx_free(f);
	}
}

static void test_wrong_direction(void)
{
	struct vq_fixture *f = fx_new(0);

	tr_desc(&f->t, 0, TR_BUF, 8, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, TR_BUF + 0x100, 8, 0, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);

	/* An empty writable descriptor still ends the readable part. */
	f = fx_new(0);
	tr_desc(&f->t, 0, TR_BUF, 0, VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, TR_BUF + 0x100, 8, 0, 0);
	tr_avail(&f->t, 0);
	expect_bad(f);
	fx_free(f);
}

static void test_avail_too_far(void)
{
	struct vq_fixture *f = fx_new(0);
	unsigned int i;

	/* A full ring is fine... */
	for (i = 0; i < NUM; i++)
		tr_desc(&f->t, i, TR_BUF, 8, 0, 0);
	tr_set_avail_idx(&f->t, NUM);
	for (i = 0; i < NUM; i++)
		CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 0);
	/* ... more than a ring's worth ahead is not. */
	tr_set_avail_idx(&f->t, 2 * NUM + 1);
	expect_bad(f);
	fx_free(f);

	/* A head index beyond the queue. */
	f = fx_new(0);
	tr_avail(&f->t, NUM);
	expect_bad(f);
	fx_free(f);
}

static void test_used_ring(void)
{
	struct vq_fixture *f = fx_new(0);
	const uint8_t *u = tr_host(&f->t, f->t.used);
	static const uint8_t want[] = {
		0, 0, 2, 0,			/* flags, idx = 2 */
		0x05, 0, 0, 0, 0x78, 0x56, 0x34, 0x12,	/* id 5 */
		0x0f, 0, 0, 0, 0x01, 0, 0, 0,		/* id 15, len 1 */
	};

	virtq_push(&f->vq, 5, 0x12345678);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t), 1);
	virtq_push(&f->vq, 15, 1);
	CU_ASSERT_EQUAL(memcmp(u, want, sizeof(want)), 0);
	/* Wrapping: entry NUM lands in slot 0 again. */
	f->vq.used_idx = NUM;
	virtq_push(&f->vq, 9, 3);
	CU_ASSERT_EQUAL(tr_used_id(&f->t, 0), 9);
	CU_ASSERT_EQUAL(tr_used_len(&f->t, 0), 3);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t), NUM + 1);
	/* Batched: nothing visible until the flush. */
	virtq_fill(&f->vq, 0, 1, 10);
	virtq_fill(&f->vq, 1, 2, 20);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t), NUM + 1);
	virtq_flush(&f->vq, 2);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t), NUM + 3);
	CU_ASSERT_EQUAL(tr_used_id(&f->t, NUM + 2), 2);
	CU_ASSERT_EQUAL(tr_used_len(&f->t, NUM + 2), 20);
	fx_free(f);
}

static void test_no_interrupt_flag(void)
{
	struct vq_fixture *f = fx_new(0);

	virtq_push(&f->vq, 0, 0);
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));
	/* Nothing new: nothing to say. */
	CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	le16_write(tr_host(&f->t, f->t.avail), VIRTQ_AVAIL_F_NO_INTERRUPT);
	virtq_push(&f->vq, 0, 0);
	CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	le16_write(tr_host(&f->t, f->t.avail), 0);
	virtq_push(&f->vq, 0, 0);
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));
	fx_free(f);
}

static void test_event_idx(void)
{
	struct vq_fixture *f = fx_new(F_EVENT_IDX);
	int i;

	/* The flag means nothing once event indexes are in use. */
	le16_write(tr_host(&f->t, f->t.avail), VIRTQ_AVAIL_F_NO_INTERRUPT);
	virtq_push(&f->vq, 0, 0);			/* used 1 */
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));
	/* Driver: interrupt me once entry 4 is used (used->idx passes 4). */
	tr_set_used_event(&f->t, 4);
	for (i = 0; i < 3; i++) {			/* used 2, 3, 4 */
		virtq_push(&f->vq, 0, 0);
		CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	}
	virtq_push(&f->vq, 0, 0);			/* used 5 */
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));
	virtq_push(&f->vq, 0, 0);			/* used 6 */
	CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	/* A batch that jumps over the event index still interrupts. */
	tr_set_used_event(&f->t, 7);
	virtq_push(&f->vq, 0, 0);
	virtq_push(&f->vq, 0, 0);
	virtq_push(&f->vq, 0, 0);			/* used 9 */
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));
	/* An event index in the past does not. */
	tr_set_used_event(&f->t, 2);
	virtq_push(&f->vq, 0, 0);
	CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	/* Across the 16-bit wrap. */
	f->vq.used_idx = 0xfffe;
	f->vq.signalled_used = 0xfffe;
	tr_set_used_event(&f->t, 0xffff);
	virtq_push(&f->vq, 0, 0);			/* used 0xffff */
	CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	virtq_push(&f->vq, 0, 0);			/* used 0 */
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));
	fx_free(f);
}

static void test_enable_notify(void)
{
	struct vq_fixture *f = fx_new(F_EVENT_IDX);

	tr_desc(&f->t, 0, TR_BUF, 8, 0, 0);
	tr_avail(&f->t, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_TRUE(virtq_enable_notify(&f->vq));
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_FALSE(virtq_enable_notify(&f->vq));
	/* avail_event: kick me when entry 2 is made available. */
	CU_ASSERT_EQUAL(tr_avail_event(&f->t), 2);
	CU_ASSERT_EQUAL(tr_host(&f->t, f->t.used)[4 + 8 * NUM], 2);
	/* unpop hands chains back. */
	virtq_unpop(&f->vq, 1);
	CU_ASSERT_TRUE(virtq_has_avail(&f->vq));
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	fx_free(f);
}

/* What a vhost backend is handed: the rings and where to go on. */
static void test_layout(void)
{
	struct vq_fixture *f = fx_new(F_INDIRECT | F_EVENT_IDX);
	struct virtq_layout l;
	unsigned int i;

	virtq_get_layout(&f->vq, &l);
	CU_ASSERT_PTR_EQUAL(l.mem, &f->mem);
	CU_ASSERT_PTR_EQUAL(l.desc, tr_host(&f->t, f->t.desc));
	CU_ASSERT_PTR_EQUAL(l.avail, tr_host(&f->t, f->t.avail));
	CU_ASSERT_PTR_EQUAL(l.used, tr_host(&f->t, f->t.used));
	CU_ASSERT_EQUAL(l.num, NUM);
	CU_ASSERT_EQUAL(l.next_avail, 0);
	CU_ASSERT_TRUE(l.indirect);
	CU_ASSERT_TRUE(l.event_idx);

	/* next_avail follows pops and unpops... */
	tr_desc(&f->t, 0, TR_BUF, 8, 0, 0);
	tr_avail(&f->t, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	virtq_get_layout(&f->vq, &l);
	CU_ASSERT_EQUAL(l.next_avail, 2);
	virtq_unpop(&f->vq, 1);
	virtq_get_layout(&f->vq, &l);
	CU_ASSERT_EQUAL(l.next_avail, 1);
	/*
	 * ... in host order, whatever the host's: the driver's LE avail
	 * index 0x0102 is where the device stands after 0x102 chains.
	 */
	for (i = 1; i < 0x102; i++) {
		if (i > 1)
			tr_avail(&f->t, 0);
		CU_ASSERT_EQUAL(virtq_pop(&f->vq, &f->chain), 1);
	}
	virtq_get_layout(&f->vq, &l);
	CU_ASSERT_EQUAL(l.next_avail, 0x0102);
	CU_ASSERT_EQUAL(le16_read(tr_host(&f->t, f->t.avail) + 2), 0x0102);
	fx_free(f);

	f = fx_new(0);
	virtq_get_layout(&f->vq, &l);
	CU_ASSERT_FALSE(l.indirect);
	CU_ASSERT_FALSE(l.event_idx);
	fx_free(f);
}

/* Entries another engine used are counted for interrupts and followed. */
static void test_sync_used(void)
{
	struct vq_fixture *f = fx_new(F_EVENT_IDX);

	tr_used_push(&f->t, 0, 4, 100);
	tr_used_push(&f->t, 1, 5, 200);
	tr_used_push(&f->t, 2, 6, 300);
	/* Not synced: the queue saw nothing used. */
	CU_ASSERT_EQUAL(f->vq.used_idx, 0);
	virtq_sync_used(&f->vq);
	CU_ASSERT_EQUAL(f->vq.used_idx, 3);
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));

	/* used_event 4: no interrupt at 4, one once 5 is passed. */
	tr_set_used_event(&f->t, 4);
	tr_used_push(&f->t, 3, 7, 0);
	virtq_sync_used(&f->vq);
	CU_ASSERT_FALSE(virtq_should_notify(&f->vq));
	tr_used_push(&f->t, 4, 8, 0);
	virtq_sync_used(&f->vq);
	CU_ASSERT_TRUE(virtq_should_notify(&f->vq));

	/* The index is LE in the ring and host order here, on any host. */
	tr_used_push(&f->t, 0x0200, 9, 0);
	virtq_sync_used(&f->vq);
	CU_ASSERT_EQUAL(f->vq.used_idx, 0x0201);
	/* A push of our own goes on from there, not over its entries. */
	virtq_push(&f->vq, 10, 11);
	CU_ASSERT_EQUAL(tr_used_idx(&f->t), 0x0202);
	CU_ASSERT_EQUAL(tr_used_id(&f->t, 0x0201), 10);
	CU_ASSERT_EQUAL(tr_used_len(&f->t, 0x0201), 11);
	CU_ASSERT_EQUAL(tr_used_id(&f->t, 0x0200), 9);
	fx_free(f);
}

static const CU_TestInfo virtqueue_tests[] = {
	{ "init checks rings", test_init_checks },
	{ "simple chain", test_simple_chain },
	{ "chain copy and iovec", test_chain_copy },
	{ "indirect", test_indirect },
	{ "chain loop", test_loop },
	{ "chain as long as the queue", test_chain_at_queue_size },
	{ "next beyond its table", test_next_beyond_table },
	{ "buffer outside RAM", test_out_of_ram },
	{ "zero and huge lengths", test_zero_length },
	{ "bad indirect tables", test_bad_indirect },
	{ "readable after writable", test_wrong_direction },
	{ "avail index too far ahead", test_avail_too_far },
	{ "used ring layout", test_used_ring },
	{ "NO_INTERRUPT flag", test_no_interrupt_flag },
	{ "event index suppression", test_event_idx },
	{ "enable notify", test_enable_notify },
	{ "layout for another engine", test_layout },
	{ "used entries pushed by another engine", test_sync_used },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtqueue, virtqueue_tests)
