// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/bus.h>
#include <armz/le.h>

#include "unit.h"

struct reg_dev {
	uint64_t value;
	uint64_t last_off;
};

static void reg_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct reg_dev *d = opaque;

	d->last_off = off;
	le_write_sized(data, d->value, len);
}

static void reg_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
	struct reg_dev *d = opaque;

	d->last_off = off;
	d->value = le_read_sized(data, len);
}

static const struct mmio_ops reg_ops = { .read = reg_read, .write = reg_write };

static void test_bus_dispatch(void)
{
	struct mmio_bus bus = { 0 };
	struct reg_dev dev = { 0 };
	uint8_t buf[8] = { 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 };

	CU_ASSERT_EQUAL(mmio_bus_add(&bus, 0x1000, 0x100, &reg_ops, &dev), 0);
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, 0x1010, buf, 8, true), 0);
	CU_ASSERT_EQUAL(dev.last_off, 0x10);
	CU_ASSERT_EQUAL(dev.value, 0x8877665544332211ULL);
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, 0x1008, buf, 2, false), 0);
	CU_ASSERT_EQUAL(buf[0], 0x11);
	CU_ASSERT_EQUAL(buf[1], 0x22);
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, 0x10fe, buf, 4, false), -ENOENT);
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, 0x0ffc, buf, 4, false), -ENOENT);
}

static void test_bus_overlap(void)
{
	struct mmio_bus bus = { 0 };
	struct reg_dev dev;

	CU_ASSERT_EQUAL(mmio_bus_add(&bus, 0x1000, 0x100, &reg_ops, &dev), 0);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, 0x10ff, 0x10, &reg_ops, &dev),
			-EEXIST);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, 0x0f00, 0x100, &reg_ops, &dev), 0);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, 0x2000, 0, &reg_ops, &dev), -EINVAL);
}

static void test_le_accessors(void)
{
	uint8_t b[8];

	le64_write(b, 0x0102030405060708ULL);
	CU_ASSERT_EQUAL(b[0], 0x08);
	CU_ASSERT_EQUAL(b[7], 0x01);
	CU_ASSERT_EQUAL(le32_read(b), 0x05060708);
	CU_ASSERT_EQUAL(le16_read(b + 6), 0x0102);
	le_write_sized(b, 0xabcd, 2);
	CU_ASSERT_EQUAL(b[0], 0xcd);
	CU_ASSERT_EQUAL(b[1], 0xab);
	CU_ASSERT_EQUAL(le_read_sized(b, 1), 0xcd);
}

static const CU_TestInfo bus_tests[] = {
	{ "dispatch", test_bus_dispatch },
	{ "overlap", test_bus_overlap },
	{ "le accessors", test_le_accessors },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(bus, bus_tests)
