// SPDX-License-Identifier: GPL-2.0
/*
 * seccomp allow-lists, one per thread role, with libseccomp.
 *
 * Who makes which thread, and why each gets exactly its own list. A
 * seccomp filter belongs to a thread, a thread made by another inherits
 * the maker's filters, and stacked filters intersect: a thread can only
 * ever do what every filter above it allows. Threads are asked for by
 * main (the vCPUs, the console's input thread, libslirp's thread, on
 * every boot) and by the vCPUs (device workers, made lazily when the
 * driver sets DRIVER_OK, devices/virtio-mmio.c). Made by the thread that
 * asks, a vCPU's list would have to hold everything a disk, 9p or
 * network worker does, and main's everything of everybody. (Making the
 * workers up front in main would spare the vCPUs that, but not main, and
 * would turn the transport's start and stop into parking.)
 *
 * So no confined thread makes threads. thread_spawn() (armz/thread.h)
 * hands every request to one spawner thread, which main starts first of
 * all. The spawner's own list is the union of all the thread roles'
 * lists plus what making a thread takes (clone for threads only, and the
 * calls a new thread makes before it runs our code); the new thread
 * installs its role's list before it runs a line of the caller's, and
 * only then does the spawner answer. Every thread therefore runs under
 * spawner-list AND role-list, which is the role's list. Main confines
 * itself once the spawner runs and before the first machine is built,
 * so every boot, the first and those after a reset, runs under the same
 * list. The spawner runs nothing a guest can reach: it takes (role,
 * function) pairs from the VMM's own threads, and the function only runs
 * once its thread is confined.
 *
 * A forbidden call (mode on) traps: the handler writes one line naming
 * the role and the call to stderr with write(2) alone and ends the
 * process with status 159 (128 + SIGSYS). Mode log lets the kernel log
 * the call (dmesg, audit type 1326) and allows it: how to find what a
 * list misses.
 *
 * Arguments are checked where that narrows what a role can do: ioctl
 * request numbers per role, the address family of socket(), clone's
 * flags (threads only), and the 9p workers' openat() flags, which must
 * carry O_NOFOLLOW and on a read-only share nothing that writes.
 */
#include <errno.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <linux/if_tun.h>
#include <linux/vhost.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <seccomp.h>

#include <armz/err.h>
#include <armz/kvm-arm64-abi.h>
#include <armz/util.h>
#include "sandbox.h"

/* The roles: thread_role's, then the VMM's own. */
enum {
	SB_MAIN = THREAD_ROLES,
	SB_CONTROL,
	SB_SPAWNER,
	SB_ROLES
};

/* One allow rule: a call, and at most one condition on an argument. */
struct sb_rule {
	const char *name;
	int nr;			/* for calls libseccomp may not know */
	int arg;		/* -1: any arguments */
	uint64_t mask;		/* (argument & mask) == value */
	uint64_t value;
	uint32_t action;	/* 0: allow */
};

