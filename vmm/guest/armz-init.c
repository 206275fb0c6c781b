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
 * Whatever goes wrong is said in one line, the way include/armz/command.h
 * lays down: to the kernel log, which reaches the console before any
 * other channel exists, and to hvc1 once it does.
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
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <armz/command.h>
#include <armz/memmap.h>
#include <armz/test-exit.h>

#define MSIZE			"msize=262144"
#define MAX_ARGS		4096
#define KERN_ERR		"<3>"

static bool config_rw, config_tty, config_virtiofs;
static int kmsg_fd = -1;
static bool on_hvc1;		/* fd 2 is hvc1, armz's stderr */

/* Keeps a message to one line: no newline or escape gets through. */
static void say_clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < ' ' || *s == 0x7f)
			*s = '?';
}

static void say_write(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = write(fd, buf, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return;
		buf += n;
		len -= (size_t)n;
	}
}

/*
 * One line for the user: "armz-init: TEXT\n" to the kernel log and, once
 * there, to hvc1 (to fd 2 as well while there is no kernel log at all).
 */
static void say(const char *fmt, ...)
{
	static const size_t pre = sizeof(KERN_ERR COMMAND_INIT_PREFIX) - 1;
	char line[600];
	va_list ap;
	size_t n;

	memcpy(line, KERN_ERR COMMAND_INIT_PREFIX, pre);
	va_start(ap, fmt);
	vsnprintf(line + pre, sizeof(line) - pre - 1, fmt, ap);
	va_end(ap);
	say_clean(line + pre);
	n = strlen(line);
	line[n++] = '\n';
	if (kmsg_fd >= 0)
		say_write(kmsg_fd, line, n);
	if (on_hvc1 || kmsg_fd < 0)
		say_write(2, line + strlen(KERN_ERR), n - strlen(KERN_ERR));
}

