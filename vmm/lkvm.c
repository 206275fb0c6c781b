// SPDX-License-Identifier: GPL-2.0
/*
 * kvmtool's command line (lkvm.h), turned into a struct vm_config. The
 * option names, their values and the commands are kvmtool's; what they do
 * is armz's machine. Every mistake, and every kvmtool option armz lacks,
 * is a usage error (exit 2) with one line that names the option.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/memmap.h>
#include <armz/util.h>
#include "cli.h"
#include "control.h"
#include "lkvm.h"

bool lkvm_dialect(const char *argv0)
{
	const char *base = strrchr(argv0, '/');

	base = base ? base + 1 : argv0;
	return !strcmp(base, "lkvm") || !strcmp(base, "lkvm-static") ||
	       !strcmp(base, "vm");
}

/* --- Values --- */

/* kvmtool's unit for --mem is the MiB; a suffix says otherwise. */
static int lkvm_set_mem(struct vm_config *cfg, const char *arg)
{
	uint64_t v;
	int r;

	r = cli_parse_u64(arg, &v);
	if (!r && v > (UINT64_MAX >> 20))
		r = -EINVAL;
	if (!r)
		v <<= 20;
	else
		r = cli_parse_size(arg, &v);
	if (r || v < MEMMAP_RAM_MIN || v > MEMMAP_RAM_MAX || v % (64 << 10))
		return err_set(EINVAL, "--mem '%s': give MiB from %llu to %llu (e.g. 256), or a size such as 1G",
			       arg, (unsigned long long)(MEMMAP_RAM_MIN >> 20),
			       (unsigned long long)(MEMMAP_RAM_MAX >> 20));
	cfg->mem_size = v;
	return 0;
}

static int lkvm_set_console(struct vm_config *cfg, const char *arg)
{
	if (!strcmp(arg, "serial"))
		cfg->console = VM_CONSOLE_SERIAL;
	else if (!strcmp(arg, "virtio"))
		cfg->console = VM_CONSOLE_VIRTIO;
	else if (!strcmp(arg, "hv"))
		return err_set(EINVAL, "--console hv: armz has no hv console; use serial or virtio");
	else
		return err_set(EINVAL, "--console '%s': give serial or virtio",
			       arg);
	return 0;
}

static int lkvm_set_irqchip(struct vm_config *cfg, const char *arg)
{
	if (!strcmp(arg, "gicv2"))
		cfg->irqchip = VM_IRQCHIP_GICV2;
	else if (!strcmp(arg, "gicv3"))
		cfg->irqchip = VM_IRQCHIP_GICV3;
	else if (!strcmp(arg, "gicv3-its"))
		cfg->irqchip = VM_IRQCHIP_GICV3_ITS;
	else if (!strcmp(arg, "gicv2m"))
		return err_set(EINVAL, "--irqchip=gicv2m: armz has no GICv2m frame; use gicv2, gicv3 or gicv3-its");
	else
		return err_set(EINVAL, "--irqchip '%s': give gicv2, gicv3 or gicv3-its",
			       arg);
	return 0;
}

static int lkvm_set_loglevel(struct vm_config *cfg, const char *arg)
{
	static const char *const levels[] = {
		"error", "warning", "info", "debug",
	};

	for (size_t i = 0; i < ARRAY_SIZE(levels); i++)
		if (!strcmp(arg, levels[i]))
			return 0;
	return err_set(EINVAL, "--loglevel '%s': give error, warning, info or debug",
		       arg);
}

static int lkvm_set_name(struct vm_config *cfg, const char *arg)
{
	if (!control_name_ok(arg))
		return err_set(EINVAL, "--name '%s': use up to 64 letters, digits, '.', '_' or '-', not starting with '.'",
			       arg);
	cfg->name = arg;
	return 0;
}

static int lkvm_set_disk(struct vm_config *cfg, const char *arg)
{
	if (cfg->ndisks == VM_MAX_DISKS)
		return err_set(EINVAL, "at most %d --disk options",
			       VM_MAX_DISKS);
	if (blk_parse(arg, &cfg->disks[cfg->ndisks]))
		return -EINVAL;
	cfg->ndisks++;
	return 0;
}

