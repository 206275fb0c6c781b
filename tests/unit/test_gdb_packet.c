// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include <armz/gdb-packet.h>

#include "unit.h"

/* Feeds all of in and returns the events, one letter each. */
static void rx_events(struct gdb_rx *rx, const char *in, size_t len,
		      size_t chunk, char *events, size_t cap)
{
	static const char letters[] = {
		[GDB_RX_PACKET] = 'P', [GDB_RX_BAD_CHECKSUM] = 'B',
		[GDB_RX_TOO_LONG] = 'L', [GDB_RX_ACK] = '+',
		[GDB_RX_NAK] = '-', [GDB_RX_INTERRUPT] = 'I',
	};
	size_t ne = 0;

	for (size_t off = 0; off < len;) {
		size_t n = len - off < chunk ? len - off : chunk;
		const uint8_t *p = (const uint8_t *)in + off;

		off += n;
		while (n) {
			enum gdb_rx_event ev;
			size_t used = gdb_rx_feed(rx, p, n, &ev);

			CU_ASSERT_FATAL(used <= n);
			p += used;
			n -= used;
			if (ev != GDB_RX_NONE && ne + 1 < cap)
				events[ne++] = letters[ev];
			CU_ASSERT_FATAL(used > 0 || ev == GDB_RX_NONE);
		}
	}
	events[ne] = '\0';
}

static void test_frame_checksum(void)
{
	char out[64];

	/* 'O' + 'K' = 0x4f + 0x4b = 0x9a. */
	CU_ASSERT_EQUAL(gdb_frame(out, sizeof(out), "OK", 2, 0), 6);
	CU_ASSERT_NSTRING_EQUAL(out, "$OK#9a", 6);
	CU_ASSERT_EQUAL(gdb_frame(out, sizeof(out), "", 0, 0), 4);
	CU_ASSERT_NSTRING_EQUAL(out, "$#00", 4);
	/* Sum modulo 256: "qSupported" is 0x437 -> 0x37. */
	CU_ASSERT_EQUAL(gdb_frame(out, sizeof(out), "qSupported", 10, 0), 14);
	CU_ASSERT_NSTRING_EQUAL(out, "$qSupported#37", 14);
	/* No room: nothing. */
	CU_ASSERT_EQUAL(gdb_frame(out, 5, "OK", 2, 0), 0);
	/* With RLE the checksum covers what is sent. */
	CU_ASSERT_EQUAL(gdb_frame(out, sizeof(out), "0000", 4, GDB_FRAME_RLE),
			7);
	CU_ASSERT_NSTRING_EQUAL(out, "$0* #7a", 7);
}

static void test_rx_whole_and_split(void)
{
	static const char in[] = "+$qSupported:swbreak+#8b$?#3f-";
	struct gdb_rx rx;
	char ev[16];

	/* Every chunk size, down to one byte at a time. */
	for (size_t chunk = 1; chunk <= sizeof(in); chunk++) {
		gdb_rx_init(&rx);
		rx_events(&rx, in, sizeof(in) - 1, chunk, ev, sizeof(ev));
		CU_ASSERT_STRING_EQUAL(ev, "+PP-");
		CU_ASSERT_STRING_EQUAL(rx.buf, "?");
		CU_ASSERT_EQUAL(rx.len, 1);
	}
}

static void test_rx_packet_contents(void)
{
	static const char in[] = "$m4000,10#be";
	struct gdb_rx rx;
	enum gdb_rx_event ev;
	size_t n;

	gdb_rx_init(&rx);
	n = gdb_rx_feed(&rx, (const uint8_t *)in, 5, &ev);
	CU_ASSERT_EQUAL(n, 5);
	CU_ASSERT_EQUAL(ev, GDB_RX_NONE);
	n = gdb_rx_feed(&rx, (const uint8_t *)in + 5, sizeof(in) - 1 - 5, &ev);
	CU_ASSERT_EQUAL(n, sizeof(in) - 1 - 5);
	CU_ASSERT_EQUAL(ev, GDB_RX_PACKET);
	CU_ASSERT_STRING_EQUAL(rx.buf, "m4000,10");
	/* Upper-case checksum digits are fine too. */
	gdb_rx_init(&rx);
	gdb_rx_feed(&rx, (const uint8_t *)"$OK#9A", 6, &ev);
	CU_ASSERT_EQUAL(ev, GDB_RX_PACKET);
}

