// SPDX-License-Identifier: GPL-2.0
/*
 * The guest device tree. Bindings followed: Documentation/devicetree/
 * bindings/{arm/cpus,arm/psci,timer/arm,arch_timer,interrupt-controller/
 * arm,gic*} and the chosen node of Documentation/arch/arm64/booting.rst.
 * Property values are big-endian; libfdt's cpu_to_fdt*() do the swapping,
 * so the same code is right on little- and big-endian hosts.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>

#include <libfdt.h>

#include <armz/bus.h>
#include <armz/dt.h>
#include <armz/err.h>
#include <armz/memmap.h>

#define GICV2_MAX_CPUS		8

/* "name@<unit address>" fits comfortably; the spec caps names at 31. */
#define NODE_NAME_MAX		64

static int dt_begin_node_at(void *fdt, const char *name, uint64_t addr)
{
	char node[NODE_NAME_MAX];
	int n;

	n = snprintf(node, sizeof(node), "%s@%llx", name,
		     (unsigned long long)addr);
	if (n < 0 || (size_t)n >= sizeof(node))
		return -FDT_ERR_BADVALUE;
	return fdt_begin_node(fdt, node);
}

static int dt_prop_reg(void *fdt, uint64_t base, uint64_t size)
{
	fdt64_t reg[2] = { cpu_to_fdt64(base), cpu_to_fdt64(size) };

	return fdt_property(fdt, "reg", reg, sizeof(reg));
}

int dt_begin_mmio_node(void *fdt, const char *name, uint64_t base,
			uint64_t size)
{
	return dt_begin_node_at(fdt, name, base) ?:
	       dt_prop_reg(fdt, base, size);
}

int dt_prop_spi(void *fdt, const struct dt_ctx *ctx, unsigned int spi,
		 bool edge)
{
	fdt32_t irq[3] = {
		cpu_to_fdt32(DT_IRQ_TYPE_SPI),
		cpu_to_fdt32(spi),
		cpu_to_fdt32(edge ? DT_IRQ_EDGE_RISING : DT_IRQ_LEVEL_HIGH),
	};

	/* Without an interrupt controller the device is polled. */
	if (!ctx->gic_version)
		return 0;
	return fdt_property(fdt, "interrupts", irq, sizeof(irq));
}

static int dt_config_check(const struct dt_config *cfg)
{
	if (cfg->gic_version != 0 && cfg->gic_version != 2 &&
	    cfg->gic_version != 3)
		return err_set(EINVAL, "GIC version %d is not 2 or 3",
			       cfg->gic_version);
	if (!cfg->ncpus || cfg->ncpus > MEMMAP_MAX_CPUS)
		return err_set(EINVAL, "%u CPUs: armz supports 1 to %llu",
			       cfg->ncpus, MEMMAP_MAX_CPUS);
	if (cfg->gic_version == 2 && cfg->ncpus > GICV2_MAX_CPUS)
		return err_set(EINVAL, "%u CPUs: a GICv2 serves at most %d",
			       cfg->ncpus, GICV2_MAX_CPUS);
	if (!cfg->ram_size || cfg->ram_base > UINT64_MAX - cfg->ram_size)
		return err_set(EINVAL, "RAM 0x%llx +0x%llx is invalid",
			       (unsigned long long)cfg->ram_base,
			       (unsigned long long)cfg->ram_size);
	if (cfg->initrd_start > UINT64_MAX - cfg->initrd_size)
		return err_set(EINVAL, "initrd 0x%llx +0x%llx is invalid",
			       (unsigned long long)cfg->initrd_start,
			       (unsigned long long)cfg->initrd_size);
	return 0;
}

static int dt_write_chosen(void *fdt, const struct dt_config *cfg)
{
	uint64_t end = cfg->initrd_start + cfg->initrd_size;
	int ret;

	ret = fdt_begin_node(fdt, "chosen");
	if (!ret && cfg->bootargs)
		ret = fdt_property_string(fdt, "bootargs", cfg->bootargs);
	if (!ret && cfg->stdout_path)
		ret = fdt_property_string(fdt, "stdout-path",
					  cfg->stdout_path);
	if (!ret && cfg->initrd_size)
		ret = fdt_property_u64(fdt, "linux,initrd-start",
				       cfg->initrd_start) ?:
		      fdt_property_u64(fdt, "linux,initrd-end", end);
	/* Raw bytes: a seed has no byte order to get wrong. */
	return ret ?:
	       fdt_property(fdt, "kaslr-seed", cfg->kaslr_seed,
			    sizeof(cfg->kaslr_seed)) ?:
	       fdt_property(fdt, "rng-seed", cfg->rng_seed,
			    sizeof(cfg->rng_seed)) ?:
	       fdt_property_u32(fdt, "armz,reset-count", cfg->reset_count) ?:
	       fdt_end_node(fdt);
}

