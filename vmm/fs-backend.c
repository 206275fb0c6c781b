// SPDX-License-Identifier: GPL-2.0
/*
 * virtiofsd for --fs HOSTDIR,TAG and for run-a-command mode's root, and
 * the connection to a --fs socket=PATH backend (fs-backend.h).
 *
 * The daemon gets its listening socket as a descriptor (--fd), with our
 * connection already waiting in it: no socket path is left anywhere for
 * someone else to connect to first, and there is no waiting for one to
 * appear. It runs while armz does and ends when armz hangs up.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <seccomp.h>

#include <armz/err.h>
#include <armz/util.h>
#include "fs-backend.h"

/* The daemon's listening socket in its own descriptor table. */
#define FSD_LISTEN_FD	3

static const char *const fsd_paths[] = {
	"/usr/libexec/virtiofsd",	/* the Rust one: Debian 13, Fedora */
	"/usr/lib/qemu/virtiofsd",	/* QEMU's: Debian 12, Ubuntu 22.04 */
	"/usr/libexec/qemu/virtiofsd",
};

/*
 * Which of the two command lines the daemon at path takes: the Rust one
 * names its --shared-dir option, QEMU's has none. Read from the binary
 * rather than asked of it: an exec of it costs more, and says nothing
 * more.
 */
static enum fsd_kind fsd_kind_of(const char *path)
{
	static const char rust[] = "shared-dir";
	enum fsd_kind kind = FSD_QEMU;
	struct stat st;
	void *p;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return kind;
	if (!fstat(fd, &st) && st.st_size > 0) {
		p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd,
			 0);
		if (p != MAP_FAILED) {
			if (memmem(p, (size_t)st.st_size, rust, sizeof(rust) - 1))
				kind = FSD_RUST;
			munmap(p, (size_t)st.st_size);
		}
	}
	close(fd);
	return kind;
}

static bool fsd_on_path(char *path, size_t len)
{
	const char *p = getenv("PATH");
	char *copy, *dir, *save = NULL;
	bool found = false;

	copy = strdup(p ? p : "/usr/bin:/bin");
	for (dir = copy ? strtok_r(copy, ":", &save) : NULL; dir && !found;
	     dir = strtok_r(NULL, ":", &save)) {
		snprintf(path, len, "%s/virtiofsd", dir);
		found = !access(path, X_OK);
	}
	free(copy);
	return found;
}

int virtiofsd_find(char *path, size_t len, enum fsd_kind *kind)
{
	const char *env = getenv("ARMZ_VIRTIOFSD");
	bool found = false;

	if (env && !strcmp(env, "none"))
		return err_set(ENOENT, "no virtiofsd: ARMZ_VIRTIOFSD=none");
	if (env) {
		snprintf(path, len, "%s", env);
		if (access(path, X_OK))
			return err_set(ENOENT, "ARMZ_VIRTIOFSD '%s': %s", env,
				       strerror(errno));
		found = true;
	}
	for (size_t i = 0; !found && i < ARRAY_SIZE(fsd_paths); i++) {
		snprintf(path, len, "%s", fsd_paths[i]);
		found = !access(path, X_OK);
	}
	if (!found && !fsd_on_path(path, len))
		return err_set(ENOENT, "no virtiofsd installed (Debian: the virtiofsd package, or qemu-system-common for QEMU's)");
	*kind = fsd_kind_of(path);
	if (*kind == FSD_QEMU && geteuid())
		return err_set(EPERM, "%s is QEMU's virtiofsd, which runs only as root; the Rust virtiofsd runs as any user",
			       path);
	return 0;
}

/* --- The daemon's process, between fork and exec --- */

/* A mount point from /proc/self/mountinfo, its \ooo escapes undone. */
static void fsd_unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*o++ = (char)((s[1] - '0') << 6 | (s[2] - '0') << 3 |
				      (s[3] - '0'));
			s += 3;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

