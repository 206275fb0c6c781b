// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <armz/err.h>
#include <armz/dt.h>
#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/test-exit.h>

struct test_exit {
	test_exit_fn exit_cb;
	void (*booted_cb)(void *ctx);
	void *ctx;
};

static bool test_exit_len_ok(unsigned int len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

/*
 * The registers behave as a little byte array, so a load of any width or
 * alignment inside it returns the bytes it covers (a byte-wise probe of
 * the ID works as well as a 32-bit one).
 */
static void test_exit_read(void *opaque, uint64_t offset, void *data,
			   unsigned int len)
{
	uint8_t regs[TEST_EXIT_REG_ID + 4] = { 0 };
	size_t n;

	memset(data, 0, len);
	if (offset >= sizeof(regs))
		return;
	le32_write(regs + TEST_EXIT_REG_ID, TEST_EXIT_ID);
	n = sizeof(regs) - offset;
	memcpy(data, regs + offset, n < len ? n : len);
}

static void test_exit_write(void *opaque, uint64_t offset, const void *data,
			    unsigned int len)
{
	struct test_exit *t = opaque;
	uint64_t v;

	if (!test_exit_len_ok(len))
		return;
	if (offset == TEST_EXIT_REG_BOOTED && t->booted_cb)
		t->booted_cb(t->ctx);
	if (offset != TEST_EXIT_REG_STATUS)
		return;
	v = le_read_sized(data, len);
	if (t->exit_cb)
		t->exit_cb(t->ctx, (int)(v & TEST_EXIT_STATUS_MASK));
}

void test_exit_on_booted(struct test_exit *t, void (*booted_cb)(void *ctx))
{
	t->booted_cb = booted_cb;
}

int test_exit_new(test_exit_fn exit_cb, void *ctx, struct test_exit **out)
{
	struct test_exit *t = calloc(1, sizeof(*t));

	*out = NULL;
	if (!t)
		return err_set(ENOMEM, "test-exit: out of memory");
	t->exit_cb = exit_cb;
	t->ctx = ctx;
	*out = t;
	return 0;
}

void test_exit_free(struct test_exit *t)
{
	free(t);
}

static int test_exit_dt_node(const struct mmio_region *r, void *fdt,
			     const struct dt_ctx *ctx)
{
	int ret;

	ret = dt_begin_mmio_node(fdt, "test-exit", r->base, r->size);
	if (!ret)
		ret = fdt_property_string(fdt, "compatible", "armz,test-exit");
	if (!ret)
		ret = fdt_end_node(fdt);
	return ret;
}

static void test_exit_mmio_free(void *opaque)
{
	test_exit_free(opaque);
}

const struct mmio_ops test_exit_mmio_ops = {
	.name = "test-exit",
	.read = test_exit_read,
	.write = test_exit_write,
	.dt_node = test_exit_dt_node,
	.free = test_exit_mmio_free,
};
