/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_NET_BACKEND_H
#define ARMZ_NET_BACKEND_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <armz/net-hdr.h>

/*
 * What sits between a network device and the network: libslirp ("user",
 * a NAT in userspace) or a tap device. The command line describes one
 * with net_parse(), the machine makes it with net_backend_new() and hands
 * it to the device (virtio-net.h), which gives the backend each frame the
 * guest sends and asks it for frames to receive when its rx_fd is
 * readable and the guest has buffers.
 */

/* --- One --net option --- */

/* The user network (slirp), host byte order. */
#define NET_USER_NETWORK		0x0a000200	/* 10.0.2.0/24 */
#define NET_USER_NETMASK		0xffffff00
#define NET_USER_HOST_ADDR		0x0a000202	/* the host's 127.0.0.1 */
#define NET_USER_DNS_ADDR		0x0a000203
#define NET_USER_GUEST_ADDR		0x0a00020f	/* DHCP's first lease */

#define NET_MAC_LEN			6
#define NET_HOSTFWD_MAX			16

enum net_type {
	NET_NONE,
	NET_USER,		/* libslirp */
	NET_TAP,
};

/* hostfwd=tcp:HOSTADDR:HOSTPORT-GUESTADDR:GUESTPORT; addresses in host order. */
struct net_hostfwd {
	bool udp;
	uint32_t host_addr;	/* 127.0.0.1 unless given */
	uint16_t host_port;
	uint32_t guest_addr;	/* 10.0.2.15 unless given */
	uint16_t guest_port;
};

/* One --net option, as net_parse() understood it. */
struct net_config {
	enum net_type type;
	uint8_t mac[NET_MAC_LEN];	/* given, or 52:54:00 and 3 random bytes */
	/* tap */
	char ifname[IFNAMSIZ];		/* empty: the kernel picks tapN */
	bool vhost;
	/* user */
	struct net_hostfwd fwd[NET_HOSTFWD_MAX];
	unsigned int nfwd;
	/*
	 * The guest's reach, both off by default (today's reach: all the
	 * host's, its loopback services too), both libslirp's switches:
	 * restrict=on: nothing the guest starts leaves the user network,
	 *   not even DNS; what works is the TCP port forwards (a UDP one
	 *   carries only host-to-guest datagrams), ARP, DHCP (without a
	 *   router or DNS server) and pings of 10.0.2.2 and 10.0.2.3.
	 * loopback=off: 10.0.2.2 no longer leads to the host's 127.0.0.1;
	 *   and since libslirp would connect a guest that addresses
	 *   127.0.0.0/8 or 0.0.0.0/8 directly, the backend drops those
	 *   frames itself.
	 */
	bool restricted;
	bool loopback_off;
};

/*
 * Parses the value of --net:
 *   user[,hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...
 *       [,restrict=on|off][,loopback=on|off][,mac=M]
 *   tap[,ifname=NAME][,vhost=on|off][,mac=M]
 *   none
 * A MAC not given is drawn here, so parse each option once per run: a
 * guest reset keeps its MAC. -EINVAL with err_msg() naming the bad part.
 * "user" also fails here when armz was built without libslirp.
 */
int net_parse(const char *arg, struct net_config *cfg);

/* --- The backend a device drives --- */

/* Largest frame either way: a 64 KiB TSO packet, Ethernet and VLAN header. */
#define NET_FRAME_MAX			(65536 + 14 + 4)
#define NET_FRAME_MIN			14
/* Most iovec entries one frame comes in to send(). */
#define NET_IOV_MAX			256

/* The two queues, as a vhost backend numbers its rings. */
#define NET_QUEUE_RX			0
#define NET_QUEUE_TX			1
#define NET_QUEUES			2

/*
 * Offloads, in the backends' own terms. A backend lists those it can do
 * in be->offloads, the device offers its driver the matching features,
 * and start() learns which the driver accepted.
 *   TX_*: frames sent to the backend may carry a partial checksum
 *         (NET_HDR_F_NEEDS_CSUM) or be TCP segments up to 64 KiB (GSO).
 *   RX_*: frames the backend receives may be so too.
 * A TSO offload needs its checksum offload along (the device drops it
 * otherwise). None: complete frames of one MTU both ways.
 */
