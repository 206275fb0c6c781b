// SPDX-License-Identifier: GPL-2.0
/*
 * The gdb stub on KVM (--gdb): armz/gdb.h's server in front of a boot's
 * vCPUs and RAM, and the thread that serves its socket. See gdb-kvm.h
 * for life, threads and all-stop.
 *
 * Registers go through KVM_GET/SET_ONE_REG and memory through the
 * guest's stage-1 tables (armz/mmu.h), both only while the vCPUs are
 * parked; breakpoints, watchpoints and steps through
 * KVM_SET_GUEST_DEBUG (Documentation/virt/kvm/api.rst, "KVM_SET_GUEST_DEBUG"),
 * set on every vCPU at every resume.
 */
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/gdb-hwdebug.h>
#include <armz/gdb-listen.h>
#include <armz/gdb-regs.h>
#include <armz/gdb.h>
#include <armz/le.h>
#include <armz/mmu.h>
#include <armz/thread.h>
#include "gdb-kvm.h"

/* A gdb that stops reading must not hold armz up for long. */
#define GK_SEND_TIMEOUT_S	10

/* The interrupt mask a single step added to one vCPU's PSTATE. */
struct gk_step {
	uint64_t mask;
	uint64_t pc;
};

struct gdb_kvm {
	/* Set up by gdb_kvm_new(), fixed for the run. */
	struct gdb_endpoint ep;
	char where[320];
	int listen_fd;
	int wake_fd;
	bool wait;
	bool guest_debug;
	bool sysregs;		/* false: core registers only (s390) */
	unsigned int hw_bps, hw_wps;
	pthread_t thread;
	bool thread_started;

	pthread_mutex_t lock;	/* all below, and every call on srv */
	bool quit;
	struct vcpus *vcpus;	/* this boot's, or NULL between boots */
	const struct guest_mem *mem;
	struct gk_step *step;	/* per vCPU */
	int conn_fd;		/* gdb's connection, or -1 */
	struct gdb_server *srv;	/* once the guest stopped for gdb */
	struct hwdebug hw;
	/* What stopped the guest: the first event since it was resumed. */
	bool event;
	unsigned int event_vcpu;
	enum gdb_stop_reason event_why;
	uint64_t event_addr;
	unsigned int last_vcpu;	/* reported last: Ctrl-C names it */
};

static void gk_wake(struct gdb_kvm *gk)
{
	uint64_t one = 1;

	if (write(gk->wake_fd, &one, sizeof(one)) < 0)
		abort();	/* an eventfd write cannot fail short of a bug */
}

static struct vcpu *gk_vcpu(struct gdb_kvm *gk, unsigned int i)
{
	return &gk->vcpus->cpu[i];
}

/*
 * The stage-1 registers of v: on its own thread or while it is parked.
 * Without system registers (the s390 device as posted, or its feature
 * set on a full KVM) memory is physical, as with the MMU off.
 */
static int gk_mmu_regs(struct gdb_kvm *gk, struct vcpu *v,
		       struct mmu_regs *m)
{
	memset(m, 0, sizeof(*m));
	if (!gk->sysregs || vcpu_reg_read(v, AZ_REG_SCTLR_EL1, &m->sctlr)) {
		m->sctlr = 0;
		return 0;
	}
	return vcpu_reg_read(v, AZ_REG_TCR_EL1, &m->tcr) ?:
	       vcpu_reg_read(v, AZ_REG_TTBR0_EL1, &m->ttbr0) ?:
	       vcpu_reg_read(v, AZ_REG_TTBR1_EL1, &m->ttbr1);
}

/* The 4 bytes at va as v sees them, or -EFAULT. */
static int gk_read_insn(struct gdb_kvm *gk, struct vcpu *v, uint64_t va,
			uint32_t *insn)
{
	struct mmu_regs m;
	uint8_t b[4];

	if (gk_mmu_regs(gk, v, &m) || mmu_read(gk->mem, &m, va, b, 4) != 4)
		return -EFAULT;
	*insn = le32_read(b);
	return 0;
}

/* --- The target: called with gk->lock held, the vCPUs parked --- */

static unsigned int gk_nr_vcpus(void *ctx)
{
	struct gdb_kvm *gk = ctx;

	return gk->vcpus->count;
}

