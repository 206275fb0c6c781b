// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the gdb stub (vmm/gdb-server.c, vmm/gdb-packet.c,
 * vmm/gdb-regs.c, vmm/mmu-walk.c) as whoever reaches --gdb's socket
 * drives it, in front of the KVM-free machine of tests/unit/fake-target.c.
 *
 * The input: a header (u8 vCPUs - 1, u8 flags: 1 no hardware points),
 * then ops, a byte each with its arguments:
 *   0  bytes from gdb: blob            1  the guest runs: u16 instructions
 *   2  the guest stops: u8 vCPU, u8 reason, u64 address
 *   3  the guest exits: u8 status      4  the connection drops
 *
 * The machine has no identity map (see LLVMFuzzerTestOneInput()).
 * Checked: the stub sends nothing but '+', '-' and packets whose checksum
 * is right; it fails only when its output does; and when the session
 * ends, memory is what gdb was shown. Before gdb leaves, the harness
 * reads the code and data pages through the stub ("m", which hides
 * planted breakpoints), drops the connection, and compares with what the
 * pages hold once the stub has taken its breakpoints out.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/gdb-packet.h>
#include <armz/gdb.h>
#include <armz/kvm-arm64-abi.h>
#include <armz/util.h>

#include "../unit/fake-target.h"
#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A page of guest RAM the fake machine leaves zero. */
#define NO_MAP		(FAKE_RAM_GPA + 0x100000)

/* What the stub sent since the last look. */
static struct {
	char buf[4 * GDB_PACKET_MAX];
	size_t len;
	bool overflow;
} out;

static void out_check(const char **last, size_t *last_len);

static int out_write(void *ctx, const void *buf, size_t len)
{
	const char *last;
	size_t n;

	(void)ctx;
	/* gdb may have asked for a lot ('-' after '-'): look at it now. */
	if (len > sizeof(out.buf) - out.len)
		out_check(&last, &n);
	if (len > sizeof(out.buf)) {
		out.overflow = true;
		return 0;
	}
	memcpy(out.buf + out.len, buf, len);
	out.len += len;
	return 0;
}

static int hexval(char c)
{
	int v = gdb_hex_digit((unsigned char)c);

	if (v < 0)
		fz_fail("output: '%c' in a checksum", c);
	return v;
}

/*
 * Checks the output is acks and good packets; *last gets the data of the
 * last packet (still run-length encoded), NULL when there is none.
 */
static void out_check(const char **last, size_t *last_len)
{
	size_t i = 0;

	*last = NULL;
	*last_len = 0;
	if (out.overflow)
		fz_fail("output: a write of more than %zu bytes",
			sizeof(out.buf));
	while (i < out.len) {
		char c = out.buf[i++];
		const char *hash;
		uint8_t sum = 0;
		size_t start = i;

		if (c == '+' || c == '-')
			continue;
		if (c != '$')
			fz_fail("output: 0x%02x outside a packet", (uint8_t)c);
		hash = memchr(out.buf + i, '#', out.len - i);
		if (!hash || (size_t)(hash - out.buf) + 3 > out.len)
			fz_fail("output: a packet without its checksum");
		for (; out.buf + i < hash; i++) {
			if (out.buf[i] == '$')
				fz_fail("output: '$' inside a packet");
			sum += (uint8_t)out.buf[i];
		}
		if (i - start > GDB_PACKET_MAX)
			fz_fail("output: a packet of %zu bytes", i - start);
		if ((hexval(hash[1]) << 4 | hexval(hash[2])) != sum)
			fz_fail("output: wrong checksum %.2s", hash + 1);
		*last = out.buf + start;
		*last_len = i - start;
		i += 3;
	}
	out.len = 0;
}

static void input(struct gdb_server *srv, const void *buf, size_t len)
{
	int r = gdb_server_input(srv, buf, len);

	if (r < 0)
		fz_fail("input: %d, though every write succeeded", r);
}

/* Sends data as one packet; returns its reply, decoded, or -1. */
static long request(struct gdb_server *srv, const char *data, char *reply,
		    size_t cap)
{
	char framed[64];
	const char *last;
	size_t n, len = gdb_frame(framed, sizeof(framed), data, strlen(data),
				  0);

	if (gdb_server_input(srv, framed, len) < 0)
		fz_fail("input: failed, though every write succeeded");
	out_check(&last, &n);
	if (!last)
		return -1;
	return gdb_rle_decode(reply, cap, last, n);
}

/* A range of guest memory as gdb sees it, through vCPU 0. */
struct view {
	uint64_t va;
	size_t len;
	bool ok;
	uint8_t bytes[0x1000];
};

