/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_MACHINE_H
#define ARMZ_VMM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>

#include <armz/bus.h>
#include <armz/guest-mem.h>
#include <armz/irq.h>
#include <armz/vmm.h>

/* Why a machine stopped running; the first reason given wins. */
enum stop_reason {
	STOP_NONE,
	STOP_POWEROFF,
	STOP_RESET,
	STOP_PANIC,
	STOP_FAULT,
	STOP_ERROR,
	STOP_SIGNAL,
	STOP_USER,		/* the console escape */
	STOP_TEST_EXIT,		/* a payload wrote the test-exit register */
	STOP_TIMEOUT,
};

struct machine;

struct vcpu {
	struct machine *machine;
	unsigned int id;
	int fd;
	struct az_kvm_run *run;
	pthread_t thread;
	bool started;
	uint64_t exits_mmio;
	uint64_t exits_other;
};

struct uart;
struct test_exit;
struct pvpanic;

struct machine {
	const struct vm_config *cfg;
	struct kvm *kvm;
	unsigned int reset_count;
	unsigned int ncpus;
	struct guest_mem mem;
	void *mem_map;
	size_t mem_map_size;
	struct mmio_bus bus;
	int gic_fd;
	int gic_version;
	struct vcpu *vcpus;
	uint64_t entry;
	uint64_t dtb_gpa;

	struct irq_line uart_irq;
	struct uart *uart;
	struct test_exit *test_exit;
	struct pvpanic *pvpanic;

	atomic_bool stopping;
	pthread_mutex_t lock;
	int event_fd;			/* written when a stop is requested */
	enum stop_reason reason;
	int status;			/* exit status that goes with reason */
};

int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct kvm *kvm, unsigned int reset_count);
enum stop_reason machine_run(struct machine *m, int signal_fd);
void machine_destroy(struct machine *m);
void machine_request_stop(struct machine *m, enum stop_reason reason,
			  int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

int vcpu_create(struct machine *m, struct vcpu *v, unsigned int id);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
void vcpu_install_kick_handler(void);

/* Console: the UART's output and the host's input. */
int console_write(void *ctx, const uint8_t *buf, size_t len);
int console_start(struct machine *m);
void console_stop(void);
int term_raw_enter(void);
void term_raw_leave(void);

#endif
