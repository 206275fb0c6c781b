/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_NET_HDR_H
#define ARMZ_NET_HDR_H

#include <stddef.h>
#include <stdint.h>

/*
 * The header before every frame on a virtio-net queue (virtio 1.2,
 * 5.1.6), 12 bytes little-endian, and what both sides of a network
 * device do with it: virtio-net reads and writes it in guest memory, a
 * tap device with IFF_VNET_HDR speaks the same layout, and a backend
 * that wants complete frames fills in a checksum the guest left open.
 */
#define NET_HDR_LEN			12
#define NET_HDR_F_NEEDS_CSUM		1
#define NET_HDR_F_DATA_VALID		2
#define NET_HDR_GSO_NONE		0
#define NET_HDR_GSO_TCPV4		1
#define NET_HDR_GSO_UDP			3
#define NET_HDR_GSO_TCPV6		4
#define NET_HDR_GSO_ECN			0x80

/* The header decoded to host byte order. */
struct net_hdr {
	uint8_t flags;
	uint8_t gso_type;
	uint16_t hdr_len;
	uint16_t gso_size;
	uint16_t csum_start;
	uint16_t csum_offset;
	uint16_t num_buffers;
};

/* raw is NET_HDR_LEN bytes, little-endian. */
void net_hdr_decode(struct net_hdr *h, const void *raw);
void net_hdr_encode(void *raw, const struct net_hdr *h);

/*
 * Completes a NEEDS_CSUM frame in software: the Internet checksum of
 * frame[csum_start..] goes at csum_start + csum_offset. -EINVAL if the
 * offsets lie outside the frame.
 */
int net_hdr_fill_csum(const struct net_hdr *h, uint8_t *frame, size_t len);

#endif
