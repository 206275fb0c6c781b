// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/net-backend.h>
#include <armz/net-hdr.h>
#include <armz/util.h>
#include <armz/virtio.h>
#include <armz/virtio-net.h>

/*
 * Threads: worker 0 serves the receive queue and the backend's rx_fd,
 * worker 1 the transmit queue, so the two directions never wait for each
 * other. Everything below marked "rx" runs on worker 0 only (or on a vCPU
 * in start()/stop(), while no worker runs).
 */
#define NET_QUEUE_SIZE		256
#define NET_MTU			1500
/* Frames moved per wakeup, so a busy backend cannot starve the kicks. */
#define NET_RX_BATCH		64

struct virtio_net {
	struct virtio_device dev;
	uint8_t config[VIRTIO_NET_CFG_SIZE];
	struct net_backend *be;

	/*
	 * The worker polls epfd, which holds the backend's rx_fd while the
	 * guest has receive buffers: with none left we take rx_fd out rather
	 * than spin on it, and the backend holds or drops what arrives (tap:
	 * the kernel queues, slirp: a bounded queue) until the next rx kick.
	 */
	int epfd;
	bool rx_armed;				/* rx */
	uint8_t *rx_frame;			/* rx: header, then frame */
	size_t rx_len;				/* rx: pending bytes, 0: none */
	struct virtq_chain rx_first, rx_next;	/* rx */
	uint16_t rx_heads[VIRTQ_NUM_MAX];	/* rx */
	uint32_t rx_lens[VIRTQ_NUM_MAX];	/* rx */
};

enum net_rx_result { RX_DONE, RX_NOBUF, RX_DROP, RX_BROKEN };

/* A backend's queue and ring numbers are the device's. */
_Static_assert(NET_QUEUE_RX == VIRTIO_NET_Q_RX &&
	       NET_QUEUE_TX == VIRTIO_NET_Q_TX, "queue numbers");
_Static_assert(VIRTQ_NUM_MAX <= NET_IOV_MAX, "a chain fits send()");

static struct virtio_net *to_net(struct virtio_device *dev)
{
	return container_of(dev, struct virtio_net, dev);
}

/* --- Receive (worker 0) --- */

static void net_rx_arm(struct virtio_net *n, bool on)
{
	struct epoll_event ev = { .events = on ? EPOLLIN : 0 };

	if (n->rx_armed == on || n->be->rx_fd < 0)
		return;
	if (!epoll_ctl(n->epfd, EPOLL_CTL_MOD, n->be->rx_fd, &ev))
		n->rx_armed = on;
}

static bool net_rx_gso_ok(struct virtio_device *dev, uint8_t gso_type)
{
	switch (gso_type & (uint8_t)~NET_HDR_GSO_ECN) {
	case NET_HDR_GSO_NONE:
		return true;
	case NET_HDR_GSO_TCPV4:
		return virtio_dev_has(dev, VIRTIO_NET_F_GUEST_TSO4);
	case NET_HDR_GSO_TCPV6:
		return virtio_dev_has(dev, VIRTIO_NET_F_GUEST_TSO6);
	}
	return false;
}

/*
 * Takes the next frame from the backend into rx_frame, its header
 * re-encoded for the guest. False when the backend has none.
 */
static bool net_rx_fetch(struct virtio_net *n)
{
	struct virtio_device *dev = &n->dev;
	uint8_t *frame = n->rx_frame + NET_HDR_LEN;
	struct net_hdr hdr;
	unsigned int tries;

	for (tries = 0; tries < NET_RX_BATCH; tries++) {
		ssize_t len = n->be->ops->recv(n->be, &hdr, frame,
					       NET_FRAME_MAX);

		if (!len)
			return false;
		if (len < 0 || len > NET_FRAME_MAX) {
			virtio_stat_add(&dev->stats.errors, 1);
			continue;
		}
		/* Offloads the driver refused must not reach it. */
		if (!net_rx_gso_ok(dev, hdr.gso_type)) {
			virtio_stat_add(&dev->stats.errors, 1);
			continue;
		}
		if ((hdr.flags & NET_HDR_F_NEEDS_CSUM) &&
		    !virtio_dev_has(dev, VIRTIO_NET_F_GUEST_CSUM)) {
			if (net_hdr_fill_csum(&hdr, frame, (size_t)len)) {
				virtio_stat_add(&dev->stats.errors, 1);
				continue;
			}
			hdr.flags &= (uint8_t)~NET_HDR_F_NEEDS_CSUM;
		}
		hdr.num_buffers = 0;	/* set once the chains are known */
		net_hdr_encode(n->rx_frame, &hdr);
		n->rx_len = NET_HDR_LEN + (size_t)len;
		return true;
	}
	return false;
}

