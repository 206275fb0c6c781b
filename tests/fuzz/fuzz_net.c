// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-net (devices/virtio-net.c, devices/net-hdr.c)
 * behind the virtio-mmio transport, against a fake backend: frames the
 * guest transmits reach the backend's send(), frames from the input are
 * what its recv() hands the device, its rx_fd an eventfd that is
 * readable while it has some. harness.c waits for the workers.
 *
 * The input: a header (u8 offloads the backend can do, u8 flags: 1 its
 * start refuses), guest RAM (u16 length, bytes), then harness.h's ops,
 * and this target's own:
 *   VH_OP_DEVICE + 0  transmit: u8 buffers, 12 header bytes, u16 length,
 *                     blob (the frame is the blob repeated to length)
 *   VH_OP_DEVICE + 1  receive buffers: u8 chains, u16 bytes each, u8
 *                     pieces each
 *   VH_OP_DEVICE + 2  a frame from the network: u8 lost (odd: recv
 *                     fails), 12 header bytes, u16 length, blob
 *
 * Checked: a frame transmitted alone reaches the backend whole, with its
 * header, when it is a frame, and not at all otherwise; start() gets
 * only offloads the backend has; what the guest receives on buffers of
 * op 1 is, buffer group by group, the frames the backend gave in their
 * order (some dropped), each with num_buffers, its header as given but
 * for a checksum the device filled in, and never an offload the driver
 * did not accept.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/net-backend.h>
#include <armz/net-hdr.h>
#include <armz/virtio.h>
#include <armz/virtio-net.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* RAM: rings below RX, receive buffers, then what is transmitted. */
#define RX		0x4000u
#define RX_END		0x8000u
#define TX		0x8000u
#define TX_DATA		(TX + 0x20)
#define TX_MAX		(VH_RAM_SIZE - TX_DATA)
#define FRAMES_MAX	64
#define RX_CHAINS_MAX	64

/* A frame: pat repeated to len bytes. */
struct frame {
	uint8_t raw[NET_HDR_LEN];
	const uint8_t *pat;
	size_t patlen;
	uint32_t len;
	bool lost;
};

static uint8_t frame_byte(const struct frame *fr, size_t i)
{
	return fr->patlen ? fr->pat[i % fr->patlen] : 0;
}

struct fake_be {
	struct net_backend be;
	bool start_fails;
	unsigned int started_offloads;
	/* Pushed by the harness, taken by recv() on the receive worker. */
	pthread_mutex_t lock;
	struct frame pushed[FRAMES_MAX];
	unsigned int npushed, ntaken;
	/* What recv() gave the device, in order, for the checks. */
	unsigned int given[FRAMES_MAX], ngiven, matched;
	/* What send() got. */
	unsigned int nsent;
	struct net_hdr sent_hdr;
	uint32_t sent_len;
	uint8_t sent[NET_FRAME_MAX];
};

static struct fake_be *fbe;

static int fbe_start(struct net_backend *be, const struct net_start *st)
{
	struct fake_be *f = (struct fake_be *)be;

	if (st->offloads & ~be->offloads)
		fz_fail("start: offloads 0x%x, the backend has 0x%x",
			st->offloads, be->offloads);
	f->started_offloads = st->offloads;
	return f->start_fails ? err_set(EIO, "fake backend: start refused") : 0;
}

static int fbe_send(struct net_backend *be, const struct net_hdr *hdr,
		    const struct iovec *iov, unsigned int iovcnt)
{
	struct fake_be *f = (struct fake_be *)be;
	size_t len = 0;

	if (iovcnt > NET_IOV_MAX)
		fz_fail("send: %u iovecs", iovcnt);
	for (unsigned int i = 0; i < iovcnt; i++) {
		if (iov[i].iov_len > NET_FRAME_MAX - len)
			fz_fail("send: a frame past %u bytes", NET_FRAME_MAX);
		memcpy(f->sent + len, iov[i].iov_base, iov[i].iov_len);
		len += iov[i].iov_len;
	}
	if (len < NET_FRAME_MIN)
		fz_fail("send: a frame of %zu bytes", len);
	f->sent_hdr = *hdr;
	f->sent_len = (uint32_t)len;
	f->nsent++;
	/* A backend that wants whole frames completes the checksum. */
	if ((hdr->flags & NET_HDR_F_NEEDS_CSUM) &&
	    net_hdr_fill_csum(hdr, f->sent, len))
		return -EINVAL;
	return 0;
}

static ssize_t fbe_recv(struct net_backend *be, struct net_hdr *hdr,
			void *buf, size_t len)
{
	struct fake_be *f = (struct fake_be *)be;
	struct frame *fr;
	uint64_t v;

	pthread_mutex_lock(&f->lock);
	if (f->ntaken == f->npushed) {
		/* Nothing left: rx_fd goes quiet until the next push. */
		if (read(be->rx_fd, &v, sizeof(v)) < 0 && errno != EAGAIN)
			abort();
		pthread_mutex_unlock(&f->lock);
		return 0;
	}
	fr = &f->pushed[f->ntaken++];
	pthread_mutex_unlock(&f->lock);
	if (fr->lost)
		return -EIO;
	if (fr->len > len)
		abort();
	for (size_t i = 0; i < fr->len; i++)
		((uint8_t *)buf)[i] = frame_byte(fr, i);
	net_hdr_decode(hdr, fr->raw);
	f->given[f->ngiven++] = (unsigned int)(fr - f->pushed);
	return fr->len;
}