static int dt_write_memory(void *fdt, const struct dt_config *cfg)
{
	return dt_begin_node_at(fdt, "memory", cfg->ram_base) ?:
	       fdt_property_string(fdt, "device_type", "memory") ?:
	       dt_prop_reg(fdt, cfg->ram_base, cfg->ram_size) ?:
	       fdt_end_node(fdt);
}

/*
 * KVM gives vCPU n the MPIDR affinity Aff0 = n % 16, Aff1 = n / 16 (GICv3
 * SGIs address at most 16 CPUs per Aff0 group); reg must match it.
 */
static uint32_t cpu_mpidr(unsigned int n)
{
	return (n & 0xf) | (n >> 4) << 8;
}

static int dt_write_cpu(void *fdt, const struct dt_config *cfg,
			 unsigned int n)
{
	int ret;

	ret = dt_begin_node_at(fdt, "cpu", cpu_mpidr(n)) ?:
	      fdt_property_string(fdt, "device_type", "cpu") ?:
	      fdt_property_string(fdt, "compatible", "arm,arm-v8") ?:
	      fdt_property_cell(fdt, "reg", cpu_mpidr(n));
	if (!ret && cfg->psci && cfg->gic_version)
		ret = fdt_property_string(fdt, "enable-method", "psci");
	return ret ?: fdt_end_node(fdt);
}

static int dt_write_cpus(void *fdt, const struct dt_config *cfg)
{
	unsigned int i;
	int ret;

	ret = fdt_begin_node(fdt, "cpus") ?:
	      fdt_property_cell(fdt, "#address-cells", 1) ?:
	      fdt_property_cell(fdt, "#size-cells", 0);
	for (i = 0; !ret && i < cfg->ncpus; i++)
		ret = dt_write_cpu(fdt, cfg, i);
	return ret ?: fdt_end_node(fdt);
}

static int dt_write_psci(void *fdt)
{
	return fdt_begin_node(fdt, "psci") ?:
	       fdt_property_string(fdt, "compatible", "arm,psci-0.2") ?:
	       fdt_property_string(fdt, "method", "hvc") ?:
	       fdt_end_node(fdt);
}

/* Bindings: interrupt-controller/arm,gic-v3.yaml, its child msi-controller. */
static int dt_write_its(void *fdt)
{
	return dt_begin_node_at(fdt, "msi-controller", MEMMAP_GIC_ITS_BASE) ?:
	       fdt_property_string(fdt, "compatible", "arm,gic-v3-its") ?:
	       fdt_property(fdt, "msi-controller", NULL, 0) ?:
	       fdt_property_cell(fdt, "#msi-cells", 1) ?:
	       dt_prop_reg(fdt, MEMMAP_GIC_ITS_BASE, MEMMAP_GIC_ITS_SIZE) ?:
	       fdt_end_node(fdt);
}

static int dt_write_gic(void *fdt, const struct dt_config *cfg)
{
	bool v3 = cfg->gic_version == 3;
	uint64_t second = v3 ? MEMMAP_GIC_REDIST_BASE : MEMMAP_GIC_CPU_BASE;
	uint64_t second_size = v3 ? cfg->ncpus * MEMMAP_GIC_REDIST_PER_CPU :
				    MEMMAP_GIC_CPU_SIZE;
	fdt64_t reg[4] = {
		cpu_to_fdt64(MEMMAP_GIC_DIST_BASE),
		cpu_to_fdt64(MEMMAP_GIC_DIST_SIZE),
		cpu_to_fdt64(second),
		cpu_to_fdt64(second_size),
	};

	/*
	 * dtc warns about an interrupt provider without #address-cells.
	 * With ranges the cells also map an ITS or v2m frame child 1:1,
	 * should one be added, and newer dtc does not call them unneeded.
	 */
	int ret;

	ret = dt_begin_node_at(fdt, "intc", MEMMAP_GIC_DIST_BASE) ?:
	      fdt_property_string(fdt, "compatible",
				  v3 ? "arm,gic-v3" : "arm,cortex-a15-gic") ?:
	      fdt_property_cell(fdt, "#interrupt-cells", 3) ?:
	      fdt_property(fdt, "interrupt-controller", NULL, 0) ?:
	      fdt_property_cell(fdt, "#address-cells", 2) ?:
	      fdt_property_cell(fdt, "#size-cells", 2) ?:
	      fdt_property(fdt, "ranges", NULL, 0) ?:
	      fdt_property(fdt, "reg", reg, sizeof(reg)) ?:
	      fdt_property_cell(fdt, "phandle", DT_GIC_PHANDLE);
	if (!ret && v3 && cfg->its)
		ret = dt_write_its(fdt);
	return ret ?: fdt_end_node(fdt);
}

