/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_GDB_PACKET_H
#define ARMZ_GDB_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The framing of gdb's remote serial protocol (gdb manual, "Remote
 * Protocol", "Overview"): $data#cs with a modulo-256 checksum in two hex
 * digits, '+'/'-' acknowledgements, the 0x03 interrupt byte between
 * packets, '}' escapes (byte ^ 0x20) in binary data and '*' run-length
 * encoding in replies. No I/O and no KVM here: bytes in, bytes out.
 */

/* The largest packet data armz takes or sends (qSupported PacketSize). */
#define GDB_PACKET_MAX		16384

#define GDB_INTERRUPT		0x03
#define GDB_ESCAPE		'}'

/* What gdb_rx_feed() found. */
enum gdb_rx_event {
	GDB_RX_NONE,		/* all input consumed, nothing complete */
	GDB_RX_PACKET,		/* rx->buf[0..rx->len): a good packet */
	GDB_RX_BAD_CHECKSUM,	/* a packet whose checksum did not match */
	GDB_RX_TOO_LONG,	/* a packet longer than GDB_PACKET_MAX */
	GDB_RX_ACK,		/* '+' */
	GDB_RX_NAK,		/* '-': send the last packet again */
	GDB_RX_INTERRUPT,	/* 0x03 outside a packet: stop the target */
};

enum gdb_rx_state {
	GDB_RX_IDLE,		/* between packets */
	GDB_RX_DATA,		/* after '$' */
	GDB_RX_CSUM1,		/* after '#' */
	GDB_RX_CSUM2,
};

/*
 * An incremental receiver: a packet may arrive split over any number of
 * reads. The packet data is kept as sent (escapes are the business of
 * the packets that carry binary data) and NUL-terminated for parsing.
 */
struct gdb_rx {
	enum gdb_rx_state state;
	uint8_t sum;		/* running checksum of the data */
	uint8_t csum;		/* the checksum as sent */
	bool overflow;
	size_t len;
	char buf[GDB_PACKET_MAX + 1];
};

void gdb_rx_init(struct gdb_rx *rx);

/*
 * Consumes in[0..len) up to and including the first byte that completes
 * an event, which it stores in *ev; returns the bytes consumed. Call
 * again with the rest. Bytes outside a packet other than '$', '+', '-'
 * and 0x03 are ignored, and a '$' inside a packet starts a new one.
 */
size_t gdb_rx_feed(struct gdb_rx *rx, const uint8_t *in, size_t len,
		   enum gdb_rx_event *ev);

/* Flags of gdb_frame(). */
#define GDB_FRAME_RLE	(1U << 0)	/* run-length encode the data */

/*
 * Frames data[0..len) as $data#cs into out, which must hold cap bytes;
 * returns the framed length, or 0 when it does not fit. The data must
 * already be escaped where it carries binary bytes (gdb_escape()).
 */
size_t gdb_frame(char *out, size_t cap, const char *data, size_t len,
		 unsigned int flags);

/*
 * Run-length encoding of a reply (a run of n + 1 equal characters as
 * c '*' (n + 29)). Counts whose character would be '#' or '$' (and, to
 * stay clear of acks, '+' and '-', or the '*' and '}' markers) are
 * shortened; runs shorter than 4 are left alone. Returns the encoded
 * length, or 0 when cap is too small.
 */
size_t gdb_rle_encode(char *out, size_t cap, const char *in, size_t len);
/* The reverse; returns the decoded length, or -1 for bad input or room. */
long gdb_rle_decode(char *out, size_t cap, const char *in, size_t len);

/*
 * Binary data: '#', '$', '}' and '*' as '}' followed by the byte ^ 0x20.
 * gdb_escape() returns the escaped length, stopping before the input
 * byte that would not fit (*used says how many input bytes went in);
 * gdb_unescape() decodes in place and returns the length, or -1 for a
 * trailing lone '}'.
 */
size_t gdb_escape(char *out, size_t cap, const uint8_t *in, size_t len,
		  size_t *used);
long gdb_unescape(uint8_t *buf, size_t len);

/* Hex helpers; gdb sends lower case, both are accepted. */
int gdb_hex_digit(int c);
/* Encodes n bytes as 2n lower-case hex digits (no NUL); returns 2n. */
size_t gdb_hex_encode(char *out, const uint8_t *in, size_t n);
/* Decodes 2n hex digits into n bytes; -1 when any is not hex. */
int gdb_hex_decode(uint8_t *out, const char *in, size_t n);
/*
 * Parses a hex number of 1 to 16 digits at *p, stopping at the first
 * non-hex character or end; advances *p. False if no digit or too long.
 */
bool gdb_hex_u64(const char **p, const char *end, uint64_t *v);
/*
 * A register value as gdb expects it: its nbytes (<= 8) in little-endian
 * order, two hex digits each, whatever the host's byte order.
 */
size_t gdb_hex_le(char *out, uint64_t v, unsigned int nbytes);

#endif
