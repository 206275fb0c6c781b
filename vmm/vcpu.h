/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_VCPU_H
#define ARMZ_VMM_VCPU_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include <armz/bus.h>
#include <armz/kvm-arm64-abi.h>
#include "coalesced-mmio.h"
#include "kvm.h"
#include "stats.h"

/*
 * A machine's vCPUs: one thread each running KVM_RUN, MMIO exits
 * dispatched to the bus, and everything that ends a run (poweroff, reset,
 * a fault) handed to the machine through one stop callback. The group
 * also holds what all of them share: the stop and pause state.
 *
 * Threads: vcpus_start() makes the threads; stop, pause and resume may
 * come from any thread; vcpus_stop() joins them. A vCPU never calls into
 * the machine but through the stop callback.
 *
 * A debugger (vmm/gdb-kvm.c) sees the group as a whole: it halts every
 * vCPU outside KVM_RUN (all-stop), learns through a callback when the
 * last one has parked, reads and writes their registers while they are
 * parked, and lets them run again, some of them held back (a single
 * step runs one vCPU). A halt is the debugger's own: `armz pause` and
 * `armz resume` neither end it nor are ended by it.
 */

/* Why a machine stopped running; the first reason given wins. */
enum stop_reason {
	STOP_NONE,
	STOP_POWEROFF,
	STOP_RESET,
	STOP_PANIC,
	STOP_FAULT,
	STOP_ERROR,
	STOP_SIGNAL,
	STOP_USER,		/* the console escape, `armz stop` */
	STOP_TEST_EXIT,		/* a payload wrote the test-exit register */
	STOP_TIMEOUT,
};

/* Called once per stop request; msg may be NULL (nothing to say). */
typedef void (*vcpu_stop_fn)(void *ctx, enum stop_reason reason,
			     int status, const char *msg);

struct vcpus;

struct vcpu {
	struct vcpus *group;
	unsigned int id;
	int fd;
	struct az_kvm_run *run;
	pthread_t thread;
	bool started;
	atomic_bool hold;	/* stays parked when the others run again */
};

/* What a debugger does for the group; ctx is its own. */
struct vcpu_debug_ops {
	/*
	 * On v's own thread, after a KVM_EXIT_DEBUG (v->run->debug). It
	 * either deals with the exit and lets v run on, or calls
	 * vcpus_halt(), and v parks with the others.
	 */
	void (*exit)(void *ctx, struct vcpu *v);
	/*
	 * Every vCPU has parked since vcpus_halt(): called once per halt,
	 * from whichever thread saw the last one park, with the group's
	 * lock held; it may only take note (an eventfd write).
	 */
	void (*halted)(void *ctx);
};

struct vcpus {
	struct kvm *kvm;
	const struct mmio_bus *bus;
	struct vm_stats *stats;
	vcpu_stop_fn stop;
	void *stop_ctx;
	/*
	 * Writes KVM queued without an exit, served before every exit is
	 * (coalesced-mmio.h); set by the machine before vcpus_start(), or
	 * NULL.
	 */
	struct coalesced_mmio *queued;

	unsigned int count;
	struct vcpu *cpu;

	atomic_bool stopping;
	atomic_bool paused;
	atomic_bool halt;		/* a debugger's all-stop */
	pthread_mutex_t lock;		/* guards the rest, for the cond */
	pthread_cond_t unpaused;

	const struct vcpu_debug_ops *debug;
	void *debug_ctx;
	bool halt_told;			/* debug->halted() came for this halt */
	unsigned int parked;		/* threads parked, or ended for good */
};

/* Installs the signal handler that kicks a vCPU out of KVM_RUN. */
void vcpu_install_kick_handler(void);

/*
 * Creates count vCPUs (KVM_CREATE_VCPU, KVM_ARM_VCPU_INIT); secondaries
 * start powered off, for PSCI CPU_ON. Before the GIC is initialised.
 */
int vcpus_create(struct vcpus *g, struct kvm *kvm, unsigned int count,
		 const struct mmio_bus *bus, struct vm_stats *stats,
		 vcpu_stop_fn stop, void *stop_ctx);
/*
 * Each vCPU's PMU (made with kvm->vm_pmu set): its overflow interrupt,
 * the INTID of a PPI, then INIT. After the vGIC is initialised.
 */
int vcpus_init_pmu(struct vcpus *g, unsigned int intid);
/* The arm64 boot protocol on vCPU 0: x0 = dtb, pc = entry, EL1h. */
int vcpus_set_boot(struct vcpus *g, uint64_t entry, uint64_t dtb);
int vcpus_start(struct vcpus *g);
/* Parks every vCPU outside KVM_RUN, or lets them run again. */
void vcpus_pause(struct vcpus *g, bool pause);
bool vcpus_paused(const struct vcpus *g);
/*
 * Asks every vCPU to leave its loop at its next exit (any thread, e.g.
 * the stop callback); vcpus_stop() then kicks and joins them.
 */
void vcpus_request_stop(struct vcpus *g);
bool vcpus_stopping(struct vcpus *g);
/* Stops and joins the threads; the vCPUs stay until vcpus_destroy(). */
void vcpus_stop(struct vcpus *g);
void vcpus_destroy(struct vcpus *g);

/* --- Debugging --- */

/* Before vcpus_start(); ops stays in use until vcpus_stop(). */
void vcpus_set_debugger(struct vcpus *g, const struct vcpu_debug_ops *ops,
			void *ctx);
/*
 * Asks every vCPU to park outside KVM_RUN (any thread, also a vCPU's
 * own); debug->halted() says when all have. Before vcpus_start() the
 * vCPUs park before their first KVM_RUN.
 */
void vcpus_halt(struct vcpus *g);
/* A halt was asked for and every vCPU has parked since. */
bool vcpus_halted(struct vcpus *g);
/*
 * Ends a halt: the vCPUs run again, but those hold[i] names stay parked
 * (hold may be NULL: all run).
 */
void vcpus_release(struct vcpus *g, const bool *hold);
/* Hands a stop to the machine through the stop callback (gdb's kill). */
void vcpus_end(struct vcpus *g, enum stop_reason reason, int status,
	       const char *msg);

/*
 * One register by KVM ONE_REG id, into or from a buffer of the id's
 * size (up to 16 bytes) in host order; and KVM_SET_GUEST_DEBUG. Only on
 * the vCPU's own thread, or while it is parked: a vCPU ioctl waits while
 * the vCPU is inside KVM_RUN. 0 or -errno.
 */
int vcpu_reg_read(struct vcpu *v, uint64_t id, void *buf);
int vcpu_reg_write(struct vcpu *v, uint64_t id, const void *buf);
int vcpu_set_guest_debug(struct vcpu *v, const struct az_kvm_guest_debug *dbg);

#endif
