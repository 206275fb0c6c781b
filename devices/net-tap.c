// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <linux/virtio_config.h>
#include <linux/virtio_net.h>
#include <linux/virtio_ring.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/uio.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/guest-mem.h>
#include <armz/net-backend.h>

#include "net-backends.h"

/*
 * A tap device with IFF_VNET_HDR: every frame read or written carries
 * the 12-byte virtio-net header, so checksum and segmentation offloads
 * pass straight between guest and host kernel.
 *
 * Byte order of that header: the kernel reads it little-endian on LE
 * hosts, and on big-endian hosts once TUNSETVNETLE (Linux 4.2) is set.
 * Where that ioctl is missing the kernel wants host order, so we convert
 * to and from host order ourselves and plain tap still works; vhost=on
 * does not, since the kernel then reads the guest's LE header directly.
 */
#define TAP_OFFLOAD_ALL		(TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6)
#define TAP_NET_OFFLOADS						\
	(NET_OFFLOAD_TX_CSUM | NET_OFFLOAD_TX_TSO4 | NET_OFFLOAD_TX_TSO6 | \
	 NET_OFFLOAD_RX_CSUM | NET_OFFLOAD_RX_TSO4 | NET_OFFLOAD_RX_TSO6)

struct net_tap {
	struct net_backend be;
	int fd;
	char ifname[IFNAMSIZ];
	bool hdr_le;		/* the kernel's header is little-endian */
	/* vhost=on */
	int vhost_fd;
	bool vhost_lent;	/* a dup of the caller's: give it back */
	uint64_t vhost_features;
	int kick_fd[NET_QUEUES];
	bool vhost_running;
};

static struct net_tap *to_tap(struct net_backend *be)
{
	return (struct net_tap *)be;
}

static void tap_hdr_encode(const struct net_tap *t, uint8_t *raw,
			   const struct net_hdr *h)
{
	uint16_t v[5] = { h->hdr_len, h->gso_size, h->csum_start,
			  h->csum_offset, h->num_buffers };

	if (t->hdr_le) {
		net_hdr_encode(raw, h);
		return;
	}
	raw[0] = h->flags;
	raw[1] = h->gso_type;
	memcpy(raw + 2, v, sizeof(v));
}

static void tap_hdr_decode(const struct net_tap *t, struct net_hdr *h,
			   const uint8_t *raw)
{
	uint16_t v[5];

	if (t->hdr_le) {
		net_hdr_decode(h, raw);
		return;
	}
	memcpy(v, raw + 2, sizeof(v));
	*h = (struct net_hdr){
		.flags = raw[0], .gso_type = raw[1], .hdr_len = v[0],
		.gso_size = v[1], .csum_start = v[2], .csum_offset = v[3],
		.num_buffers = v[4],
	};
}

static int tap_send(struct net_backend *be, const struct net_hdr *hdr,
		    const struct iovec *iov, unsigned int iovcnt)
{
	struct net_tap *t = to_tap(be);
	struct iovec v[1 + NET_IOV_MAX];
	uint8_t raw[NET_HDR_LEN];
	struct net_hdr h = *hdr;
	ssize_t n;

	if (iovcnt > NET_IOV_MAX)
		return -EINVAL;
	h.num_buffers = 0;
	tap_hdr_encode(t, raw, &h);
	v[0] = (struct iovec){ .iov_base = raw, .iov_len = NET_HDR_LEN };
	memcpy(v + 1, iov, iovcnt * sizeof(*iov));
	/*
	 * The kernel checks the header (a bogus csum_start or gso_size is
	 * -EINVAL) and drops what it cannot queue: the frame is lost, as on
	 * a wire.
	 */
	do
		n = writev(t->fd, v, (int)iovcnt + 1);
	while (n < 0 && errno == EINTR);
	return n < 0 ? -errno : 0;
}

static ssize_t tap_recv(struct net_backend *be, struct net_hdr *hdr,
			void *buf, size_t len)
{
	struct net_tap *t = to_tap(be);
	uint8_t raw[NET_HDR_LEN];
	struct iovec v[2] = {
		{ .iov_base = raw, .iov_len = NET_HDR_LEN },
		{ .iov_base = buf, .iov_len = len },
	};
	ssize_t n;

	do
		n = readv(t->fd, v, 2);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return errno == EAGAIN ? 0 : -errno;
	if (n <= NET_HDR_LEN)
		return -EIO;
	tap_hdr_decode(t, hdr, raw);
	return n - NET_HDR_LEN;
}

