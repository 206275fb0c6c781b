// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb stub end to end against a fake machine: packets in as gdb
 * frames them, replies out checked for their checksum and decoded.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/gdb-packet.h>
#include <armz/gdb-regs.h>
#include <armz/gdb.h>
#include <armz/kvm-arm64-abi.h>
#include <armz/le.h>

#include "fake-target.h"
#include "unit.h"

struct sink {
	char data[1 << 16];
	size_t len, pos;
};

static int sink_out(void *ctx, const void *buf, size_t len)
{
	struct sink *s = ctx;

	if (len > sizeof(s->data) - s->len)
		return -ENOSPC;
	memcpy(s->data + s->len, buf, len);
	s->len += len;
	return 0;
}

/* One stub on a fake machine with two vCPUs. */
struct rig {
	struct fake_target t;
	struct sink out;
	struct gdb_server *srv;
	int last_ret;
	char reply[GDB_PACKET_MAX + 1];
};

static struct rig *rig_new_ops(const struct gdb_target_ops *ops)
{
	struct rig *r = calloc(1, sizeof(*r));

	CU_ASSERT_PTR_NOT_NULL_FATAL(r);
	CU_ASSERT_EQUAL_FATAL(fake_target_init(&r->t, 2), 0);
	CU_ASSERT_EQUAL_FATAL(gdb_server_new(ops, &r->t, sink_out, &r->out,
					     &r->srv), 0);
	return r;
}

static struct rig *rig_new(void)
{
	return rig_new_ops(&fake_target_ops);
}

static void rig_free(struct rig *r)
{
	gdb_server_free(r->srv);
	fake_target_free(&r->t);
	free(r);
}

static void feed(struct rig *r, const char *bytes, size_t len)
{
	r->last_ret = gdb_server_input(r->srv, bytes, len);
}

/* Frames a packet as gdb does, with the checksum worked out here. */
static size_t frame(char *buf, size_t cap, const char *data, size_t len)
{
	unsigned int sum = 0;

	CU_ASSERT_FATAL(len + 4 <= cap);
	buf[0] = '$';
	memcpy(buf + 1, data, len);
	for (size_t i = 0; i < len; i++)
		sum += (unsigned char)data[i];
	snprintf(buf + 1 + len, 4, "#%02x", sum & 0xff);
	return len + 4;
}

static void send_bin(struct rig *r, const char *data, size_t len)
{
	static char buf[GDB_PACKET_MAX + 8];
	size_t n = frame(buf, sizeof(buf), data, len);

	feed(r, buf, n);
}

static void send_pkt(struct rig *r, const char *data)
{
	send_bin(r, data, strlen(data));
}

static size_t pending(const struct rig *r)
{
	return r->out.len - r->out.pos;
}

/*
 * The next packet the stub sent, after acks as expected: its checksum
 * is checked and its run-length encoding undone. NULL when none.
 */
static const char *next_packet(struct rig *r, unsigned int acks)
{
	struct sink *s = &r->out;
	const char *start, *hash;
	unsigned int sum = 0, want;
	long n;

	for (unsigned int i = 0; i < acks; i++) {
		CU_ASSERT_FATAL(s->pos < s->len);
		CU_ASSERT_EQUAL(s->data[s->pos], '+');
		s->pos++;
	}
	if (s->pos == s->len)
		return NULL;
	CU_ASSERT_EQUAL_FATAL(s->data[s->pos], '$');
	start = s->data + s->pos + 1;
	hash = memchr(start, '#', s->len - s->pos - 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(hash);
	CU_ASSERT_FATAL(hash + 3 <= s->data + s->len);
	for (const char *p = start; p < hash; p++)
		sum += (unsigned char)*p;
	CU_ASSERT_EQUAL(sscanf(hash + 1, "%2x", &want), 1);
	CU_ASSERT_EQUAL(sum & 0xff, want);
	n = gdb_rle_decode(r->reply, sizeof(r->reply) - 1, start,
			   (size_t)(hash - start));
	CU_ASSERT_FATAL(n >= 0);
	r->reply[n] = '\0';
	s->pos = (size_t)(hash + 3 - s->data);
	return r->reply;
}

/* Sends a packet and checks the ack and the whole reply. */
static void expect(struct rig *r, const char *pkt, const char *reply)
{
	const char *got;

	send_pkt(r, pkt);
	got = next_packet(r, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, reply))
		fprintf(stderr, "\n%s: got \"%.80s\", want \"%.80s\"\n", pkt,
			got, reply);
	CU_ASSERT_STRING_EQUAL(got, reply);
	CU_ASSERT_EQUAL(pending(r), 0);
}

/* Sends a packet and returns the reply. */
static const char *ask(struct rig *r, const char *pkt)
{
	const char *got;

	send_pkt(r, pkt);
	got = next_packet(r, 1);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	return got;
}

