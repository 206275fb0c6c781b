// SPDX-License-Identifier: GPL-2.0
/*
 * The command line: the number readers, the device option strings, the
 * mode and duplicate checks the option table drives, and the man page and
 * bash completion held to the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/util.h>
#include "../../vmm/cli.h"

#include "unit.h"

static struct vm_config cfg;

/* Parses "run" plus the words of line (split on spaces). */
static int parse(const char *line)
{
	static char buf[8192];
	char *argv[64], *save = NULL, *w;
	int argc = 0;

	snprintf(buf, sizeof(buf), "run %s", line);
	for (w = strtok_r(buf, " ", &save); w && argc < 63;
	     w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return cli_parse_run(argc, argv, &cfg);
}

/* The line is refused as a usage error whose reason holds want. */
static void refused(const char *line, const char *want)
{
	int r = parse(line);

	CU_ASSERT_EQUAL(r, -EINVAL);
	if (!strstr(err_msg(), want)) {
		fprintf(stderr, "\n'%s': '%s' lacks '%s'\n", line, err_msg(),
			want);
		CU_FAIL("wrong reason");
	}
}

static void test_cli_size(void)
{
	static const struct { const char *s; uint64_t v; } good[] = {
		{ "65536", 65536 }, { "512M", 512ULL << 20 },
		{ "2G", 2ULL << 30 }, { "1k", 1024 }, { "1KiB", 1024 },
		{ "3MB", 3ULL << 20 }, { "1T", 1ULL << 40 },
		{ "0x1000", 4096 },
	};
	static const char *const bad[] = {
		"", "M", "-1", "1.5G", "12Q", "1Gx", "99999999999999999999",
		"16777216T", " 1G",
	};
	uint64_t v;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		v = 0;
		CU_ASSERT_EQUAL(cli_parse_size(good[i].s, &v), 0);
		CU_ASSERT_EQUAL(v, good[i].v);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(cli_parse_size(bad[i], &v), -EINVAL);
}

static void test_cli_duration(void)
{
	static const struct { const char *s; uint64_t ms; } good[] = {
		{ "90s", 90000 }, { "5m", 300000 }, { "1h", 3600000 },
		{ "250ms", 250 }, { "10", 10000 },
	};
	static const char *const bad[] = {
		"", "0", "0s", "s", "5x", "1.5s", "-3s", "5 m",
		"99999999999999999999h",
	};
	uint64_t ms;

	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		ms = 0;
		CU_ASSERT_EQUAL(cli_parse_duration(good[i].s, &ms), 0);
		CU_ASSERT_EQUAL(ms, good[i].ms);
	}
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(cli_parse_duration(bad[i], &ms), -EINVAL);
}

static void test_cli_address(void)
{
	uint64_t v = 0;

	CU_ASSERT_EQUAL(cli_parse_u64("0x40080000", &v), 0);
	CU_ASSERT_EQUAL(v, 0x40080000);
	CU_ASSERT_EQUAL(cli_parse_u64("1073741824", &v), 0);
	CU_ASSERT_EQUAL(v, 1ULL << 30);
	CU_ASSERT_EQUAL(cli_parse_u64("0xffffffffffffffff", &v), 0);
	CU_ASSERT_EQUAL(v, UINT64_MAX);
	CU_ASSERT_EQUAL(cli_parse_u64("0x10000000000000000", &v), -EINVAL);
	CU_ASSERT_EQUAL(cli_parse_u64("", &v), -EINVAL);
	CU_ASSERT_EQUAL(cli_parse_u64("abc", &v), -EINVAL);
	CU_ASSERT_EQUAL(cli_parse_u64("12abc", &v), -EINVAL);
	CU_ASSERT_EQUAL(cli_parse_u64("-1", &v), -EINVAL);
	CU_ASSERT_EQUAL(parse("--payload p --load-addr 0x40100000 --entry 0x40100040"), 0);
	CU_ASSERT_TRUE(cfg.has_load_addr && cfg.has_entry);
	CU_ASSERT_EQUAL(cfg.load_addr, 0x40100000);
	CU_ASSERT_EQUAL(cfg.entry, 0x40100040);
	refused("--payload p --entry x40", "--entry 'x40': give an address");
}