static void test_rx_bad_and_interrupt(void)
{
	struct gdb_rx rx;
	char ev[16];
	/* A wrong sum, a non-hex one, ^C, noise, a packet. */
	static const char in[] = "$OK#9b$OK#zz\x03junk$OK#9a";

	gdb_rx_init(&rx);
	rx_events(&rx, in, sizeof(in) - 1, 1, ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(ev, "BBIP");
}

static void test_rx_interrupt_inside_packet_is_data(void)
{
	/* X data may carry 0x03 raw: only between packets is it ^C. */
	static const char in[] = "$X0,1:\x03#22";
	struct gdb_rx rx;
	char ev[8];

	gdb_rx_init(&rx);
	rx_events(&rx, in, sizeof(in) - 1, 3, ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(ev, "P");
	CU_ASSERT_EQUAL(rx.len, 6);
	CU_ASSERT_EQUAL(rx.buf[5], 3);
}

static void test_rx_resync_on_dollar(void)
{
	struct gdb_rx rx;
	char ev[8];

	/* A packet whose end was lost is dropped for the next one. */
	gdb_rx_init(&rx);
	rx_events(&rx, "$m0,4$g#67", 10, 2, ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(ev, "P");
	CU_ASSERT_STRING_EQUAL(rx.buf, "g");
}

static void test_rx_too_long(void)
{
	size_t len = GDB_PACKET_MAX + 10;
	char *in = malloc(len + 8);
	struct gdb_rx *rx = malloc(sizeof(*rx));
	unsigned int sum = 0;
	char ev[8];

	CU_ASSERT_PTR_NOT_NULL_FATAL(in);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rx);
	in[0] = '$';
	for (size_t i = 1; i <= len; i++) {
		in[i] = 'a';
		sum += 'a';
	}
	snprintf(in + len + 1, 4, "#%02x", sum & 0xff);
	gdb_rx_init(rx);
	rx_events(rx, in, len + 4, 4096, ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(ev, "L");
	/* And the receiver is fine afterwards. */
	rx_events(rx, "$g#67", 5, 5, ev, sizeof(ev));
	CU_ASSERT_STRING_EQUAL(ev, "P");
	free(in);
	free(rx);
}

static void test_escape_roundtrip(void)
{
	uint8_t in[256], back[512];
	char out[512];
	size_t used, n;
	long m;

	for (unsigned int i = 0; i < 256; i++)
		in[i] = (uint8_t)i;
	n = gdb_escape(out, sizeof(out), in, sizeof(in), &used);
	CU_ASSERT_EQUAL(used, 256);
	CU_ASSERT_EQUAL(n, 256 + 4);	/* #, $, * and } */
	for (size_t i = 0; i < n; i++) {
		CU_ASSERT(out[i] != '#' && out[i] != '$' && out[i] != '*');
		if (out[i] == '}')
			i++;	/* the escaped byte may be anything */
	}
	memcpy(back, out, n);
	m = gdb_unescape(back, n);
	CU_ASSERT_EQUAL(m, 256);
	CU_ASSERT_EQUAL(memcmp(back, in, 256), 0);
}

static void test_escape_bytes(void)
{
	static const uint8_t in[] = { 0x7d, '#', '$', '*', 'a' };
	uint8_t buf[4] = { '}', ']', 'b', '}' };
	char out[16];
	size_t used;

	CU_ASSERT_EQUAL(gdb_escape(out, sizeof(out), in, sizeof(in), &used),
			9);
	CU_ASSERT_NSTRING_EQUAL(out, "}]}\x03}\x04}\x0a" "a", 9);
	/* Out of room: stops before the byte that does not fit. */
	CU_ASSERT_EQUAL(gdb_escape(out, 3, in, sizeof(in), &used), 2);
	CU_ASSERT_EQUAL(used, 1);
	/* A trailing lone escape is an error. */
	CU_ASSERT_EQUAL(gdb_unescape(buf, 4), -1);
	memcpy(buf, "}]b}", 4);
	CU_ASSERT_EQUAL(gdb_unescape(buf, 3), 2);
	CU_ASSERT_EQUAL(buf[0], 0x7d);
	CU_ASSERT_EQUAL(buf[1], 'b');
}

static void rle_check(const char *in, const char *want)
{
	char out[256], back[256];
	size_t n = gdb_rle_encode(out, sizeof(out), in, strlen(in));
	long m;

	CU_ASSERT_EQUAL(n, strlen(want));
	CU_ASSERT_NSTRING_EQUAL(out, want, n);
	m = gdb_rle_decode(back, sizeof(back), out, n);
	CU_ASSERT_EQUAL(m, (long)strlen(in));
	CU_ASSERT_NSTRING_EQUAL(back, in, strlen(in));
}

static void test_rle_manual_examples(void)
{
	/* The gdb manual's: a count of n is sent as n + 29. */
	rle_check("0", "0");
	rle_check("000", "000");
	rle_check("0000", "0* ");
	rle_check("00000", "0*!");
	rle_check("000000", "0*\"");
	/* 7 and 8 would need '#' and '$': shortened to 6 and padded. */
	rle_check("0000000", "0*\"0");
	rle_check("00000000", "0*\"00");
	rle_check("000000000", "0*%");
	rle_check("ab0000c", "ab0* c");
}

static void test_rle_never_special(void)
{
	char in[300], out[300], back[300];

	/* Every run length, none may produce a special count character. */
	for (size_t run = 1; run < sizeof(in); run++) {
		size_t n;
		long m;

		memset(in, 'f', run);
		n = gdb_rle_encode(out, sizeof(out), in, run);
		CU_ASSERT_FATAL(n > 0);
		for (size_t i = 0; i < n; i++) {
			CU_ASSERT(out[i] != '#' && out[i] != '$');
			if (out[i] == '*') {
				char cnt = out[++i];

				CU_ASSERT(cnt >= ' ' && cnt <= '~');
				CU_ASSERT(cnt != '+' && cnt != '-' &&
					  cnt != '*' && cnt != '}');
			}
		}
		m = gdb_rle_decode(back, sizeof(back), out, n);
		CU_ASSERT_EQUAL(m, (long)run);
		CU_ASSERT_EQUAL(memcmp(back, in, run), 0);
	}
	/* A run of '*' is never encoded with '*'. */
	CU_ASSERT_EQUAL(gdb_rle_encode(out, sizeof(out), "*****", 5), 5);
}

static void test_rle_bad_input(void)
{
	char out[8];

	CU_ASSERT_EQUAL(gdb_rle_decode(out, sizeof(out), "*  ", 3), -1);
	CU_ASSERT_EQUAL(gdb_rle_decode(out, sizeof(out), "0*", 2), -1);
	/* Too long for the output. */
	CU_ASSERT_EQUAL(gdb_rle_decode(out, sizeof(out), "0*~", 3), -1);
	CU_ASSERT_EQUAL(gdb_rle_encode(out, 2, "0000", 4), 0);
}

static void test_hex(void)
{
	char out[32];
	uint8_t bytes[4];
	const char *s = "ffff000010000000,4:", *p = s;
	uint64_t v;

	CU_ASSERT_EQUAL(gdb_hex_le(out, 0x1122334455667788ULL, 8), 16);
	CU_ASSERT_NSTRING_EQUAL(out, "8877665544332211", 16);
	CU_ASSERT_EQUAL(gdb_hex_le(out, 0x600003c5ULL, 4), 8);
	CU_ASSERT_NSTRING_EQUAL(out, "c5030060", 8);

	CU_ASSERT(gdb_hex_u64(&p, s + strlen(s), &v));
	CU_ASSERT_EQUAL(v, 0xffff000010000000ULL);
	CU_ASSERT_EQUAL(*p, ',');
	p++;
	CU_ASSERT(gdb_hex_u64(&p, s + strlen(s), &v));
	CU_ASSERT_EQUAL(v, 4);
	/* No digit, more than 64 bits, leading zeros. */
	CU_ASSERT_FALSE(gdb_hex_u64(&p, s + strlen(s), &v));
	s = "10000000000000000";
	p = s;
	CU_ASSERT_FALSE(gdb_hex_u64(&p, s + strlen(s), &v));
	s = "00000000000000000001";
	p = s;
	CU_ASSERT(gdb_hex_u64(&p, s + strlen(s), &v));
	CU_ASSERT_EQUAL(v, 1);

	CU_ASSERT_EQUAL(gdb_hex_decode(bytes, "00Ff7d2A", 4), 0);
	CU_ASSERT_EQUAL(bytes[1], 0xff);
	CU_ASSERT_EQUAL(bytes[3], 0x2a);
	CU_ASSERT_EQUAL(gdb_hex_decode(bytes, "0g", 1), -1);
	CU_ASSERT_EQUAL(gdb_hex_encode(out, bytes, 4), 8);
	CU_ASSERT_NSTRING_EQUAL(out, "00ff7d2a", 8);
}

static const CU_TestInfo gdb_packet_tests[] = {
	{ "frame and checksum", test_frame_checksum },
	{ "packets split at every byte", test_rx_whole_and_split },
	{ "packet contents", test_rx_packet_contents },
	{ "bad checksums and ^C", test_rx_bad_and_interrupt },
	{ "0x03 inside a packet is data", test_rx_interrupt_inside_packet_is_data },
	{ "'$' restarts a packet", test_rx_resync_on_dollar },
	{ "too long", test_rx_too_long },
	{ "escape round trip", test_escape_roundtrip },
	{ "escape bytes", test_escape_bytes },
	{ "RLE: manual's examples", test_rle_manual_examples },
	{ "RLE: no special count characters", test_rle_never_special },
	{ "RLE: bad input", test_rle_bad_input },
	{ "hex", test_hex },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(gdb_packet, gdb_packet_tests);
