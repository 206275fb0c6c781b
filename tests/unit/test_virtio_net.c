// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <armz/err.h>
#include <armz/net-backend.h>
#include <armz/virtio.h>
#include <armz/virtio-net.h>

#include "unit.h"
#include "virtio-ring.h"

#define F_V1	VIRTIO_BIT(VIRTIO_F_VERSION_1)
#define F_MRG	VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)
#define F_BASE	(F_V1 | VIRTIO_BIT(VIRTIO_NET_F_MAC) |			\
		 VIRTIO_BIT(VIRTIO_NET_F_STATUS))
#define QSIZE	16
#define RXBUF	1024		/* each posted receive buffer */
#define RX_AREA	(TR_BUF)	/* receive buffers, one per 4 KiB */
#define TX_AREA	(TR_BUF + 0x40000)

static const uint8_t test_mac[NET_MAC_LEN] = { 0x52, 0x54, 0x00,
					       0xab, 0xcd, 0xef };

/* --- A backend that records what it is sent and replays what it is given */

#define FAKE_RX_MAX	8

struct fake_frame {
	struct net_hdr hdr;
	size_t len;
	uint8_t data[4096];
};

struct fake_be {
	struct net_backend be;
	pthread_mutex_t lock;
	unsigned int nsent;
	struct net_hdr sent_hdr;
	uint8_t sent[2048];
	size_t sent_len;
	struct fake_frame rx[FAKE_RX_MAX];
	unsigned int rx_head, rx_tail;
	unsigned int starts, stops;
	struct net_start started;	/* what the last start() got */
	unsigned int kicks[NET_QUEUES];	/* vhost: kicks relayed */
	bool freed;
};

