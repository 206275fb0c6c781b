/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_COALESCED_MMIO_H
#define ARMZ_VMM_COALESCED_MMIO_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/bus.h>
#include <armz/kvm-arm64-abi.h>

/*
 * Guest writes that KVM queued instead of exiting (KVM_CAP_COALESCED_MMIO):
 * the UART's transmit register, so that a byte of console output costs no
 * trip to userspace. KVM appends them to one ring per VM; here they are
 * taken out in order and handed to the bus as if they had exited.
 *
 * Order is what makes this invisible to the guest: every queued write
 * happened before whatever the guest does next that exits, so the ring is
 * drained before any exit is served (a DLAB write, then a divisor write
 * to THR's address, still reach the UART in that order; a byte is out
 * before the LSR read that follows it). Reads never queue.
 *
 * Threads: coalesced_mmio_drain() may run on any thread (vCPUs at each
 * exit, main's loop now and then, the machine at stop); a lock keeps one
 * drainer at a time, and an index moves on only after its write was
 * served, so that a vCPU that finds the ring empty knows every earlier
 * write is done.
 *
 * KVM-free: the ring is any page; the machine points it into the vCPUs'
 * mapping, the unit tests at memory of their own.
 */
struct coalesced_mmio {
	struct az_kvm_coalesced_mmio_ring *ring;	/* NULL: no ring */
	uint32_t max;			/* entries in the ring */
	const struct mmio_bus *bus;
	_Atomic uint64_t *count;	/* writes served, may be NULL */
	pthread_mutex_t lock;
};

/*
 * The ring at page (page_size bytes, as KVM maps it), writes going to
 * bus; count (may be NULL) adds one per write served. page NULL: a
 * machine without the capability, where every drain is a no-op.
 */
void coalesced_mmio_init(struct coalesced_mmio *c, void *page,
			 size_t page_size, const struct mmio_bus *bus,
			 _Atomic uint64_t *count);
/* Serves every queued write, in order. NULL is fine. */
void coalesced_mmio_drain(struct coalesced_mmio *c);
void coalesced_mmio_destroy(struct coalesced_mmio *c);

#endif