/* Sends a packet that resumes the guest: an ack and no reply. */
static void resume(struct rig *r, const char *pkt)
{
	send_pkt(r, pkt);
	CU_ASSERT_PTR_NULL(next_packet(r, 1));
	CU_ASSERT(gdb_server_running(r->srv));
}

static void hello(struct rig *r)
{
	const char *got = ask(r, "qSupported:multiprocess+;swbreak+;"
			      "hwbreak+;qRelocInsn+;fork-events+");

	CU_ASSERT(strstr(got, "PacketSize=4000") != NULL);
	CU_ASSERT(strstr(got, "qXfer:features:read+") != NULL);
	CU_ASSERT(strstr(got, "swbreak+") != NULL);
	CU_ASSERT(strstr(got, "hwbreak+") != NULL);
	CU_ASSERT(strstr(got, "QStartNoAckMode+") != NULL);
	CU_ASSERT(strstr(got, "multiprocess") == NULL);
}

static void hex_of(char *out, const void *bytes, size_t n)
{
	out[gdb_hex_encode(out, bytes, n)] = '\0';
}

static void test_session_start(void)
{
	struct rig *r = rig_new();
	char hex[64];

	hello(r);
	expect(r, "vMustReplyEmpty", "");
	expect(r, "?", "T05thread:1;");
	expect(r, "qfThreadInfo", "m1,2");
	expect(r, "qsThreadInfo", "l");
	expect(r, "qC", "QC1");
	expect(r, "qAttached", "1");
	expect(r, "qSymbol::", "OK");
	expect(r, "T2", "OK");
	expect(r, "T3", "E03");
	expect(r, "T0", "E03");
	expect(r, "Hg2", "OK");
	expect(r, "qC", "QC2");
	expect(r, "Hg0", "OK");		/* any: stays on vCPU 1 */
	expect(r, "qC", "QC2");
	expect(r, "Hg3", "E16");
	expect(r, "Hc-1", "OK");
	expect(r, "Hx1", "E16");
	hex_of(hex, "vCPU 1", 6);
	expect(r, "qThreadExtraInfo,2", hex);
	expect(r, "qThreadExtraInfo,9", "E03");
	expect(r, "qFoo", "");
	expect(r, "!", "");
	rig_free(r);
}

