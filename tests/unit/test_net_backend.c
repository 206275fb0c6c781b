// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <armz/err.h>
#include <armz/net-backend.h>
#include <armz/virtio-net.h>

#include "unit.h"

/* What net_parse() returns for a "user" it understood. */
#ifdef ARMZ_HAVE_SLIRP
#define SLIRP_OK	0
#else
#define SLIRP_OK	-EINVAL
#endif

static void test_net_parse_ok(void)
{
	struct net_config c, c2;
	int r;

	CU_ASSERT_EQUAL(net_parse("none", &c), 0);
	CU_ASSERT_EQUAL(c.type, NET_NONE);

	CU_ASSERT_EQUAL(net_parse("tap", &c), 0);
	CU_ASSERT_EQUAL(c.type, NET_TAP);
	CU_ASSERT_EQUAL(c.ifname[0], '\0');
	CU_ASSERT_FALSE(c.vhost);
	/* A default MAC: 52:54:00 and three random bytes. */
	CU_ASSERT_EQUAL(c.mac[0], 0x52);
	CU_ASSERT_EQUAL(c.mac[1], 0x54);
	CU_ASSERT_EQUAL(c.mac[2], 0x00);
	CU_ASSERT_EQUAL(net_parse("tap", &c2), 0);
	CU_ASSERT_NOT_EQUAL(memcmp(c.mac, c2.mac, NET_MAC_LEN), 0);

	CU_ASSERT_EQUAL(net_parse("tap,ifname=armz0,vhost=on,mac=02:AB:cd:00:00:01",
				  &c), 0);
	CU_ASSERT_STRING_EQUAL(c.ifname, "armz0");
	CU_ASSERT_TRUE(c.vhost);
	CU_ASSERT_EQUAL(c.mac[0], 0x02);
	CU_ASSERT_EQUAL(c.mac[1], 0xab);
	CU_ASSERT_EQUAL(c.mac[2], 0xcd);
	CU_ASSERT_EQUAL(c.mac[5], 0x01);
	CU_ASSERT_EQUAL(net_parse("tap,vhost=off", &c), 0);
	CU_ASSERT_FALSE(c.vhost);

	r = net_parse("user,hostfwd=tcp::2222-:22,mac=52:54:00:12:34:56,"
		      "hostfwd=udp:127.0.0.2:5353-10.0.2.16:53", &c);
#ifdef ARMZ_HAVE_SLIRP
	if (r)
		fprintf(stderr, "\n%s\n", err_msg());
	CU_ASSERT_EQUAL_FATAL(r, 0);
#else
	CU_ASSERT_EQUAL(r, -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "without libslirp"));
#endif
	CU_ASSERT_EQUAL(c.type, NET_USER);
	CU_ASSERT_EQUAL(c.nfwd, 2);
	CU_ASSERT_FALSE(c.fwd[0].udp);
	CU_ASSERT_EQUAL(c.fwd[0].host_addr, 0x7f000001);
	CU_ASSERT_EQUAL(c.fwd[0].host_port, 2222);
	CU_ASSERT_EQUAL(c.fwd[0].guest_addr, NET_USER_GUEST_ADDR);
	CU_ASSERT_EQUAL(c.fwd[0].guest_port, 22);
	CU_ASSERT_TRUE(c.fwd[1].udp);
	CU_ASSERT_EQUAL(c.fwd[1].host_addr, 0x7f000002);
	CU_ASSERT_EQUAL(c.fwd[1].host_port, 5353);
	CU_ASSERT_EQUAL(c.fwd[1].guest_addr, 0x0a000210);
	CU_ASSERT_EQUAL(c.fwd[1].guest_port, 53);
	CU_ASSERT_EQUAL(c.mac[3], 0x12);
	CU_ASSERT_EQUAL(c.mac[5], 0x56);
	/* Today's reach unless told otherwise. */
	CU_ASSERT_FALSE(c.restricted);
	CU_ASSERT_FALSE(c.loopback_off);

	r = net_parse("user,restrict=on,loopback=off", &c);
	CU_ASSERT_EQUAL(r, SLIRP_OK);
	CU_ASSERT_TRUE(c.restricted);
	CU_ASSERT_TRUE(c.loopback_off);
	r = net_parse("user,restrict=off,loopback=on", &c);
	CU_ASSERT_EQUAL(r, SLIRP_OK);
	CU_ASSERT_FALSE(c.restricted);
	CU_ASSERT_FALSE(c.loopback_off);
}