/*
 * Copies the pending frame into as many receive chains as it needs (one
 * without MRG_RXBUF) and makes them used together, num_buffers in the
 * first one's header.
 */
static enum net_rx_result net_rx_put(struct virtio_net *n, struct virtq *vq)
{
	bool mrg = virtio_dev_has(&n->dev, VIRTIO_NET_F_MRG_RXBUF);
	unsigned int used = 0, i;
	uint8_t nbufs[2];
	size_t off = 0;

	while (off < n->rx_len) {
		struct virtq_chain *c = used ? &n->rx_next : &n->rx_first;
		size_t len;
		int r;

		/* Too big for one buffer, or for the whole ring. */
		if ((used && !mrg) || used == vq->num) {
			virtq_unpop(vq, used);
			return RX_DROP;
		}
		r = virtq_pop(vq, c);
		if (r < 0)
			return RX_BROKEN;
		if (!r) {
			if (virtq_enable_notify(vq))
				continue;
			virtq_unpop(vq, used);
			return RX_NOBUF;
		}
		/* 5.1.6.3.1: every buffer holds at least the header. */
		if (c->write_len < NET_HDR_LEN) {
			err_set(EINVAL, "receive buffer of %llu bytes is smaller than the %u-byte header",
				(unsigned long long)c->write_len, NET_HDR_LEN);
			return RX_BROKEN;
		}
		len = n->rx_len - off;
		if (len > c->write_len)
			len = (size_t)c->write_len;
		virtq_chain_write(c, 0, n->rx_frame + off, len);
		n->rx_heads[used] = c->head;
		n->rx_lens[used] = (uint32_t)len;
		used++;
		off += len;
	}
	le16_write(nbufs, (uint16_t)used);
	virtq_chain_write(&n->rx_first, 10, nbufs, sizeof(nbufs));
	for (i = 0; i < used; i++)
		virtq_fill(vq, i, n->rx_heads[i], n->rx_lens[i]);
	virtq_flush(vq, used);
	virtio_stat_add(&n->dev.stats.requests, used);
	virtio_stat_add(&n->dev.stats.bytes_out, n->rx_len - NET_HDR_LEN);
	return RX_DONE;
}

static void net_rx_flush(struct virtio_net *n)
{
	struct virtio_device *dev = &n->dev;
	struct virtq *vq = virtio_dev_vq(dev, VIRTIO_NET_Q_RX);
	unsigned int i;
	bool done = false;

	for (i = 0; i < NET_RX_BATCH; i++) {
		if (!n->rx_len && !net_rx_fetch(n))
			break;
		if (!vq || vq->broken) {
			/* No usable receive queue: the frame has nowhere to go. */
			n->rx_len = 0;
			continue;
		}
		switch (net_rx_put(n, vq)) {
		case RX_DONE:
			done = true;
			n->rx_len = 0;
			break;
		case RX_DROP:
			virtio_stat_add(&dev->stats.errors, 1);
			n->rx_len = 0;
			break;
		case RX_NOBUF:
			net_rx_arm(n, false);
			goto out;
		case RX_BROKEN:
			n->rx_len = 0;
			net_rx_arm(n, false);
			virtio_dev_fail(dev, VIRTIO_NET_Q_RX);
			goto out;
		}
	}
out:
	if (done)
		virtio_dev_notify(dev, VIRTIO_NET_Q_RX);
}

/* --- Transmit (worker 1) --- */

static int net_tx_handle(struct virtio_device *dev, unsigned int q,
			 const struct virtq_chain *chain, uint32_t *used_len)
{
	struct net_backend *be = to_net(dev)->be;
	struct iovec iov[VIRTQ_NUM_MAX];
	uint8_t raw[NET_HDR_LEN];
	struct net_hdr hdr;
	unsigned int cnt;
	uint64_t len;

	/* A bad frame costs the guest that frame, not the queue. */
	*used_len = 0;
	if (chain->read_len < NET_HDR_LEN + NET_FRAME_MIN ||
	    chain->read_len - NET_HDR_LEN > NET_FRAME_MAX) {
		virtio_stat_add(&dev->stats.errors, 1);
		return 0;
	}
	virtq_chain_read(chain, 0, raw, NET_HDR_LEN);
	net_hdr_decode(&hdr, raw);
	len = chain->read_len - NET_HDR_LEN;
	cnt = virtq_chain_iov(chain, false, NET_HDR_LEN, len, iov,
			      VIRTQ_NUM_MAX);
	if (be->ops->send(be, &hdr, iov, cnt) < 0)
		virtio_stat_add(&dev->stats.errors, 1);
	else
		virtio_stat_add(&dev->stats.bytes_in, len);
	return 0;
}

