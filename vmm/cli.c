// SPDX-License-Identifier: GPL-2.0
/*
 * The command line, turned into a struct vm_config. Every mistake is a
 * usage error (exit 2) with one line naming the option and the reason;
 * whether the files exist is checked later, by the code that opens them.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include <armz/p9.h>
#include <armz/virtio-blk.h>
#include <armz/virtio-net.h>
#include "cli.h"
#include "machine.h"

enum {
	OPT_NAME = 0x100,
	OPT_DTB_DUMP,
	OPT_KVM_DEV,
	OPT_NO_REBOOT,
	OPT_PAYLOAD,
	OPT_LOAD_ADDR,
	OPT_ENTRY,
	OPT_TIMEOUT,
	OPT_CONSOLE_LOG,
	OPT_REPORT,
	OPT_CONSOLE,
	OPT_RNG,
	OPT_9P,
	OPT_ROOTFS,
	OPT_RW,
	OPT_VERBOSE,
	OPT_HELP,
};

static const struct option run_options[] = {
	{ "kernel",	required_argument, NULL, 'k' },
	{ "initrd",	required_argument, NULL, 'i' },
	{ "params",	required_argument, NULL, 'p' },
	{ "cpus",	required_argument, NULL, 'c' },
	{ "mem",	required_argument, NULL, 'm' },
	{ "name",	required_argument, NULL, OPT_NAME },
	{ "dtb-dump",	required_argument, NULL, OPT_DTB_DUMP },
	{ "kvm-dev",	required_argument, NULL, OPT_KVM_DEV },
	{ "no-reboot",	no_argument,	   NULL, OPT_NO_REBOOT },
	{ "payload",	required_argument, NULL, OPT_PAYLOAD },
	{ "load-addr",	required_argument, NULL, OPT_LOAD_ADDR },
	{ "entry",	required_argument, NULL, OPT_ENTRY },
	{ "timeout",	required_argument, NULL, OPT_TIMEOUT },
	{ "console-log", required_argument, NULL, OPT_CONSOLE_LOG },
	{ "report",	required_argument, NULL, OPT_REPORT },
	{ "console",	required_argument, NULL, OPT_CONSOLE },
	{ "disk",	required_argument, NULL, 'd' },
	{ "net",	required_argument, NULL, 'n' },
	{ "rng",	no_argument,	   NULL, OPT_RNG },
	{ "9p",		required_argument, NULL, OPT_9P },
	{ "rootfs",	required_argument, NULL, OPT_ROOTFS },
	{ "rw",		no_argument,	   NULL, OPT_RW },
	{ "verbose",	no_argument,	   NULL, OPT_VERBOSE },
	{ "help",	no_argument,	   NULL, 'h' },
	{ NULL, 0, NULL, 0 },
};

static const char *option_name(int opt, char *buf, size_t len)
{
	for (const struct option *o = run_options; o->name; o++)
		if (o->val == opt) {
			snprintf(buf, len, "--%s", o->name);
			return buf;
		}
	snprintf(buf, len, "-%c", opt);
	return buf;
}

/* The leading number of s, in base; *end is what follows it. */
static int cli_parse_leading(const char *s, int base, uint64_t *v,
			     char **end)
{
	errno = 0;
	if (*s < '0' || *s > '9')
		return -EINVAL;
	*v = strtoull(s, end, base);
	return errno ? -EINVAL : 0;
}

/* A size such as 512M, 2G or 65536; K, M, G and T are powers of 1024. */
int cli_parse_size(const char *s, uint64_t *out)
{
	unsigned int shift = 0;
	char *end;
	uint64_t v;

	if (cli_parse_leading(s, 0, &v, &end))
		return -EINVAL;
	switch (*end) {
	case 'k': case 'K': shift = 10; end++; break;
	case 'm': case 'M': shift = 20; end++; break;
	case 'g': case 'G': shift = 30; end++; break;
	case 't': case 'T': shift = 40; end++; break;
	}
	if (*end == 'i' || *end == 'B')
		end += (*end == 'i' && end[1] == 'B') ? 2 : 1;
	if (*end || (shift && v > (UINT64_MAX >> shift)))
		return -EINVAL;
	*out = v << shift;
	return 0;
}

