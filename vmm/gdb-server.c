// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb remote serial protocol server (gdb manual, "Remote Protocol":
 * "Packets", "Stop Reply Packets", "General Query Packets"), all-stop,
 * one connection. Bytes in, bytes out, the machine behind struct
 * gdb_target_ops: see armz/gdb.h for threads and ownership.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/gdb-packet.h>
#include <armz/gdb-regs.h>
#include <armz/gdb.h>
#include <armz/le.h>

/* More than any gdb session plants; bounds what gdb can make us hold. */
#define GDB_MAX_SW_BREAKPOINTS	65536
/* Longest m/M/X: its hex reply must fit a packet. */
#define GDB_MEM_MAX		(GDB_PACKET_MAX / 2 - 8)

enum gdb_state {
	GDB_STATE_STOPPED,
	GDB_STATE_RUNNING,
	GDB_STATE_LEAVING,	/* connection lost while running */
	GDB_STATE_EXITED,	/* the guest is gone */
	GDB_STATE_DONE,		/* detached or killed */
};

struct gdb_sw_breakpoint {
	uint64_t addr;
	uint8_t orig[4];
};

struct gdb_server {
	const struct gdb_target_ops *ops;
	void *target;
	gdb_out_fn out;
	void *out_ctx;
	int out_err;

	enum gdb_state state;
	bool no_ack;
	bool gdb_swbreak;	/* gdb understands the swbreak stop reason */
	bool gdb_hwbreak;
	bool interrupting;
	unsigned int g_vcpu;	/* Hg: registers and memory */
	int c_vcpu;		/* Hc: what 's' steps; -1 all */
	unsigned int stop_vcpu;
	enum gdb_stop_reason stop_reason;
	uint64_t stop_addr;
	unsigned int exit_status;

	struct gdb_sw_breakpoint *bps;
	size_t nbps, bps_cap;

	char *xml;
	size_t xml_len;

	size_t reply_len;
	bool reply_full;
	char reply[GDB_PACKET_MAX];
	size_t last_len;	/* the last packet sent, framed, for '-' */
	char last[GDB_PACKET_MAX + 4];
	uint8_t mem[GDB_PACKET_MAX];	/* memory and registers for gdb */
	uint8_t wbuf[GDB_PACKET_MAX];	/* what a write puts in memory */
	struct gdb_rx rx;
};

/* A cursor over a packet's arguments. */
struct cur {
	const char *p, *end;
};

static bool cur_hex(struct cur *c, uint64_t *v)
{
	return gdb_hex_u64(&c->p, c->end, v);
}

static bool cur_char(struct cur *c, char ch)
{
	if (c->p < c->end && *c->p == ch) {
		c->p++;
		return true;
	}
	return false;
}

static bool cur_done(const struct cur *c)
{
	return c->p == c->end;
}

static bool cur_prefix(struct cur *c, const char *s)
{
	size_t n = strlen(s);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, s, n))
		return false;
	c->p += n;
	return true;
}

static size_t cur_left(const struct cur *c)
{
	return (size_t)(c->end - c->p);
}

/* Thread ids: "-1" all, "0" any, else vCPU + 1 in hex. */
static bool cur_tid(struct cur *c, long *tid)
{
	uint64_t v;

	if (cur_prefix(c, "-1")) {
		*tid = -1;
		return true;
	}
	if (!cur_hex(c, &v) || v > 0x7fffffff)
		return false;
	*tid = (long)v;
	return true;
}

static unsigned int gdb_nr_vcpus(const struct gdb_server *srv)
{
	return srv->ops->nr_vcpus(srv->target);
}

static bool gdb_tid_valid(const struct gdb_server *srv, long tid)
{
	return tid >= 1 && (unsigned long)tid <= gdb_nr_vcpus(srv);
}

static void reply_add(struct gdb_server *srv, const char *s, size_t n)
{
	if (n > sizeof(srv->reply) - srv->reply_len) {
		srv->reply_full = true;
		return;
	}
	memcpy(srv->reply + srv->reply_len, s, n);
	srv->reply_len += n;
}

static void reply_str(struct gdb_server *srv, const char *s)
{
	reply_add(srv, s, strlen(s));
}

