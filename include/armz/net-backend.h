/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_NET_BACKEND_H
#define ARMZ_NET_BACKEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include <armz/net-hdr.h>

/*
 * What sits between virtio-net and the network: the device hands a
 * backend each frame the guest sends, and asks it for frames to receive
 * when its rx_fd is readable and the guest has buffers.
 */

/* Largest frame either way: a 64 KiB TSO packet, Ethernet and VLAN header. */
#define NET_FRAME_MAX			(65536 + 14 + 4)
#define NET_FRAME_MIN			14

struct net_backend;
struct virtio_device;

struct net_backend_ops {
	/*
	 * The driver set DRIVER_OK; dev->features_acked says which offloads
	 * it took. A negative errno (err_msg() set) refuses. May be NULL.
	 */
	int (*start)(struct net_backend *be, struct virtio_device *dev);
	/* The device was reset. May be NULL. */
	void (*stop)(struct net_backend *be);
	/*
	 * Guest to network, on the transmit worker: one frame in iov, its
	 * header decoded. 0, or a negative errno when the frame was dropped.
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
	/*
	 * VIRTIO_NET_F_* offload bits the backend handles (CSUM, GUEST_CSUM,
	 * TSO): frames it gets may need a checksum or segmentation, frames it
	 * gives may be partial or large. 0: complete frames both ways.
	 */
	uint64_t features;
	/*
	 * vhost: the kernel serves both queues; call_fd[q] is signalled when
	 * it used buffers of queue q and the guest wants an interrupt.
	 */
	bool vhost;
	int call_fd[2];
};

/* The backends; net_config is in virtio-net.h. */
struct net_config;
int net_slirp_new(const struct net_config *cfg, struct net_backend **out);
int net_tap_new(const struct net_config *cfg, struct net_backend **out);
/* Opens /dev/net/tun and attaches ifname ("": a new tapN); needs
 * CAP_NET_ADMIN unless the tap exists and belongs to the caller. */
int net_tap_create(const char *ifname, int *fd);

#endif
