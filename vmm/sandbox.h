/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_SANDBOX_H
#define ARMZ_VMM_SANDBOX_H

#include <stddef.h>

#include <armz/thread.h>
#include <armz/vmm.h>

/*
 * seccomp filters for every thread of armz, one allow-list per role
 * (main, each enum thread_role, the spawner, the control commands).
 * See sandbox.c for who makes which thread and why each gets exactly
 * its own list.
 */
/*
 * enum vm_seccomp (vmm.h) is the mode: on, a forbidden call ends armz
 * with ARMZ_EXIT_SECCOMP (128 + SIGSYS, what a shell shows for death by
 * it); log, the kernel logs the call and lets it through; off.
 */
/*
 * Builds every role's filter, catches SIGSYS, starts the spawner and
 * makes thread_spawn() use it. Call once, in main's thread, before any
 * other thread exists. selftest (NULL: none) names a role whose threads
 * make a forbidden call right after their filter is in: for the tests.
 */
int sandbox_init(enum vm_seccomp mode, const char *selftest);
/* Confines main's own thread. */
int sandbox_enter_main(void);
/* Confines a process that only runs a control command (armz list, ...). */
int sandbox_enter_control(const char *selftest);

/*
 * For the unit tests: the number of rules role name would load on this
 * architecture and of the different calls they allow (-1: no such
 * role), and a way to confine the calling thread to it directly.
 */
int sandbox_rule_count(const char *role, int *nsyscalls);
int sandbox_enter_role(const char *role);

#endif
