// SPDX-License-Identifier: GPL-2.0
/*
 * vCPU threads: one KVM_RUN loop each, MMIO dispatched to the bus, system
 * events turned into a stop request. Secondaries start powered off and the
 * in-kernel PSCI brings them up when the guest asks.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/thread.h>
#include "vcpu.h"

#define VCPU_KICK_SIGNAL SIGUSR1

/*
 * The kick handler sets immediate_exit, so a kick that lands between the
 * stop check and KVM_RUN still makes KVM_RUN return at once.
 */
static __thread struct az_kvm_run *vcpu_current_run;

static void vcpu_kick_handler(int sig)
{
	if (vcpu_current_run)
		vcpu_current_run->immediate_exit = 1;
}

void vcpu_install_kick_handler(void)
{
	struct sigaction sa = { .sa_handler = vcpu_kick_handler };

	sigemptyset(&sa.sa_mask);
	sigaction(VCPU_KICK_SIGNAL, &sa, NULL);
}

static int vcpu_set_reg(struct vcpu *v, uint64_t id, uint64_t value)
{
	struct az_kvm_one_reg reg = {
		.id = id, .addr = (uint64_t)(uintptr_t)&value,
	};

	if (ioctl(v->fd, AZ_KVM_SET_ONE_REG, &reg) < 0)
		return err_set(errno, "vCPU %u: cannot set register 0x%llx: %s",
			       v->id, (unsigned long long)id, strerror(errno));
	return 0;
}

static uint64_t vcpu_get_reg(struct vcpu *v, uint64_t id)
{
	uint64_t value = 0;
	struct az_kvm_one_reg reg = {
		.id = id, .addr = (uint64_t)(uintptr_t)&value,
	};

	if (ioctl(v->fd, AZ_KVM_GET_ONE_REG, &reg) < 0)
		return ~0ULL;
	return value;
}

int vcpu_reg_read(struct vcpu *v, uint64_t id, void *buf)
{
	struct az_kvm_one_reg reg = { .id = id, .addr = (uintptr_t)buf };

	return ioctl(v->fd, AZ_KVM_GET_ONE_REG, &reg) < 0 ? -errno : 0;
}

int vcpu_reg_write(struct vcpu *v, uint64_t id, const void *buf)
{
	struct az_kvm_one_reg reg = { .id = id, .addr = (uintptr_t)buf };

	return ioctl(v->fd, AZ_KVM_SET_ONE_REG, &reg) < 0 ? -errno : 0;
}

int vcpu_set_guest_debug(struct vcpu *v, const struct az_kvm_guest_debug *dbg)
{
	return ioctl(v->fd, AZ_KVM_SET_GUEST_DEBUG, dbg) < 0 ? -errno : 0;
}

static int vcpu_init(struct vcpu *v)
{
	struct kvm *kvm = v->group->kvm;
	struct az_kvm_vcpu_init init = {
		.target = kvm->caps.preferred_target,
	};

	if (kvm->caps.psci_0_2)
		init.features[0] |= 1U << AZ_KVM_ARM_VCPU_PSCI_0_2;
	if (v->id)
		init.features[0] |= 1U << AZ_KVM_ARM_VCPU_POWER_OFF;
	if (kvm->vm_pmu)
		init.features[0] |= 1U << AZ_KVM_ARM_VCPU_PMU_V3;
	if (ioctl(v->fd, AZ_KVM_ARM_VCPU_INIT, &init) < 0)
		return err_set(errno, "vCPU %u: KVM_ARM_VCPU_INIT (target %u, features 0x%x): %s",
			       v->id, init.target, init.features[0],
			       strerror(errno));
	return 0;
}