static int fake_send(struct net_backend *be, const struct net_hdr *hdr,
		     const struct iovec *iov, unsigned int iovcnt)
{
	struct fake_be *f = (struct fake_be *)be;
	size_t off = 0;
	unsigned int i;

	pthread_mutex_lock(&f->lock);
	f->sent_hdr = *hdr;
	for (i = 0; i < iovcnt; i++) {
		if (off + iov[i].iov_len <= sizeof(f->sent))
			memcpy(f->sent + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	f->sent_len = off;
	f->nsent++;
	pthread_mutex_unlock(&f->lock);
	return 0;
}

static ssize_t fake_recv(struct net_backend *be, struct net_hdr *hdr,
			 void *buf, size_t len)
{
	struct fake_be *f = (struct fake_be *)be;
	struct fake_frame *fr = NULL;
	uint64_t v;

	pthread_mutex_lock(&f->lock);
	if (f->rx_head == f->rx_tail) {
		if (read(be->rx_fd, &v, sizeof(v)) < 0)
			v = 0;
	} else {
		fr = &f->rx[f->rx_head % FAKE_RX_MAX];
	}
	pthread_mutex_unlock(&f->lock);
	if (!fr)
		return 0;
	*hdr = fr->hdr;
	memcpy(buf, fr->data, fr->len < len ? fr->len : len);
	pthread_mutex_lock(&f->lock);
	f->rx_head++;
	pthread_mutex_unlock(&f->lock);
	return (ssize_t)fr->len;
}

static int fake_start(struct net_backend *be, const struct net_start *st)
{
	struct fake_be *f = (struct fake_be *)be;

	f->starts++;
	f->started = *st;
	return 0;
}

static void fake_kick(struct net_backend *be, unsigned int q)
{
	struct fake_be *f = (struct fake_be *)be;

	CU_ASSERT_FATAL(q < NET_QUEUES);
	__atomic_fetch_add(&f->kicks[q], 1, __ATOMIC_SEQ_CST);
}

static void fake_stop(struct net_backend *be)
{
	((struct fake_be *)be)->stops++;
}

static void fake_free(struct net_backend *be)
{
	((struct fake_be *)be)->freed = true;
}

static const struct net_backend_ops fake_ops = {
	.start = fake_start,
	.stop = fake_stop,
	.send = fake_send,
	.recv = fake_recv,
	.kick = fake_kick,
	.free = fake_free,
};

/* Queues a frame of len bytes (byte i is seed + i) for the device. */
static void fake_push(struct fake_be *f, const struct net_hdr *hdr,
		      size_t len, uint8_t seed)
{
	struct fake_frame *fr;
	uint64_t one = 1;
	size_t i;

	pthread_mutex_lock(&f->lock);
	fr = &f->rx[f->rx_tail % FAKE_RX_MAX];
	fr->hdr = *hdr;
	fr->len = len;
	for (i = 0; i < len; i++)
		fr->data[i] = (uint8_t)(seed + i);
	f->rx_tail++;
	pthread_mutex_unlock(&f->lock);
	CU_ASSERT_EQUAL(write(f->be.rx_fd, &one, sizeof(one)), sizeof(one));
}

static unsigned int fake_pending(struct fake_be *f)
{
	unsigned int n;

	pthread_mutex_lock(&f->lock);
	n = f->rx_tail - f->rx_head;
	pthread_mutex_unlock(&f->lock);
	return n;
}

/* --- The machine around the device --- */

struct net_fixture {
	struct guest_mem mem;
	struct test_ring rx, tx;
	struct tr_irq irq;
	struct fake_be fake;
	struct virtio_device *dev;
	struct virtio_mmio *vm;
	unsigned int rx_posted;
};

/*
 * A device around a fake that can do offloads; with vhost, the fake
 * stands for the kernel: no rx_fd, and a call eventfd per queue.
 */
static struct net_fixture *fx_make(unsigned int offloads, bool vhost,
				   uint64_t features, bool driver_ok)
{
	struct net_fixture *f = calloc(1, sizeof(*f));

	CU_ASSERT_PTR_NOT_NULL_FATAL(f);
	f->fake.be = (struct net_backend){
		.ops = &fake_ops, .name = "fake", .call_fd = { -1, -1 },
		.rx_fd = -1, .offloads = offloads, .vhost = vhost,
	};
	if (vhost) {
		f->fake.be.call_fd[0] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		f->fake.be.call_fd[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CU_ASSERT_FATAL(f->fake.be.call_fd[0] >= 0 &&
				f->fake.be.call_fd[1] >= 0);
	} else {
		f->fake.be.rx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		CU_ASSERT_FATAL(f->fake.be.rx_fd >= 0);
	}
	pthread_mutex_init(&f->fake.lock, NULL);
	CU_ASSERT_EQUAL_FATAL(virtio_net_new(&f->fake.be, test_mac, &f->dev),
			      0);
	CU_ASSERT_EQUAL(f->dev->id, VIRTIO_ID_NET);
	tr_mem_init(&f->mem);
	tr_init(&f->rx, &f->mem, QSIZE, TR_RING0);
	tr_init(&f->tx, &f->mem, QSIZE, TR_RING1);
	tr_irq_init(&f->irq);
	f->vm = tr_transport(f->dev, &f->mem, &f->irq.line,
				MEMMAP_VIRTIO_BASE, MEMMAP_SPI_VIRTIO_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vm);
	if (!driver_ok)
		return f;
	CU_ASSERT_TRUE(tr_negotiate(f->vm, features) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(f->vm, VIRTIO_NET_Q_RX, &f->rx);
	tr_setup_queue(f->vm, VIRTIO_NET_Q_TX, &f->tx);
	tr_driver_ok(f->vm);
	CU_ASSERT_EQUAL(f->fake.starts, 1);
	return f;
}

static struct net_fixture *fx_new_opts(uint64_t features, bool driver_ok)
{
	return fx_make(0, false, features, driver_ok);
}

static struct net_fixture *fx_new(uint64_t features)
{
	return fx_new_opts(features, true);
}

static void fx_free(struct net_fixture *f)
{
	virtio_mmio_free(f->vm);
	CU_ASSERT_TRUE(f->fake.freed);
	if (f->fake.be.rx_fd >= 0)
		close(f->fake.be.rx_fd);
	for (unsigned int q = 0; q < NET_QUEUES; q++)
		if (f->fake.be.call_fd[q] >= 0)
			close(f->fake.be.call_fd[q]);
	pthread_mutex_destroy(&f->fake.lock);
	tr_mem_free(&f->mem);
	free(f);
}

static uint64_t rx_buf_gpa(unsigned int i)
{
	return RX_AREA + (uint64_t)i * 0x1000;
}

/* Posts n more one-descriptor receive buffers of RXBUF bytes and kicks. */
static void fx_post_rx(struct net_fixture *f, unsigned int n)
{
	while (n--) {
		unsigned int i = f->rx_posted++ % QSIZE;

		memset(tr_host(&f->rx, rx_buf_gpa(i)), 0xee, RXBUF);
		tr_desc(&f->rx, i, rx_buf_gpa(i), RXBUF, VIRTQ_DESC_F_WRITE, 0);
		tr_avail(&f->rx, (uint16_t)i);
	}
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_RX);
}

static struct virtio_stats fx_stats(struct net_fixture *f)
{
	struct virtio_stats st;

	virtio_dev_stats(f->dev, &st);
	return st;
}

/* Waits up to 5 s for the device's error count to reach n. */
static int fx_wait_errors(struct net_fixture *f, uint64_t n)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (fx_stats(f).errors >= n)
			return 1;
		usleep(1000);
	}
	return 0;
}

static int fx_wait_needs_reset(struct net_fixture *f)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (tr_r32(f->vm, VIRTIO_MMIO_STATUS) &
		    VIRTIO_STATUS_NEEDS_RESET)
			return 1;
		usleep(1000);
	}
	return 0;
}

/* Waits up to 5 s for an interrupt: it follows the used entries. */
static int fx_wait_irq(struct net_fixture *f)
{
	int i;

	for (i = 0; i < 5000; i++) {
		if (tr_irq_count(&f->irq))
			return 1;
		usleep(1000);
	}
	return 0;
}

