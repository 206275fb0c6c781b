/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_BUS_H
#define ARMZ_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * MMIO dispatch. Data is always in guest byte order (little-endian), 1, 2, 4
 * or 8 bytes, exactly as KVM_EXIT_MMIO hands it over; devices decode it with
 * the le*_read helpers. Callbacks run on vCPU threads: a device that shares
 * state with its own thread locks it.
 */
struct mmio_ops {
	void (*read)(void *opaque, uint64_t offset, void *data,
		     unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data,
		      unsigned int len);
};

struct mmio_region {
	uint64_t base;
	uint64_t size;
	const struct mmio_ops *ops;
	void *opaque;
};

#define MMIO_BUS_MAX_REGIONS 64

/* Filled while the machine is built, read-only once vCPUs run. */
struct mmio_bus {
	struct mmio_region regions[MMIO_BUS_MAX_REGIONS];
	unsigned int count;
};

int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size,
		 const struct mmio_ops *ops, void *opaque);
/* -ENOENT when no region covers the whole access. */
int mmio_bus_access(const struct mmio_bus *bus, uint64_t addr, void *data,
		    unsigned int len, bool is_write);

#endif