static void fbe_free(struct net_backend *be)
{
	struct fake_be *f = (struct fake_be *)be;

	close(be->rx_fd);
	pthread_mutex_destroy(&f->lock);
	free(f);
	fbe = NULL;
}

static const struct net_backend_ops fbe_ops = {
	.start = fbe_start,
	.send = fbe_send,
	.recv = fbe_recv,
	.free = fbe_free,
};

/* --- Transmit --- */

static void op_tx(struct vh *h, struct fz *f)
{
	unsigned int nbufs = 1 + fz_u8(f) % 8, n = 0, i;
	struct frame fr = { 0 };
	struct vh_buf b[9];
	struct net_hdr want;
	uint32_t piece, len;
	unsigned int sent;

	for (i = 0; i < NET_HDR_LEN; i++)
		fr.raw[i] = fz_u8(f);
	fr.len = fz_u16(f);
	fr.pat = fz_blob(f, 4096, &fr.patlen);
	if (fr.len > TX_MAX)
		fr.len = TX_MAX;
	if (!h->ring[1].set ||
	    h->ring[1].used + 4 + 8 * h->ring[1].num > VH_RAM_SIZE)
		return;
	memcpy(h->mem.host + TX, fr.raw, NET_HDR_LEN);
	for (i = 0; i < fr.len; i++)
		h->mem.host[TX_DATA + i] = frame_byte(&fr, i);
	b[n++] = (struct vh_buf){ TX, NET_HDR_LEN, false };
	piece = (fr.len + nbufs - 1) / nbufs;
	for (i = 0; fr.len && i * piece < fr.len; i++)
		b[n++] = (struct vh_buf){
			(uint16_t)(TX_DATA + i * piece),
			(uint16_t)(fr.len - i * piece < piece ?
				   fr.len - i * piece : piece),
			false,
		};
	if (n > h->ring[1].num)
		return;
	sent = fbe->nsent;
	if (vh_send(h, 1, b, n, RX, VH_RAM_SIZE, &len))
		return;
	if (len)
		fz_fail("transmit: used length %u", len);
	if (fr.len < NET_FRAME_MIN) {
		if (fbe->nsent != sent)
			fz_fail("transmit: a %u-byte frame was sent", fr.len);
		return;
	}
	if (fbe->nsent != sent + 1 || fbe->sent_len != fr.len)
		fz_fail("transmit: a %u-byte frame did not go out whole",
			fr.len);
	net_hdr_decode(&want, fr.raw);
	if (memcmp(&want, &fbe->sent_hdr, sizeof(want)))
		fz_fail("transmit: the header changed");
	for (i = 0; i < fr.len; i++) {
		/* The fake backend fills in a checksum itself. */
		if ((want.flags & NET_HDR_F_NEEDS_CSUM) &&
		    i - (want.csum_start + want.csum_offset) < 2)
			continue;
		if (fbe->sent[i] != frame_byte(&fr, i))
			fz_fail("transmit: byte %u differs", i);
	}
}

/* --- Receive --- */

static struct vh_rx rx;

static uint8_t rx_collect[NET_HDR_LEN + NET_FRAME_MAX];

/*
 * Whether the total bytes in rx_collect, header got, are frame fr as the
 * device must pass it on: the header as given, but a checksum the driver
 * did not offer to take is filled in (and its flag cleared).
 */