static bool frame_ok(const uint8_t *p, size_t len, uint8_t seed, size_t from)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (p[i] != (uint8_t)(seed + from + i))
			return false;
	return true;
}

/* --- Config space and features --- */

static uint64_t cfg_read(struct virtio_mmio *vm, unsigned int off,
			 unsigned int len)
{
	uint8_t b[8];

	virtio_mmio_ops.read(vm, VIRTIO_MMIO_CONFIG + off, b, len);
	return le_read_sized(b, len);
}

static void test_net_config(void)
{
	struct net_fixture *f = fx_new_opts(0, false);
	unsigned int i;
	uint32_t feat;

	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_NET);
	for (i = 0; i < NET_MAC_LEN; i++)
		CU_ASSERT_EQUAL(cfg_read(f->vm, VIRTIO_NET_CFG_MAC + i, 1),
				test_mac[i]);
	CU_ASSERT_EQUAL(cfg_read(f->vm, VIRTIO_NET_CFG_STATUS, 2),
			VIRTIO_NET_S_LINK_UP);
	CU_ASSERT_EQUAL(cfg_read(f->vm, VIRTIO_NET_CFG_STATUS, 1),
			VIRTIO_NET_S_LINK_UP);
	CU_ASSERT_EQUAL(cfg_read(f->vm, VIRTIO_NET_CFG_STATUS + 1, 1), 0);
	/* mac[4], mac[5], then status: little-endian as one word. */
	CU_ASSERT_EQUAL(cfg_read(f->vm, 4, 4),
			0xcd | 0xef << 8 |
			(uint32_t)VIRTIO_NET_S_LINK_UP << 16);
	CU_ASSERT_EQUAL(cfg_read(f->vm, 0, 4), 0xab005452);
	CU_ASSERT_EQUAL(cfg_read(f->vm, VIRTIO_NET_CFG_MAX_PAIRS, 2), 1);

	tr_w32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	feat = tr_r32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES);
	CU_ASSERT_TRUE(feat & VIRTIO_BIT(VIRTIO_NET_F_MAC));
	CU_ASSERT_TRUE(feat & VIRTIO_BIT(VIRTIO_NET_F_STATUS));
	CU_ASSERT_TRUE(feat & VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF));
	/* The fake does no offloads, so none are offered. */
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_CSUM));
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_CTRL_VQ));
	fx_free(f);
}

/* --- Offloads and vhost: what the backend learns at start() --- */

#define F_OFFLOADS	(VIRTIO_BIT(VIRTIO_NET_F_CSUM) |		\
			 VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |		\
			 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4) |		\
			 VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO6) |		\
			 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4) |		\
			 VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6))

static uint64_t device_features(struct virtio_mmio *vm)
{
	uint64_t feat;

	tr_w32(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	feat = tr_r32(vm, VIRTIO_MMIO_DEVICE_FEATURES);
	tr_w32(vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	return feat | (uint64_t)tr_r32(vm, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
}

static void fx_restart(struct net_fixture *f, uint64_t features)
{
	CU_ASSERT_TRUE(tr_negotiate(f->vm, features) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_init(&f->rx, &f->mem, QSIZE, TR_RING0);
	tr_init(&f->tx, &f->mem, QSIZE, TR_RING1);
	tr_setup_queue(f->vm, VIRTIO_NET_Q_RX, &f->rx);
	tr_setup_queue(f->vm, VIRTIO_NET_Q_TX, &f->tx);
	tr_driver_ok(f->vm);
}

/* The backend's offload flags and the driver's feature bits, both ways. */
static void test_net_offloads(void)
{
	const unsigned int all = NET_OFFLOAD_TX_CSUM | NET_OFFLOAD_TX_TSO4 |
				 NET_OFFLOAD_TX_TSO6 | NET_OFFLOAD_RX_CSUM |
				 NET_OFFLOAD_RX_TSO4 | NET_OFFLOAD_RX_TSO6;
	struct net_fixture *f = fx_make(all, false, 0, false);
	uint64_t feat = device_features(f->vm);

	CU_ASSERT_EQUAL(feat & F_OFFLOADS, F_OFFLOADS);
	/* The driver takes some: the backend learns exactly those. */
	fx_restart(f, F_BASE | VIRTIO_BIT(VIRTIO_NET_F_CSUM) |
		   VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM) |
		   VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6));
	CU_ASSERT_EQUAL(f->fake.starts, 1);
	CU_ASSERT_EQUAL(f->fake.started.offloads, NET_OFFLOAD_TX_CSUM |
			NET_OFFLOAD_RX_CSUM | NET_OFFLOAD_RX_TSO6);
	/* Without vhost the backend is told nothing of the rings. */
	CU_ASSERT_PTR_NULL(f->fake.started.mem);
	CU_ASSERT_EQUAL(f->fake.started.ring[NET_QUEUE_RX].num, 0);
	CU_ASSERT_PTR_NULL(f->fake.started.ring[NET_QUEUE_TX].desc);
	/* After a reset, a driver that takes none: none. */
	fx_restart(f, F_BASE | F_MRG);
	CU_ASSERT_EQUAL(f->fake.starts, 2);
	CU_ASSERT_EQUAL(f->fake.started.offloads, 0);
	fx_free(f);

	/* A TSO offload without its checksum offload is not offered. */
	f = fx_make(NET_OFFLOAD_TX_TSO4 | NET_OFFLOAD_TX_TSO6 |
		    NET_OFFLOAD_RX_TSO4 | NET_OFFLOAD_RX_TSO6, false, 0, false);
	CU_ASSERT_EQUAL(device_features(f->vm) & F_OFFLOADS, 0);
	fx_free(f);
	f = fx_make(NET_OFFLOAD_TX_TSO4 | NET_OFFLOAD_RX_CSUM |
		    NET_OFFLOAD_RX_TSO4, false, 0, false);
	feat = device_features(f->vm);
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_CSUM));
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_HOST_TSO4));
	CU_ASSERT_TRUE(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_CSUM));
	CU_ASSERT_TRUE(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO4));
	CU_ASSERT_FALSE(feat & VIRTIO_BIT(VIRTIO_NET_F_GUEST_TSO6));
	fx_free(f);
}

