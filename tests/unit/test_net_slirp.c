// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/err.h>
#include <armz/net-backend.h>
#include <armz/virtio-net.h>

#include "unit.h"

#ifdef ARMZ_HAVE_SLIRP
#include <arpa/inet.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <armz/virtio.h>

#include "virtio-ring.h"

/*
 * Real frames through libslirp: each test builds what a guest would send
 * byte by byte (network order on the wire, virtio's header LE) and checks
 * what slirp answers.
 */

#define ETH_HLEN	14
#define ETH_P_IP	0x0800
#define ETH_P_ARP	0x0806
#define IP_HLEN		20
#define UDP_HLEN	8
#define BOOTP_LEN	548	/* fixed part, cookie and 312 option bytes */

static const uint8_t guest_mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)(v >> 16));
	put16(p + 2, (uint16_t)v);
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)get16(p) << 16 | get16(p + 2);
}

static void eth_hdr(uint8_t *f, const uint8_t *dst, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, guest_mac, 6);
	put16(f + 12, type);
}

/* who-has target tell 10.0.2.15, from the guest; 60 bytes. */
static size_t build_arp(uint8_t *f, uint32_t target)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *a = f + ETH_HLEN;

	memset(f, 0, 60);
	eth_hdr(f, bcast, ETH_P_ARP);
	put16(a, 1);			/* Ethernet */
	put16(a + 2, ETH_P_IP);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, 1);		/* request */
	memcpy(a + 8, guest_mac, 6);
	put32(a + 14, NET_USER_GUEST_ADDR);
	put32(a + 24, target);
	return 60;
}

static uint16_t ip_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* A DHCPDISCOVER from 0.0.0.0:68 to 255.255.255.255:67. */
static size_t build_dhcp_discover(uint8_t *f, uint32_t xid)
{
	static const uint8_t bcast[6] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff };
	uint8_t *ip = f + ETH_HLEN, *udp = ip + IP_HLEN, *bp = udp + UDP_HLEN;
	size_t ip_len = IP_HLEN + UDP_HLEN + BOOTP_LEN;

	memset(f, 0, ETH_HLEN + ip_len);
	eth_hdr(f, bcast, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)ip_len);
	ip[8] = 64;			/* TTL */
	ip[9] = 17;			/* UDP */
	put32(ip + 16, 0xffffffff);
	put16(ip + 10, ip_csum(ip, IP_HLEN));
	put16(udp, 68);
	put16(udp + 2, 67);
	put16(udp + 4, UDP_HLEN + BOOTP_LEN);	/* checksum 0: none */
	bp[0] = 1;			/* BOOTREQUEST */
	bp[1] = 1;
	bp[2] = 6;
	put32(bp + 4, xid);
	memcpy(bp + 28, guest_mac, 6);
	put32(bp + 236, 0x63825363);	/* magic cookie */
	bp[240] = 53;			/* DHCP message type */
	bp[241] = 1;
	bp[242] = 1;			/* DISCOVER */
	bp[243] = 255;
	return ETH_HLEN + ip_len;
}

static int be_send(struct net_backend *be, const uint8_t *f, size_t len)
{
	struct net_hdr h = { 0 };
	struct iovec iov = { .iov_base = (void *)f, .iov_len = len };

	return be->ops->send(be, &h, &iov, 1);
}

typedef bool (*frame_match_fn)(const uint8_t *f, size_t len, void *arg);

/* The first frame slirp sends within 5 s that match() accepts. */
static ssize_t be_wait(struct net_backend *be, uint8_t *buf,
		       frame_match_fn match, void *arg)
{
	struct net_hdr h;
	int i;

	for (i = 0; i < 500; i++) {
		struct pollfd p = { .fd = be->rx_fd, .events = POLLIN };
		ssize_t n;

		while ((n = be->ops->recv(be, &h, buf, NET_FRAME_MAX)) > 0) {
			CU_ASSERT_EQUAL(h.flags, 0);
			CU_ASSERT_EQUAL(h.gso_type, NET_HDR_GSO_NONE);
			if (match(buf, (size_t)n, arg))
				return n;
		}
		poll(&p, 1, 10);
	}
	return -1;
}

