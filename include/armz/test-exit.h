/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_TEST_EXIT_H
#define ARMZ_TEST_EXIT_H

#include <stdint.h>

#include <armz/bus.h>

/*
 * A register a bare-metal payload writes to end the run with a status, the
 * way a test harness needs: MEMMAP_TEST_EXIT_SIZE bytes of MMIO, DT node
 * compatible "armz,test-exit" (reg only).
 *
 *   offset  access  meaning
 *   0x0     write   STATUS: end the run. Bits 7:0 are the exit status
 *                   (0 = pass, 1-255 = fail with that code); bits 63:8 are
 *                   reserved, write them as zero, they are ignored. A
 *                   32-bit store is the documented form; any width works.
 *   0x4     read    ID: "ARMZ" (bytes 'A' 'R' 'M' 'Z', so 0x5a4d5241 as a
 *                   little-endian 32-bit load), to probe for the device.
 *   0x8     write   BOOTED: the guest's userspace is up (any value); armz
 *                   notes the time for its report. A Linux guest's init can
 *                   write it with `devmem 0x09010008 32 1`.
 *   other   read    zero; writes anywhere but STATUS are ignored.
 *
 * The device reports every STATUS write to its callback, on the writing
 * vCPU; ending the run, and what a second write from another vCPU means,
 * is up to the callback.
 */
#define TEST_EXIT_REG_STATUS	0x0
#define TEST_EXIT_REG_ID	0x4
#define TEST_EXIT_REG_BOOTED	0x8
#define TEST_EXIT_ID		0x5a4d5241u	/* "ARMZ" */
#define TEST_EXIT_STATUS_MASK	0xffu
#define TEST_EXIT_PASS		0
#define TEST_EXIT_FAIL		1

struct test_exit;

typedef void (*test_exit_fn)(void *ctx, int status);

/* 0 and *out, or a negative errno with err_msg() set. */
int test_exit_new(test_exit_fn exit_cb, void *ctx, struct test_exit **out);
void test_exit_free(struct test_exit *t);
/* Called on the writing vCPU for every BOOTED write. */
void test_exit_on_booted(struct test_exit *t, void (*booted_cb)(void *ctx));

/* opaque = struct test_exit *. Runs exit_cb on the writing vCPU thread. */
extern const struct mmio_ops test_exit_mmio_ops;


#endif
