// SPDX-License-Identifier: GPL-2.0
/*
 * A bare test binary in the shape of kvm-unit-tests' (built for kvmtool):
 * position-independent, entered at EL1 with the MMU off and x0 = the
 * device tree. It prints its first line to kvmtool's early UART address,
 * then walks the device tree and moves to the UART it names, reads its
 * arguments from /chosen/bootargs and its environment from the initrd
 * (/chosen/linux,initrd-start and -end), checks what its arguments ask
 * for, starts the other vCPUs with PSCI CPU_ON where there is PSCI, and
 * ends with "EXIT: STATUS=n" and PSCI SYSTEM_OFF, or, where that is
 * missing or refused, the test-exit register.
 *
 * Arguments (all optional, in any order):
 *   cpus=N mem=MIB gic=none|v2|v3 timer=0|1 psci=0|1 pmu=0|1 its=0|1
 *   env=KEY       the environment has a line KEY=...
 *   smp           CPU_ON every other CPU; each must report in
 *   beat          never end: print beat=N twice a second (for pause,
 *                 resume and stop from outside)
 *   fail          fail on purpose (the status line must say so)
 *
 * Built with -mstrict-align and -mgeneral-regs-only: with the MMU off all
 * memory is Device memory, where an unaligned access faults, and the FP
 * unit may still be trapped.
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define EARLY_UART	0x01000000UL	/* kvmtool's 8250 */
#define MAX_CPUS	8
#define MAX_DEPTH	8
#define PATH_MAX	256

#define PSCI_CPU_OFF	0x84000002UL
#define PSCI_CPU_ON	0xc4000003UL
#define PSCI_SYSTEM_OFF	0x84000008UL

#define FDT_MAGIC	0xd00dfeedU
#define FDT_BEGIN_NODE	1
#define FDT_END_NODE	2
#define FDT_PROP	3
#define FDT_NOP		4
#define FDT_END		9

/* What the walk found. */
enum compat {
	C_NONE, C_UART, C_PSCI, C_GICV3, C_GICV2, C_TIMER, C_PMU, C_ITS,
	C_TEST_EXIT,
};

struct node {
	enum compat compat;
	bool is_cpu, is_memory, smc;
	uint64_t reg0, reg1;
	uint32_t reg_cell;
};

static struct {
	const char *bootargs;
	uint64_t initrd_start, initrd_end;
	bool has_initrd;
	uint64_t uart, test_exit, mem_size;
	unsigned int ncpus, gic;
	uint32_t mpidr[MAX_CPUS];
	bool psci, psci_smc, timer, pmu, its;
} dt;

static volatile uint8_t *uart = (volatile uint8_t *)EARLY_UART;
static volatile uint32_t cpu_up[MAX_CPUS];
static unsigned int tests, failures;

void bare_main(const void *fdt);
void bare_secondary(unsigned long idx);
/* Hidden: its address is then taken PC-relative, not from a GOT. */
void secondary_entry(void) __attribute__((visibility("hidden")));

/* --- Output --- */

static void putc_(char c)
{
	*uart = (uint8_t)c;
}

static void puts_(const char *s)
{
	while (*s)
		putc_(*s++);
}

static void putn(const char *s, size_t n)
{
	while (n--)
		putc_(*s++);
}

