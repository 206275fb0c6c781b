/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_THREAD_H
#define ARMZ_THREAD_H

#include <pthread.h>

/*
 * Every thread armz makes while it runs a guest is made by thread_spawn()
 * and says what it is for: its role. Devices name the role of their
 * workers (struct virtio_device.worker_role) and know nothing more; the
 * VMM sets a spawner that confines each role to the system calls it
 * needs (vmm/sandbox.c). Without one (the unit tests, --seccomp=off) a
 * thread is a plain pthread.
 */
enum thread_role {
	THREAD_DEVICE,		/* a device worker with no role of its own */
	THREAD_VCPU,
	THREAD_CONSOLE,		/* the host's input to the guest's console */
	THREAD_BLK,		/* virtio-blk workers: reads, writes, flushes */
	THREAD_NET,		/* virtio-net workers: frames to a backend */
	THREAD_NET_USER,	/* libslirp's thread: sockets to the world */
	THREAD_9P,		/* virtio-9p worker of a writable share */
	THREAD_9P_RO,		/* ... of a read-only share */
	THREAD_RNG,		/* virtio-rng worker: getrandom() */
	THREAD_HVC,		/* virtio-console workers: the guest's output */
	THREAD_GDB,		/* the gdb stub's socket (--gdb) */
	THREAD_VHOST_USER,	/* a vhost-user device: its backend's health */
	THREAD_ROLES
};

/* "vcpu", "9p-ro", ...: the name a role goes by in messages. */
const char *thread_role_name(enum thread_role role);

/*
 * Makes a thread running fn(arg) in role, with every signal but SIGSYS
 * blocked (a thread that wants one unblocks it). 0, or a negative errno with
 * err_msg() set.
 */
int thread_spawn(pthread_t *tid, enum thread_role role,
		 void *(*fn)(void *), void *arg);

/* What thread_spawn() calls from now on; NULL: plain pthreads again. */
typedef int (*thread_spawn_fn)(pthread_t *tid, enum thread_role role,
			       void *(*fn)(void *), void *arg);
void thread_set_spawner(thread_spawn_fn fn);

/* The plain one, for spawners that make the thread themselves. */
int thread_spawn_plain(pthread_t *tid, enum thread_role role,
		       void *(*fn)(void *), void *arg);

#endif
