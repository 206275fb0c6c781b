// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libfdt.h>

#include <armz/bus.h>
#include <armz/dt.h>
#include <armz/err.h>
#include <armz/memmap.h>

#include "unit.h"

#define BUF_SIZE	(64 << 10)
#define RAM_SIZE	(256ULL << 20)
#define INITRD_START	(MEMMAP_RAM_BASE + (200ULL << 20))
#define INITRD_SIZE	0x00a01234ULL
#define BOOTARGS	"console=ttyS0 earlycon root=/dev/vda"

static uint8_t blob[BUF_SIZE];

struct fake_uart {
	unsigned int calls;
	struct dt_ctx ctx;
	int fail;
};

/* What a device's node writer looks like: one node, reg and an SPI. */
static int fake_uart_write(const struct mmio_region *r, void *fdt,
			   const struct dt_ctx *ctx)
{
	struct fake_uart *u = r->opaque;

	u->calls++;
	u->ctx = *ctx;
	if (u->fail)
		return u->fail;
	return dt_begin_mmio_node(fdt, "uart", r->base, r->size) ?:
	       fdt_property_string(fdt, "compatible", "ns16550a") ?:
	       fdt_property_cell(fdt, "clock-frequency", 1843200) ?:
	       dt_prop_spi(fdt, ctx, MEMMAP_SPI_UART, false) ?:
	       fdt_end_node(fdt);
}

static void fake_uart_read(void *opaque, uint64_t off, void *data,
			   unsigned int len)
{
}

static void fake_uart_store(void *opaque, uint64_t off, const void *data,
			    unsigned int len)
{
}

static const struct mmio_ops fake_uart_ops = {
	.read = fake_uart_read,
	.write = fake_uart_store,
	.dt_node = fake_uart_write,
};

static struct fake_uart uart;
static struct mmio_bus bus;

static void cfg_init(struct dt_config *cfg, int gic, unsigned int ncpus)
{
	unsigned int i;

	memset(cfg, 0, sizeof(*cfg));
	memset(&uart, 0, sizeof(uart));
	cfg->ram_base = MEMMAP_RAM_BASE;
	cfg->ram_size = RAM_SIZE;
	cfg->ncpus = ncpus;
	cfg->gic_version = gic;
	cfg->psci = true;
	cfg->bootargs = BOOTARGS;
	cfg->initrd_start = INITRD_START;
	cfg->initrd_size = INITRD_SIZE;
	cfg->stdout_path = "/uart@9000000";
	for (i = 0; i < sizeof(cfg->kaslr_seed); i++)
		cfg->kaslr_seed[i] = (uint8_t)(0x10 + i);
	for (i = 0; i < sizeof(cfg->rng_seed); i++)
		cfg->rng_seed[i] = (uint8_t)(0xa0 + i);
	memset(&bus, 0, sizeof(bus));
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, MEMMAP_UART_BASE, MEMMAP_UART_SIZE,
				     &fake_uart_ops, &uart), 0);
	cfg->bus = &bus;
}

static int node(const char *path)
{
	return fdt_path_offset(blob, path);
}

/* Property as an array of cells; NULL unless it has exactly n of them. */
static const fdt32_t *cells(const char *path, const char *name, int n)
{
	const void *p;
	int len;

	p = fdt_getprop(blob, node(path), name, &len);
	if (!p || len != n * 4)
		return NULL;
	return p;
}

static uint64_t prop_u64(const char *path, const char *name)
{
	const fdt64_t *p;
	int len;

	p = fdt_getprop(blob, node(path), name, &len);
	if (!p || len != 8)
		return ~0ULL;
	/* Properties are only 4-byte aligned in the blob. */
	return fdt64_ld(p);
}

static uint64_t cells_u64(const fdt32_t *c, int i)
{
	return (uint64_t)fdt32_to_cpu(c[2 * i]) << 32 |
	       fdt32_to_cpu(c[2 * i + 1]);
}

static bool has_prop(const char *path, const char *name)
{
	return fdt_getprop(blob, node(path), name, NULL) != NULL;
}

static unsigned int count_cpus(void)
{
	unsigned int n = 0;
	int off;

	fdt_for_each_subnode(off, blob, node("/cpus")) {
		const char *t = fdt_getprop(blob, off, "device_type", NULL);

		n += t && !strcmp(t, "cpu");
	}
	return n;
}

/*
 * dtc decompiles the blob and reports binding problems (interrupt
 * providers, unit addresses, reg sizes) as warnings: expect none.
 */