static void reply_fmt(struct gdb_server *srv, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void reply_fmt(struct gdb_server *srv, const char *fmt, ...)
{
	char buf[128];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (n > 0)
		reply_add(srv, buf, (size_t)n < sizeof(buf) ? (size_t)n :
			  sizeof(buf) - 1);
}

static void reply_hex(struct gdb_server *srv, const uint8_t *b, size_t n)
{
	if (2 * n > sizeof(srv->reply) - srv->reply_len) {
		srv->reply_full = true;
		return;
	}
	srv->reply_len += gdb_hex_encode(srv->reply + srv->reply_len, b, n);
}

/* "Enn": gdb shows no more than that something failed. */
static void reply_error(struct gdb_server *srv, int err)
{
	srv->reply_len = 0;
	reply_fmt(srv, "E%02x", (unsigned int)(err < 0 ? -err : err) & 0xff);
}

static void gdb_write(struct gdb_server *srv, const void *buf, size_t len)
{
	int r;

	if (srv->out_err)
		return;
	r = srv->out(srv->out_ctx, buf, len);
	if (r < 0)
		srv->out_err = r;
}

static void gdb_send_reply(struct gdb_server *srv)
{
	if (srv->reply_full) {
		/* A bug, not gdb's: say so rather than send half a reply. */
		srv->reply_full = false;
		reply_error(srv, ENOBUFS);
	}
	srv->last_len = gdb_frame(srv->last, sizeof(srv->last), srv->reply,
				  srv->reply_len, GDB_FRAME_RLE);
	gdb_write(srv, srv->last, srv->last_len);
}

static void reply_stop(struct gdb_server *srv)
{
	static const char *const watch[] = {
		[GDB_STOP_WATCH] = "watch",
		[GDB_STOP_RWATCH] = "rwatch",
		[GDB_STOP_AWATCH] = "awatch",
	};
	enum gdb_stop_reason why = srv->stop_reason;

	if (srv->state == GDB_STATE_EXITED) {
		reply_fmt(srv, "W%02x", srv->exit_status & 0xff);
		return;
	}
	/* SIGINT for Ctrl-C, SIGTRAP for everything else (gdb's numbers). */
	reply_fmt(srv, "T%02xthread:%x;", why == GDB_STOP_INTERRUPT ? 2 : 5,
		  srv->stop_vcpu + 1);
	switch (why) {
	case GDB_STOP_SWBREAK:
		if (srv->gdb_swbreak)
			reply_str(srv, "swbreak:;");
		break;
	case GDB_STOP_HWBREAK:
		if (srv->gdb_hwbreak)
			reply_str(srv, "hwbreak:;");
		break;
	case GDB_STOP_WATCH:
	case GDB_STOP_RWATCH:
	case GDB_STOP_AWATCH:
		reply_fmt(srv, "%s:%llx;", watch[why],
			  (unsigned long long)srv->stop_addr);
		break;
	default:
		break;
	}
}

/* Software breakpoints: the table and what memory looks like to gdb. */

static struct gdb_sw_breakpoint *gdb_bp_find(const struct gdb_server *srv,
					     uint64_t addr)
{
	for (size_t i = 0; i < srv->nbps; i++)
		if (srv->bps[i].addr == addr)
			return &srv->bps[i];
	return NULL;
}

bool gdb_server_owns_breakpoint(const struct gdb_server *srv, uint64_t addr)
{
	return gdb_bp_find(srv, addr) != NULL;
}

/* Shows the instructions a planted BRK hides in what read_mem gave. */
static void gdb_bp_shadow_read(const struct gdb_server *srv, uint64_t addr,
			       uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < srv->nbps; i++)
		for (unsigned int k = 0; k < 4; k++) {
			uint64_t off = srv->bps[i].addr + k - addr;

			if (off < len)
				buf[off] = srv->bps[i].orig[k];
		}
}

/*
 * gdb writes over a planted BRK: the new bytes become the original
 * instruction and the BRK stays in memory.
 */
static int gdb_mem_write(struct gdb_server *srv, uint64_t addr,
			 const uint8_t *buf, size_t len)
{
	uint8_t brk[4];
	int r;

	le32_write(brk, GDB_BRK_INSN);
	memcpy(srv->wbuf, buf, len);
	for (size_t i = 0; i < srv->nbps; i++)
		for (unsigned int k = 0; k < 4; k++) {
			uint64_t off = srv->bps[i].addr + k - addr;

			if (off < len)
				srv->wbuf[off] = brk[k];
		}
	r = srv->ops->write_mem(srv->target, srv->g_vcpu, addr, srv->wbuf,
				len);
	if (r < 0)
		return r;
	for (size_t i = 0; i < srv->nbps; i++)
		for (unsigned int k = 0; k < 4; k++) {
			uint64_t off = srv->bps[i].addr + k - addr;

			if (off < len)
				srv->bps[i].orig[k] = buf[off];
		}
	return 0;
}