static bool is_arp_reply(const uint8_t *f, size_t len, void *arg)
{
	const uint8_t *a = f + ETH_HLEN;

	return len >= ETH_HLEN + 28 && get16(f + 12) == ETH_P_ARP &&
	       get16(a + 6) == 2 && get32(a + 14) == *(uint32_t *)arg;
}

static void check_arp_reply(const uint8_t *f, uint32_t from)
{
	const uint8_t *a = f + ETH_HLEN;

	CU_ASSERT_EQUAL(memcmp(f, guest_mac, 6), 0);
	CU_ASSERT_EQUAL(get32(a + 14), from);
	CU_ASSERT_EQUAL(memcmp(a + 18, guest_mac, 6), 0);
	CU_ASSERT_EQUAL(get32(a + 24), NET_USER_GUEST_ADDR);
}

static struct net_backend *slirp_open(const char *arg)
{
	struct net_config cfg;
	struct net_backend *be = NULL;

	CU_ASSERT_EQUAL_FATAL(net_parse(arg, &cfg), 0);
	if (net_backend_new(&cfg, -1, -1, &be))
		fprintf(stderr, "\n%s\n", err_msg());
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	CU_ASSERT_EQUAL(be->offloads, 0);	/* complete frames only */
	return be;
}

static void test_slirp_arp(void)
{
	struct net_backend *be = slirp_open("user");
	uint8_t *buf = malloc(NET_FRAME_MAX), f[64];
	uint32_t who = NET_USER_HOST_ADDR;

	CU_ASSERT_EQUAL(be_send(be, f, build_arp(f, who)), 0);
	CU_ASSERT_TRUE_FATAL(be_wait(be, buf, is_arp_reply, &who) > 0);
	check_arp_reply(buf, who);
	who = NET_USER_DNS_ADDR;
	CU_ASSERT_EQUAL(be_send(be, f, build_arp(f, who)), 0);
	CU_ASSERT_TRUE(be_wait(be, buf, is_arp_reply, &who) > 0);
	be->ops->free(be);
	free(buf);
}

struct dhcp_want {
	uint32_t xid;
	uint8_t type;
};

/* A BOOTREPLY for our xid; its DHCP message type in want->type. */
static bool is_dhcp_reply(const uint8_t *f, size_t len, void *arg)
{
	struct dhcp_want *w = arg;
	const uint8_t *ip = f + ETH_HLEN, *udp = ip + IP_HLEN;
	const uint8_t *bp = udp + UDP_HLEN, *o;

	if (len < ETH_HLEN + IP_HLEN + UDP_HLEN + 240 ||
	    get16(f + 12) != ETH_P_IP || ip[9] != 17 || get16(udp + 2) != 68 ||
	    bp[0] != 2 || get32(bp + 4) != w->xid)
		return false;
	for (o = bp + 240; o + 2 < f + len && *o != 255; o += 2 + o[1])
		if (o[0] == 53)
			w->type = o[2];
	return true;
}

static void test_slirp_dhcp(void)
{
	struct net_backend *be = slirp_open("user");
	uint8_t *buf = malloc(NET_FRAME_MAX), f[1024];
	struct dhcp_want w = { .xid = 0x61726d7a };
	const uint8_t *bp = buf + ETH_HLEN + IP_HLEN + UDP_HLEN;

	CU_ASSERT_EQUAL(be_send(be, f, build_dhcp_discover(f, w.xid)), 0);
	CU_ASSERT_TRUE_FATAL(be_wait(be, buf, is_dhcp_reply, &w) > 0);
	CU_ASSERT_EQUAL(w.type, 2);			/* OFFER */
	CU_ASSERT_EQUAL(get32(bp + 16), NET_USER_GUEST_ADDR);	/* yiaddr */
	CU_ASSERT_EQUAL(memcmp(bp + 28, guest_mac, 6), 0);
	CU_ASSERT_EQUAL(get32(buf + ETH_HLEN + 12), NET_USER_HOST_ADDR);
	be->ops->free(be);
	free(buf);
}

struct syn_want {
	uint16_t port;
};