static bool fsd_pseudo(const char *type)
{
	static const char *const types[] = {
		"proc", "sysfs", "cgroup", "cgroup2", "debugfs", "tracefs",
		"securityfs", "bpf", "pstore", "configfs", "fusectl",
		"efivarfs", "binfmt_misc", "mqueue", "selinuxfs", "nsfs",
		"rpc_pipefs", "autofs",
	};

	for (size_t i = 0; i < ARRAY_SIZE(types); i++)
		if (!strcmp(type, types[i]))
			return true;
	return false;
}

static bool fsd_under(const char *mp, const char *dir)
{
	size_t n = strlen(dir);

	if (!strcmp(dir, "/"))
		return true;
	return !strncmp(mp, dir, n) && (mp[n] == '/' || !mp[n]);
}

static int fsd_setattr(const char *path, uint64_t set, unsigned int flags)
{
	struct mount_attr attr = { .attr_set = set };

	return mount_setattr(AT_FDCWD, path, flags, &attr, sizeof(attr));
}

/* Every pseudo file system under dir: read-only. */
static void fsd_pseudo_ro(const char *dir)
{
	char *line = NULL, mp[PATH_MAX], type[64];
	size_t cap = 0;
	FILE *f = fopen("/proc/self/mountinfo", "r");

	while (f && getline(&line, &cap, f) > 0) {
		char *sep = strstr(line, " - ");

		if (!sep || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
		    sscanf(sep + 3, "%63s", type) != 1)
			continue;
		fsd_unescape(mp);
		if (fsd_pseudo(type) && fsd_under(mp, dir))
			fsd_setattr(mp, MOUNT_ATTR_RDONLY, 0);
	}
	free(line);
	if (f)
		fclose(f);
}

/*
 * The shared tree as the daemon will see it: in a mount namespace of its
 * own, a recursive bind of dir that is nosuid and nodev, read-only when
 * ro; its pseudo file systems read-only whatever ro says.
 */
static int fsd_namespace(const char *dir, bool ro)
{
	uint64_t set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
		       (ro ? MOUNT_ATTR_RDONLY : 0);

	if (unshare(CLONE_NEWNS) ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
	    mount(dir, dir, NULL, MS_BIND | MS_REC, NULL))
		return -1;
	if (fsd_setattr(dir, set, AT_RECURSIVE)) {
		unsigned long fl = MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV |
				   (ro ? MS_RDONLY : 0);

		/* Before Linux 5.12: the top mount at least. */
		if (errno != ENOSYS || mount(NULL, dir, NULL, fl, NULL))
			return -1;
	}
	fsd_pseudo_ro(dir);
	return 0;
}

/* fchmodat2(2), Linux 6.6: one number on every architecture. */
#define FSD_NR_FCHMODAT2	452

/*
 * virtiofsd passes the guest's modes through, set-user-ID and
 * set-group-ID bits included, and a file the guest made setuid would be
 * one on the host. The 9p server strips those bits (devices/p9-fs.c);
 * the daemon is not ours to change, so a filter it inherits across exec
 * refuses them with EPERM: chmod and creation with either bit. It stacks
 * with the daemon's own filter; everything else stays allowed. 0, or -1
 * with errno set.
 */
static int fsd_no_setid(void)
{
	static const struct { const char *name; int nr; unsigned int arg; }
	calls[] = {
		{ "chmod", 0, 1 }, { "fchmod", 0, 1 }, { "fchmodat", 0, 2 },
		{ NULL, FSD_NR_FCHMODAT2, 2 }, { "open", 0, 2 },
		{ "openat", 0, 3 }, { "creat", 0, 1 }, { "mknod", 0, 1 },
		{ "mknodat", 0, 2 },
	};
	static const unsigned int bits[] = { S_ISUID, S_ISGID };
	scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
	int r = ctx ? 0 : -ENOMEM;

	for (size_t i = 0; !r && i < ARRAY_SIZE(calls); i++) {
		int nr = calls[i].name ? seccomp_syscall_resolve_name(calls[i].name)
				       : calls[i].nr;

		if (nr < 0)
			continue;	/* not on this architecture */
		for (size_t b = 0; !r && b < ARRAY_SIZE(bits); b++) {
			struct scmp_arg_cmp cmp = {
				.arg = calls[i].arg, .op = SCMP_CMP_MASKED_EQ,
				.datum_a = bits[b], .datum_b = bits[b],
			};

			r = seccomp_rule_add_array(ctx, SCMP_ACT_ERRNO(EPERM),
						   nr, 1, &cmp);
		}
	}
	r = r ?: seccomp_load(ctx);
	seccomp_release(ctx);
	if (r)
		errno = -r;
	return r ? -1 : 0;
}

