// SPDX-License-Identifier: GPL-2.0
/*
 * The coalesced MMIO ring, filled here the way KVM fills it: writes reach
 * the bus in order, across the ring's end, and a drain of an empty ring
 * or of a machine without one does nothing.
 */
#include <stdlib.h>
#include <string.h>

#include <armz/bus.h>
#include <armz/uart.h>

#include "../../vmm/coalesced-mmio.h"
#include "unit.h"

#define PAGE	4096
#define BASE	0x9000000ULL

struct log_dev {
	uint8_t off[512];
	uint8_t val[512];
	unsigned int n;
};

static void log_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	memset(data, 0, len);
}

static void log_write(void *opaque, uint64_t off, const void *data,
		      unsigned int len)
{
	struct log_dev *d = opaque;

	if (d->n < sizeof(d->off)) {
		d->off[d->n] = (uint8_t)off;
		d->val[d->n++] = *(const uint8_t *)data;
	}
}

static const struct mmio_ops log_ops = { .read = log_read, .write = log_write };

/* KVM's side: entry `last`, then `last` moves on; false when full. */
static bool ring_push(struct az_kvm_coalesced_mmio_ring *r, uint32_t max,
		      uint64_t addr, uint8_t v)
{
	uint32_t last = r->last;

	if ((last + 1) % max == r->first)
		return false;
	memset(&r->entries[last], 0, sizeof(r->entries[last]));
	r->entries[last].phys_addr = addr;
	r->entries[last].len = 1;
	r->entries[last].data[0] = v;
	r->last = (last + 1) % max;
	return true;
}

static void test_coalesced_in_order(void)
{
	struct mmio_bus bus = { 0 };
	struct log_dev dev = { 0 };
	struct coalesced_mmio c;
	_Atomic uint64_t count = 0;
	struct az_kvm_coalesced_mmio_ring *r = calloc(1, PAGE);
	uint32_t max = (uint32_t)AZ_KVM_COALESCED_MMIO_MAX(PAGE);

	CU_ASSERT_EQUAL(max, 170);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, BASE, 8, &log_ops, &dev), 0);
	coalesced_mmio_init(&c, r, PAGE, &bus, &count);
	CU_ASSERT_PTR_EQUAL(c.ring, r);
	CU_ASSERT_EQUAL(c.max, max);
	coalesced_mmio_drain(&c);
	CU_ASSERT_EQUAL(dev.n, 0);

	/* Start near the end so that the ring wraps. */
	r->first = r->last = max - 3;
	for (unsigned int i = 0; i < 6; i++)
		CU_ASSERT(ring_push(r, max, BASE + UART_THR, (uint8_t)('a' + i)));
	coalesced_mmio_drain(&c);
	CU_ASSERT_EQUAL(dev.n, 6);
	CU_ASSERT_EQUAL(memcmp(dev.val, "abcdef", 6), 0);
	CU_ASSERT_EQUAL(r->first, r->last);
	CU_ASSERT_EQUAL(r->first, 3);
	CU_ASSERT_EQUAL(count, 6);

	/* A full ring (one slot always free) is served whole. */
	dev.n = 0;
	for (unsigned int i = 0; ring_push(r, max, BASE, (uint8_t)i); i++)
		;
	coalesced_mmio_drain(&c);
	CU_ASSERT_EQUAL(dev.n, max - 1);
	CU_ASSERT_EQUAL(dev.val[max - 2], (uint8_t)(max - 2));
	coalesced_mmio_destroy(&c);
	mmio_bus_free(&bus);
	free(r);
}

/* Bad entries are skipped, bad indexes stop the drain; nothing is read
 * outside the page. */