/* The arm64 boot protocol: x0 = DTB, x1..x3 = 0, EL1h, DAIF masked. */
int vcpus_set_boot(struct vcpus *g, uint64_t entry, uint64_t dtb)
{
	struct vcpu *v = &g->cpu[0];
	int r;

	r = vcpu_set_reg(v, AZ_REG_PSTATE, AZ_PSR_MODE_EL1H | AZ_PSR_DAIF);
	if (!r)
		r = vcpu_set_reg(v, AZ_REG_X(0), dtb);
	for (unsigned int i = 1; !r && i < 4; i++)
		r = vcpu_set_reg(v, AZ_REG_X(i), 0);
	if (!r)
		r = vcpu_set_reg(v, AZ_REG_PC, entry);
	return r;
}

static int vcpu_create(struct vcpus *g, struct vcpu *v, unsigned int id)
{
	void *run;

	v->group = g;
	v->id = id;
	v->fd = ioctl(g->kvm->vm_fd, AZ_KVM_CREATE_VCPU, (unsigned long)id);
	if (v->fd < 0)
		return err_set(errno, "cannot create vCPU %u: %s", id,
			       strerror(errno));
	run = mmap(NULL, (size_t)g->kvm->run_size, PROT_READ | PROT_WRITE,
		   MAP_SHARED, v->fd, 0);
	if (run == MAP_FAILED)
		return err_set(errno, "vCPU %u: cannot map its run area: %s",
			       id, strerror(errno));
	v->run = run;
	return vcpu_init(v);
}

/* Hands a stop to the machine, with a message made here. */
static void vcpu_request_stop(struct vcpu *v, enum stop_reason reason,
			      int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void vcpu_request_stop(struct vcpu *v, enum stop_reason reason,
			      int status, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof(msg), fmt, ap);
		va_end(ap);
	}
	v->group->stop(v->group->stop_ctx, reason, status, fmt ? msg : NULL);
}

static void vcpu_fault(struct vcpu *v, const char *what, uint64_t addr,
		       unsigned int len)
{
	uint64_t pc = vcpu_get_reg(v, AZ_REG_PC);

	vcpu_request_stop(v, STOP_FAULT, ARMZ_EXIT_GUEST_FAULT,
			  "guest %s of %u bytes at unmapped address 0x%llx (vCPU %u, PC 0x%llx)",
			  what, len, (unsigned long long)addr, v->id,
			  (unsigned long long)pc);
}

static void vcpu_handle_mmio(struct vcpu *v)
{
	struct az_kvm_run *run = v->run;
	unsigned int len = run->mmio.len;
	int i;

	if (len != 1 && len != 2 && len != 4 && len != 8) {
		vcpu_fault(v, "access of bad size", run->mmio.phys_addr, len);
		return;
	}
	i = mmio_bus_find(v->group->bus, run->mmio.phys_addr, len);
	if (i >= 0)
		atomic_fetch_add_explicit(&v->group->stats->mmio_exits_at[i],
					  1, memory_order_relaxed);
	if (mmio_bus_access(v->group->bus, run->mmio.phys_addr,
			    run->mmio.data, len, run->mmio.is_write))
		vcpu_fault(v, run->mmio.is_write ? "write" : "read",
			   run->mmio.phys_addr, len);
}

static void vcpu_handle_system_event(struct vcpu *v)
{
	switch (v->run->system_event.type) {
	case AZ_KVM_SYSTEM_EVENT_SHUTDOWN:
		vcpu_request_stop(v, STOP_POWEROFF, ARMZ_EXIT_POWEROFF, NULL);
		break;
	case AZ_KVM_SYSTEM_EVENT_RESET:
		vcpu_request_stop(v, STOP_RESET, ARMZ_EXIT_GUEST_RESET, NULL);
		break;
	case AZ_KVM_SYSTEM_EVENT_CRASH:
		vcpu_request_stop(v, STOP_PANIC, ARMZ_EXIT_GUEST_PANIC,
				  "the guest reported a crash (vCPU %u)",
				  v->id);
		break;
	default:
		/* Suspend and wakeup requests need no action from us. */
		break;
	}
}