static bool is_syn(const uint8_t *f, size_t len, void *arg)
{
	struct syn_want *w = arg;
	const uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN;

	return len >= ETH_HLEN + IP_HLEN + 20 && get16(f + 12) == ETH_P_IP &&
	       ip[9] == 6 && get32(ip + 16) == NET_USER_GUEST_ADDR &&
	       get16(tcp + 2) == w->port && (tcp[13] & 0x12) == 0x02;
}

/* A connection to a forwarded host port becomes a SYN to the guest. */
static void test_slirp_hostfwd(void)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	uint8_t *buf = malloc(NET_FRAME_MAX), f[64];
	struct syn_want w = { .port = 2200 };
	struct net_backend *be = NULL;
	struct net_config cfg;
	uint32_t who = NET_USER_HOST_ADDR;
	unsigned int port = 0, i;
	char arg[64];
	int s;

	/* A free port somewhere: another run may hold the first we try. */
	for (i = 0; i < 20 && !be; i++) {
		port = 20000 + (unsigned int)(getpid() * 7 + i * 131) % 40000;
		snprintf(arg, sizeof(arg), "user,hostfwd=tcp::%u-:%u", port,
			 w.port);
		CU_ASSERT_EQUAL_FATAL(net_parse(arg, &cfg), 0);
		if (net_backend_new(&cfg, -1, -1, &be))
			CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "cannot forward"));
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	/* Our ARP request tells slirp where the guest is. */
	CU_ASSERT_EQUAL(be_send(be, f, build_arp(f, who)), 0);
	CU_ASSERT_TRUE(be_wait(be, buf, is_arp_reply, &who) > 0);

	s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(s >= 0);
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_TRUE(connect(s, (struct sockaddr *)&sa, sizeof(sa)) == 0 ||
		       errno == EINPROGRESS);
	CU_ASSERT_TRUE(be_wait(be, buf, is_syn, &w) > 0);
	CU_ASSERT_EQUAL(memcmp(buf, guest_mac, 6), 0);
	close(s);
	be->ops->free(be);
	free(buf);
}

/* --- Policy: restrict=on and loopback=off, with real TCP segments --- */

#define TCP_HLEN	20
#define TH_FIN		0x01
#define TH_SYN		0x02
#define TH_RST		0x04
#define TH_PSH		0x08
#define TH_ACK		0x10
#define GUEST_ISS	0x10000000

