// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/net-hdr.h>

#include "unit.h"

static void test_net_hdr_csum(void)
{
	/* An IPv4 header whose checksum is known: 0xb861. */
	uint8_t ip[20] = { 0x45, 0x00, 0x00, 0x73, 0x00, 0x00, 0x40, 0x00,
			   0x40, 0x11, 0x00, 0x00, 0xc0, 0xa8, 0x00, 0x01,
			   0xc0, 0xa8, 0x00, 0xc7 };
	struct net_hdr h = { .csum_start = 0, .csum_offset = 10 };
	uint8_t raw[NET_HDR_LEN];
	struct net_hdr back;

	CU_ASSERT_EQUAL(net_hdr_fill_csum(&h, ip, sizeof(ip)), 0);
	CU_ASSERT_EQUAL(ip[10], 0xb8);
	CU_ASSERT_EQUAL(ip[11], 0x61);
	h.csum_offset = 19;
	CU_ASSERT_EQUAL(net_hdr_fill_csum(&h, ip, sizeof(ip)), -EINVAL);
	h.csum_start = 30;
	h.csum_offset = 0;
	CU_ASSERT_EQUAL(net_hdr_fill_csum(&h, ip, sizeof(ip)), -EINVAL);

	h = (struct net_hdr){ 1, 4, 0x0102, 0x0304, 0x0506, 0x0708, 0x090a };
	net_hdr_encode(raw, &h);
	CU_ASSERT_EQUAL(raw[2], 0x02);
	CU_ASSERT_EQUAL(raw[3], 0x01);
	CU_ASSERT_EQUAL(raw[10], 0x0a);
	CU_ASSERT_EQUAL(raw[11], 0x09);
	net_hdr_decode(&back, raw);
	CU_ASSERT_EQUAL(memcmp(&back, &h, sizeof(h)), 0);
}

static const CU_TestInfo net_hdr_tests[] = {
	{ "header encoding and checksum", test_net_hdr_csum },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(net_hdr, net_hdr_tests)