static enum vm_exit_kind vcpu_exit_kind(uint32_t reason)
{
	switch (reason) {
	case AZ_KVM_EXIT_MMIO:
		return EXITS_MMIO;
	case AZ_KVM_EXIT_SYSTEM_EVENT:
		return EXITS_SYSTEM_EVENT;
	case AZ_KVM_EXIT_INTR:
		return EXITS_INTERRUPTED;
	default:
		return EXITS_OTHER;
	}
}

static void vcpu_count(struct vcpu *v, enum vm_exit_kind kind)
{
	atomic_fetch_add_explicit(&v->group->stats->exits[kind], 1,
				  memory_order_relaxed);
}

/* An exit armz cannot serve: the guest is stopped, with where it was. */
static void vcpu_stop_fault(struct vcpu *v, const char *what, uint64_t value)
{
	vcpu_request_stop(v, STOP_FAULT, ARMZ_EXIT_GUEST_FAULT,
			  "vCPU %u: %s 0x%llx (PC 0x%llx)", v->id, what,
			  (unsigned long long)value,
			  (unsigned long long)vcpu_get_reg(v, AZ_REG_PC));
}

/* Returns false when the loop must end. */
static bool vcpu_handle_exit(struct vcpu *v)
{
	struct az_kvm_run *run = v->run;

	/* Queued writes came first: serve them before this exit. */
	coalesced_mmio_drain(v->group->queued);
	vcpu_count(v, vcpu_exit_kind(run->exit_reason));
	switch (run->exit_reason) {
	case AZ_KVM_EXIT_MMIO:
		vcpu_handle_mmio(v);
		return true;
	case AZ_KVM_EXIT_SYSTEM_EVENT:
		vcpu_handle_system_event(v);
		return false;
	case AZ_KVM_EXIT_INTR:
		return true;
	case AZ_KVM_EXIT_DEBUG:
		/* Only a debugger turns guest debugging on. */
		if (!v->group->debug) {
			vcpu_stop_fault(v, "debug exit with no debugger, ESR",
					run->debug.hsr);
			return false;
		}
		v->group->debug->exit(v->group->debug_ctx, v);
		return true;
	case AZ_KVM_EXIT_ARM_NISV:
		vcpu_stop_fault(v, "guest access KVM cannot decode at",
				run->arm_nisv.fault_ipa);
		return false;
	case AZ_KVM_EXIT_FAIL_ENTRY:
		vcpu_stop_fault(v, "failed to enter the guest, reason",
				run->fail_entry.hardware_entry_failure_reason);
		return false;
	default:
		vcpu_stop_fault(v, "unexpected KVM exit", run->exit_reason);
		return false;
	}
}

/* Why v must stay out of KVM_RUN: `armz pause`, or a debugger. */
static bool vcpu_must_park(struct vcpu *v)
{
	struct vcpus *g = v->group;

	return atomic_load(&g->paused) || atomic_load(&g->halt) ||
	       atomic_load(&v->hold);
}

/* g->lock held: tells the debugger once every vCPU has parked. */
static void vcpus_check_halted(struct vcpus *g)
{
	if (atomic_load(&g->halt) && !g->halt_told &&
	    g->parked == g->count) {
		g->halt_told = true;
		if (g->debug)
			g->debug->halted(g->debug_ctx);
	}
}

/* Waits outside KVM_RUN until v may run again or the machine stops. */
static void vcpu_park(struct vcpu *v)
{
	struct vcpus *g = v->group;

	pthread_mutex_lock(&g->lock);
	g->parked++;
	vcpus_check_halted(g);
	while (vcpu_must_park(v) && !atomic_load(&g->stopping))
		pthread_cond_wait(&g->unpaused, &g->lock);
	g->parked--;
	pthread_mutex_unlock(&g->lock);
}

