// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what armz reads in the guest kernel's console on the
 * user's behalf (vmm/guest-log.c): lines, a panic and its trace,
 * armz-init's lines and markers, a restart, the last words. Everything
 * here is whatever the guest prints.
 *
 * The input: a header (u8 flags: 1 no notice, the console is in front of
 * the user), then ops, a byte each with its arguments:
 *   0  console bytes: blob          1  flush (a stop)
 *   2  tail: u8 n, u8 with header
 *
 * Checked against a model of the console read as lines (each kept to
 * GUEST_LOG_LINE_MAX bytes, one "\r" dropped): the panic event comes in
 * the feed whose bytes complete the first "Kernel panic - not syncing",
 * and only then; the end-of-panic, restart and armz-init-started events
 * come in the feed that ends a line saying so, and only then; every line
 * the user is shown is one line, short enough, without control
 * characters; a tail shows as many lines as it says, header first.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armz/command.h>

#include "../../vmm/guest-log.h"
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define PANIC_START	"Kernel panic - not syncing"
#define PANIC_END	"[ end Kernel panic"
#define RESTART		"reboot: Restarting system"

static struct model {
	/* The whole console so far, to find the panic string in. */
	uint8_t *all;
	size_t all_len;
	bool panicked;
	/* The line being read, as the log keeps it. */
	char line[GUEST_LOG_LINE_MAX];
	size_t line_len;
	/* What the user was shown. */
	unsigned int notices;
} m;

static int notice(void *ctx, const uint8_t *buf, size_t len)
{
	(void)ctx;
	if (!len || buf[len - 1] != '\n')
		fz_fail("notice: %zu bytes, not one line", len);
	if (len > GUEST_LOG_LINE_MAX + 1)
		fz_fail("notice: a line of %zu bytes", len - 1);
	for (size_t i = 0; i + 1 < len; i++)
		if ((buf[i] < ' ' && buf[i] != '\t') || buf[i] == 0x7f)
			fz_fail("notice: control character 0x%02x at %zu",
				buf[i], i);
	m.notices++;
	return 0;
}

static bool has(const char *text, size_t len, const char *s)
{
	return memmem(text, len, s, strlen(s)) != NULL;
}

/* The events a whole line brings, as the log should see them. */
static unsigned int model_line(void)
{
	size_t len = m.line_len;
	unsigned int ev = 0;
	const char *text;
	size_t text_len;

	if (len && m.line[len - 1] == '\r')
		len--;
	if (command_init_line(m.line, len, &text, &text_len) ==
	    COMMAND_INIT_MARK_STARTED)
		ev |= GUEST_LOG_INIT_STARTED;
	if (has(m.line, len, PANIC_END))
		ev |= GUEST_LOG_PANIC_END;
	if (has(m.line, len, RESTART))
		ev |= GUEST_LOG_RESTART;
	m.line_len = 0;
	return ev;
}

static unsigned int model_feed(const uint8_t *buf, size_t len)
{
	unsigned int ev = 0;
	uint8_t *all = realloc(m.all, m.all_len + len + 1);

	if (!all)
		abort();
	m.all = all;
	memcpy(m.all + m.all_len, buf, len);
	m.all_len += len;
	if (!m.panicked && memmem(m.all, m.all_len, PANIC_START,
				  strlen(PANIC_START))) {
		m.panicked = true;
		ev |= GUEST_LOG_PANIC;
	}
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == '\n')
			ev |= model_line();
		else if (m.line_len < sizeof(m.line))
			m.line[m.line_len++] = (char)buf[i];
	}
	return ev;
}

static void op_tail(struct guest_log *g, struct fz *f, bool quiet)
{
	unsigned int n = fz_u8(f) % (GUEST_LOG_LINES + 8);
	const char *header = fz_u8(f) & 1 ? "last lines:" : NULL;
	unsigned int before = m.notices, shown;

	shown = guest_log_tail(g, n, header);
	if (quiet) {
		if (shown || m.notices != before)
			fz_fail("tail without a notice showed %u lines", shown);
		return;
	}
	if (shown > n + 1)
		fz_fail("tail of %u showed %u lines", n, shown);
	m.line_len = 0;		/* a line never finished went with it */
	if (m.notices - before != shown + (shown && header))
		fz_fail("tail said %u lines, the user got %u", shown,
			m.notices - before);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	bool quiet = fz_u8(&f) & 1;
	struct guest_log *g;
	const uint8_t *buf;
	unsigned int ev, want;
	size_t len;

	memset(&m, 0, sizeof(m));
	if (guest_log_new(quiet ? NULL : notice, NULL, &g))
		abort();
	while (fz_more(&f)) {
		switch (fz_u8(&f) % 3) {
		case 0:
			buf = fz_blob(&f, 4096, &len);
			want = model_feed(buf, len);
			ev = guest_log_feed(g, buf, len);
			if (ev != want)
				fz_fail("events %#x for %zu bytes, want %#x",
					ev, len, want);
			break;
		case 1:
			guest_log_flush(g);
			m.line_len = 0;
			break;
		default:
			op_tail(g, &f, quiet);
			break;
		}
		if (quiet && m.notices)
			fz_fail("a line reached the user without a notice");
	}
	guest_log_free(g);
	free(m.all);
	m.all = NULL;
	return 0;
}