/*
 * vhost: the backend gets the rings as data, kicks go to it, and the
 * device interrupts for what the kernel (here the test) used.
 */
static void test_net_vhost(void)
{
	const uint64_t feat = F_BASE | F_MRG |
			      VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX) |
			      VIRTIO_BIT(VIRTIO_RING_F_INDIRECT_DESC);
	struct net_fixture *f = fx_make(0, true, feat, true);
	const struct net_start *st = &f->fake.started;
	struct test_ring *ring[NET_QUEUES] = { &f->rx, &f->tx };
	uint64_t one = 1;
	unsigned int q;

	CU_ASSERT_PTR_EQUAL(st->mem, &f->mem);
	for (q = 0; q < NET_QUEUES; q++) {
		CU_ASSERT_PTR_EQUAL(st->ring[q].desc,
				    tr_host(ring[q], ring[q]->desc));
		CU_ASSERT_PTR_EQUAL(st->ring[q].avail,
				    tr_host(ring[q], ring[q]->avail));
		CU_ASSERT_PTR_EQUAL(st->ring[q].used,
				    tr_host(ring[q], ring[q]->used));
		CU_ASSERT_EQUAL(st->ring[q].num, QSIZE);
		CU_ASSERT_EQUAL(st->ring[q].next_avail, 0);
	}
	CU_ASSERT_TRUE(st->mrg_rxbuf);
	CU_ASSERT_TRUE(st->event_idx);
	CU_ASSERT_TRUE(st->indirect);
	CU_ASSERT_EQUAL(st->offloads, 0);

	/* Kicks are the kernel's business: relayed, the rings untouched. */
	fx_post_rx(f, 2);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	for (int i = 0; i < 5000; i++) {
		if (__atomic_load_n(&f->fake.kicks[NET_QUEUE_RX],
				    __ATOMIC_SEQ_CST) &&
		    __atomic_load_n(&f->fake.kicks[NET_QUEUE_TX],
				    __ATOMIC_SEQ_CST))
			break;
		usleep(1000);
	}
	CU_ASSERT_TRUE(f->fake.kicks[NET_QUEUE_RX] >= 1);
	CU_ASSERT_TRUE(f->fake.kicks[NET_QUEUE_TX] >= 1);
	CU_ASSERT_EQUAL(tr_used_idx(&f->rx), 0);
	CU_ASSERT_EQUAL(tr_irq_count(&f->irq), 0);

	/* The kernel used a receive buffer and calls: an interrupt. */
	tr_used_push(&f->rx, 0, 0, NET_HDR_LEN + 60);
	CU_ASSERT_EQUAL(write(f->fake.be.call_fd[NET_QUEUE_RX], &one,
			      sizeof(one)), sizeof(one));
	CU_ASSERT_TRUE(tr_wait_irq(&f->irq, 1));
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			VIRTIO_MMIO_INT_VRING);
	tr_w32(f->vm, VIRTIO_MMIO_INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
	/*
	 * Another past used_event: only a device that took used->idx from
	 * the ring sees that the driver's event was crossed.
	 */
	tr_set_used_event(&f->rx, 1);
	tr_used_push(&f->rx, 1, 1, NET_HDR_LEN + 60);
	CU_ASSERT_EQUAL(write(f->fake.be.call_fd[NET_QUEUE_RX], &one,
			      sizeof(one)), sizeof(one));
	CU_ASSERT_TRUE(tr_wait_irq(&f->irq, 2));
	fx_free(f);
}

/* --- Transmit --- */