static void *vcpu_thread(void *arg)
{
	struct vcpu *v = arg;
	struct vcpus *g = v->group;
	sigset_t set;

	vcpu_current_run = v->run;
	sigemptyset(&set);
	sigaddset(&set, VCPU_KICK_SIGNAL);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);

	while (!atomic_load(&g->stopping)) {
		if (vcpu_must_park(v)) {
			vcpu_park(v);
			continue;
		}
		/* Not before: --gdb-wait may hold the guest for long. */
		stats_mark(g->stats, AT_FIRST_RUN);
		if (ioctl(v->fd, AZ_KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				v->run->immediate_exit = 0;
				vcpu_count(v, EXITS_INTERRUPTED);
				continue;
			}
			vcpu_request_stop(v, STOP_ERROR, ARMZ_EXIT_ERROR,
					  "vCPU %u: KVM_RUN failed: %s",
					  v->id, strerror(errno));
			break;
		}
		if (!vcpu_handle_exit(v))
			break;
	}
	vcpu_current_run = NULL;
	/* Out of KVM_RUN for good: a halt need not wait for it. */
	pthread_mutex_lock(&g->lock);
	g->parked++;
	vcpus_check_halted(g);
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

static void vcpu_kick(struct vcpu *v)
{
	if (v->started)
		pthread_kill(v->thread, VCPU_KICK_SIGNAL);
}

int vcpus_create(struct vcpus *g, struct kvm *kvm, unsigned int count,
		 const struct mmio_bus *bus, struct vm_stats *stats,
		 vcpu_stop_fn stop, void *stop_ctx)
{
	int r = 0;

	*g = (struct vcpus){
		.kvm = kvm, .bus = bus, .stats = stats,
		.stop = stop, .stop_ctx = stop_ctx,
	};
	pthread_mutex_init(&g->lock, NULL);
	pthread_cond_init(&g->unpaused, NULL);
	g->cpu = calloc(count, sizeof(*g->cpu));
	if (!g->cpu)
		return err_set(ENOMEM, "out of memory for vCPUs");
	g->count = count;
	for (unsigned int i = 0; i < count; i++)
		g->cpu[i].fd = -1;
	for (unsigned int i = 0; !r && i < count; i++)
		r = vcpu_create(g, &g->cpu[i], i);
	return r;
}

static int vcpu_pmu_attr(struct vcpu *v, uint64_t attr, void *addr)
{
	struct az_kvm_device_attr a = {
		.group = AZ_KVM_ARM_VCPU_PMU_V3_CTRL, .attr = attr,
		.addr = (uint64_t)(uintptr_t)addr,
	};

	if (ioctl(v->fd, AZ_KVM_SET_DEVICE_ATTR, &a) < 0)
		return err_set(errno, "vCPU %u: cannot set up its PMU (%s): %s",
			       v->id, attr == AZ_KVM_ARM_VCPU_PMU_V3_IRQ ?
			       "interrupt" : "init", strerror(errno));
	return 0;
}

int vcpus_init_pmu(struct vcpus *g, unsigned int intid)
{
	int irq = (int)intid, r = 0;

	for (unsigned int i = 0; !r && i < g->count; i++)
		r = vcpu_pmu_attr(&g->cpu[i], AZ_KVM_ARM_VCPU_PMU_V3_IRQ,
				  &irq) ?:
		    vcpu_pmu_attr(&g->cpu[i], AZ_KVM_ARM_VCPU_PMU_V3_INIT,
				  NULL);
	return r;
}

/*
 * Under the lock, so that vcpus_halt() on another thread either finds a
 * thread started and kicks it, or the thread finds the halt at once.
 */
int vcpus_start(struct vcpus *g)
{
	int r = 0;

	pthread_mutex_lock(&g->lock);
	for (unsigned int i = 0; !r && i < g->count; i++) {
		struct vcpu *v = &g->cpu[i];

		r = thread_spawn(&v->thread, THREAD_VCPU, vcpu_thread, v);
		if (!r)
			v->started = true;
	}
	pthread_mutex_unlock(&g->lock);
	return r;
}