/*
 * gdb's register regno of v as a ONE_REG id (which depends on the
 * exception level PSTATE gives), and its current value in raw: 0, or
 * -ENOENT for one this KVM does not give (gdb shows <unavailable>).
 */
static int gk_reg_get(struct gdb_kvm *gk, struct vcpu *v, unsigned int regno,
		      uint64_t *id, uint64_t *raw)
{
	uint64_t pstate;
	int r;

	r = vcpu_reg_read(v, AZ_REG_PSTATE, &pstate);
	if (r)
		return r;
	*id = gdb_reg_kvm_id(regno, pstate);
	if (!*id || (!gk->sysregs && !AZ_KVM_REG_IS_CORE(*id)))
		return -ENOENT;
	r = vcpu_reg_read(v, *id, raw);
	return r == -EINVAL ? -ENOENT : r;
}

static int gk_read_reg(void *ctx, unsigned int vcpu, unsigned int regno,
		       uint8_t *val)
{
	struct gdb_kvm *gk = ctx;
	uint64_t id, raw[2];
	int r = gk_reg_get(gk, gk_vcpu(gk, vcpu), regno, &id, raw);

	if (!r)
		gdb_reg_from_kvm(regno, id, raw, val);
	return r;
}

/* Read first: PSTATE keeps its upper half, which gdb does not see. */
static int gk_write_reg(void *ctx, unsigned int vcpu, unsigned int regno,
			const uint8_t *val)
{
	struct gdb_kvm *gk = ctx;
	struct vcpu *v = gk_vcpu(gk, vcpu);
	uint64_t id, raw[2];
	int r = gk_reg_get(gk, v, regno, &id, raw);

	if (r)
		return r;
	gdb_reg_to_kvm(regno, id, val, raw);
	return vcpu_reg_write(v, id, raw);
}

static ssize_t gk_read_mem(void *ctx, unsigned int vcpu, uint64_t addr,
			   void *buf, size_t len)
{
	struct gdb_kvm *gk = ctx;
	struct mmu_regs m;
	int r = gk_mmu_regs(gk, gk_vcpu(gk, vcpu), &m);

	return r ? r : mmu_read(gk->mem, &m, addr, buf, len);
}

/*
 * A write may be code (a breakpoint): the guest must fetch what was
 * written. Cleaning the host's view to the point of unification and
 * invalidating the instruction cache by address reaches the guest too,
 * as the lines are the same physical memory.
 */
static void gk_sync_icache(const struct guest_mem *mem,
			   const struct mmu_regs *m, uint64_t va, size_t len)
{
	while (len) {
		struct mmu_xlat x;
		size_t n;
		char *p;

		if (mmu_translate(mem, m, va, &x))
			return;
		n = x.len < len ? (size_t)x.len : len;
		p = guest_mem_at(mem, x.pa, n);
		if (p)
			__builtin___clear_cache(p, p + n);
		va += n;
		len -= n;
	}
}

static int gk_write_mem(void *ctx, unsigned int vcpu, uint64_t addr,
			const void *buf, size_t len)
{
	struct gdb_kvm *gk = ctx;
	struct mmu_regs m;
	int r = gk_mmu_regs(gk, gk_vcpu(gk, vcpu), &m) ?:
		mmu_write(gk->mem, &m, addr, buf, len);

	if (!r)
		gk_sync_icache(gk->mem, &m, addr, len);
	return r;
}

/*
 * Z0 needs KVM to trap BRKs; Z1..Z4 need debug registers of their kind.
 * The registers reach the vCPUs at the next resume.
 */
static int gk_insert_point(void *ctx, enum gdb_point type, uint64_t addr,
			   uint64_t len)
{
	struct gdb_kvm *gk = ctx;

	if (!gk->guest_debug)
		return -ENOTSUP;
	if (type == GDB_POINT_SW_BREAK)
		return 0;
	if (type == GDB_POINT_HW_BREAK ? !gk->hw.nr_bps : !gk->hw.nr_wps)
		return -ENOTSUP;
	return hwdebug_insert(&gk->hw, type, addr, len);
}

static int gk_remove_point(void *ctx, enum gdb_point type, uint64_t addr,
			   uint64_t len)
{
	struct gdb_kvm *gk = ctx;

	return hwdebug_remove(&gk->hw, type, addr, len);
}