static uint32_t sum16(uint32_t sum, const uint8_t *p, size_t len)
{
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		sum += get16(p + i);
	if (i < len)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* One TCP segment of the guest's (10.0.2.15), addresses in host order. */
struct tcp_seg {
	uint32_t dst;
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t flags;
	const char *data;	/* NULL: none */
};

/* The segment to gw (the MAC slirp answered ARP with), checksums done. */
static size_t build_tcp(uint8_t *f, const uint8_t *gw, const struct tcp_seg *t)
{
	uint8_t *ip = f + ETH_HLEN, *tcp = ip + IP_HLEN, pseudo[12];
	size_t dlen = t->data ? strlen(t->data) : 0;
	size_t tcp_len = TCP_HLEN + dlen;

	memset(f, 0, ETH_HLEN + IP_HLEN + tcp_len);
	eth_hdr(f, gw, ETH_P_IP);
	ip[0] = 0x45;
	put16(ip + 2, (uint16_t)(IP_HLEN + tcp_len));
	ip[8] = 64;
	ip[9] = 6;
	put32(ip + 12, NET_USER_GUEST_ADDR);
	put32(ip + 16, t->dst);
	put16(ip + 10, ip_csum(ip, IP_HLEN));
	put16(tcp, t->sport);
	put16(tcp + 2, t->dport);
	put32(tcp + 4, t->seq);
	put32(tcp + 8, t->ack);
	tcp[12] = (TCP_HLEN / 4) << 4;
	tcp[13] = t->flags;
	put16(tcp + 14, 0xffff);		/* window */
	memcpy(tcp + TCP_HLEN, t->data ? t->data : "", dlen);
	memcpy(pseudo, ip + 12, 8);
	pseudo[8] = 0;
	pseudo[9] = 6;
	put16(pseudo + 10, (uint16_t)tcp_len);
	put16(tcp + 16, fold(sum16(sum16(0, pseudo, 12), tcp, tcp_len)));
	return ETH_HLEN + IP_HLEN + tcp_len;
}

/*
 * slirp's answer to the guest's port: a TCP segment (flags, seq, ack,
 * payload), or an ICMP error that quotes a segment from that port.
 */
struct tcp_reply {
	uint16_t port;		/* the guest's */
	bool icmp;
	uint8_t flags;
	uint32_t src, seq, ack;
	uint16_t sport;
	char data[64];
};

static bool is_tcp_reply(const uint8_t *f, size_t len, void *arg)
{
	struct tcp_reply *w = arg;
	const uint8_t *ip = f + ETH_HLEN, *l4 = ip + IP_HLEN;
	size_t ip_len, hl, dlen;

	if (len < ETH_HLEN + IP_HLEN + 8 || get16(f + 12) != ETH_P_IP ||
	    get32(ip + 16) != NET_USER_GUEST_ADDR)
		return false;
	ip_len = get16(ip + 2);
	if (ip[9] == 1 && l4[0] == 3 &&		/* ICMP unreachable */
	    len >= ETH_HLEN + 2 * IP_HLEN + 8 + 4 && l4[8 + 9] == 6 &&
	    get16(l4 + 8 + IP_HLEN) == w->port) {
		w->icmp = true;
		return true;
	}
	if (ip[9] != 6 || get16(l4 + 2) != w->port ||
	    len < ETH_HLEN + IP_HLEN + TCP_HLEN)
		return false;
	hl = (size_t)(l4[12] >> 4) * 4;
	dlen = ip_len - IP_HLEN - hl;
	w->icmp = false;
	w->src = get32(ip + 12);
	w->sport = get16(l4);
	w->seq = get32(l4 + 4);
	w->ack = get32(l4 + 8);
	w->flags = l4[13];
	memset(w->data, 0, sizeof(w->data));
	memcpy(w->data, l4 + hl, dlen < sizeof(w->data) ? dlen : 0);
	return true;
}

/* ARP for 10.0.2.2, so slirp knows the guest; its MAC into gw. */
static void guest_arp(struct net_backend *be, uint8_t *buf, uint8_t *gw)
{
	uint32_t who = NET_USER_HOST_ADDR;
	uint8_t f[64];

	CU_ASSERT_EQUAL(be_send(be, f, build_arp(f, who)), 0);
	CU_ASSERT_TRUE_FATAL(be_wait(be, buf, is_arp_reply, &who) > 0);
	memcpy(gw, buf + ETH_HLEN + 8, 6);
}

/* A SYN from guest port sport to dst:dport; slirp's first answer in *r. */
static bool guest_syn(struct net_backend *be, uint8_t *buf, const uint8_t *gw,
		      uint32_t dst, uint16_t dport, uint16_t sport,
		      struct tcp_reply *r)
{
	struct tcp_seg t = { .dst = dst, .sport = sport, .dport = dport,
			     .seq = GUEST_ISS, .flags = TH_SYN };
	uint8_t f[128];

	memset(r, 0, sizeof(*r));
	r->port = sport;
	CU_ASSERT_EQUAL(be_send(be, f, build_tcp(f, gw, &t)), 0);
	return be_wait(be, buf, is_tcp_reply, r) > 0;
}

static bool is_syn_ack(const struct tcp_reply *r)
{
	return !r->icmp && (r->flags & (TH_SYN | TH_ACK | TH_RST)) ==
			   (TH_SYN | TH_ACK) && r->ack == GUEST_ISS + 1;
}

/* A TCP listener on the host's 127.0.0.1; its port in *port. */
static int host_listener(uint16_t *port)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t sl = sizeof(sa);
	int s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(s >= 0);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_FATAL(bind(s, (struct sockaddr *)&sa, sizeof(sa)) == 0);
	CU_ASSERT_FATAL(listen(s, 8) == 0);
	CU_ASSERT_FATAL(getsockname(s, (struct sockaddr *)&sa, &sl) == 0);
	*port = ntohs(sa.sin_port);
	return s;
}

