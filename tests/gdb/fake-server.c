// SPDX-License-Identifier: GPL-2.0
/*
 * armz's gdb stub on a socket, in front of the unit tests' fake machine
 * (tests/unit/fake-target.h) instead of KVM: lets a real gdb talk to the
 * stub. One connection, then exit.
 *
 *   fake-server PORT      listen on 127.0.0.1:PORT (0: any; the port
 *                         chosen is printed on stdout)
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <armz/err.h>
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

static int listen_on(unsigned int port)
{
	struct sockaddr_in a = {
		.sin_family = AF_INET,
		.sin_port = htons((uint16_t)port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	socklen_t len = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    listen(fd, 1) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		close(fd);
		return -1;
	}
	printf("%u\n", ntohs(a.sin_port));
	fflush(stdout);
	return fd;
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
	struct fake_target t;
	struct gdb_server *srv;
	int lfd, fd, r = 0;
	char buf[4096];

	if (argc != 2) {
		fprintf(stderr, "usage: %s PORT\n", argv[0]);
		return 2;
	}
	lfd = listen_on((unsigned int)atoi(argv[1]));
	if (lfd < 0 || fake_target_init(&t, 2)) {
		perror("fake-server");
		return 1;
	}
	fd = accept(lfd, NULL, NULL);
	close(lfd);
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
