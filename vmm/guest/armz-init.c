// SPDX-License-Identifier: GPL-2.0
/*
 * armz-init: PID 1 of a guest in run-a-command mode. It runs inside the
 * guest, from the initramfs armz builds: loads the modules the kernel
 * needs, mounts the host's directory shared over virtio-fs or virtio-9p as
 * the root (read-only under a tmpfs overlay unless armz was given --rw),
 * runs the
 * command with stdin/stdout on hvc0 and stderr on hvc1, and hands the
 * command's exit status back to armz through the test-exit register.
 *
 * Its inputs, written by armz into the initramfs:
 *   /armz/argv      the command, NUL-separated
 *   /armz/env       the environment, NUL-separated KEY=VALUE
 *   /armz/cwd       directory to run in
 *   /armz/modules   modules to load, one path a line, in order
 *   /armz/config    "rw", "tty", "root virtiofs" (else 9p), and
 *                   "share TAG PATH" (9p) and "fs TAG PATH" (virtiofs) lines
 *
 * Static, libc only: it runs before any root filesystem exists.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <armz/command.h>
#include <armz/memmap.h>
#include <armz/test-exit.h>

#define MSIZE			"msize=262144"
#define MODULE_INIT_COMPRESSED	4
#define MAX_ARGS		4096

static bool config_rw, config_tty, config_virtiofs;

static void say(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "armz-init: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
}

/* A whole small file, NUL-terminated; *len excludes the terminator. */
static char *slurp(const char *path, size_t *len)
{
	char *buf = NULL;
	size_t n = 0, cap = 0;
	ssize_t r;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *p = realloc(buf, cap = n + 65536);

			if (!p)
				break;
			buf = p;
		}
		r = read(fd, buf + n, cap - n - 1);
		if (r > 0)
			n += (size_t)r;
	} while (r > 0);
	close(fd);
	if (buf)
		buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* "a\0b\0" into a NULL-terminated vector. */
static char **split_nul(char *buf, size_t len)
{
	char **v = calloc(MAX_ARGS + 1, sizeof(*v));
	size_t n = 0;

	for (size_t i = 0; v && i < len && n < MAX_ARGS; i += strlen(buf + i) + 1)
		v[n++] = buf + i;
	return v;
}

