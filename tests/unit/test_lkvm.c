// SPDX-License-Identifier: GPL-2.0
/*
 * kvmtool's command line: every option kvm-unit-tests' runner and its
 * unittests.cfg pass, the rest of what armz takes, what it refuses (by
 * name), the commands, the help kvm-unit-tests looks for, and how the
 * kernel's format is told from its first bytes.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include "../../vmm/lkvm.h"

#include "unit.h"

static struct vm_config cfg;
static struct lkvm_args args;

/* lkvm WORD...: argv[0] is "lkvm". */
static int lkvm(const char *first, ...)
{
	static char *argv[64];
	const char *w;
	int argc = 0;
	va_list ap;

	argv[argc++] = "lkvm";
	va_start(ap, first);
	for (w = first; w && argc < 63; w = va_arg(ap, const char *))
		argv[argc++] = (char *)w;
	va_end(ap);
	argv[argc] = NULL;
	return lkvm_parse(argc, argv, &cfg, &args);
}

#define LKVM(...)	lkvm(__VA_ARGS__, NULL)

static void refused_msg(int r, const char *want)
{
	CU_ASSERT_EQUAL(r, -EINVAL);
	if (!strstr(err_msg(), want)) {
		fprintf(stderr, "\n'%s' lacks '%s'\n", err_msg(), want);
		CU_FAIL("wrong reason");
	}
}

#define REFUSED(want, ...)	refused_msg(LKVM(__VA_ARGS__), want)

static void test_lkvm_dialect(void)
{
	CU_ASSERT_TRUE(lkvm_dialect("lkvm"));
	CU_ASSERT_TRUE(lkvm_dialect("/usr/bin/lkvm"));
	CU_ASSERT_TRUE(lkvm_dialect("./lkvm-static"));
	CU_ASSERT_TRUE(lkvm_dialect("/usr/local/bin/vm"));
	CU_ASSERT_FALSE(lkvm_dialect("armz"));
	CU_ASSERT_FALSE(lkvm_dialect("/opt/lkvm/armz"));
	CU_ASSERT_FALSE(lkvm_dialect("lkvm2"));
	CU_ASSERT_FALSE(lkvm_dialect("vmm"));
}