static int lkvm_set_9p(struct vm_config *cfg, const char *arg)
{
	if (cfg->nshares == VM_MAX_SHARES)
		return err_set(EINVAL, "at most %d --9p options",
			       VM_MAX_SHARES);
	if (p9_parse_share(arg, &cfg->shares[cfg->nshares]))
		return -EINVAL;
	cfg->nshares++;
	return 0;
}

/* The value of key=value in a kvmtool --network list; NULL if absent. */
static const char *lkvm_net_key(const char *item, const char *key)
{
	size_t n = strlen(key);

	return !strncmp(item, key, n) && item[n] == '=' ? item + n + 1 : NULL;
}

/*
 * --network mode=none|user|tap[,tapif=NAME][,vhost=0|1][,guest_mac=MAC],
 * said again in armz's --net syntax for net_parse().
 */
static int lkvm_set_network(struct vm_config *cfg, const char *arg)
{
	char list[256], spec[256], *save = NULL, *item;
	const char *mode = NULL, *v;
	char extra[192] = "";
	size_t n = 0;

	if (snprintf(list, sizeof(list), "%s", arg) >= (int)sizeof(list))
		return err_set(EINVAL, "--network '%s' is too long", arg);
	for (item = strtok_r(list, ",", &save); item;
	     item = strtok_r(NULL, ",", &save)) {
		if ((v = lkvm_net_key(item, "mode")))
			mode = v;
		else if ((v = lkvm_net_key(item, "tapif")))
			n += (size_t)snprintf(extra + n, sizeof(extra) - n,
					      ",ifname=%s", v);
		else if ((v = lkvm_net_key(item, "vhost")) &&
			 (!strcmp(v, "1") || !strcmp(v, "0")))
			n += (size_t)snprintf(extra + n, sizeof(extra) - n,
					      "%s", *v == '1' ? ",vhost=on" : "");
		else if ((v = lkvm_net_key(item, "guest_mac")))
			n += (size_t)snprintf(extra + n, sizeof(extra) - n,
					      ",mac=%s", v);
		else
			return err_set(EINVAL, "--network: '%s' is not supported by armz; it takes mode=none|user|tap, tapif=NAME, vhost=0|1 and guest_mac=MAC",
				       item);
		if (n >= sizeof(extra))
			return err_set(EINVAL, "--network '%s' is too long",
				       arg);
	}
	if (!mode)
		return err_set(EINVAL, "--network '%s': give mode=none, user or tap",
			       arg);
	if (strcmp(mode, "none") && strcmp(mode, "user") && strcmp(mode, "tap"))
		return err_set(EINVAL, "--network mode=%s: give none, user or tap",
			       mode);
	if (!strcmp(mode, "none")) {
		if (*extra)
			return err_set(EINVAL, "--network mode=none takes no other setting");
		return 0;
	}
	if (strcmp(mode, "tap") && strstr(extra, "ifname="))
		return err_set(EINVAL, "--network: tapif= goes with mode=tap");
	if (strcmp(mode, "tap") && strstr(extra, "vhost="))
		return err_set(EINVAL, "--network: vhost=1 goes with mode=tap");
	if (cfg->nnets == VM_MAX_NETS)
		return err_set(EINVAL, "at most %d --network options",
			       VM_MAX_NETS);
	snprintf(spec, sizeof(spec), "%s%s", mode, extra);
	if (net_parse(spec, &cfg->nets[cfg->nnets]))
		return -EINVAL;
	cfg->nnets++;
	return 0;
}

/* --- The options of lkvm run --- */

enum {
	OPT_KERNEL = 'k', OPT_INITRD = 'i', OPT_PARAMS = 'p', OPT_CPUS = 'c',
	OPT_MEM = 'm', OPT_DISK = 'd', OPT_NETWORK = 'n', OPT_HELP = 'h',
	OPT_CONSOLE = 0x100, OPT_RNG, OPT_9P, OPT_NAME, OPT_NODEFAULTS,
	OPT_LOGLEVEL, OPT_IRQCHIP, OPT_PMU, OPT_DISABLE_MTE, OPT_DEBUG,
	OPT_DEBUG_VALUE,
};