/* --- vhost: the kernel runs the rings, we relay kicks and interrupts --- */

static void net_vhost_call(struct virtio_net *n, unsigned int q, int fd)
{
	struct virtq *vq = virtio_dev_vq(&n->dev, q);
	uint64_t v;

	if (read(fd, &v, sizeof(v)) != sizeof(v) || !vq)
		return;
	/* The kernel pushed used entries: count them before asking. */
	virtq_sync_used(vq);
	virtio_dev_notify(&n->dev, q);
}

/* --- Offloads: the backend's flags and the driver's feature bits --- */

static const struct {
	unsigned int offload;
	unsigned int feature;
	unsigned int needs;	/* the checksum offload a TSO one needs */
} net_offload_bits[] = {
	{ NET_OFFLOAD_TX_CSUM, VIRTIO_NET_F_CSUM, 0 },
	{ NET_OFFLOAD_TX_TSO4, VIRTIO_NET_F_HOST_TSO4, NET_OFFLOAD_TX_CSUM },
	{ NET_OFFLOAD_TX_TSO6, VIRTIO_NET_F_HOST_TSO6, NET_OFFLOAD_TX_CSUM },
	{ NET_OFFLOAD_RX_CSUM, VIRTIO_NET_F_GUEST_CSUM, 0 },
	{ NET_OFFLOAD_RX_TSO4, VIRTIO_NET_F_GUEST_TSO4, NET_OFFLOAD_RX_CSUM },
	{ NET_OFFLOAD_RX_TSO6, VIRTIO_NET_F_GUEST_TSO6, NET_OFFLOAD_RX_CSUM },
};

/* What to offer: a TSO feature only with its checksum one (5.1.3.1). */
static uint64_t net_offered_features(unsigned int offloads)
{
	uint64_t f = 0;

	for (size_t i = 0; i < ARRAY_SIZE(net_offload_bits); i++)
		if ((offloads & net_offload_bits[i].offload) &&
		    (offloads & net_offload_bits[i].needs) ==
		    net_offload_bits[i].needs)
			f |= VIRTIO_BIT(net_offload_bits[i].feature);
	return f;
}

static unsigned int net_accepted_offloads(const struct virtio_device *dev)
{
	unsigned int off = 0;

	for (size_t i = 0; i < ARRAY_SIZE(net_offload_bits); i++)
		if (virtio_dev_has(dev, net_offload_bits[i].feature))
			off |= net_offload_bits[i].offload;
	return off;
}

/* --- Device callbacks --- */

/* The driver's choices for the backend; a vhost one gets the rings too. */
static void net_start_data(struct virtio_net *n, struct net_start *st)
{
	struct virtio_device *dev = &n->dev;

	memset(st, 0, sizeof(*st));
	st->offloads = net_accepted_offloads(dev);
	if (!n->be->vhost)
		return;
	st->mrg_rxbuf = virtio_dev_has(dev, VIRTIO_NET_F_MRG_RXBUF);
	st->event_idx = virtio_dev_has(dev, VIRTIO_RING_F_EVENT_IDX);
	st->indirect = virtio_dev_has(dev, VIRTIO_RING_F_INDIRECT_DESC);
	for (unsigned int q = 0; q < NET_QUEUES; q++) {
		struct virtq *vq = virtio_dev_vq(dev, q);
		struct virtq_layout l;

		if (!vq)
			continue;
		virtq_get_layout(vq, &l);
		st->mem = l.mem;
		st->ring[q] = (struct net_vring){
			.desc = l.desc, .avail = l.avail, .used = l.used,
			.num = l.num, .next_avail = l.next_avail,
		};
	}
}

static int net_start(struct virtio_device *dev)
{
	struct virtio_net *n = to_net(dev);
	struct net_start st;
	int r;

	n->rx_len = 0;
	if (n->be->ops->start) {
		net_start_data(n, &st);
		r = n->be->ops->start(n->be, &st);
		if (r < 0)
			return r;
	}
	net_rx_arm(n, true);
	return 0;
}