static void test_net_tx(void)
{
	struct net_fixture *f = fx_new(F_BASE | F_MRG);
	uint8_t *hdr = tr_host(&f->tx, TX_AREA);
	uint8_t *frame = tr_host(&f->tx, TX_AREA + 0x100);
	unsigned int i;

	/* A TSO header, every field distinct, then a 60-byte frame. */
	hdr[0] = NET_HDR_F_NEEDS_CSUM;
	hdr[1] = NET_HDR_GSO_TCPV4;
	le16_write(hdr + 2, 54);
	le16_write(hdr + 4, 1448);
	le16_write(hdr + 6, 0x0122);
	le16_write(hdr + 8, 16);
	le16_write(hdr + 10, 0x0203);
	for (i = 0; i < 60; i++)
		frame[i] = (uint8_t)(0x40 + i);
	tr_desc(&f->tx, 0, TX_AREA, NET_HDR_LEN, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->tx, 1, TX_AREA + 0x100, 60, 0, 0);
	tr_avail(&f->tx, 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->tx, 1));
	CU_ASSERT_EQUAL(tr_used_id(&f->tx, 0), 0);
	CU_ASSERT_EQUAL(tr_used_len(&f->tx, 0), 0);
	pthread_mutex_lock(&f->fake.lock);
	CU_ASSERT_EQUAL(f->fake.nsent, 1);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.flags, NET_HDR_F_NEEDS_CSUM);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.gso_type, NET_HDR_GSO_TCPV4);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.hdr_len, 54);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.gso_size, 1448);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.csum_start, 0x0122);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.csum_offset, 16);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.num_buffers, 0x0203);
	CU_ASSERT_EQUAL(f->fake.sent_len, 60);
	CU_ASSERT_TRUE(frame_ok(f->fake.sent, 60, 0x40, 0));
	pthread_mutex_unlock(&f->fake.lock);

	/* Header and frame in one buffer, as Linux usually sends them. */
	memset(hdr, 0, NET_HDR_LEN);
	for (i = 0; i < 100; i++)
		hdr[NET_HDR_LEN + i] = (uint8_t)(0x10 + i);
	tr_desc(&f->tx, 2, TX_AREA, NET_HDR_LEN + 100, 0, 0);
	tr_avail(&f->tx, 2);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->tx, 2));
	pthread_mutex_lock(&f->fake.lock);
	CU_ASSERT_EQUAL(f->fake.nsent, 2);
	CU_ASSERT_EQUAL(f->fake.sent_hdr.gso_type, NET_HDR_GSO_NONE);
	CU_ASSERT_EQUAL(f->fake.sent_len, 100);
	CU_ASSERT_TRUE(frame_ok(f->fake.sent, 100, 0x10, 0));
	pthread_mutex_unlock(&f->fake.lock);
	CU_ASSERT_EQUAL(fx_stats(f).bytes_in, 160);
	CU_ASSERT_EQUAL(fx_stats(f).errors, 0);
	CU_ASSERT_TRUE(tr_irq_count(&f->irq) >= 1);
	fx_free(f);
}

static void test_net_tx_short(void)
{
	struct net_fixture *f = fx_new(F_BASE | F_MRG);
	uint8_t status;

	/* 8 bytes: not even a header. Then 12: a header and no frame. */
	tr_desc(&f->tx, 0, TX_AREA, 8, 0, 0);
	tr_avail(&f->tx, 0);
	tr_desc(&f->tx, 1, TX_AREA, NET_HDR_LEN, 0, 0);
	tr_avail(&f->tx, 1);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->tx, 2));
	CU_ASSERT_EQUAL(tr_used_len(&f->tx, 0), 0);
	CU_ASSERT_EQUAL(fx_stats(f).errors, 2);
	CU_ASSERT_EQUAL(f->fake.nsent, 0);
	/* Only those requests failed: the device goes on. */
	status = (uint8_t)tr_r32(f->vm, VIRTIO_MMIO_STATUS);
	CU_ASSERT_FALSE(status & VIRTIO_STATUS_NEEDS_RESET);
	tr_desc(&f->tx, 2, TX_AREA, NET_HDR_LEN + 20, 0, 0);
	tr_avail(&f->tx, 2);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->tx, 3));
	CU_ASSERT_EQUAL(f->fake.nsent, 1);
	fx_free(f);
}

/* --- Receive --- */

static void check_rx_hdr(const uint8_t *b, uint8_t flags, uint16_t nbufs)
{
	CU_ASSERT_EQUAL(b[0], flags);
	CU_ASSERT_EQUAL(b[1], NET_HDR_GSO_NONE);
	/* num_buffers, little-endian at offset 10. */
	CU_ASSERT_EQUAL(b[10], (uint8_t)nbufs);
	CU_ASSERT_EQUAL(b[11], (uint8_t)(nbufs >> 8));
}