static const struct option lkvm_run_options[] = {
	{ "kernel", required_argument, NULL, OPT_KERNEL },
	{ "initrd", required_argument, NULL, OPT_INITRD },
	{ "params", required_argument, NULL, OPT_PARAMS },
	{ "cpus", required_argument, NULL, OPT_CPUS },
	{ "mem", required_argument, NULL, OPT_MEM },
	{ "disk", required_argument, NULL, OPT_DISK },
	{ "network", required_argument, NULL, OPT_NETWORK },
	{ "console", required_argument, NULL, OPT_CONSOLE },
	{ "rng", no_argument, NULL, OPT_RNG },
	{ "9p", required_argument, NULL, OPT_9P },
	{ "name", required_argument, NULL, OPT_NAME },
	{ "nodefaults", no_argument, NULL, OPT_NODEFAULTS },
	{ "loglevel", required_argument, NULL, OPT_LOGLEVEL },
	{ "irqchip", required_argument, NULL, OPT_IRQCHIP },
	{ "pmu", no_argument, NULL, OPT_PMU },
	{ "disable-mte", no_argument, NULL, OPT_DISABLE_MTE },
	{ "debug", no_argument, NULL, OPT_DEBUG },
	{ "debug-single-step", no_argument, NULL, OPT_DEBUG },
	{ "debug-ioport", no_argument, NULL, OPT_DEBUG },
	{ "debug-mmio", no_argument, NULL, OPT_DEBUG },
	{ "debug-iodelay", required_argument, NULL, OPT_DEBUG_VALUE },
	{ "help", no_argument, NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 },
};

/*
 * kvmtool's run options armz does not have: named in the refusal so that
 * the user learns it is kvmtool's, not a typo.
 */
static const char *const lkvm_unsupported[] = {
	"aarch32", "balloon", "dev", "dump-dtb", "firmware",
	"firmware-address", "flash", "force-pci", "gtk", "hugetlbfs",
	"kaslr-seed", "nested", "no-dhcp", "no-pvtime",
	"override-bad-firmware-cntfrq", "realm", "sandbox", "sdl",
	"sve-max-vl", "disable-sve", "tty", "vcpu-affinity", "vfio-pci",
	"virtio-legacy", "virtio-transport", "vnc", "vsock",
};

/* The option getopt could not place, without its value. */
static int lkvm_unknown(const char *word)
{
	char name[64];
	const char *s = word;

	while (*s == '-')
		s++;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(s, "="), s);
	for (size_t i = 0; i < ARRAY_SIZE(lkvm_unsupported); i++)
		if (!strcmp(name, lkvm_unsupported[i]))
			return err_set(EINVAL, "kvmtool's option '--%s' is not supported by armz",
				       name);
	return err_set(EINVAL, "unknown option '%s'", word);
}

static int lkvm_run_option(int val, const char *arg, struct vm_config *cfg)
{
	switch (val) {
	case OPT_KERNEL:	cfg->kernel = arg; return 0;
	case OPT_INITRD:	cfg->initrd = arg; return 0;
	case OPT_PARAMS:	cfg->params = arg; return 0;
	case OPT_CPUS:		return cli_set_cpus(cfg, arg);
	case OPT_MEM:		return lkvm_set_mem(cfg, arg);
	case OPT_DISK:		return lkvm_set_disk(cfg, arg);
	case OPT_NETWORK:	return lkvm_set_network(cfg, arg);
	case OPT_CONSOLE:	return lkvm_set_console(cfg, arg);
	case OPT_RNG:		cfg->rng = true; return 0;
	case OPT_9P:		return lkvm_set_9p(cfg, arg);
	case OPT_NAME:		return lkvm_set_name(cfg, arg);
	case OPT_NODEFAULTS:	cfg->nodefaults = true; return 0;
	case OPT_LOGLEVEL:	return lkvm_set_loglevel(cfg, arg);
	case OPT_IRQCHIP:	return lkvm_set_irqchip(cfg, arg);
	case OPT_PMU:		cfg->pmu = true; return 0;
	case OPT_DISABLE_MTE:	cfg->mte = false; return 0;
	case OPT_DEBUG:
	case OPT_DEBUG_VALUE:	return 0;	/* kvmtool's tracing */
	}
	return err_set(EINVAL, "unknown option");
}