/* A duration such as 90s, 5m, 1h, 250ms or plain seconds, in ms. */
int cli_parse_duration(const char *s, uint64_t *ms)
{
	static const struct { const char *unit; uint64_t ms; } units[] = {
		{ "", 1000 }, { "s", 1000 }, { "ms", 1 }, { "m", 60000 },
		{ "h", 3600000 },
	};
	char *end;
	uint64_t v;

	if (cli_parse_leading(s, 10, &v, &end))
		return -EINVAL;
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (!strcmp(end, units[i].unit)) {
			if (v > UINT64_MAX / units[i].ms)
				return -EINVAL;
			*ms = v * units[i].ms;
			return *ms ? 0 : -EINVAL;
		}
	return -EINVAL;
}

static int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	return cli_parse_leading(s, 0, out, &end) || *end ? -EINVAL : 0;
}

static int cli_check_value(int opt, const char *arg, struct vm_config *cfg)
{
	uint64_t v;

	switch (opt) {
	case 'c':
		if (cli_parse_u64(arg, &v) || v < 1 || v > MEMMAP_MAX_CPUS)
			return err_set(EINVAL, "--cpus '%s': give a number from 1 to %llu",
				       arg, (unsigned long long)MEMMAP_MAX_CPUS);
		cfg->cpus = (unsigned int)v;
		return 0;
	case 'm':
		if (cli_parse_size(arg, &v) || v < MEMMAP_RAM_MIN ||
		    v > MEMMAP_RAM_MAX || v % (64 << 10))
			return err_set(EINVAL, "--mem '%s': give a size from %lluM to %lluG in whole 64K pages, e.g. 512M or 2G",
				       arg,
				       (unsigned long long)(MEMMAP_RAM_MIN >> 20),
				       (unsigned long long)(MEMMAP_RAM_MAX >> 30));
		cfg->mem_size = v;
		return 0;
	case OPT_TIMEOUT:
		if (cli_parse_duration(arg, &cfg->timeout_ms))
			return err_set(EINVAL, "--timeout '%s': give a duration such as 90s, 5m or 1h",
				       arg);
		return 0;
	case OPT_LOAD_ADDR:
	case OPT_ENTRY:
		if (cli_parse_u64(arg, &v))
			return err_set(EINVAL, "%s '%s': give an address, e.g. 0x40080000",
				       opt == OPT_ENTRY ? "--entry" : "--load-addr",
				       arg);
		if (opt == OPT_ENTRY) {
			cfg->has_entry = true;
			cfg->entry = v;
		} else {
			cfg->has_load_addr = true;
			cfg->load_addr = v;
		}
		return 0;
	}
	return 0;
}

/* Options that may be given more than once, each adding a device. */
static int cli_add(int opt, const char *arg, struct vm_config *cfg)
{
	const char **list = cfg->disks;
	unsigned int *n = &cfg->ndisks, max = VM_MAX_DISKS;
	const char *what = "--disk";

	if (opt == 'n') {
		list = cfg->nets, n = &cfg->nnets, max = VM_MAX_NETS;
		what = "--net";
	} else if (opt == OPT_9P) {
		list = cfg->shares, n = &cfg->nshares, max = VM_MAX_SHARES;
		what = "--9p";
	}
	if (*n == max)
		return err_set(EINVAL, "at most %u %s options", max, what);
	list[(*n)++] = arg;
	return 0;
}

static bool cli_repeatable(int opt)
{
	return opt == 'd' || opt == 'n' || opt == OPT_9P;
}

static int cli_set(int opt, const char *arg, struct vm_config *cfg)
{
	if (cli_repeatable(opt))
		return cli_add(opt, arg, cfg);
	switch (opt) {
	case OPT_RNG: cfg->rng = true; return 0;
	case OPT_ROOTFS: cfg->rootfs = arg; return 0;
	case OPT_RW: cfg->rw = true; return 0;
	case OPT_VERBOSE: cfg->verbose = true; return 0;
	case OPT_CONSOLE:
		if (strcmp(arg, "virtio") && strcmp(arg, "serial"))
			return err_set(EINVAL, "--console '%s': give 'serial' (ttyS0, the default) or 'virtio' (hvc0)",
				       arg);
		cfg->virtio_console = !strcmp(arg, "virtio");
		return 0;
	case 'k': cfg->kernel = arg; return 0;
	case 'i': cfg->initrd = arg; return 0;
	case 'p': cfg->params = arg; return 0;
	case OPT_NAME: cfg->name = arg; return 0;
	case OPT_DTB_DUMP: cfg->dtb_dump = arg; return 0;
	case OPT_KVM_DEV: cfg->kvm_dev = arg; return 0;
	case OPT_NO_REBOOT: cfg->no_reboot = true; return 0;
	case OPT_PAYLOAD: cfg->payload = arg; return 0;
	case OPT_CONSOLE_LOG: cfg->console_log = arg; return 0;
	case OPT_REPORT: cfg->report = arg; return 0;
	default: return cli_check_value(opt, arg, cfg);
	}
}