static void test_net_rx(void)
{
	struct net_fixture *f = fx_new(F_BASE | F_MRG);
	struct net_hdr h = { .flags = NET_HDR_F_DATA_VALID };
	const uint8_t *b0 = tr_host(&f->rx, rx_buf_gpa(0));
	const size_t big = 3000;
	unsigned int i;

	fx_post_rx(f, 6);
	fake_push(&f->fake, &h, 100, 0x30);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->rx, 1));
	CU_ASSERT_EQUAL(tr_used_id(&f->rx, 0), 0);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 0), NET_HDR_LEN + 100);
	check_rx_hdr(b0, NET_HDR_F_DATA_VALID, 1);
	CU_ASSERT_TRUE(frame_ok(b0 + NET_HDR_LEN, 100, 0x30, 0));
	/* Nothing written past the frame. */
	CU_ASSERT_EQUAL(b0[NET_HDR_LEN + 100], 0xee);

	/* 12 + 3000 bytes over 1024-byte buffers: three of them. */
	h.flags = 0;
	fake_push(&f->fake, &h, big, 0x55);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->rx, 4));
	for (i = 0; i < 3; i++)
		CU_ASSERT_EQUAL(tr_used_id(&f->rx, 1 + i), 1 + i);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 1), RXBUF);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 2), RXBUF);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 3), NET_HDR_LEN + big - 2 * RXBUF);
	check_rx_hdr(tr_host(&f->rx, rx_buf_gpa(1)), 0, 3);
	CU_ASSERT_TRUE(frame_ok(tr_host(&f->rx, rx_buf_gpa(1)) + NET_HDR_LEN,
				RXBUF - NET_HDR_LEN, 0x55, 0));
	CU_ASSERT_TRUE(frame_ok(tr_host(&f->rx, rx_buf_gpa(2)), RXBUF, 0x55,
				RXBUF - NET_HDR_LEN));
	CU_ASSERT_TRUE(frame_ok(tr_host(&f->rx, rx_buf_gpa(3)),
				NET_HDR_LEN + big - 2 * RXBUF, 0x55,
				2 * RXBUF - NET_HDR_LEN));
	CU_ASSERT_EQUAL(fx_stats(f).bytes_out, 100 + big);
	CU_ASSERT_TRUE(fx_wait_irq(f));
	fx_free(f);
}

/* Waits up to 5 s for the device to write v into rx's avail_event. */
static int fx_wait_avail_event(struct net_fixture *f, uint16_t v)
{
	uint16_t *word = (uint16_t *)(void *)(tr_host(&f->rx, f->rx.used) +
					      4 + 8 * QSIZE);
	uint16_t raw;
	int i;

	for (i = 0; i < 5000; i++) {
		raw = __atomic_load_n(word, __ATOMIC_ACQUIRE);
		if (le16_read(&raw) == v)
			return 1;
		usleep(1000);
	}
	return 0;
}

static void test_net_rx_backpressure(void)
{
	/* With event indexes the device says how far it looked for buffers. */
	struct net_fixture *f = fx_new(F_BASE | F_MRG |
				       VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	uint8_t *avail_event = tr_host(&f->rx, f->rx.used) + 4 + 8 * QSIZE;
	struct net_hdr h = { 0 };

	/* Two buffers posted, a frame that needs three: it waits. */
	fx_post_rx(f, 2);
	fake_push(&f->fake, &h, 2500, 0x11);
	fake_push(&f->fake, &h, 64, 0x22);
	/*
	 * No sleep: the device has the frame and found no third buffer when
	 * it asks to be kicked for avail entry 2. To know it is done with
	 * that frame, overwrite the word and kick: the rx worker serves the
	 * kick, and writes 2 again, only after it has finished.
	 */
	CU_ASSERT_TRUE_FATAL(fx_wait_avail_event(f, 2));
	le16_write(avail_event, 0xffff);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_RX);
	CU_ASSERT_TRUE_FATAL(fx_wait_avail_event(f, 2));
	CU_ASSERT_EQUAL(tr_used_idx(&f->rx), 0);
	CU_ASSERT_EQUAL(fx_stats(f).errors, 0);
	/* The frame behind it stays with the backend meanwhile. */
	CU_ASSERT_EQUAL(fake_pending(&f->fake), 1);

	/* One more buffer and a kick: both frames arrive, in order. */
	fx_post_rx(f, 2);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->rx, 4));
	check_rx_hdr(tr_host(&f->rx, rx_buf_gpa(0)), 0, 3);
	check_rx_hdr(tr_host(&f->rx, rx_buf_gpa(3)), 0, 1);
	CU_ASSERT_TRUE(frame_ok(tr_host(&f->rx, rx_buf_gpa(3)) + NET_HDR_LEN,
				64, 0x22, 0));
	CU_ASSERT_EQUAL(fake_pending(&f->fake), 0);
	fx_free(f);
}