void vcpus_pause(struct vcpus *g, bool pause)
{
	pthread_mutex_lock(&g->lock);
	atomic_store(&g->paused, pause);
	if (!pause)
		pthread_cond_broadcast(&g->unpaused);
	pthread_mutex_unlock(&g->lock);
	for (unsigned int i = 0; pause && i < g->count; i++)
		vcpu_kick(&g->cpu[i]);
}

bool vcpus_paused(const struct vcpus *g)
{
	return atomic_load(&g->paused);
}

void vcpus_request_stop(struct vcpus *g)
{
	pthread_mutex_lock(&g->lock);
	atomic_store(&g->stopping, true);
	pthread_cond_broadcast(&g->unpaused);
	pthread_mutex_unlock(&g->lock);
}

bool vcpus_stopping(struct vcpus *g)
{
	return atomic_load(&g->stopping);
}

/*
 * stopping is set under the lock: a vcpus_halt() after it kicks no
 * thread, so none is kicked once joined.
 */
void vcpus_stop(struct vcpus *g)
{
	pthread_mutex_lock(&g->lock);
	atomic_store(&g->stopping, true);
	atomic_store(&g->paused, false);
	pthread_cond_broadcast(&g->unpaused);
	pthread_mutex_unlock(&g->lock);
	for (unsigned int i = 0; i < g->count; i++)
		vcpu_kick(&g->cpu[i]);
	for (unsigned int i = 0; i < g->count; i++) {
		if (g->cpu[i].started)
			pthread_join(g->cpu[i].thread, NULL);
		g->cpu[i].started = false;
	}
}

void vcpus_set_debugger(struct vcpus *g, const struct vcpu_debug_ops *ops,
			void *ctx)
{
	pthread_mutex_lock(&g->lock);
	g->debug = ops;
	g->debug_ctx = ctx;
	pthread_mutex_unlock(&g->lock);
}

void vcpus_halt(struct vcpus *g)
{
	pthread_t self = pthread_self();

	pthread_mutex_lock(&g->lock);
	if (atomic_load(&g->stopping)) {
		pthread_mutex_unlock(&g->lock);
		return;
	}
	if (!atomic_load(&g->halt)) {
		atomic_store(&g->halt, true);
		g->halt_told = false;
	}
	vcpus_check_halted(g);
	for (unsigned int i = 0; i < g->count; i++) {
		struct vcpu *v = &g->cpu[i];

		if (v->started && !pthread_equal(v->thread, self))
			vcpu_kick(v);
	}
	pthread_mutex_unlock(&g->lock);
}

bool vcpus_halted(struct vcpus *g)
{
	bool r;

	pthread_mutex_lock(&g->lock);
	r = atomic_load(&g->halt) && g->halt_told;
	pthread_mutex_unlock(&g->lock);
	return r;
}

void vcpus_release(struct vcpus *g, const bool *hold)
{
	pthread_mutex_lock(&g->lock);
	for (unsigned int i = 0; i < g->count; i++)
		atomic_store(&g->cpu[i].hold, hold && hold[i]);
	atomic_store(&g->halt, false);
	g->halt_told = false;
	pthread_cond_broadcast(&g->unpaused);
	pthread_mutex_unlock(&g->lock);
}

void vcpus_end(struct vcpus *g, enum stop_reason reason, int status,
	       const char *msg)
{
	g->stop(g->stop_ctx, reason, status, msg);
}

void vcpus_destroy(struct vcpus *g)
{
	for (unsigned int i = 0; g->cpu && i < g->count; i++) {
		struct vcpu *v = &g->cpu[i];

		if (v->run)
			munmap(v->run, (size_t)g->kvm->run_size);
		if (v->fd >= 0)
			close(v->fd);
	}
	free(g->cpu);
	if (g->kvm) {
		pthread_mutex_destroy(&g->lock);
		pthread_cond_destroy(&g->unpaused);
	}
	memset(g, 0, sizeof(*g));
}