static void view_take(struct gdb_server *srv, struct view *v)
{
	static char reply[GDB_PACKET_MAX + 1];
	char cmd[48];
	long n;

	snprintf(cmd, sizeof(cmd), "m%llx,%zx", (unsigned long long)v->va,
		 v->len);
	n = request(srv, cmd, reply, sizeof(reply));
	v->ok = n == (long)(2 * v->len) &&
		!gdb_hex_decode(v->bytes, reply, v->len);
}

static void view_check(struct fake_target *t, const struct view *v)
{
	static uint8_t now[sizeof(v->bytes)];
	struct mmu_regs r = fake_mmu(t, 0);

	if (!v->ok)
		return;
	if (mmu_read(&t->mem, &r, v->va, now, v->len) != (ssize_t)v->len)
		fz_fail("memory at %#llx: readable to gdb, not after it left",
			(unsigned long long)v->va);
	for (size_t i = 0; i < v->len; i++)
		if (now[i] != v->bytes[i])
			fz_fail("memory at %#llx: gdb was shown %02x, it holds "
				"%02x after gdb left",
				(unsigned long long)v->va + i, v->bytes[i],
				now[i]);
}

/* The stub's last word on memory: what it showed is what stays. */
static void session_end(struct fake_target *t, struct gdb_server *srv)
{
	static struct view views[] = {
		{ .va = FAKE_CODE_VA, .len = 0x1000 },
		{ .va = FAKE_DATA_VA, .len = 0x1000 },
		{ .va = FAKE_DATA_VA + 0x1000, .len = 0x1000 },
	};
	char reply[64];
	size_t i;

	if (gdb_server_done(srv))
		return;
	if (gdb_server_running(srv))
		gdb_server_stopped(srv, 0, GDB_STOP_INTERRUPT, 0);
	out.len = 0;
	for (i = 0; i < ARRAY_SIZE(views); i++)
		views[i].ok = false;
	/* In the middle of a packet, '$' starts a new one. */
	if (!gdb_server_running(srv) &&
	    request(srv, "Hg1", reply, sizeof(reply)) == 2 &&
	    !memcmp(reply, "OK", 2))
		for (i = 0; i < ARRAY_SIZE(views); i++)
			view_take(srv, &views[i]);
	gdb_server_disconnected(srv);
	if (gdb_server_running(srv))
		gdb_server_stopped(srv, 0, GDB_STOP_INTERRUPT, 0);
	if (!gdb_server_done(srv))
		fz_fail("session not over after the connection dropped");
	for (i = 0; i < ARRAY_SIZE(views); i++)
		view_check(t, &views[i]);
}

static void guest_stops(struct gdb_server *srv, struct fz *f)
{
	unsigned int vcpu = fz_u8(f);
	enum gdb_stop_reason why = fz_u8(f) % (GDB_STOP_INTERRUPT + 1);
	uint64_t addr = fz_u64(f);

	gdb_server_stopped(srv, vcpu, why, addr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct fake_target t;
	struct fz f = { data, size };
	unsigned int nr = fz_u8(&f) % FAKE_MAX_VCPUS + 1;
	bool no_hw = fz_u8(&f) & 1;
	struct gdb_server *srv;
	enum gdb_stop_reason why;
	const uint8_t *buf;
	const char *last;
	unsigned int v;
	size_t len;

	if (fake_target_init(&t, nr))
		abort();
	/*
	 * No identity map (TTBR0 at a page of zeros): then the one address
	 * a breakpoint is planted through is the only one that reaches its
	 * word, and what gdb was shown can be held to memory byte for byte.
	 * An alias would show a breakpoint planted through the other one,
	 * as it would to gdb itself.
	 */
	for (v = 0; v < nr; v++)
		fake_set(&t, v, AZ_REG_TTBR0_EL1, NO_MAP);
	out.len = 0;
	out.overflow = false;
	if (gdb_server_new(no_hw ? &fake_target_ops_no_hw : &fake_target_ops,
			   &t, out_write, NULL, &srv))
		abort();
	while (fz_more(&f) && !gdb_server_done(srv)) {
		switch (fz_u8(&f) % 5) {
		case 0:
			buf = fz_blob(&f, 2 * GDB_PACKET_MAX, &len);
			input(srv, buf, len);
			break;
		case 1:
			if (!gdb_server_running(srv) || !t.running)
				break;
			v = fake_target_run(&t, fz_u16(&f) % 4096, &why);
			gdb_server_stopped(srv, v, why, 0);
			break;
		case 2:
			guest_stops(srv, &f);
			break;
		case 3:
			gdb_server_exited(srv, fz_u8(&f));
			break;
		default:
			gdb_server_disconnected(srv);
			break;
		}
		out_check(&last, &len);
	}
	session_end(&t, srv);
	gdb_server_free(srv);
	fake_target_free(&t);
	return 0;
}
