// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-console (devices/virtio-console.c) behind the
 * virtio-mmio transport. The device has a single port and no MULTIPORT,
 * so there is no control queue: queue 0 receives, queue 1 transmits.
 * The guest's output goes to an output callback that keeps it; the
 * host's input is offered from this thread, as armz's input thread does.
 * The wait for the guest to hook the port is set to nothing.
 *
 * The input: a header (u8 flags: 1 the output fails, 2 a terminal size
 * before the transport, so the device offers VIRTIO_CONSOLE_F_SIZE),
 * guest RAM (u16 length, bytes), harness.h's ops, and this target's:
 *   VH_OP_DEVICE + 0  output: u8 buffers, u8 1 = add a writable one, blob
 *   VH_OP_DEVICE + 1  receive buffers: u8 chains, u16 bytes, u8 pieces
 *   VH_OP_DEVICE + 2  input: blob offered to virtio_console_receive()
 *   VH_OP_DEVICE + 3  virtio_console_rx_room()
 *   VH_OP_DEVICE + 4  a terminal size: u16 columns, u16 rows
 *
 * Checked: output sent alone comes out whole and in order, with a used
 * length of 0; input lands in op 1's buffers in order, as many bytes as
 * virtio_console_receive() says, and when it takes less than offered
 * there is no room left; the size reads back from config space.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/virtio.h>
#include <armz/virtio-console.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RX		0x4000u
#define RX_END		0x8000u
#define TX		0x8000u
#define OUT_MAX		(64u << 10)

static struct vh_rx rx;
static bool out_fails;
/* The output, written by the transmit worker, read once it settled. */
static uint8_t out[OUT_MAX];
static size_t out_len;
static unsigned int notifies;

static int con_out(void *ctx, const uint8_t *buf, size_t len)
{
	size_t n = len < OUT_MAX - out_len ? len : OUT_MAX - out_len;

	memcpy(out + out_len, buf, n);
	out_len += n;
	return out_fails ? -5 : 0;
}

static void con_notify(void *ctx)
{
	__atomic_fetch_add(&notifies, 1, __ATOMIC_RELAXED);
}

static void op_output(struct vh *h, struct fz *f)
{
	unsigned int nbufs = 1 + fz_u8(f) % 8, n = 0, i;
	bool writable = fz_u8(f) & 1;
	const struct vh_ring *r = &h->ring[1];
	struct vh_buf b[10];
	const uint8_t *p;
	uint32_t len, piece;
	size_t plen, was;

	p = fz_blob(f, VH_RAM_SIZE - TX - 16, &plen);
	if (!r->set || r->used + 4 + 8 * r->num > VH_RAM_SIZE)
		return;
	memcpy(h->mem.host + TX, p, plen);
	piece = (uint32_t)((plen + nbufs - 1) / nbufs);
	for (i = 0; plen && i * piece < plen; i++)
		b[n++] = (struct vh_buf){
			(uint16_t)(TX + i * piece),
			(uint16_t)(plen - i * piece < piece ?
				   plen - i * piece : piece),
			false,
		};
	if (writable)
		b[n++] = (struct vh_buf){ (uint16_t)(VH_RAM_SIZE - 16), 16,
					  true };
	if (!n || n > r->num)
		return;
	was = out_len;
	if (vh_send(h, 1, b, n, RX, VH_RAM_SIZE, &len))
		return;
	if (len)
		fz_fail("output: used length %u", len);
	if (was + plen <= OUT_MAX &&
	    (out_len != was + plen || memcmp(out + was, p, plen)))
		fz_fail("output: %zu bytes came out of %zu", out_len - was,
			plen);
}

/* Input went into used entries [from, to): op 1's buffers, in order. */
static const uint8_t *in_data;
static size_t in_len;

static void check_input(struct vh *h, uint16_t from, uint16_t to)
{
	size_t at = 0;

	for (uint16_t k = from; k != to; k++) {
		const struct vh_rx_chain *c;
		uint32_t id, len;

		vh_used_elem(h, 0, k, &id, &len);
		c = vh_rx_chain(h, &rx, id);
		if (!c)
			return;
		if (len > c->size || len > in_len - at)
			fz_fail("input: %u bytes in a %u-byte buffer, %zu "
				"left to give", len, c->size, in_len - at);
		if (memcmp(h->mem.host + c->off, in_data + at, len))
			fz_fail("input: bytes at %zu differ", at);
		at += len;
	}
	if (at != in_len)
		fz_fail("input: %zu bytes taken, %zu in the buffers", in_len,
			at);
}

static void op_input(struct vh *h, struct fz *f)
{
	const struct vh_ring *r = &h->ring[0];
	const uint8_t *p;
	size_t len, took;
	uint16_t before = 0;
	bool sane = false;

	p = fz_blob(f, 0xffff, &len);
	if (r->set && r->used + 4 + 8 * r->num <= VH_RAM_SIZE) {
		before = vh_used_idx(h, 0);
		sane = vh_ring_sane(h, 0, RX, RX_END);
	}
	took = virtio_console_receive(h->dev, p, len);
	if (took > len)
		fz_fail("input: %zu bytes taken of %zu", took, len);
	if (took < len && virtio_console_rx_room(h->dev))
		fz_fail("input: %zu of %zu bytes taken, with room left",
			took, len);
	if (sane && vh_ring_sane(h, 0, RX, RX_END)) {
		in_data = p;
		in_len = took;
		check_input(h, before, vh_used_idx(h, 0));
	}
}

static void op_size(struct vh *h, struct fz *f)
{
	uint16_t cols = fz_u16(f), rows = fz_u16(f);
	uint8_t b[4];

	virtio_console_set_size(h->dev, cols, rows);
	vh_access(h, VH_BASE + VIRTIO_MMIO_CONFIG, b, 4, false);
	if (le16_read(b) != cols || le16_read(b + 2) != rows)
		fz_fail("size %ux%u reads back as %ux%u", cols, rows,
			le16_read(b), le16_read(b + 2));
}

static void dev_op(struct vh *h, unsigned int op, struct fz *f)
{
	switch (op) {
	case 0:
		op_output(h, f);
		break;
	case 1: {
		unsigned int n = fz_u8(f) % 65;
		uint16_t size = fz_u16(f) % 0x1000;

		vh_rx_post(h, &rx, n, size, 1 + fz_u8(f) % 4, NULL);
		break;
	}
	case 2:
		op_input(h, f);
		break;
	case 3:
		virtio_console_rx_room(h->dev);
		break;
	case 4:
		op_size(h, f);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct vh h;
	struct virtio_device *dev;
	const uint8_t *ram;
	size_t ram_len;
	uint8_t flags;

	if (size < 3)
		return 0;
	flags = fz_u8(&f);
	out_fails = flags & 1;
	out_len = 0;
	if (virtio_console_new(con_out, NULL, &dev))
		fz_fail("virtio-console: %s", err_msg());
	virtio_console_set_rx_notify(dev, con_notify, NULL);
	virtio_console_set_open_grace(dev, 0);
	if (flags & 2)
		virtio_console_set_size(dev, 80, 25);
	ram = fz_blob(&f, VH_RAM_SIZE, &ram_len);
	vh_init(&h, dev, ram, ram_len, 0);
	vh_rx_init(&rx, 0, RX, RX_END);
	vh_run(&h, &f, dev_op);
	vh_fini(&h);
	return 0;
}