static void putu(uint64_t v)
{
	char b[24];
	int i = 0;

	do {
		b[i++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (i)
		putc_(b[--i]);
}

static void putx(uint64_t v)
{
	int shift = 60;

	puts_("0x");
	while (shift > 0 && !(v >> shift))
		shift -= 4;
	for (; shift >= 0; shift -= 4)
		putc_("0123456789abcdef"[(v >> shift) & 0xf]);
}

/* --- Memory and strings, freestanding --- */

void *memset(void *d, int c, size_t n);
void *memcpy(void *d, const void *s, size_t n);

void *memset(void *d, int c, size_t n)
{
	uint8_t *p = d;

	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

void *memcpy(void *d, const void *s, size_t n)
{
	uint8_t *p = d;
	const uint8_t *q = s;

	while (n--)
		*p++ = *q++;
	return d;
}

static size_t slen(const char *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

static bool seq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static bool sprefix(const char *s, const char *prefix, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] != prefix[i])
			return false;
	return true;
}

/* Whether the NUL-separated list of len bytes holds want. */
static bool in_list(const char *list, int len, const char *want)
{
	for (int i = 0; i < len; i += (int)slen(list + i) + 1)
		if (seq(list + i, want))
			return true;
	return false;
}

static uint32_t be32(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* A 1- or 2-cell number: properties are only 4-byte aligned. */
static uint64_t be_cells(const void *p, int len)
{
	const uint8_t *b = p;

	if (len == 4)
		return be32(b);
	return (uint64_t)be32(b) << 32 | be32(b + 4);
}

/* --- The device tree --- */

static enum compat compat_of(const char *list, int len)
{
	/* Names in place, not pointers: the image has no relocations. */
	static const struct { char name[20]; enum compat c; } known[] = {
		{ "ns16550a", C_UART }, { "arm,pl011", C_UART },
		{ "arm,psci-0.2", C_PSCI },
		{ "arm,gic-v3", C_GICV3 }, { "arm,cortex-a15-gic", C_GICV2 },
		{ "arm,armv8-timer", C_TIMER }, { "arm,armv8-pmuv3", C_PMU },
		{ "arm,gic-v3-its", C_ITS }, { "armz,test-exit", C_TEST_EXIT },
	};

	for (size_t i = 0; i < sizeof(known) / sizeof(known[0]); i++)
		if (in_list(list, len, known[i].name))
			return known[i].c;
	return C_NONE;
}

static void dt_prop(struct node *n, const char *path, const char *name,
		    const void *val, int len)
{
	if (seq(path, "/chosen")) {
		if (seq(name, "bootargs"))
			dt.bootargs = val;
		else if (seq(name, "linux,initrd-start"))
			dt.initrd_start = be_cells(val, len),
			dt.has_initrd = true;
		else if (seq(name, "linux,initrd-end"))
			dt.initrd_end = be_cells(val, len);
		return;
	}
	if (seq(name, "compatible"))
		n->compat = compat_of(val, len);
	else if (seq(name, "device_type"))
		n->is_cpu = seq(val, "cpu"), n->is_memory = seq(val, "memory");
	else if (seq(name, "method"))
		n->smc = seq(val, "smc");
	else if (seq(name, "reg") && len >= 16)
		n->reg0 = be_cells(val, 8),
		n->reg1 = be_cells((const uint8_t *)val + 8, 8);
	else if (seq(name, "reg") && len == 4)
		n->reg_cell = be32(val);
}

static void dt_node_done(const struct node *n)
{
	if (n->is_cpu && dt.ncpus < MAX_CPUS)
		dt.mpidr[dt.ncpus] = n->reg_cell;
	dt.ncpus += n->is_cpu;
	if (n->is_memory)
		dt.mem_size += n->reg1;
	switch (n->compat) {
	case C_UART:
		if (!dt.uart)
			dt.uart = n->reg0;
		break;
	case C_PSCI:	dt.psci = true; dt.psci_smc = n->smc; break;
	case C_GICV3:	dt.gic = 3; break;
	case C_GICV2:	dt.gic = 2; break;
	case C_TIMER:	dt.timer = true; break;
	case C_PMU:	dt.pmu = true; break;
	case C_ITS:	dt.its = true; break;
	case C_TEST_EXIT: dt.test_exit = n->reg0; break;
	case C_NONE:	break;
	}
}

/* Walks the structure block; prints every node's path. */
static bool dt_walk(const uint8_t *fdt)
{
	const uint8_t *p = fdt + be32(fdt + 8);
	const char *strings = (const char *)fdt + be32(fdt + 12);
	const uint8_t *end = fdt + be32(fdt + 4);
	static struct node nodes[MAX_DEPTH];
	static char path[PATH_MAX];
	size_t plen[MAX_DEPTH + 1];
	int depth = 0;

	plen[0] = 0;
	while (p + 4 <= end) {
		uint32_t tok = be32(p);
		const char *name;
		size_t n;

		p += 4;
		switch (tok) {
		case FDT_BEGIN_NODE:
			name = (const char *)p;
			n = slen(name);
			p += (n + 4) & ~3UL;
			if (depth >= MAX_DEPTH ||
			    plen[depth] + n + 2 > sizeof(path))
				return false;
			plen[depth + 1] = plen[depth];
			if (depth) {
				path[plen[depth + 1]++] = '/';
				memcpy(path + plen[depth + 1], name, n);
				plen[depth + 1] += n;
			}
			path[plen[depth + 1]] = '\0';
			memset(&nodes[depth], 0, sizeof(nodes[depth]));
			depth++;
			puts_("dt: ");
			puts_(depth == 1 ? "/" : path);
			putc_('\n');
			break;
		case FDT_END_NODE:
			if (!depth)
				return false;
			dt_node_done(&nodes[--depth]);
			path[plen[depth]] = '\0';
			break;
		case FDT_PROP: {
			uint32_t len = be32(p), off = be32(p + 4);

			if (!depth)
				return false;
			dt_prop(&nodes[depth - 1], depth == 1 ? "/" : path,
				strings + off, p + 8, (int)len);
			p += 8 + ((len + 3) & ~3U);
			break;
		}
		case FDT_NOP:
			break;
		case FDT_END:
			return depth == 0;
		default:
			return false;
		}
	}
	return false;
}

/* --- Checks --- */

static void report(bool ok, const char *what, uint64_t got, uint64_t want)
{
	tests++;
	failures += !ok;
	puts_(ok ? "PASS: " : "FAIL: ");
	puts_(what);
	if (!ok) {
		puts_(" (got ");
		putu(got);
		puts_(", want ");
		putu(want);
		putc_(')');
	}
	putc_('\n');
}

/* The value of "key=" in the argument a of length n, parsed as a number. */
static bool arg_num(const char *a, size_t n, const char *key, uint64_t *v)
{
	size_t k = slen(key);

	if (n <= k || !sprefix(a, key, k) || a[k] != '=')
		return false;
	*v = 0;
	for (size_t i = k + 1; i < n; i++) {
		if (a[i] < '0' || a[i] > '9')
			return false;
		*v = *v * 10 + (uint64_t)(a[i] - '0');
	}
	return true;
}

static bool env_has(const char *key, size_t klen)
{
	const char *e = (const char *)dt.initrd_start;
	const char *end = (const char *)dt.initrd_end;

	while (dt.has_initrd && e < end) {
		const char *nl = e;

		while (nl < end && *nl != '\n')
			nl++;
		if ((size_t)(nl - e) > klen && sprefix(e, key, klen) &&
		    e[klen] == '=')
			return true;
		e = nl + 1;
	}
	return false;
}

static void print_env(void)
{
	const char *e = (const char *)dt.initrd_start;
	const char *end = (const char *)dt.initrd_end;

	puts_("bare: initrd ");
	putu(dt.has_initrd ? dt.initrd_end - dt.initrd_start : 0);
	puts_(" bytes\n");
	while (dt.has_initrd && e < end) {
		const char *nl = e;

		while (nl < end && *nl != '\n')
			nl++;
		puts_("env: ");
		putn(e, (size_t)(nl - e));
		putc_('\n');
		e = nl + 1;
	}
}

static long psci_call(unsigned long fn, unsigned long a1, unsigned long a2,
		      unsigned long a3)
{
	register unsigned long x0 asm("x0") = fn;
	register unsigned long x1 asm("x1") = a1;
	register unsigned long x2 asm("x2") = a2;
	register unsigned long x3 asm("x3") = a3;

	if (dt.psci_smc)
		asm volatile("smc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3)
			     : "memory");
	else
		asm volatile("hvc #0" : "+r"(x0) : "r"(x1), "r"(x2), "r"(x3)
			     : "memory");
	return (long)x0;
}

static uint64_t counter(void)
{
	uint64_t v;

	asm volatile("isb; mrs %0, cntvct_el0" : "=r"(v));
	return v;
}

static uint64_t counter_hz(void)
{
	uint64_t v;

	asm volatile("mrs %0, cntfrq_el0" : "=r"(v));
	return v ? v : 62500000;
}

void bare_secondary(unsigned long idx)
{
	uint64_t mpidr;

	asm volatile("mrs %0, mpidr_el1" : "=r"(mpidr));
	cpu_up[idx] = (uint32_t)(mpidr & 0xffffff) | 0x80000000U;
	asm volatile("dsb sy" ::: "memory");
	psci_call(PSCI_CPU_OFF, 0, 0, 0);
}

/* CPU_ON each other CPU and wait up to 20 s for it to report in. */
static void check_smp(void)
{
	uint64_t timeout = counter_hz() * 20;

	if (!dt.psci) {
		report(false, "smp: a /psci node to start CPUs with", 0, 1);
		return;
	}
	for (unsigned int i = 1; i < dt.ncpus && i < MAX_CPUS; i++) {
		long r = psci_call(PSCI_CPU_ON, dt.mpidr[i],
				   (unsigned long)secondary_entry, i);
		uint64_t t0 = counter();

		report(r == 0, "smp: PSCI CPU_ON", (uint64_t)r, 0);
		while (!cpu_up[i] && counter() - t0 < timeout)
			asm volatile("dsb sy" ::: "memory");
		if (cpu_up[i]) {
			puts_("bare: cpu ");
			putu(i);
			puts_(" up, MPIDR ");
			putx(cpu_up[i] & 0xffffff);
			putc_('\n');
		}
		report(cpu_up[i] && (cpu_up[i] & 0xffffff) == dt.mpidr[i],
		       "smp: the CPU ran, with the MPIDR of its node",
		       cpu_up[i] & 0xffffff, dt.mpidr[i]);
	}
}

/* Prints beat=1, beat=2, ... every half second of the counter, forever. */
static void beat(void)
{
	uint64_t half = counter_hz() / 2, next = counter() + half;

	for (uint64_t n = 1;; n++) {
		while (counter() < next)
			;
		next += half;
		puts_("beat=");
		putu(n);
		putc_('\n');
	}
}

static void check_arg(const char *a, size_t n)
{
	uint64_t v;

	if (arg_num(a, n, "cpus", &v))
		report(dt.ncpus == v, "cpus: cpu nodes", dt.ncpus, v);
	else if (arg_num(a, n, "mem", &v))
		report(dt.mem_size == v << 20, "mem: MiB of memory",
		       dt.mem_size >> 20, v);
	else if (n == 8 && sprefix(a, "gic=none", 8))
		report(dt.gic == 0, "gic: no interrupt controller", dt.gic, 0);
	else if (n == 6 && sprefix(a, "gic=v", 5))
		report(dt.gic == (unsigned int)(a[5] - '0'), "gic: version",
		       dt.gic, (uint64_t)(a[5] - '0'));
	else if (arg_num(a, n, "timer", &v))
		report(dt.timer == v, "timer: timer node", dt.timer, v);
	else if (arg_num(a, n, "psci", &v))
		report(dt.psci == v, "psci: psci-0.2 node", dt.psci, v);
	else if (arg_num(a, n, "pmu", &v))
		report(dt.pmu == v, "pmu: PMU node", dt.pmu, v);
	else if (arg_num(a, n, "its", &v))
		report(dt.its == v, "its: ITS node", dt.its, v);
	else if (n > 4 && sprefix(a, "env=", 4))
		report(env_has(a + 4, n - 4), "env: the variable is set", 0, 1);
	else if (n == 3 && sprefix(a, "smp", 3))
		check_smp();
	else if (n == 4 && sprefix(a, "beat", 4))
		beat();
	else if (n == 4 && sprefix(a, "fail", 4))
		report(false, "fail: asked to", 0, 1);
	else {
		puts_("bare: unknown argument '");
		putn(a, n);
		puts_("'\n");
		report(false, "arguments: all known", 0, 1);
	}
}

static void run_args(void)
{
	const char *a = dt.bootargs ? dt.bootargs : "";

	puts_("bare: bootargs '");
	puts_(a);
	puts_("'\n");
	while (*a) {
		size_t n = 0;

		while (*a == ' ')
			a++;
		while (a[n] && a[n] != ' ')
			n++;
		if (n)
			check_arg(a, n);
		a += n;
	}
}

static void finish(int code)
{
	puts_("SUMMARY: ");
	putu(tests);
	puts_(" tests, ");
	putu(failures);
	puts_(" unexpected failures\n");
	/* kvm-unit-tests' form: (code << 1) | 1, so 1 is success. */
	puts_("EXIT: STATUS=");
	putu(((unsigned int)code << 1) | 1);
	putc_('\n');
	if (dt.psci) {
		long r = psci_call(PSCI_SYSTEM_OFF, 0, 0, 0);

		puts_("bare: PSCI SYSTEM_OFF returned ");
		putx((uint64_t)r);
		putc_('\n');
	}
	if (dt.test_exit) {
		puts_("bare: ending through test-exit\n");
		*(volatile uint32_t *)dt.test_exit = (uint32_t)code;
	}
	puts_("bare: no way to power off\n");
}

void bare_main(const void *fdt)
{
	puts_("bare: early output at ");
	putx(EARLY_UART);
	putc_('\n');
	if (!fdt || be32(fdt) != FDT_MAGIC || !dt_walk(fdt)) {
		puts_("bare: x0 does not point at a device tree I can read\n");
		finish(2);
		return;
	}
	if (dt.uart)
		uart = (volatile uint8_t *)dt.uart;
	puts_("bare: device tree UART at ");
	putx((uint64_t)uart);
	puts_(", ");
	putu(dt.ncpus);
	puts_(" cpus, GIC ");
	putu(dt.gic);
	puts_(dt.psci ? ", psci" : ", no psci");
	puts_(dt.timer ? ", timer\n" : ", no timer\n");
	print_env();
	run_args();
	finish(failures ? 1 : 0);
}