/* --- vhost-net --- */

static int tap_vhost_ioctl(struct net_tap *t, unsigned long req, void *arg,
			   const char *what)
{
	if (ioctl(t->vhost_fd, req, arg) < 0)
		return err_set(errno, "vhost-net: %s: %s", what,
			       strerror(errno));
	return 0;
}

static int tap_vhost_ring(struct net_tap *t, unsigned int q,
			  const struct net_vring *ring)
{
	struct vhost_vring_state num = { .index = q, .num = ring->num };
	struct vhost_vring_state base = { .index = q, .num = ring->next_avail };
	struct vhost_vring_addr addr = {
		.index = q,
		.desc_user_addr = (uintptr_t)ring->desc,
		.avail_user_addr = (uintptr_t)ring->avail,
		.used_user_addr = (uintptr_t)ring->used,
	};
	struct vhost_vring_file kick = { .index = q, .fd = t->kick_fd[q] };
	struct vhost_vring_file call = { .index = q, .fd = t->be.call_fd[q] };
	struct vhost_vring_file backend = { .index = q, .fd = t->fd };

	return tap_vhost_ioctl(t, VHOST_SET_VRING_NUM, &num, "ring size") ?:
	       tap_vhost_ioctl(t, VHOST_SET_VRING_BASE, &base, "ring base") ?:
	       tap_vhost_ioctl(t, VHOST_SET_VRING_ADDR, &addr, "ring address") ?:
	       tap_vhost_ioctl(t, VHOST_SET_VRING_KICK, &kick, "kick fd") ?:
	       tap_vhost_ioctl(t, VHOST_SET_VRING_CALL, &call, "call fd") ?:
	       tap_vhost_ioctl(t, VHOST_NET_SET_BACKEND, &backend, "backend");
}

static int tap_vhost_mem(struct net_tap *t, const struct guest_mem *mem)
{
	/* struct vhost_memory ends in a flexible array: one region here. */
	union {
		struct vhost_memory hdr;
		uint8_t bytes[sizeof(struct vhost_memory) +
			      sizeof(struct vhost_memory_region)];
	} table;
	struct vhost_memory_region region = {
		.guest_phys_addr = mem->gpa,
		.memory_size = mem->size,
		.userspace_addr = (uintptr_t)mem->host,
	};

	memset(&table, 0, sizeof(table));
	table.hdr.nregions = 1;
	memcpy(table.bytes + sizeof(struct vhost_memory), &region,
	       sizeof(region));
	return tap_vhost_ioctl(t, VHOST_SET_MEM_TABLE, &table, "memory table");
}

static void tap_vhost_stop(struct net_tap *t)
{
	unsigned int q;

	if (!t->vhost_running)
		return;
	for (q = 0; q < NET_QUEUES; q++) {
		struct vhost_vring_file backend = { .index = q, .fd = -1 };
		struct vhost_vring_state base = { .index = q };

		ioctl(t->vhost_fd, VHOST_NET_SET_BACKEND, &backend);
		ioctl(t->vhost_fd, VHOST_GET_VRING_BASE, &base);
	}
	t->vhost_running = false;
}

/*
 * VHOST_SET_FEATURES speaks virtio feature bits: the kernel's ABI, in the
 * kernel's own names. The header and ring rules the driver chose, and
 * virtio 1.0 (the only version armz offers), as far as vhost knows them.
 */
static uint64_t tap_vhost_features(const struct net_tap *t,
				   const struct net_start *st)
{
	uint64_t f = 1ULL << VIRTIO_F_VERSION_1;

	if (st->mrg_rxbuf)
		f |= 1ULL << VIRTIO_NET_F_MRG_RXBUF;
	if (st->event_idx)
		f |= 1ULL << VIRTIO_RING_F_EVENT_IDX;
	if (st->indirect)
		f |= 1ULL << VIRTIO_RING_F_INDIRECT_DESC;
	return f & t->vhost_features;
}

