/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_MACHINE_H
#define ARMZ_VMM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>

#include <armz/bus.h>
#include <armz/command.h>
#include <armz/guest-mem.h>
#include <armz/initramfs.h>
#include <armz/irq.h>
#include <armz/memmap.h>
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

/* Moments of a run, in ns since armz started; 0 until they happen. */
enum vm_moment {
	AT_FIRST_RUN,		/* the first KVM_RUN */
	AT_FIRST_OUTPUT,	/* the first console byte */
	AT_USERSPACE,		/* the guest wrote test-exit's BOOTED */
	AT_EXIT,
	AT_COUNT,
};

enum vm_exit_kind {
	EXITS_MMIO,
	EXITS_SYSTEM_EVENT,
	EXITS_INTERRUPTED,
	EXITS_OTHER,
	EXITS_COUNT,
};

/* What a run did, across guest resets: the --report and `armz status`. */
struct vm_stats {
	uint64_t start_ns;
	_Atomic uint64_t at[AT_COUNT];
	_Atomic uint64_t exits[EXITS_COUNT];
	_Atomic uint64_t console_out;
	_Atomic uint64_t console_in;
	unsigned int resets;
};

uint64_t stats_now(const struct vm_stats *s);
void stats_mark(struct vm_stats *s, enum vm_moment at);

struct vcpu {
	struct machine *machine;
	unsigned int id;
	int fd;
	struct az_kvm_run *run;
	pthread_t thread;
	bool started;
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
	struct vm_stats *stats;
	uint64_t entry;
	uint64_t dtb_gpa;

	struct virtio_mmio *virtio[MEMMAP_VIRTIO_SLOTS];
	struct irq_line virtio_irq[MEMMAP_VIRTIO_SLOTS];
	unsigned int nvirtio;

	struct virtio_device *input_console;	/* hvc0 takes stdin */

	struct irq_line uart_irq;
	struct uart *uart;
	struct test_exit *test_exit;
	struct pvpanic *pvpanic;

	atomic_bool stopping;
	atomic_bool paused;
	pthread_cond_t unpaused;
	uint64_t panic_seen_ns;		/* the console showed a panic */
	pthread_mutex_t lock;
	int event_fd;			/* written when a stop is requested */
	enum stop_reason reason;
	int status;			/* exit status that goes with reason */
};

int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct kvm *kvm, struct vm_stats *stats);
enum stop_reason machine_run(struct machine *m, int signal_fd,
			     int control_fd);
void machine_pause(struct machine *m, bool pause);
void machine_panic_seen(struct machine *m);
void machine_destroy(struct machine *m);
void machine_request_stop(struct machine *m, enum stop_reason reason,
			  int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

struct virtio_device;
int machine_add_virtio(struct machine *m, struct virtio_device *dev);
int machine_connect_irqfds(struct machine *m);
void machine_stop_virtio(struct machine *m);
void machine_free_virtio(struct machine *m);

int vcpu_create(struct machine *m, struct vcpu *v, unsigned int id);
int vcpu_start(struct vcpu *v);
void vcpu_kick(struct vcpu *v);
void vcpu_join(struct vcpu *v);
void vcpu_destroy(struct vcpu *v);
void vcpu_install_kick_handler(void);

/* Console: the UART's output and the host's input. */
int console_open_log(const char *path);
void console_close_log(void);
int console_write(void *ctx, const uint8_t *buf, size_t len);
int console_write_stdout(void *ctx, const uint8_t *buf, size_t len);
int console_write_stderr(void *ctx, const uint8_t *buf, size_t len);
int console_start(struct machine *m);
void console_stop(void);
int term_raw_enter(void);
void term_raw_leave(void);

/* Run-a-command mode: the initramfs with armz-init and the command. */
int command_build_initrd(const struct vm_config *cfg, struct cpio *out);
/*
 * The same, also handing back (when plan is not NULL) what was found of
 * the kernel: its release, where its config and modules came from
 * (plan->config_from NULL: no config, nothing was checked) and the
 * modules packed. The caller frees it with modules_plan_free().
 */
struct modules_plan;
int command_build_initrd_plan(const struct vm_config *cfg, struct cpio *out,
			      struct modules_plan **plan);

/* Control socket and the JSON report. */
bool control_name_ok(const char *name);
int control_listen(const char *name, char **path);
void control_serve(struct machine *m, int listen_fd);
int control_command(int argc, char **argv);
void report_write(FILE *f, const struct machine *m, const char *name);
int report_save(const char *path, const struct machine *m, const char *name);

#endif
