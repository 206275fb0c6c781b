// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/net-hdr.h>

void net_hdr_decode(struct net_hdr *h, const void *raw)
{
	const uint8_t *b = raw;

	h->flags = b[0];
	h->gso_type = b[1];
	h->hdr_len = le16_read(b + 2);
	h->gso_size = le16_read(b + 4);
	h->csum_start = le16_read(b + 6);
	h->csum_offset = le16_read(b + 8);
	h->num_buffers = le16_read(b + 10);
}

void net_hdr_encode(void *raw, const struct net_hdr *h)
{
	uint8_t *b = raw;

	b[0] = h->flags;
	b[1] = h->gso_type;
	le16_write(b + 2, h->hdr_len);
	le16_write(b + 4, h->gso_size);
	le16_write(b + 6, h->csum_start);
	le16_write(b + 8, h->csum_offset);
	le16_write(b + 10, h->num_buffers);
}

int net_hdr_fill_csum(const struct net_hdr *h, uint8_t *frame, size_t len)
{
	size_t start = h->csum_start, at = start + h->csum_offset, i;
	uint32_t sum = 0;

	if (start > len || at + 2 > len)
		return err_set(EINVAL, "checksum at %zu+%u is outside a %zu-byte frame",
			       start, h->csum_offset, len);
	/* The field holds the pseudo-header sum: it is summed in as is. */
	for (i = start; i + 1 < len; i += 2)
		sum += (uint32_t)frame[i] << 8 | frame[i + 1];
	if (i < len)
		sum += (uint32_t)frame[i] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	sum = ~sum & 0xffff;
	/* The Internet checksum is big-endian on the wire. */
	frame[at] = (uint8_t)(sum >> 8);
	frame[at + 1] = (uint8_t)sum;
	return 0;
}
