/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_GDB_KVM_H
#define ARMZ_VMM_GDB_KVM_H

#include <stdbool.h>

#include <armz/guest-mem.h>
#include "kvm.h"
#include "vcpu.h"

/*
 * --gdb on real KVM: the socket gdb connects to, the thread that serves
 * it, and the machine as armz/gdb.h's server sees it (struct
 * gdb_target_ops): a boot's vCPU group and guest RAM.
 *
 * Life: main makes one per run, which listens at once, so gdb may
 * connect before the guest boots. Each boot's machine attaches before
 * its vCPUs start and detaches once they are joined. The listening
 * socket lasts the run; a session lasts one boot at most: when the
 * machine goes (poweroff, reset, kill, ...) gdb is told the inferior
 * exited with the machine's status (123 for a reset) and the connection
 * closes; gdb may connect again to the next boot. --gdb-wait holds
 * every boot at its first instruction until gdb lets it run.
 *
 * Threads: one thread, started at the first attach (after armz dropped
 * its capabilities), polls the listening socket, gdb's connection and
 * an eventfd written when the vCPU group has halted. One mutex orders
 * every call on the server: from that thread, and from vCPU threads on
 * a debug exit. It is never held while waiting for the vCPUs: a halt is
 * asked for, and its end arrives on the eventfd.
 *
 * All-stop: when gdb connects, on Ctrl-C, and when one vCPU stops for a
 * breakpoint, watchpoint or step, every vCPU parks. The first event
 * since the guest was resumed is reported; another vCPU's event in the
 * same moment is dropped, and since a BRK, a breakpoint or watchpoint
 * exception leaves the PC at its instruction, it happens again once
 * that vCPU runs, and is reported then.
 */
struct gdb_kvm;

/* Listens on spec (armz/gdb-listen.h); says where on stderr. */
int gdb_kvm_new(const char *spec, bool wait, const struct kvm *kvm,
		struct gdb_kvm **out);
/* A boot begins: before vcpus_start(). */
int gdb_kvm_attach(struct gdb_kvm *gk, struct vcpus *vcpus,
		   const struct guest_mem *mem);
/* The boot ended with status: after vcpus_stop(), before RAM goes. */
void gdb_kvm_detach(struct gdb_kvm *gk, int status);
void gdb_kvm_free(struct gdb_kvm *gk);

#endif
