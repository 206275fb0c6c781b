/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_LE_H
#define ARMZ_LE_H

#include <stdint.h>

/*
 * Everything the guest sees is little-endian (virtio, MMIO data, the Image
 * header). Byte-wise assembly is correct on either host byte order and
 * compilers turn it into a single load or store (plus a swap on s390x).
 */

static inline uint16_t le16_read(const void *p)
{
	const uint8_t *b = p;

	return (uint16_t)(b[0] | b[1] << 8);
}

static inline uint32_t le32_read(const void *p)
{
	const uint8_t *b = p;

	return (uint32_t)b[0] | (uint32_t)b[1] << 8 |
	       (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static inline uint64_t le64_read(const void *p)
{
	const uint8_t *b = p;

	return (uint64_t)le32_read(b) | (uint64_t)le32_read(b + 4) << 32;
}

static inline void le16_write(void *p, uint16_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
}

static inline void le32_write(void *p, uint32_t v)
{
	uint8_t *b = p;

	b[0] = (uint8_t)v;
	b[1] = (uint8_t)(v >> 8);
	b[2] = (uint8_t)(v >> 16);
	b[3] = (uint8_t)(v >> 24);
}

static inline void le64_write(void *p, uint64_t v)
{
	le32_write(p, (uint32_t)v);
	le32_write((uint8_t *)p + 4, (uint32_t)(v >> 32));
}

/* An MMIO access of 1, 2, 4 or 8 bytes, as a number. */
static inline uint64_t le_read_sized(const void *p, unsigned int len)
{
	switch (len) {
	case 1:
		return *(const uint8_t *)p;
	case 2:
		return le16_read(p);
	case 4:
		return le32_read(p);
	default:
		return le64_read(p);
	}
}

static inline void le_write_sized(void *p, uint64_t v, unsigned int len)
{
	switch (len) {
	case 1:
		*(uint8_t *)p = (uint8_t)v;
		break;
	case 2:
		le16_write(p, (uint16_t)v);
		break;
	case 4:
		le32_write(p, (uint32_t)v);
		break;
	default:
		le64_write(p, v);
		break;
	}
}

#endif
