// SPDX-License-Identifier: GPL-2.0
/* The socket gdb connects to: see armz/gdb-listen.h. */
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/gdb-listen.h>

static int gdb_port_parse(const char *s, struct gdb_endpoint *ep,
			  const char *spec)
{
	char *end;
	long port;

	errno = 0;
	port = strtol(s, &end, 10);
	if (!*s || *end || errno || port < 0 || port > 65535)
		return err_set(EINVAL, "--gdb %s: '%s' is not a port (0 to 65535)",
			       spec, s);
	snprintf(ep->port, sizeof(ep->port), "%ld", port);
	return 0;
}

static int gdb_tcp_parse(const char *rest, struct gdb_endpoint *ep,
			 const char *spec)
{
	const char *colon = strrchr(rest, ':');
	size_t n;

	if (!colon)
		return err_set(EINVAL, "--gdb %s: use tcp::PORT or tcp:HOST:PORT",
			       spec);
	n = (size_t)(colon - rest);
	if (n && rest[0] == '[') {
		/* [v6-address]:PORT */
		if (n < 3 || rest[n - 1] != ']')
			return err_set(EINVAL, "--gdb %s: unbalanced '['",
				       spec);
		rest++;
		n -= 2;
	}
	if (!n) {
		strcpy(ep->host, "127.0.0.1");
	} else {
		if (n >= sizeof(ep->host))
			return err_set(EINVAL, "--gdb %s: host name too long",
				       spec);
		memcpy(ep->host, rest, n);
		ep->host[n] = '\0';
	}
	return gdb_port_parse(colon + 1, ep, spec);
}

int gdb_endpoint_parse(const char *spec, struct gdb_endpoint *ep)
{
	memset(ep, 0, sizeof(*ep));
	if (!strncmp(spec, "tcp:", 4)) {
		ep->kind = GDB_ENDPOINT_TCP;
		return gdb_tcp_parse(spec + 4, ep, spec);
	}
	if (!strncmp(spec, "unix:", 5)) {
		ep->kind = GDB_ENDPOINT_UNIX;
		if (!spec[5])
			return err_set(EINVAL, "--gdb %s: which path?", spec);
		if (strlen(spec + 5) >= sizeof(ep->path))
			return err_set(EINVAL, "--gdb %s: path longer than %zu bytes",
				       spec, sizeof(ep->path) - 1);
		strcpy(ep->path, spec + 5);
		return 0;
	}
	return err_set(EINVAL, "--gdb %s: use tcp::PORT, tcp:HOST:PORT or unix:PATH",
		       spec);
}

static int gdb_listen_tcp(const struct gdb_endpoint *ep, char *where,
			  size_t where_len)
{
	struct addrinfo hints = {
		.ai_family = AF_UNSPEC,
		.ai_socktype = SOCK_STREAM,
		.ai_flags = AI_PASSIVE | AI_NUMERICSERV,
	}, *res, *ai;
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	char host[NI_MAXHOST], port[NI_MAXSERV];
	int fd = -1, r, one = 1, e = 0;

	r = getaddrinfo(ep->host, ep->port, &hints, &res);
	if (r)
		return err_set(EINVAL, "--gdb: cannot resolve '%s': %s",
			       ep->host, gai_strerror(r));
	for (ai = res; ai; ai = ai->ai_next) {
		fd = socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC,
			    ai->ai_protocol);
		if (fd < 0) {
			e = errno;
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (!bind(fd, ai->ai_addr, ai->ai_addrlen) && !listen(fd, 1))
			break;
		e = errno;
		close(fd);
		fd = -1;
	}
	freeaddrinfo(res);
	if (fd < 0)
		return err_set(e, "--gdb: cannot listen on %s:%s: %s",
			       ep->host, ep->port, strerror(e));
	if (getsockname(fd, (struct sockaddr *)&sa, &len) ||
	    getnameinfo((struct sockaddr *)&sa, len, host, sizeof(host), port,
			sizeof(port), NI_NUMERICHOST | NI_NUMERICSERV)) {
		snprintf(host, sizeof(host), "%s", ep->host);
		snprintf(port, sizeof(port), "%s", ep->port);
	}
	snprintf(where, where_len, strchr(host, ':') ? "[%s]:%s" : "%s:%s",
		 host, port);
	return fd;
}

/* Someone listening there already? Then it is not ours to replace. */
static bool gdb_unix_live(const struct sockaddr_un *sa)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	bool live;

	if (fd < 0)
		return false;
	live = !connect(fd, (const struct sockaddr *)sa, sizeof(*sa));
	close(fd);
	return live;
}

static int gdb_listen_unix(const struct gdb_endpoint *ep, char *where,
			   size_t where_len)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct stat st;
	mode_t old;
	int fd, r;

	memcpy(sa.sun_path, ep->path, sizeof(sa.sun_path));
	if (!lstat(ep->path, &st)) {
		if (!S_ISSOCK(st.st_mode))
			return err_set(EEXIST, "--gdb unix:%s: a file that is not a socket is in the way",
				       ep->path);
		if (gdb_unix_live(&sa))
			return err_set(EADDRINUSE, "--gdb unix:%s: something listens there already",
				       ep->path);
		unlink(ep->path);	/* stale: its armz is gone */
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(errno, "--gdb: socket: %s", strerror(errno));
	/* Before any thread starts: the stub gives away guest memory. */
	old = umask(0077);
	r = bind(fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (r < 0 || listen(fd, 1) < 0) {
		r = err_set(errno, "--gdb: cannot listen on '%s': %s",
			    ep->path, strerror(errno));
		close(fd);
		return r;
	}
	snprintf(where, where_len, "%s", ep->path);
	return fd;
}

int gdb_listen(const struct gdb_endpoint *ep, char *where, size_t where_len)
{
	if (ep->kind == GDB_ENDPOINT_UNIX)
		return gdb_listen_unix(ep, where, where_len);
	return gdb_listen_tcp(ep, where, where_len);
}

int gdb_accept(int listen_fd)
{
	struct sockaddr_storage sa;
	socklen_t len = sizeof(sa);
	int fd, one = 1;

	do {
		fd = accept4(listen_fd, (struct sockaddr *)&sa, &len,
			     SOCK_CLOEXEC);
	} while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return err_set(errno, "gdb: accept: %s", strerror(errno));
	if (sa.ss_family == AF_INET || sa.ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	return fd;
}
