// SPDX-License-Identifier: GPL-2.0
#include <time.h>

#include "stats.h"

uint64_t stats_now(const struct vm_stats *s)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000 + (uint64_t)ts.tv_nsec -
	       s->start_ns;
}

void stats_mark(struct vm_stats *s, enum vm_moment at)
{
	uint64_t zero = 0;

	if (!atomic_load_explicit(&s->at[at], memory_order_relaxed))
		atomic_compare_exchange_strong(&s->at[at], &zero,
					       stats_now(s) ?: 1);
}