static void net_stop(struct virtio_device *dev)
{
	struct virtio_net *n = to_net(dev);

	net_rx_arm(n, false);
	n->rx_len = 0;
	if (n->be->ops->stop)
		n->be->ops->stop(n->be);
}

static void net_queue_notify(struct virtio_device *dev, unsigned int q)
{
	struct virtio_net *n = to_net(dev);

	if (n->be->vhost) {
		n->be->ops->kick(n->be, q);
		return;
	}
	if (q == VIRTIO_NET_Q_RX) {
		/* New buffers: take the backend back in and catch up. */
		net_rx_arm(n, true);
		net_rx_flush(n);
	} else {
		virtio_dev_process(dev, q, net_tx_handle);
	}
}

static unsigned int net_worker_fds(struct virtio_device *dev, unsigned int w,
				   int *fds)
{
	struct virtio_net *n = to_net(dev);

	if (n->be->vhost) {
		fds[0] = n->be->call_fd[w];
		return fds[0] >= 0;
	}
	if (w != VIRTIO_NET_Q_RX || n->epfd < 0)
		return 0;
	fds[0] = n->epfd;
	return 1;
}

static void net_fd_ready(struct virtio_device *dev, unsigned int w, int fd,
			 short revents)
{
	struct virtio_net *n = to_net(dev);

	if (n->be->vhost)
		net_vhost_call(n, w, fd);
	else if (fd == n->epfd)
		net_rx_flush(n);
}

static void net_free(struct virtio_device *dev)
{
	struct virtio_net *n = to_net(dev);

	if (n->epfd >= 0)
		close(n->epfd);
	net_backend_free(n->be);
	free(n->rx_frame);
	free(n);
}

static const struct virtio_device_ops net_ops = {
	.start = net_start,
	.stop = net_stop,
	.queue_notify = net_queue_notify,
	.worker_fds = net_worker_fds,
	.fd_ready = net_fd_ready,
	.free = net_free,
};

static int net_epoll_init(struct virtio_net *n)
{
	struct epoll_event ev = { .events = 0 };

	if (n->be->rx_fd < 0)
		return 0;
	n->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (n->epfd < 0)
		return err_set(errno, "virtio-net: epoll: %s", strerror(errno));
	/* Disarmed until the driver is ready for frames. */
	if (epoll_ctl(n->epfd, EPOLL_CTL_ADD, n->be->rx_fd, &ev))
		return err_set(errno, "virtio-net: epoll: %s", strerror(errno));
	return 0;
}

int virtio_net_new(struct net_backend *be, const uint8_t mac[NET_MAC_LEN],
		   struct virtio_device **out)
{
	struct virtio_net *n;
	int r;

	*out = NULL;
	if (!be)
		return err_set(EINVAL, "virtio-net: no backend");
	n = calloc(1, sizeof(*n));
	if (n)
		n->rx_frame = malloc(NET_HDR_LEN + NET_FRAME_MAX);
	if (!n || !n->rx_frame) {
		free(n);
		net_backend_free(be);
		return err_set(ENOMEM, "virtio-net: out of memory");
	}
	n->be = be;
	n->epfd = -1;
	memcpy(n->config + VIRTIO_NET_CFG_MAC, mac, NET_MAC_LEN);
	le16_write(n->config + VIRTIO_NET_CFG_STATUS, VIRTIO_NET_S_LINK_UP);
	le16_write(n->config + VIRTIO_NET_CFG_MAX_PAIRS, 1);
	le16_write(n->config + VIRTIO_NET_CFG_MTU, NET_MTU);
	n->dev = (struct virtio_device){
		.ops = &net_ops,
		.name = "virtio-net",
		.id = VIRTIO_ID_NET,
		.features = VIRTIO_BIT(VIRTIO_NET_F_MAC) |
			    VIRTIO_BIT(VIRTIO_NET_F_STATUS) |
			    VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF) |
			    net_offered_features(be->offloads),
		.num_queues = NET_QUEUES,
		.queue_size = NET_QUEUE_SIZE,
		.nr_workers = NET_QUEUES,
		.worker_role = THREAD_NET,
		.config = n->config,
		.config_size = VIRTIO_NET_CFG_SIZE,
	};
	r = net_epoll_init(n);
	if (r) {
		net_free(&n->dev);
		return r;
	}
	*out = &n->dev;
	return 0;
}