static int gdb_bp_insert(struct gdb_server *srv, uint64_t addr)
{
	struct gdb_sw_breakpoint *bp;
	uint8_t brk[4];
	ssize_t n;
	int r;

	if (gdb_bp_find(srv, addr))
		return 0;	/* gdb plants an address once: idempotent */
	/*
	 * A64 instructions are 4-byte aligned (PC alignment fault else), so
	 * no BRK elsewhere would run; and breakpoints that overlap would
	 * each remember a part of the other as their original.
	 */
	if (addr & 3)
		return -EINVAL;
	/*
	 * Can the target trap a BRK? Else the guest would take it. A
	 * refusal is an error, not the empty reply: on that gdb would
	 * write a BRK into memory itself.
	 */
	if (srv->ops->insert_point) {
		r = srv->ops->insert_point(srv->target, GDB_POINT_SW_BREAK,
					   addr, GDB_BRK_KIND);
		if (r < 0)
			return r == -ENOTSUP ? -ENOSYS : r;
	}
	if (srv->nbps == srv->bps_cap) {
		size_t cap = srv->bps_cap ? 2 * srv->bps_cap : 16;

		if (cap > GDB_MAX_SW_BREAKPOINTS)
			return -ENOSPC;
		bp = realloc(srv->bps, cap * sizeof(*bp));
		if (!bp)
			return -ENOMEM;
		srv->bps = bp;
		srv->bps_cap = cap;
	}
	bp = &srv->bps[srv->nbps];
	bp->addr = addr;
	n = srv->ops->read_mem(srv->target, srv->g_vcpu, addr, bp->orig, 4);
	if (n < 0)
		return (int)n;
	if (n < 4)
		return -EFAULT;
	le32_write(brk, GDB_BRK_INSN);
	r = srv->ops->write_mem(srv->target, srv->g_vcpu, addr, brk, 4);
	if (r < 0)
		return r;
	srv->nbps++;
	return 0;
}

static int gdb_bp_remove(struct gdb_server *srv, uint64_t addr)
{
	struct gdb_sw_breakpoint *bp = gdb_bp_find(srv, addr);
	int r;

	if (!bp)
		return -ENOENT;
	r = srv->ops->write_mem(srv->target, srv->g_vcpu, addr, bp->orig, 4);
	if (r < 0)
		return r;
	*bp = srv->bps[--srv->nbps];
	return 0;
}

/* Puts every planted instruction back (D, k, a lost connection). */
static void gdb_bp_remove_all(struct gdb_server *srv)
{
	while (srv->nbps) {
		struct gdb_sw_breakpoint *bp = &srv->bps[srv->nbps - 1];

		/*
		 * A page the guest unmapped since keeps its BRK: nothing
		 * more can be done about it, so the entry goes anyway.
		 */
		srv->ops->write_mem(srv->target, srv->g_vcpu, bp->addr,
				    bp->orig, 4);
		srv->nbps--;
	}
}

/* Packets. Each handler leaves its reply in srv->reply. */

static void gdb_cmd_read_regs(struct gdb_server *srv)
{
	uint8_t val[GDB_REG_MAX_BYTES];

	for (unsigned int r = 0; r < GDB_NR_G_REGS; r++) {
		unsigned int n = gdb_reg_size(r);

		if (srv->ops->read_reg(srv->target, srv->g_vcpu, r, val) < 0) {
			for (unsigned int i = 0; i < 2 * n; i++)
				reply_add(srv, "x", 1);
			continue;
		}
		reply_hex(srv, val, n);
	}
}

static void gdb_cmd_write_regs(struct gdb_server *srv, struct cur *c)
{
	uint8_t *val = srv->mem;
	size_t off = 0;
	int r;

	if (cur_left(c) != 2 * GDB_G_BYTES ||
	    gdb_hex_decode(val, c->p, GDB_G_BYTES)) {
		reply_error(srv, EINVAL);
		return;
	}
	for (unsigned int i = 0; i < GDB_NR_G_REGS; i++) {
		r = srv->ops->write_reg(srv->target, srv->g_vcpu, i, val + off);
		if (r < 0) {
			reply_error(srv, r);
			return;
		}
		off += gdb_reg_size(i);
	}
	reply_str(srv, "OK");
}