/* The GIC binding's mask of target CPUs for a GICv2 PPI, bits 15:8. */
static uint32_t dt_ppi_cpu_mask(const struct dt_config *cfg)
{
	return cfg->gic_version == 2 ? ((1U << cfg->ncpus) - 1) << 8 : 0;
}

/* Bindings: perf/arm,pmu.yaml; the PPI is the same on every vCPU. */
static int dt_write_pmu(void *fdt, const struct dt_config *cfg)
{
	fdt32_t irq[3] = {
		cpu_to_fdt32(DT_IRQ_TYPE_PPI),
		cpu_to_fdt32(MEMMAP_PPI_PMU),
		cpu_to_fdt32(DT_IRQ_LEVEL_HIGH | dt_ppi_cpu_mask(cfg)),
	};

	return fdt_begin_node(fdt, "pmu") ?:
	       fdt_property_string(fdt, "compatible", "arm,armv8-pmuv3") ?:
	       fdt_property(fdt, "interrupts", irq, sizeof(irq)) ?:
	       fdt_end_node(fdt);
}

static int dt_write_timer(void *fdt, const struct dt_config *cfg)
{
	static const unsigned int ppis[] = {
		MEMMAP_PPI_TIMER_SEC, MEMMAP_PPI_TIMER_PHYS,
		MEMMAP_PPI_TIMER_VIRT, MEMMAP_PPI_TIMER_HYP,
	};
	fdt32_t irq[3 * 4];
	uint32_t flags = DT_IRQ_LEVEL_LOW | dt_ppi_cpu_mask(cfg);
	unsigned int i;

	for (i = 0; i < 4; i++) {
		irq[3 * i] = cpu_to_fdt32(DT_IRQ_TYPE_PPI);
		irq[3 * i + 1] = cpu_to_fdt32(ppis[i]);
		irq[3 * i + 2] = cpu_to_fdt32(flags);
	}
	return fdt_begin_node(fdt, "timer") ?:
	       fdt_property_string(fdt, "compatible", "arm,armv8-timer") ?:
	       fdt_property(fdt, "always-on", NULL, 0) ?:
	       fdt_property(fdt, "interrupts", irq, sizeof(irq)) ?:
	       fdt_end_node(fdt);
}

static int dt_write_root(void *fdt, const struct dt_config *cfg)
{
	int ret;

	ret = fdt_property_string(fdt, "compatible", "linux,dummy-virt") ?:
	      fdt_property_string(fdt, "model", "armz") ?:
	      fdt_property_cell(fdt, "#address-cells", 2) ?:
	      fdt_property_cell(fdt, "#size-cells", 2);
	if (!ret && cfg->gic_version)
		ret = fdt_property_cell(fdt, "interrupt-parent",
					DT_GIC_PHANDLE);
	ret = ret ?: dt_write_chosen(fdt, cfg) ?:
	      dt_write_memory(fdt, cfg) ?:
	      dt_write_cpus(fdt, cfg);
	/*
	 * Payload mode has no GIC: no timer interrupts to describe and no
	 * secondary CPUs to start, so no timer and no PSCI nodes either.
	 */
	if (!ret && cfg->gic_version)
		ret = dt_write_gic(fdt, cfg) ?: dt_write_timer(fdt, cfg);
	if (!ret && cfg->gic_version && cfg->psci)
		ret = dt_write_psci(fdt);
	if (!ret && cfg->gic_version && cfg->pmu)
		ret = dt_write_pmu(fdt, cfg);
	return ret;
}

static int dt_fail(int fdterr, size_t bufsize, const char *what)
{
	if (fdterr == -FDT_ERR_NOSPACE)
		return err_set(ENOSPC, "device tree does not fit in %zu bytes",
			       bufsize);
	return err_set(EINVAL, "building the device tree failed in %s: %s",
		       what, fdt_strerror(fdterr));
}

int dt_build(const struct dt_config *cfg, void *buf, size_t bufsize)
{
	struct dt_ctx ctx = {
		.gic_version = cfg->gic_version,
		.gic_phandle = cfg->gic_version ? DT_GIC_PHANDLE : 0,
	};
	int size = bufsize > INT_MAX ? INT_MAX : (int)bufsize;
	int ret;

	ret = dt_config_check(cfg);
	if (ret)
		return ret;

	ret = fdt_create(buf, size) ?:
	      fdt_finish_reservemap(buf) ?:
	      fdt_begin_node(buf, "") ?:
	      dt_write_root(buf, cfg);
	if (ret)
		return dt_fail(ret, bufsize, "the machine nodes");

	ret = cfg->bus ? mmio_bus_dt_nodes(cfg->bus, buf, &ctx) : 0;
	if (ret)
		return dt_fail(ret, bufsize, "a device node");

	ret = fdt_end_node(buf) ?: fdt_finish(buf) ?: fdt_pack(buf);
	if (ret)
		return dt_fail(ret, bufsize, "the root node");
	return 0;
}
