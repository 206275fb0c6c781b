// SPDX-License-Identifier: GPL-2.0
/*
 * The seccomp allow-lists: every role's list builds on this architecture,
 * the spawner's holds the thread roles', and, where the kernel lets a
 * test load a filter (not under qemu-user), a confined child can do what
 * its role does and dies with status 159 and a line naming the call
 * when it does something else, 9p's openat flags included.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <armz/thread.h>
#include "../../vmm/sandbox.h"
#include "unit.h"

/* A child that cannot load a filter at all says so with this status. */
#define NO_SECCOMP	77

/*
 * The sanitizers' runtime makes calls of its own (sigaltstack,
 * sched_getaffinity, ...) that no list allows: a sanitized build checks
 * the lists, not confinement. armz under ASan runs with --seccomp=off.
 */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED	1
#else
#define SANITIZED	0
#endif

static const char *const roles[] = {
	"main", "control", "spawner", "device", "vcpu", "console", "blk",
	"net", "net-user", "9p", "9p-ro", "rng", "hvc", "gdb", "vhost-user",
};

static void test_sandbox_lists(void)
{
	int spawner_calls = 0, n, calls;

	CU_ASSERT_EQUAL(sandbox_rule_count("no-such-role", NULL), -1);
	CU_ASSERT_FATAL(sandbox_rule_count("spawner", &spawner_calls) > 0);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]); i++) {
		calls = 0;
		n = sandbox_rule_count(roles[i], &calls);
		CU_ASSERT(n > 0);
		CU_ASSERT(calls > 10);
		CU_ASSERT(calls <= n);
		/* A thread's list never exceeds its maker's. */
		if (strcmp(roles[i], "main") && strcmp(roles[i], "control"))
			CU_ASSERT(calls <= spawner_calls);
	}
	/* The ro share's worker lost every call that changes a file. */
	sandbox_rule_count("9p", &n);
	sandbox_rule_count("9p-ro", &calls);
	CU_ASSERT(calls + 10 <= n);
}

/*
 * Runs fn in a child with stderr to a pipe: its exit status, -1 if it
 * died of a signal, NO_SECCOMP if it could not be confined; its stderr
 * in err.
 */
static int in_child(void (*fn)(void), char *err, size_t len)
{
	int p[2], st;
	ssize_t n;
	pid_t pid;

	CU_ASSERT_FATAL(pipe(p) == 0);
	fflush(NULL);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (!pid) {
		dup2(p[1], STDERR_FILENO);
		close(p[0]);
		fn();
		_exit(0);
	}
	close(p[1]);
	n = read(p[0], err, len - 1);
	err[n > 0 ? n : 0] = '\0';
	close(p[0]);
	CU_ASSERT_FATAL(waitpid(pid, &st, 0) == pid);
	/* What a confined child said, for a failure's reader. */
	if (*err && getenv("ARMZ_UNIT_VERBOSE"))
		fprintf(stderr, "\nchild: %s", err);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static void enter(const char *role)
{
	if (sandbox_enter_role(role))
		_exit(NO_SECCOMP);
}

static void rng_allowed(void)
{
	char buf[16];

	enter("rng");
	if (getrandom(buf, sizeof(buf), 0) != sizeof(buf))
		_exit(3);
}

static void rng_forbidden(void)
{
	enter("rng");
	syscall(SYS_getppid);
	_exit(4);
}

static bool skipped(int status)
{
	if (status != NO_SECCOMP)
		return false;
	fprintf(stderr, "(no seccomp here: skipped) ");
	return true;
}

static bool sanitized(void)
{
	if (SANITIZED)
		fprintf(stderr, "(sanitized build: confinement not tried) ");
	return SANITIZED;
}

static void test_sandbox_trap(void)
{
	char err[512];
	int st;

	if (sanitized())
		return;
	st = in_child(rng_allowed, err, sizeof(err));

	if (skipped(st))
		return;
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	st = in_child(rng_forbidden, err, sizeof(err));
	CU_ASSERT_EQUAL(st, ARMZ_EXIT_SECCOMP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the rng thread"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "getppid"));
	CU_ASSERT_EQUAL(strncmp(err, "armz: seccomp: ", 15), 0);
}

static void p9ro_lookup(void)
{
	int fd;

	enter("9p-ro");
	fd = openat(AT_FDCWD, "/", O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		_exit(3);
	fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW);
	_exit(fd < 0 ? 4 : 0);
}

static void p9ro_follow(void)
{
	enter("9p-ro");
	openat(AT_FDCWD, "/", O_RDONLY | O_DIRECTORY);
	_exit(5);
}

static void p9ro_create(void)
{
	enter("9p-ro");
	openat(AT_FDCWD, "/nonexistent/x", O_WRONLY | O_CREAT | O_NOFOLLOW,
	       0600);
	_exit(6);
}

static void p9rw_create(void)
{
	enter("9p");
	/* Allowed, and fails for its own reason. */
	if (openat(AT_FDCWD, "/nonexistent/x",
		   O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW, 0600) >= 0 ||
	    errno != ENOENT)
		_exit(7);
}

static void test_sandbox_9p_open(void)
{
	char err[512];
	int st;

	if (sanitized())
		return;
	st = in_child(p9ro_lookup, err, sizeof(err));

	if (skipped(st))
		return;
	CU_ASSERT_EQUAL(st, 0);
	st = in_child(p9ro_follow, err, sizeof(err));
	CU_ASSERT_EQUAL(st, ARMZ_EXIT_SECCOMP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "openat"));
	st = in_child(p9ro_create, err, sizeof(err));
	CU_ASSERT_EQUAL(st, ARMZ_EXIT_SECCOMP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the 9p-ro thread"));
	CU_ASSERT_EQUAL(in_child(p9rw_create, err, sizeof(err)), 0);
}

static void *hvc_sleep(void *arg)
{
	usleep(1000);
	return arg;
}

static void *rng_escape(void *arg)
{
	/* A device worker has no business with processes. */
	kill(getppid(), 0);
	return arg;
}

/* Through the spawner: a role's thread is confined before it runs. */
static void spawn_then(void *(*fn)(void *))
{
	pthread_t tid;
	void *ret;

	if (sandbox_init(VM_SECCOMP_ON, NULL))
		_exit(NO_SECCOMP);
	if (sandbox_enter_main())
		_exit(8);
	if (thread_spawn(&tid, fn == hvc_sleep ? THREAD_HVC : THREAD_RNG,
			 fn, &tid))
		_exit(9);
	pthread_join(tid, &ret);
	_exit(ret == &tid ? 0 : 10);
}

static void spawn_hvc(void)
{
	spawn_then(hvc_sleep);
}

static void spawn_rng_escape(void)
{
	spawn_then(rng_escape);
}

static void test_sandbox_spawner(void)
{
	char err[512];
	int st;

	if (sanitized())
		return;
	st = in_child(spawn_hvc, err, sizeof(err));

	if (skipped(st))
		return;
	CU_ASSERT_EQUAL(st, 0);
	CU_ASSERT_STRING_EQUAL(err, "");
	st = in_child(spawn_rng_escape, err, sizeof(err));
	CU_ASSERT_EQUAL(st, ARMZ_EXIT_SECCOMP);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "the rng thread"));
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "getppid"));
}

static const CU_TestInfo sandbox_tests[] = {
	{ "every role's list builds", test_sandbox_lists },
	{ "a forbidden call ends armz, named", test_sandbox_trap },
	{ "9p's openat flags", test_sandbox_9p_open },
	{ "threads confined by the spawner", test_sandbox_spawner },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(sandbox, sandbox_tests)