static void gdb_cmd_read_reg(struct gdb_server *srv, struct cur *c)
{
	uint8_t val[GDB_REG_MAX_BYTES];
	uint64_t regno;
	unsigned int n = 0;
	int r;

	if (cur_hex(c, &regno) && cur_done(c) && regno < GDB_NR_REGS)
		n = gdb_reg_size((unsigned int)regno);
	if (!n) {
		reply_error(srv, EINVAL);
		return;
	}
	r = srv->ops->read_reg(srv->target, srv->g_vcpu, (unsigned int)regno,
			       val);
	if (r == -ENOENT) {
		for (unsigned int i = 0; i < 2 * n; i++)
			reply_add(srv, "x", 1);
	} else if (r < 0) {
		reply_error(srv, r);
	} else {
		reply_hex(srv, val, n);
	}
}

static void gdb_cmd_write_reg(struct gdb_server *srv, struct cur *c)
{
	uint8_t val[GDB_REG_MAX_BYTES];
	uint64_t regno;
	unsigned int n = 0;
	int r;

	if (cur_hex(c, &regno) && regno < GDB_NR_REGS)
		n = gdb_reg_size((unsigned int)regno);
	if (!n || !cur_char(c, '=') || cur_left(c) != 2 * n ||
	    gdb_hex_decode(val, c->p, n)) {
		reply_error(srv, EINVAL);
		return;
	}
	r = srv->ops->write_reg(srv->target, srv->g_vcpu, (unsigned int)regno,
				val);
	if (r < 0)
		reply_error(srv, r);
	else
		reply_str(srv, "OK");
}

/* "addr,len" of m, M, X, Z and z. */
static bool cur_addr_len(struct cur *c, uint64_t *addr, uint64_t *len)
{
	return cur_hex(c, addr) && cur_char(c, ',') && cur_hex(c, len);
}

static void gdb_cmd_read_mem(struct gdb_server *srv, struct cur *c)
{
	uint64_t addr, len;
	ssize_t n;

	if (!cur_addr_len(c, &addr, &len) || !cur_done(c)) {
		reply_error(srv, EINVAL);
		return;
	}
	if (!len)
		return;
	/* A short reply is allowed: gdb asks again for the rest. */
	if (len > GDB_MEM_MAX)
		len = GDB_MEM_MAX;
	n = srv->ops->read_mem(srv->target, srv->g_vcpu, addr, srv->mem,
			       (size_t)len);
	if (n <= 0) {
		reply_error(srv, n < 0 ? (int)n : EFAULT);
		return;
	}
	gdb_bp_shadow_read(srv, addr, srv->mem, (size_t)n);
	reply_hex(srv, srv->mem, (size_t)n);
}

static void gdb_cmd_write_mem(struct gdb_server *srv, struct cur *c,
			      bool binary)
{
	uint64_t addr, len;
	uint8_t *data;
	long n;
	int r;

	if (!cur_addr_len(c, &addr, &len) || !cur_char(c, ':') ||
	    len > GDB_MEM_MAX) {
		reply_error(srv, EINVAL);
		return;
	}
	if (binary) {
		/* The packet is ours to change: unescape it in place. */
		data = (uint8_t *)(uintptr_t)c->p;
		n = gdb_unescape(data, cur_left(c));
	} else {
		data = srv->mem;
		n = cur_left(c) == 2 * len &&
		    !gdb_hex_decode(data, c->p, (size_t)len) ? (long)len : -1;
	}
	if (n != (long)len) {
		reply_error(srv, EINVAL);
		return;
	}
	r = len ? gdb_mem_write(srv, addr, data, (size_t)len) : 0;
	if (r < 0)
		reply_error(srv, r);
	else
		reply_str(srv, "OK");
}

static void gdb_cmd_point(struct gdb_server *srv, struct cur *c, bool insert)
{
	uint64_t type, addr, kind;
	int r;

	if (!cur_hex(c, &type) || !cur_char(c, ',') ||
	    !cur_addr_len(c, &addr, &kind) || !cur_done(c)) {
		reply_error(srv, EINVAL);
		return;
	}
	if (type == 0) {
		if (kind != GDB_BRK_KIND) {
			reply_error(srv, EINVAL);
			return;
		}
		r = insert ? gdb_bp_insert(srv, addr) :
			     gdb_bp_remove(srv, addr);
	} else if (type <= GDB_POINT_WATCH_ACCESS) {
		int (*fn)(void *, enum gdb_point, uint64_t, uint64_t) =
			insert ? srv->ops->insert_point :
				 srv->ops->remove_point;

		r = fn ? fn(srv->target, (enum gdb_point)type, addr, kind) :
			 -ENOTSUP;
	} else {
		r = -ENOTSUP;
	}
	if (r == -ENOTSUP)
		return;		/* the empty reply: not supported */
	if (r < 0)
		reply_error(srv, r);
	else
		reply_str(srv, "OK");
}

