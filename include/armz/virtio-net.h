/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_NET_H
#define ARMZ_VIRTIO_NET_H

#include <net/if.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * virtio-net (virtio 1.2, 5.1): one receive and one transmit queue, a MAC
 * address and a link status in config space, and a backend that moves the
 * frames: libslirp ("user", a NAT in userspace) or a tap device.
 */

#define VIRTIO_ID_NET			1	/* device ID (virtio 1.2, 5) */

/* Feature bits (5.1.3). */
#define VIRTIO_NET_F_CSUM		0
#define VIRTIO_NET_F_GUEST_CSUM		1
#define VIRTIO_NET_F_MTU		3
#define VIRTIO_NET_F_MAC		5
#define VIRTIO_NET_F_GUEST_TSO4		7
#define VIRTIO_NET_F_GUEST_TSO6		8
#define VIRTIO_NET_F_GUEST_ECN		9
#define VIRTIO_NET_F_GUEST_UFO		10
#define VIRTIO_NET_F_HOST_TSO4		11
#define VIRTIO_NET_F_HOST_TSO6		12
#define VIRTIO_NET_F_HOST_ECN		13
#define VIRTIO_NET_F_HOST_UFO		14
#define VIRTIO_NET_F_MRG_RXBUF		15
#define VIRTIO_NET_F_STATUS		16
#define VIRTIO_NET_F_CTRL_VQ		17
#define VIRTIO_NET_F_MQ			22

/* Queues. */
#define VIRTIO_NET_Q_RX			0
#define VIRTIO_NET_Q_TX			1

/* Config space layout (5.1.4), all little-endian. */
#define VIRTIO_NET_CFG_MAC		0	/* u8[6] */
#define VIRTIO_NET_CFG_STATUS		6	/* le16 */
#define VIRTIO_NET_CFG_MAX_PAIRS	8	/* le16 */
#define VIRTIO_NET_CFG_MTU		10	/* le16 */
#define VIRTIO_NET_CFG_SIZE		12

#define VIRTIO_NET_S_LINK_UP		1

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
	/*
	 * A tap made earlier by net_tap_create(), or -1. The device uses a
	 * dup of it, so a tap made while armz could still do so outlives
	 * guest resets that rebuild the device.
	 */
	int tap_fd;
	/* user */
	struct net_hostfwd fwd[NET_HOSTFWD_MAX];
	unsigned int nfwd;
};

/*
 * Parses the value of --net:
 *   user[,hostfwd=tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT]...[,mac=M]
 *   tap[,ifname=NAME][,vhost=on|off][,mac=M]
 *   none
 * -EINVAL with err_msg() naming the bad part. "user" also fails here when
 * armz was built without libslirp.
 */
int net_parse(const char *arg, struct net_config *cfg);

struct virtio_device;
struct net_backend;

/*
 * Opens the backend cfg asks for and builds the device around it; hand
 * *out to virtio_mmio_new(). For NET_NONE returns 0 with *out = NULL.
 * A negative errno with err_msg() set on failure (no tap permission,
 * hostfwd port in use, ...).
 */
int virtio_net_new(const struct net_config *cfg, struct virtio_device **out);

/*
 * The same around a backend the caller built (net-backend.h); takes
 * ownership of be even on failure.
 */
int virtio_net_new_backend(struct net_backend *be,
			   const uint8_t mac[NET_MAC_LEN],
			   struct virtio_device **out);

#endif