/* Exactly what kvm-unit-tests' arm/run does for a test. */
static void test_lkvm_unit_tests_line(void)
{
	CU_ASSERT_EQUAL(LKVM("run", "--kernel", "arm/selftest.flat",
			     "--cpus", "2", "--params", "setup smp=2 mem=256",
			     "--nodefaults", "--network", "mode=none",
			     "--loglevel=warning", "--mem", "256",
			     "--initrd", "/tmp/env.XXXX"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_RUN);
	CU_ASSERT_STRING_EQUAL(cfg.kernel, "arm/selftest.flat");
	CU_ASSERT_EQUAL(cfg.cpus, 2);
	CU_ASSERT_STRING_EQUAL(cfg.params, "setup smp=2 mem=256");
	CU_ASSERT_TRUE(cfg.nodefaults);
	CU_ASSERT_EQUAL(cfg.nnets, 0);
	CU_ASSERT_EQUAL(cfg.mem_size, 256ULL << 20);
	CU_ASSERT_STRING_EQUAL(cfg.initrd, "/tmp/env.XXXX");
	CU_ASSERT_EQUAL(cfg.irqchip, VM_IRQCHIP_AUTO);
	CU_ASSERT_FALSE(cfg.pmu);
	/* kvmtool enables MTE where KVM has it. */
	CU_ASSERT_TRUE(cfg.mte);
	CU_ASSERT_PTR_NULL(cfg.command);
	CU_ASSERT_PTR_NULL(cfg.payload);
}

static void test_lkvm_options(void)
{
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "-i", "R", "-p", "a=b", "-c",
			     "4", "-m", "512", "-d", "disk.img,ro", "-d", "b",
			     "--console", "virtio", "--rng", "--9p",
			     "/srv,share", "--name", "vm1", "--pmu",
			     "--irqchip=gicv3-its", "--debug",
			     "--debug-single-step", "--debug-ioport",
			     "--debug-mmio", "--debug-iodelay", "5",
			     "--loglevel", "debug", "--disable-mte"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.kernel, "I");
	CU_ASSERT_STRING_EQUAL(cfg.initrd, "R");
	CU_ASSERT_STRING_EQUAL(cfg.params, "a=b");
	CU_ASSERT_EQUAL(cfg.cpus, 4);
	CU_ASSERT_EQUAL(cfg.mem_size, 512ULL << 20);
	CU_ASSERT_EQUAL_FATAL(cfg.ndisks, 2);
	CU_ASSERT_STRING_EQUAL(cfg.disks[0].path, "disk.img");
	CU_ASSERT_TRUE(cfg.disks[0].ro);
	CU_ASSERT_FALSE(cfg.disks[1].ro);
	CU_ASSERT_EQUAL(cfg.console, VM_CONSOLE_VIRTIO);
	CU_ASSERT_TRUE(cfg.rng);
	CU_ASSERT_EQUAL_FATAL(cfg.nshares, 1);
	CU_ASSERT_STRING_EQUAL(cfg.shares[0].dir, "/srv");
	CU_ASSERT_STRING_EQUAL(cfg.shares[0].tag, "share");
	CU_ASSERT_STRING_EQUAL(cfg.name, "vm1");
	CU_ASSERT_TRUE(cfg.pmu);
	CU_ASSERT_EQUAL(cfg.irqchip, VM_IRQCHIP_GICV3_ITS);
	CU_ASSERT_FALSE(cfg.mte);
	CU_ASSERT_FALSE(cfg.nodefaults);

	CU_ASSERT_EQUAL(LKVM("run", "--irqchip", "gicv2", "--console",
			     "serial", "k"), 0);
	CU_ASSERT_EQUAL(cfg.irqchip, VM_IRQCHIP_GICV2);
	CU_ASSERT_EQUAL(cfg.console, VM_CONSOLE_SERIAL);
	/* lkvm run [options] KERNEL */
	CU_ASSERT_STRING_EQUAL(cfg.kernel, "k");
	CU_ASSERT_EQUAL(LKVM("run", "--irqchip=gicv3", "-k", "k"), 0);
	CU_ASSERT_EQUAL(cfg.irqchip, VM_IRQCHIP_GICV3);
	/* armz's defaults: 1 vCPU, 256 MiB. */
	CU_ASSERT_EQUAL(LKVM("run", "k"), 0);
	CU_ASSERT_EQUAL(cfg.cpus, 1);
	CU_ASSERT_EQUAL(cfg.mem_size, 256ULL << 20);
}

/* A plain number is MiB, as in kvmtool; a suffix is taken as said. */
static void test_lkvm_mem(void)
{
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "-m", "256"), 0);
	CU_ASSERT_EQUAL(cfg.mem_size, 256ULL << 20);
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "--mem=1024"), 0);
	CU_ASSERT_EQUAL(cfg.mem_size, 1ULL << 30);
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "--mem", "2G"), 0);
	CU_ASSERT_EQUAL(cfg.mem_size, 2ULL << 30);
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "--mem", "64M"), 0);
	CU_ASSERT_EQUAL(cfg.mem_size, 64ULL << 20);
	REFUSED("--mem '8': give MiB from 16", "run", "-k", "I", "-m", "8");
	REFUSED("--mem '0'", "run", "-k", "I", "-m", "0");
	REFUSED("--mem '1T'", "run", "-k", "I", "-m", "1T");
	REFUSED("--mem 'lots'", "run", "-k", "I", "-m", "lots");
	REFUSED("--mem '99999999999999999'", "run", "-k", "I", "-m",
		"99999999999999999");
}

static void test_lkvm_network(void)
{
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "--network", "mode=none"), 0);
	CU_ASSERT_EQUAL(cfg.nnets, 0);
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "-n",
			     "mode=tap,tapif=tap7,vhost=1,guest_mac=02:00:00:00:00:07"),
			0);
	CU_ASSERT_EQUAL_FATAL(cfg.nnets, 1);
	CU_ASSERT_EQUAL(cfg.nets[0].type, NET_TAP);
	CU_ASSERT_STRING_EQUAL(cfg.nets[0].ifname, "tap7");
	CU_ASSERT_TRUE(cfg.nets[0].vhost);
	CU_ASSERT_EQUAL(cfg.nets[0].mac[5], 7);
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "-n", "mode=tap,vhost=0"), 0);
	CU_ASSERT_FALSE(cfg.nets[0].vhost);