static int tap_vhost_start(struct net_tap *t, const struct net_start *st)
{
	uint64_t features = tap_vhost_features(t, st);
	uint64_t one = 1, drain;
	unsigned int q;
	int r;

	if (!st->mem || !st->ring[NET_QUEUE_RX].num ||
	    !st->ring[NET_QUEUE_TX].num)
		return err_set(EINVAL, "vhost-net: the driver set up only one queue");
	for (q = 0; q < NET_QUEUES; q++)
		while (read(t->be.call_fd[q], &drain, sizeof(drain)) > 0)
			;
	r = tap_vhost_ioctl(t, VHOST_SET_FEATURES, &features, "features") ?:
	    tap_vhost_mem(t, st->mem);
	t->vhost_running = true;
	for (q = 0; !r && q < NET_QUEUES; q++)
		r = tap_vhost_ring(t, q, &st->ring[q]);
	if (r) {
		tap_vhost_stop(t);
		return r;
	}
	/* Buffers posted before DRIVER_OK: let the kernel look now. */
	for (q = 0; q < NET_QUEUES; q++)
		if (write(t->kick_fd[q], &one, sizeof(one)) < 0)
			break;
	return 0;
}

static void tap_kick(struct net_backend *be, unsigned int q)
{
	struct net_tap *t = to_tap(be);
	uint64_t one = 1;

	/* A full counter is still a pending kick. */
	if (q < NET_QUEUES && write(t->kick_fd[q], &one, sizeof(one)) < 0)
		return;
}

int net_vhost_open(int *fd)
{
	*fd = open("/dev/vhost-net", O_RDWR | O_CLOEXEC);
	if (*fd < 0)
		return err_set(errno, "cannot open /dev/vhost-net: %s (vhost=on needs the vhost_net module)",
			       strerror(errno));
	return 0;
}

/* vhost_fd, when set, is /dev/vhost-net opened earlier: we use a dup. */
static int tap_vhost_open(struct net_tap *t, int vhost_fd)
{
	const uint64_t need = 1ULL << VIRTIO_F_VERSION_1 |
			      1ULL << VIRTIO_NET_F_MRG_RXBUF;
	unsigned int q;
	int r;

	if (!t->hdr_le)
		return err_set(ENOTSUP, "vhost=on needs TUNSETVNETLE on a big-endian host (Linux 4.2); use vhost=off");
	if (vhost_fd >= 0) {
		t->vhost_fd = fcntl(vhost_fd, F_DUPFD_CLOEXEC, 0);
		if (t->vhost_fd < 0)
			return err_set(errno, "vhost-net: dup: %s",
				       strerror(errno));
	} else {
		r = net_vhost_open(&t->vhost_fd);
		if (r)
			return r;
	}
	if (tap_vhost_ioctl(t, VHOST_SET_OWNER, NULL, "set owner"))
		return -EIO;
	/* The next boot's backend will own the same device. */
	t->vhost_lent = vhost_fd >= 0;
	if (tap_vhost_ioctl(t, VHOST_GET_FEATURES, &t->vhost_features,
			    "get features"))
		return -EIO;
	if ((t->vhost_features & need) != need)
		return err_set(ENOTSUP, "vhost-net: the kernel lacks virtio 1.0 or mergeable buffers");
	for (q = 0; q < NET_QUEUES; q++) {
		t->kick_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		t->be.call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->kick_fd[q] < 0 || t->be.call_fd[q] < 0)
			return err_set(errno, "eventfd: %s", strerror(errno));
	}
	t->be.vhost = true;
	t->be.rx_fd = -1;
	return 0;
}

/* --- Backend --- */

/* What the tap may hand us: the receive offloads the driver took. */
static unsigned int tap_offloads(unsigned int accepted)
{
	unsigned int off = 0;

	if (!(accepted & NET_OFFLOAD_RX_CSUM))
		return 0;
	off |= TUN_F_CSUM;
	if (accepted & NET_OFFLOAD_RX_TSO4)
		off |= TUN_F_TSO4;
	if (accepted & NET_OFFLOAD_RX_TSO6)
		off |= TUN_F_TSO6;
	return off;
}

static int tap_start(struct net_backend *be, const struct net_start *st)
{
	struct net_tap *t = to_tap(be);
	unsigned int off = be->offloads ? tap_offloads(st->offloads) : 0;

	/* Only what the driver accepted may come out of the tap. */
	if (ioctl(t->fd, TUNSETOFFLOAD, off) < 0)
		return err_set(errno, "tap %s: TUNSETOFFLOAD: %s", t->ifname,
			       strerror(errno));
	return be->vhost ? tap_vhost_start(t, st) : 0;
}

static void tap_stop(struct net_backend *be)
{
	struct net_tap *t = to_tap(be);

	if (be->vhost)
		tap_vhost_stop(t);
	ioctl(t->fd, TUNSETOFFLOAD, 0);
}