/* The command line for kind; args has room for 16. */
static void fsd_args(enum fsd_kind kind, const char *path,
		     const struct fs_share *s, bool verbose, char **args,
		     char *bufs, size_t buflen)
{
	unsigned int n = 0;
	bool root = !geteuid();

	args[n++] = (char *)path;
	args[n++] = "--fd=3";
	if (kind == FSD_RUST) {
		snprintf(bufs, buflen, "--shared-dir=%s", s->dir);
		args[n++] = bufs;
		/* A read-only tree may be cached for as long as it lives. */
		args[n++] = s->ro ? "--cache=always" : "--cache=auto";
		args[n++] = root ? "--sandbox=chroot" : "--sandbox=none";
		args[n++] = verbose ? "--log-level=info" : "--log-level=error";
		if (s->ro)
			args[n++] = "--readonly";
	} else {
		snprintf(bufs, buflen, "source=%s", s->dir);
		args[n++] = "-o";
		args[n++] = bufs;
		args[n++] = "-o";
		args[n++] = s->ro ? "cache=always" : "cache=auto";
		/* Its namespace sandbox cannot pivot_root out of an initramfs. */
		args[n++] = "-o";
		args[n++] = "sandbox=chroot";
		args[n++] = "-o";
		args[n++] = verbose ? "log_level=info" : "log_level=err";
	}
	args[n] = NULL;
}

/* In the child: never returns. Setup failures go to stderr, then 126. */
static void fsd_exec(const char *path, enum fsd_kind kind,
		     const struct fs_share *s, bool verbose, int listen_fd)
{
	char *args[16], buf[PATH_MAX + 32];
	sigset_t none;
	int null = open("/dev/null", O_RDWR | O_CLOEXEC);

	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	signal(SIGPIPE, SIG_DFL);
	if (!geteuid() && fsd_namespace(s->dir, s->ro)) {
		fprintf(stderr, "armz: virtio-fs '%s': cannot set up %s for virtiofsd: %s\n",
			s->tag, s->dir, strerror(errno));
		_exit(126);
	}
	if (fsd_no_setid()) {
		fprintf(stderr, "armz: virtio-fs '%s': cannot keep virtiofsd from setting set-user-ID bits: %s\n",
			s->tag, strerror(errno));
		_exit(126);
	}
	if (listen_fd == FSD_LISTEN_FD)
		fcntl(listen_fd, F_SETFD, 0);
	else if (dup2(listen_fd, FSD_LISTEN_FD) < 0)
		_exit(126);
	if (null >= 0) {
		dup2(null, STDIN_FILENO);
		dup2(verbose ? STDERR_FILENO : null, STDOUT_FILENO);
		if (!verbose)
			dup2(null, STDERR_FILENO);
	}
	fsd_args(kind, path, s, verbose, args, buf, sizeof(buf));
	execv(path, args);
	_exit(127);
}

/* --- The parent's side --- */

/*
 * A listening socket with our connection already queued in it. The path
 * lives only until both are made, in a directory only we can enter.
 */
