// SPDX-License-Identifier: GPL-2.0
#include <arpa/inet.h>
#include <errno.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/net-backend.h>

#include "net-backends.h"

/* --- The factory --- */

int net_backend_new(const struct net_config *cfg, int tap_fd, int vhost_fd,
		    struct net_backend **out)
{
	*out = NULL;
	switch (cfg->type) {
	case NET_NONE:
		return 0;
	case NET_USER:
		return net_slirp_new(cfg, out);
	case NET_TAP:
		return net_tap_new(cfg, tap_fd, vhost_fd, out);
	}
	return err_set(EINVAL, "--net: unknown backend %d", (int)cfg->type);
}

void net_backend_free(struct net_backend *be)
{
	if (be)
		be->ops->free(be);
}

/* --- --net parsing --- */

static const char *const net_type_names[] = {
	[NET_NONE] = "none", [NET_USER] = "user", [NET_TAP] = "tap",
};

static void net_random_mac(uint8_t *mac)
{
	uint8_t r[3];

	if (getrandom(r, sizeof(r), GRND_NONBLOCK) != sizeof(r)) {
		uint32_t x = (uint32_t)time(NULL) ^ (uint32_t)getpid() << 8;

		r[0] = (uint8_t)(x >> 16);
		r[1] = (uint8_t)(x >> 8);
		r[2] = (uint8_t)x;
	}
	/* 52:54:00: locally administered, unicast, as QEMU's defaults. */
	mac[0] = 0x52;
	mac[1] = 0x54;
	mac[2] = 0x00;
	memcpy(mac + 3, r, sizeof(r));
}