static void test_target_xml(void)
{
	struct rig *r = rig_new();
	size_t need = gdb_target_xml(NULL, 0), got = 0;
	char *want = malloc(need), *xml = malloc(need + 1);
	char pkt[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(want);
	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	gdb_target_xml(want, need);
	/* gdb reads it in chunks until an 'l' reply. */
	for (;;) {
		const char *rep;
		uint8_t *data;
		long n;

		snprintf(pkt, sizeof(pkt),
			 "qXfer:features:read:target.xml:%zx,200", got);
		rep = ask(r, pkt);
		CU_ASSERT_FATAL(rep[0] == 'm' || rep[0] == 'l');
		data = (uint8_t *)r->reply + 1;
		n = gdb_unescape(data, strlen(r->reply + 1));
		CU_ASSERT_FATAL(n >= 0 && n <= 0x200 && got + (size_t)n < need);
		memcpy(xml + got, data, (size_t)n);
		got += (size_t)n;
		if (r->reply[0] == 'l')
			break;
		CU_ASSERT_FATAL(n > 0);
	}
	xml[got] = '\0';
	CU_ASSERT_EQUAL(got, need - 1);
	CU_ASSERT_STRING_EQUAL(xml, want);
	snprintf(pkt, sizeof(pkt), "qXfer:features:read:target.xml:%zx,10",
		 need + 5);
	expect(r, pkt, "l");
	expect(r, "qXfer:features:read:other.xml:0,10", "E02");
	expect(r, "qXfer:features:read:target.xml:zz", "E16");
	free(want);
	free(xml);
	rig_free(r);
}

static void test_registers(void)
{
	struct rig *r = rig_new();
	char g[2 * GDB_G_BYTES + 1], pkt[2 * GDB_G_BYTES + 8];
	const char *rep;

	hello(r);
	rep = ask(r, "g");
	CU_ASSERT_EQUAL_FATAL(strlen(rep), 2 * GDB_G_BYTES);
	CU_ASSERT_NSTRING_EQUAL(rep, "8877665544332211", 16);
	/* x1 of vCPU 0: 0x0101010101010101. */
	CU_ASSERT_NSTRING_EQUAL(rep + 16, "0101010101010101", 16);
	/* sp in EL1h is SP_EL1, then pc, then a 32-bit cpsr. */
	CU_ASSERT_NSTRING_EQUAL(rep + 31 * 16, "002000200000ffff", 16);
	CU_ASSERT_NSTRING_EQUAL(rep + 32 * 16, "000000100000ffff", 16);
	CU_ASSERT_NSTRING_EQUAL(rep + 33 * 16, "c5030000", 8);
	CU_ASSERT_NSTRING_EQUAL(rep + 33 * 16 + 8,
				"000102030405060708090a0b0c0d0e0f", 32);
	CU_ASSERT_NSTRING_EQUAL(rep + 2 * GDB_G_BYTES - 16,
				"100000080000c000", 16);
	memcpy(g, rep, sizeof(g));

	/* One at a time, in gdb's numbers. */
	expect(r, "p0", "8877665544332211");
	expect(r, "p21", "c5030000");
	expect(r, "p23", "010102030405060708090a0b0c0d0e0f");
	expect(r, "p42", "10000008");
	expect(r, "p43", "0000c000");
	expect(r, "p47", "0010004000000000");	/* ttbr1_el1 */
	expect(r, "p4e", "0010000000000000");	/* sp_el0 */
	expect(r, "p50", "E16");
	expect(r, "pzz", "E16");

	/* The other vCPU. */
	expect(r, "Hg2", "OK");
	expect(r, "p0", "8977665544332211");

	/* Writes land in KVM's registers of the selected vCPU. */
	expect(r, "P20=0810000000000fff", "OK");
	CU_ASSERT_EQUAL(fake_get(&r->t, 1, AZ_REG_PC), 0xff0f000000001008ULL);
	CU_ASSERT_EQUAL(fake_get(&r->t, 0, AZ_REG_PC), FAKE_CODE_VA);
	expect(r, "P22=ffeeddccbbaa99887766554433221100", "OK");
	CU_ASSERT(fake_get128(&r->t, 1, AZ_REG_V(0)) ==
		  ((unsigned __int128)0x0011223344556677ULL << 64 |
		   0x8899aabbccddeeffULL));
	expect(r, "P42=01020304", "OK");
	CU_ASSERT_EQUAL(fake_get(&r->t, 1, AZ_REG_FPSR), 0x04030201);
	expect(r, "P20=08", "E16");
	expect(r, "P99=08", "E16");

	/* cpsr keeps PSTATE's upper half, and EL1t moves sp to SP_EL0. */
	fake_set(&r->t, 1, AZ_REG_PSTATE, 0x1000003c5ULL);
	expect(r, "P21=c4030000", "OK");
	CU_ASSERT_EQUAL(fake_get(&r->t, 1, AZ_REG_PSTATE), 0x1000003c4ULL);
	expect(r, "p1f", "0010000000000000");
	/* EL2h: no sp to show. */
	fake_set(&r->t, 1, AZ_REG_PSTATE, 0x3c9);
	expect(r, "p1f", "xxxxxxxxxxxxxxxx");
	rep = ask(r, "g");
	CU_ASSERT_NSTRING_EQUAL(rep + 31 * 16, "xxxxxxxxxxxxxxxx", 16);

	/* G: all of them at once, to vCPU 0. */
	expect(r, "Hg1", "OK");
	memcpy(g + 16, "efbeadde00000000", 16);
	snprintf(pkt, sizeof(pkt), "G%s", g);
	expect(r, pkt, "OK");
	CU_ASSERT_EQUAL(fake_get(&r->t, 0, AZ_REG_X(1)), 0xdeadbeef);
	CU_ASSERT_EQUAL(fake_get(&r->t, 0, AZ_REG_X(0)), 0x1122334455667788ULL);
	pkt[strlen(pkt) - 2] = '\0';
	expect(r, pkt, "E16");
	rig_free(r);
}

static void expect_mem(struct rig *r, uint64_t va, size_t len,
		       const uint8_t *want)
{
	char pkt[64], hex[256];

	snprintf(pkt, sizeof(pkt), "m%llx,%zx", (unsigned long long)va, len);
	hex_of(hex, want, len);
	expect(r, pkt, hex);
}

static void test_memory(void)
{
	struct rig *r = rig_new();
	uint8_t want[8], *lo = fake_ram(&r->t, FAKE_DATA_PA),
		*hi = fake_ram(&r->t, FAKE_DATA_PA + 0x1000);
	char pkt[128];
	const char *rep;
	size_t n;

	hello(r);
	/* Across the page boundary: the pages lie backwards in RAM. */
	memcpy(want, hi + 0xffc, 4);
	memcpy(want + 4, lo, 4);
	expect_mem(r, FAKE_DATA_VA + 0xffc, 8, want);
	/* The same RAM through TTBR0's identity map. */
	expect_mem(r, FAKE_DATA_PA, 4, lo);
	expect(r, "m40000000,0", "");

	/* M across the boundary. */
	snprintf(pkt, sizeof(pkt), "M%llx,6:a1a2a3a4a5a6",
		 (unsigned long long)FAKE_DATA_VA + 0xffd);
	expect(r, pkt, "OK");
	CU_ASSERT_EQUAL(memcmp(hi + 0xffd, "\xa1\xa2\xa3", 3), 0);
	CU_ASSERT_EQUAL(memcmp(lo, "\xa4\xa5\xa6", 3), 0);

	/* X: binary with every byte that needs an escape. */
	n = (size_t)snprintf(pkt, sizeof(pkt), "X%llx,6:",
			     (unsigned long long)FAKE_DATA_VA + 0xffe);
	memcpy(pkt + n, "}]}\x03}\x04}\x0a\x03" "a", 10);
	send_bin(r, pkt, n + 10);
	CU_ASSERT_STRING_EQUAL(next_packet(r, 1), "OK");
	CU_ASSERT_EQUAL(memcmp(hi + 0xffe, "}#", 2), 0);
	CU_ASSERT_EQUAL(memcmp(lo, "$*\x03" "a", 4), 0);
	/* gdb's probe for X, and a length that does not match. */
	snprintf(pkt, sizeof(pkt), "X%llx,0:",
		 (unsigned long long)FAKE_DATA_VA);
	expect(r, pkt, "OK");
	snprintf(pkt, sizeof(pkt), "X%llx,2:a",
		 (unsigned long long)FAKE_DATA_VA);
	expect(r, pkt, "E16");
	snprintf(pkt, sizeof(pkt), "M%llx,2:a1",
		 (unsigned long long)FAKE_DATA_VA);
	expect(r, pkt, "E16");

	/* Unmapped: an error; partly mapped: what there is. */
	snprintf(pkt, sizeof(pkt), "m%llx,4",
		 (unsigned long long)FAKE_DATA_VA + 0x2000);
	expect(r, pkt, "E0e");
	memcpy(want, lo + 0xffe, 2);
	expect_mem(r, FAKE_DATA_VA + 0x1ffe, 2, want);
	snprintf(pkt, sizeof(pkt), "m%llx,4",
		 (unsigned long long)FAKE_DATA_VA + 0x1ffe);
	hex_of(pkt + 64, want, 2);
	expect(r, pkt, pkt + 64);
	snprintf(pkt, sizeof(pkt), "M%llx,4:01020304",
		 (unsigned long long)FAKE_DATA_VA + 0x1ffe);
	expect(r, pkt, "E0e");
	CU_ASSERT_EQUAL(memcmp(lo + 0xffe, want, 2), 0);
	expect(r, "m9000000,4", "E0e");		/* a device, not RAM */
	expect(r, "m40000000", "E16");

	/* A long read is cut to what a reply holds. */
	rep = ask(r, "m40000000,100000");
	CU_ASSERT(strlen(rep) > 1000 && strlen(rep) < GDB_PACKET_MAX);
	rig_free(r);
}

static void test_sw_breakpoints(void)
{
	struct rig *r = rig_new();
	uint8_t *code = fake_ram(&r->t, FAKE_CODE_PA);
	static const uint8_t nops[8] = {
		0x1f, 0x20, 0x03, 0xd5, 0x1f, 0x20, 0x03, 0xd5,
	};
	static const uint8_t brk[4] = { 0x00, 0x00, 0x20, 0xd4 };
	uint8_t want[8];
	char pkt[64];

	hello(r);
	snprintf(pkt, sizeof(pkt), "Z0,%llx,4",
		 (unsigned long long)FAKE_CODE_VA + 8);
	expect(r, pkt, "OK");
	/* BRK #0 in guest memory, little-endian. */
	CU_ASSERT_EQUAL(memcmp(code + 8, brk, 4), 0);
	CU_ASSERT(gdb_server_owns_breakpoint(r->srv, FAKE_CODE_VA + 8));
	CU_ASSERT_FALSE(gdb_server_owns_breakpoint(r->srv, FAKE_CODE_VA + 4));
	/* gdb sees the instruction, not the BRK. */
	expect_mem(r, FAKE_CODE_VA + 4, 8, nops);
	/* Planting twice keeps the real original. */
	expect(r, pkt, "OK");

	/* A write over it: remembered, and the BRK stays. */
	snprintf(pkt, sizeof(pkt), "M%llx,4:aabbccdd",
		 (unsigned long long)FAKE_CODE_VA + 6);
	expect(r, pkt, "OK");
	CU_ASSERT_EQUAL(memcmp(code + 6, "\xaa\xbb\x00\x00\x20\xd4", 6), 0);
	memcpy(want, "\xaa\xbb\xcc\xdd\x03\xd5", 6);
	expect_mem(r, FAKE_CODE_VA + 6, 6, want);

	/* z0 puts back what gdb last wrote there. */
	snprintf(pkt, sizeof(pkt), "z0,%llx,4",
		 (unsigned long long)FAKE_CODE_VA + 8);
	expect(r, pkt, "OK");
	CU_ASSERT_EQUAL(memcmp(code + 8, "\xcc\xdd\x03\xd5", 4), 0);
	CU_ASSERT_FALSE(gdb_server_owns_breakpoint(r->srv, FAKE_CODE_VA + 8));
	expect(r, pkt, "E02");

	/* Wrong kind, unmapped address. */
	snprintf(pkt, sizeof(pkt), "Z0,%llx,2",
		 (unsigned long long)FAKE_CODE_VA);
	expect(r, pkt, "E16");
	/*
	 * Not an instruction's address: a BRK there would never run, and
	 * it would overlap the next one gdb plants, whose original would
	 * then hold half of this BRK.
	 */
	snprintf(pkt, sizeof(pkt), "Z0,%llx,4",
		 (unsigned long long)FAKE_CODE_VA + 0x102);
	expect(r, pkt, "E16");
	CU_ASSERT_EQUAL(memcmp(code + 0x100, nops, 8), 0);
	snprintf(pkt, sizeof(pkt), "Z0,%llx,4",
		 (unsigned long long)FAKE_CODE_VA + 0x1000);
	expect(r, pkt, "E0e");
	CU_ASSERT_FALSE(gdb_server_owns_breakpoint(r->srv,
						   FAKE_CODE_VA + 0x1000));
	expect(r, "Z0,zz", "E16");
	rig_free(r);
}

/*
 * A target that cannot trap BRKs refuses Z0 with an error, never the
 * empty reply that would make gdb write a BRK itself; memory untouched.
 */
static void test_sw_breakpoints_refused(void)
{
	struct rig *r = rig_new();
	uint8_t *code = fake_ram(&r->t, FAKE_CODE_PA);
	char pkt[64];

	hello(r);
	snprintf(pkt, sizeof(pkt), "Z0,%llx,4",
		 (unsigned long long)FAKE_CODE_VA + 8);
	expect(r, pkt, "OK");
	CU_ASSERT_EQUAL(r->t.sw_asks, 1);
	/* Planted already: not asked again. */
	expect(r, pkt, "OK");
	CU_ASSERT_EQUAL(r->t.sw_asks, 1);
	r->t.sw_ret = -ENOTSUP;
	snprintf(pkt, sizeof(pkt), "Z0,%llx,4",
		 (unsigned long long)FAKE_CODE_VA + 12);
	expect(r, pkt, "E26");
	CU_ASSERT_EQUAL(le32_read(code + 12), 0xd503201f);
	CU_ASSERT_FALSE(gdb_server_owns_breakpoint(r->srv, FAKE_CODE_VA + 12));
	r->t.sw_ret = -EIO;
	expect(r, pkt, "E05");
	CU_ASSERT_EQUAL(le32_read(code + 12), 0xd503201f);
	rig_free(r);
}

static void test_hw_points(void)
{
	struct rig *r = rig_new();

	hello(r);
	expect(r, "Z1,ffff000010000010,4", "OK");
	CU_ASSERT_EQUAL(r->t.npoints, 1);
	CU_ASSERT_EQUAL(r->t.points[0].type, GDB_POINT_HW_BREAK);
	CU_ASSERT_EQUAL(r->t.points[0].addr, 0xffff000010000010ULL);
	expect(r, "Z2,ffff000020000008,8", "OK");
	expect(r, "Z3,ffff000020000010,4", "OK");
	expect(r, "Z4,ffff000020000018,1", "OK");
	CU_ASSERT_EQUAL(r->t.npoints, 4);
	CU_ASSERT_EQUAL(r->t.points[3].type, GDB_POINT_WATCH_ACCESS);
	CU_ASSERT_EQUAL(r->t.points[3].len, 1);
	expect(r, "z2,ffff000020000008,8", "OK");
	expect(r, "z2,ffff000020000008,8", "E02");
	CU_ASSERT_EQUAL(r->t.npoints, 3);
	/* Out of slots, and a kind gdb may not use. */
	r->t.point_ret = -ENOSPC;
	expect(r, "Z2,ffff000020000008,8", "E1c");
	expect(r, "Z5,0,4", "");
	rig_free(r);

	/* A target without hardware points says so with empty replies. */
	r = rig_new_ops(&fake_target_ops_no_hw);
	expect(r, "Z1,ffff000010000010,4", "");
	expect(r, "Z2,ffff000020000008,8", "");
	rig_free(r);
}

static void stop(struct rig *r, unsigned int vcpu, enum gdb_stop_reason why,
		 uint64_t addr, const char *reply)
{
	const char *got;

	CU_ASSERT(gdb_server_stopped(r->srv, vcpu, why, addr));
	got = next_packet(r, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, reply);
	CU_ASSERT_FALSE(gdb_server_running(r->srv));
}

static void expect_actions(struct rig *r, enum gdb_resume a0,
			   enum gdb_resume a1)
{
	CU_ASSERT_EQUAL(r->t.actions[0], a0);
	CU_ASSERT_EQUAL(r->t.actions[1], a1);
}

static void test_run_control(void)
{
	struct rig *r = rig_new();
	char pkt[64];

	hello(r);
	/* c: everything runs; the reply is the stop, whenever it comes. */
	resume(r, "c");
	CU_ASSERT_EQUAL(r->t.resumes, 1);
	expect_actions(r, GDB_RESUME_CONT, GDB_RESUME_CONT);
	/* All-stop: nothing else is served while it runs. */
	send_pkt(r, "g");
	CU_ASSERT_PTR_NULL(next_packet(r, 1));
	stop(r, 1, GDB_STOP_SWBREAK, 0, "T05thread:2;swbreak:;");
	/* gdb looks at the thread that stopped. */
	expect(r, "qC", "QC2");
	CU_ASSERT_FALSE(gdb_server_stopped(r->srv, 0, GDB_STOP_TRAP, 0));
	CU_ASSERT_EQUAL(pending(r), 0);

	/* s steps the Hc thread alone. */
	expect(r, "Hc1", "OK");
	resume(r, "s");
	expect_actions(r, GDB_RESUME_STEP, GDB_RESUME_STAY);
	stop(r, 0, GDB_STOP_STEP, 0, "T05thread:1;");
	/* Hc reset by the stop: s steps the current thread. */
	expect(r, "Hg2", "OK");
	resume(r, "s");
	expect_actions(r, GDB_RESUME_STAY, GDB_RESUME_STEP);
	stop(r, 1, GDB_STOP_HWBREAK, 0, "T05thread:2;hwbreak:;");

	/* vCont. */
	expect(r, "vCont?", "vCont;c;C;s;S;t");
	resume(r, "vCont;s:2;c");
	expect_actions(r, GDB_RESUME_CONT, GDB_RESUME_STEP);
	stop(r, 1, GDB_STOP_STEP, 0, "T05thread:2;");
	resume(r, "vCont;c:1");
	expect_actions(r, GDB_RESUME_CONT, GDB_RESUME_STAY);
	stop(r, 0, GDB_STOP_WATCH, 0xffff000020000010ULL,
	     "T05thread:1;watch:ffff000020000010;");
	resume(r, "vCont;S05:1;C05:-1");
	expect_actions(r, GDB_RESUME_STEP, GDB_RESUME_CONT);
	stop(r, 0, GDB_STOP_RWATCH, 0x40, "T05thread:1;rwatch:40;");
	expect(r, "vCont;t", "E16");
	expect(r, "vCont;x", "E16");
	expect(r, "vCont;c:5", "E16");
	expect(r, "vCont;c:1;", "E16");

	/* c and S with an address: the PC moves first. */
	resume(r, "cffff000010000100");
	CU_ASSERT_EQUAL(fake_get(&r->t, 0, AZ_REG_PC), 0xffff000010000100ULL);
	stop(r, 0, GDB_STOP_AWATCH, 0x41, "T05thread:1;awatch:41;");
	snprintf(pkt, sizeof(pkt), "S05;%llx",
		 (unsigned long long)FAKE_CODE_VA + 0x40);
	resume(r, pkt);
	CU_ASSERT_EQUAL(fake_get(&r->t, 0, AZ_REG_PC), FAKE_CODE_VA + 0x40);
	expect_actions(r, GDB_RESUME_STEP, GDB_RESUME_STAY);
	stop(r, 0, GDB_STOP_STEP, 0, "T05thread:1;");
	resume(r, "C05");
	expect_actions(r, GDB_RESUME_CONT, GDB_RESUME_CONT);
	stop(r, 0, GDB_STOP_TRAP, 0, "T05thread:1;");
	expect(r, "cxyz", "E16");
	expect(r, "?", "T05thread:1;");

	/* Ctrl-C: one interrupt however many bytes, and T02. */
	resume(r, "c");
	feed(r, "\x03\x03", 2);
	CU_ASSERT_EQUAL(r->t.interrupts, 1);
	CU_ASSERT_EQUAL(pending(r), 0);
	stop(r, 0, GDB_STOP_INTERRUPT, 0, "T02thread:1;");
	expect(r, "?", "T02thread:1;");
	/* A vCPU number the target got wrong is not passed on to gdb. */
	resume(r, "c");
	stop(r, 7, GDB_STOP_TRAP, 0, "T05thread:1;");
	/* Stopped already: ^C does nothing. */
	feed(r, "\x03", 1);
	CU_ASSERT_EQUAL(r->t.interrupts, 1);
	CU_ASSERT_EQUAL(pending(r), 0);
	rig_free(r);
}

static void test_stop_reasons_gdb_does_not_know(void)
{
	struct rig *r = rig_new();

	/* A gdb that did not ask for swbreak/hwbreak gets plain T05. */
	expect(r, "qSupported:multiprocess+", "PacketSize=4000;"
	       "qXfer:features:read+;swbreak+;hwbreak+;QStartNoAckMode+;"
	       "vContSupported+");
	resume(r, "c");
	stop(r, 0, GDB_STOP_SWBREAK, 0, "T05thread:1;");
	resume(r, "c");
	stop(r, 1, GDB_STOP_HWBREAK, 0, "T05thread:2;");
	rig_free(r);
}

static void test_acks(void)
{
	struct rig *r = rig_new();
	const char *got;
	char first[64];
	static const char bad[] = "$qC#00";
	static const char split[] = "+$qC#b4$?#3f";

	/* A bad checksum is NAKed; gdb's NAK gets the reply again. */
	feed(r, bad, sizeof(bad) - 1);
	CU_ASSERT_EQUAL(pending(r), 1);
	CU_ASSERT_EQUAL(r->out.data[r->out.pos++], '-');
	got = ask(r, "qC");
	snprintf(first, sizeof(first), "%s", got);
	feed(r, "-", 1);
	got = next_packet(r, 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	CU_ASSERT_STRING_EQUAL(got, first);
	feed(r, "+", 1);
	CU_ASSERT_EQUAL(pending(r), 0);

	/* Packets split anywhere, one byte at a time. */
	for (size_t i = 0; i < sizeof(split) - 1; i++)
		feed(r, split + i, 1);
	CU_ASSERT_STRING_EQUAL(next_packet(r, 1), "QC1");
	CU_ASSERT_STRING_EQUAL(next_packet(r, 1), "T05thread:1;");

	/* No-ack mode: gdb acks the OK, then nobody acks. */
	expect(r, "QStartNoAckMode", "OK");
	feed(r, "+", 1);
	send_pkt(r, "qC");
	CU_ASSERT_STRING_EQUAL(next_packet(r, 0), "QC1");
	feed(r, bad, sizeof(bad) - 1);
	CU_ASSERT_EQUAL(pending(r), 0);
	rig_free(r);
}

static void test_rle_replies(void)
{
	struct rig *r = rig_new();
	const char *start;

	hello(r);
	/* Registers full of zeros travel compressed. */
	for (unsigned int i = 0; i < 31; i++)
		fake_set(&r->t, 0, AZ_REG_X(i), 0);
	send_pkt(r, "g");
	CU_ASSERT_EQUAL(r->out.data[r->out.pos], '+');
	start = r->out.data + r->out.pos + 1;
	CU_ASSERT(memchr(start, '*', r->out.len - r->out.pos - 1) != NULL);
	CU_ASSERT(r->out.len - r->out.pos < 2 * GDB_G_BYTES - 400);
	CU_ASSERT_EQUAL(strlen(next_packet(r, 1)), 2 * GDB_G_BYTES);
	CU_ASSERT_NSTRING_EQUAL(r->reply, "00000000000000000000000000000000",
				32);
	rig_free(r);
}

static void plant(struct rig *r, uint64_t va)
{
	char pkt[64];

	snprintf(pkt, sizeof(pkt), "Z0,%llx,4", (unsigned long long)va);
	expect(r, pkt, "OK");
}

static void test_detach(void)
{
	struct rig *r = rig_new();
	uint8_t *code = fake_ram(&r->t, FAKE_CODE_PA);

	hello(r);
	plant(r, FAKE_CODE_VA);
	plant(r, FAKE_CODE_VA + 12);
	CU_ASSERT_EQUAL(le32_read(code), GDB_BRK_INSN);
	expect(r, "D", "OK");
	CU_ASSERT_EQUAL(r->last_ret, 1);
	CU_ASSERT_EQUAL(r->t.detaches, 1);
	CU_ASSERT_EQUAL(le32_read(code), 0xd503201f);
	CU_ASSERT_EQUAL(le32_read(code + 12), 0xd503201f);
	CU_ASSERT(gdb_server_done(r->srv));
	/* Nothing more is served. */
	send_pkt(r, "g");
	CU_ASSERT_EQUAL(r->last_ret, 1);
	CU_ASSERT_EQUAL(pending(r), 0);
	rig_free(r);
}

static void test_kill(void)
{
	struct rig *r = rig_new();

	hello(r);
	plant(r, FAKE_CODE_VA);
	send_pkt(r, "k");
	CU_ASSERT_EQUAL(r->last_ret, 1);
	CU_ASSERT_EQUAL(r->t.kills, 1);
	CU_ASSERT_PTR_NULL(next_packet(r, 1));
	CU_ASSERT_EQUAL(le32_read(fake_ram(&r->t, FAKE_CODE_PA)), 0xd503201f);
	CU_ASSERT(gdb_server_done(r->srv));
	rig_free(r);
}

static void test_connection_lost(void)
{
	struct rig *r = rig_new();
	uint8_t *code = fake_ram(&r->t, FAKE_CODE_PA);

	/* While stopped: breakpoints out, guest on. */
	hello(r);
	plant(r, FAKE_CODE_VA);
	gdb_server_disconnected(r->srv);
	CU_ASSERT(gdb_server_done(r->srv));
	CU_ASSERT_EQUAL(r->t.detaches, 1);
	CU_ASSERT_EQUAL(le32_read(code), 0xd503201f);
	rig_free(r);

	/* While running: first the guest stops, then the same. */
	r = rig_new();
	code = fake_ram(&r->t, FAKE_CODE_PA);
	hello(r);
	plant(r, FAKE_CODE_VA);
	resume(r, "c");
	gdb_server_disconnected(r->srv);
	CU_ASSERT_EQUAL(r->t.interrupts, 1);
	CU_ASSERT_FALSE(gdb_server_done(r->srv));
	CU_ASSERT_EQUAL(le32_read(code), GDB_BRK_INSN);
	CU_ASSERT(gdb_server_stopped(r->srv, 0, GDB_STOP_INTERRUPT, 0));
	CU_ASSERT(gdb_server_done(r->srv));
	CU_ASSERT_EQUAL(le32_read(code), 0xd503201f);
	CU_ASSERT_EQUAL(r->t.detaches, 1);
	CU_ASSERT_EQUAL(pending(r), 0);		/* nobody to tell */
	rig_free(r);
}

static void test_guest_exit(void)
{
	struct rig *r = rig_new();

	hello(r);
	resume(r, "c");
	gdb_server_exited(r->srv, 0);
	CU_ASSERT_STRING_EQUAL(next_packet(r, 0), "W00");
	expect(r, "?", "W00");
	expect(r, "g", "E03");
	expect(r, "vCont;c", "E03");
	expect(r, "c", "E03");
	CU_ASSERT_EQUAL(r->t.resumes, 1);
	expect(r, "qC", "QC1");
	rig_free(r);
}

/* The fake's pretend CPU runs to a planted BRK: a whole debug loop. */
static void test_break_continue_step(void)
{
	struct rig *r = rig_new();
	enum gdb_stop_reason why;
	unsigned int v;
	char pc[20];

	hello(r);
	plant(r, FAKE_CODE_VA + 0x20);
	resume(r, "c");
	v = fake_target_run(&r->t, 100, &why);
	CU_ASSERT_EQUAL(why, GDB_STOP_SWBREAK);
	CU_ASSERT(gdb_server_owns_breakpoint(r->srv,
					     fake_get(&r->t, v, AZ_REG_PC)));
	stop(r, v, why, 0, "T05thread:1;swbreak:;");
	gdb_hex_le(pc, FAKE_CODE_VA + 0x20, 8);
	pc[16] = '\0';
	expect(r, "p20", pc);
	/* gdb steps over it: remove, step, re-plant, continue. */
	expect(r, "z0,ffff000010000020,4", "OK");
	resume(r, "vCont;s:1");
	v = fake_target_run(&r->t, 100, &why);
	stop(r, v, why, 0, "T05thread:1;");
	gdb_hex_le(pc, FAKE_CODE_VA + 0x24, 8);
	expect(r, "p20", pc);
	plant(r, FAKE_CODE_VA + 0x20);
	resume(r, "c");
	v = fake_target_run(&r->t, 100, &why);
	CU_ASSERT_EQUAL(why, GDB_STOP_INTERRUPT);
	rig_free(r);
}

static const CU_TestInfo gdb_server_tests[] = {
	{ "session start and threads", test_session_start },
	{ "target.xml in chunks", test_target_xml },
	{ "registers: g, G, p, P", test_registers },
	{ "memory across pages: m, M, X", test_memory },
	{ "software breakpoints", test_sw_breakpoints },
	{ "a target that cannot trap BRKs refuses Z0", test_sw_breakpoints_refused },
	{ "hardware breakpoints and watchpoints", test_hw_points },
	{ "run control and stop replies", test_run_control },
	{ "stop reasons gdb did not ask for", test_stop_reasons_gdb_does_not_know },
	{ "acks, NAKs, no-ack mode", test_acks },
	{ "run-length encoded replies", test_rle_replies },
	{ "detach", test_detach },
	{ "kill", test_kill },
	{ "connection lost", test_connection_lost },
	{ "guest exit", test_guest_exit },
	{ "break, step over, continue", test_break_continue_step },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(gdb_server, gdb_server_tests);
