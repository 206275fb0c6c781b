// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <signal.h>
#include <string.h>

#include <armz/err.h>
#include <armz/thread.h>

static const char *const thread_role_names[THREAD_ROLES] = {
	[THREAD_DEVICE] = "device",
	[THREAD_VCPU] = "vcpu",
	[THREAD_CONSOLE] = "console",
	[THREAD_BLK] = "blk",
	[THREAD_NET] = "net",
	[THREAD_NET_USER] = "net-user",
	[THREAD_9P] = "9p",
	[THREAD_9P_RO] = "9p-ro",
	[THREAD_RNG] = "rng",
	[THREAD_HVC] = "hvc",
	[THREAD_GDB] = "gdb",
	[THREAD_VHOST_USER] = "vhost-user",
};

/* Set once by main before any thread exists, read by all. */
static thread_spawn_fn thread_spawner;

const char *thread_role_name(enum thread_role role)
{
	return (unsigned int)role < THREAD_ROLES ? thread_role_names[role] :
						   "?";
}

void thread_set_spawner(thread_spawn_fn fn)
{
	__atomic_store_n(&thread_spawner, fn, __ATOMIC_RELEASE);
}

/*
 * A new thread gets the creator's signal mask: block everything around
 * pthread_create(), so that no thread takes a signal meant for another
 * (main takes the ending ones by signalfd, vCPUs their kick) by chance.
 * All but SIGSYS: the kernel resets the handler of a seccomp SIGSYS that
 * finds it blocked, and the process would die without saying why.
 */
int thread_spawn_plain(pthread_t *tid, enum thread_role role,
		       void *(*fn)(void *), void *arg)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	sigdelset(&all, SIGSYS);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(tid, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (r)
		return err_set(r, "cannot start a %s thread: %s",
			       thread_role_name(role), strerror(r));
	return 0;
}

int thread_spawn(pthread_t *tid, enum thread_role role,
		 void *(*fn)(void *), void *arg)
{
	thread_spawn_fn spawn = __atomic_load_n(&thread_spawner,
						__ATOMIC_ACQUIRE);

	return spawn ? spawn(tid, role, fn, arg) :
		       thread_spawn_plain(tid, role, fn, arg);
}
