// SPDX-License-Identifier: GPL-2.0
/*
 * gdb remote serial protocol framing, escapes, run-length encoding and
 * hex (gdb manual, "Remote Protocol", "Overview"). Pure functions over
 * buffers: the server and its tests share them, on any host byte order.
 */
#include <string.h>

#include <armz/gdb-packet.h>

static const char gdb_hex_chars[] = "0123456789abcdef";

int gdb_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

size_t gdb_hex_encode(char *out, const uint8_t *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = gdb_hex_chars[in[i] >> 4];
		out[2 * i + 1] = gdb_hex_chars[in[i] & 0xf];
	}
	return 2 * n;
}

int gdb_hex_decode(uint8_t *out, const char *in, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = gdb_hex_digit((unsigned char)in[2 * i]);
		int lo = gdb_hex_digit((unsigned char)in[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

bool gdb_hex_u64(const char **p, const char *end, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d;

	while (s < end && (d = gdb_hex_digit((unsigned char)*s)) >= 0) {
		if (x >> 60)
			return false;	/* more than 64 bits */
		x = x << 4 | (uint64_t)d;
		s++;
	}
	if (s == *p)
		return false;
	*p = s;
	*v = x;
	return true;
}

size_t gdb_hex_le(char *out, uint64_t v, unsigned int nbytes)
{
	for (unsigned int i = 0; i < nbytes; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));

		out[2 * i] = gdb_hex_chars[b >> 4];
		out[2 * i + 1] = gdb_hex_chars[b & 0xf];
	}
	return 2 * (size_t)nbytes;
}

void gdb_rx_init(struct gdb_rx *rx)
{
	rx->state = GDB_RX_IDLE;
	rx->len = 0;
	rx->sum = 0;
	rx->csum = 0;
	rx->overflow = false;
	rx->buf[0] = '\0';
}

static void gdb_rx_start(struct gdb_rx *rx)
{
	rx->state = GDB_RX_DATA;
	rx->len = 0;
	rx->sum = 0;
	rx->overflow = false;
}

/* One byte; returns the event it completes, or GDB_RX_NONE. */
static enum gdb_rx_event gdb_rx_byte(struct gdb_rx *rx, uint8_t c)
{
	int d;

	switch (rx->state) {
	case GDB_RX_IDLE:
		if (c == '$')
			gdb_rx_start(rx);
		else if (c == '+')
			return GDB_RX_ACK;
		else if (c == '-')
			return GDB_RX_NAK;
		else if (c == GDB_INTERRUPT)
			return GDB_RX_INTERRUPT;
		return GDB_RX_NONE;
	case GDB_RX_DATA:
		if (c == '#') {
			rx->state = GDB_RX_CSUM1;
		} else if (c == '$') {
			/* A lost '#': resynchronise on the new packet. */
			gdb_rx_start(rx);
		} else {
			rx->sum = (uint8_t)(rx->sum + c);
			if (rx->len < GDB_PACKET_MAX)
				rx->buf[rx->len++] = (char)c;
			else
				rx->overflow = true;
		}
		return GDB_RX_NONE;
	case GDB_RX_CSUM1:
		d = gdb_hex_digit(c);
		if (d < 0) {
			rx->state = GDB_RX_IDLE;
			return GDB_RX_BAD_CHECKSUM;
		}
		rx->csum = (uint8_t)(d << 4);
		rx->state = GDB_RX_CSUM2;
		return GDB_RX_NONE;
	case GDB_RX_CSUM2:
		d = gdb_hex_digit(c);
		rx->state = GDB_RX_IDLE;
		rx->buf[rx->len] = '\0';
		if (d < 0 || (uint8_t)(rx->csum | d) != rx->sum)
			return GDB_RX_BAD_CHECKSUM;
		return rx->overflow ? GDB_RX_TOO_LONG : GDB_RX_PACKET;
	}
	return GDB_RX_NONE;
}

size_t gdb_rx_feed(struct gdb_rx *rx, const uint8_t *in, size_t len,
		   enum gdb_rx_event *ev)
{
	for (size_t i = 0; i < len; i++) {
		enum gdb_rx_event e = gdb_rx_byte(rx, in[i]);

		if (e != GDB_RX_NONE) {
			*ev = e;
			return i + 1;
		}
	}
	*ev = GDB_RX_NONE;
	return len;
}

/* Repeat counts whose character has a meaning of its own. */
static bool gdb_rle_count_ok(size_t n)
{
	char c = (char)(n + 29);

	return c != '#' && c != '$' && c != '+' && c != '-' && c != '*' &&
	       c != '}';
}

#define GDB_RLE_MIN	3	/* ' ': shorter runs do not pay */
#define GDB_RLE_MAX	97	/* '~' */

size_t gdb_rle_encode(char *out, size_t cap, const char *in, size_t len)
{
	size_t o = 0, i = 0;

	while (i < len) {
		char c = in[i];
		size_t run = 1, n;

		while (i + run < len && in[i + run] == c)
			run++;
		n = run - 1;
		if (n > GDB_RLE_MAX)
			n = GDB_RLE_MAX;
		while (n >= GDB_RLE_MIN && !gdb_rle_count_ok(n))
			n--;
		if (n < GDB_RLE_MIN || c == '*' || c == '#' || c == '$') {
			/* Literally: only the first character here. */
			if (o + 1 > cap)
				return 0;
			out[o++] = c;
			i++;
			continue;
		}
		if (o + 3 > cap)
			return 0;
		out[o++] = c;
		out[o++] = '*';
		out[o++] = (char)(n + 29);
		i += n + 1;
	}
	return o;
}

long gdb_rle_decode(char *out, size_t cap, const char *in, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		size_t n;

		if (in[i] != '*') {
			if (o >= cap)
				return -1;
			out[o++] = in[i];
			continue;
		}
		if (o == 0 || i + 1 >= len || (unsigned char)in[i + 1] < 32 ||
		    (unsigned char)in[i + 1] > 126)
			return -1;
		n = (size_t)(unsigned char)in[++i] - 29;
		if (n > cap - o)
			return -1;
		memset(out + o, out[o - 1], n);
		o += n;
	}
	return (long)o;
}

