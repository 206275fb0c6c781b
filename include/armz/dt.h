/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_DT_H
#define ARMZ_DT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct mmio_bus;

/*
 * The guest's flattened device tree, written in one pass with libfdt's
 * sequential-write API. The machine-wide nodes (memory, cpus, GIC, timer,
 * PSCI, chosen) are written here; the devices' nodes come from walking the
 * MMIO bus (mmio_bus_dt_nodes()). The helpers are dt_*, not fdt_*: that
 * prefix is libfdt's.
 */

/* What a device's node writer needs to know about the machine. */
struct dt_ctx {
	uint32_t gic_phandle;
	int gic_version;	/* 0 = no interrupt controller, 2 or 3 */
};

struct dt_config {
	uint64_t ram_base, ram_size;
	unsigned int ncpus;
	int gic_version;		/* 0, 2 or 3 */
	/* /psci (hvc) and enable-method = "psci"; needs a GIC */
	bool psci;
	bool its;			/* a GICv3 ITS (msi-controller) */
	bool pmu;			/* arm,armv8-pmuv3 on its PPI */
	const char *bootargs;		/* may be NULL */
	uint64_t initrd_start, initrd_size;	/* size 0 = none */
	const char *stdout_path;	/* e.g. "/uart@9000000", may be NULL */
	uint8_t kaslr_seed[8];		/* the caller fills both seeds */
	uint8_t rng_seed[32];
	/* Guest resets so far: lets a guest (and its tests) tell boots apart. */
	uint32_t reset_count;
	/* Its devices write their own nodes; may be NULL. */
	const struct mmio_bus *bus;
};

/* The phandle the GIC node gets; interrupt-parent of the root. */
#define DT_GIC_PHANDLE		1

/* Flags cell of a GIC interrupt specifier (both v2 and v3 bindings). */
#define DT_IRQ_TYPE_SPI	0
#define DT_IRQ_TYPE_PPI	1
#define DT_IRQ_EDGE_RISING	1
#define DT_IRQ_LEVEL_HIGH	4
#define DT_IRQ_LEVEL_LOW	8

/*
 * Build the tree into buf. The result is packed (its totalsize is what
 * the guest needs). -ENOSPC when bufsize is too small, -EINVAL for a
 * configuration the tree cannot describe.
 */
int dt_build(const struct dt_config *cfg, void *buf, size_t bufsize);

/*
 * Helpers for node writers; both return 0 or -FDT_ERR_*.
 * dt_begin_mmio_node() opens "name@<base in hex>" with reg = <base size>
 * in 2 + 2 cells; the writer closes it with fdt_end_node().
 * dt_prop_spi() adds interrupts = <SPI n, edge rising or level high>, and
 * nothing at all when the machine has no interrupt controller.
 */
int dt_begin_mmio_node(void *fdt, const char *name, uint64_t base,
			uint64_t size);
int dt_prop_spi(void *fdt, const struct dt_ctx *ctx, unsigned int spi,
		 bool edge);

#endif
