// SPDX-License-Identifier: GPL-2.0
/*
 * armz's gdb stub on a socket, in front of the unit tests' fake machine
 * (tests/unit/fake-target.h) instead of KVM: lets a real gdb talk to the
 * stub. One connection, then exit.
 *
 *   fake-server SPEC      listen as --gdb SPEC would (tcp::0 for any
 *                         free port) and print where on stdout
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/gdb-listen.h>
#include <armz/gdb.h>

#include "../unit/fake-target.h"

static int write_all(void *ctx, const void *buf, size_t len)
{
	int fd = *(int *)ctx;
	const char *p = buf;

	while (len) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -errno;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The pretend CPU runs whatever gdb resumed until it stops. */
static void run(struct fake_target *t, struct gdb_server *srv)
{
	while (t->running && gdb_server_running(srv)) {
		enum gdb_stop_reason why;
		unsigned int v = fake_target_run(t, 1000, &why);

		gdb_server_stopped(srv, v, why, 0);
	}
}

int main(int argc, char **argv)
{
	struct gdb_endpoint ep;
	struct fake_target t;
	struct gdb_server *srv;
	int lfd, fd, r = 0;
	char buf[4096], where[300];

	if (argc != 2) {
		fprintf(stderr, "usage: %s tcp::PORT|tcp:HOST:PORT|unix:PATH\n",
			argv[0]);
		return 2;
	}
	if (gdb_endpoint_parse(argv[1], &ep) ||
	    (lfd = gdb_listen(&ep, where, sizeof(where))) < 0 ||
	    fake_target_init(&t, 2)) {
		fprintf(stderr, "fake-server: %s\n", err_msg());
		return 1;
	}
	printf("%s\n", where);
	fflush(stdout);
	fd = gdb_accept(lfd);
	close(lfd);
	if (ep.kind == GDB_ENDPOINT_UNIX)
		unlink(ep.path);
	if (fd < 0 ||
	    gdb_server_new(&fake_target_ops, &t, write_all, &fd, &srv)) {
		fprintf(stderr, "fake-server: %s\n", err_msg());
		return 1;
	}
	while (!gdb_server_done(srv)) {
		ssize_t n = read(fd, buf, sizeof(buf));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			gdb_server_disconnected(srv);
			run(&t, srv);
			break;
		}
		r = gdb_server_input(srv, buf, (size_t)n);
		if (r)
			break;
		run(&t, srv);
	}
	fprintf(stderr, "fake-server: %s (detaches %u, kills %u)\n",
		r < 0 ? "output failed" : "session over", t.detaches, t.kills);
	gdb_server_free(srv);
	fake_target_free(&t);
	close(fd);
	return r < 0 ? 1 : 0;
}