/* A marker (command.h): for armz, in the kernel log only. */
static void say_marker(const char *marker)
{
	char line[128];
	int n = snprintf(line, sizeof(line), KERN_ERR "%s\n", marker);

	if (kmsg_fd >= 0 && n > 0)
		say_write(kmsg_fd, line, (size_t)n);
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

/* "/armz/mod/04-9p.ko" is module "9p". */
static void module_name(const char *path, char *name, size_t len)
{
	const char *base = strrchr(path, '/'), *dash;

	base = base ? base + 1 : path;
	dash = strchr(base, '-');
	if (dash)
		base = dash + 1;
	snprintf(name, len, "%.*s", (int)strcspn(base, "."), base);
}

/* armz packs them decompressed, in dependency order. */
static void load_modules(void)
{
	char *list = slurp(COMMAND_MODULES, NULL), *line, *save = NULL;
	char name[64];

	for (line = list ? strtok_r(list, "\n", &save) : NULL; line;
	     line = strtok_r(NULL, "\n", &save)) {
		int fd = open(line, O_RDONLY | O_CLOEXEC), e;

		if (fd >= 0 && (syscall(SYS_finit_module, fd, "", 0) == 0 ||
				errno == EEXIST)) {
			close(fd);
			continue;
		}
		e = errno;
		module_name(line, name, sizeof(name));
		say("cannot load module %s (%s): %s (errno %d)", name, line,
		    strerror(e), e);
		if (fd >= 0)
			close(fd);
	}
	free(list);
}

/* One of the config's words on a line of its own. */
static bool config_has(const char *cfg, const char *word)
{
	size_t n = strlen(word);
	const char *p = cfg;

	while (p && *p) {
		if (!strncmp(p, word, n) && (p[n] == '\n' || !p[n]))
			return true;
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

static void read_config(void)
{
	char *cfg = slurp(COMMAND_CONFIG, NULL);

	config_rw = config_has(cfg, "rw");
	config_tty = config_has(cfg, "tty");
	config_virtiofs = config_has(cfg, "root virtiofs");
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
		int e = errno;

		if (config_virtiofs)
			say("cannot mount the root from the host over virtiofs "
			    "(tag " COMMAND_ROOT_TAG "): %s%s", strerror(e),
			    e == ENODEV ? "; the kernel has no virtiofs" : "");
		else
			say("cannot mount the root from the host over 9p (tag "
			    COMMAND_ROOT_TAG "): %s%s", strerror(e),
			    e == ENODEV ? "; the kernel has no 9p filesystem" :
			    e == EPROTONOSUPPORT ? "; the kernel has no 9p "
						   "virtio transport" :
			    e == ENOENT ? "; no virtio-9p device with that tag "
					  "(virtio-mmio missing?)" : "");
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

/*
 * stdin/stdout on hvc0, stderr on hvc1. Their output is never processed:
 * the command's bytes reach armz's stdout and stderr exactly (no CR before
 * each LF), and when those are a terminal, armz keeps the terminal's own
 * output processing on, which adds the CR there. Input is the terminal's
 * line discipline (echo, ^C) when armz's stdin is a terminal ("tty"),
 * raw bytes otherwise.
 */
static void console_setup(int fd, bool line_discipline)
{
	struct termios t;

	if (tcgetattr(fd, &t))
		return;
	if (!line_discipline)
		cfmakeraw(&t);
	t.c_oflag &= ~(tcflag_t)OPOST;
	tcsetattr(fd, TCSANOW, &t);
}

static void open_consoles(void)
{
	int in = -1, err = -1;

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
		say("no /dev/hvc%d after 3 s: %s; the command's stdin, stdout "
		    "and stderr need the virtio console", in < 0 ? 0 : 1,
		    strerror(errno));
		if (in >= 0)
			close(in);
		if (err >= 0)
			close(err);
		return;
	}
	console_setup(in, config_tty);
	console_setup(err, false);
	dup2(in, 0);
	dup2(in, 1);
	dup2(err, 2);
	if (in > 2)
		close(in);
	if (err > 2)
		close(err);
	on_hvc1 = true;
	say_marker(COMMAND_INIT_HVC1);
}

static volatile uint32_t *test_exit_map(void)
{
	int fd = open("/dev/mem", O_RDWR | O_SYNC | O_CLOEXEC);
	void *p;

	if (fd < 0) {
		say("cannot open /dev/mem for the exit status register: %s "
		    "(CONFIG_DEVMEM?); the command's status will be lost",
		    strerror(errno));
		return NULL;
	}
	p = mmap(NULL, MEMMAP_TEST_EXIT_SIZE, PROT_READ | PROT_WRITE,
		 MAP_SHARED, fd, MEMMAP_TEST_EXIT_BASE);
	close(fd);
	if (p == MAP_FAILED) {
		say("cannot map the exit status register at 0x%llx: %s; the "
		    "command's status will be lost",
		    (unsigned long long)MEMMAP_TEST_EXIT_BASE, strerror(errno));
		return NULL;
	}
	return p;
}

/*
 * The kernel gives init no stdin, stdout or stderr when the initramfs
 * has no /dev/console: take the console for them, so that later opens
 * never land on 0, 1 or 2 by chance.
 */
static void std_fds(void)
{
	int fd;

	while ((fd = open("/dev/console", O_RDWR | O_NOCTTY)) >= 0 && fd < 2)
		;
	if (fd > 2)
		close(fd);
	while ((fd = open("/dev/null", O_RDWR)) >= 0 && fd < 2)
		;
	if (fd > 2)
		close(fd);
}

/* The nodes init needs, when there is no devtmpfs to make them. */
static void dev_nodes(void)
{
	static const struct {
		const char *path;
		unsigned int major, minor;
	} nodes[] = {
		{ "/dev/console", 5, 1 }, { "/dev/null", 1, 3 },
		{ "/dev/kmsg", 1, 11 }, { "/dev/mem", 1, 1 },
		{ "/dev/hvc0", 229, 0 }, { "/dev/hvc1", 229, 1 },
	};

	for (size_t i = 0; i < sizeof(nodes) / sizeof(nodes[0]); i++)
		mknod(nodes[i].path, S_IFCHR | 0600,
		      makedev(nodes[i].major, nodes[i].minor));
}

/* /dev, /proc, /sys, the kernel log; then say that init runs. */
static void early_setup(void)
{
	int dev_err = 0, fd;

	if (mount("devtmpfs", "/dev", "devtmpfs", 0, NULL) < 0) {
		dev_err = errno;
		dev_nodes();
	}
	std_fds();
	kmsg_fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC);
	mount("proc", "/proc", "proc", 0, NULL);
	mount("sysfs", "/sys", "sysfs", 0, NULL);
	/* Userspace lines are rate-limited to 10 in 5 s: not ours. */
	fd = open("/proc/sys/kernel/printk_devkmsg", O_WRONLY | O_CLOEXEC);
	if (fd >= 0) {
		say_write(fd, "on\n", 3);
		close(fd);
	}
	say_marker(COMMAND_INIT_STARTED);
	if (dev_err)
		say("cannot mount devtmpfs on /dev: %s (CONFIG_DEVTMPFS?)",
		    strerror(dev_err));
}

/* As a shell says it: 127 for nothing to run, 126 for not runnable. */
static void __attribute__((noreturn)) command_failed(const char *cmd, int e)
{
	if (e == ENOENT && !strchr(cmd, '/'))
		say("%s: command not found", cmd);
	else if (e == ENOENT)
		say("cannot run %s: %s%s", cmd, strerror(e),
		    access(cmd, F_OK) ? "" : " (its interpreter or dynamic "
		    "loader is missing)");
	else if (e == EACCES)
		say("cannot run %s: %s (not executable, or on a noexec "
		    "mount)", cmd, strerror(e));
	else
		say("cannot run %s: %s", cmd, strerror(e));
	_exit(e == ENOENT ? 127 : 126);
}

static int run_command(char **argv, char **envp)
{
	int status;
	pid_t pid, child = fork();

	if (child < 0) {
		say("cannot fork the command: %s", strerror(errno));
		return 126;
	}
	if (child == 0) {
		if (config_tty) {
			setsid();
			ioctl(0, TIOCSCTTY, 0);
		}
		execvpe(argv[0], argv, envp);
		command_failed(argv[0], errno);
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

	early_setup();
	regs = test_exit_map();
	if (regs)
		regs[TEST_EXIT_REG_BOOTED / 4] = 1;
	read_config();
	load_modules();
	/* From here on what init says reaches armz's stderr directly. */
	open_consoles();
	a = slurp(COMMAND_ARGV, &alen);
	e = slurp(COMMAND_ENV, &elen);
	cwd = slurp(COMMAND_CWD, NULL);
	argv = a ? split_nul(a, alen) : NULL;
	envp = e ? split_nul(e, elen) : NULL;
	if (!argv || !argv[0]) {
		say("no command in " COMMAND_ARGV);
		goto out;
	}
	if (enter_root() < 0)
		goto out;
	/* Never run somewhere else than asked: rm -rf * exists. */
	if (!cwd || chdir(cwd) < 0) {
		say("cannot enter the working directory %s in the guest: %s",
		    cwd ? cwd : "(none)", cwd ? strerror(errno) : "not given");
		goto out;
	}
	status = run_command(argv, envp);
out:
	tcdrain(1);
	tcdrain(2);
	sync();
	if (regs)
		regs[TEST_EXIT_REG_STATUS / 4] = (uint32_t)status;
	reboot(RB_POWER_OFF);
	return status;
}