#define SB_ANY		(-1)
#define SYS(n)		{ #n, 0, SB_ANY, 0, 0, 0 }
#define SYS_NR(n, nr)	{ #n, nr, SB_ANY, 0, 0, 0 }
#define ARG(n, a, v)	{ #n, 0, a, ~0ULL, (uint64_t)(v), 0 }
#define ARG_MASK(n, a, m, v) \
	{ #n, 0, a, (uint64_t)(m), (uint64_t)(v), 0 }
/* The kernel reads a request as 32 bits: compare those. */
#define IOCTL(req)	{ "ioctl", 0, 1, 0xffffffffULL, (uint32_t)(req), 0 }
#define SB_END		{ NULL, 0, 0, 0, 0, 0 }

/* tgkill's first argument: this process, filled in at build time. */
#define SB_SELF_PID	(~0ULL)

/* fchmodat2(2), Linux 6.6: the same number everywhere, unknown to older
 * libseccomp. */
#define NR_FCHMODAT2	452

/*
 * Every thread: memory, locks, time, its own exit, writing a message or
 * an eventfd, and what a crash handler does on its way out (the console
 * restores the terminal, then dies of the signal it got).
 */
static const struct sb_rule sb_base[] = {
	SYS(futex), SYS(exit), SYS(exit_group), SYS(rt_sigreturn),
	SYS(rt_sigprocmask), SYS(restart_syscall), SYS(sched_yield),
	SYS(brk), SYS(mmap), SYS(munmap), SYS(mremap), SYS(madvise),
	SYS(mprotect), SYS(write), SYS(clock_gettime), SYS(gettimeofday),
	SYS(getpid), SYS(gettid),
	/*
	 * glibc's malloc counts the CPUs it may run on when the process
	 * makes its first arena beside main's, in whichever thread first
	 * allocates: any thread may be that one.
	 */
	SYS(sched_getaffinity),
	ARG(tgkill, 0, SB_SELF_PID),
	ARG(rt_sigaction, 0, SIGSEGV), ARG(rt_sigaction, 0, SIGBUS),
	ARG(rt_sigaction, 0, SIGABRT), ARG(rt_sigaction, 0, SIGFPE),
	ARG(rt_sigaction, 0, SIGILL),
	IOCTL(TCSETSW),
	SB_END
};

/* Threads that wait on descriptors: eventfds, a tap, stdin. */
static const struct sb_rule sb_wait[] = {
	SYS(read), SYS(poll), SYS(ppoll),
	SB_END
};

/* An interrupt raised by KVM_IRQ_LINE where KVM has no irqfd. */
static const struct sb_rule sb_irq[] = {
	IOCTL(AZ_KVM_IRQ_LINE),
	SB_END
};

/*
 * Main: builds and tears down every machine (KVM, guest RAM, opening
 * the kernel, disks and shares, the tap's per-boot settings, vhost's
 * owner), runs the event loop (signals, the control socket) and writes
 * the report. libslirp's port forwards listen from here.
 */
static const struct sb_rule sb_main[] = {
	SYS(read), SYS(pread64), SYS(readv), SYS(writev), SYS(poll),
	SYS(ppoll), SYS(openat), SYS(close), SYS(fstat), SYS(newfstatat),
	SYS(statx), SYS(lseek), SYS(fcntl), SYS(eventfd2),
	SYS(epoll_create1), SYS(epoll_ctl), SYS(accept4), SYS(getrandom),
	SYS(prlimit64), SYS(unlink), SYS(unlinkat),
	/* Guest RAM a vhost-user backend maps; its daemon ended. */
	SYS(memfd_create), SYS(ftruncate), SYS(wait4), SYS(nanosleep),
	SYS(clock_nanosleep), ARG(kill, 1, SIGTERM), ARG(kill, 1, SIGKILL),
	ARG(socket, 0, AF_INET), SYS(setsockopt), SYS(getsockopt),
	SYS(bind), SYS(listen), SYS(getsockname),
	/* The end of a boot, told to a gdb that waits for a stop. */
	SYS(sendto),
	IOCTL(AZ_KVM_CREATE_VM), IOCTL(AZ_KVM_CREATE_VCPU),
	IOCTL(AZ_KVM_ARM_VCPU_INIT), IOCTL(AZ_KVM_SET_ONE_REG),
	IOCTL(AZ_KVM_GET_ONE_REG), IOCTL(AZ_KVM_SET_USER_MEMORY_REGION),
	IOCTL(AZ_KVM_ENABLE_CAP), IOCTL(AZ_KVM_SET_GUEST_DEBUG),
	IOCTL(AZ_KVM_REGISTER_COALESCED_MMIO),
	IOCTL(AZ_KVM_CREATE_DEVICE), IOCTL(AZ_KVM_SET_DEVICE_ATTR),
	IOCTL(AZ_KVM_IOEVENTFD), IOCTL(AZ_KVM_IRQFD), IOCTL(AZ_KVM_IRQ_LINE),
	IOCTL(TUNGETIFF), IOCTL(TUNSETVNETHDRSZ), IOCTL(TUNSETVNETLE),
	IOCTL(TUNSETOFFLOAD),
	IOCTL(VHOST_SET_OWNER), IOCTL(VHOST_RESET_OWNER),
	IOCTL(VHOST_GET_FEATURES), IOCTL(VHOST_NET_SET_BACKEND),
	IOCTL(VHOST_GET_VRING_BASE),
	IOCTL(BLKGETSIZE64), IOCTL(BLKSSZGET),
	IOCTL(TCGETS), IOCTL(TCSETS),
	SB_END
};

/*
 * vCPUs: KVM_RUN and every MMIO handler, which includes a device's
 * start and stop on DRIVER_OK and reset: vhost's rings, the tap's
 * offloads, a 9p session's descriptors closed, workers joined.
 */
static const struct sb_rule sb_vcpu[] = {
	SYS(close), SYS(epoll_ctl),
	IOCTL(AZ_KVM_RUN), IOCTL(AZ_KVM_GET_ONE_REG),
	IOCTL(AZ_KVM_SET_ONE_REG), IOCTL(AZ_KVM_SET_GUEST_DEBUG),
	IOCTL(TUNSETOFFLOAD),
	IOCTL(VHOST_SET_FEATURES), IOCTL(VHOST_SET_MEM_TABLE),
	IOCTL(VHOST_SET_VRING_NUM), IOCTL(VHOST_SET_VRING_BASE),
	IOCTL(VHOST_SET_VRING_ADDR), IOCTL(VHOST_SET_VRING_KICK),
	IOCTL(VHOST_SET_VRING_CALL), IOCTL(VHOST_NET_SET_BACKEND),
	IOCTL(VHOST_GET_VRING_BASE),
	SB_END
};

static const struct sb_rule sb_blk[] = {
	SYS(preadv), SYS(pwritev), SYS(pread64), SYS(pwrite64),
	SYS(fdatasync), SYS(fallocate),
	SB_END
};

static const struct sb_rule sb_net[] = {
	SYS(readv), SYS(writev), SYS(epoll_ctl),
	SB_END
};

/*
 * libslirp: the guest's connections become the host's IPv4 sockets;
 * DNS reads /etc/resolv.conf.
 */
static const struct sb_rule sb_net_user[] = {
	ARG(socket, 0, AF_INET), SYS(connect), SYS(sendto), SYS(recvfrom),
	SYS(sendmsg), SYS(recvmsg), SYS(setsockopt), SYS(getsockopt),
	SYS(getsockname), SYS(getpeername), SYS(accept), SYS(accept4),
	SYS(bind), SYS(listen), SYS(shutdown), SYS(close), SYS(fcntl),
	IOCTL(FIONREAD), IOCTL(FIONBIO),
	ARG_MASK(openat, 2, O_ACCMODE | O_CREAT | O_TRUNC, O_RDONLY),
	SYS(fstat), SYS(newfstatat), SYS(statx), SYS(lseek), SYS(getrandom),
	SB_END
};

/* What both kinds of share do: look, read, list. */
static const struct sb_rule sb_9p_read[] = {
	SYS(close), SYS(fstat), SYS(newfstatat), SYS(statx), SYS(fstatfs),
	SYS(readlinkat), SYS(fsync), SYS(fdatasync), SYS(pread64),
	SYS(lseek), SYS(getdents64), SYS(fcntl),
	SB_END
};

/* A writable share: every name is opened without following a symlink. */
static const struct sb_rule sb_9p_rw[] = {
	ARG_MASK(openat, 2, O_NOFOLLOW, O_NOFOLLOW),
	SYS(mkdirat), SYS(symlinkat), SYS(mknodat), SYS(linkat),
	SYS(renameat), SYS(renameat2), SYS(unlinkat), SYS(fchmod),
	SYS(fchmodat), SYS_NR(fchmodat2, NR_FCHMODAT2), SYS(fchownat),
	SYS(utimensat), SYS(ftruncate), SYS(pwrite64),
	SB_END
};

/* A read-only share: nor opened for writing, created or truncated. */
static const struct sb_rule sb_9p_ro[] = {
	ARG_MASK(openat, 2, O_NOFOLLOW | O_ACCMODE | O_CREAT | O_TRUNC,
		 O_NOFOLLOW | O_RDONLY),
	SB_END
};

static const struct sb_rule sb_rng[] = {
	SYS(getrandom),
	SB_END
};

/* The guest's output, and the pause before its first input. */
static const struct sb_rule sb_hvc[] = {
	SYS(nanosleep), SYS(clock_nanosleep),
	SB_END
};

/*
 * The gdb stub's thread: its connection, and the registers and debug
 * state of parked vCPUs (vmm/gdb-kvm.c). Guest memory it reads and
 * writes in place.
 */
static const struct sb_rule sb_gdb[] = {
	SYS(accept4), SYS(close), SYS(sendto), SYS(setsockopt),
	IOCTL(AZ_KVM_GET_ONE_REG), IOCTL(AZ_KVM_SET_ONE_REG),
	IOCTL(AZ_KVM_SET_GUEST_DEBUG),
	SB_END
};

/*
 * A vhost-user device's worker: whether the backend hung up or spoke out
 * of turn (devices/vhost-user.c, vhost_user_check()), and the interrupts
 * it relays.
 */
static const struct sb_rule sb_vhost_user[] = {
	SYS(epoll_wait), SYS(epoll_pwait), SYS(epoll_ctl), SYS(recvfrom),
	SB_END
};

/*
 * A vhost-user backend's messages, from whoever starts and stops its
 * device: main at boot and teardown, a vCPU on DRIVER_OK and reset.
 */
static const struct sb_rule sb_vhost_msg[] = {
	SYS(sendmsg), SYS(recvfrom), SYS(recvmsg), SYS(epoll_wait),
	SYS(epoll_pwait),
	SB_END
};

/* armz list|status|stop|pause|resume: a unix socket and a directory. */
static const struct sb_rule sb_control[] = {
	ARG(socket, 0, AF_UNIX), SYS(connect), SYS(read), SYS(openat),
	SYS(close), SYS(fstat), SYS(newfstatat), SYS(statx), SYS(lseek),
	SYS(getdents64), SYS(unlink), SYS(unlinkat), SYS(fcntl),
	SYS(getrandom), IOCTL(TCGETS),
	SB_END
};

/*
 * Making a thread: glibc's pthread_create() tries clone3, whose flags
 * sit in memory no filter can read, so it gets ENOSYS and falls back to
 * clone, whose flags must make a thread (never a process). The new
 * thread registers rseq and its robust list, then loads its own filter.
 */
#if defined(__s390x__)
#define CLONE_FLAGS_ARG	1	/* clone(stack, flags, ...) */
#else
#define CLONE_FLAGS_ARG	0
#endif

static const struct sb_rule sb_clone[] = {
	ARG_MASK(clone, CLONE_FLAGS_ARG, CLONE_THREAD, CLONE_THREAD),
	{ "clone3", 0, SB_ANY, 0, 0, SCMP_ACT_ERRNO(ENOSYS) },
	SYS(set_robust_list), SYS(rseq),
	ARG(prctl, 0, PR_SET_NO_NEW_PRIVS), ARG(prctl, 0, PR_SET_SECCOMP),
	SYS(seccomp),
	SB_END
};

/* Each role's list: sets of rules. */
#define SB_SETS_MAX	5
static const struct sb_rule *const sb_lists[SB_ROLES][SB_SETS_MAX] = {
	[THREAD_DEVICE] = { sb_base, sb_wait, sb_irq },
	[THREAD_VCPU] = { sb_base, sb_wait, sb_irq, sb_vcpu, sb_vhost_msg },
	[THREAD_CONSOLE] = { sb_base, sb_wait, sb_irq },
	[THREAD_BLK] = { sb_base, sb_wait, sb_irq, sb_blk },
	[THREAD_NET] = { sb_base, sb_wait, sb_irq, sb_net },
	[THREAD_NET_USER] = { sb_base, sb_wait, sb_net_user },
	[THREAD_9P] = { sb_base, sb_wait, sb_irq, sb_9p_read, sb_9p_rw },
	[THREAD_9P_RO] = { sb_base, sb_wait, sb_irq, sb_9p_read, sb_9p_ro },
	[THREAD_RNG] = { sb_base, sb_wait, sb_irq, sb_rng },
	[THREAD_HVC] = { sb_base, sb_wait, sb_irq, sb_hvc },
	[THREAD_GDB] = { sb_base, sb_wait, sb_gdb },
	[THREAD_VHOST_USER] = { sb_base, sb_wait, sb_irq, sb_vhost_user },
	[SB_MAIN] = { sb_base, sb_main, sb_vhost_msg },
	[SB_CONTROL] = { sb_base, sb_control },
	[SB_SPAWNER] = { sb_clone },	/* and every thread role's */
};

/* Syscall names by number, made before any filter: the trap handler
 * may not allocate. Every architecture armz builds for stays below. */
#define SB_NR_MAX	512

static struct {
	enum vm_seccomp mode;
	uint32_t arch;
	scmp_filter_ctx ctx[SB_ROLES];
	int nrules[SB_ROLES];		/* rules loaded */
	int nsys[SB_ROLES];		/* distinct calls they allow */
	int selftest;			/* a role, or -1 */
	const char *names[SB_NR_MAX];

	/* The spawner and its requests. */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	struct sb_request *queue;
	pthread_t thread;
} sb = {
	.mode = VM_SECCOMP_OFF,
	.selftest = -1,
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.cond = PTHREAD_COND_INITIALIZER,
};

/* The role of the calling thread, for the trap handler's line; NULL
 * in a new thread that has not loaded its own filter yet. */
static __thread const char *sb_role_name;

static const char *sb_name(int role)
{
	static const char *const own[] = {
		[SB_MAIN - THREAD_ROLES] = "main",
		[SB_CONTROL - THREAD_ROLES] = "control",
		[SB_SPAWNER - THREAD_ROLES] = "spawner",
	};

	if (role < THREAD_ROLES)
		return thread_role_name((enum thread_role)role);
	return own[role - THREAD_ROLES];
}

static int sb_role_by_name(const char *name)
{
	for (int r = 0; r < SB_ROLES; r++)
		if (!strcmp(sb_name(r), name))
			return r;
	return -1;
}

/* --- The trap --- */

static size_t sb_put(char *buf, size_t at, size_t cap, const char *s)
{
	while (*s && at < cap)
		buf[at++] = *s++;
	return at;
}

static size_t sb_put_num(char *buf, size_t at, size_t cap, long v)
{
	char digits[24];
	size_t n = 0;
	unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;

	do
		digits[n++] = (char)('0' + u % 10);
	while ((u /= 10) && n < sizeof(digits));
	if (v < 0 && at < cap)
		buf[at++] = '-';
	while (n && at < cap)
		buf[at++] = digits[--n];
	return at;
}

/*
 * SIGSYS from a filter: say which thread did what, and end armz. Only
 * write(2) and exit_group(2), both in every list; the names were
 * resolved before any filter existed.
 */
static void sb_sigsys(int sig, siginfo_t *si, void *uc)
{
	char line[256];
	size_t n = 0, cap = sizeof(line) - 1;
	int nr = si->si_syscall;
	const char *name = nr >= 0 && nr < SB_NR_MAX && sb.names[nr] ?
			   sb.names[nr] : "an unknown call";

	n = sb_put(line, n, cap, "armz: seccomp: the ");
	n = sb_put(line, n, cap, sb_role_name ? sb_role_name : "new");
	n = sb_put(line, n, cap, " thread made a forbidden system call: ");
	n = sb_put(line, n, cap, name);
	n = sb_put(line, n, cap, " (");
	n = sb_put_num(line, n, cap, nr);
	n = sb_put(line, n, cap, "); stopping armz\n");
	(void)!write(STDERR_FILENO, line, n);
	syscall(SYS_exit_group, ARMZ_EXIT_SECCOMP);
}

static int sb_catch_sigsys(void)
{
	struct sigaction sa = {
		.sa_sigaction = sb_sigsys,
		.sa_flags = SA_SIGINFO,
	};
	sigset_t set;

	sigfillset(&sa.sa_mask);
	if (sigaction(SIGSYS, &sa, NULL))
		return err_set(errno, "sigaction(SIGSYS): %s",
			       strerror(errno));
	/*
	 * A filter's SIGSYS that finds itself blocked gets the default
	 * action instead, a death without a word: keep it unblocked here,
	 * as thread_spawn() does in every new thread.
	 */
	sigemptyset(&set);
	sigaddset(&set, SIGSYS);
	pthread_sigmask(SIG_UNBLOCK, &set, NULL);
	return 0;
}

static void sb_resolve_names(void)
{
	for (int nr = 0; nr < SB_NR_MAX; nr++)
		if (!sb.names[nr])
			sb.names[nr] = seccomp_syscall_resolve_num_arch(sb.arch,
									nr);
}

/* --- Building the filters --- */

static int sb_add_rule(scmp_filter_ctx ctx, const struct sb_rule *r,
		       uint32_t allow)
{
	int nr = r->nr ? r->nr : seccomp_syscall_resolve_name(r->name);
	uint32_t action = r->action ? r->action : allow;
	int rc;

	/* A call this architecture does not have (poll on arm64, ...). */
	if (nr < 0)
		return 0;
	if (r->arg == SB_ANY) {
		rc = seccomp_rule_add(ctx, action, nr, 0);
	} else {
		uint64_t v = r->value == SB_SELF_PID ? (uint64_t)getpid() :
						      r->value;
		struct scmp_arg_cmp c = {
			.arg = (unsigned int)r->arg,
			.op = r->mask == ~0ULL ? SCMP_CMP_EQ :
						 SCMP_CMP_MASKED_EQ,
			.datum_a = r->mask == ~0ULL ? v : r->mask,
			.datum_b = v,
		};

		rc = seccomp_rule_add(ctx, action, nr, 1, c);
	}
	/* The same rule from two sets of a list is one rule. */
	if (rc == -EEXIST)
		return 0;
	if (rc < 0)
		return err_set(-rc, "seccomp: cannot add a rule for %s: %s",
			       r->name, strerror(-rc));
	return 1;
}

/*
 * The sets of rules role loads, each once: its own, and for the spawner
 * those of every thread role too, since it makes all their threads.
 */
#define SB_ALL_SETS	32

static unsigned int sb_sets(int role, const struct sb_rule **sets)
{
	unsigned int n = 0;
	int last = role == SB_SPAWNER ? THREAD_ROLES - 1 : -1;

	for (int r = -1; r <= last; r++) {
		int which = r < 0 ? role : r;

		for (int i = 0; i < SB_SETS_MAX && sb_lists[which][i]; i++) {
			unsigned int k = 0;

			while (k < n && sets[k] != sb_lists[which][i])
				k++;
			if (k == n && n < SB_ALL_SETS)
				sets[n++] = sb_lists[which][i];
		}
	}
	return n;
}

/* How many different calls role allows, for the numbers in the docs. */
static int sb_count_calls(const struct sb_rule **sets, unsigned int nsets)
{
	bool seen[SB_NR_MAX] = { false };
	int n = 0;

	for (unsigned int i = 0; i < nsets; i++)
		for (const struct sb_rule *r = sets[i]; r->name; r++) {
			int nr = r->nr ? r->nr :
				 seccomp_syscall_resolve_name(r->name);

			if (nr >= 0 && nr < SB_NR_MAX && !r->action)
				seen[nr] = true;
		}
	for (int nr = 0; nr < SB_NR_MAX; nr++)
		n += seen[nr];
	return n;
}

static int sb_build(int role, uint32_t deny)
{
	const struct sb_rule *sets[SB_ALL_SETS];
	unsigned int nsets = sb_sets(role, sets);
	scmp_filter_ctx ctx = seccomp_init(deny);
	int n = 0;

	if (!ctx)
		return err_set(ENOMEM, "seccomp: cannot make a filter");
	for (unsigned int i = 0; i < nsets && n >= 0; i++)
		for (const struct sb_rule *r = sets[i]; r->name && n >= 0;
		     r++) {
			int rc = sb_add_rule(ctx, r, SCMP_ACT_ALLOW);

			n = rc < 0 ? rc : n + rc;
		}
	if (n < 0) {
		seccomp_release(ctx);
		return n;
	}
	sb.ctx[role] = ctx;
	sb.nrules[role] = n;
	sb.nsys[role] = sb_count_calls(sets, nsets);
	return 0;
}

static int sb_build_all(uint32_t deny)
{
	int r = 0;

	/* Built again (the unit tests do): the old ones go. */
	for (int role = 0; role < SB_ROLES; role++) {
		if (sb.ctx[role])
			seccomp_release(sb.ctx[role]);
		sb.ctx[role] = NULL;
	}
	for (int role = 0; !r && role < SB_ROLES; role++)
		r = sb_build(role, deny);
	return r;
}

/* Confines the calling thread to role; then the self-test, if it is ours. */
static int sb_enter(int role)
{
	int rc;

	if (sb.mode == VM_SECCOMP_OFF || !sb.ctx[role])
		return 0;
	rc = seccomp_load(sb.ctx[role]);
	if (rc < 0)
		return err_set(-rc, "seccomp: cannot confine the %s thread: %s",
			       sb_name(role), strerror(-rc));
	sb_role_name = sb_name(role);
	if (sb.selftest == role)
		syscall(SYS_getppid);	/* in no list */
	return 0;
}

/* --- The spawner --- */

struct sb_request {
	struct sb_request *next;
	int role;
	void *(*fn)(void *);
	void *arg;
	pthread_t tid;
	bool confined;		/* the thread has its filter, or failed */
	bool done;		/* the spawner is through with it */
	int result;
	char msg[256];
};

/* The new thread: its filter first, then tell the spawner, then work. */
static void *sb_thread_start(void *p)
{
	struct sb_request *req = p;
	void *(*fn)(void *) = req->fn;
	void *arg = req->arg;
	int r = sb_enter(req->role);

	pthread_mutex_lock(&sb.lock);
	req->result = r;
	if (r)
		snprintf(req->msg, sizeof(req->msg), "%s", err_msg());
	req->confined = true;
	pthread_cond_broadcast(&sb.cond);
	pthread_mutex_unlock(&sb.lock);
	/* req belongs to the caller again, who may be gone. */
	return r ? NULL : fn(arg);
}

static void sb_serve(struct sb_request *req)
{
	int r = thread_spawn_plain(&req->tid, (enum thread_role)req->role,
				   sb_thread_start, req);

	pthread_mutex_lock(&sb.lock);
	if (r) {
		req->result = r;
		snprintf(req->msg, sizeof(req->msg), "%s", err_msg());
	} else {
		while (!req->confined)
			pthread_cond_wait(&sb.cond, &sb.lock);
	}
	pthread_mutex_unlock(&sb.lock);
	/* A thread that could not be confined ran nothing: reap it. */
	if (!r && req->result)
		pthread_join(req->tid, NULL);
	pthread_mutex_lock(&sb.lock);
	req->done = true;
	pthread_cond_broadcast(&sb.cond);
	pthread_mutex_unlock(&sb.lock);
}

static void *sb_spawner(void *p)
{
	struct sb_request *start = p, *req;
	int r = sb_enter(SB_SPAWNER);

	pthread_mutex_lock(&sb.lock);
	start->result = r;
	if (r)
		snprintf(start->msg, sizeof(start->msg), "%s", err_msg());
	start->done = true;
	pthread_cond_broadcast(&sb.cond);
	pthread_mutex_unlock(&sb.lock);
	if (r)
		return NULL;
	for (;;) {
		pthread_mutex_lock(&sb.lock);
		while (!sb.queue)
			pthread_cond_wait(&sb.cond, &sb.lock);
		req = sb.queue;
		sb.queue = req->next;
		pthread_mutex_unlock(&sb.lock);
		sb_serve(req);
	}
	return NULL;
}

/* thread_spawn() while the sandbox is on: the spawner makes the thread. */
static int sb_spawn(pthread_t *tid, enum thread_role role,
		    void *(*fn)(void *), void *arg)
{
	struct sb_request req = { .role = (int)role, .fn = fn, .arg = arg };
	struct sb_request **pp;

	pthread_mutex_lock(&sb.lock);
	for (pp = &sb.queue; *pp; pp = &(*pp)->next)
		;
	*pp = &req;
	pthread_cond_broadcast(&sb.cond);
	while (!req.done)
		pthread_cond_wait(&sb.cond, &sb.lock);
	pthread_mutex_unlock(&sb.lock);
	if (req.result)
		return err_set(-req.result, "%s", req.msg);
	*tid = req.tid;
	return 0;
}

static int sb_start_spawner(void)
{
	struct sb_request start = { .role = SB_SPAWNER };
	int r = thread_spawn_plain(&sb.thread, THREAD_DEVICE, sb_spawner,
				   &start);

	if (r)
		return r;
	pthread_mutex_lock(&sb.lock);
	while (!start.done)
		pthread_cond_wait(&sb.cond, &sb.lock);
	pthread_mutex_unlock(&sb.lock);
	if (start.result) {
		pthread_join(sb.thread, NULL);
		return err_set(-start.result, "%s", start.msg);
	}
	thread_set_spawner(sb_spawn);
	return 0;
}

/* --- Interface --- */

static int sb_prepare(enum vm_seccomp mode, const char *selftest,
		      bool load)
{
	uint32_t deny = mode == VM_SECCOMP_LOG ? SCMP_ACT_LOG : SCMP_ACT_TRAP;
	int r;

	sb.mode = mode;
	if (mode == VM_SECCOMP_OFF)
		return 0;
	/* libseccomp asks the kernel what it offers once: before filters. */
	if (load && seccomp_api_get() < 3)
		return err_set(ENOSYS, "seccomp: this kernel or libseccomp is too old for armz's filters (API level %u, armz needs 3); use --seccomp=off",
			       seccomp_api_get());
	sb.arch = seccomp_arch_native();
	sb.selftest = selftest ? sb_role_by_name(selftest) : -1;
	if (!sb_role_name)
		sb_role_name = "main";	/* the caller's thread */
	sb_resolve_names();
	r = sb_catch_sigsys();
	return r ?: sb_build_all(deny);
}

int sandbox_init(enum vm_seccomp mode, const char *selftest)
{
	int r = sb_prepare(mode, selftest, true);

	return r || mode == VM_SECCOMP_OFF ? r : sb_start_spawner();
}

int sandbox_enter_main(void)
{
	return sb_enter(SB_MAIN);
}

int sandbox_enter_control(const char *selftest)
{
	int r = sb_prepare(VM_SECCOMP_ON, selftest, true);

	return r ?: sb_enter(SB_CONTROL);
}

int sandbox_rule_count(const char *role, int *nsyscalls)
{
	int r = sb_role_by_name(role);

	if (r < 0)
		return -1;
	if (!sb.ctx[r] && sb_prepare(VM_SECCOMP_ON, NULL, false))
		return -1;
	if (nsyscalls)
		*nsyscalls = sb.nsys[r];
	return sb.nrules[r];
}

int sandbox_enter_role(const char *role)
{
	int r = sb_role_by_name(role);

	if (r < 0)
		return err_set(EINVAL, "no role '%s'", role);
	if (!sb.ctx[r] && sb_prepare(VM_SECCOMP_ON, NULL, true))
		return -EINVAL;
	return sb_enter(r);
}