static void load_modules(void)
{
	char *list = slurp(COMMAND_MODULES, NULL), *line, *save = NULL;

	for (line = list ? strtok_r(list, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		int fd = open(line, O_RDONLY | O_CLOEXEC);
		int flags = strstr(line, ".ko.") ? MODULE_INIT_COMPRESSED : 0;

		if (fd < 0 || (syscall(SYS_finit_module, fd, "", flags) < 0 &&
			       errno != EEXIST))
			say("cannot load module %s: %s", line, strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	free(list);
}

static void read_config(void)
{
	char *cfg = slurp(COMMAND_CONFIG, NULL);

	config_rw = cfg && strstr(cfg, "rw\n");
	config_tty = cfg && strstr(cfg, "tty\n");
	config_virtiofs = cfg && strstr(cfg, "root virtiofs\n");
	free(cfg);
}

/* The shared root at dir: over virtio-fs, or 9p. */
static int mount_shared_root(const char *dir, unsigned long flags)
{
	const char *opts9p = config_rw ?
		"trans=virtio,version=9p2000.L," MSIZE ",cache=mmap" :
		"trans=virtio,version=9p2000.L," MSIZE ",cache=loose";

	if (config_virtiofs)
		return mount(COMMAND_ROOT_TAG, dir, "virtiofs", flags, NULL);
	return mount(COMMAND_ROOT_TAG, dir, "9p", flags, opts9p);
}

static int mount_root(void)
{
	mkdir("/newroot", 0755);
	if (config_rw)
		return mount_shared_root("/newroot", 0);
	mkdir("/lower", 0755);
	mkdir("/upper", 0755);
	if (mount_shared_root("/lower", MS_RDONLY) < 0)
		return -1;
	/* Writes land in guest memory; the host's files stay untouched. */
	if (mount("tmpfs", "/upper", "tmpfs", 0, "mode=0755") == 0 &&
	    mkdir("/upper/data", 0755) == 0 && mkdir("/upper/work", 0755) == 0 &&
	    mount("overlay", "/newroot", "overlay", 0,
		  "lowerdir=/lower,upperdir=/upper/data,workdir=/upper/work") == 0)
		return 0;
	say("no overlay (%s): the root stays read-only", strerror(errno));
	return mount("/lower", "/newroot", NULL, MS_BIND, NULL);
}

static void mount_in_root(const char *what, const char *where,
			  const char *type)
{
	char path[256];

	snprintf(path, sizeof(path), "/newroot%s", where);
	if (!config_rw)
		mkdir(path, 0755);
	mount(what, path, type, 0, NULL);
}

/* A command must not run without the shares it was promised. */
static int mount_shares(void)
{
	char *cfg = slurp(COMMAND_CONFIG, NULL), *line, *save = NULL;
	char tag[64], dir[4096], path[4200];
	int r = 0;

	for (line = cfg ? strtok_r(cfg, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		bool fs = sscanf(line, "fs %63s %4095s", tag, dir) == 2;

		if (!fs && sscanf(line, "share %63s %4095s", tag, dir) != 2)
			continue;
		snprintf(path, sizeof(path), "/newroot%s", dir);
		if (fs ? mount(tag, path, "virtiofs", 0, NULL) < 0 :
		    mount(tag, path, "9p", 0, "trans=virtio,version=9p2000.L,"
			  MSIZE ",cache=mmap") < 0) {
			say("cannot mount share %s on %s: %s", tag, dir,
			    strerror(errno));
			r = -1;
		}
	}
	free(cfg);
	return r;
}

static int enter_root(void)
{
	if (mount_root() < 0) {
		say("cannot mount the root filesystem over %s: %s",
		    config_virtiofs ? "virtiofs" : "9p", strerror(errno));
		return -1;
	}
	/*
	 * No tmpfs over /tmp: the overlay already makes it writable, and
	 * hiding the host's /tmp would hide the caller's directory and
	 * shares when they live there.
	 */
	mount_in_root("proc", "/proc", "proc");
	mount_in_root("sysfs", "/sys", "sysfs");
	mount_in_root("devtmpfs", "/dev", "devtmpfs");
	if (mount_shares() < 0)
		return -1;
	if (chdir("/newroot") < 0 || mount(".", "/", NULL, MS_MOVE, NULL) < 0 ||
	    chroot(".") < 0) {
		say("cannot switch to the new root: %s", strerror(errno));
		return -1;
	}
	return 0;
}

/* stdin/stdout on hvc0, stderr on hvc1; raw unless the user has a tty. */
static void open_consoles(void)
{
	int in = -1, err = -1;
	struct termios t;

	/* The consoles' nodes may trail their driver's probe a little. */
	for (int i = 0; i < 300 && (in < 0 || err < 0); i++) {
		if (in < 0)
			in = open("/dev/hvc0", O_RDWR | O_NOCTTY);
		if (err < 0)
			err = open("/dev/hvc1", O_WRONLY | O_NOCTTY);
		if (in < 0 || err < 0)
			usleep(10000);
	}
	if (in < 0 || err < 0) {
		say("no /dev/hvc0 or /dev/hvc1: %s", strerror(errno));
		return;
	}
	for (int fd = 0; fd < 2; fd++) {
		int tty = fd ? err : in;

		if (tcgetattr(tty, &t) == 0) {
			if (!config_tty || fd)
				cfmakeraw(&t);
			tcsetattr(tty, TCSANOW, &t);
		}
	}
	dup2(in, 0);
	dup2(in, 1);
	dup2(err, 2);
	if (in > 2)
		close(in);
	if (err > 2)
		close(err);
}

static volatile uint32_t *test_exit_map(void)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	void *p;

	if (fd < 0)
		return NULL;
	p = mmap(NULL, MEMMAP_TEST_EXIT_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, MEMMAP_TEST_EXIT_BASE);
	close(fd);
	return p == MAP_FAILED ? NULL : p;
}

static int run_command(char **argv, char **envp)
{
	int status;
	pid_t pid, child = fork();

	if (child < 0)
		return 126;
	if (child == 0) {
		if (config_tty) {
			setsid();
			ioctl(0, TIOCSCTTY, 0);
		}
		execvpe(argv[0], argv, envp);
		say("cannot run '%s': %s", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	/* As PID 1, reap every orphan until the command itself is done. */
	while ((pid = wait(&status)) != child)
		if (pid < 0 && errno != EINTR)
			return 126;
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(void)
{
	volatile uint32_t *regs;
	char **argv, **envp, *cwd, *a, *e;
	size_t alen = 0, elen = 0;
	int status = 126;

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	regs = test_exit_map();
	read_config();
	load_modules();
	/* From here on what init says reaches armz's stderr. */
	open_consoles();
	a = slurp(COMMAND_ARGV, &alen);
	e = slurp(COMMAND_ENV, &elen);
	cwd = slurp(COMMAND_CWD, NULL);
	argv = a ? split_nul(a, alen) : NULL;
	envp = e ? split_nul(e, elen) : NULL;
	if (enter_root() == 0 && argv && argv[0]) {
		/* Never run somewhere else than asked: rm -rf * exists. */
		if (!cwd || chdir(cwd) < 0) {
			say("cannot enter %s in the guest: %s",
			    cwd ? cwd : "(none)", strerror(errno));
			goto out;
		}
		if (regs)
			regs[TEST_EXIT_REG_BOOTED / 4] = 1;
		status = run_command(argv, envp);
	}
out:
	tcdrain(1);
	tcdrain(2);
	sync();
	if (regs)
		regs[TEST_EXIT_REG_STATUS / 4] = (uint32_t)status;
	reboot(RB_POWER_OFF);
	return status;
}