/* kvmtool's defaults where armz's differ: MTE where the host has it. */
static void lkvm_defaults(struct vm_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->cpus = 1;
	cfg->mem_size = 256ULL << 20;
	cfg->mte = true;
}

/* argv[0] is "run". */
static int lkvm_parse_run(int argc, char **argv, struct vm_config *cfg,
			  struct lkvm_args *args)
{
	int val, r;

	lkvm_defaults(cfg);
	args->cmd = LKVM_RUN;
	optind = 1;
	opterr = 0;
	while ((val = getopt_long(argc, argv, "+:k:i:p:c:m:d:n:h",
				  lkvm_run_options, NULL)) != -1) {
		if (val == '?')
			return lkvm_unknown(argv[optind - 1]);
		if (val == ':')
			return err_set(EINVAL, "option '%s' needs a value",
				       argv[optind - 1]);
		if (val == OPT_HELP) {
			args->cmd = LKVM_RUN_HELP;
			return 0;
		}
		r = lkvm_run_option(val, optarg, cfg);
		if (r)
			return r;
	}
	/* lkvm run [options] [KERNEL] */
	if (optind < argc && !cfg->kernel)
		cfg->kernel = argv[optind++];
	if (optind < argc)
		return err_set(EINVAL, "unexpected argument '%s'",
			       argv[optind]);
	if (!cfg->kernel)
		return err_set(EINVAL, "no kernel given: use --kernel FILE");
	return 0;
}

/* stop, pause, resume: --name NAME (or -n NAME). */
static int lkvm_parse_control(int argc, char **argv, struct lkvm_args *a)
{
	for (int i = 1; i < argc; i++) {
		const char *w = argv[i];

		if (!strcmp(w, "--all") || !strcmp(w, "-a"))
			return err_set(EINVAL, "%s --all: armz acts on one VM at a time; give --name NAME",
				       argv[0]);
		if ((!strcmp(w, "--name") || !strcmp(w, "-n")) && i + 1 < argc)
			a->name = argv[++i];
		else if (!strncmp(w, "--name=", 7))
			a->name = w + 7;
		else
			return err_set(EINVAL, "%s: unexpected '%s'; give --name NAME",
				       argv[0], w);
	}
	if (!a->name)
		return err_set(EINVAL, "%s: give --name NAME", argv[0]);
	return 0;
}

int lkvm_parse(int argc, char **argv, struct vm_config *cfg,
	       struct lkvm_args *args)
{
	static const struct { const char *name; enum lkvm_cmd cmd; } cmds[] = {
		{ "stop", LKVM_STOP }, { "pause", LKVM_PAUSE },
		{ "resume", LKVM_RESUME },
	};
	const char *cmd = argc > 1 ? argv[1] : "--help";

	memset(args, 0, sizeof(*args));
	args->cmd = LKVM_HELP;
	if (!strcmp(cmd, "--help") || !strcmp(cmd, "-h") ||
	    !strcmp(cmd, "help"))
		return 0;
	if (!strcmp(cmd, "run"))
		return lkvm_parse_run(argc - 1, argv + 1, cfg, args);
	if (!strcmp(cmd, "version") || !strcmp(cmd, "--version")) {
		args->cmd = LKVM_VERSION;
		return 0;
	}
	if (!strcmp(cmd, "list")) {
		args->cmd = LKVM_LIST;
		return argc > 2 ? err_set(EINVAL, "list: armz lists every VM; no options")
				: 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(cmds); i++)
		if (!strcmp(cmd, cmds[i].name)) {
			args->cmd = cmds[i].cmd;
			return lkvm_parse_control(argc - 1, argv + 1, args);
		}
	return err_set(EINVAL, "'%s' is not an lkvm command armz has; see 'lkvm --help'",
		       cmd);
}

