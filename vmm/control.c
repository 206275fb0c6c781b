// SPDX-License-Identifier: GPL-2.0
/*
 * One control socket per running VM, mode 0600, in $XDG_RUNTIME_DIR/armz/
 * (or ~/.armz/): `armz list`, `armz status|stop|pause|resume NAME`. The
 * protocol is one line in ("status\n"), one answer out, then close. A VM
 * killed without cleaning up leaves a socket nobody listens on; `list`
 * notices (ECONNREFUSED) and removes it.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <armz/err.h>
#include "control.h"

#define CONTROL_TIMEOUT_MS	2000

static int control_dir(char *buf, size_t len)
{
	const char *run = getenv("XDG_RUNTIME_DIR");
	const char *home = getenv("HOME");
	int n;

	if (run && *run)
		n = snprintf(buf, len, "%s/armz", run);
	else if (home && *home)
		n = snprintf(buf, len, "%s/.armz", home);
	else
		return err_set(ENOENT, "neither XDG_RUNTIME_DIR nor HOME is set: no place for control sockets");
	if (n < 0 || (size_t)n >= len)
		return err_set(ENAMETOOLONG, "control socket directory name too long");
	return 0;
}

static int control_addr(const char *name, struct sockaddr_un *addr)
{
	char dir[sizeof(addr->sun_path)];
	int r, n;

	if (!control_name_ok(name))
		return err_set(EINVAL, "VM name '%s': use 1 to %d letters, digits, '.', '_' or '-'",
			       name, CONTROL_NAME_MAX);
	r = control_dir(dir, sizeof(dir));
	if (r)
		return r;
	memset(addr, 0, sizeof(*addr));
	addr->sun_family = AF_UNIX;
	n = snprintf(addr->sun_path, sizeof(addr->sun_path), "%s/%s.sock",
		     dir, name);
	if (n < 0 || (size_t)n >= sizeof(addr->sun_path))
		return err_set(ENAMETOOLONG, "control socket path for '%s' too long",
			       name);
	return 0;
}

static int control_connect(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0) {
		int e = errno;

		close(fd);
		return -e;
	}
	return fd;
}

int control_listen(const char *name, char **path)
{
	struct sockaddr_un addr;
	char dir[sizeof(addr.sun_path)];
	mode_t old;
	int fd, r;

	r = control_addr(name, &addr);
	if (!r)
		r = control_dir(dir, sizeof(dir));
	if (r)
		return r;
	if (mkdir(dir, 0700) < 0 && errno != EEXIST)
		return err_set(errno, "cannot create '%s': %s", dir,
			       strerror(errno));
	fd = control_connect(&addr);
	if (fd >= 0) {
		close(fd);
		return err_set(EEXIST, "a VM named '%s' is already running (%s); choose another --name",
			       name, addr.sun_path);
	}
	unlink(addr.sun_path);		/* stale: its VM is gone */
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return err_set(errno, "socket: %s", strerror(errno));
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&addr, sizeof(addr));
	umask(old);
	if (r < 0 || listen(fd, 8) < 0) {
		r = err_set(errno, "cannot listen on '%s': %s", addr.sun_path,
			    strerror(errno));
		close(fd);
		return r;
	}
	*path = strdup(addr.sun_path);
	return fd;
}

/* Reads one request line, waiting a little for a slow client. */
static ssize_t control_read_line(int fd, char *buf, size_t len)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t have = 0;

	while (have < len - 1 && !memchr(buf, '\n', have)) {
		ssize_t n;

		if (poll(&p, 1, CONTROL_TIMEOUT_MS) <= 0)
			return -ETIMEDOUT;
		n = read(fd, buf + have, len - 1 - have);
		if (n <= 0)
			break;
		have += (size_t)n;
	}
	buf[have] = '\0';
	buf[strcspn(buf, "\r\n")] = '\0';
	return (ssize_t)have;
}