static int fsd_sockets(int *listen_fd, int *conn_fd)
{
	const char *base = getenv("XDG_RUNTIME_DIR");
	char dir[PATH_MAX];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int r = 0;

	snprintf(dir, sizeof(dir), "%s/armz-fs-XXXXXX",
		 base && *base ? base : "/tmp");
	if (!mkdtemp(dir))
		return err_set(errno, "virtiofsd: cannot make a directory for its socket in %s: %s",
			       base && *base ? base : "/tmp", strerror(errno));
	if ((size_t)snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/s", dir) >=
	    sizeof(sa.sun_path)) {
		rmdir(dir);
		return err_set(ENAMETOOLONG, "virtiofsd: socket path in %s is too long",
			       dir);
	}
	*listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	*conn_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (*listen_fd < 0 || *conn_fd < 0 ||
	    bind(*listen_fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    listen(*listen_fd, 1) ||
	    connect(*conn_fd, (struct sockaddr *)&sa, sizeof(sa)))
		r = err_set(errno, "virtiofsd: socket: %s", strerror(errno));
	unlink(sa.sun_path);
	rmdir(dir);
	if (r) {
		if (*listen_fd >= 0)
			close(*listen_fd);
		if (*conn_fd >= 0)
			close(*conn_fd);
	}
	return r;
}

/* What became of a daemon that did not answer, for the message. */
static const char *fsd_fate(pid_t pid, char *buf, size_t len)
{
	int st;

	/* A daemon that failed to start is gone by now, or nearly. */
	for (int i = 0; i < 20; i++) {
		if (waitpid(pid, &st, WNOHANG) == pid) {
			if (WIFEXITED(st))
				snprintf(buf, len, " (virtiofsd exited with status %d%s)",
					 WEXITSTATUS(st),
					 WEXITSTATUS(st) == 126 ? "" :
					 "; --verbose shows what it said");
			else
				snprintf(buf, len, " (virtiofsd was killed by signal %d)",
					 WTERMSIG(st));
			return buf;
		}
		usleep(50000);
	}
	return "";
}

static int fsd_start(const struct fs_share *s, bool verbose,
		     struct fs_backend *b)
{
	char path[PATH_MAX], fate[128], why[512];
	enum fsd_kind kind;
	struct stat st;
	int lfd = -1, cfd = -1, r;

	if (stat(s->dir, &st) || !S_ISDIR(st.st_mode))
		return err_set(errno ? errno : ENOTDIR, "virtio-fs '%s': '%s' is not a directory",
			       s->tag, s->dir);
	r = virtiofsd_find(path, sizeof(path), &kind) ?:
	    fsd_sockets(&lfd, &cfd);
	if (r) {
		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(r, "virtio-fs '%s': %s", s->tag, why);
	}
	fflush(NULL);
	b->pid = fork();
	if (b->pid < 0) {
		close(lfd);
		close(cfd);
		return err_set(errno, "virtio-fs '%s': fork: %s", s->tag,
			       strerror(errno));
	}
	if (!b->pid)
		fsd_exec(path, kind, s, verbose, lfd);
	close(lfd);
	r = vhost_user_new(cfd, b->name, &b->vu);
	if (r) {
		snprintf(why, sizeof(why), "%s", err_msg());
		r = err_set(r, "%s%s", why,
			    fsd_fate(b->pid, fate, sizeof(fate)));
		fs_backend_close(b);
	}
	return r;
}

int fs_backend_open(const struct fs_share *s, bool verbose,
		    struct fs_backend *b)
{
	memset(b, 0, sizeof(*b));
	snprintf(b->name, sizeof(b->name), "virtio-fs '%s'", s->tag);
	if (s->socket[0])
		return vhost_user_connect(s->socket, b->name, &b->vu);
	return fsd_start(s, verbose, b);
}

void fs_backend_close(struct fs_backend *b)
{
	int st;

	vhost_user_free(b->vu);
	b->vu = NULL;
	if (b->pid <= 0)
		return;
	/* It ends when we hang up; a stuck one gets a second or so. */
	for (int i = 0; i < 40; i++) {
		if (waitpid(b->pid, &st, WNOHANG) != 0)
			goto out;
		if (i == 20)
			kill(b->pid, SIGTERM);
		usleep(50000);
	}
	kill(b->pid, SIGKILL);
	waitpid(b->pid, &st, 0);
out:
	b->pid = 0;
}