static void gdb_resume(struct gdb_server *srv, enum gdb_resume *actions)
{
	int r = srv->ops->resume(srv->target, actions);

	if (r < 0) {
		reply_error(srv, r);
		return;
	}
	srv->state = GDB_STATE_RUNNING;
	srv->interrupting = false;
}

/*
 * c, s, C and S, with an optional signal (ignored: a guest has none)
 * and resume address (the PC of the vCPU that steps or of vCPU Hc).
 */
static void gdb_cmd_cont(struct gdb_server *srv, struct cur *c, bool step,
			 bool has_sig)
{
	unsigned int nr = gdb_nr_vcpus(srv);
	unsigned int who = srv->c_vcpu >= 0 ? (unsigned int)srv->c_vcpu :
					      srv->g_vcpu;
	enum gdb_resume actions[nr];
	uint64_t v, addr = 0;
	bool has_addr = false;
	uint8_t pc[8];
	int r;

	if (has_sig && !cur_hex(c, &v)) {
		reply_error(srv, EINVAL);
		return;
	}
	if ((!has_sig || cur_char(c, ';')) && !cur_done(c)) {
		if (!cur_hex(c, &addr)) {
			reply_error(srv, EINVAL);
			return;
		}
		has_addr = true;
	}
	if (!cur_done(c)) {
		reply_error(srv, EINVAL);
		return;
	}
	if (has_addr) {
		le64_write(pc, addr);
		r = srv->ops->write_reg(srv->target, who, GDB_REG_PC, pc);
		if (r < 0) {
			reply_error(srv, r);
			return;
		}
	}
	for (unsigned int i = 0; i < nr; i++)
		actions[i] = step ? GDB_RESUME_STAY : GDB_RESUME_CONT;
	if (step)
		actions[who] = GDB_RESUME_STEP;
	gdb_resume(srv, actions);
}

/*
 * vCont;action[:tid]...: the leftmost action that names a vCPU wins, an
 * action without a thread applies to every vCPU not named yet.
 */
static void gdb_cmd_vcont(struct gdb_server *srv, struct cur *c)
{
	unsigned int nr = gdb_nr_vcpus(srv);
	enum gdb_resume actions[nr];
	bool set[nr], any = false;
	uint64_t sig;

	memset(set, 0, sizeof(set));
	while (cur_char(c, ';')) {
		enum gdb_resume a;
		long tid = -1;
		char op = cur_left(c) ? *c->p++ : 0;

		if (op == 'c' || op == 'C')
			a = GDB_RESUME_CONT;
		else if (op == 's' || op == 'S')
			a = GDB_RESUME_STEP;
		else if (op == 't')
			a = GDB_RESUME_STAY;
		else
			goto bad;
		if ((op == 'C' || op == 'S') && !cur_hex(c, &sig))
			goto bad;
		if (cur_char(c, ':') && (!cur_tid(c, &tid) ||
		    (tid > 0 && !gdb_tid_valid(srv, tid))))
			goto bad;
		for (unsigned int i = 0; i < nr; i++) {
			if (set[i] || (tid > 0 && (unsigned long)tid != i + 1))
				continue;
			actions[i] = a;
			set[i] = true;
		}
	}
	if (!cur_done(c))
		goto bad;
	for (unsigned int i = 0; i < nr; i++) {
		if (!set[i])
			actions[i] = GDB_RESUME_STAY;
		any |= actions[i] != GDB_RESUME_STAY;
	}
	if (!any)
		goto bad;
	gdb_resume(srv, actions);
	return;
bad:
	reply_error(srv, EINVAL);
}