static int net_hex(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

static int net_parse_mac(const char *s, uint8_t *mac)
{
	unsigned int i;

	if (strlen(s) != 3 * NET_MAC_LEN - 1)
		goto bad;
	for (i = 0; i < NET_MAC_LEN; i++) {
		int hi = net_hex(s[3 * i]), lo = net_hex(s[3 * i + 1]);

		if (hi < 0 || lo < 0 ||
		    (i < NET_MAC_LEN - 1 && s[3 * i + 2] != ':'))
			goto bad;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	if (mac[0] & 1)
		return err_set(EINVAL, "--net: MAC '%s' is a multicast address",
			       s);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return err_set(EINVAL, "--net: MAC '%s' is all zero", s);
	return 0;
bad:
	return err_set(EINVAL, "--net: bad MAC '%s' (want six hex bytes like 52:54:00:12:34:56)",
		       s);
}

static int net_parse_port(const char *s, uint16_t *port)
{
	unsigned long v = 0;
	const char *p;

	for (p = s; *p; p++) {
		if (*p < '0' || *p > '9' || v > 65535)
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (p == s || !v || v > 65535)
		return -1;
	*port = (uint16_t)v;
	return 0;
}

static int net_parse_addr(const char *s, uint32_t dflt, uint32_t *addr)
{
	struct in_addr a;

	if (!*s) {
		*addr = dflt;
		return 0;
	}
	if (inet_pton(AF_INET, s, &a) != 1)
		return -1;
	*addr = ntohl(a.s_addr);
	return 0;
}

/* Cuts s at the first sep: returns what follows, or NULL without one. */
static char *net_cut(char *s, char sep)
{
	char *p = strchr(s, sep);

	if (!p)
		return NULL;
	*p = '\0';
	return p + 1;
}

/* tcp|udp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT */
static int net_parse_hostfwd(const char *val, struct net_hostfwd *f)
{
	char buf[128], *proto = buf, *haddr, *hport, *gaddr, *gport;

	if (strlen(val) >= sizeof(buf))
		goto bad;
	strcpy(buf, val);
	haddr = net_cut(proto, ':');
	hport = haddr ? net_cut(haddr, ':') : NULL;
	gaddr = hport ? net_cut(hport, '-') : NULL;
	gport = gaddr ? net_cut(gaddr, ':') : NULL;
	if (!gport)
		goto bad;
	if (!strcmp(proto, "udp"))
		f->udp = true;
	else if (strcmp(proto, "tcp") && *proto)
		return err_set(EINVAL, "--net: hostfwd '%s': protocol '%s' is not tcp or udp",
			       val, proto);
	if (net_parse_addr(haddr, INADDR_LOOPBACK, &f->host_addr))
		return err_set(EINVAL, "--net: hostfwd '%s': bad host address '%s'",
			       val, haddr);
	if (net_parse_addr(gaddr, NET_USER_GUEST_ADDR,
			   &f->guest_addr))
		return err_set(EINVAL, "--net: hostfwd '%s': bad guest address '%s'",
			       val, gaddr);
	if (net_parse_port(hport, &f->host_port))
		return err_set(EINVAL, "--net: hostfwd '%s': host port '%s' is not 1-65535",
			       val, hport);
	if (net_parse_port(gport, &f->guest_port))
		return err_set(EINVAL, "--net: hostfwd '%s': guest port '%s' is not 1-65535",
			       val, gport);
	return 0;
bad:
	return err_set(EINVAL, "--net: bad hostfwd '%s' (want tcp::HOSTPORT-:GUESTPORT)",
		       val);
}

static int net_parse_ifname(const char *val, char *ifname)
{
	const char *p;

	if (!*val || strlen(val) >= IFNAMSIZ)
		goto bad;
	for (p = val; *p; p++)
		if (*p == '/' || *p == ':' || *p <= ' ' || *p > '~')
			goto bad;
	strcpy(ifname, val);
	return 0;
bad:
	return err_set(EINVAL, "--net: bad interface name '%s' (1 to %d characters, no '/', ':' or spaces)",
		       val, IFNAMSIZ - 1);
}

static int net_parse_on(const char *key, const char *val, bool *on)
{
	if (strcmp(val, "on") && strcmp(val, "off"))
		return err_set(EINVAL, "--net: %s=%s is not on or off", key,
			       val);
	*on = !strcmp(val, "on");
	return 0;
}

static int net_parse_opt(struct net_config *cfg, char *opt)
{
	const char *type = net_type_names[cfg->type];
	char *val = net_cut(opt, '=');

	if (!val)
		return err_set(EINVAL, "--net %s: '%s' is not KEY=VALUE", type,
			       opt);
	if (!strcmp(opt, "mac"))
		return net_parse_mac(val, cfg->mac);
	if (cfg->type == NET_USER && !strcmp(opt, "hostfwd")) {
		if (cfg->nfwd == NET_HOSTFWD_MAX)
			return err_set(EINVAL, "--net: more than %d hostfwd",
				       NET_HOSTFWD_MAX);
		return net_parse_hostfwd(val, &cfg->fwd[cfg->nfwd++]);
	}
	if (cfg->type == NET_TAP && !strcmp(opt, "ifname"))
		return net_parse_ifname(val, cfg->ifname);
	if (cfg->type == NET_TAP && !strcmp(opt, "vhost"))
		return net_parse_on(opt, val, &cfg->vhost);
	if (cfg->type == NET_USER && !strcmp(opt, "restrict"))
		return net_parse_on(opt, val, &cfg->restricted);
	if (cfg->type == NET_USER && !strcmp(opt, "loopback")) {
		bool on = true;
		int r = net_parse_on(opt, val, &on);

		cfg->loopback_off = !on;
		return r;
	}
	return err_set(EINVAL, "--net %s: unknown option '%s'", type, opt);
}

int net_parse(const char *arg, struct net_config *cfg)
{
	char buf[1024], *rest = buf, *opt;
	int r;

	memset(cfg, 0, sizeof(*cfg));
	net_random_mac(cfg->mac);
	if (strlen(arg) >= sizeof(buf))
		return err_set(EINVAL, "--net: option too long");
	strcpy(buf, arg);
	opt = strsep(&rest, ",");
	if (!strcmp(opt, "user"))
		cfg->type = NET_USER;
	else if (!strcmp(opt, "tap"))
		cfg->type = NET_TAP;
	else if (!strcmp(opt, "none"))
		cfg->type = NET_NONE;
	else
		return err_set(EINVAL, "--net: unknown type '%s' (user, tap or none)",
			       opt);
	if (cfg->type == NET_NONE && rest)
		return err_set(EINVAL, "--net none takes no options");
	while ((opt = strsep(&rest, ","))) {
		if (!*opt)
			return err_set(EINVAL, "--net: empty option in '%s'",
				       arg);
		r = net_parse_opt(cfg, opt);
		if (r)
			return r;
	}
#ifndef ARMZ_HAVE_SLIRP
	if (cfg->type == NET_USER)
		return err_set(EINVAL, "armz was built without libslirp (user networking); use --net tap");
#endif
	return 0;
}