static void test_net_rx_no_mrg(void)
{
	struct net_fixture *f = fx_new(F_BASE);
	struct net_hdr h = { 0 };

	/* Without MRG_RXBUF a frame must fit one buffer, or is dropped. */
	fx_post_rx(f, 2);
	fake_push(&f->fake, &h, 2000, 0x01);
	fake_push(&f->fake, &h, 500, 0x02);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->rx, 1));
	CU_ASSERT_TRUE(fx_wait_errors(f, 1));
	CU_ASSERT_EQUAL(tr_used_id(&f->rx, 0), 0);
	CU_ASSERT_EQUAL(tr_used_len(&f->rx, 0), NET_HDR_LEN + 500);
	/* num_buffers is 1 whenever MRG_RXBUF is off (5.1.6.4). */
	check_rx_hdr(tr_host(&f->rx, rx_buf_gpa(0)), 0, 1);
	CU_ASSERT_TRUE(frame_ok(tr_host(&f->rx, rx_buf_gpa(0)) + NET_HDR_LEN,
				500, 0x02, 0));
	fx_free(f);
}

static void test_net_rx_tiny_buffer(void)
{
	struct net_fixture *f = fx_new(F_BASE | F_MRG);
	struct net_hdr h = { 0 };

	/* A 4-byte receive buffer breaks the rules: the queue, not armz. */
	tr_desc(&f->rx, 0, rx_buf_gpa(0), 4, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->rx, 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_RX);
	fake_push(&f->fake, &h, 60, 0);
	CU_ASSERT_TRUE(fx_wait_errors(f, 1));
	CU_ASSERT_TRUE(fx_wait_needs_reset(f));
	CU_ASSERT_EQUAL(tr_used_idx(&f->rx), 0);
	fx_free(f);
}

static void test_net_reset(void)
{
	struct net_fixture *f = fx_new(F_BASE | F_MRG);

	tr_w32(f->vm, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(f->fake.stops, 1);
	CU_ASSERT_TRUE(tr_negotiate(f->vm, F_BASE) & VIRTIO_STATUS_FEATURES_OK);
	tr_init(&f->rx, &f->mem, QSIZE, TR_RING0);
	tr_setup_queue(f->vm, VIRTIO_NET_Q_RX, &f->rx);
	tr_driver_ok(f->vm);
	CU_ASSERT_EQUAL(f->fake.starts, 2);
	fx_free(f);
}

/* --- A real tap, in a network namespace of our own --- */

#define TAP_NAME	"armztest0"
#define TAP_ETHERTYPE	0x88b5		/* IEEE local experimental */
#define TAP_SKIP	77

/* Brings the tap up and opens a packet socket on it; -1 on failure. */
static int tap_peer_open(void)
{
	struct ifreq ifr = { .ifr_name = TAP_NAME };
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), p;

	if (s < 0 || ioctl(s, SIOCGIFFLAGS, &ifr) < 0)
		return -1;
	ifr.ifr_flags |= IFF_UP;
	if (ioctl(s, SIOCSIFFLAGS, &ifr) < 0)
		return -1;
	close(s);
	p = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(TAP_ETHERTYPE));
	sll.sll_protocol = htons(TAP_ETHERTYPE);
	sll.sll_ifindex = (int)if_nametoindex(TAP_NAME);
	if (p < 0 || !sll.sll_ifindex ||
	    bind(p, (struct sockaddr *)&sll, sizeof(sll)) < 0)
		return -1;
	return p;
}

static void tap_frame(uint8_t *f, const uint8_t *dst, size_t len,
		      uint8_t seed)
{
	static const uint8_t src[6] = { 0x02, 0, 0, 0, 0, 0x99 };
	size_t i;

	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	f[12] = TAP_ETHERTYPE >> 8;
	f[13] = TAP_ETHERTYPE & 0xff;
	for (i = 14; i < len; i++)
		f[i] = (uint8_t)(seed + i);
}

/* The used receive entry holding our frame (the kernel sends its own). */
static int tap_find_rx(struct test_ring *rx, uint8_t seed, size_t len)
{
	int i, k;

	for (k = 0; k < 5000; k++) {
		for (i = 0; i < tr_used_idx(rx); i++) {
			const uint8_t *b = tr_host(rx, rx_buf_gpa(i));

			if (tr_used_len(rx, i) == NET_HDR_LEN + len &&
			    !memcmp(b + NET_HDR_LEN + 12, "\x88\xb5", 2) &&
			    b[NET_HDR_LEN + 14] == (uint8_t)(seed + 14) &&
			    le16_read(b + 10) == 1)
				return 0;
		}
		usleep(1000);
	}
	return 1;
}

/*
 * The child: every failure is an exit status, CUnit stays in the parent.
 * TAP_SKIP only when the host cannot give us a tap (no network namespace,
 * no /dev/net/tun, no CAP_NET_ADMIN), with the reason written to why;
 * anything else that goes wrong is a failing step.
 */
