/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_DEVICES_P9_WIRE_H
#define ARMZ_DEVICES_P9_WIRE_H

/*
 * 9P message coding for p9.c. Decoding never reads past the message:
 * a field that does not fit marks the request bad and reads as zeros,
 * and the handler answers EPROTO once it has parsed everything. Encoding
 * never writes past cap: what does not fit marks the response full.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>

#include <armz/le.h>

#include "p9-private.h"

/* Rlerror: header + ecode[4], what every cap must at least hold. */
#define RLERROR_SIZE		(P9_HDR_SIZE + 4)

/* A request being decoded. Reading past its end sets bad and yields 0s. */
struct p9_in {
	const uint8_t *p;
	size_t len;
	size_t off;
	bool bad;
};

/* A response being encoded. Writing past cap sets full. */
struct p9_out {
	uint8_t *p;
	size_t cap;
	size_t off;
	bool full;
	uint8_t scratch[16];
};

static inline const uint8_t *in_take(struct p9_in *in, size_t n)
{
	const uint8_t *p;

	if (in->bad || n > in->len - in->off) {
		in->bad = true;
		return NULL;
	}
	p = in->p + in->off;
	in->off += n;
	return p;
}

static inline uint8_t in_u8(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 1);

	return p ? *p : 0;
}

static inline uint16_t in_u16(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 2);

	return p ? le16_read(p) : 0;
}

static inline uint32_t in_u32(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 4);

	return p ? le32_read(p) : 0;
}

static inline uint64_t in_u64(struct p9_in *in)
{
	const uint8_t *p = in_take(in, 8);

	return p ? le64_read(p) : 0;
}

/* A string s[2] + bytes, not NUL-terminated: points into the request. */
static inline const char *in_str(struct p9_in *in, uint16_t *len)
{
	const char *p;

	*len = in_u16(in);
	p = (const char *)in_take(in, *len);
	if (!p)
		*len = 0;
	return p;
}

/*
 * One path component into buf (P9_NAME_MAX + 1 bytes): never empty, no
 * '/' or NUL, and '.'/'..' only where the caller walks.
 */
static inline int in_name(struct p9_in *in, char *buf, bool dots)
{
	uint16_t len;
	const char *p = in_str(in, &len);

	if (!p)
		return -EPROTO;
	if (!len || memchr(p, '/', len) || memchr(p, '\0', len))
		return -EINVAL;
	if (len > P9_NAME_MAX)
		return -ENAMETOOLONG;
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (!dots && (!strcmp(buf, ".") || !strcmp(buf, "..")))
		return -EINVAL;
	return 0;
}

static inline uint8_t *out_take(struct p9_out *out, size_t n)
{
	uint8_t *p;

	if (out->full || n > out->cap - out->off) {
		out->full = true;
		return out->scratch;
	}
	p = out->p + out->off;
	out->off += n;
	return p;
}

static inline void out_u8(struct p9_out *out, uint8_t v)
{
	*out_take(out, 1) = v;
}

static inline void out_u16(struct p9_out *out, uint16_t v)
{
	le16_write(out_take(out, 2), v);
}

static inline void out_u32(struct p9_out *out, uint32_t v)
{
	le32_write(out_take(out, 4), v);
}

static inline void out_u64(struct p9_out *out, uint64_t v)
{
	le64_write(out_take(out, 8), v);
}

static inline void out_str(struct p9_out *out, const char *str, size_t len)
{
	if (len > UINT16_MAX || len + 2 > out->cap - out->off) {
		out->full = true;
		return;
	}
	out_u16(out, (uint16_t)len);
	memcpy(out->p + out->off, str, len);
	out->off += len;
}

static inline void out_node_qid(struct p9_server *s, struct p9_out *out,
			 const struct p9_node *n)
{
	p9_node_qid(s, n, out_take(out, P9_QID_SIZE));
}

static inline void out_stat_qid(struct p9_server *s, struct p9_out *out,
			 const struct stat *st)
{
	p9_qid_put(s, out_take(out, P9_QID_SIZE), st->st_dev, st->st_ino,
		   st->st_mode & S_IFMT);
}

/* Room left for data after the fixed part of a response. */
static inline size_t out_room(const struct p9_out *out, size_t fixed)
{
	size_t left = out->cap - out->off;

	return left > fixed ? left - fixed : 0;
}

#endif
