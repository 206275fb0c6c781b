/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_NET_H
#define ARMZ_VIRTIO_NET_H

#include <stdint.h>

#include <armz/net-backend.h>

/*
 * virtio-net (virtio 1.2, 5.1): one receive and one transmit queue, a MAC
 * address and a link status in config space, and a backend that moves the
 * frames (net-backend.h).
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

struct net_backend;
struct virtio_device;

/*
 * The device around backend be (net_backend_new()), with MAC address mac
 * in its config space; hand *out to virtio_mmio_new(). Takes ownership of
 * be, also on failure. 0, or a negative errno with err_msg() set.
 */
int virtio_net_new(struct net_backend *be, const uint8_t mac[NET_MAC_LEN],
		   struct virtio_device **out);

#endif