/* Device options are checked now, so a typo is a usage error. */
static int cli_check_devices(const struct vm_config *cfg)
{
	struct blk_config bc;
	struct net_config nc;
	char *dir, *tag;
	bool ro;
	int r = 0;

	for (unsigned int i = 0; !r && i < cfg->ndisks; i++)
		r = blk_parse(cfg->disks[i], &bc);
	for (unsigned int i = 0; !r && i < cfg->nnets; i++)
		r = net_parse(cfg->nets[i], &nc);
	for (unsigned int i = 0; !r && i < cfg->nshares; i++) {
		r = p9_parse_share(cfg->shares[i], &dir, &tag, &ro);
		if (!r) {
			free(dir);
			free(tag);
		}
	}
	return r;
}

static int cli_check_config(const struct vm_config *cfg)
{
	if (cfg->name && !control_name_ok(cfg->name))
		return err_set(EINVAL, "--name '%s': use up to 64 letters, digits, '.', '_' or '-', not starting with '.'",
			       cfg->name);
	if (cfg->kernel && cfg->payload)
		return err_set(EINVAL, "--kernel and --payload exclude each other: boot Linux or run a payload");
	if (!cfg->kernel && !cfg->payload)
		return err_set(EINVAL, "no kernel given: use --kernel IMAGE (or --payload FILE)");
	if (cfg->payload && cfg->initrd)
		return err_set(EINVAL, "--initrd needs --kernel; a payload has no initrd");
	if (!cfg->payload && (cfg->has_entry || cfg->has_load_addr))
		return err_set(EINVAL, "--load-addr and --entry go with --payload");
	if (cfg->payload && cfg->cpus > 1)
		return err_set(EINVAL, "--payload runs on 1 vCPU");
	if (cfg->command && cfg->initrd)
		return err_set(EINVAL, "a command runs from armz's own initramfs: drop --initrd");
	if (cfg->command && cfg->virtio_console)
		return err_set(EINVAL, "a command's console is hvc0 already: drop --console");
	if (!cfg->command && (cfg->rootfs || cfg->rw))
		return err_set(EINVAL, "--rootfs and --rw go with a command: armz run -k IMAGE --rootfs DIR -- CMD");
	if (cfg->payload && (cfg->ndisks || cfg->nnets || cfg->nshares ||
			     cfg->rng || cfg->virtio_console))
		return err_set(EINVAL, "--payload machines have no interrupts, so no virtio devices: only the UART and test-exit");
	return cli_check_devices(cfg);
}

/*
 * argv starts after "run". Returns 0, 1 when help was printed, or a
 * negative errno for a usage error.
 */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg)
{
	bool seen[OPT_HELP + 1] = { false };
	char name[32];
	int opt, r;

	*cfg = (struct vm_config){ .cpus = 1, .mem_size = 256ULL << 20 };
	for (unsigned int i = 0; i < VM_MAX_NETS; i++)
		cfg->tap_fds[i] = -1;
	optind = 1;
	opterr = 0;
	while ((opt = getopt_long(argc, argv, "+:k:i:p:c:m:d:n:h", run_options,
				  NULL)) != -1) {
		if (opt == 'h')
			return 1;
		if (opt == '?')
			return err_set(EINVAL, "unknown option '%s'",
				       argv[optind - 1]);
		if (opt == ':')
			return err_set(EINVAL, "option '%s' needs a value",
				       argv[optind - 1]);
		if (seen[opt] && !cli_repeatable(opt))
			return err_set(EINVAL, "option %s given twice",
				       option_name(opt, name, sizeof(name)));
		seen[opt] = true;
		r = cli_set(opt, optarg, cfg);
		if (r)
			return r;
	}
	if (optind < argc && !strcmp(argv[optind - 1], "--"))
		cfg->command = &argv[optind];
	else if (optind < argc)
		return err_set(EINVAL, "unexpected argument '%s' (a command to run goes after --)",
			       argv[optind]);
	else if (!strcmp(argv[optind - 1], "--"))
		return err_set(EINVAL, "no command after --");
	if (cfg->command && !cfg->rootfs)
		cfg->rootfs = "/";
	return cli_check_config(cfg);
}