static void tap_free(struct net_backend *be)
{
	struct net_tap *t = to_tap(be);
	unsigned int q;

	tap_vhost_stop(t);
	for (q = 0; q < NET_QUEUES; q++) {
		if (t->kick_fd[q] >= 0)
			close(t->kick_fd[q]);
		if (t->be.call_fd[q] >= 0)
			close(t->be.call_fd[q]);
	}
	/* Its rings and memory table go too: the guest RAM they name will. */
	if (t->vhost_lent)
		ioctl(t->vhost_fd, VHOST_RESET_OWNER, NULL);
	if (t->vhost_fd >= 0)
		close(t->vhost_fd);
	if (t->fd >= 0)
		close(t->fd);
	free(t);
}

static const struct net_backend_ops tap_ops = {
	.start = tap_start,
	.stop = tap_stop,
	.send = tap_send,
	.recv = tap_recv,
	.kick = tap_kick,
	.free = tap_free,
};

static const char *tap_perm_hint(int e)
{
	return e == EPERM || e == EACCES ? " (tap needs CAP_NET_ADMIN)" : "";
}

int net_tap_create(const char *ifname, int *fd)
{
	struct ifreq ifr = { .ifr_flags = IFF_TAP | IFF_NO_PI | IFF_VNET_HDR };
	unsigned int features = 0;
	int r;

	*fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
	if (*fd < 0)
		return err_set(errno, "cannot open /dev/net/tun: %s%s",
			       strerror(errno), tap_perm_hint(errno));
	if (ioctl(*fd, TUNGETFEATURES, &features) < 0 ||
	    !(features & IFF_VNET_HDR))
		r = err_set(ENOTSUP, "tap: the kernel has no IFF_VNET_HDR");
	else {
		memcpy(ifr.ifr_name, ifname, strnlen(ifname, IFNAMSIZ - 1));
		r = ioctl(*fd, TUNSETIFF, &ifr) < 0 ?
			err_set(errno, "tap %s: TUNSETIFF: %s%s",
				*ifname ? ifname : "(new)", strerror(errno),
				tap_perm_hint(errno)) : 0;
	}
	if (r) {
		close(*fd);
		*fd = -1;
	}
	return r;
}

/* tap_fd, when set, is a tap created earlier: this backend uses a dup. */
static int tap_open(struct net_tap *t, const struct net_config *cfg, int tap_fd)
{
	struct ifreq ifr = { 0 };
	int hdr_sz = NET_HDR_LEN, le = 1;
	int r;

	if (tap_fd >= 0) {
		t->fd = fcntl(tap_fd, F_DUPFD_CLOEXEC, 0);
		if (t->fd < 0)
			return err_set(errno, "tap: dup: %s", strerror(errno));
	} else {
		r = net_tap_create(cfg->ifname, &t->fd);
		if (r)
			return r;
	}
	if (ioctl(t->fd, TUNGETIFF, &ifr) < 0)
		return err_set(errno, "tap: TUNGETIFF: %s", strerror(errno));
	memcpy(t->ifname, ifr.ifr_name, IFNAMSIZ - 1);
	if (ioctl(t->fd, TUNSETVNETHDRSZ, &hdr_sz) < 0)
		return err_set(errno, "tap %s: TUNSETVNETHDRSZ: %s", t->ifname,
			       strerror(errno));
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	t->hdr_le = true;
	(void)le;
#else
	t->hdr_le = ioctl(t->fd, TUNSETVNETLE, &le) == 0;
#endif
	/* Offer offloads only if this kernel takes them all. */
	if (ioctl(t->fd, TUNSETOFFLOAD, TAP_OFFLOAD_ALL) == 0)
		t->be.offloads = TAP_NET_OFFLOADS;
	ioctl(t->fd, TUNSETOFFLOAD, 0);
	return 0;
}

int net_tap_new(const struct net_config *cfg, int tap_fd, int vhost_fd,
		struct net_backend **out)
{
	struct net_tap *t = calloc(1, sizeof(*t));
	int r;

	*out = NULL;
	if (!t)
		return err_set(ENOMEM, "tap: out of memory");
	t->be = (struct net_backend){
		.ops = &tap_ops, .name = "tap", .call_fd = { -1, -1 },
	};
	t->fd = t->vhost_fd = -1;
	t->kick_fd[0] = t->kick_fd[1] = -1;
	r = tap_open(t, cfg, tap_fd);
	if (!r && cfg->vhost)
		r = tap_vhost_open(t, vhost_fd);
	if (r) {
		tap_free(&t->be);
		return r;
	}
	t->be.rx_fd = t->be.vhost ? -1 : t->fd;
	*out = &t->be;
	return 0;
}
