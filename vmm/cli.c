// SPDX-License-Identifier: GPL-2.0
/*
 * The command line of `armz run`, turned into a struct vm_config. Every
 * option is one row of cli_options[]: its names, its argument, whether it
 * repeats, its help, how it is stored, and why it cannot be used in a mode
 * (a plain Linux boot, a payload, a command). getopt's table, the usage
 * text, the duplicate and mode checks, and the unit test that holds the
 * man page and the bash completion to the options all come from there.
 *
 * Every mistake is a usage error (exit 2) with one line naming the option
 * and the reason. Device options are parsed here, once, into their typed
 * configs (a MAC drawn once per run); whether files exist is checked later
 * by the code that opens them.
 */
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/gdb-listen.h>
#include <armz/kernel.h>
#include <armz/memmap.h>
#include <armz/util.h>
#include "cli.h"
#include "control.h"

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
	for (size_t i = 0; i < ARRAY_SIZE(units); i++)
		if (!strcmp(end, units[i].unit)) {
			if (v > UINT64_MAX / units[i].ms)
				return -EINVAL;
			*ms = v * units[i].ms;
			return *ms ? 0 : -EINVAL;
		}
	return -EINVAL;
}

/* A number in C notation: 0x40080000, 1073741824. */
int cli_parse_u64(const char *s, uint64_t *out)
{
	char *end;

	return cli_parse_leading(s, 0, out, &end) || *end ? -EINVAL : 0;
}

/* --- Setters: the options whose value needs more than storing --- */

int cli_set_cpus(struct vm_config *cfg, const char *arg)
{
	uint64_t v;

	if (cli_parse_u64(arg, &v) || v < 1 || v > MEMMAP_MAX_CPUS)
		return err_set(EINVAL, "--cpus '%s': give a number from 1 to %llu",
			       arg, (unsigned long long)MEMMAP_MAX_CPUS);
	cfg->cpus = (unsigned int)v;
	return 0;
}

static int set_mem(struct vm_config *cfg, const char *arg)
{
	uint64_t v;

	if (cli_parse_size(arg, &v) || v < MEMMAP_RAM_MIN ||
	    v > MEMMAP_RAM_MAX || v % (64 << 10))
		return err_set(EINVAL, "--mem '%s': give a size from %lluM to %lluG in whole 64K pages, e.g. 512M or 2G",
			       arg, (unsigned long long)(MEMMAP_RAM_MIN >> 20),
			       (unsigned long long)(MEMMAP_RAM_MAX >> 30));
	cfg->mem_size = v;
	return 0;
}

static int set_kernel_format(struct vm_config *cfg, const char *arg)
{
	if (kernel_format_parse(arg, &cfg->kernel_format))
		return err_set(EINVAL, "--kernel-format '%s': give 'auto' (an arm64 Image in any form) or 'raw' (a bare binary, loaded at RAM + 0x80000)",
			       arg);
	return 0;
}

static int set_timeout(struct vm_config *cfg, const char *arg)
{
	if (cli_parse_duration(arg, &cfg->timeout_ms))
		return err_set(EINVAL, "--timeout '%s': give a duration such as 90s, 5m or 1h",
			       arg);
	return 0;
}

static int set_address(const char *opt, const char *arg, bool *has,
		       uint64_t *v)
{
	if (cli_parse_u64(arg, v))
		return err_set(EINVAL, "%s '%s': give an address, e.g. 0x40080000",
			       opt, arg);
	*has = true;
	return 0;
}

static int set_load_addr(struct vm_config *cfg, const char *arg)
{
	return set_address("--load-addr", arg, &cfg->has_load_addr,
			   &cfg->load_addr);
}

static int set_entry(struct vm_config *cfg, const char *arg)
{
	return set_address("--entry", arg, &cfg->has_entry, &cfg->entry);
}

static int set_console(struct vm_config *cfg, const char *arg)
{
	if (!strcmp(arg, "serial"))
		cfg->console = VM_CONSOLE_SERIAL;
	else if (!strcmp(arg, "virtio"))
		cfg->console = VM_CONSOLE_VIRTIO;
	else
		return err_set(EINVAL, "--console '%s': give 'serial' (ttyS0, the default) or 'virtio' (hvc0)",
			       arg);
	return 0;
}

static int set_seccomp(struct vm_config *cfg, const char *arg)
{
	if (!strcmp(arg, "on"))
		cfg->seccomp = VM_SECCOMP_ON;
	else if (!strcmp(arg, "log"))
		cfg->seccomp = VM_SECCOMP_LOG;
	else if (!strcmp(arg, "off"))
		cfg->seccomp = VM_SECCOMP_OFF;
	else
		return err_set(EINVAL, "--seccomp '%s': give 'on' (the default), 'log' or 'off'",
			       arg);
	return 0;
}