static void control_reply(int fd, const struct control_ops *ops, void *ctx,
			  const char *cmd)
{
	FILE *f = fdopen(fd, "w");

	if (!f) {
		close(fd);
		return;
	}
	if (!strcmp(cmd, "status")) {
		ops->status(ctx, f);
	} else if (!strcmp(cmd, "stop")) {
		fprintf(f, "ok\n");
		ops->stop(ctx);
	} else if (!strcmp(cmd, "pause") || !strcmp(cmd, "resume")) {
		ops->pause(ctx, cmd[0] == 'p');
		fprintf(f, "ok\n");
	} else {
		fprintf(f, "error: unknown command '%s'\n", cmd);
	}
	fclose(f);
}

void control_serve(int listen_fd, const struct control_ops *ops, void *ctx)
{
	char cmd[64];
	int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

	if (fd < 0)
		return;
	if (control_read_line(fd, cmd, sizeof(cmd)) <= 0) {
		close(fd);
		return;
	}
	control_reply(fd, ops, ctx, cmd);
}

/* Sends cmd to the VM's socket and copies the answer to stdout. */
static int control_send(const char *name, const char *cmd, FILE *out)
{
	struct sockaddr_un addr;
	char buf[4096];
	bool ok = true;
	ssize_t n;
	int fd, r;

	r = control_addr(name, &addr);
	if (r)
		return r;
	fd = control_connect(&addr);
	if (fd == -ECONNREFUSED)
		unlink(addr.sun_path);
	if (fd < 0)
		return err_set(ENOENT, "no VM named '%s' is running", name);
	if (dprintf(fd, "%s\n", cmd) < 0) {
		close(fd);
		return err_set(errno, "VM '%s' went away", name);
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0) {
		if (!strncmp(buf, "error", 5))
			ok = false;
		if (out)
			fwrite(buf, 1, (size_t)n, out);
	}
	close(fd);
	return ok ? 0 : err_set(EPROTO, "VM '%s' refused '%s'", name, cmd);
}

/* The "state" value of a status answer, for the list. */
static void control_state(const char *name, char *state, size_t len)
{
	char tmp[] = "/tmp/armz-list-XXXXXX";
	char line[256];
	int fd = mkstemp(tmp);
	FILE *f = fd >= 0 ? fdopen(fd, "w+") : NULL;

	snprintf(state, len, "unknown");
	if (f && !control_send(name, "status", f)) {
		rewind(f);
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, " \"state\": \"%63[^\"]\"", state) == 1)
				break;
	}
	if (f)
		fclose(f);
	if (fd >= 0)
		unlink(tmp);
}

static int control_list(void)
{
	struct sockaddr_un addr;
	char dir[sizeof(addr.sun_path)], state[64];
	struct dirent *e;
	DIR *d;
	int r = control_dir(dir, sizeof(dir));

	if (r)
		return r;
	printf("%-24s %s\n", "NAME", "STATE");
	d = opendir(dir);
	while (d && (e = readdir(d))) {
		size_t len = strlen(e->d_name);
		char name[CONTROL_NAME_MAX + 8];
		int fd;

		if (len < 6 || strcmp(e->d_name + len - 5, ".sock") ||
		    len - 5 >= sizeof(name))
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - 5), e->d_name);
		if (control_addr(name, &addr))
			continue;
		fd = control_connect(&addr);
		if (fd < 0) {
			if (fd == -ECONNREFUSED || fd == -ENOENT)
				unlink(addr.sun_path);
			continue;
		}
		close(fd);
		control_state(name, state, sizeof(state));
		printf("%-24s %s\n", name, state);
	}
	if (d)
		closedir(d);
	return 0;
}

/* armz list | armz status|stop|pause|resume NAME */
int control_command(int argc, char **argv)
{
	if (!strcmp(argv[0], "list")) {
		if (argc != 1)
			return err_set(EINVAL, "'armz list' takes no arguments");
		return control_list();
	}
	if (argc != 2)
		return err_set(EINVAL, "usage: armz %s NAME", argv[0]);
	return control_send(argv[1], argv[0], stdout);
}
