/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_PVPANIC_H
#define ARMZ_PVPANIC_H

#include <stdint.h>

#include <armz/bus.h>

/*
 * QEMU's pvpanic-mmio device, which Linux's pvpanic driver finds through
 * its DT node (compatible "qemu,pvpanic-mmio"). One byte-wide register at
 * offset 0: a read returns the events the device supports, a write reports
 * the events the guest is signalling. Only PANICKED calls the panic
 * callback; CRASH_LOADED means the guest handles the crash itself (kdump).
 */
#define PVPANIC_PANICKED	0x1
#define PVPANIC_CRASH_LOADED	0x2
#define PVPANIC_EVENTS		(PVPANIC_PANICKED | PVPANIC_CRASH_LOADED)

struct pvpanic;

/* events: what the guest wrote, limited to PVPANIC_EVENTS. */
typedef void (*pvpanic_fn)(void *ctx, uint32_t events);

/* 0 and *out, or a negative errno with err_msg() set. */
int pvpanic_new(pvpanic_fn panic_cb, void *ctx, struct pvpanic **out);
void pvpanic_free(struct pvpanic *p);

/* opaque = struct pvpanic *. Runs panic_cb on the writing vCPU thread. */
extern const struct mmio_ops pvpanic_mmio_ops;


#endif
