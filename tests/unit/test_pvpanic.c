// SPDX-License-Identifier: GPL-2.0
#include <string.h>

#include <libfdt.h>

#include <armz/dt.h>
#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/pvpanic.h>

#include "unit.h"

struct panics {
	unsigned int calls;
	uint32_t events;
};

static void record_panic(void *ctx, uint32_t events)
{
	struct panics *p = ctx;

	p->calls++;
	p->events = events;
}

static void pv_write(struct pvpanic *p, uint64_t off, uint64_t v,
		     unsigned int len)
{
	uint8_t data[8];

	le_write_sized(data, v, len);
	pvpanic_mmio_ops.write(p, off, data, len);
}

static uint64_t pv_read(struct pvpanic *p, uint64_t off, unsigned int len)
{
	uint8_t data[8];

	memset(data, 0xa5, sizeof(data));
	pvpanic_mmio_ops.read(p, off, data, len);
	return le_read_sized(data, len);
}

static struct pvpanic *pv_make(pvpanic_fn fn, void *ctx)
{
	struct pvpanic *p;

	return pvpanic_new(fn, ctx, &p) ? NULL : p;
}

static void test_pvpanic_read(void)
{
	struct panics rec = { 0, 0 };
	struct pvpanic *p = pv_make(record_panic, &rec);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	CU_ASSERT_EQUAL(pv_read(p, 0, 1), 3);
	CU_ASSERT_EQUAL(pv_read(p, 0, 4), 3);
	CU_ASSERT_EQUAL(pv_read(p, 0, 8), 3);
	CU_ASSERT_EQUAL(pv_read(p, 1, 1), 0);
	CU_ASSERT_EQUAL(pv_read(p, MEMMAP_PVPANIC_SIZE - 4, 4), 0);
	CU_ASSERT_EQUAL(rec.calls, 0);
	pvpanic_free(p);
}

static void test_pvpanic_write(void)
{
	struct panics rec = { 0, 0 };
	struct pvpanic *p = pv_make(record_panic, &rec);

	CU_ASSERT_PTR_NOT_NULL_FATAL(p);
	pv_write(p, 0, 0, 1);
	CU_ASSERT_EQUAL(rec.calls, 0);
	/* Crash kernel loaded: the guest deals with it, no callback. */
	pv_write(p, 0, PVPANIC_CRASH_LOADED, 1);
	CU_ASSERT_EQUAL(rec.calls, 0);
	/* Not the register. */
	pv_write(p, 1, PVPANIC_PANICKED, 1);
	CU_ASSERT_EQUAL(rec.calls, 0);

	pv_write(p, 0, PVPANIC_PANICKED, 1);
	CU_ASSERT_EQUAL(rec.calls, 1);
	CU_ASSERT_EQUAL(rec.events, PVPANIC_PANICKED);

	/* Unsupported bits are not passed on; byte 0 of a wide store is it. */
	pv_write(p, 0, 0xfffffff0 | PVPANIC_PANICKED | PVPANIC_CRASH_LOADED,
		 4);
	CU_ASSERT_EQUAL(rec.calls, 2);
	CU_ASSERT_EQUAL(rec.events, PVPANIC_PANICKED | PVPANIC_CRASH_LOADED);
	pv_write(p, 0, 0x100, 4);
	CU_ASSERT_EQUAL(rec.calls, 2);
	pvpanic_free(p);
}

static void test_pvpanic_fdt(void)
{
	struct dt_ctx ctx = { .gic_phandle = 1, .gic_version = 3 };
	static char buf[2048];
	const fdt32_t *reg;
	int node, len;

	CU_ASSERT_EQUAL(fdt_create(buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(fdt_finish_reservemap(buf), 0);
	CU_ASSERT_EQUAL(fdt_begin_node(buf, ""), 0);
	CU_ASSERT_EQUAL(unit_dt_node(&pvpanic_mmio_ops, NULL, MEMMAP_PVPANIC_BASE,
				     MEMMAP_PVPANIC_SIZE, buf, &ctx), 0);
	CU_ASSERT_EQUAL(fdt_end_node(buf), 0);
	CU_ASSERT_EQUAL_FATAL(fdt_finish(buf), 0);

	node = fdt_node_offset_by_compatible(buf, -1, "qemu,pvpanic-mmio");
	CU_ASSERT_FATAL(node >= 0);
	reg = fdt_getprop(buf, node, "reg", &len);
	CU_ASSERT_FATAL(reg && len == 16);
	CU_ASSERT_EQUAL(fdt32_to_cpu(reg[1]), MEMMAP_PVPANIC_BASE);
	CU_ASSERT_EQUAL(fdt32_to_cpu(reg[3]), MEMMAP_PVPANIC_SIZE);
}

static const CU_TestInfo pvpanic_tests[] = {
	{ "read", test_pvpanic_read },
	{ "write", test_pvpanic_write },
	{ "fdt node", test_pvpanic_fdt },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(pvpanic, pvpanic_tests)
