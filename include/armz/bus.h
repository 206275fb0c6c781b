/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_BUS_H
#define ARMZ_BUS_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The MMIO bus, and the devices on it. A device registers its range with
 * its ops; from then on the bus owns it: the device tree is written by
 * walking the bus in registration order, and teardown walks it too, so the
 * machine keeps no list of its own.
 *
 * Data is always in guest byte order (little-endian), 1, 2, 4 or 8 bytes,
 * exactly as KVM_EXIT_MMIO hands it over; devices decode it with the le*
 * helpers. read and write run on vCPU threads: a device that shares state
 * with its own thread locks it.
 */
struct dt_ctx;
struct mmio_region;

struct mmio_ops {
	const char *name;	/* "uart", "virtio-mmio": for reports */
	void (*read)(void *opaque, uint64_t offset, void *data,
		     unsigned int len);
	void (*write)(void *opaque, uint64_t offset, const void *data,
		      unsigned int len);
	/*
	 * Writes the device's node into the guest's device tree, between
	 * the root's begin and end; 0 or -FDT_ERR_* as libfdt returns them.
	 * NULL: the device has no node (an alias of another range).
	 */
	int (*dt_node)(const struct mmio_region *r, void *fdt,
		       const struct dt_ctx *ctx);
	/* Stops the device's threads before guest RAM goes. May be NULL. */
	void (*stop)(void *opaque);
	/* Frees the device. NULL: the bus does not own opaque. */
	void (*free)(void *opaque);
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

/*
 * Adds [base, base + size) served by ops. Takes ownership of opaque (it
 * is freed with ops->free, by mmio_bus_free() or, on failure, at once).
 * -EEXIST when the range overlaps another, -ENOSPC when the bus is full.
 */
int mmio_bus_add(struct mmio_bus *bus, uint64_t base, uint64_t size,
		 const struct mmio_ops *ops, void *opaque);
/* The index of the region covering [addr, addr + len), or -ENOENT. */
int mmio_bus_find(const struct mmio_bus *bus, uint64_t addr,
		  unsigned int len);
/* -ENOENT when no region covers the whole access. */
int mmio_bus_access(const struct mmio_bus *bus, uint64_t addr, void *data,
		    unsigned int len, bool is_write);
/* Every device's node, in the order the devices were added. */
int mmio_bus_dt_nodes(const struct mmio_bus *bus, void *fdt,
		      const struct dt_ctx *ctx);
/* Stops every device (their threads); the bus stays usable. */
void mmio_bus_stop(struct mmio_bus *bus);
/* Frees every device it owns, newest first, and empties the bus. */
void mmio_bus_free(struct mmio_bus *bus);

#endif