void cli_usage_run(FILE *f)
{
	fprintf(f,
"usage: armz run --kernel IMAGE [options] [-- CMD [ARGS...]]\n"
"       armz run --payload FILE [--load-addr ADDR] [--entry ADDR] [options]\n"
"\n"
"Boot an AArch64 Linux kernel Image, or a bare-metal payload, on arm64 KVM.\n"
"With -- CMD, run CMD in the guest on the host's root directory (shared\n"
"read-only over 9p, with a writable tmpfs over it) and exit with its status;\n"
"its stdout and stderr are armz's, the kernel's console goes to --console-log.\n"
"\n"
"  -k, --kernel IMAGE     arm64 Linux Image (uncompressed, little-endian)\n"
"  -i, --initrd FILE      initial ramdisk\n"
"  -p, --params CMDLINE   kernel command line; armz appends\n"
"                         'console=ttyS0 earlycon=uart8250,mmio,0x%llx'\n"
"                         unless it already names a console=\n"
"  -c, --cpus N           vCPUs (default 1)\n"
"  -m, --mem SIZE         RAM, with K/M/G suffix (default 256M)\n"
"      --name NAME        name of this VM\n"
"      --dtb-dump FILE    write the device tree to FILE and exit\n"
"      --kvm-dev PATH     KVM device (default %s)\n"
"      --no-reboot        exit when the guest resets instead of rebooting\n"
"      --timeout DURATION stop the guest after DURATION (90s, 5m, 1h)\n"
"      --console-log FILE also write everything the guest prints to FILE\n"
"      --report FILE      write a JSON report of the run to FILE at exit\n"
"      --console serial|virtio\n"
"                         guest console on the UART (ttyS0, default) or on\n"
"                         virtio-console (hvc0; earlycon stays on the UART)\n"
"  -d, --disk PATH[,ro][,direct][,serial=ID]\n"
"                         virtio-blk disk from a raw image or block device;\n"
"                         repeatable (vda, vdb, ...)\n"
"  -n, --net user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...[,mac=MAC]\n"
"      --net tap[,ifname=NAME][,vhost=on][,mac=MAC] | none\n"
"                         virtio-net; none by default\n"
"      --rng              virtio-rng fed from the host's getrandom()\n"
"      --9p HOSTDIR,TAG[,ro]\n"
"                         share a host directory over virtio-9p; repeatable\n"
"                         (with a command: mounted at HOSTDIR in the guest)\n"
"      --rootfs DIR       with a command: the guest's root (default /)\n"
"      --rw               with a command: write through to DIR, no overlay\n"
"      --verbose          with a command: kernel console on stderr too\n"
"      --payload FILE     raw AArch64 binary or ELF to run without Linux:\n"
"                         1 vCPU, no interrupt controller, UART and test-exit\n"
"      --load-addr ADDR   where a raw payload goes (default 0x%llx)\n"
"      --entry ADDR       first instruction (default: ELF entry or load address)\n"
"  -h, --help             this text\n"
"\n"
"Devices: ns16550a UART at 0x%llx; test-exit register at 0x%llx (a 32-bit\n"
"write of V ends the run with exit status V & 0xff); pvpanic at 0x%llx.\n"
"The console escape is Ctrl-A x when stdin is a terminal.\n"
"\n", (unsigned long long)MEMMAP_UART_BASE, kvm_default_device(),
		(unsigned long long)MEMMAP_RAM_BASE,
		(unsigned long long)MEMMAP_UART_BASE,
		(unsigned long long)MEMMAP_TEST_EXIT_BASE,
		(unsigned long long)MEMMAP_PVPANIC_BASE);
	cli_exit_statuses(f);
}

void cli_exit_statuses(FILE *f)
{
	fprintf(f,
"Exit status:\n"
"    0  the guest powered off\n"
"    1  armz failed: a file, KVM or the host could not do what was asked\n"
"    2  usage error: the command line is wrong\n"
"  %3d  the guest touched an address outside its memory map, or its vCPU failed\n"
"  %3d  the guest panicked\n"
"  %3d  the guest reset and --no-reboot was given\n"
"  %3d  timeout\n"
"  128+N  stopped by signal N (SIGTERM, SIGINT)\n"
"  With -- CMD the command's status is passed through; in --payload mode\n"
"  the status a payload writes to test-exit.\n",
		ARMZ_EXIT_GUEST_FAULT, ARMZ_EXIT_GUEST_PANIC,
		ARMZ_EXIT_GUEST_RESET, ARMZ_EXIT_TIMEOUT);
}