#ifdef ARMZ_HAVE_SLIRP
	CU_ASSERT_EQUAL(LKVM("run", "-k", "I", "--network", "mode=user"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.nnets, 1);
	CU_ASSERT_EQUAL(cfg.nets[0].type, NET_USER);
#else
	REFUSED("libslirp", "run", "-k", "I", "--network", "mode=user");
#endif
	REFUSED("'host_ip=192.168.33.1' is not supported by armz", "run", "-k",
		"I", "-n", "mode=user,host_ip=192.168.33.1");
	REFUSED("'script=/x' is not supported", "run", "-k", "I", "-n",
		"mode=tap,script=/x");
	REFUSED("mode=bridge: give none, user or tap", "run", "-k", "I", "-n",
		"mode=bridge");
	REFUSED("give mode=none, user or tap", "run", "-k", "I", "-n",
		"tapif=x");
	REFUSED("tapif= goes with mode=tap", "run", "-k", "I", "-n",
		"mode=user,tapif=x");
	REFUSED("mode=none takes no other", "run", "-k", "I", "-n",
		"mode=none,guest_mac=02:00:00:00:00:01");
}

/* kvmtool's options armz lacks are named, as kvmtool's. */
static void test_lkvm_refused(void)
{
	REFUSED("kvmtool's option '--nested' is not supported by armz", "run",
		"-k", "I", "--nested");
	REFUSED("'--aarch32' is not supported", "run", "-k", "I", "--aarch32");
	REFUSED("'--vfio-pci' is not supported", "run", "-k", "I",
		"--vfio-pci=0000:00:01.0");
	REFUSED("'--balloon' is not supported", "run", "--balloon", "-k", "I");
	REFUSED("'--sandbox' is not supported", "run", "--sandbox", "x.sh");
	REFUSED("'--firmware' is not supported", "run", "--firmware", "f");
	REFUSED("unknown option '--frobnicate'", "run", "-k", "I",
		"--frobnicate");
	REFUSED("--console hv: armz has no hv console", "run", "-k", "I",
		"--console", "hv");
	REFUSED("--console 'tty'", "run", "-k", "I", "--console", "tty");
	REFUSED("--irqchip=gicv2m", "run", "-k", "I", "--irqchip=gicv2m");
	REFUSED("--irqchip 'gicv4'", "run", "-k", "I", "--irqchip=gicv4");
	REFUSED("--loglevel 'loud'", "run", "-k", "I", "--loglevel", "loud");
	REFUSED("--cpus '0'", "run", "-k", "I", "-c", "0");
	REFUSED("--name '.x'", "run", "-k", "I", "--name", ".x");
	REFUSED("option '-c' needs a value", "run", "-k", "I", "-c");
	REFUSED("no kernel given", "run", "--cpus", "2");
	REFUSED("unexpected argument 'extra'", "run", "-k", "I", "extra");
	REFUSED("'setup' is not an lkvm command", "setup");
	REFUSED("'balloon' is not an lkvm command", "balloon");
}