static void gdb_cmd_set_thread(struct gdb_server *srv, struct cur *c)
{
	char op = cur_left(c) ? *c->p++ : 0;
	long tid;

	if ((op != 'g' && op != 'c') || !cur_tid(c, &tid) || !cur_done(c) ||
	    (tid > 0 && !gdb_tid_valid(srv, tid))) {
		reply_error(srv, EINVAL);
		return;
	}
	/* 0 is "any" and -1 "all": Hg keeps its vCPU, Hc means all. */
	if (op == 'g' && tid > 0)
		srv->g_vcpu = (unsigned int)(tid - 1);
	if (op == 'c')
		srv->c_vcpu = tid > 0 ? (int)(tid - 1) : -1;
	reply_str(srv, "OK");
}

static void gdb_cmd_thread_alive(struct gdb_server *srv, struct cur *c)
{
	long tid;

	if (cur_tid(c, &tid) && cur_done(c) && gdb_tid_valid(srv, tid))
		reply_str(srv, "OK");
	else
		reply_error(srv, ESRCH);
}

static void gdb_cmd_supported(struct gdb_server *srv, struct cur *c)
{
	/* gdb's own features, ';'-separated, after "qSupported:". */
	if (cur_char(c, ':')) {
		while (!cur_done(c)) {
			const char *end = memchr(c->p, ';', cur_left(c));
			size_t n = end ? (size_t)(end - c->p) : cur_left(c);

			if (n == 8 && !memcmp(c->p, "swbreak+", 8))
				srv->gdb_swbreak = true;
			if (n == 8 && !memcmp(c->p, "hwbreak+", 8))
				srv->gdb_hwbreak = true;
			c->p += end ? n + 1 : n;
		}
	}
	reply_fmt(srv, "PacketSize=%x;qXfer:features:read+;swbreak+;"
		  "hwbreak+;QStartNoAckMode+;vContSupported+", GDB_PACKET_MAX);
}

/* qXfer:features:read:target.xml:offset,length */
static void gdb_cmd_xfer_features(struct gdb_server *srv, struct cur *c)
{
	uint64_t off, len;
	size_t used, n, chunk;

	if (!cur_prefix(c, "target.xml:")) {
		reply_error(srv, ENOENT);
		return;
	}
	if (!cur_addr_len(c, &off, &len) || !cur_done(c)) {
		reply_error(srv, EINVAL);
		return;
	}
	if (off >= srv->xml_len) {
		reply_str(srv, "l");
		return;
	}
	chunk = srv->xml_len - (size_t)off;
	if (chunk > len)
		chunk = (size_t)len;
	reply_add(srv, "m", 1);
	n = gdb_escape(srv->reply + 1, sizeof(srv->reply) - 1,
		       (const uint8_t *)srv->xml + off, chunk, &used);
	srv->reply_len += n;
	if (off + used == srv->xml_len)
		srv->reply[0] = 'l';
}

static void gdb_cmd_thread_info(struct gdb_server *srv)
{
	unsigned int nr = gdb_nr_vcpus(srv);

	reply_str(srv, "m");
	for (unsigned int i = 0; i < nr; i++)
		reply_fmt(srv, i ? ",%x" : "%x", i + 1);
}

static void gdb_cmd_extra_info(struct gdb_server *srv, struct cur *c)
{
	char text[32];
	long tid;
	int n;

	if (!cur_tid(c, &tid) || !cur_done(c) || !gdb_tid_valid(srv, tid)) {
		reply_error(srv, ESRCH);
		return;
	}
	n = snprintf(text, sizeof(text), "vCPU %ld", tid - 1);
	reply_hex(srv, (const uint8_t *)text, (size_t)n);
}

static void gdb_cmd_query(struct gdb_server *srv, struct cur *c)
{
	if (cur_prefix(c, "qSupported"))
		gdb_cmd_supported(srv, c);
	else if (cur_prefix(c, "qXfer:features:read:"))
		gdb_cmd_xfer_features(srv, c);
	else if (cur_prefix(c, "qfThreadInfo"))
		gdb_cmd_thread_info(srv);
	else if (cur_prefix(c, "qsThreadInfo"))
		reply_str(srv, "l");
	else if (cur_prefix(c, "qC") && cur_done(c))
		reply_fmt(srv, "QC%x", srv->g_vcpu + 1);
	else if (cur_prefix(c, "qAttached"))
		reply_str(srv, "1");	/* quitting gdb detaches */
	else if (cur_prefix(c, "qThreadExtraInfo,"))
		gdb_cmd_extra_info(srv, c);
	else if (cur_prefix(c, "qSymbol:"))
		reply_str(srv, "OK");	/* no symbols wanted */
}