static void assert_dtc_clean(void)
{
	char path[] = "/tmp/armz-fdt-XXXXXX";
	char cmd[128], out[1024];
	size_t n;
	FILE *f;
	int fd;

	if (system("command -v dtc >/dev/null 2>&1") != 0 &&
	    UNIT_ENV_MISSING("no dtc in PATH: the blob is not decompiled"))
		return;
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, blob, fdt_totalsize(blob)),
			(ssize_t)fdt_totalsize(blob));
	close(fd);
	snprintf(cmd, sizeof(cmd), "dtc -I dtb -O dts -o /dev/null %s 2>&1",
		 path);
	f = popen(cmd, "r");
	CU_ASSERT_FATAL(f != NULL);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	CU_ASSERT_EQUAL(pclose(f), 0);
	CU_ASSERT_STRING_EQUAL(out, "");
	if (n)
		fprintf(stderr, "\ndtc says:\n%s", out);
	unlink(path);
}

static void test_dt_gicv3(void)
{
	struct dt_config cfg;
	const fdt32_t *c;
	const uint8_t *seed;
	const char *s;
	int len;

	cfg_init(&cfg, 3, 2);
	cfg.reset_count = 0x01020304;
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	CU_ASSERT_EQUAL_FATAL(fdt_check_header(blob), 0);
	/* Packed: nothing after the strings block. */
	CU_ASSERT_EQUAL(fdt_totalsize(blob),
			fdt_off_dt_strings(blob) + fdt_size_dt_strings(blob));

	s = fdt_getprop(blob, node("/"), "compatible", NULL);
	CU_ASSERT(s && !strcmp(s, "linux,dummy-virt"));
	c = cells("/", "#address-cells", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == 2);
	c = cells("/", "interrupt-parent", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == DT_GIC_PHANDLE);

	s = fdt_getprop(blob, node("/chosen"), "bootargs", NULL);
	CU_ASSERT(s && !strcmp(s, BOOTARGS));
	s = fdt_getprop(blob, node("/chosen"), "stdout-path", NULL);
	CU_ASSERT(s && !strcmp(s, "/uart@9000000"));
	CU_ASSERT_EQUAL(prop_u64("/chosen", "linux,initrd-start"),
			INITRD_START);
	CU_ASSERT_EQUAL(prop_u64("/chosen", "linux,initrd-end"),
			INITRD_START + INITRD_SIZE);
	CU_ASSERT_EQUAL(prop_u64("/chosen", "kaslr-seed"),
			0x1011121314151617ULL);
	seed = fdt_getprop(blob, node("/chosen"), "rng-seed", &len);
	CU_ASSERT(seed && len == 32 && seed[0] == 0xa0 && seed[31] == 0xbf);
	c = cells("/chosen", "armz,reset-count", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == 0x01020304);

	c = cells("/memory@40000000", "reg", 4);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(cells_u64(c, 0), MEMMAP_RAM_BASE);
	CU_ASSERT_EQUAL(cells_u64(c, 1), RAM_SIZE);
	s = fdt_getprop(blob, node("/memory@40000000"), "device_type", NULL);
	CU_ASSERT(s && !strcmp(s, "memory"));

	CU_ASSERT_EQUAL(count_cpus(), 2);
	c = cells("/cpus/cpu@1", "reg", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == 1);
	s = fdt_getprop(blob, node("/cpus/cpu@0"), "enable-method", NULL);
	CU_ASSERT(s && !strcmp(s, "psci"));
	s = fdt_getprop(blob, node("/psci"), "method", NULL);
	CU_ASSERT(s && !strcmp(s, "hvc"));

	s = fdt_getprop(blob, node("/intc@8000000"), "compatible", NULL);
	CU_ASSERT(s && !strcmp(s, "arm,gic-v3"));
	CU_ASSERT(has_prop("/intc@8000000", "interrupt-controller"));
	c = cells("/intc@8000000", "phandle", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == DT_GIC_PHANDLE);
	c = cells("/intc@8000000", "reg", 8);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(cells_u64(c, 0), MEMMAP_GIC_DIST_BASE);
	CU_ASSERT_EQUAL(cells_u64(c, 1), MEMMAP_GIC_DIST_SIZE);
	CU_ASSERT_EQUAL(cells_u64(c, 2), MEMMAP_GIC_REDIST_BASE);
	CU_ASSERT_EQUAL(cells_u64(c, 3), 2 * MEMMAP_GIC_REDIST_PER_CPU);

	/* sec, phys, virt, hyp PPIs, level-low, no CPU mask on v3 */
	c = cells("/timer", "interrupts", 12);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[0]), 1);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[1]), 13);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[2]), 8);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[4]), 14);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[7]), 11);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[10]), 10);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[11]), 8);

	CU_ASSERT_EQUAL(uart.calls, 1);
	CU_ASSERT_EQUAL(uart.ctx.gic_version, 3);
	CU_ASSERT_EQUAL(uart.ctx.gic_phandle, DT_GIC_PHANDLE);
	c = cells("/uart@9000000", "reg", 4);
	CU_ASSERT(c && cells_u64(c, 0) == MEMMAP_UART_BASE &&
		  cells_u64(c, 1) == MEMMAP_UART_SIZE);
	c = cells("/uart@9000000", "interrupts", 3);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[0]), 0);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[1]), MEMMAP_SPI_UART);
	CU_ASSERT_EQUAL(fdt32_to_cpu(c[2]), 4);

	assert_dtc_clean();
}

