/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_GDB_H
#define ARMZ_GDB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * armz's gdb stub: a GDB remote serial protocol server (gdb manual,
 * "Remote Protocol") in all-stop mode, where gdb's threads are the
 * vCPUs (thread id = vCPU index + 1). It knows neither sockets nor KVM:
 * bytes from gdb go in through gdb_server_input(), bytes for gdb come
 * out through the output callback, and the machine is reached only
 * through struct gdb_target_ops.
 *
 * Threads: a server is not locked. Every call on one server, and every
 * callback it makes, happens on one thread at a time: the caller (the
 * thread that reads gdb's socket, and the vCPU that reports a stop)
 * serialises them, e.g. under one mutex.
 *
 * Software breakpoints belong to the server: Z0 reads the 4 bytes at
 * the address through read_mem, remembers them and writes BRK #0 through
 * write_mem; z0, D, k and a lost connection write the originals back.
 * Memory reads show the original instructions, and writes over a
 * planted BRK update the remembered bytes and leave the BRK in place.
 * The target decides with gdb_server_owns_breakpoint() whether a BRK
 * the guest hit is gdb's or the guest's own.
 *
 * Hardware breakpoints and watchpoints belong to the target (it knows
 * how many slots KVM_CAP_GUEST_DEBUG_HW_BPS/WPS give).
 */

/* AArch64 BRK #0, the instruction Z0 plants (kind 4). */
#define GDB_BRK_INSN		0xd4200000U
#define GDB_BRK_KIND		4

struct gdb_server;

enum gdb_point {
	GDB_POINT_SW_BREAK = 0,		/* Z0: only asked, see insert_point */
	GDB_POINT_HW_BREAK = 1,		/* Z1: kind = 4 */
	GDB_POINT_WATCH_WRITE = 2,	/* Z2..Z4: len bytes at addr */
	GDB_POINT_WATCH_READ = 3,
	GDB_POINT_WATCH_ACCESS = 4,
};

/* What each vCPU does when the guest resumes. */
enum gdb_resume {
	GDB_RESUME_STAY,		/* stays stopped */
	GDB_RESUME_CONT,
	GDB_RESUME_STEP,		/* one instruction, then stop all */
};

enum gdb_stop_reason {
	GDB_STOP_TRAP,			/* attached, or no other reason */
	GDB_STOP_STEP,			/* a single step ended */
	GDB_STOP_SWBREAK,		/* a BRK the server planted */
	GDB_STOP_HWBREAK,
	GDB_STOP_WATCH,			/* addr: the data address */
	GDB_STOP_RWATCH,
	GDB_STOP_AWATCH,
	GDB_STOP_INTERRUPT,		/* after ops->interrupt() */
};

/*
 * The machine as the server sees it. Calls come only while the guest is
 * stopped, except interrupt() (and kill()). Errors are negative errnos;
 * -ENOENT from read_reg means "unavailable" (gdb shows <unavailable>).
 */
struct gdb_target_ops {
	unsigned int (*nr_vcpus)(void *ctx);
	/*
	 * gdb register regno (armz/gdb-regs.h) of one vCPU, as
	 * gdb_reg_size(regno) little-endian bytes.
	 */
	int (*read_reg)(void *ctx, unsigned int vcpu, unsigned int regno,
			uint8_t *val);
	int (*write_reg)(void *ctx, unsigned int vcpu, unsigned int regno,
			 const uint8_t *val);
	/*
	 * Guest memory by virtual address as vcpu sees it (its translation
	 * regime): read_mem returns the bytes read (short at the first
	 * unmapped one) or -errno when none; write_mem writes all or
	 * nothing. armz/mmu.h does both from the vCPU's system registers.
	 * A write may be code (a breakpoint): the target keeps the
	 * guest's instruction fetches coherent with it.
	 */
	ssize_t (*read_mem)(void *ctx, unsigned int vcpu, uint64_t addr,
			    void *buf, size_t len);
	int (*write_mem)(void *ctx, unsigned int vcpu, uint64_t addr,
			 const void *buf, size_t len);
	/*
	 * NULL or -ENOTSUP: gdb is told the kind is unsupported. Before
	 * the server plants a BRK for Z0 it asks with GDB_POINT_SW_BREAK
	 * (len 4): an error refuses the breakpoint (a target that cannot
	 * trap BRKs), and no remove_point follows for that type.
	 */
	int (*insert_point)(void *ctx, enum gdb_point type, uint64_t addr,
			    uint64_t len);
	int (*remove_point)(void *ctx, enum gdb_point type, uint64_t addr,
			    uint64_t len);
	/*
	 * Lets the guest run: actions[i] for vCPU i, at least one not
	 * GDB_RESUME_STAY. When any vCPU stops (breakpoint, watchpoint,
	 * step done, interrupt) the target stops all of them and then
	 * calls gdb_server_stopped() once.
	 */
	int (*resume)(void *ctx, const enum gdb_resume *actions);
	/* Ctrl-C: stop all vCPUs soon; report GDB_STOP_INTERRUPT. */
	void (*interrupt)(void *ctx);
	/* gdb left: clear hardware points and guest debugging, resume all. */
	void (*detach)(void *ctx);
	/* gdb's kill: end armz. */
	void (*kill)(void *ctx);
};

/* Sends bytes to gdb; returns 0 or -errno. */
typedef int (*gdb_out_fn)(void *ctx, const void *buf, size_t len);

/*
 * A server for one gdb connection. The guest must be stopped already
 * (armz stops it when gdb connects, or never started it: --gdb-wait);
 * gdb's first '?' is answered with a SIGTRAP stop on vCPU 0.
 */
int gdb_server_new(const struct gdb_target_ops *ops, void *target,
		   gdb_out_fn out, void *out_ctx, struct gdb_server **srvp);
void gdb_server_free(struct gdb_server *srv);

/*
 * Bytes from gdb, in chunks of any size. Returns 0, 1 when the session
 * is over (gdb detached or killed: close the connection), or -errno when
 * output failed.
 */
int gdb_server_input(struct gdb_server *srv, const void *buf, size_t len);

/*
 * The guest stopped after resume() or interrupt(): all vCPUs are still,
 * vcpu is the one to report, addr the data address of a watchpoint.
 * Sends the stop reply. Ignored (false) when the server was not waiting
 * for a stop.
 */
bool gdb_server_stopped(struct gdb_server *srv, unsigned int vcpu,
			enum gdb_stop_reason reason, uint64_t addr);
/* The guest ended (powered off, reset, ...) with status: W reply. */
void gdb_server_exited(struct gdb_server *srv, unsigned int status);
/* The connection went away without D or k: behave as for D. */
void gdb_server_disconnected(struct gdb_server *srv);

/* Whether a BRK at addr is one the server planted. */
bool gdb_server_owns_breakpoint(const struct gdb_server *srv, uint64_t addr);
/* Whether the guest is running as far as gdb knows. */
bool gdb_server_running(const struct gdb_server *srv);
/*
 * Whether the session is over (detached, killed, or disconnected and
 * cleaned up): the server can be freed. After a disconnect while the
 * guest ran, that is once gdb_server_stopped() has come.
 */
bool gdb_server_done(const struct gdb_server *srv);

#endif