static void test_coalesced_bad_entries(void)
{
	struct mmio_bus bus = { 0 };
	struct log_dev dev = { 0 };
	struct coalesced_mmio c;
	struct az_kvm_coalesced_mmio_ring *r = calloc(1, PAGE);
	uint32_t max = (uint32_t)AZ_KVM_COALESCED_MMIO_MAX(PAGE);

	CU_ASSERT_EQUAL(mmio_bus_add(&bus, BASE, 8, &log_ops, &dev), 0);
	coalesced_mmio_init(&c, r, PAGE, &bus, NULL);
	ring_push(r, max, BASE, 'x');
	ring_push(r, max, BASE, 'y');
	r->entries[0].len = 9;
	ring_push(r, max, BASE + 0x100, 'z');	/* nothing there */
	ring_push(r, max, BASE + 3, 'w');
	r->entries[3].pio = 1;
	coalesced_mmio_drain(&c);
	CU_ASSERT_EQUAL(dev.n, 1);
	CU_ASSERT_EQUAL(dev.val[0], 'y');
	CU_ASSERT_EQUAL(r->first, r->last);

	r->last = max + 5;
	coalesced_mmio_drain(&c);
	CU_ASSERT_EQUAL(dev.n, 1);
	coalesced_mmio_destroy(&c);
	mmio_bus_free(&bus);
	free(r);
}

static void test_coalesced_none(void)
{
	struct mmio_bus bus = { 0 };
	struct coalesced_mmio c;

	coalesced_mmio_init(&c, NULL, PAGE, &bus, NULL);
	CU_ASSERT_PTR_NULL(c.ring);
	coalesced_mmio_drain(&c);
	coalesced_mmio_drain(NULL);
	coalesced_mmio_destroy(&c);
}

/* What the UART sent to its console. */
struct uart_sink {
	uint8_t buf[64];
	size_t len;
};

static int uart_sink_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct uart_sink *s = ctx;

	for (size_t i = 0; i < len && s->len < sizeof(s->buf); i++)
		s->buf[s->len++] = buf[i];
	return (int)len;
}

/*
 * The 8250 driver sets the divisor with DLAB set, through the address of
 * THR: a byte the ring holds at that address is a divisor or a character
 * depending on the LCR write before it, which is an exit. Draining before
 * the exit keeps the two apart.
 */
static void test_coalesced_uart_dlab(void)
{
	struct mmio_bus bus = { 0 };
	struct uart_sink out = { .len = 0 };
	struct uart *u = NULL;
	struct coalesced_mmio c;
	_Atomic uint64_t count = 0;
	struct az_kvm_coalesced_mmio_ring *r = calloc(1, PAGE);
	uint32_t max = (uint32_t)AZ_KVM_COALESCED_MMIO_MAX(PAGE);
	uint8_t b;

	CU_ASSERT_EQUAL_FATAL(uart_new(NULL, uart_sink_out, &out, &u), 0);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, BASE, 8, &uart_mmio_ops, u), 0);
	coalesced_mmio_init(&c, r, PAGE, &bus, &count);

	/* 'a' queued; then the LCR write exits: the ring goes first. */
	CU_ASSERT(ring_push(r, max, BASE + UART_THR, 'a'));
	coalesced_mmio_drain(&c);
	b = UART_LCR_DLAB | 0x03;
	mmio_bus_access(&bus, BASE + UART_LCR, &b, 1, true);
	/* The divisor's low byte, queued at THR's address; LCR back. */
	CU_ASSERT(ring_push(r, max, BASE + UART_DLL, 0x01));
	coalesced_mmio_drain(&c);
	b = 0x03;
	mmio_bus_access(&bus, BASE + UART_LCR, &b, 1, true);
	CU_ASSERT(ring_push(r, max, BASE + UART_THR, 'b'));
	coalesced_mmio_drain(&c);

	CU_ASSERT_EQUAL(out.len, 2);
	CU_ASSERT_EQUAL(memcmp(out.buf, "ab", 2), 0);
	CU_ASSERT_EQUAL(count, 3);
	/* The divisor took the byte meant for it. */
	b = UART_LCR_DLAB | 0x03;
	mmio_bus_access(&bus, BASE + UART_LCR, &b, 1, true);
	mmio_bus_access(&bus, BASE + UART_DLL, &b, 1, false);
	CU_ASSERT_EQUAL(b, 0x01);
	mmio_bus_free(&bus);
	free(r);
}

static CU_TestInfo coalesced_mmio_tests[] = {
	{ "in order, across the end", test_coalesced_in_order },
	{ "bad entries and indexes", test_coalesced_bad_entries },
	{ "no ring", test_coalesced_none },
	{ "the UART's divisor and characters apart", test_coalesced_uart_dlab },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(coalesced_mmio, coalesced_mmio_tests);