static int tap_child(int why)
{
	struct net_config cfg;
	struct net_backend *be;
	struct virtio_device *dev;
	struct virtio_mmio *vm;
	struct guest_mem mem;
	struct test_ring rx, tx;
	struct pollfd pfd;
	uint8_t f[256], *b;
	int peer, i, r;

	if (unshare(CLONE_NEWNET) < 0) {
		r = errno;
		dprintf(why, "cannot unshare a network namespace: %s",
			strerror(r));
		return r == EPERM || r == EINVAL || r == ENOSYS ? TAP_SKIP : 7;
	}
	if (net_parse("tap,ifname=" TAP_NAME, &cfg)) {
		dprintf(why, "%s", err_msg());
		return 1;
	}
	r = net_backend_new(&cfg, -1, -1, &be);
	if (r) {
		dprintf(why, "%s", err_msg());
		return r == -ENOENT || r == -ENODEV || r == -EPERM ||
		       r == -EACCES ? TAP_SKIP : 8;
	}
	if (virtio_net_new(be, cfg.mac, &dev))
		return 9;
	peer = tap_peer_open();
	if (peer < 0)
		return 2;
	tr_mem_init(&mem);
	tr_init(&rx, &mem, QSIZE, TR_RING0);
	tr_init(&tx, &mem, QSIZE, TR_RING1);
	vm = tr_transport(dev, &mem, NULL, MEMMAP_VIRTIO_BASE,
			     MEMMAP_SPI_VIRTIO_BASE);
	if (!vm || !(tr_negotiate(vm, F_BASE | F_MRG) &
		     VIRTIO_STATUS_FEATURES_OK))
		return 3;
	tr_setup_queue(vm, VIRTIO_NET_Q_RX, &rx);
	tr_setup_queue(vm, VIRTIO_NET_Q_TX, &tx);
	tr_driver_ok(vm);
	for (i = 0; i < QSIZE; i++) {
		tr_desc(&rx, i, rx_buf_gpa(i), RXBUF, VIRTQ_DESC_F_WRITE, 0);
		tr_avail(&rx, (uint16_t)i);
	}
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_RX);

	/* Host to guest. */
	tap_frame(f, cfg.mac, 200, 0x10);
	if (send(peer, f, 200, 0) != 200)
		return 4;
	if (tap_find_rx(&rx, 0x10, 200))
		return 5;

	/* Guest to host: header and frame in one buffer. */
	b = tr_host(&tx, TX_AREA);
	memset(b, 0, NET_HDR_LEN);
	tap_frame(b + NET_HDR_LEN, (const uint8_t *)"\xff\xff\xff\xff\xff\xff",
		  150, 0x60);
	tr_desc(&tx, 0, TX_AREA, NET_HDR_LEN + 150, 0, 0);
	tr_avail(&tx, 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	pfd = (struct pollfd){ .fd = peer, .events = POLLIN };
	if (poll(&pfd, 1, 5000) != 1 || recv(peer, f, sizeof(f), 0) != 150 ||
	    memcmp(f, b + NET_HDR_LEN, 150))
		return 6;
	virtio_mmio_free(vm);
	tr_mem_free(&mem);
	close(peer);
	return 0;
}

static void test_net_tap(void)
{
	char why[512] = "";
	int status = -1, p[2];
	ssize_t n;
	pid_t pid;

	CU_ASSERT_EQUAL_FATAL(pipe(p), 0);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid) {
		close(p[0]);
		_exit(tap_child(p[1]));
	}
	close(p[1]);
	n = read(p[0], why, sizeof(why) - 1);
	why[n > 0 ? n : 0] = '\0';
	close(p[0]);
	CU_ASSERT_EQUAL_FATAL(waitpid(pid, &status, 0), pid);
	CU_ASSERT_TRUE_FATAL(WIFEXITED(status));
	if (WEXITSTATUS(status) == TAP_SKIP) {
		UNIT_ENV_MISSING("no tap here: %s", why);
		return;
	}
	if (WEXITSTATUS(status))
		fprintf(stderr, "\ntap test: step %d failed%s%s\n",
			WEXITSTATUS(status), *why ? ": " : "", why);
	CU_ASSERT_EQUAL(WEXITSTATUS(status), 0);
}

static const CU_TestInfo virtio_net_tests[] = {
	{ "config space and features", test_net_config },
	{ "tx: header decoded, frame sent", test_net_tx },
	{ "tx: short chains fail alone", test_net_tx_short },
	{ "rx: header and merged buffers", test_net_rx },
	{ "rx: waits for buffers", test_net_rx_backpressure },
	{ "rx: one buffer without MRG_RXBUF", test_net_rx_no_mrg },
	{ "rx: buffer smaller than the header", test_net_rx_tiny_buffer },
	{ "reset stops and restarts the backend", test_net_reset },
	{ "offloads: flags to features and back", test_net_offloads },
	{ "vhost: rings as data, kicks and calls relayed", test_net_vhost },
	{ "tap: frames both ways", test_net_tap },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_net, virtio_net_tests)