/* A step runs with IRQ and FIQ masked (gdb-hwdebug.h says why). */
static void gk_step_mask(struct gdb_kvm *gk, unsigned int i)
{
	struct vcpu *v = gk_vcpu(gk, i);
	uint64_t pstate, pc, mask;
	uint32_t insn = 0;

	if (vcpu_reg_read(v, AZ_REG_PSTATE, &pstate) ||
	    vcpu_reg_read(v, AZ_REG_PC, &pc))
		return;
	/* Unreadable: mask anyway, it cannot be an MSR DAIF we know. */
	gk_read_insn(gk, v, pc, &insn);
	mask = hwdebug_step_mask(insn, pstate);
	pstate |= mask;
	if (mask && !vcpu_reg_write(v, AZ_REG_PSTATE, &pstate))
		gk->step[i] = (struct gk_step){ mask, pc };
}

/* After a stop: the steps' masks come off again. */
static void gk_step_unmask(struct gdb_kvm *gk)
{
	for (unsigned int i = 0; i < gk->vcpus->count; i++) {
		struct gk_step *s = &gk->step[i];
		struct vcpu *v = gk_vcpu(gk, i);
		struct hwdebug_el1_regs r = { 0 };

		if (!s->mask)
			continue;
		if (!vcpu_reg_read(v, AZ_REG_PC, &r.pc) &&
		    !vcpu_reg_read(v, AZ_REG_PSTATE, &r.pstate) &&
		    !vcpu_reg_read(v, AZ_REG_ELR_EL1, &r.elr) &&
		    !vcpu_reg_read(v, AZ_REG_SPSR_EL1, &r.spsr)) {
			vcpu_reg_read(v, AZ_REG_VBAR_EL1, &r.vbar);
			switch (hwdebug_step_unmask(&r, s->pc, s->mask)) {
			case 1:
				vcpu_reg_write(v, AZ_REG_PSTATE, &r.pstate);
				break;
			case 2:
				vcpu_reg_write(v, AZ_REG_SPSR_EL1, &r.spsr);
				break;
			}
		}
		s->mask = 0;
	}
}

static int gk_resume(void *ctx, const enum gdb_resume *actions)
{
	struct gdb_kvm *gk = ctx;
	unsigned int n = gk->vcpus->count;
	struct az_kvm_guest_debug dbg;
	bool hold[n];
	int r;

	for (unsigned int i = 0; i < n; i++)
		if (actions[i] == GDB_RESUME_STEP && !gk->guest_debug)
			return -ENOTSUP;
	for (unsigned int i = 0; i < n; i++) {
		bool step = actions[i] == GDB_RESUME_STEP;

		if (gk->guest_debug) {
			hwdebug_fill(&gk->hw, step, &dbg);
			r = vcpu_set_guest_debug(gk_vcpu(gk, i), &dbg);
			if (r)
				return r;
		}
		if (step)
			gk_step_mask(gk, i);
		hold[i] = actions[i] == GDB_RESUME_STAY;
	}
	gk->event = false;
	vcpus_release(gk->vcpus, hold);
	return 0;
}

static void gk_interrupt(void *ctx)
{
	struct gdb_kvm *gk = ctx;

	vcpus_halt(gk->vcpus);
}

/* gdb is gone or detached: no more traps, every vCPU runs. */
static void gk_detach(void *ctx)
{
	struct gdb_kvm *gk = ctx;
	struct az_kvm_guest_debug off;

	memset(&off, 0, sizeof(off));
	for (unsigned int i = 0; gk->guest_debug && i < gk->vcpus->count; i++)
		vcpu_set_guest_debug(gk_vcpu(gk, i), &off);
	hwdebug_init(&gk->hw, gk->hw_bps, gk->hw_wps);
	gk->event = false;
	vcpus_release(gk->vcpus, NULL);
	fprintf(stderr, "armz: gdb: detached; the guest runs on\n");
}

static void gk_kill(void *ctx)
{
	struct gdb_kvm *gk = ctx;

	vcpus_end(gk->vcpus, STOP_USER, ARMZ_EXIT_GDB_KILL, "killed by gdb");
}

static const struct gdb_target_ops gk_ops = {
	.nr_vcpus = gk_nr_vcpus,
	.read_reg = gk_read_reg,
	.write_reg = gk_write_reg,
	.read_mem = gk_read_mem,
	.write_mem = gk_write_mem,
	.insert_point = gk_insert_point,
	.remove_point = gk_remove_point,
	.resume = gk_resume,
	.interrupt = gk_interrupt,
	.detach = gk_detach,
	.kill = gk_kill,
};

