// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include <armz/bus.h>
#include <armz/err.h>

int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size,
		 const struct mmio_ops *ops, void *opaque)
{
	unsigned int i;

	if (!size || base + size < base)
		return err_set(EINVAL, "MMIO region at 0x%llx has a bad size",
			       (unsigned long long)base);
	for (i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];

		if (base < r->base + r->size && r->base < base + size)
			return err_set(EEXIST,
				       "MMIO region 0x%llx overlaps 0x%llx",
				       (unsigned long long)base,
				       (unsigned long long)r->base);
	}
	if (bus->count == MMIO_BUS_MAX_REGIONS)
		return err_set(ENOSPC, "too many MMIO regions");
	bus->regions[bus->count++] = (struct mmio_region){
		.base = base, .size = size, .ops = ops, .opaque = opaque,
	};
	return 0;
}

int mmio_bus_access(const struct mmio_bus *bus, uint64_t addr, void *data,
		    unsigned int len, bool is_write)
{
	unsigned int i;

	for (i = 0; i < bus->count; i++) {
		const struct mmio_region *r = &bus->regions[i];
		uint64_t off = addr - r->base;

		if (addr < r->base || off >= r->size || len > r->size - off)
			continue;
		if (is_write)
			r->ops->write(r->opaque, off, data, len);
		else
			r->ops->read(r->opaque, off, data, len);
		return 0;
	}
	return -ENOENT;
}