static bool frame_is(const struct frame *fr, const struct net_hdr *got,
		     size_t total, uint64_t acked)
{
	struct net_hdr want;
	bool filled;
	size_t at;

	if (total != NET_HDR_LEN + fr->len)
		return false;
	net_hdr_decode(&want, fr->raw);
	filled = (want.flags & NET_HDR_F_NEEDS_CSUM) &&
		 !(acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	if (filled)
		want.flags &= (uint8_t)~NET_HDR_F_NEEDS_CSUM;
	want.num_buffers = got->num_buffers;
	if (memcmp(&want, got, sizeof(want)))
		return false;
	at = (size_t)want.csum_start + want.csum_offset;
	for (size_t j = 0; j < fr->len; j++)
		if ((!filled || j - at >= 2) &&
		    rx_collect[NET_HDR_LEN + j] != frame_byte(fr, j))
			return false;
	return true;
}

/* The frames received in used entries [from, to) of the receive queue. */
static void check_received(struct vh *h, uint16_t from, uint16_t to)
{
	uint64_t acked = h->dev->features_acked;
	bool mrg = acked & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF);
	uint16_t i = from;

	if (!vh_ring_sane(h, 0, RX, RX_END))
		return;
	/* Only when every buffer used is one of op 1's. */
	for (uint16_t k = from; k != to; k++) {
		const struct vh_rx_chain *c;
		uint32_t id, len;

		vh_used_elem(h, 0, k, &id, &len);
		c = vh_rx_chain(h, &rx, id);
		if (!c)
			return;
		if (len > c->size)
			fz_fail("receive: %u bytes used of a %u-byte buffer",
				len, c->size);
	}
	while (i != to) {
		struct net_hdr got;
		size_t total = 0;
		unsigned int nb, k;
		uint32_t id, len;

		vh_used_elem(h, 0, i, &id, &len);
		if (len < NET_HDR_LEN)
			fz_fail("receive: a %u-byte first buffer", len);
		net_hdr_decode(&got, h->mem.host + vh_rx_chain(h, &rx, id)->off);
		nb = got.num_buffers;
		if (!nb || nb > (uint16_t)(to - i) || (nb > 1 && !mrg))
			fz_fail("receive: num_buffers %u, %u used, mrg %d", nb,
				(uint16_t)(to - i), mrg);
		for (k = 0; k < nb; k++, i++) {
			vh_used_elem(h, 0, i, &id, &len);
			if (len > sizeof(rx_collect) - total)
				fz_fail("receive: more than a frame");
			memcpy(rx_collect + total,
			       h->mem.host + vh_rx_chain(h, &rx, id)->off, len);
			total += len;
		}
		if (((got.gso_type & ~NET_HDR_GSO_ECN) == NET_HDR_GSO_TCPV4 &&
		     !(acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4))) ||
		    ((got.gso_type & ~NET_HDR_GSO_ECN) == NET_HDR_GSO_TCPV6 &&
		     !(acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))) ||
		    ((got.flags & NET_HDR_F_NEEDS_CSUM) &&
		     !(acked & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM))))
			fz_fail("receive: an offload the driver refused");
		/* One of those given, after the last one seen: some drop. */
		for (k = fbe->matched; k < fbe->ngiven; k++)
			if (frame_is(&fbe->pushed[fbe->given[k]], &got, total,
				     acked))
				break;
		if (k == fbe->ngiven)
			fz_fail("receive: a %zu-byte frame the backend did "
				"not give (or not so)", total);
		fbe->matched = k + 1;
	}
}

static void op_rx_bufs(struct vh *h, struct fz *f)
{
	unsigned int n = fz_u8(f) % (RX_CHAINS_MAX + 1);
	uint16_t size = fz_u16(f) % 0x1000;

	/* Frames waiting for buffers come now. */
	vh_rx_post(h, &rx, n, size, 1 + fz_u8(f) % 4, check_received);
}

static void op_rx_frame(struct vh *h, struct fz *f)
{
	struct frame *fr;
	uint64_t one = 1;
	uint16_t before = 0;
	bool sane, ring = h->ring[0].set &&
		    h->ring[0].used + 4 + 8 * h->ring[0].num <= VH_RAM_SIZE;

	if (fbe->npushed == FRAMES_MAX)
		return;
	fr = &fbe->pushed[fbe->npushed];
	fr->lost = fz_u8(f) & 1;
	for (unsigned int i = 0; i < NET_HDR_LEN; i++)
		fr->raw[i] = fz_u8(f);
	fr->len = fz_u16(f);
	fr->pat = fz_blob(f, 4096, &fr->patlen);
	if (ring)
		before = vh_used_idx(h, 0);
	sane = ring && vh_ring_sane(h, 0, RX, RX_END);
	/* The device is settled: no worker is in recv() now. */
	fbe->npushed++;
	if (write(fbe->be.rx_fd, &one, sizeof(one)) != sizeof(one))
		abort();
	vh_settle(h);
	if (sane)
		check_received(h, before, vh_used_idx(h, 0));
}

static void dev_op(struct vh *h, unsigned int op, struct fz *f)
{
	switch (op) {
	case 0:
		op_tx(h, f);
		break;
	case 1:
		op_rx_bufs(h, f);
		break;
	case 2:
		op_rx_frame(h, f);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[NET_MAC_LEN] = { 0x52, 0x54, 0, 1, 2, 3 };
	struct fz f = { data, size };
	static struct vh h;
	struct virtio_device *dev;
	const uint8_t *ram;
	size_t ram_len;
	uint8_t flags;

	if (size < 4)
		return 0;
	fbe = calloc(1, sizeof(*fbe));
	if (!fbe)
		abort();
	pthread_mutex_init(&fbe->lock, NULL);
	fbe->be = (struct net_backend){
		.ops = &fbe_ops,
		.name = "fake",
		.rx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK),
		.offloads = fz_u8(&f) & 0x3f,
		.call_fd = { -1, -1 },
	};
	if (fbe->be.rx_fd < 0)
		abort();
	flags = fz_u8(&f);
	fbe->start_fails = flags & 1;
	if (virtio_net_new(&fbe->be, mac, &dev))
		fz_fail("virtio-net refused the backend: %s", err_msg());
	ram = fz_blob(&f, VH_RAM_SIZE, &ram_len);
	vh_init(&h, dev, ram, ram_len, 0);
	vh_rx_init(&rx, VIRTIO_NET_Q_RX, RX, RX_END);
	vh_run(&h, &f, dev_op);
	vh_fini(&h);
	return 0;
}