static int set_name(struct vm_config *cfg, const char *arg)
{
	if (!control_name_ok(arg))
		return err_set(EINVAL, "--name '%s': use up to 64 letters, digits, '.', '_' or '-', not starting with '.'",
			       arg);
	cfg->name = arg;
	return 0;
}

static int set_disk(struct vm_config *cfg, const char *arg)
{
	int r = blk_parse(arg, &cfg->disks[cfg->ndisks]);

	cfg->ndisks += !r;
	return r;
}

/* "none" adds no device. */
static int set_net(struct vm_config *cfg, const char *arg)
{
	struct net_config *nc = &cfg->nets[cfg->nnets];
	int r = net_parse(arg, nc);

	if (!r && nc->type != NET_NONE)
		cfg->nnets++;
	return r;
}

static int set_9p(struct vm_config *cfg, const char *arg)
{
	int r = p9_parse_share(arg, &cfg->shares[cfg->nshares]);

	cfg->nshares += !r;
	return r;
}

/* Checked here, opened when the run begins. */
static int set_gdb(struct vm_config *cfg, const char *arg)
{
	struct gdb_endpoint ep;
	int r = gdb_endpoint_parse(arg, &ep);

	if (!r)
		cfg->gdb = arg;
	return r;
}

static int set_fs(struct vm_config *cfg, const char *arg)
{
	int r = fs_parse_share(arg, &cfg->fs[cfg->nfs]);

	cfg->nfs += !r;
	return r;
}

/* --- The table --- */

#define STR(field)	.str = offsetof(struct vm_config, field) + 1
#define FLAG(field)	.flag = offsetof(struct vm_config, field) + 1
#define COUNT(field, limit) \
	.count = offsetof(struct vm_config, field) + 1, .max = (limit)

/* Said when a command-only option comes without one. */
#define ONLY_COMMAND \
	"--rootfs and --rw go with a command: armz run -k IMAGE --rootfs DIR -- CMD"
#define ONLY_COMMAND_MODULES \
	"--modules goes with a command: armz run -k IMAGE --modules DIR -- CMD"
#define ONLY_PAYLOAD	"--load-addr and --entry go with --payload"
#define NO_VIRTIO_ON_PAYLOAD \
	"--payload machines have no interrupts, so no virtio devices: only the UART and test-exit"

