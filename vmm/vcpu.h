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
	pthread_mutex_t lock;		/* guards paused for the cond */
	pthread_cond_t unpaused;
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

#endif
