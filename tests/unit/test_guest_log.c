// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel console read for the user: armz-init's lines, a panic's
 * trace from its start to its end marker, the last lines of a kernel
 * that stopped, and what the machine is told.
 */
#include <stdlib.h>
#include <string.h>

#include "../../vmm/guest-log.h"

#include "unit.h"

/* What reached the user. */
static char said[1 << 16];
static size_t said_len;

static int say(void *ctx, const uint8_t *buf, size_t len)
{
	CU_ASSERT_PTR_EQUAL(ctx, said);
	CU_ASSERT_FATAL(said_len + len < sizeof(said));
	memcpy(said + said_len, buf, len);
	said_len += len;
	said[said_len] = '\0';
	return 0;
}

static struct guest_log *log_new(bool notice)
{
	struct guest_log *g;

	said_len = 0;
	said[0] = '\0';
	CU_ASSERT_EQUAL_FATAL(guest_log_new(notice ? say : NULL, said, &g), 0);
	return g;
}

static unsigned int feed(struct guest_log *g, const char *s)
{
	return guest_log_feed(g, (const uint8_t *)s, strlen(s));
}

/* The same, a byte at a time: nothing may depend on how bytes come. */
static unsigned int feed_bytes(struct guest_log *g, const char *s)
{
	unsigned int ev = 0;

	for (; *s; s++)
		ev |= guest_log_feed(g, (const uint8_t *)s, 1);
	return ev;
}

static void expect_said(const char *want)
{
	if (strcmp(said, want)) {
		fprintf(stderr, "\nsaid:\n%s\nwanted:\n%s\n", said, want);
		CU_FAIL("the user was told something else");
	}
}

#define STARTED	"[    1.500000] armz-init: started\r\n"
#define HVC1	"[    1.900000] armz-init: reporting on hvc1\r\n"

static void test_guest_log_init_lines(void)
{
	struct guest_log *g = log_new(true);

	CU_ASSERT_EQUAL(feed(g, "[    0.000000] Booting Linux\r\n"), 0);
	CU_ASSERT_EQUAL(feed(g, STARTED), GUEST_LOG_INIT_STARTED);
	feed(g, "[    1.600000] armz-init: cannot load module 9p "
		"(/armz/mod/04-9p.ko): Unknown symbol in module (errno 2)\r\n");
	/* The same line, caller id and all, split anywhere. */
	feed_bytes(g, "[    1.700000][    T1] armz-init: no overlay (x)\r\n");
	/* Not armz-init's: a line that merely mentions it. */
	feed(g, "[    1.800000] audit: armz-init: nothing\r\n");
	feed(g, HVC1);
	/* hvc1 brings these itself now. */
	feed(g, "[    2.000000] armz-init: cannot run /x: No such file\r\n");
	expect_said("armz-init: cannot load module 9p (/armz/mod/04-9p.ko): "
		    "Unknown symbol in module (errno 2)\n"
		    "armz-init: no overlay (x)\n");
	/* Markers and forwarded lines are not last words. */
	said_len = 0;
	said[0] = '\0';
	CU_ASSERT_EQUAL(guest_log_tail(g, 10, "last:"), 2);
	expect_said("last:\n[    0.000000] Booting Linux\n"
		    "[    1.800000] audit: armz-init: nothing\n");
	guest_log_free(g);
}

/* An oops that ends in a panic, after armz-init started. */
static const char oops[] =
	"[    3.000000] unrelated before the oops\r\n"
	"[    3.100000] Unable to handle kernel NULL pointer dereference\r\n"
	"[    3.100001] Mem abort info:\r\n"
	"[    3.100002] Internal error: Oops: 0000000096000005 [#1] SMP\r\n"
	"[    3.100003] Kernel panic - not syncing: Oops: Fatal exception\r\n"
	"[    3.100004] SMP: stopping secondary CPUs\r\n"
	"[    3.100005] ---[ end Kernel panic - not syncing: Oops: Fatal "
	"exception ]---\r\n"
	"[    3.200000] after the end\r\n";

static const char oops_said[] =
	"[    3.100000] Unable to handle kernel NULL pointer dereference\n"
	"[    3.100001] Mem abort info:\n"
	"[    3.100002] Internal error: Oops: 0000000096000005 [#1] SMP\n"
	"[    3.100003] Kernel panic - not syncing: Oops: Fatal exception\n"
	"[    3.100004] SMP: stopping secondary CPUs\n"
	"[    3.100005] ---[ end Kernel panic - not syncing: Oops: Fatal "
	"exception ]---\n";

static void test_guest_log_panic_trace(void)
{
	unsigned int (*feeders[])(struct guest_log *, const char *) = {
		feed, feed_bytes,
	};

	for (size_t i = 0; i < 2; i++) {
		struct guest_log *g = log_new(true);

		feed(g, "[    0.100000] a boot-time BUG: not this one\r\n");
		feed(g, STARTED HVC1);
		CU_ASSERT_EQUAL(feeders[i](g, oops),
				GUEST_LOG_PANIC | GUEST_LOG_PANIC_END);
		expect_said(oops_said);
		guest_log_flush(g);
		expect_said(oops_said);
		guest_log_free(g);
	}
}