#define NET_OFFLOAD_TX_CSUM		(1u << 0)
#define NET_OFFLOAD_TX_TSO4		(1u << 1)
#define NET_OFFLOAD_TX_TSO6		(1u << 2)
#define NET_OFFLOAD_RX_CSUM		(1u << 3)
#define NET_OFFLOAD_RX_TSO4		(1u << 4)
#define NET_OFFLOAD_RX_TSO6		(1u << 5)

struct guest_mem;

/*
 * One queue's rings as a vhost backend hands them to the kernel: host
 * addresses inside guest RAM, already checked by the device.
 */
struct net_vring {
	void *desc;
	void *avail;
	void *used;
	unsigned int num;	/* entries; 0: the driver did not set it up */
	uint16_t next_avail;	/* the avail entry the kernel takes first */
};

/* What the driver chose, as start() gets it. */
struct net_start {
	unsigned int offloads;		/* NET_OFFLOAD_* accepted */
	/*
	 * For a vhost backend only (be->vhost): guest RAM, both queues, and
	 * how the driver uses them. Zero otherwise.
	 */
	const struct guest_mem *mem;
	struct net_vring ring[NET_QUEUES];
	bool mrg_rxbuf;		/* a received frame may span several buffers */
	bool event_idx;		/* used_event/avail_event words are in use */
	bool indirect;		/* descriptors may point to indirect tables */
};

struct net_backend;

struct net_backend_ops {
	/*
	 * The driver is ready (DRIVER_OK) and chose st. A negative errno
	 * (err_msg() set) refuses. Called while no frame moves. May be NULL.
	 */
	int (*start)(struct net_backend *be, const struct net_start *st);
	/* The device was reset. May be NULL. */
	void (*stop)(struct net_backend *be);
	/*
	 * Guest to network, on the transmit worker: one frame in iov (at
	 * most NET_IOV_MAX entries), its header decoded. 0, or a negative
	 * errno when the frame was dropped.
	 */
	int (*send)(struct net_backend *be, const struct net_hdr *hdr,
		    const struct iovec *iov, unsigned int iovcnt);
	/*
	 * Network to guest, on the receive worker: the next frame into buf
	 * (len is NET_FRAME_MAX) and its header. The frame's length, 0 when
	 * none is pending (rx_fd becomes readable when one is), or a negative
	 * errno for a frame that was lost.
	 */
	ssize_t (*recv)(struct net_backend *be, struct net_hdr *hdr,
			void *buf, size_t len);
	/*
	 * vhost: the driver kicked queue q (the device forwards kicks to the
	 * kernel). May be NULL for backends without vhost.
	 */
	void (*kick)(struct net_backend *be, unsigned int q);
	void (*free)(struct net_backend *be);
};

struct net_backend {
	const struct net_backend_ops *ops;
	const char *name;
	/* Readable when recv() may have a frame; -1 with vhost. */
	int rx_fd;
	unsigned int offloads;	/* NET_OFFLOAD_* the backend can do */
	/*
	 * vhost: the kernel serves both queues; call_fd[q] is signalled when
	 * it used buffers of queue q and the guest may want an interrupt.
	 */
	bool vhost;
	int call_fd[NET_QUEUES];
};

/*
 * Makes the backend cfg asks for. tap_fd is a tap made earlier by
 * net_tap_create(), or -1 to make one now (NET_TAP only; ignored
 * otherwise): the backend works on a dup of it, so a tap made while armz
 * could still do so outlives guest resets that rebuild the device, and
 * the caller keeps its own descriptor. vhost_fd is the same for
 * vhost=on: /dev/vhost-net opened by net_vhost_open() (-1: open it now);
 * the backend owns it while it lives (VHOST_SET_OWNER) and gives it up
 * again when freed (VHOST_RESET_OWNER), for the next boot's backend. NET_NONE gives 0 and *out = NULL.
 * A negative errno with err_msg() set on failure (no tap permission,
 * hostfwd port in use, built without libslirp, ...).
 */
int net_backend_new(const struct net_config *cfg, int tap_fd, int vhost_fd,
		    struct net_backend **out);
/* Stops what the backend runs and frees it. NULL is fine. */
void net_backend_free(struct net_backend *be);

/*
 * Opens /dev/net/tun and attaches ifname ("": a new tapN); needs
 * CAP_NET_ADMIN unless the tap exists and belongs to the caller.
 */
int net_tap_create(const char *ifname, int *fd);

/* Opens /dev/vhost-net, which is usually root's alone. */
int net_vhost_open(int *fd);

#endif
