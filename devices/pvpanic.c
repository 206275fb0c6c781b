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
#include <armz/pvpanic.h>

struct pvpanic {
	pvpanic_fn panic_cb;
	void *ctx;
};

static bool pvpanic_len_ok(unsigned int len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

static void pvpanic_read(void *opaque, uint64_t offset, void *data,
			 unsigned int len)
{
	if (offset || !pvpanic_len_ok(len)) {
		memset(data, 0, len);
		return;
	}
	le_write_sized(data, PVPANIC_EVENTS, len);
}

static void pvpanic_write(void *opaque, uint64_t offset, const void *data,
			  unsigned int len)
{
	struct pvpanic *p = opaque;
	uint32_t events;

	if (offset || !pvpanic_len_ok(len))
		return;
	/* Bits the device does not offer are not events: drop them. */
	events = (uint32_t)le_read_sized(data, len) & PVPANIC_EVENTS;
	if ((events & PVPANIC_PANICKED) && p->panic_cb)
		p->panic_cb(p->ctx, events);
}

int pvpanic_new(pvpanic_fn panic_cb, void *ctx, struct pvpanic **out)
{
	struct pvpanic *p = calloc(1, sizeof(*p));

	*out = NULL;
	if (!p)
		return err_set(ENOMEM, "pvpanic: out of memory");
	p->panic_cb = panic_cb;
	p->ctx = ctx;
	*out = p;
	return 0;
}

void pvpanic_free(struct pvpanic *p)
{
	free(p);
}

static int pvpanic_dt_node(const struct mmio_region *r, void *fdt,
			   const struct dt_ctx *ctx)
{
	int ret;

	ret = dt_begin_mmio_node(fdt, "pvpanic", r->base, r->size);
	if (!ret)
		ret = fdt_property_string(fdt, "compatible",
					  "qemu,pvpanic-mmio");
	if (!ret)
		ret = fdt_end_node(fdt);
	return ret;
}

static void pvpanic_mmio_free(void *opaque)
{
	pvpanic_free(opaque);
}

const struct mmio_ops pvpanic_mmio_ops = {
	.name = "pvpanic",
	.read = pvpanic_read,
	.write = pvpanic_write,
	.dt_node = pvpanic_dt_node,
	.free = pvpanic_mmio_free,
};