static void test_cli_basic(void)
{
	CU_ASSERT_EQUAL(parse("-k Image -c 2 -m 1G -p a=b --timeout 5m --name vm1"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.kernel, "Image");
	CU_ASSERT_EQUAL(cfg.cpus, 2);
	CU_ASSERT_EQUAL(cfg.mem_size, 1ULL << 30);
	CU_ASSERT_STRING_EQUAL(cfg.params, "a=b");
	CU_ASSERT_EQUAL(cfg.timeout_ms, 300000);
	CU_ASSERT_STRING_EQUAL(cfg.name, "vm1");
	CU_ASSERT_PTR_NULL(cfg.command);
	/* Defaults. */
	CU_ASSERT_EQUAL(parse("-k Image"), 0);
	CU_ASSERT_EQUAL(cfg.cpus, 1);
	CU_ASSERT_EQUAL(cfg.mem_size, 256ULL << 20);
	CU_ASSERT_EQUAL(cfg.console, VM_CONSOLE_SERIAL);
	CU_ASSERT_EQUAL(parse("-h"), 1);
	CU_ASSERT_EQUAL(parse("-k Image --help"), 1);
	/* A command, and the root it runs on. */
	CU_ASSERT_EQUAL(parse("-k Image --rw -- ls -l"), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(cfg.command);
	CU_ASSERT_STRING_EQUAL(cfg.command[0], "ls");
	CU_ASSERT_STRING_EQUAL(cfg.command[1], "-l");
	CU_ASSERT_PTR_NULL(cfg.command[2]);
	CU_ASSERT_STRING_EQUAL(cfg.rootfs, "/");
	CU_ASSERT_TRUE(cfg.rw);
	CU_ASSERT_EQUAL(parse("--console virtio -k I"), 0);
	CU_ASSERT_EQUAL(cfg.console, VM_CONSOLE_VIRTIO);
	CU_ASSERT_EQUAL(cfg.kernel_format, KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(parse("-k t.flat --kernel-format raw"), 0);
	CU_ASSERT_EQUAL(cfg.kernel_format, KERNEL_FORMAT_RAW);
	/* Confinement: on by default, no user unless asked for. */
	CU_ASSERT_EQUAL(parse("-k I"), 0);
	CU_ASSERT_EQUAL(cfg.seccomp, VM_SECCOMP_ON);
	CU_ASSERT_PTR_NULL(cfg.user);
	CU_ASSERT_EQUAL(parse("-k I --seccomp log --user nobody"), 0);
	CU_ASSERT_EQUAL(cfg.seccomp, VM_SECCOMP_LOG);
	CU_ASSERT_STRING_EQUAL(cfg.user, "nobody");
	CU_ASSERT_EQUAL(parse("--payload P --seccomp off --user 65534"), 0);
	CU_ASSERT_EQUAL(cfg.seccomp, VM_SECCOMP_OFF);
}

static void test_cli_values(void)
{
	refused("-k I -c 0", "--cpus '0': give a number from 1 to");
	refused("-k I -c 1x", "--cpus '1x'");
	refused("-k I -m 1", "--mem '1': give a size from 16M");
	refused("-k I -m 100000G", "--mem '100000G'");
	refused("-k I -m 1000001", "whole 64K pages");
	refused("-k I --timeout 0", "--timeout '0'");
	refused("-k I --console tty", "--console 'tty'");
	refused("-k I --kernel-format elf", "--kernel-format 'elf': give 'auto'");
	refused("-k I --name .x", "--name '.x'");
	refused("-k I --name a/b", "--name 'a/b'");
	refused("-k I --seccomp strict", "--seccomp 'strict': give 'on'");
	refused("-k I --bogus", "unknown option '--bogus'");
	refused("-k I -c", "option '-c' needs a value");
	refused("-k I extra", "unexpected argument 'extra'");
	refused("-k I --", "no command after --");
	refused("", "no kernel given");
}

static void test_cli_modes(void)
{
	refused("-k I -k J", "option --kernel given twice");
	refused("-k I --rng --rng", "option --rng given twice");
	refused("-k I --payload P", "--kernel and --payload exclude each other");
	refused("--payload P -i R", "--initrd needs --kernel");
	refused("-k I --load-addr 1", "--load-addr and --entry go with --payload");
	refused("-k I --entry 1 -- ls", "go with --payload");
	refused("--payload P -c 2", "--payload runs on 1 vCPU");
	refused("--payload P --rng", "no virtio devices");
	refused("--payload P --console virtio", "no virtio devices");
	refused("--payload P -d img", "no virtio devices");
	refused("--payload P -- ls", "a command needs a Linux guest");
	refused("-k I -i R -- ls", "drop --initrd");
	refused("-k I --console virtio -- ls", "drop --console");
	refused("-k I --rootfs /x", "--rootfs and --rw go with a command");
	refused("--payload P --rw", "--rootfs and --rw go with a command");
	refused("-k I --modules /m", "--modules goes with a command");
	refused("--payload P --modules /m", "--modules goes with a command");
	refused("--payload P --kernel-format raw", "--kernel-format goes with --kernel");
	/* Accepted everywhere it makes sense. */
	CU_ASSERT_EQUAL(parse("--payload P --console serial -p x"), 0);
	CU_ASSERT_EQUAL(parse("-k I --verbose"), 0);
	CU_ASSERT_EQUAL(parse("-k I --rootfs /srv --verbose -- true"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.rootfs, "/srv");
	CU_ASSERT_EQUAL(parse("-k I --modules /lib/modules/6.1 -- true"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.modules_dir, "/lib/modules/6.1");
}

static void test_cli_kernel_format(void)
{
	CU_ASSERT_EQUAL(parse("-k I"), 0);
	CU_ASSERT_EQUAL(cfg.kernel_format, KERNEL_FORMAT_AUTO);
	CU_ASSERT_PTR_NULL(cfg.modules_dir);
	CU_ASSERT_EQUAL(parse("-k x.flat --kernel-format raw -i R"), 0);
	CU_ASSERT_EQUAL(cfg.kernel_format, KERNEL_FORMAT_RAW);
	CU_ASSERT_EQUAL(parse("-k I --kernel-format auto -- true"), 0);
	CU_ASSERT_EQUAL(cfg.kernel_format, KERNEL_FORMAT_AUTO);
	refused("-k I --kernel-format zimage", "--kernel-format 'zimage': give 'auto'");
	refused("-k I --kernel-format raw --kernel-format raw", "given twice");
}

static void test_cli_disk(void)
{
	CU_ASSERT_EQUAL(parse("-k I -d a.img -d /dev/sdb,ro,direct,serial=S1"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.ndisks, 2);
	CU_ASSERT_STRING_EQUAL(cfg.disks[0].path, "a.img");
	CU_ASSERT_FALSE(cfg.disks[0].ro || cfg.disks[0].direct);
	CU_ASSERT_STRING_EQUAL(cfg.disks[1].path, "/dev/sdb");
	CU_ASSERT_TRUE(cfg.disks[1].ro && cfg.disks[1].direct);
	CU_ASSERT_STRING_EQUAL(cfg.disks[1].serial, "S1");
	refused("-k I -d a.img,rw", "unknown disk option 'rw'");
	refused("-k I -d ,ro", "no image path");
	refused("-k I -d a,serial=012345678901234567890", "longer than 20 bytes");
}

static void test_cli_disk_limit(void)
{
	char line[1024] = "-k I";

	for (int i = 0; i < VM_MAX_DISKS; i++)
		strcat(line, " -d x");
	CU_ASSERT_EQUAL(parse(line), 0);
	CU_ASSERT_EQUAL(cfg.ndisks, VM_MAX_DISKS);
	strcat(line, " -d x");
	refused(line, "at most 16 --disk options");
}

static void test_cli_net(void)
{
	CU_ASSERT_EQUAL(parse("-k I -n tap,ifname=tap7,vhost=on -n none"), 0);
	/* none adds no device */
	CU_ASSERT_EQUAL_FATAL(cfg.nnets, 1);
	CU_ASSERT_EQUAL(cfg.nets[0].type, NET_TAP);
	CU_ASSERT_STRING_EQUAL(cfg.nets[0].ifname, "tap7");
	CU_ASSERT_TRUE(cfg.nets[0].vhost);
	/* A MAC of armz's own, drawn once here: 52:54:00 and 3 bytes. */
	CU_ASSERT_EQUAL(cfg.nets[0].mac[0], 0x52);
	CU_ASSERT_EQUAL(cfg.nets[0].mac[1], 0x54);
	CU_ASSERT_EQUAL(cfg.nets[0].mac[2], 0x00);
	CU_ASSERT_EQUAL(parse("-k I -n tap,mac=02:aB:cd:00:00:01"), 0);
	CU_ASSERT_EQUAL(cfg.nets[0].mac[1], 0xab);
	CU_ASSERT_EQUAL(cfg.nets[0].mac[5], 0x01);
	refused("-k I -n wire", "unknown type 'wire'");
	refused("-k I -n tap,vhost=maybe", "vhost=maybe is not on or off");
	refused("-k I -n tap,mac=01:00:00:00:00:00", "multicast");
	refused("-k I -n tap,mac=52:54:00:00:00", "bad MAC");
	refused("-k I -n tap,ifname=a/b", "bad interface name");
	refused("-k I -n none,mac=02:00:00:00:00:01", "--net none takes no options");
	refused("-k I -n tap,,vhost=on", "empty option");
#ifdef ARMZ_HAVE_SLIRP
	CU_ASSERT_EQUAL(parse("-k I -n user,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:53-10.0.2.15:53"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.nets[0].nfwd, 2);
	CU_ASSERT_EQUAL(cfg.nets[0].fwd[0].host_port, 2222);
	CU_ASSERT_EQUAL(cfg.nets[0].fwd[0].guest_port, 22);
	CU_ASSERT_TRUE(cfg.nets[0].fwd[1].udp);
	/* The guest's reach is today's unless asked otherwise. */
	CU_ASSERT_FALSE(cfg.nets[0].restricted);
	CU_ASSERT_FALSE(cfg.nets[0].loopback_off);
	refused("-k I -n user,hostfwd=tcp::0-:22", "host port '0'");
	refused("-k I -n user,hostfwd=sctp::1-:2", "protocol 'sctp'");
	refused("-k I -n user,ifname=x", "unknown option 'ifname'");
	CU_ASSERT_EQUAL(parse("-k I -n user,restrict=on,loopback=off"), 0);
	CU_ASSERT_TRUE(cfg.nets[0].restricted);
	CU_ASSERT_TRUE(cfg.nets[0].loopback_off);
	refused("-k I -n user,loopback=no", "loopback=no is not on or off");
#else
	refused("-k I -n user", "built without libslirp");
#endif
}

static void test_cli_9p(void)
{
	CU_ASSERT_EQUAL(parse("-k I --9p /srv,data --9p /home,home,ro"), 0);
	CU_ASSERT_EQUAL_FATAL(cfg.nshares, 2);
	CU_ASSERT_STRING_EQUAL(cfg.shares[0].dir, "/srv");
	CU_ASSERT_STRING_EQUAL(cfg.shares[0].tag, "data");
	CU_ASSERT_FALSE(cfg.shares[0].ro);
	CU_ASSERT_TRUE(cfg.shares[1].ro);
	refused("-k I --9p /srv", "expected HOSTDIR,TAG[,ro]");
	refused("-k I --9p /srv,,ro", "empty mount tag");
	refused("-k I --9p /srv,t,rw", "unknown option 'rw'");
}

/* --gdb works in every mode; --gdb-wait only with it. */
static void test_cli_gdb(void)
{
	CU_ASSERT_EQUAL(parse("-k I --gdb tcp::1234 --gdb-wait"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.gdb, "tcp::1234");
	CU_ASSERT(cfg.gdb_wait);
	CU_ASSERT_EQUAL(parse("-k I"), 0);
	CU_ASSERT_PTR_NULL(cfg.gdb);
	CU_ASSERT_FALSE(cfg.gdb_wait);
	CU_ASSERT_EQUAL(parse("--payload p.elf --gdb unix:/tmp/g.sock"), 0);
	CU_ASSERT_STRING_EQUAL(cfg.gdb, "unix:/tmp/g.sock");
	CU_ASSERT_EQUAL(parse("-k I --gdb tcp:0.0.0.0:1 --gdb-wait -- true"),
			0);
	CU_ASSERT_PTR_NOT_NULL(cfg.command);
	refused("-k I --gdb 1234", "use tcp::PORT, tcp:HOST:PORT or unix:PATH");
	refused("-k I --gdb tcp::99999", "not a port");
	refused("-k I --gdb-wait", "--gdb-wait waits for gdb");
	refused("-k I --gdb tcp::1 --gdb tcp::2", "given twice");
}

/* --- The docs name exactly the table's options --- */

static char *slurp(const char *name)
{
	char path[4096], *buf;
	FILE *f;
	long n;

	snprintf(path, sizeof(path), "%s/%s", ARMZ_SRCDIR, name);
	f = fopen(path, "r");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	rewind(f);
	buf = calloc(1, (size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	fclose(f);
	return buf;
}

static const struct cli_option *find_option(const char *name, size_t len)
{
	for (const struct cli_option *o = cli_options; o->name; o++)
		if (strlen(o->name) == len && !strncmp(o->name, name, len))
			return o;
	return NULL;
}

/*
 * Every "--word" in text (with dash written as dash_len bytes of dash,
 * "\-" in roff) must be an option; returns how many were found.
 */
static int check_words(const char *text, const char *dash, const char *doc)
{
	size_t dl = strlen(dash);
	char word[64];
	int found = 0;

	for (const char *p = strstr(text, dash); p; p = strstr(p + 1, dash)) {
		const char *s = p + dl;
		size_t n = 0;

		if (strncmp(s, dash, dl))
			continue;
		s += dl;
		while (n < sizeof(word) - 1 &&
		       ((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
			!strncmp(s, dash, dl))) {
			if (!strncmp(s, dash, dl)) {
				word[n++] = '-';
				s += dl;
			} else {
				word[n++] = *s++;
			}
		}
		word[n] = '\0';
		if (!n)
			continue;
		found++;
		if (!find_option(word, n)) {
			fprintf(stderr, "\n%s names --%s, which armz run does not have\n",
				doc, word);
			CU_FAIL("a doc names an option that does not exist");
		}
	}
	return found;
}

/* Whether text holds "--name", with dashes spelled dash. */
static bool names_option(const char *text, const char *dash,
			 const char *name)
{
	char want[128];
	size_t n = 0;

	n += (size_t)snprintf(want + n, sizeof(want) - n, "%s%s", dash, dash);
	for (const char *c = name; *c && n < sizeof(want) - 4; c++)
		n += (size_t)snprintf(want + n, sizeof(want) - n, "%s",
				      *c == '-' ? dash : (char[]){ *c, 0 });
	for (const char *p = strstr(text, want); p; p = strstr(p + 1, want)) {
		char next = p[n];

		if (!(next >= 'a' && next <= 'z') && next != '\\' &&
		    next != '-' && !(next >= '0' && next <= '9'))
			return true;
	}
	return false;
}

static void test_cli_man_page(void)
{
	char *man = slurp("vmm/doc/armz.1"), *opts, *end;

	CU_ASSERT_PTR_NOT_NULL_FATAL(man);
	opts = strstr(man, "\n.SH OPTIONS");
	CU_ASSERT_PTR_NOT_NULL_FATAL(opts);
	end = strstr(opts + 1, "\n.SH ");
	if (end)
		*end = '\0';
	CU_ASSERT(check_words(opts, "\\-", "the man page's OPTIONS") > 20);
	for (const struct cli_option *o = cli_options; o->name; o++) {
		char shortform[16];

		if (!strcmp(o->name, "help"))
			continue;	/* in the SYNOPSIS */
		if (!names_option(opts, "\\-", o->name)) {
			fprintf(stderr, "\nthe man page misses --%s\n", o->name);
			CU_FAIL("the man page misses an option");
		}
		snprintf(shortform, sizeof(shortform), "\\-%c \", \" \\-\\-",
			 o->short_name);
		if (o->short_name && !strstr(opts, shortform)) {
			fprintf(stderr, "\nthe man page misses -%c\n",
				o->short_name);
			CU_FAIL("the man page misses a short option");
		}
	}
	free(man);
}

static void test_cli_completion(void)
{
	char *comp = slurp("vmm/doc/armz.bash-completion"), *list, *end;

	CU_ASSERT_PTR_NOT_NULL_FATAL(comp);
	/* The last word list is the one of armz run's options. */
	list = comp;
	for (char *p = strstr(comp, "compgen -W '--"); p;
	     p = strstr(p + 1, "compgen -W '--"))
		list = p;
	CU_ASSERT_FATAL(list != comp);
	end = strchr(list + strlen("compgen -W '"), '\'');
	CU_ASSERT_PTR_NOT_NULL_FATAL(end);
	*end = '\0';
	for (const struct cli_option *o = cli_options; o->name; o++)
		if (!names_option(list, "-", o->name)) {
			fprintf(stderr, "\nthe completion misses --%s\n",
				o->name);
			CU_FAIL("the bash completion misses an option");
		}
	CU_ASSERT(check_words(list, "-", "the completion's option list") > 20);
	*end = '\'';
	/* The options whose argument it completes exist too. */
	for (char *line = strstr(comp, "case $prev in"); line;
	     line = strchr(line + 1, '\n')) {
		char *close = strchr(line + 1, ')'), *nl = strchr(line + 1, '\n');

		if (!nl)
			break;
		if (close && close < nl && strstr(line, "--") &&
		    strstr(line, "--") < close) {
			char pattern[512];
			size_t n = (size_t)(close - line);

			snprintf(pattern, sizeof(pattern), "%.*s",
				 (int)(n < sizeof(pattern) ? n : sizeof(pattern) - 1),
				 line);
			check_words(pattern, "-", "a completion pattern");
		}
		if (!strncmp(nl + 1, "\tesac", 5))
			break;
	}
	free(comp);
}

static const CU_TestInfo cli_tests[] = {
	{ "sizes", test_cli_size },
	{ "durations", test_cli_duration },
	{ "addresses", test_cli_address },
	{ "options", test_cli_basic },
	{ "bad values", test_cli_values },
	{ "modes and duplicates", test_cli_modes },
	{ "--kernel-format", test_cli_kernel_format },
	{ "--disk", test_cli_disk },
	{ "--disk limit", test_cli_disk_limit },
	{ "--net", test_cli_net },
	{ "--9p", test_cli_9p },
	{ "--gdb and --gdb-wait", test_cli_gdb },
	{ "man page names every option", test_cli_man_page },
	{ "completion names every option", test_cli_completion },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(cli, cli_tests)