/* --- The kernel's format --- */

static bool lkvm_has(const uint8_t *b, size_t n, size_t off, const char *m,
		     size_t len)
{
	return n >= off + len && !memcmp(b + off, m, len);
}

int lkvm_pick_kernel_format(struct vm_config *cfg)
{
	uint8_t b[64];
	ssize_t got;
	size_t n;
	int fd;

	cfg->kernel_format = KERNEL_FORMAT_AUTO;
	fd = open(cfg->kernel, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return err_set(errno, "Fatal: Unable to open kernel %s: %s",
			       cfg->kernel, strerror(errno));
	got = read(fd, b, sizeof(b));
	close(fd);
	if (got <= 0)
		return 0;
	n = (size_t)got;
	/* Image, gzip, zstd, xz, lzma, PE (EFI zboot), ELF (vmlinux). */
	if (lkvm_has(b, n, 0x38, "ARM\x64", 4) ||
	    lkvm_has(b, n, 0, "\x1f\x8b", 2) ||
	    lkvm_has(b, n, 0, "\x28\xb5\x2f\xfd", 4) ||
	    lkvm_has(b, n, 0, "\xfd" "7zXZ", 5) ||
	    lkvm_has(b, n, 0, "\x5d\x00\x00", 3) ||
	    lkvm_has(b, n, 0, "MZ", 2) ||
	    lkvm_has(b, n, 0, "\177ELF", 4))
		return 0;
	cfg->kernel_format = KERNEL_FORMAT_RAW;
	return 0;
}

/* --- Help --- */

void lkvm_usage(FILE *f)
{
	fprintf(f,
"usage: lkvm COMMAND [ARGS]\n"
"\n"
"armz %s, speaking kvmtool's command line.\n"
"\n"
"The most commonly used lkvm commands are:\n"
"   run       start a virtual machine (see 'lkvm run --help')\n"
"   list      list the running virtual machines\n"
"   stop      stop a running virtual machine (--name NAME)\n"
"   pause     pause a running virtual machine (--name NAME)\n"
"   resume    resume a paused virtual machine (--name NAME)\n"
"   version   print the version\n"
"\n"
"kvmtool's other commands (setup, debug, balloon, stat, sandbox) are not\n"
"supported; neither are its options armz has no device for.\n"
"\n", ARMZ_VERSION);
	cli_exit_statuses(f);
}

void lkvm_usage_run(FILE *f)
{
	fprintf(f,
"usage: lkvm run [options] [KERNEL]\n"
"\n"
"  -k, --kernel FILE        arm64 Image in any form, or a bare binary\n"
"                           (loaded at RAM + 0x80000, x0 = the DTB)\n"
"  -i, --initrd FILE        initial ramdisk, passed through untouched\n"
"  -p, --params CMDLINE     kernel command line\n"
"  -c, --cpus N             vCPUs (default 1)\n"
"  -m, --mem SIZE           RAM in MiB, or with K/M/G suffix (default 256)\n"
"  -d, --disk PATH[,ro][,direct]  virtio-blk, repeatable\n"
"  -n, --network mode=none|user|tap[,tapif=NAME][,vhost=1][,guest_mac=MAC]\n"
"                           virtio-net; none by default\n"
"      --console serial|virtio\n"
"      --rng                virtio-rng\n"
"      --9p DIR,TAG         share a directory over virtio-9p\n"
"      --name NAME          name for 'lkvm list', 'lkvm stop --name NAME'\n"
"      --nodefaults         the command line is exactly --params\n"
"      --irqchip gicv2|gicv3|gicv3-its\n"
"                           interrupt controller (default GICv3, else v2)\n"
"      --pmu                a PMUv3 on PPI 7\n"
"      --disable-mte        no memory tagging (on where KVM offers it)\n"
"      --loglevel LEVEL, --debug*   accepted; armz logs errors only\n"
"\n"
"The UART is at 0x9000000 and also answers at kvmtool's 0x1000000.\n"
"\n");
	cli_exit_statuses(f);
}