const struct cli_option cli_options[] = {
	{ "kernel", 'k', "IMAGE", STR(kernel),
	  .help = "arm64 Linux kernel: Image, Image.gz/.zst/.xz/.lzma,\nEFI zboot (vmlinuz.efi) or vmlinux",
	  .not_payload = "--kernel and --payload exclude each other: boot Linux or run a payload" },
	{ "kernel-format", 0, "auto|raw", .set = set_kernel_format,
	  .help = "raw: --kernel is a bare binary, loaded at RAM +\n0x80000 and entered at its first byte (x0: the DTB);\nauto (default): a kernel of a form above, told by\nits contents",
	  .not_payload = "--kernel-format goes with --kernel; a payload is a raw binary or an ELF already" },
	{ "initrd", 'i', "FILE", .help = "initial ramdisk", STR(initrd),
	  .not_payload = "--initrd needs --kernel; a payload has no initrd",
	  .not_command = "a command runs from armz's own initramfs: drop --initrd" },
	{ "params", 'p', "CMDLINE", STR(params),
	  .help = "kernel command line; armz adds\n'console=ttyS0 earlycon=uart8250,mmio,0x9000000'\nafter it unless it already names a console=" },
	{ "cpus", 'c', "N", .help = "vCPUs (default 1)", .set = cli_set_cpus },
	{ "mem", 'm', "SIZE", .help = "RAM, with K/M/G suffix (default 256M)",
	  .set = set_mem },
	{ "name", 0, "NAME", .help = "name of this VM", .set = set_name },
	{ "dtb-dump", 0, "FILE", .help = "write the device tree to FILE and exit",
	  STR(dtb_dump) },
	{ "kvm-dev", 0, "PATH", STR(kvm_dev),
	  .help = "KVM device (default /dev/kvm; /dev/kvm-arm64 on s390x)" },
	{ "no-reboot", 0, NULL, FLAG(no_reboot),
	  .help = "exit when the guest resets instead of rebooting" },
	{ "timeout", 0, "DURATION", .set = set_timeout,
	  .help = "stop the guest after DURATION (90s, 5m, 1h)" },
	{ "console-log", 0, "FILE", STR(console_log),
	  .help = "also write everything the guest prints to FILE" },
	{ "report", 0, "FILE", STR(report),
	  .help = "write a JSON report of the run to FILE at exit" },
	{ "console", 0, "serial|virtio", .set = set_console,
	  .help = "guest console on the UART (ttyS0, default) or on\nvirtio-console (hvc0; earlycon stays on the UART)",
	  .not_command = "a command's console is hvc0 already: drop --console" },
	{ "disk", 'd', "PATH[,ro][,direct][,serial=ID]", .set = set_disk,
	  COUNT(ndisks, VM_MAX_DISKS),
	  .help = "virtio-blk disk from a raw image or block device;\nrepeatable (vda, vdb, ...)",
	  .not_payload = NO_VIRTIO_ON_PAYLOAD },
	{ "net", 'n', "user[,hostfwd=tcp::HOSTPORT-:GUESTPORT]...[,restrict=on]\n      [,loopback=off][,mac=MAC]\n--net tap[,ifname=NAME][,vhost=on][,mac=MAC] | none",
	  .set = set_net, COUNT(nnets, VM_MAX_NETS),
	  .help = "virtio-net; none by default. user (libslirp): the\nguest reaches what the host does, its loopback too\n(as 10.0.2.2); restrict=on: it starts no connection\nout, only port forwards and DHCP work (no DNS);\nloopback=off: the host's 127.0.0.1 is out of reach",
	  .not_payload = NO_VIRTIO_ON_PAYLOAD },
	{ "rng", 0, NULL, FLAG(rng),
	  .help = "virtio-rng fed from the host's getrandom()",
	  .not_payload = NO_VIRTIO_ON_PAYLOAD },
	{ "9p", 0, "HOSTDIR,TAG[,ro]", .set = set_9p,
	  COUNT(nshares, VM_MAX_SHARES),
	  .help = "share a host directory over virtio-9p; repeatable\n(with a command: mounted at HOSTDIR in the guest)",
	  .not_payload = NO_VIRTIO_ON_PAYLOAD },
	{ "fs", 0, "HOSTDIR,TAG[,ro] | socket=PATH,tag=TAG", .set = set_fs,
	  COUNT(nfs, VM_MAX_SHARES),
	  .help = "share a host directory over virtio-fs, served by a\nvirtiofsd armz starts, or by the vhost-user-fs\nbackend at PATH; repeatable (with a command:\nHOSTDIR is mounted at HOSTDIR in the guest)",
	  .not_payload = NO_VIRTIO_ON_PAYLOAD },
	{ "rootfs", 0, "DIR", STR(rootfs),
	  .help = "with a command: the guest's root (default /)",
	  .not_linux = ONLY_COMMAND, .not_payload = ONLY_COMMAND },
	{ "modules", 0, "DIR", STR(modules_dir),
	  .help = "with a command: the kernel's modules, from a\nmodules_install tree or its build tree (default:\nthe root's /lib/modules/RELEASE, then the build\ntree of --kernel)",
	  .not_linux = ONLY_COMMAND_MODULES, .not_payload = ONLY_COMMAND_MODULES },
	{ "rw", 0, NULL, FLAG(rw),
	  .help = "with a command: write through to DIR, no overlay",
	  .not_linux = ONLY_COMMAND, .not_payload = ONLY_COMMAND },
	{ "verbose", 0, NULL, FLAG(verbose),
	  .help = "with a command: kernel console on stderr too" },
	{ "user", 0, "USER", STR(user),
	  .help = "as root: become USER (name or uid) once /dev/kvm,\ntaps and vhost are open (default: sudo's caller);\nwhat armz opens after that, a command's root\nincluded, it opens with USER's rights" },
	{ "seccomp", 0, "on|log|off", .set = set_seccomp,
	  .help = "confine each thread to its system calls (default\non: a forbidden one ends armz with status 159);\nlog: the kernel logs it and lets it through" },
	{ "payload", 0, "FILE", STR(payload),
	  .help = "raw AArch64 binary or ELF to run without Linux:\n1 vCPU, no interrupt controller, UART and test-exit",
	  .not_command = "a command needs a Linux guest: use --kernel" },
	{ "load-addr", 0, "ADDR", .set = set_load_addr,
	  .help = "where a raw payload goes (default 0x40000000)",
	  .not_linux = ONLY_PAYLOAD, .not_command = ONLY_PAYLOAD },
	{ "entry", 0, "ADDR", .set = set_entry,
	  .help = "first instruction (default: ELF entry or load address)",
	  .not_linux = ONLY_PAYLOAD, .not_command = ONLY_PAYLOAD },
	{ "gdb", 0, "tcp::PORT|tcp:HOST:PORT|unix:PATH", .set = set_gdb,
	  .help = "serve gdb's remote protocol there (tcp::PORT is\n127.0.0.1 only); gdb's threads are the vCPUs" },
	{ "gdb-wait", 0, NULL, FLAG(gdb_wait),
	  .help = "with --gdb: hold every boot at its first\ninstruction until gdb lets it run" },
	{ "help", 'h', NULL, .help = "this text" },
	{ NULL },
};

