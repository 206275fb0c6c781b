/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_TESTS_UNIT_H
#define ARMZ_TESTS_UNIT_H

#include <CUnit/CUnit.h>

#include <armz/bus.h>

/*
 * Each test file lists its cases in a table and registers one suite with
 * UNIT_SUITE(name, table); main.c runs every suite that registered.
 */
struct unit_suite {
	const char *name;
	const CU_TestInfo *tests;
	struct unit_suite *next;
};

void unit_register(struct unit_suite *suite);

#define UNIT_SUITE(sname, table)					\
	static struct unit_suite unit_suite_##sname = {			\
		.name = #sname, .tests = table,				\
	};								\
	__attribute__((constructor)) static void unit_init_##sname(void) \
	{								\
		unit_register(&unit_suite_##sname);			\
	}

/* Writes the device tree node of a device at base, as the bus would. */
static inline int unit_dt_node(const struct mmio_ops *ops, void *opaque,
			       uint64_t base, uint64_t size, void *fdt,
			       const struct dt_ctx *ctx)
{
	struct mmio_region r = {
		.base = base, .size = size, .ops = ops, .opaque = opaque,
	};

	return ops->dt_node(&r, fdt, ctx);
}

#endif
