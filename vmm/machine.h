/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_MACHINE_H
#define ARMZ_VMM_MACHINE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>

#include <armz/bus.h>
#include <armz/guest-mem.h>
#include <armz/vmm.h>
#include "coalesced-mmio.h"
#include "console.h"
#include "guest-log.h"
#include "kvm.h"
#include "stats.h"
#include "vcpu.h"

/*
 * A machine is one boot of the guest: RAM, the interrupt controller, the
 * devices on the MMIO bus, what the loader put in RAM, and the vCPUs. A
 * guest reset throws the whole machine away and builds a new one, so no
 * state can leak from one boot into the next. main drives it: create,
 * start, wait on machine_event_fd() (and the deadline), stop, destroy.
 */

struct gdb_kvm;

/* What main gives every boot besides the user's config. */
struct machine_env {
	struct vm_stats *stats;
	/*
	 * Where the guest's output goes: the kernel's console (the UART,
	 * or hvc0 with --console virtio), and in run-a-command mode the
	 * command's stdout and stderr (hvc0 and hvc1). ctx is theirs.
	 */
	console_out_fn console;
	console_out_fn cmd_stdout;
	console_out_fn cmd_stderr;
	/*
	 * Where what the user must see of a console they do not see goes
	 * (guest-log.h): armz-init's lines, a panic's trace, the last
	 * kernel lines. NULL when the console is in front of them.
	 */
	console_out_fn notice;
	void *out_ctx;
	/* Called once, by whichever thread asks the machine to stop first. */
	void (*stopping)(void);
	/*
	 * Taps and /dev/vhost-net opened once, while armz could; -1 where
	 * --net is not a tap, or not vhost=on.
	 */
	int tap_fds[VM_MAX_NETS];
	int vhost_fds[VM_MAX_NETS];
	/* Run-a-command mode: the initramfs armz built, or NULL. */
	const void *initrd_data;
	size_t initrd_size;
	/* --gdb: the stub every boot attaches to, or NULL. */
	struct gdb_kvm *gdb;
	/*
	 * virtio-fs backends, connected once per run: fs[i] serves
	 * cfg->fs[i]; root_fs, run-a-command mode's root (NULL: the root
	 * goes over 9p, for the reason in root_fs_note). With any of them
	 * guest RAM is a memfd the backends map.
	 */
	struct vhost_user *fs[VM_MAX_SHARES];
	struct vhost_user *root_fs;
	char root_fs_note[256];
	/*
	 * With a backend: mem_size + 2 MiB of address space, PROT_NONE,
	 * where every boot maps its RAM at the same address.
	 */
	void *ram_reserve;
};

struct machine {
	const struct vm_config *cfg;
	const struct machine_env *env;
	struct kvm *kvm;
	struct vm_stats *stats;
	unsigned int ncpus;
	struct guest_mem mem;
	void *mem_map;
	size_t mem_map_size;
	int mem_fd;			/* RAM's memfd, or -1: private RAM */
	uint8_t *shared_ram;		/* the memfd's mapping, in ram_reserve */
	int gic_fd;
	int gic_version;
	int its_fd;			/* -1: no ITS */
	bool mte;			/* memory tagging enabled */
	struct mmio_bus bus;		/* owns every device */
	unsigned int nvirtio;		/* virtio-mmio slots handed out */
	struct console_input input;	/* the UART, or hvc0 */
	struct vcpus vcpus;
	struct coalesced_mmio queued;	/* UART writes KVM queued */
	uint64_t entry;
	uint64_t dtb_gpa;

	/* The console stream, watched for panics; one writer at a time. */
	pthread_mutex_t out_lock;
	struct guest_log *log;		/* guarded by out_lock */

	pthread_mutex_t lock;		/* guards what follows */
	uint64_t panic_seen_ns;		/* the console showed a panic */
	/*
	 * What this boot got to, for main's boot-loop count and messages:
	 * userspace ran (test-exit's BOOTED, or armz-init's start marker);
	 * the kernel restarted in order ("reboot: Restarting system"),
	 * which a guest's userspace asks for, not a failing boot.
	 */
	bool userspace;
	bool restart_asked;
	int event_fd;			/* written when a stop is requested */
	enum stop_reason reason;
	int status;			/* exit status that goes with reason */
};

int machine_create(struct machine *m, const struct vm_config *cfg,
		   struct kvm *kvm, const struct machine_env *env);
/* Starts the vCPUs, attached to the gdb stub if there is one. */
int machine_start(struct machine *m);
/* Readable once a stop was requested: main polls it. */
int machine_event_fd(const struct machine *m);
/* ms until the next deadline (timeout, panic grace), or -1 for none. */
int machine_next_deadline(struct machine *m);
/* The deadline passed: stops the machine if it was one of its own. */
void machine_on_deadline(struct machine *m);
bool machine_stopping(struct machine *m);
void machine_request_stop(struct machine *m, enum stop_reason reason,
			  int status, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
void machine_pause(struct machine *m, bool pause);
/*
 * Joins the vCPUs, detaches gdb; returns why the machine stopped. A
 * reset after a panic is the panic: STOP_PANIC, never STOP_RESET.
 */
enum stop_reason machine_stop(struct machine *m);
/*
 * After the stop: up to n of the kernel's last lines the user has not
 * seen yet, to env->notice, after header when there are any; how many.
 * 0 without a notice.
 */
unsigned int machine_last_lines(struct machine *m, unsigned int n,
				const char *header);
/*
 * After the stop: whether this boot reached userspace, and whether its
 * kernel restarted in order (what a reset the guest asked for looks
 * like). main counts a boot loop and words its messages by them.
 */
void machine_progress(struct machine *m, bool *userspace,
		      bool *restart_asked);
void machine_destroy(struct machine *m);

#endif
