// SPDX-License-Identifier: GPL-2.0
/*
 * Draining KVM's coalesced MMIO ring (coalesced-mmio.h). KVM is the only
 * writer of the ring: it fills entry `last` and then moves `last` on; we
 * serve entry `first` and then move `first` on. The indexes and lengths
 * are still checked, since a bad one would have us read past the page.
 */
#include <string.h>

#include "coalesced-mmio.h"

void coalesced_mmio_init(struct coalesced_mmio *c, void *page,
			 size_t page_size, const struct mmio_bus *bus,
			 _Atomic uint64_t *count)
{
	memset(c, 0, sizeof(*c));
	pthread_mutex_init(&c->lock, NULL);
	c->bus = bus;
	c->count = count;
	if (!page || page_size < sizeof(struct az_kvm_coalesced_mmio_ring) +
				 2 * sizeof(struct az_kvm_coalesced_mmio))
		return;
	c->ring = page;
	c->max = (uint32_t)AZ_KVM_COALESCED_MMIO_MAX(page_size);
}

static bool coalesced_mmio_empty(const struct az_kvm_coalesced_mmio_ring *r)
{
	return __atomic_load_n(&r->first, __ATOMIC_ACQUIRE) ==
	       __atomic_load_n(&r->last, __ATOMIC_ACQUIRE);
}

static void coalesced_mmio_serve(struct coalesced_mmio *c,
				 const struct az_kvm_coalesced_mmio *e)
{
	uint8_t data[8];
	uint32_t len = e->len;

	/* Only MMIO zones are registered; anything else is not ours. */
	if (e->pio || !len || len > sizeof(data))
		return;
	memcpy(data, e->data, len);
	/* Nothing to report a failure to: the guest's write has retired. */
	mmio_bus_access(c->bus, e->phys_addr, data, len, true);
	if (c->count)
		atomic_fetch_add_explicit(c->count, 1, memory_order_relaxed);
}

void coalesced_mmio_drain(struct coalesced_mmio *c)
{
	struct az_kvm_coalesced_mmio_ring *r;
	uint32_t first, last;

	if (!c || !c->ring)
		return;
	r = c->ring;
	/* The common case, every exit that follows no queued write. */
	if (coalesced_mmio_empty(r))
		return;
	pthread_mutex_lock(&c->lock);
	for (;;) {
		first = __atomic_load_n(&r->first, __ATOMIC_ACQUIRE);
		last = __atomic_load_n(&r->last, __ATOMIC_ACQUIRE);
		if (first == last || first >= c->max || last >= c->max)
			break;
		coalesced_mmio_serve(c, &r->entries[first]);
		/* Released only once served: an empty ring means all done. */
		__atomic_store_n(&r->first, (first + 1) % c->max,
				 __ATOMIC_RELEASE);
	}
	pthread_mutex_unlock(&c->lock);
}

void coalesced_mmio_destroy(struct coalesced_mmio *c)
{
	if (c->bus)
		pthread_mutex_destroy(&c->lock);
	memset(c, 0, sizeof(*c));
}
