/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_STATS_H
#define ARMZ_VMM_STATS_H

#include <stdatomic.h>
#include <stdint.h>

#include <armz/bus.h>

/*
 * What a run did, across guest resets: what --report and `armz status`
 * show. main owns it; machines and vCPUs add to it from any thread.
 */

/* Moments of a run, in ns since armz started; 0 until they happen. */
enum vm_moment {
	AT_FIRST_RUN,		/* the first KVM_RUN */
	AT_FIRST_OUTPUT,	/* the first console byte */
	AT_USERSPACE,		/* the guest wrote test-exit's BOOTED */
	AT_EXIT,
	AT_COUNT,
};

enum vm_exit_kind {
	EXITS_MMIO,
	EXITS_SYSTEM_EVENT,
	EXITS_INTERRUPTED,
	EXITS_OTHER,
	EXITS_COUNT,
};

struct vm_stats {
	uint64_t start_ns;
	_Atomic uint64_t at[AT_COUNT];
	_Atomic uint64_t exits[EXITS_COUNT];
	_Atomic uint64_t queued_writes;	/* served from the coalesced ring */
	/* MMIO exits by the bus's region index (the same on every boot). */
	_Atomic uint64_t mmio_exits_at[MMIO_BUS_MAX_REGIONS];
	_Atomic uint64_t console_out;
	_Atomic uint64_t console_in;
	unsigned int resets;
};

/* ns since s->start_ns (CLOCK_MONOTONIC). */
uint64_t stats_now(const struct vm_stats *s);
/* Records the moment once; later calls are cheap no-ops. */
void stats_mark(struct vm_stats *s, enum vm_moment at);

#endif