#define CLI_NOPTS	(ARRAY_SIZE(cli_options) - 1)

/* The getopt value of row i: its short name, or 0x100 + i. */
static int cli_val(size_t i)
{
	return cli_options[i].short_name ?: 0x100 + (int)i;
}

static const struct cli_option *cli_find(int val, size_t *index)
{
	for (size_t i = 0; i < CLI_NOPTS; i++)
		if (cli_val(i) == val) {
			*index = i;
			return &cli_options[i];
		}
	return NULL;
}

static void cli_getopt_table(struct option *lo, char *so)
{
	size_t i;

	*so++ = '+';	/* stop at the command */
	*so++ = ':';	/* a missing value is ':', not '?' */
	for (i = 0; i < CLI_NOPTS; i++) {
		const struct cli_option *o = &cli_options[i];

		lo[i] = (struct option){
			o->name, o->arg ? required_argument : no_argument,
			NULL, cli_val(i),
		};
		if (o->short_name) {
			*so++ = o->short_name;
			if (o->arg)
				*so++ = ':';
		}
	}
	lo[i] = (struct option){ NULL, 0, NULL, 0 };
	*so = '\0';
}

static int cli_store(const struct cli_option *o, const char *arg,
		     struct vm_config *cfg)
{
	char *base = (char *)cfg;

	if (o->count) {
		unsigned int *n = (unsigned int *)(base + o->count - 1);

		if (*n == o->max)
			return err_set(EINVAL, "at most %u --%s options",
				       o->max, o->name);
	}
	if (o->set)
		return o->set(cfg, arg);
	if (o->str)
		*(const char **)(base + o->str - 1) = arg;
	if (o->flag)
		*(bool *)(base + o->flag - 1) = true;
	return 0;
}

/* Why row o cannot be used in this run's modes, or NULL. */
static const char *cli_refusal(const struct cli_option *o,
			       const struct vm_config *cfg)
{
	if (cfg->payload && o->not_payload)
		return o->not_payload;
	if (cfg->command && o->not_command)
		return o->not_command;
	if (!cfg->payload && !cfg->command)
		return o->not_linux;
	return NULL;
}

/* What depends on values, not on which options were given. */
static int cli_check_values(const struct vm_config *cfg)
{
	if (!cfg->kernel && !cfg->payload)
		return err_set(EINVAL, "no kernel given: use --kernel IMAGE (or --payload FILE)");
	if (cfg->payload && cfg->cpus > 1)
		return err_set(EINVAL, "--payload runs on 1 vCPU");
	if (cfg->payload && cfg->console == VM_CONSOLE_VIRTIO)
		return err_set(EINVAL, NO_VIRTIO_ON_PAYLOAD);
	if (cfg->gdb_wait && !cfg->gdb)
		return err_set(EINVAL, "--gdb-wait waits for gdb: give --gdb tcp::PORT (or unix:PATH) too");
	return 0;
}

static int cli_check_modes(const struct vm_config *cfg, const bool *seen)
{
	for (size_t i = 0; i < CLI_NOPTS; i++) {
		const char *why = cli_refusal(&cli_options[i], cfg);

		if (seen[i] && why)
			return err_set(EINVAL, "%s", why);
	}
	return cli_check_values(cfg);
}

static void cli_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->mem_size = 256ULL << 20;
}

/* After the options: "-- CMD ARGS..." or nothing. */
static int cli_command(int argc, char **argv, struct vm_config *cfg)
{
	bool dashes = optind > 0 && !strcmp(argv[optind - 1], "--");

	if (optind < argc && dashes)
		cfg->command = &argv[optind];
	else if (optind < argc)
		return err_set(EINVAL, "unexpected argument '%s' (a command to run goes after --)",
			       argv[optind]);
	else if (dashes)
		return err_set(EINVAL, "no command after --");
	if (cfg->command && !cfg->rootfs)
		cfg->rootfs = "/";
	return 0;
}