/* Whether the listener has a connection waiting; takes and closes it. */
static bool host_accepted(int lst)
{
	int c = accept4(lst, NULL, NULL, SOCK_CLOEXEC);

	if (c < 0) {
		CU_ASSERT_TRUE(errno == EAGAIN || errno == EWOULDBLOCK);
		return false;
	}
	close(c);
	return true;
}

/*
 * loopback=off: the guest's 10.0.2.2:PORT of a listening host loopback
 * socket gets no connection, nor does 127.0.0.1 addressed directly; by
 * default 10.0.2.2 connects. slirp connects before it answers the SYN, so
 * after its answer the listener's queue tells the whole story.
 */
static void test_slirp_loopback(void)
{
	uint8_t *buf = malloc(NET_FRAME_MAX), gw[6], f[128];
	struct tcp_seg t = { .dst = 0x7f000001, .sport = 40003,
			     .seq = GUEST_ISS, .flags = TH_SYN };
	struct net_backend *be;
	struct tcp_reply r;
	uint16_t port;
	int lst = host_listener(&port);

	be = slirp_open("user");
	guest_arp(be, buf, gw);
	CU_ASSERT_TRUE_FATAL(guest_syn(be, buf, gw, NET_USER_HOST_ADDR, port,
				       40001, &r));
	CU_ASSERT_TRUE(is_syn_ack(&r));
	CU_ASSERT_EQUAL(r.src, NET_USER_HOST_ADDR);
	CU_ASSERT_TRUE(host_accepted(lst));
	be->ops->free(be);

	be = slirp_open("user,loopback=off");
	guest_arp(be, buf, gw);
	CU_ASSERT_TRUE_FATAL(guest_syn(be, buf, gw, NET_USER_HOST_ADDR, port,
				       40002, &r));
	CU_ASSERT_FALSE(is_syn_ack(&r));
	CU_ASSERT_TRUE(r.icmp || (r.flags & TH_RST));
	CU_ASSERT_FALSE(host_accepted(lst));
	/* The host's loopback addressed directly: refused at the door. */
	t.dport = port;
	CU_ASSERT_EQUAL(be_send(be, f, build_tcp(f, gw, &t)), -EPERM);
	t.dst = 0x00000000;
	CU_ASSERT_EQUAL(be_send(be, f, build_tcp(f, gw, &t)), -EPERM);
	/* ... and what is not loopback still goes (slirp answers ARP). */
	CU_ASSERT_EQUAL(be_send(be, f, build_arp(f, NET_USER_DNS_ADDR)), 0);
	be->ops->free(be);
	CU_ASSERT_FALSE(host_accepted(lst));
	close(lst);
	free(buf);
}

/* A DHCP OFFER's option code (0 if absent). */
static bool dhcp_has_option(const uint8_t *f, size_t len, uint8_t code)
{
	const uint8_t *o = f + ETH_HLEN + IP_HLEN + UDP_HLEN + 240;

	for (; o + 2 < f + len && *o != 255; o += 2 + o[1])
		if (*o == code)
			return true;
	return false;
}

/*
 * restrict=on: a SYN to an outside address (127.0.0.1, which an
 * unrestricted guest reaches, as the control shows) or to 10.0.2.2 is
 * reset with no connection made; a hostfwd still carries data both ways;
 * DHCP still answers, with no router and no DNS server.
 */