static bool gdb_needs_escape(uint8_t b)
{
	return b == '#' || b == '$' || b == GDB_ESCAPE || b == '*';
}

size_t gdb_escape(char *out, size_t cap, const uint8_t *in, size_t len,
		  size_t *used)
{
	size_t o = 0, i;

	for (i = 0; i < len; i++) {
		if (gdb_needs_escape(in[i])) {
			if (o + 2 > cap)
				break;
			out[o++] = GDB_ESCAPE;
			out[o++] = (char)(in[i] ^ 0x20);
		} else {
			if (o + 1 > cap)
				break;
			out[o++] = (char)in[i];
		}
	}
	if (used)
		*used = i;
	return o;
}

long gdb_unescape(uint8_t *buf, size_t len)
{
	size_t o = 0;

	for (size_t i = 0; i < len; i++) {
		if (buf[i] != GDB_ESCAPE) {
			buf[o++] = buf[i];
			continue;
		}
		if (++i == len)
			return -1;
		buf[o++] = buf[i] ^ 0x20;
	}
	return (long)o;
}

size_t gdb_frame(char *out, size_t cap, const char *data, size_t len,
		 unsigned int flags)
{
	size_t n;
	uint8_t sum = 0;

	if (cap < 4)
		return 0;
	out[0] = '$';
	if (flags & GDB_FRAME_RLE) {
		n = gdb_rle_encode(out + 1, cap - 4, data, len);
		if (!n && len)
			return 0;
	} else {
		if (len > cap - 4)
			return 0;
		memcpy(out + 1, data, len);
		n = len;
	}
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + (uint8_t)out[1 + i]);
	out[1 + n] = '#';
	out[2 + n] = gdb_hex_chars[sum >> 4];
	out[3 + n] = gdb_hex_chars[sum & 0xf];
	return n + 4;
}