static void test_dt_gicv2(void)
{
	struct dt_config cfg;
	const fdt32_t *c;
	const char *s;

	cfg_init(&cfg, 2, 2);
	cfg.initrd_size = 0;
	cfg.bootargs = NULL;
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	s = fdt_getprop(blob, node("/intc@8000000"), "compatible", NULL);
	CU_ASSERT(s && !strcmp(s, "arm,cortex-a15-gic"));
	c = cells("/intc@8000000", "reg", 8);
	CU_ASSERT_FATAL(c != NULL);
	CU_ASSERT_EQUAL(cells_u64(c, 2), MEMMAP_GIC_CPU_BASE);
	CU_ASSERT_EQUAL(cells_u64(c, 3), MEMMAP_GIC_CPU_SIZE);
	/* GICv2 PPIs carry a mask of the two CPUs in bits 15:8. */
	c = cells("/timer", "interrupts", 12);
	CU_ASSERT(c && fdt32_to_cpu(c[2]) == 0x308);
	CU_ASSERT(!has_prop("/chosen", "linux,initrd-start"));
	CU_ASSERT(!has_prop("/chosen", "bootargs"));
	CU_ASSERT(has_prop("/chosen", "kaslr-seed"));
	assert_dtc_clean();
}

static void test_dt_no_gic(void)
{
	struct dt_config cfg;

	cfg_init(&cfg, 0, 1);
	cfg.stdout_path = NULL;
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	CU_ASSERT(node("/intc@8000000") < 0);
	CU_ASSERT(node("/timer") < 0);
	CU_ASSERT(node("/psci") < 0);
	CU_ASSERT(!has_prop("/", "interrupt-parent"));
	CU_ASSERT(!has_prop("/cpus/cpu@0", "enable-method"));
	CU_ASSERT(!has_prop("/chosen", "stdout-path"));
	CU_ASSERT(node("/uart@9000000") >= 0);
	CU_ASSERT(!has_prop("/uart@9000000", "interrupts"));
	CU_ASSERT_EQUAL(uart.ctx.gic_version, 0);
	CU_ASSERT_EQUAL(count_cpus(), 1);
	assert_dtc_clean();
}

/* lkvm's --irqchip=gicv3-its and --pmu. */
static void test_dt_its_pmu(void)
{
	struct dt_config cfg;
	const fdt32_t *c;
	const char *s;

	cfg_init(&cfg, 3, 2);
	cfg.its = true;
	cfg.pmu = true;
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	s = fdt_getprop(blob, node("/intc@8000000/msi-controller@8080000"),
			"compatible", NULL);
	CU_ASSERT(s && !strcmp(s, "arm,gic-v3-its"));
	CU_ASSERT(has_prop("/intc@8000000/msi-controller@8080000",
			   "msi-controller"));
	c = cells("/intc@8000000/msi-controller@8080000", "reg", 4);
	CU_ASSERT(c && cells_u64(c, 0) == MEMMAP_GIC_ITS_BASE &&
		  cells_u64(c, 1) == MEMMAP_GIC_ITS_SIZE);
	s = fdt_getprop(blob, node("/pmu"), "compatible", NULL);
	CU_ASSERT(s && !strcmp(s, "arm,armv8-pmuv3"));
	c = cells("/pmu", "interrupts", 3);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == DT_IRQ_TYPE_PPI &&
		  fdt32_to_cpu(c[1]) == MEMMAP_PPI_PMU &&
		  fdt32_to_cpu(c[2]) == DT_IRQ_LEVEL_HIGH);
	assert_dtc_clean();

	/* A GICv2 has no ITS; its PPIs carry the CPU mask. */
	cfg_init(&cfg, 2, 2);
	cfg.its = true;
	cfg.pmu = true;
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	CU_ASSERT(node("/intc@8000000/msi-controller@8080000") < 0);
	c = cells("/pmu", "interrupts", 3);
	CU_ASSERT(c && fdt32_to_cpu(c[2]) == (0x300 | DT_IRQ_LEVEL_HIGH));

	/* Without a GIC there is nothing to deliver either to. */
	cfg_init(&cfg, 0, 1);
	cfg.its = true;
	cfg.pmu = true;
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	CU_ASSERT(node("/pmu") < 0);
}