int cli_parse_run(int argc, char **argv, struct vm_config *cfg)
{
	struct option lo[ARRAY_SIZE(cli_options)];
	char so[2 + 3 * ARRAY_SIZE(cli_options) + 1];
	bool seen[ARRAY_SIZE(cli_options)] = { false };
	const struct cli_option *o;
	size_t i;
	int val, r;

	cli_defaults(cfg);
	cli_getopt_table(lo, so);
	optind = 1;
	opterr = 0;
	while ((val = getopt_long(argc, argv, so, lo, NULL)) != -1) {
		if (val == '?')
			return err_set(EINVAL, "unknown option '%s'",
				       argv[optind - 1]);
		if (val == ':')
			return err_set(EINVAL, "option '%s' needs a value",
				       argv[optind - 1]);
		o = cli_find(val, &i);
		if (!o)
			return err_set(EINVAL, "unknown option '%s'",
				       argv[optind - 1]);
		if (o->short_name == 'h')
			return 1;
		if (seen[i] && !o->count)
			return err_set(EINVAL, "option --%s given twice",
				       o->name);
		seen[i] = true;
		r = cli_store(o, optarg, cfg);
		if (r)
			return r;
	}
	r = cli_command(argc, argv, cfg);
	return r ?: cli_check_modes(cfg, seen);
}

/* --- Usage --- */

#define HELP_COLUMN	25

/* "  -k, --kernel IMAGE", then the help from HELP_COLUMN on. */
static void cli_usage_option(FILE *f, const struct cli_option *o)
{
	const char *help = o->help, *nl;
	int n;

	if (o->short_name)
		n = fprintf(f, "  -%c, --%s", o->short_name, o->name);
	else
		n = fprintf(f, "      --%s", o->name);
	if (o->arg) {
		/* An argument of several lines goes on under the name. */
		for (const char *a = o->arg; a; a = nl) {
			nl = strchr(a, '\n');
			if (a != o->arg)
				n = fprintf(f, "\n      ");
			n += fprintf(f, "%s%.*s", a == o->arg ? " " : "",
				     nl ? (int)(nl - a) : (int)strlen(a), a);
			if (nl)
				nl++;
		}
	}
	if (n >= HELP_COLUMN) {
		fputc('\n', f);
		n = 0;
	}
	for (; help; help = nl) {
		nl = strchr(help, '\n');
		fprintf(f, "%*s%.*s\n", HELP_COLUMN - n, "",
			nl ? (int)(nl - help) : (int)strlen(help), help);
		n = 0;
		if (nl)
			nl++;
	}
}

void cli_usage_run(FILE *f)
{
	fprintf(f,
"usage: armz run --kernel IMAGE [options] [-- CMD [ARGS...]]\n"
"       armz run --payload FILE [--load-addr ADDR] [--entry ADDR] [options]\n"
"\n"
"Boot an AArch64 Linux kernel Image, or a bare-metal payload, on arm64 KVM.\n"
"With -- CMD, run CMD in the guest on the host's root directory (shared\n"
"read-only over virtio-fs, or 9p where virtiofsd or the kernel's virtiofs is\n"
"missing, with a writable tmpfs over it) and exit with its status;\n"
"its stdout and stderr are armz's, the kernel's console goes to --console-log.\n"
"\n");
	for (size_t i = 0; i < CLI_NOPTS; i++)
		cli_usage_option(f, &cli_options[i]);
	fprintf(f,
"\n"
"Devices: ns16550a UART at 0x%llx; test-exit register at 0x%llx (a 32-bit\n"
"write of V ends the run with exit status V & 0xff); pvpanic at 0x%llx.\n"
"The console escape is Ctrl-A x when stdin is a terminal.\n"
"\n",
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
"  %3d  gdb's kill command ended the guest (--gdb)\n"
"  %3d  the guest touched an address outside its memory map, or its vCPU failed\n"
"  %3d  the guest panicked (a reset after a panic is the panic)\n"
"  %3d  the guest reset and was not booted again: --no-reboot, -- CMD,\n"
"       or a boot loop (3 resets within 60 s, none after userspace ran)\n"
"  %3d  timeout\n"
"  %3d  a thread of armz made a system call its seccomp filter forbids\n"
"  128+N  stopped by signal N (SIGTERM, SIGINT)\n"
"  With -- CMD the command's status is passed through (1 when the guest\n"
"  powered off without it); in --payload mode the status a payload\n"
"  writes to test-exit.\n",
		ARMZ_EXIT_GDB_KILL, ARMZ_EXIT_GUEST_FAULT,
		ARMZ_EXIT_GUEST_PANIC, ARMZ_EXIT_GUEST_RESET,
		ARMZ_EXIT_TIMEOUT, ARMZ_EXIT_SECCOMP);
}
