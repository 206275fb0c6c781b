// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include <armz/bus.h>
#include <armz/err.h>

static int mmio_bus_refuse(const struct mmio_ops *ops, void *opaque, int r)
{
	if (ops->free)
		ops->free(opaque);
	return r;
}

int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size,
		 const struct mmio_ops *ops, void *opaque)
{
	unsigned int i;

	if (!size || base + size < base)
		return mmio_bus_refuse(ops, opaque,
			err_set(EINVAL, "MMIO region at 0x%llx has a bad size",
				(unsigned long long)base));
	for (i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];

		if (base < r->base + r->size && r->base < base + size)
			return mmio_bus_refuse(ops, opaque,
				err_set(EEXIST,
					"MMIO region 0x%llx overlaps 0x%llx",
					(unsigned long long)base,
					(unsigned long long)r->base));
	}
	if (bus->count == MMIO_BUS_MAX_REGIONS)
		return mmio_bus_refuse(ops, opaque,
			err_set(ENOSPC, "too many MMIO regions (at most %d)",
				MMIO_BUS_MAX_REGIONS));
	bus->regions[bus->count++] = (struct mmio_region){
		.base = base, .size = size, .ops = ops, .opaque = opaque,
	};
	return 0;
}

int mmio_bus_find(const struct mmio_bus *bus, uint64_t addr,
		  unsigned int len)
{
	for (unsigned int i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];
		uint64_t off = addr - r->base;

		if (addr >= r->base && off < r->size && len <= r->size - off)
			return (int)i;
	}
	return -ENOENT;
}

int mmio_bus_access(const struct mmio_bus *bus, uint64_t addr, void *data,
		    unsigned int len, bool is_write)
{
	int i = mmio_bus_find(bus, addr, len);
	const struct mmio_region *r;

	if (i < 0)
		return i;
	r = &bus->regions[i];
	if (is_write)
		r->ops->write(r->opaque, addr - r->base, data, len);
	else
		r->ops->read(r->opaque, addr - r->base, data, len);
	return 0;
}

int mmio_bus_dt_nodes(const struct mmio_bus *bus, void *fdt,
		      const struct dt_ctx *ctx)
{
	int r = 0;

	for (unsigned int i = 0; !r && i < bus->count; i++)
		if (bus->regions[i].ops->dt_node)
			r = bus->regions[i].ops->dt_node(&bus->regions[i], fdt,
							 ctx);
	return r;
}

void mmio_bus_stop(struct mmio_bus *bus)
{
	for (unsigned int i = 0; i < bus->count; i++)
		if (bus->regions[i].ops->stop)
			bus->regions[i].ops->stop(bus->regions[i].opaque);
}

void mmio_bus_free(struct mmio_bus *bus)
{
	while (bus->count) {
		struct mmio_region *r = &bus->regions[--bus->count];

		if (r->ops->free)
			r->ops->free(r->opaque);
	}
}
