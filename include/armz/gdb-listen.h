/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_GDB_LISTEN_H
#define ARMZ_GDB_LISTEN_H

#include <stddef.h>

#include <sys/un.h>

/*
 * Where armz waits for gdb (--gdb):
 *   tcp::PORT       127.0.0.1:PORT: the stub reads and writes all of
 *                   guest memory, so only this machine by default
 *   tcp:HOST:PORT   HOST a name or address ([::1] for IPv6; 0.0.0.0
 *                   for every interface)
 *   unix:PATH       a socket file only its owner can use
 * PORT 0 picks a free port; gdb_listen() says which.
 */
enum gdb_endpoint_kind {
	GDB_ENDPOINT_TCP,
	GDB_ENDPOINT_UNIX,
};

struct gdb_endpoint {
	enum gdb_endpoint_kind kind;
	char host[256];
	char port[8];
	char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
};

/* 0, or -EINVAL with err_msg() saying what is wrong with spec. */
int gdb_endpoint_parse(const char *spec, struct gdb_endpoint *ep);

/*
 * A listening socket (close-on-exec) for ep, or -errno with err_msg().
 * where gets what to tell the user: "127.0.0.1:1234", "/run/x.sock".
 * A unix path that is a socket nobody listens on is replaced; anything
 * else there is an error.
 */
int gdb_listen(const struct gdb_endpoint *ep, char *where, size_t where_len);

/*
 * One connection from the listening socket: close-on-exec, and for TCP
 * without Nagle's delay (gdb waits for every small reply). It may end
 * at once (another armz checking whether the unix socket is alive):
 * the caller goes back to accepting when a connection closes.
 */
int gdb_accept(int listen_fd);

#endif