/* --- Debug exits, on the vCPU's own thread --- */

/*
 * KVM traps every BRK while gdb may plant some; one gdb did not plant
 * is the guest's (a kernel's BUG and WARN are BRKs): it takes it at its
 * own EL1 vector, as without a debugger. Unless the BRK is gone: gdb
 * took its breakpoint out while this vCPU was on its way here, and the
 * instruction now there just runs.
 */
static void gk_guest_brk(struct gdb_kvm *gk, struct vcpu *v, uint64_t pc,
			 uint64_t esr)
{
	struct hwdebug_el1_regs r = { .pc = pc };
	char msg[128];
	uint32_t insn;

	if (gk_read_insn(gk, v, pc, &insn) || !hwdebug_is_brk(insn))
		return;
	if (!vcpu_reg_read(v, AZ_REG_PSTATE, &r.pstate) &&
	    !vcpu_reg_read(v, AZ_REG_VBAR_EL1, &r.vbar) &&
	    !vcpu_reg_read(v, AZ_REG_SCTLR_EL1, &r.sctlr) &&
	    !hwdebug_enter_el1(&r, esr) &&
	    !vcpu_reg_write(v, AZ_REG_ELR_EL1, &r.elr) &&
	    !vcpu_reg_write(v, AZ_REG_SPSR_EL1, &r.spsr) &&
	    !vcpu_reg_write(v, AZ_REG_ESR_EL1, &r.esr) &&
	    !vcpu_reg_write(v, AZ_REG_PSTATE, &r.pstate) &&
	    !vcpu_reg_write(v, AZ_REG_PC, &r.pc))
		return;
	snprintf(msg, sizeof(msg),
		 "vCPU %u: cannot hand the guest its own BRK at PC 0x%llx",
		 v->id, (unsigned long long)pc);
	vcpus_end(gk->vcpus, STOP_FAULT, ARMZ_EXIT_GUEST_FAULT, msg);
}

static void gk_debug_exit(void *ctx, struct vcpu *v)
{
	struct gdb_kvm *gk = ctx;
	struct az_kvm_run *run = v->run;
	uint64_t esr = run->debug.hsr, addr, pc = 0;
	enum gdb_stop_reason why;

	if (run->flags & AZ_KVM_DEBUG_ARCH_HSR_HIGH_VALID)
		esr |= (uint64_t)run->debug.hsr_high << 32;
	pthread_mutex_lock(&gk->lock);
	if (hwdebug_decode(&gk->hw, esr, run->debug.far, &why, &addr))
		goto out;	/* no debug event: let it run */
	if (why == GDB_STOP_SWBREAK) {
		vcpu_reg_read(v, AZ_REG_PC, &pc);
		if (!gk->srv || !gdb_server_owns_breakpoint(gk->srv, pc)) {
			gk_guest_brk(gk, v, pc, esr);
			goto out;
		}
	}
	/* gdb waits for a stop; else the event is stale (after D). */
	if (gk->srv && gdb_server_running(gk->srv)) {
		if (!gk->event) {
			gk->event = true;
			gk->event_vcpu = v->id;
			gk->event_why = why;
			gk->event_addr = addr;
		}
		vcpus_halt(gk->vcpus);
	}
out:
	pthread_mutex_unlock(&gk->lock);
}

/* Every vCPU has parked: the thread takes it from here. */
static void gk_halted(void *ctx)
{
	gk_wake(ctx);
}

static const struct vcpu_debug_ops gk_vcpu_ops = {
	.exit = gk_debug_exit,
	.halted = gk_halted,
};

/* --- The connection, on gk's thread --- */

