/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_TESTS_UNIT_H
#define ARMZ_TESTS_UNIT_H

#include <stdbool.h>

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

/* CI=true in the environment: the host is set up to have everything. */
bool unit_in_ci(void);

/*
 * The host lacks something a test needs (a tool, a file system feature,
 * a privilege), as fmt says; the caller has checked for it. Run by hand
 * that is a skip, said on a line of its own and listed again at the end;
 * in CI it is a failure of the test. Always returns true:
 *
 *	if (!have_dtc() && UNIT_ENV_MISSING("no dtc in PATH"))
 *		return;
 */
bool unit_env_missing_at(const char *file, unsigned int line,
			 const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
#define UNIT_ENV_MISSING(...)						\
	unit_env_missing_at(__FILE__, __LINE__, __VA_ARGS__)

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