/* sysrq-c: the trace follows the panic line; reset before the end. */
static void test_guest_log_panic_reset(void)
{
	struct guest_log *g = log_new(true);

	feed(g, STARTED "[    4.000000] sysrq: Trigger a crash\r\n");
	CU_ASSERT_EQUAL(feed(g, "[    4.000001] Kernel panic - not syncing: "
			     "sysrq triggered crash\r\n"
			     "[    4.000002] Call trace:\r\n[    4.0"),
			GUEST_LOG_PANIC);
	/* Only once. */
	CU_ASSERT_EQUAL(feed(g, "00003] Kernel panic - not syncing\r\n"), 0);
	guest_log_flush(g);
	expect_said("[    4.000001] Kernel panic - not syncing: sysrq "
		    "triggered crash\n"
		    "[    4.000002] Call trace:\n"
		    "[    4.000003] Kernel panic - not syncing\n");
	guest_log_free(g);
}

/* Before armz-init, the whole failed boot is the story. */
static void test_guest_log_panic_before_init(void)
{
	struct guest_log *g = log_new(true);
	char line[64];

	for (int i = 0; i < 100; i++) {
		snprintf(line, sizeof(line), "line %d\r\n", i);
		feed(g, line);
	}
	CU_ASSERT_EQUAL(feed(g, "Kernel panic - not syncing: VFS: Unable to "
			     "mount root fs\r\n"), GUEST_LOG_PANIC);
	/* The ring holds the last GUEST_LOG_LINES: 36 to 99. */
	CU_ASSERT_PTR_NULL(strstr(said, "line 35\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(said, "line 36\nline 37\n"));
	CU_ASSERT_PTR_NOT_NULL(strstr(said, "line 99\nKernel panic"));
	guest_log_free(g);
}

static void test_guest_log_tail(void)
{
	struct guest_log *g = log_new(true);

	feed(g, "one\r\ntwo\r\nthree\r\nfour\r\nstuck in the mid");
	CU_ASSERT_EQUAL(guest_log_tail(g, 2, NULL), 3);
	expect_said("three\nfour\nstuck in the mid\n");
	/* What was shown is not shown again. */
	said_len = 0;
	said[0] = '\0';
	CU_ASSERT_EQUAL(guest_log_tail(g, 2, "h"), 2);
	expect_said("h\none\ntwo\n");
	/* Nothing left: no header either. */
	said_len = 0;
	said[0] = '\0';
	CU_ASSERT_EQUAL(guest_log_tail(g, 2, "h"), 0);
	CU_ASSERT_EQUAL(said_len, 0);
	guest_log_free(g);
}

/* The guest is hostile: long lines, control characters. */
static void test_guest_log_hostile(void)
{
	struct guest_log *g = log_new(true);
	char *big = malloc(3 * GUEST_LOG_LINE_MAX + 64);

	CU_ASSERT_PTR_NOT_NULL_FATAL(big);
	memset(big, 'x', 3 * GUEST_LOG_LINE_MAX);
	/* The panic string lies past what a line keeps: still seen. */
	strcpy(big + 3 * GUEST_LOG_LINE_MAX - 10,
	       "Kernel panic - not syncing\r\n");
	CU_ASSERT_EQUAL(feed(g, big), GUEST_LOG_PANIC);
	/* Forwarded cut to GUEST_LOG_LINE_MAX bytes, then its "\n". */
	CU_ASSERT_EQUAL(said_len, GUEST_LOG_LINE_MAX + 1);
	said_len = 0;
	feed(g, "esc\x1b[2Jbell\a\x7f\rend\r\n");
	expect_said("esc?[2Jbell???end\n");
	free(big);
	guest_log_free(g);
}

/* With the console in front of the user, only the events. */
static void test_guest_log_silent(void)
{
	struct guest_log *g = log_new(false);

	CU_ASSERT_EQUAL(feed(g, STARTED "[    0.1] armz-init: a message\r\n"),
			GUEST_LOG_INIT_STARTED);
	CU_ASSERT_EQUAL(feed(g, oops), GUEST_LOG_PANIC | GUEST_LOG_PANIC_END);
	CU_ASSERT_EQUAL(feed(g, "[   10.0] reboot: Restarting system\r\n"),
			GUEST_LOG_RESTART);
	CU_ASSERT_EQUAL(guest_log_tail(g, 10, "h"), 0);
	guest_log_flush(g);
	CU_ASSERT_EQUAL(said_len, 0);
	guest_log_free(g);
}

static const CU_TestInfo guest_log_tests[] = {
	{ "armz-init's lines", test_guest_log_init_lines },
	{ "a panic's trace", test_guest_log_panic_trace },
	{ "a panic that resets", test_guest_log_panic_reset },
	{ "a panic before armz-init", test_guest_log_panic_before_init },
	{ "the last lines", test_guest_log_tail },
	{ "long lines, control characters", test_guest_log_hostile },
	{ "no notice: events only", test_guest_log_silent },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(guest_log, guest_log_tests)