static int gk_out(void *ctx, const void *buf, size_t len)
{
	struct gdb_kvm *gk = ctx;
	const char *p = buf;

	if (gk->conn_fd < 0)
		return 0;	/* gdb is gone: nobody to tell */
	while (len) {
		ssize_t n = send(gk->conn_fd, p, len, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EPIPE;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void gk_close_conn(struct gdb_kvm *gk)
{
	if (gk->conn_fd >= 0)
		close(gk->conn_fd);
	gk->conn_fd = -1;
}

/* A session over (D, k, or gdb gone and cleaned up): free it. */
static void gk_end_if_done(struct gdb_kvm *gk)
{
	if (!gk->srv || !gdb_server_done(gk->srv))
		return;
	gdb_server_free(gk->srv);
	gk->srv = NULL;
	gk_close_conn(gk);
}

/* The guest stopped for gdb: a new session, or a stop reply. */
static void gk_on_halted(struct gdb_kvm *gk)
{
	if (!gk->vcpus || !vcpus_halted(gk->vcpus))
		return;
	if (gk->conn_fd >= 0 && !gk->srv) {
		hwdebug_init(&gk->hw, gk->hw_bps, gk->hw_wps);
		gk->event = false;
		if (gdb_server_new(&gk_ops, gk, gk_out, gk, &gk->srv)) {
			fprintf(stderr, "armz: gdb: %s\n", err_msg());
			gk_close_conn(gk);
			vcpus_release(gk->vcpus, NULL);
		}
		return;
	}
	if (!gk->srv || !gdb_server_running(gk->srv))
		return;
	gk_step_unmask(gk);
	if (gk->event)
		gk->last_vcpu = gk->event_vcpu;
	gdb_server_stopped(gk->srv, gk->last_vcpu,
			   gk->event ? gk->event_why : GDB_STOP_INTERRUPT,
			   gk->event ? gk->event_addr : 0);
	gk->event = false;
	gk_end_if_done(gk);
}

static void gk_accept(struct gdb_kvm *gk)
{
	struct timeval tv = { .tv_sec = GK_SEND_TIMEOUT_S };
	int fd = gdb_accept(gk->listen_fd);

	if (fd < 0)
		return;
	pthread_mutex_lock(&gk->lock);
	if (gk->conn_fd >= 0 || gk->srv) {
		fprintf(stderr, "armz: gdb: turned a second gdb away: one at a time\n");
		close(fd);
	} else {
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		gk->conn_fd = fd;
		fprintf(stderr, "armz: gdb: connected; the guest stops\n");
		/* Between boots, the next one halts for it at attach. */
		if (gk->vcpus) {
			vcpus_halt(gk->vcpus);
			gk_on_halted(gk);
		}
	}
	pthread_mutex_unlock(&gk->lock);
}

static void gk_read(struct gdb_kvm *gk, int fd)
{
	char buf[4096];
	ssize_t n;
	int r = 0;

	pthread_mutex_lock(&gk->lock);
	if (fd != gk->conn_fd || !gk->srv)
		goto out;	/* closed meanwhile */
	n = read(fd, buf, sizeof(buf));
	if (n < 0 && (errno == EINTR || errno == EAGAIN))
		goto out;
	if (n > 0)
		r = gdb_server_input(gk->srv, buf, (size_t)n);
	if (n <= 0 || r < 0) {
		/* Breakpoints come out, the guest runs on: as for D. */
		fprintf(stderr, "armz: gdb: connection lost\n");
		gk_close_conn(gk);
		gdb_server_disconnected(gk->srv);
	}
	gk_end_if_done(gk);
out:
	pthread_mutex_unlock(&gk->lock);
}

static void *gk_thread(void *arg)
{
	struct gdb_kvm *gk = arg;

	for (;;) {
		struct pollfd p[3] = { { .fd = gk->wake_fd, .events = POLLIN } };
		int n = 1, ic = -1, conn;
		uint64_t v;

		pthread_mutex_lock(&gk->lock);
		if (gk->quit) {
			pthread_mutex_unlock(&gk->lock);
			break;
		}
		conn = gk->conn_fd;
		p[n++] = (struct pollfd){ gk->listen_fd, POLLIN, 0 };
		/* Not before the session exists: gdb's bytes wait. */
		if (conn >= 0 && gk->srv) {
			ic = n;
			p[n++] = (struct pollfd){ conn, POLLIN, 0 };
		}
		pthread_mutex_unlock(&gk->lock);

		if (poll(p, (nfds_t)n, -1) < 0)
			continue;
		if (p[0].revents & POLLIN &&
		    read(gk->wake_fd, &v, sizeof(v)) == sizeof(v)) {
			pthread_mutex_lock(&gk->lock);
			gk_on_halted(gk);
			pthread_mutex_unlock(&gk->lock);
		}
		if (p[1].revents)
			gk_accept(gk);
		if (ic > 0 && p[ic].revents)
			gk_read(gk, conn);
	}
	return NULL;
}

/* --- Life --- */

int gdb_kvm_new(const char *spec, bool wait, const struct kvm *kvm,
		struct gdb_kvm **out)
{
	struct gdb_kvm *gk = calloc(1, sizeof(*gk));
	int r;

	if (!gk)
		return err_set(ENOMEM, "gdb: out of memory");
	gk->wait = wait;
	gk->guest_debug = kvm->caps.guest_debug;
	gk->sysregs = kvm->caps.sysregs;
	gk->hw_bps = kvm->caps.hw_bps;
	gk->hw_wps = kvm->caps.hw_wps;
	gk->conn_fd = -1;
	gk->listen_fd = -1;
	pthread_mutex_init(&gk->lock, NULL);
	gk->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (gk->wake_fd < 0) {
		r = err_set(errno, "gdb: eventfd: %s", strerror(errno));
		goto fail;
	}
	r = gdb_endpoint_parse(spec, &gk->ep);
	if (r)
		goto fail;
	gk->listen_fd = gdb_listen(&gk->ep, gk->where, sizeof(gk->where));
	if (gk->listen_fd < 0) {
		r = gk->listen_fd;
		goto fail;
	}
	fprintf(stderr, "armz: gdb: listening on %s%s\n", gk->where,
		wait ? "; the guest waits for gdb" : "");
	*out = gk;
	return 0;
fail:
	gdb_kvm_free(gk);
	return r;
}

int gdb_kvm_attach(struct gdb_kvm *gk, struct vcpus *vcpus,
		   const struct guest_mem *mem)
{
	struct gk_step *step = calloc(vcpus->count, sizeof(*step));
	int r;

	if (!step)
		return err_set(ENOMEM, "gdb: out of memory");
	pthread_mutex_lock(&gk->lock);
	gk->vcpus = vcpus;
	gk->mem = mem;
	gk->step = step;
	gk->event = false;
	gk->last_vcpu = 0;
	hwdebug_init(&gk->hw, gk->hw_bps, gk->hw_wps);
	vcpus_set_debugger(vcpus, &gk_vcpu_ops, gk);
	/* Parks them before their first run: for --gdb-wait, or a gdb
	 * that connected between boots. */
	if (gk->wait || gk->conn_fd >= 0)
		vcpus_halt(vcpus);
	pthread_mutex_unlock(&gk->lock);
	if (!gk->thread_started) {
		r = thread_spawn(&gk->thread, THREAD_GDB, gk_thread, gk);
		if (r)
			return err_set(r, "gdb: cannot start its thread: %s",
				       strerror(r));
		gk->thread_started = true;
	}
	gk_wake(gk);
	return 0;
}

void gdb_kvm_detach(struct gdb_kvm *gk, int status)
{
	pthread_mutex_lock(&gk->lock);
	if (gk->srv) {
		/* W to a gdb waiting for a stop; the rest see the close. */
		gdb_server_exited(gk->srv, (unsigned int)status & 0xff);
		gdb_server_free(gk->srv);
		gk->srv = NULL;
		fprintf(stderr, "armz: gdb: the guest ended (status %d); session over\n",
			status);
	}
	gk_close_conn(gk);
	gk->vcpus = NULL;
	gk->mem = NULL;
	free(gk->step);
	gk->step = NULL;
	pthread_mutex_unlock(&gk->lock);
	gk_wake(gk);
}

void gdb_kvm_free(struct gdb_kvm *gk)
{
	if (!gk)
		return;
	if (gk->thread_started) {
		pthread_mutex_lock(&gk->lock);
		gk->quit = true;
		pthread_mutex_unlock(&gk->lock);
		gk_wake(gk);
		pthread_join(gk->thread, NULL);
	}
	gk_close_conn(gk);
	gdb_server_free(gk->srv);
	free(gk->step);
	if (gk->listen_fd >= 0) {
		close(gk->listen_fd);
		if (gk->ep.kind == GDB_ENDPOINT_UNIX)
			unlink(gk->ep.path);
	}
	if (gk->wake_fd >= 0)
		close(gk->wake_fd);
	pthread_mutex_destroy(&gk->lock);
	free(gk);
}