static void test_slirp_restrict(void)
{
	uint8_t *buf = malloc(NET_FRAME_MAX), gw[6], f[1024];
	struct sockaddr_in sa = { .sin_family = AF_INET };
	struct dhcp_want dw = { .xid = 0x72737472 };
	struct net_backend *be = NULL;
	struct net_config cfg;
	struct tcp_reply r;
	struct tcp_seg t;
	uint16_t port, fport = 0;
	unsigned int i;
	char arg[96], got[8] = { 0 };
	ssize_t n;
	int lst = host_listener(&port), c;

	/* The control: unrestricted, 127.0.0.1 itself is a way out. */
	be = slirp_open("user");
	guest_arp(be, buf, gw);
	CU_ASSERT_TRUE_FATAL(guest_syn(be, buf, gw, 0x7f000001, port, 41001,
				       &r));
	CU_ASSERT_TRUE(is_syn_ack(&r));
	CU_ASSERT_TRUE(host_accepted(lst));
	be->ops->free(be);
	be = NULL;

	for (i = 0; i < 20 && !be; i++) {
		fport = (uint16_t)(20000 + (getpid() * 11 + i * 137) % 40000);
		snprintf(arg, sizeof(arg),
			 "user,restrict=on,hostfwd=tcp::%u-:22", fport);
		CU_ASSERT_EQUAL_FATAL(net_parse(arg, &cfg), 0);
		CU_ASSERT_TRUE(cfg.restricted);
		if (net_backend_new(&cfg, -1, -1, &be))
			CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "cannot forward"));
	}
	CU_ASSERT_PTR_NOT_NULL_FATAL(be);
	guest_arp(be, buf, gw);
	CU_ASSERT_TRUE_FATAL(guest_syn(be, buf, gw, 0x7f000001, port, 41002,
				       &r));
	CU_ASSERT_FALSE(is_syn_ack(&r));
	CU_ASSERT_TRUE(!r.icmp && (r.flags & TH_RST));
	CU_ASSERT_TRUE_FATAL(guest_syn(be, buf, gw, NET_USER_HOST_ADDR, port,
				       41003, &r));
	CU_ASSERT_TRUE(!r.icmp && (r.flags & TH_RST));
	CU_ASSERT_FALSE(host_accepted(lst));

	/* The forward: host connects, the guest's port 22 answers. */
	c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CU_ASSERT_FATAL(c >= 0);
	sa.sin_port = htons(fport);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	CU_ASSERT_EQUAL_FATAL(connect(c, (struct sockaddr *)&sa, sizeof(sa)),
			      0);
	memset(&r, 0, sizeof(r));
	r.port = 22;
	CU_ASSERT_TRUE_FATAL(be_wait(be, buf, is_tcp_reply, &r) > 0);
	CU_ASSERT_EQUAL(r.flags & (TH_SYN | TH_ACK), TH_SYN);
	t = (struct tcp_seg){ .dst = r.src, .sport = 22, .dport = r.sport,
			      .seq = GUEST_ISS, .ack = r.seq + 1,
			      .flags = TH_SYN | TH_ACK };
	CU_ASSERT_EQUAL(be_send(be, f, build_tcp(f, gw, &t)), 0);
	/* Host to guest: "ping" arrives in a segment to port 22. */
	CU_ASSERT_EQUAL(send(c, "ping", 4, 0), 4);
	do {
		CU_ASSERT_TRUE_FATAL(be_wait(be, buf, is_tcp_reply, &r) > 0);
	} while (!r.data[0]);
	CU_ASSERT_STRING_EQUAL(r.data, "ping");
	/* Guest to host: "pong" comes out of the host's socket. */
	t.seq = GUEST_ISS + 1;
	t.ack = r.seq + 4;
	t.flags = TH_ACK | TH_PSH;
	t.data = "pong";
	CU_ASSERT_EQUAL(be_send(be, f, build_tcp(f, gw, &t)), 0);
	n = recv(c, got, 4, MSG_WAITALL);
	CU_ASSERT_EQUAL(n, 4);
	CU_ASSERT_STRING_EQUAL(got, "pong");
	close(c);

	/* DHCP still answers, but names no way out. */
	n = (ssize_t)build_dhcp_discover(f, dw.xid);
	CU_ASSERT_EQUAL(be_send(be, f, (size_t)n), 0);
	n = be_wait(be, buf, is_dhcp_reply, &dw);
	CU_ASSERT_TRUE_FATAL(n > 0);
	CU_ASSERT_EQUAL(dw.type, 2);			/* OFFER */
	CU_ASSERT_FALSE(dhcp_has_option(buf, (size_t)n, 3));	/* router */
	CU_ASSERT_FALSE(dhcp_has_option(buf, (size_t)n, 6));	/* DNS */
	be->ops->free(be);
	close(lst);
	free(buf);
}