static void test_lkvm_commands(void)
{
	CU_ASSERT_EQUAL(LKVM("--help"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_HELP);
	CU_ASSERT_EQUAL(lkvm(NULL), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_HELP);
	CU_ASSERT_EQUAL(LKVM("help"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_HELP);
	CU_ASSERT_EQUAL(LKVM("run", "--help"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_RUN_HELP);
	CU_ASSERT_EQUAL(LKVM("version"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_VERSION);
	CU_ASSERT_EQUAL(LKVM("list"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_LIST);
	CU_ASSERT_EQUAL(LKVM("stop", "--name", "vm1"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_STOP);
	CU_ASSERT_STRING_EQUAL(args.name, "vm1");
	CU_ASSERT_EQUAL(LKVM("pause", "-n", "vm2"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_PAUSE);
	CU_ASSERT_STRING_EQUAL(args.name, "vm2");
	CU_ASSERT_EQUAL(LKVM("resume", "--name=vm3"), 0);
	CU_ASSERT_EQUAL(args.cmd, LKVM_RESUME);
	CU_ASSERT_STRING_EQUAL(args.name, "vm3");
	REFUSED("stop: give --name NAME", "stop");
	REFUSED("stop --all: armz acts on one VM at a time", "stop", "--all");
	REFUSED("pause: unexpected 'x'", "pause", "x");
	REFUSED("list: armz lists every VM", "list", "-i");
}

static char *help_text(void (*fn)(FILE *))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	fn(f);
	fclose(f);
	return buf;
}

/* kvm-unit-tests takes a binary for kvmtool when --help says this. */
static void test_lkvm_help(void)
{
	char *h = help_text(lkvm_usage);

	CU_ASSERT_PTR_NOT_NULL(strstr(h, "The most commonly used lkvm commands are:"));
	for (const char *const *c = (const char *const[]){ "run", "list",
		"stop", "pause", "resume", "version", NULL }; *c; c++) {
		char want[32];

		snprintf(want, sizeof(want), "\n   %s ", *c);
		CU_ASSERT_PTR_NOT_NULL(strstr(h, want));
	}
	/* The exit statuses are armz's, in this mode too. */
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "Exit status:"));
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "121"));
	free(h);
	h = help_text(lkvm_usage_run);
	for (const char *const *o = (const char *const[]){ "--kernel",
		"--initrd", "--params", "--cpus", "--mem", "--disk",
		"--network", "--console", "--rng", "--9p", "--name",
		"--nodefaults", "--irqchip", "--pmu", "--loglevel", "--debug",
		"--disable-mte", NULL }; *o; o++)
		if (!strstr(h, *o)) {
			fprintf(stderr, "\nlkvm run --help lacks %s\n", *o);
			CU_FAIL("lkvm run --help misses an option");
		}
	CU_ASSERT_PTR_NOT_NULL(strstr(h, "Exit status:"));
	free(h);
}

/* A file with these first bytes, and the format lkvm picks for it. */
static enum kernel_format format_of(const void *head, size_t len)
{
	char path[] = "/tmp/armz-lkvm-XXXXXX";
	int fd = mkstemp(path);

	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_EQUAL(write(fd, head, len), (ssize_t)len);
	close(fd);
	cfg.kernel = path;
	cfg.kernel_format = KERNEL_FORMAT_RAW;
	CU_ASSERT_EQUAL(lkvm_pick_kernel_format(&cfg), 0);
	unlink(path);
	return cfg.kernel_format;
}

static void test_lkvm_kernel_format(void)
{
	uint8_t img[64] = { 0 };
	/* What a .flat starts with: instructions, here "b +8; nop". */
	static const uint8_t flat[16] = {
		0x02, 0x00, 0x00, 0x14, 0x1f, 0x20, 0x03, 0xd5,
	};

	memcpy(img + 0x38, "ARM\x64", 4);
	CU_ASSERT_EQUAL(format_of(img, sizeof(img)), KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(format_of("\x1f\x8b\x08\x00", 4), KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(format_of("\x28\xb5\x2f\xfd", 4), KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(format_of("\xfd" "7zXZ\0", 6), KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(format_of("MZ\0\0zimg", 8), KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(format_of("\177ELF\2\1\1", 7), KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(format_of(flat, sizeof(flat)), KERNEL_FORMAT_RAW);
	/* Short of the Image header, and no other magic: raw; empty too. */
	CU_ASSERT_EQUAL(format_of(img, 0x38), KERNEL_FORMAT_RAW);
	/* kvmtool's words, which kvm-unit-tests' runner looks for. */
	cfg.kernel = "_NO_FILE_4Uhere_";
	CU_ASSERT_EQUAL(lkvm_pick_kernel_format(&cfg), -ENOENT);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(),
				      "Fatal: Unable to open kernel _NO_FILE_4Uhere_"));
}

static const CU_TestInfo lkvm_tests[] = {
	{ "program names", test_lkvm_dialect },
	{ "kvm-unit-tests' command line", test_lkvm_unit_tests_line },
	{ "run options", test_lkvm_options },
	{ "--mem in MiB", test_lkvm_mem },
	{ "--network", test_lkvm_network },
	{ "refused options", test_lkvm_refused },
	{ "commands", test_lkvm_commands },
	{ "help", test_lkvm_help },
	{ "kernel format", test_lkvm_kernel_format },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(lkvm, lkvm_tests)