static int gdb_cmd_detach(struct gdb_server *srv)
{
	gdb_bp_remove_all(srv);
	reply_str(srv, "OK");
	gdb_send_reply(srv);
	srv->state = GDB_STATE_DONE;
	srv->ops->detach(srv->target);
	return 1;
}

static int gdb_cmd_kill(struct gdb_server *srv)
{
	gdb_bp_remove_all(srv);
	srv->state = GDB_STATE_DONE;
	srv->ops->kill(srv->target);
	return 1;	/* 'k' has no reply */
}

/*
 * One packet, data NUL-terminated and ours to change. Returns 1 when
 * the session ends, else 0; replies unless the packet resumed the guest.
 */
static int gdb_packet(struct gdb_server *srv, char *data, size_t len)
{
	struct cur c = { data + 1, data + len };
	bool was_stopped = srv->state == GDB_STATE_STOPPED;

	srv->reply_len = 0;
	srv->reply_full = false;
	if (!len)
		return 0;
	if (srv->state == GDB_STATE_RUNNING || srv->state == GDB_STATE_LEAVING)
		return 0;	/* all-stop: gdb waits for the stop reply */
	/* The guest is gone: nothing to read, nothing to resume. */
	if (srv->state == GDB_STATE_EXITED && !strchr("?qQDk", data[0])) {
		reply_error(srv, ESRCH);
		gdb_send_reply(srv);
		return 0;
	}
	switch (data[0]) {
	case '?':
		reply_stop(srv);
		break;
	case 'g':
		gdb_cmd_read_regs(srv);
		break;
	case 'G':
		gdb_cmd_write_regs(srv, &c);
		break;
	case 'p':
		gdb_cmd_read_reg(srv, &c);
		break;
	case 'P':
		gdb_cmd_write_reg(srv, &c);
		break;
	case 'm':
		gdb_cmd_read_mem(srv, &c);
		break;
	case 'M':
		gdb_cmd_write_mem(srv, &c, false);
		break;
	case 'X':
		gdb_cmd_write_mem(srv, &c, true);
		break;
	case 'Z':
	case 'z':
		gdb_cmd_point(srv, &c, data[0] == 'Z');
		break;
	case 'c':
	case 's':
		gdb_cmd_cont(srv, &c, data[0] == 's', false);
		break;
	case 'C':
	case 'S':
		gdb_cmd_cont(srv, &c, data[0] == 'S', true);
		break;
	case 'H':
		gdb_cmd_set_thread(srv, &c);
		break;
	case 'T':
		gdb_cmd_thread_alive(srv, &c);
		break;
	case 'q':
		c.p = data;
		gdb_cmd_query(srv, &c);
		break;
	case 'Q':
		if (!strcmp(data, "QStartNoAckMode")) {
			reply_str(srv, "OK");
			gdb_send_reply(srv);
			/* gdb acks this OK; nothing is acked after it. */
			srv->no_ack = true;
			return 0;
		}
		break;
	case 'v':
		if (!strcmp(data, "vCont?"))
			reply_str(srv, "vCont;c;C;s;S;t");
		else if (!strncmp(data, "vCont;", 6)) {
			c.p = data + 5;
			gdb_cmd_vcont(srv, &c);
		}
		break;
	case 'D':
		return gdb_cmd_detach(srv);
	case 'k':
		return gdb_cmd_kill(srv);
	default:
		break;	/* the empty reply: not supported */
	}
	/* A resume answers later, with the stop reply. */
	if (was_stopped && srv->state == GDB_STATE_RUNNING)
		return 0;
	gdb_send_reply(srv);
	return 0;
}

int gdb_server_input(struct gdb_server *srv, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	enum gdb_rx_event ev;
	int ret = 0;

	while (len && srv->state != GDB_STATE_DONE) {
		size_t n = gdb_rx_feed(&srv->rx, p, len, &ev);

		p += n;
		len -= n;
		switch (ev) {
		case GDB_RX_PACKET:
			if (!srv->no_ack)
				gdb_write(srv, "+", 1);
			ret = gdb_packet(srv, srv->rx.buf, srv->rx.len);
			break;
		case GDB_RX_BAD_CHECKSUM:
			if (!srv->no_ack)
				gdb_write(srv, "-", 1);
			break;
		case GDB_RX_TOO_LONG:
			/* Sending it again will not help: refuse it. */
			if (!srv->no_ack)
				gdb_write(srv, "+", 1);
			reply_error(srv, EMSGSIZE);
			gdb_send_reply(srv);
			break;
		case GDB_RX_NAK:
			if (!srv->no_ack && srv->last_len)
				gdb_write(srv, srv->last, srv->last_len);
			break;
		case GDB_RX_INTERRUPT:
			if (srv->state == GDB_STATE_RUNNING &&
			    !srv->interrupting) {
				srv->interrupting = true;
				srv->ops->interrupt(srv->target);
			}
			break;
		case GDB_RX_ACK:
		case GDB_RX_NONE:
			break;
		}
	}
	if (srv->out_err)
		return srv->out_err;
	return srv->state == GDB_STATE_DONE ? 1 : ret;
}