/* The whole way: a chain on the transmit queue, the answer on receive. */
static void test_slirp_device(void)
{
	struct guest_mem mem;
	struct test_ring rx, tx;
	struct tr_irq irq;
	struct net_backend *be;
	struct virtio_device *dev;
	struct virtio_mmio *vm;
	struct net_config cfg;
	uint8_t *b;
	uint32_t who = NET_USER_HOST_ADDR;
	size_t len;
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(net_parse("user,mac=52:54:00:12:34:56", &cfg),
			      0);
	CU_ASSERT_EQUAL_FATAL(net_backend_new(&cfg, -1, -1, &be), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_net_new(be, cfg.mac, &dev), 0);
	tr_mem_init(&mem);
	tr_init(&rx, &mem, 16, TR_RING0);
	tr_init(&tx, &mem, 16, TR_RING1);
	tr_irq_init(&irq);
	vm = tr_transport(dev, &mem, &irq.line, MEMMAP_VIRTIO_BASE,
			     MEMMAP_SPI_VIRTIO_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	CU_ASSERT_TRUE(tr_negotiate(vm, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				    VIRTIO_BIT(VIRTIO_NET_F_MRG_RXBUF)) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(vm, VIRTIO_NET_Q_RX, &rx);
	tr_setup_queue(vm, VIRTIO_NET_Q_TX, &tx);
	tr_driver_ok(vm);
	for (i = 0; i < 4; i++) {
		tr_desc(&rx, i, TR_BUF + i * 0x1000, 2048, VIRTQ_DESC_F_WRITE,
			0);
		tr_avail(&rx, (uint16_t)i);
	}
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_RX);

	b = tr_host(&tx, TR_BUF + 0x10000);
	memset(b, 0, NET_HDR_LEN);
	len = build_arp(b + NET_HDR_LEN, who);
	tr_desc(&tx, 0, TR_BUF + 0x10000, NET_HDR_LEN + (uint32_t)len, 0, 0);
	tr_avail(&tx, 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, VIRTIO_NET_Q_TX);
	CU_ASSERT_TRUE(tr_wait_used(&tx, 1));
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&rx, 1));
	b = tr_host(&rx, TR_BUF);
	CU_ASSERT_EQUAL(le16_read(b + 10), 1);		/* num_buffers */
	CU_ASSERT_TRUE(tr_used_len(&rx, 0) >= NET_HDR_LEN + 42);
	CU_ASSERT_TRUE(is_arp_reply(b + NET_HDR_LEN, tr_used_len(&rx, 0) -
				    NET_HDR_LEN, &who));
	check_arp_reply(b + NET_HDR_LEN, who);
	virtio_mmio_free(vm);
	tr_mem_free(&mem);
}

static const CU_TestInfo net_slirp_tests[] = {
	{ "ARP for the host and DNS", test_slirp_arp },
	{ "DHCP DISCOVER gets an OFFER", test_slirp_dhcp },
	{ "hostfwd turns a connect into a SYN", test_slirp_hostfwd },
	{ "loopback=off: no way to the host's 127.0.0.1", test_slirp_loopback },
	{ "restrict=on: no way out, forwards and DHCP work", test_slirp_restrict },
	{ "through the virtqueues", test_slirp_device },
	CU_TEST_INFO_NULL,
};

#else /* !ARMZ_HAVE_SLIRP */

static void test_slirp_absent(void)
{
	struct net_config cfg = { .type = NET_USER };
	struct net_backend *be = (struct net_backend *)&cfg;
	struct virtio_device *dev = NULL;

	CU_ASSERT_EQUAL(net_backend_new(&cfg, -1, -1, &be), -ENOTSUP);
	CU_ASSERT_PTR_NULL(be);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "use --net tap"));
	/* What the machine does next makes no device either. */
	CU_ASSERT_TRUE(virtio_net_new(be, cfg.mac, &dev) < 0);
	CU_ASSERT_PTR_NULL(dev);
}

static const CU_TestInfo net_slirp_tests[] = {
	{ "built without libslirp", test_slirp_absent },
	CU_TEST_INFO_NULL,
};

#endif

UNIT_SUITE(net_slirp, net_slirp_tests)
