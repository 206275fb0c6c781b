// SPDX-License-Identifier: GPL-2.0
/*
 * The guest kernel's console, read a line at a time on the user's
 * behalf (guest-log.h): armz-init's lines, a panic's trace and the last
 * words of a kernel that stopped.
 *
 * Every line goes into a ring of the last GUEST_LOG_LINES, each marked
 * once forwarded so that nothing reaches the user twice. A panic is
 * found byte by byte, as the machine always has, so that a panic whose
 * line never ends still counts.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <armz/command.h>
#include <armz/err.h>
#include <armz/util.h>
#include "guest-log.h"

/* What the console shows when a Linux guest panics, and its last line. */
#define PANIC_START	"Kernel panic - not syncing"
#define PANIC_END	"[ end Kernel panic"
/* kernel_restart(): userspace (or the kernel, in order) asked for it. */
#define RESTART		"reboot: Restarting system"

/*
 * Where the trace of a panic begins when an oops or a warning led to it
 * (arm64's die(), the generic BUG and WARN reports).
 */
static const char *const trace_starts[] = {
	"------------[ cut here ]------------",
	"Unable to handle kernel ",
	"Internal error: ",
	"BUG: ",
	"Oops",
};

struct guest_log_line {
	uint64_t seq;
	size_t len;
	bool shown;			/* forwarded, or not for the user */
	char text[GUEST_LOG_LINE_MAX];
};

struct guest_log {
	console_out_fn notice;
	void *ctx;

	char cur[GUEST_LOG_LINE_MAX];	/* the line being read */
	size_t cur_len;
	uint64_t next_seq;		/* the line being read's number */
	struct guest_log_line ring[GUEST_LOG_LINES];

	bool init_started;
	uint64_t init_seq;		/* armz-init's start marker */
	bool hvc1;			/* armz-init reports on hvc1 now */
	size_t panic_match;
	bool panic;
	bool forwarding;		/* a panic's lines go to notice */
};

int guest_log_new(console_out_fn notice, void *ctx, struct guest_log **out)
{
	struct guest_log *g = calloc(1, sizeof(*g));

	*out = NULL;
	if (!g)
		return err_set(ENOMEM, "out of memory");
	g->notice = notice;
	g->ctx = ctx;
	*out = g;
	return 0;
}

void guest_log_free(struct guest_log *g)
{
	free(g);
}

/*
 * One byte of a search for a fixed string. The pattern starts with a
 * character it does not repeat, so on a mismatch the only other possible
 * start is the current byte itself.
 */
static bool guest_log_match(size_t *pos, const char *pattern, uint8_t c)
{
	if ((uint8_t)pattern[*pos] == c) {
		if (!pattern[++*pos]) {
			*pos = 0;
			return true;
		}
		return false;
	}
	*pos = (uint8_t)pattern[0] == c;
	return false;
}

static bool has(const char *text, size_t len, const char *s)
{
	return memmem(text, len, s, strlen(s)) != NULL;
}

