/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_GUEST_LOG_H
#define ARMZ_VMM_GUEST_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "console.h"

/*
 * What the guest kernel's console says, read a line at a time for the
 * user who does not see that console (run-a-command mode without
 * --verbose): armz-init's lines (include/armz/command.h), the panic's
 * trace, and the last lines the kernel printed before it stopped. The
 * console itself still goes where main said; this only watches it.
 *
 * It also tells the machine what it saw (enum guest_log_event): a panic
 * beginning and ending, armz-init starting, an orderly restart.
 *
 * notice is where the user's lines go (armz's stderr), or NULL when the
 * console is already in front of the user: then nothing is forwarded
 * and the events are all there is. Lines are forwarded as the kernel
 * printed them, without the "\r", control characters made '?'.
 *
 * Threads: one caller at a time (the machine's console lock).
 * Ownership: guest_log_new allocates, guest_log_free frees.
 */

enum guest_log_event {
	GUEST_LOG_PANIC		= 1u << 0,	/* "Kernel panic - not ..." */
	GUEST_LOG_PANIC_END	= 1u << 1,	/* its last line ended */
	GUEST_LOG_INIT_STARTED	= 1u << 2,	/* armz-init's start marker */
	GUEST_LOG_RESTART	= 1u << 3,	/* "reboot: Restarting ..." */
};

/* Longest line kept; the rest of a longer one is dropped. */
#define GUEST_LOG_LINE_MAX	512
/* Lines kept for a panic's trace and the last words. */
#define GUEST_LOG_LINES		64

struct guest_log;

int guest_log_new(console_out_fn notice, void *ctx, struct guest_log **out);
void guest_log_free(struct guest_log *g);

/*
 * The next bytes of the console; returns the events they brought
 * (enum guest_log_event, or'ed). A panic's lines are forwarded as they
 * come, from the start of its trace (the oops before it, when the ring
 * still holds it) to its end marker.
 */
unsigned int guest_log_feed(struct guest_log *g, const uint8_t *buf,
			    size_t len);

/* At a stop: the unfinished line of a panic being forwarded. */
void guest_log_flush(struct guest_log *g);

/*
 * Forwards up to n of the last lines not forwarded yet, header (a line
 * of its own, or NULL) first when there are any; returns how many.
 * Nothing without a notice.
 */
unsigned int guest_log_tail(struct guest_log *g, unsigned int n,
			    const char *header);

#endif
