// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include <libfdt.h>

#include <armz/dt.h>
#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/test-exit.h>

#include "unit.h"

struct exits {
	unsigned int calls;
	int status;
};

static void record_exit(void *ctx, int status)
{
	struct exits *e = ctx;

	e->calls++;
	e->status = status;
}

static void te_write(struct test_exit *t, uint64_t off, uint64_t v,
		     unsigned int len)
{
	uint8_t data[8];

	le_write_sized(data, v, len);
	test_exit_mmio_ops.write(t, off, data, len);
}

static struct test_exit *te_make(test_exit_fn fn, void *ctx)
{
	struct test_exit *t;

	return test_exit_new(fn, ctx, &t) ? NULL : t;
}

static void test_exit_status(void)
{
	struct exits e = { 0, -1 };
	struct test_exit *t = te_make(record_exit, &e);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	te_write(t, TEST_EXIT_REG_STATUS, 0x2a, 4);
	CU_ASSERT_EQUAL(e.calls, 1);
	CU_ASSERT_EQUAL(e.status, 42);

	te_write(t, TEST_EXIT_REG_STATUS, TEST_EXIT_PASS, 4);
	CU_ASSERT_EQUAL(e.calls, 2);
	CU_ASSERT_EQUAL(e.status, 0);

	/* Only the low eight bits are the status. */
	te_write(t, TEST_EXIT_REG_STATUS, 0x12345601, 4);
	CU_ASSERT_EQUAL(e.calls, 3);
	CU_ASSERT_EQUAL(e.status, 1);
	te_write(t, TEST_EXIT_REG_STATUS, 0xffffffffffffff00ULL | 255, 8);
	CU_ASSERT_EQUAL(e.calls, 4);
	CU_ASSERT_EQUAL(e.status, 255);

	/* Other offsets do nothing. */
	te_write(t, TEST_EXIT_REG_ID, 7, 4);
	te_write(t, 1, 7, 1);
	te_write(t, 0x100, 7, 4);
	CU_ASSERT_EQUAL(e.calls, 4);
	CU_ASSERT_EQUAL(e.status, 255);
	test_exit_free(t);
}

static void test_exit_id(void)
{
	struct exits e = { 0, -1 };
	struct test_exit *t = te_make(record_exit, &e);
	uint8_t data[8];

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	memset(data, 0xa5, sizeof(data));
	test_exit_mmio_ops.read(t, TEST_EXIT_REG_ID, data, 4);
	CU_ASSERT_EQUAL(memcmp(data, "ARMZ", 4), 0);
	CU_ASSERT_EQUAL(le32_read(data), TEST_EXIT_ID);

	/* A byte probe sees the same bytes. */
	test_exit_mmio_ops.read(t, TEST_EXIT_REG_ID + 3, data, 1);
	CU_ASSERT_EQUAL(data[0], 'Z');

	memset(data, 0xa5, sizeof(data));
	test_exit_mmio_ops.read(t, 0, data, 8);
	CU_ASSERT_EQUAL(le64_read(data), (uint64_t)TEST_EXIT_ID << 32);

	memset(data, 0xa5, sizeof(data));
	test_exit_mmio_ops.read(t, TEST_EXIT_REG_STATUS, data, 4);
	CU_ASSERT_EQUAL(le32_read(data), 0);
	memset(data, 0xa5, sizeof(data));
	test_exit_mmio_ops.read(t, MEMMAP_TEST_EXIT_SIZE - 8, data, 8);
	CU_ASSERT_EQUAL(le64_read(data), 0);
	/* Reads have no side effects. */
	CU_ASSERT_EQUAL(e.calls, 0);
	test_exit_free(t);
}

static void record_booted(void *ctx)
{
	struct exits *e = ctx;

	e->status = 1000 + (int)e->calls;
}

/* BOOTED only notes the time: it must never end the run. */
static void test_exit_booted(void)
{
	struct exits e = { 0, -1 };
	struct test_exit *t = te_make(record_exit, &e);

	CU_ASSERT_PTR_NOT_NULL_FATAL(t);
	te_write(t, TEST_EXIT_REG_BOOTED, 1, 4);
	CU_ASSERT_EQUAL(e.calls, 0);
	CU_ASSERT_EQUAL(e.status, -1);
	test_exit_on_booted(t, record_booted);
	te_write(t, TEST_EXIT_REG_BOOTED, 1, 4);
	CU_ASSERT_EQUAL(e.calls, 0);
	CU_ASSERT_EQUAL(e.status, 1000);
	te_write(t, TEST_EXIT_REG_STATUS, 7, 4);
	CU_ASSERT_EQUAL(e.calls, 1);
	CU_ASSERT_EQUAL(e.status, 7);
	test_exit_free(t);
}

static void test_exit_fdt(void)
{
	struct dt_ctx ctx = { .gic_phandle = 1, .gic_version = 3 };
	static char buf[2048];
	const fdt32_t *p;
	int node, len;

	CU_ASSERT_EQUAL(fdt_create(buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(fdt_finish_reservemap(buf), 0);
	CU_ASSERT_EQUAL(fdt_begin_node(buf, ""), 0);
	CU_ASSERT_EQUAL(unit_dt_node(&test_exit_mmio_ops, NULL,
				     MEMMAP_TEST_EXIT_BASE, MEMMAP_TEST_EXIT_SIZE,
				     buf, &ctx), 0);
	CU_ASSERT_EQUAL(fdt_end_node(buf), 0);
	CU_ASSERT_EQUAL_FATAL(fdt_finish(buf), 0);

	node = fdt_node_offset_by_compatible(buf, -1, "armz,test-exit");
	CU_ASSERT_FATAL(node >= 0);
	p = fdt_getprop(buf, node, "reg", &len);
	CU_ASSERT_FATAL(p && len == 16);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[1]), MEMMAP_TEST_EXIT_BASE);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[3]), MEMMAP_TEST_EXIT_SIZE);
	CU_ASSERT_PTR_NULL(fdt_getprop(buf, node, "interrupts", &len));
}

static const CU_TestInfo test_exit_tests[] = {
	{ "booted register", test_exit_booted },
	{ "status", test_exit_status },
	{ "id", test_exit_id },
	{ "fdt node", test_exit_fdt },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(test_exit, test_exit_tests)
