// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/gdb-listen.h>

#include "unit.h"

static void test_parse(void)
{
	struct gdb_endpoint ep;

	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp::1234", &ep), 0);
	CU_ASSERT_EQUAL(ep.kind, GDB_ENDPOINT_TCP);
	CU_ASSERT_STRING_EQUAL(ep.host, "127.0.0.1");
	CU_ASSERT_STRING_EQUAL(ep.port, "1234");
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp:0.0.0.0:1", &ep), 0);
	CU_ASSERT_STRING_EQUAL(ep.host, "0.0.0.0");
	CU_ASSERT_STRING_EQUAL(ep.port, "1");
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp:[::1]:65535", &ep), 0);
	CU_ASSERT_STRING_EQUAL(ep.host, "::1");
	CU_ASSERT_STRING_EQUAL(ep.port, "65535");
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp:gdbhost:0", &ep), 0);
	CU_ASSERT_STRING_EQUAL(ep.host, "gdbhost");
	CU_ASSERT_EQUAL(gdb_endpoint_parse("unix:/run/armz/gdb.sock", &ep), 0);
	CU_ASSERT_EQUAL(ep.kind, GDB_ENDPOINT_UNIX);
	CU_ASSERT_STRING_EQUAL(ep.path, "/run/armz/gdb.sock");

	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp:1234", &ep), -EINVAL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp::65536", &ep), -EINVAL);
	CU_ASSERT(strstr(err_msg(), "not a port") != NULL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp::", &ep), -EINVAL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp::12x", &ep), -EINVAL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp::-1", &ep), -EINVAL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp:[::1:1", &ep), -EINVAL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("unix:", &ep), -EINVAL);
	CU_ASSERT_EQUAL(gdb_endpoint_parse("1234", &ep), -EINVAL);
	CU_ASSERT(strstr(err_msg(), "tcp::PORT") != NULL);
	{
		char longpath[300] = "unix:";

		memset(longpath + 5, 'a', 200);
		longpath[205] = '\0';
		CU_ASSERT_EQUAL(gdb_endpoint_parse(longpath, &ep), -EINVAL);
	}
}

static void check_connected(int lfd, int cfd)
{
	int afd = gdb_accept(lfd);
	char c = 0;

	CU_ASSERT_FATAL(afd >= 0);
	CU_ASSERT(fcntl(afd, F_GETFD) & FD_CLOEXEC);
	CU_ASSERT_EQUAL(write(cfd, "$", 1), 1);
	CU_ASSERT_EQUAL(read(afd, &c, 1), 1);
	CU_ASSERT_EQUAL(c, '$');
	close(afd);
}

static void test_tcp(void)
{
	struct gdb_endpoint ep;
	struct sockaddr_in sa = { .sin_family = AF_INET };
	char where[64];
	int lfd, cfd;
	unsigned int port;

	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp::0", &ep), 0);
	lfd = gdb_listen(&ep, where, sizeof(where));
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT(fcntl(lfd, F_GETFD) & FD_CLOEXEC);
	/* The port the kernel picked, on the loopback address. */
	CU_ASSERT_EQUAL(sscanf(where, "127.0.0.1:%u", &port), 1);
	CU_ASSERT(port > 0 && port < 65536);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cfd = socket(AF_INET, SOCK_STREAM, 0);
	CU_ASSERT_FATAL(cfd >= 0);
	CU_ASSERT_EQUAL_FATAL(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)),
			      0);
	check_connected(lfd, cfd);
	close(cfd);
	close(lfd);
	/* A host that is no address of this machine. */
	CU_ASSERT_EQUAL(gdb_endpoint_parse("tcp:192.0.2.1:0", &ep), 0);
	CU_ASSERT(gdb_listen(&ep, where, sizeof(where)) < 0);
	CU_ASSERT(strstr(err_msg(), "cannot listen on 192.0.2.1:0") != NULL);
}

static void test_unix(void)
{
	char dir[] = "/tmp/armz-gdb-XXXXXX", spec[128], where[128];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct gdb_endpoint ep;
	struct stat st;
	int lfd, lfd2, cfd, fd;

	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "unix:%s/gdb.sock", dir);
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s/gdb.sock", dir);
	CU_ASSERT_EQUAL(gdb_endpoint_parse(spec, &ep), 0);
	lfd = gdb_listen(&ep, where, sizeof(where));
	CU_ASSERT_FATAL(lfd >= 0);
	CU_ASSERT_STRING_EQUAL(where, sa.sun_path);
	CU_ASSERT_EQUAL(stat(sa.sun_path, &st), 0);
	CU_ASSERT(S_ISSOCK(st.st_mode));
	CU_ASSERT_EQUAL(st.st_mode & 0077, 0);	/* the owner's alone */
	cfd = socket(AF_UNIX, SOCK_STREAM, 0);
	CU_ASSERT_EQUAL_FATAL(connect(cfd, (struct sockaddr *)&sa, sizeof(sa)),
			      0);
	check_connected(lfd, cfd);
	close(cfd);
	/* Someone listens: not replaced. */
	CU_ASSERT_EQUAL(gdb_listen(&ep, where, sizeof(where)), -EADDRINUSE);
	CU_ASSERT_EQUAL(stat(sa.sun_path, &st), 0);
	close(lfd);
	/* Nobody listens any more: a stale socket, replaced. */
	lfd2 = gdb_listen(&ep, where, sizeof(where));
	CU_ASSERT(lfd2 >= 0);
	close(lfd2);
	unlink(sa.sun_path);
	/* A plain file is left alone. */
	fd = open(sa.sun_path, O_CREAT | O_WRONLY, 0600);
	CU_ASSERT_FATAL(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(gdb_listen(&ep, where, sizeof(where)), -EEXIST);
	CU_ASSERT_EQUAL(stat(sa.sun_path, &st), 0);
	CU_ASSERT(S_ISREG(st.st_mode));
	unlink(sa.sun_path);
	rmdir(dir);
}

static const CU_TestInfo gdb_listen_tests[] = {
	{ "--gdb syntax", test_parse },
	{ "tcp", test_tcp },
	{ "unix", test_unix },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(gdb_listen, gdb_listen_tests);