bool gdb_server_stopped(struct gdb_server *srv, unsigned int vcpu,
			enum gdb_stop_reason reason, uint64_t addr)
{
	if (srv->state == GDB_STATE_LEAVING) {
		/* Still now: the planted BRKs can go, then the guest. */
		gdb_bp_remove_all(srv);
		srv->state = GDB_STATE_DONE;
		srv->ops->detach(srv->target);
		return true;
	}
	if (srv->state != GDB_STATE_RUNNING)
		return false;
	if (vcpu >= gdb_nr_vcpus(srv))
		vcpu = 0;
	srv->state = GDB_STATE_STOPPED;
	srv->interrupting = false;
	srv->stop_vcpu = vcpu;
	srv->stop_reason = reason;
	srv->stop_addr = addr;
	/* gdb looks at the thread that stopped next. */
	srv->g_vcpu = vcpu;
	srv->c_vcpu = -1;
	srv->reply_len = 0;
	reply_stop(srv);
	gdb_send_reply(srv);
	return true;
}

void gdb_server_exited(struct gdb_server *srv, unsigned int status)
{
	bool waiting = srv->state == GDB_STATE_RUNNING;

	if (srv->state == GDB_STATE_DONE)
		return;
	/* The guest's memory is gone: nothing to put back. */
	srv->nbps = 0;
	srv->exit_status = status;
	srv->state = GDB_STATE_EXITED;
	if (waiting) {
		srv->reply_len = 0;
		reply_stop(srv);
		gdb_send_reply(srv);
	}
}

void gdb_server_disconnected(struct gdb_server *srv)
{
	switch (srv->state) {
	case GDB_STATE_STOPPED:
		gdb_bp_remove_all(srv);
		srv->state = GDB_STATE_DONE;
		srv->ops->detach(srv->target);
		break;
	case GDB_STATE_RUNNING:
		/* Breakpoints come out only while the guest is still. */
		srv->state = GDB_STATE_LEAVING;
		if (!srv->interrupting)
			srv->ops->interrupt(srv->target);
		srv->interrupting = true;
		break;
	default:
		srv->state = GDB_STATE_DONE;
		break;
	}
}

bool gdb_server_running(const struct gdb_server *srv)
{
	return srv->state == GDB_STATE_RUNNING ||
	       srv->state == GDB_STATE_LEAVING;
}

bool gdb_server_done(const struct gdb_server *srv)
{
	return srv->state == GDB_STATE_DONE;
}

int gdb_server_new(const struct gdb_target_ops *ops, void *target,
		   gdb_out_fn out, void *out_ctx, struct gdb_server **srvp)
{
	struct gdb_server *srv;
	size_t need;

	if (!ops->nr_vcpus(target))
		return err_set(EINVAL, "gdb: the machine has no vCPU");
	srv = calloc(1, sizeof(*srv));
	if (!srv)
		return err_set(ENOMEM, "gdb: out of memory");
	need = gdb_target_xml(NULL, 0);
	srv->xml = malloc(need);
	if (!srv->xml) {
		free(srv);
		return err_set(ENOMEM, "gdb: out of memory");
	}
	srv->xml_len = gdb_target_xml(srv->xml, need) - 1;
	srv->ops = ops;
	srv->target = target;
	srv->out = out;
	srv->out_ctx = out_ctx;
	srv->state = GDB_STATE_STOPPED;
	srv->stop_reason = GDB_STOP_TRAP;
	srv->c_vcpu = -1;
	gdb_rx_init(&srv->rx);
	*srvp = srv;
	return 0;
}

void gdb_server_free(struct gdb_server *srv)
{
	if (!srv)
		return;
	free(srv->bps);
	free(srv->xml);
	free(srv);
}