static void test_dt_many_cpus(void)
{
	struct dt_config cfg;
	const fdt32_t *c;

	/* vCPU 16 has MPIDR Aff1 = 1, Aff0 = 0 under KVM. */
	cfg_init(&cfg, 3, 20);
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	CU_ASSERT_EQUAL(count_cpus(), 20);
	c = cells("/cpus/cpu@100", "reg", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == 0x100);
	c = cells("/cpus/cpu@f", "reg", 1);
	CU_ASSERT(c && fdt32_to_cpu(c[0]) == 0xf);
	c = cells("/intc@8000000", "reg", 8);
	CU_ASSERT(c && cells_u64(c, 3) == 20 * MEMMAP_GIC_REDIST_PER_CPU);
	assert_dtc_clean();
}

static void test_dt_nospace(void)
{
	static uint8_t small[BUF_SIZE];
	struct dt_config cfg;
	uint32_t need, min;

	cfg_init(&cfg, 3, 2);
	CU_ASSERT_EQUAL_FATAL(dt_build(&cfg, blob, sizeof(blob)), 0);
	need = fdt_totalsize(blob);
	CU_ASSERT_EQUAL(dt_build(&cfg, small, 256), -ENOSPC);
	CU_ASSERT(strstr(err_msg(), "does not fit in 256 bytes") != NULL);
	CU_ASSERT_EQUAL(dt_build(&cfg, small, 0), -ENOSPC);

	/*
	 * libfdt's sequential writer needs a few bytes of headroom over the
	 * packed result; below the smallest buffer that works, every size
	 * must fail cleanly.
	 */
	for (min = need - 64; min < need + 64; min++)
		if (dt_build(&cfg, small, min) == 0)
			break;
	CU_ASSERT(min >= need && min < need + 64);
	CU_ASSERT_EQUAL(fdt_totalsize(small), need);
	CU_ASSERT_EQUAL(memcmp(small, blob, need), 0);
	CU_ASSERT_EQUAL(dt_build(&cfg, small, min - 1), -ENOSPC);
}

static void test_dt_invalid(void)
{
	struct dt_config cfg;

	cfg_init(&cfg, 4, 1);
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), -EINVAL);
	cfg_init(&cfg, 2, 9);
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), -EINVAL);
	cfg_init(&cfg, 3, 0);
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), -EINVAL);
	cfg_init(&cfg, 3, MEMMAP_MAX_CPUS + 1);
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), -EINVAL);
	cfg_init(&cfg, 3, MEMMAP_MAX_CPUS);
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), 0);

	/* A writer's libfdt error stops the build. */
	cfg_init(&cfg, 3, 1);
	uart.fail = -FDT_ERR_BADVALUE;
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), -EINVAL);
	CU_ASSERT_EQUAL(uart.calls, 1);
	cfg_init(&cfg, 3, 1);
	uart.fail = -FDT_ERR_NOSPACE;
	CU_ASSERT_EQUAL(dt_build(&cfg, blob, sizeof(blob)), -ENOSPC);
}

static const CU_TestInfo dt_tests[] = {
	{ "gicv3 machine", test_dt_gicv3 },
	{ "gicv2 machine", test_dt_gicv2 },
	{ "no interrupt controller", test_dt_no_gic },
	{ "ITS and PMU", test_dt_its_pmu },
	{ "MPIDR-based cpu reg", test_dt_many_cpus },
	{ "buffer too small", test_dt_nospace },
	{ "invalid config", test_dt_invalid },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(dt, dt_tests)