static void test_net_parse_bad(void)
{
	static const struct {
		const char *arg, *msg;
	} bad[] = {
		{ "", "unknown type ''" },
		{ "wifi", "unknown type 'wifi'" },
		{ "user,foo=1", "unknown option 'foo'" },
		{ "tap,hostfwd=tcp::1-:2", "unknown option 'hostfwd'" },
		{ "user,ifname=x", "unknown option 'ifname'" },
		{ "user,mac", "'mac' is not KEY=VALUE" },
		{ "user,,mac=52:54:00:12:34:56", "empty option" },
		{ "none,mac=52:54:00:12:34:56", "none takes no options" },
		{ "user,hostfwd=tcp::99999-:22", "host port '99999'" },
		{ "user,hostfwd=tcp::0-:22", "host port '0'" },
		{ "user,hostfwd=tcp::22-:", "guest port ''" },
		{ "user,hostfwd=tcp::2x2-:22", "host port '2x2'" },
		{ "user,hostfwd=tcp::22-:70000", "guest port '70000'" },
		{ "user,hostfwd=sctp::1-:2", "protocol 'sctp'" },
		{ "user,hostfwd=tcp:2222", "bad hostfwd 'tcp:2222'" },
		{ "user,hostfwd=tcp::2222:22", "bad hostfwd" },
		{ "user,hostfwd=tcp:1.2.3:80-:22", "bad host address '1.2.3'" },
		{ "user,hostfwd=tcp::80-10.0.2.300:22",
		  "bad guest address '10.0.2.300'" },
		{ "user,mac=52:54:00:12:34", "bad MAC '52:54:00:12:34'" },
		{ "user,mac=52:54:00:12:34:zz", "bad MAC" },
		{ "user,mac=52-54-00-12-34-56", "bad MAC" },
		{ "user,mac=01:00:5e:00:00:01", "multicast" },
		{ "user,mac=00:00:00:00:00:00", "all zero" },
		{ "tap,vhost=maybe", "vhost=maybe is not on or off" },
		{ "user,restrict=yes", "restrict=yes is not on or off" },
		{ "user,loopback=0", "loopback=0 is not on or off" },
		{ "user,restrict", "'restrict' is not KEY=VALUE" },
		{ "tap,restrict=on", "unknown option 'restrict'" },
		{ "tap,loopback=off", "unknown option 'loopback'" },
		{ "tap,ifname=", "bad interface name ''" },
		{ "tap,ifname=much-too-long-name", "bad interface name" },
		{ "tap,ifname=a/b", "bad interface name 'a/b'" },
	};
	struct net_config c;
	unsigned int i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear();
		CU_ASSERT_EQUAL(net_parse(bad[i].arg, &c), -EINVAL);
		if (!strstr(err_msg(), bad[i].msg))
			fprintf(stderr, "\n'%s': got '%s', want '%s'\n",
				bad[i].arg, err_msg(), bad[i].msg);
		CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), bad[i].msg));
	}
}

static void test_net_new_none(void)
{
	struct net_config c;
	struct net_backend *be = (struct net_backend *)&c;
	struct virtio_device *dev = (struct virtio_device *)&c;

	CU_ASSERT_EQUAL(net_parse("none", &c), 0);
	CU_ASSERT_EQUAL(net_backend_new(&c, -1, -1, &be), 0);
	CU_ASSERT_PTR_NULL(be);
	/* And no device is made around no backend. */
	CU_ASSERT_EQUAL(virtio_net_new(be, c.mac, &dev), -EINVAL);
	CU_ASSERT_PTR_NULL(dev);
}

static const CU_TestInfo net_backend_tests[] = {
	{ "--net accepted forms", test_net_parse_ok },
	{ "--net rejected forms", test_net_parse_bad },
	{ "--net none makes no device", test_net_new_none },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(net_backend, net_backend_tests)