/* text as one line for the user: no control characters, then "\n". */
static void guest_log_say(struct guest_log *g, const char *text, size_t len)
{
	char line[GUEST_LOG_LINE_MAX + 1];

	if (len && text[len - 1] == '\r')
		len--;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		line[i] = (c < ' ' && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	line[len] = '\n';
	g->notice(g->ctx, (const uint8_t *)line, len + 1);
}

static struct guest_log_line *guest_log_at(struct guest_log *g, uint64_t seq)
{
	return &g->ring[seq % GUEST_LOG_LINES];
}

/* The oldest line the ring still holds. */
static uint64_t guest_log_oldest(const struct guest_log *g)
{
	return g->next_seq > GUEST_LOG_LINES ? g->next_seq - GUEST_LOG_LINES
					     : 0;
}

static void guest_log_show(struct guest_log *g, struct guest_log_line *l)
{
	if (!l->shown && g->notice)
		guest_log_say(g, l->text, l->len);
	l->shown = true;
}

/*
 * Where the panic's trace begins: with no armz-init yet, everything the
 * ring holds is the failed boot's story; after it, the first oops or
 * warning since, else the panic's own line.
 */
static uint64_t guest_log_trace_start(struct guest_log *g)
{
	uint64_t seq = guest_log_oldest(g);

	if (!g->init_started)
		return seq;
	if (seq <= g->init_seq)
		seq = g->init_seq + 1;
	for (; seq < g->next_seq; seq++) {
		struct guest_log_line *l = guest_log_at(g, seq);

		for (size_t i = 0; i < ARRAY_SIZE(trace_starts); i++)
			if (has(l->text, l->len, trace_starts[i]))
				return seq;
	}
	return g->next_seq;
}

static void guest_log_panic(struct guest_log *g)
{
	g->panic = true;
	if (!g->notice)
		return;
	for (uint64_t seq = guest_log_trace_start(g); seq < g->next_seq; seq++)
		guest_log_show(g, guest_log_at(g, seq));
	g->forwarding = true;
}

/* A whole line, its "\n" read: keep it, and see what it says. */
static unsigned int guest_log_line(struct guest_log *g)
{
	struct guest_log_line *l = guest_log_at(g, g->next_seq);
	unsigned int ev = 0;
	const char *text;
	size_t len = g->cur_len, text_len;

	if (len && g->cur[len - 1] == '\r')
		len--;
	memcpy(l->text, g->cur, len);
	l->len = len;
	l->seq = g->next_seq;
	l->shown = false;
	switch (command_init_line(l->text, len, &text, &text_len)) {
	case COMMAND_INIT_MARK_STARTED:
		g->init_started = true;
		g->init_seq = l->seq;
		l->shown = true;
		ev |= GUEST_LOG_INIT_STARTED;
		break;
	case COMMAND_INIT_MARK_HVC1:
		g->hvc1 = true;
		l->shown = true;
		break;
	case COMMAND_INIT_MESSAGE:
		/* After the hvc1 marker, hvc1 brought it already. */
		if (!g->hvc1 && g->notice)
			guest_log_say(g, text, text_len);
		l->shown = true;
		break;
	default:
		break;
	}
	if (g->forwarding)
		guest_log_show(g, l);
	if (has(l->text, len, PANIC_END)) {
		g->forwarding = false;
		ev |= GUEST_LOG_PANIC_END;
	}
	if (has(l->text, len, RESTART))
		ev |= GUEST_LOG_RESTART;
	g->next_seq++;
	g->cur_len = 0;
	return ev;
}

unsigned int guest_log_feed(struct guest_log *g, const uint8_t *buf,
			    size_t len)
{
	unsigned int ev = 0;

	for (size_t i = 0; i < len; i++) {
		if (guest_log_match(&g->panic_match, PANIC_START, buf[i]) &&
		    !g->panic) {
			guest_log_panic(g);
			ev |= GUEST_LOG_PANIC;
		}
		if (buf[i] == '\n')
			ev |= guest_log_line(g);
		else if (g->cur_len < sizeof(g->cur))
			g->cur[g->cur_len++] = (char)buf[i];
	}
	return ev;
}

void guest_log_flush(struct guest_log *g)
{
	if (g->forwarding && g->cur_len && g->notice)
		guest_log_say(g, g->cur, g->cur_len);
	g->forwarding = false;
	g->cur_len = 0;
}

unsigned int guest_log_tail(struct guest_log *g, unsigned int n,
			    const char *header)
{
	uint64_t seq = g->next_seq, oldest = guest_log_oldest(g);
	unsigned int found = 0;

	if (!g->notice)
		return 0;
	/* Back to the n-th line not shown, then forward in order. */
	while (seq > oldest && found < n) {
		seq--;
		found += !guest_log_at(g, seq)->shown;
	}
	if (header && (found || g->cur_len))
		guest_log_say(g, header, strlen(header));
	for (; seq < g->next_seq; seq++)
		guest_log_show(g, guest_log_at(g, seq));
	/* A line the kernel never finished is a last word too. */
	if (g->cur_len) {
		guest_log_say(g, g->cur, g->cur_len);
		g->cur_len = 0;
		found++;
	}
	return found;
}
