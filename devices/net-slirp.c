// SPDX-License-Identifier: GPL-2.0
#include <errno.h>

#include <armz/err.h>
#include <armz/net-backend.h>
#include <armz/thread.h>

#include "net-backends.h"

#ifdef ARMZ_HAVE_SLIRP
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <slirp/libslirp.h>

/*
 * User-mode networking: libslirp is a TCP/IP stack that terminates the
 * guest's connections in ordinary host sockets, and answers ARP, DHCP
 * (10.0.2.15 for the guest) and DNS (10.0.2.3) itself; 10.0.2.2 is the
 * host's loopback. restrict=on and loopback=off narrow that down with
 * libslirp's own switches, and loopback=off with slirp_to_loopback()
 * too (struct net_config says what each allows).
 *
 * Threads: slirp is not thread-safe, and its descriptors and timeouts
 * change with every connection, so it gets a thread of its own that
 * makes every slirp call. The device's workers talk to it through two
 * locked frame queues: txq (guest to slirp, wake_fd tells the thread)
 * and rxq (slirp to guest, be.rx_fd tells the receive worker). Both are
 * bounded; what does not fit is dropped and TCP sends it again.
 */
#define SLIRP_QUEUE_MAX		256
#define SLIRP_TIMERS_PER_LOOP	64
#define SLIRP_GUEST_ERRORS	5	/* reported on stderr, then quiet */

struct slirp_frame {
	struct slirp_frame *next;
	size_t len;
	uint8_t data[];
};

struct slirp_fq {
	struct slirp_frame *head, **tail;
	unsigned int count;
};

struct slirp_timer {
	struct slirp_timer *next;
	SlirpTimerCb cb;
	void *cb_opaque;
	int64_t expire_ms;
	bool armed;
};

struct net_slirp {
	struct net_backend be;
	Slirp *slirp;
	pthread_t thread;
	bool started;
	int wake_fd;
	bool loopback_off;	/* loopback=off: see slirp_to_loopback() */

	pthread_mutex_t lock;	/* guards the queues and quit */
	struct slirp_fq rxq, txq;
	bool quit;

	/* The slirp thread's own (and the constructor's, before it runs). */
	struct pollfd *pfd;
	unsigned int npfd, pfd_cap;
	struct slirp_timer *timers;
	unsigned int guest_errors;
};

static void fq_init(struct slirp_fq *q)
{
	q->head = NULL;
	q->tail = &q->head;
	q->count = 0;
}

static void fq_push(struct slirp_fq *q, struct slirp_frame *f)
{
	f->next = NULL;
	*q->tail = f;
	q->tail = &f->next;
	q->count++;
}

static struct slirp_frame *fq_pop(struct slirp_fq *q)
{
	struct slirp_frame *f = q->head;

	if (f) {
		q->head = f->next;
		if (!q->head)
			q->tail = &q->head;
		q->count--;
	}
	return f;
}

static void fq_free(struct slirp_fq *q)
{
	struct slirp_frame *f;

	while ((f = fq_pop(q)))
		free(f);
}

static void slirp_signal(int fd)
{
	uint64_t one = 1;

	/* A full counter is still a wakeup. */
	if (write(fd, &one, sizeof(one)) < 0)
		return;
}

static void slirp_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) > 0)
		;
}

static int64_t slirp_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* --- Callbacks from slirp (on the slirp thread) --- */

static ssize_t slirp_cb_send(const void *buf, size_t len, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_frame *f;

	if (len > NET_FRAME_MAX)
		return (ssize_t)len;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return (ssize_t)len;
	f->len = len;
	memcpy(f->data, buf, len);
	pthread_mutex_lock(&s->lock);
	if (s->rxq.count < SLIRP_QUEUE_MAX) {
		fq_push(&s->rxq, f);
		f = NULL;
	}
	pthread_mutex_unlock(&s->lock);
	/* Dropped when the guest is this far behind: as on a wire. */
	free(f);
	slirp_signal(s->be.rx_fd);
	return (ssize_t)len;
}

static void slirp_cb_guest_error(const char *msg, void *opaque)
{
	struct net_slirp *s = opaque;

	if (s->guest_errors++ < SLIRP_GUEST_ERRORS)
		fprintf(stderr, "armz: user network: %s\n", msg);
}

static int64_t slirp_cb_clock(void *opaque)
{
	return slirp_now_ns();
}

static void *slirp_cb_timer_new(SlirpTimerCb cb, void *cb_opaque,
				void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer *t = calloc(1, sizeof(*t));

	if (!t)
		return NULL;
	t->cb = cb;
	t->cb_opaque = cb_opaque;
	t->next = s->timers;
	s->timers = t;
	return t;
}

static void slirp_cb_timer_free(void *timer, void *opaque)
{
	struct net_slirp *s = opaque;
	struct slirp_timer **p;

	for (p = &s->timers; *p; p = &(*p)->next) {
		if (*p == timer) {
			*p = (*p)->next;
			free(timer);
			return;
		}
	}
}

static void slirp_cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	struct slirp_timer *t = timer;

	if (!t)
		return;
	t->expire_ms = expire_ms;
	t->armed = true;
}

static void slirp_cb_poll_fd(int fd, void *opaque)
{
	/* Every loop asks slirp for its descriptors afresh. */
}

static void slirp_cb_notify(void *opaque)
{
	struct net_slirp *s = opaque;

	slirp_signal(s->wake_fd);
}

static const SlirpCb slirp_callbacks = {
	.send_packet = slirp_cb_send,
	.guest_error = slirp_cb_guest_error,
	.clock_get_ns = slirp_cb_clock,
	.timer_new = slirp_cb_timer_new,
	.timer_free = slirp_cb_timer_free,
	.timer_mod = slirp_cb_timer_mod,
	.register_poll_fd = slirp_cb_poll_fd,
	.unregister_poll_fd = slirp_cb_poll_fd,
	.notify = slirp_cb_notify,
};

/* --- The slirp thread --- */

static int slirp_add_poll(int fd, int events, void *opaque)
{
	struct net_slirp *s = opaque;
	short ev = 0;

	if (s->npfd == s->pfd_cap) {
		unsigned int cap = s->pfd_cap ? 2 * s->pfd_cap : 32;
		struct pollfd *p = realloc(s->pfd, cap * sizeof(*p));

		if (!p)
			return -1;
		s->pfd = p;
		s->pfd_cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	s->pfd[s->npfd] = (struct pollfd){ .fd = fd, .events = ev };
	return (int)s->npfd++;
}

static int slirp_get_revents(int idx, void *opaque)
{
	struct net_slirp *s = opaque;
	short rev;
	int r = 0;

	if (idx < 0 || (unsigned int)idx >= s->npfd)
		return 0;
	rev = s->pfd[idx].revents;
	if (rev & POLLIN)
		r |= SLIRP_POLL_IN;
	if (rev & POLLOUT)
		r |= SLIRP_POLL_OUT;
	if (rev & POLLPRI)
		r |= SLIRP_POLL_PRI;
	if (rev & (POLLERR | POLLNVAL))
		r |= SLIRP_POLL_ERR;
	if (rev & POLLHUP)
		r |= SLIRP_POLL_HUP;
	return r;
}

/* How long poll() may sleep: slirp's own timeout or the next timer. */
static int slirp_poll_timeout(struct net_slirp *s, uint32_t slirp_ms)
{
	int64_t now = slirp_now_ns() / 1000000;
	int64_t ms = slirp_ms == UINT32_MAX ? -1 : (int64_t)slirp_ms;
	struct slirp_timer *t;

	for (t = s->timers; t; t = t->next) {
		int64_t left;

		if (!t->armed)
			continue;
		left = t->expire_ms > now ? t->expire_ms - now : 0;
		if (ms < 0 || left < ms)
			ms = left;
	}
	return ms > 60000 ? 60000 : (int)ms;
}

static void slirp_run_timers(struct net_slirp *s)
{
	unsigned int n;

	/* A callback may add, free or re-arm timers: rescan after each. */
	for (n = 0; n < SLIRP_TIMERS_PER_LOOP; n++) {
		int64_t now = slirp_now_ns() / 1000000;
		struct slirp_timer *t;

		for (t = s->timers; t; t = t->next)
			if (t->armed && t->expire_ms <= now)
				break;
		if (!t)
			return;
		t->armed = false;
		t->cb(t->cb_opaque);
	}
}

/* Feeds the guest's frames to slirp; false once asked to quit. */
static bool slirp_tx_flush(struct net_slirp *s)
{
	struct slirp_fq q;
	struct slirp_frame *f;
	bool quit;

	slirp_drain(s->wake_fd);
	pthread_mutex_lock(&s->lock);
	q = s->txq;
	if (!q.head)
		q.tail = &q.head;
	fq_init(&s->txq);
	quit = s->quit;
	pthread_mutex_unlock(&s->lock);
	while ((f = fq_pop(&q))) {
		if (!quit)
			slirp_input(s->slirp, f->data, (int)f->len);
		free(f);
	}
	return !quit;
}

static void *slirp_thread(void *arg)
{
	struct net_slirp *s = arg;

	while (slirp_tx_flush(s)) {
		uint32_t timeout = UINT32_MAX;
		int r;

		s->npfd = 0;
		slirp_add_poll(s->wake_fd, SLIRP_POLL_IN, s);
		slirp_pollfds_fill(s->slirp, &timeout, slirp_add_poll, s);
		r = poll(s->pfd, s->npfd, slirp_poll_timeout(s, timeout));
		if (r < 0 && errno == EINTR)
			r = 0;
		slirp_pollfds_poll(s->slirp, r < 0, slirp_get_revents, s);
		slirp_run_timers(s);
	}
	return NULL;
}

/* --- Backend ops (device workers) --- */

static struct net_slirp *to_slirp(struct net_backend *be)
{
	return (struct net_slirp *)be;
}

/*
 * Whether a guest frame is IPv4 to the host's own addresses that bypass
 * 10.0.2.2: 127.0.0.0/8, and 0.0.0.0/8, which a host connect() also takes
 * to itself. libslirp's disable_host_loopback stops only 10.0.2.2 (and
 * broadcast); a guest that addresses 127.0.0.1 directly is connected as
 * to any outside address. IPv6 is off in this network.
 */
static bool slirp_to_loopback(const uint8_t *f, size_t len)
{
	const uint8_t *ip = f + 14;

	if (len < 14 + 20 || f[12] != 0x08 || f[13] != 0x00)
		return false;
	return ip[16] == 127 || ip[16] == 0;
}

static int slirp_be_send(struct net_backend *be, const struct net_hdr *hdr,
			 const struct iovec *iov, unsigned int iovcnt)
{
	struct net_slirp *s = to_slirp(be);
	struct slirp_frame *f;
	size_t len = 0, off = 0;
	unsigned int i;
	bool queued = false;

	/* No segmentation offload was offered: a GSO frame is a lie. */
	if (hdr->gso_type != NET_HDR_GSO_NONE)
		return -EINVAL;
	for (i = 0; i < iovcnt; i++)
		len += iov[i].iov_len;
	if (len > NET_FRAME_MAX)
		return -EMSGSIZE;
	f = malloc(sizeof(*f) + len);
	if (!f)
		return -ENOMEM;
	for (i = 0; i < iovcnt; i++) {
		memcpy(f->data + off, iov[i].iov_base, iov[i].iov_len);
		off += iov[i].iov_len;
	}
	f->len = len;
	/* slirp wants finished frames; a driver may still ask for help. */
	if ((hdr->flags & NET_HDR_F_NEEDS_CSUM) &&
	    net_hdr_fill_csum(hdr, f->data, len)) {
		free(f);
		return -EINVAL;
	}
	if (s->loopback_off && slirp_to_loopback(f->data, len)) {
		free(f);
		return -EPERM;
	}
	pthread_mutex_lock(&s->lock);
	if (s->txq.count < SLIRP_QUEUE_MAX) {
		fq_push(&s->txq, f);
		queued = true;
	}
	pthread_mutex_unlock(&s->lock);
	if (!queued) {
		free(f);
		return -ENOBUFS;
	}
	slirp_signal(s->wake_fd);
	return 0;
}

static struct slirp_frame *slirp_rx_pop(struct net_slirp *s)
{
	struct slirp_frame *f;

	pthread_mutex_lock(&s->lock);
	f = fq_pop(&s->rxq);
	pthread_mutex_unlock(&s->lock);
	return f;
}

static ssize_t slirp_be_recv(struct net_backend *be, struct net_hdr *hdr,
			     void *buf, size_t len)
{
	struct net_slirp *s = to_slirp(be);
	struct slirp_frame *f = slirp_rx_pop(s);
	ssize_t n;

	if (!f) {
		/*
		 * Clear the wakeup, then look again: a frame queued after
		 * the first look has its signal after our clear.
		 */
		slirp_drain(be->rx_fd);
		f = slirp_rx_pop(s);
		if (!f)
			return 0;
	}
	n = (ssize_t)(f->len < len ? f->len : len);
	memcpy(buf, f->data, (size_t)n);
	free(f);
	memset(hdr, 0, sizeof(*hdr));
	return n;
}

/* Frames for a driver that went away are of no use to the next one. */
static void slirp_be_stop(struct net_backend *be)
{
	struct net_slirp *s = to_slirp(be);

	pthread_mutex_lock(&s->lock);
	fq_free(&s->rxq);
	fq_init(&s->rxq);
	pthread_mutex_unlock(&s->lock);
}

static void slirp_be_free(struct net_backend *be)
{
	struct net_slirp *s = to_slirp(be);
	struct slirp_timer *t;

	if (s->started) {
		pthread_mutex_lock(&s->lock);
		s->quit = true;
		pthread_mutex_unlock(&s->lock);
		slirp_signal(s->wake_fd);
		pthread_join(s->thread, NULL);
	}
	if (s->slirp)
		slirp_cleanup(s->slirp);
	while ((t = s->timers)) {
		s->timers = t->next;
		free(t);
	}
	fq_free(&s->rxq);
	fq_free(&s->txq);
	if (s->wake_fd >= 0)
		close(s->wake_fd);
	if (be->rx_fd >= 0)
		close(be->rx_fd);
	pthread_mutex_destroy(&s->lock);
	free(s->pfd);
	free(s);
}

static const struct net_backend_ops slirp_ops = {
	.stop = slirp_be_stop,
	.send = slirp_be_send,
	.recv = slirp_be_recv,
	.free = slirp_be_free,
};

static struct in_addr slirp_addr(uint32_t host_order)
{
	return (struct in_addr){ .s_addr = htonl(host_order) };
}

static int slirp_open(struct net_slirp *s, const struct net_config *cfg)
{
	SlirpConfig sc = {
		.version = 1,
		.in_enabled = true,
		.vnetwork = slirp_addr(NET_USER_NETWORK),
		.vnetmask = slirp_addr(NET_USER_NETMASK),
		.vhost = slirp_addr(NET_USER_HOST_ADDR),
		.vdhcp_start = slirp_addr(NET_USER_GUEST_ADDR),
		.vnameserver = slirp_addr(NET_USER_DNS_ADDR),
		/* Both since SlirpConfig version 1 (libslirp 4.0). */
		.restricted = cfg->restricted,
		.disable_host_loopback = cfg->loopback_off,
	};
	unsigned int i;

	s->slirp = slirp_new(&sc, &slirp_callbacks, s);
	if (!s->slirp)
		return err_set(ENOMEM, "user network: libslirp failed to start");
	for (i = 0; i < cfg->nfwd; i++) {
		const struct net_hostfwd *f = &cfg->fwd[i];

		if (slirp_add_hostfwd(s->slirp, f->udp,
				      slirp_addr(f->host_addr), f->host_port,
				      slirp_addr(f->guest_addr),
				      f->guest_port) < 0)
			return err_set(EADDRINUSE, "user network: cannot forward host %s port %u: in use or not allowed",
				       f->udp ? "udp" : "tcp", f->host_port);
	}
	return 0;
}

int net_slirp_new(const struct net_config *cfg, struct net_backend **out)
{
	struct net_slirp *s = calloc(1, sizeof(*s));
	int r;

	*out = NULL;
	if (!s)
		return err_set(ENOMEM, "user network: out of memory");
	s->be = (struct net_backend){
		.ops = &slirp_ops, .name = "user", .call_fd = { -1, -1 },
	};
	s->loopback_off = cfg->loopback_off;
	pthread_mutex_init(&s->lock, NULL);
	fq_init(&s->rxq);
	fq_init(&s->txq);
	s->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	s->be.rx_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (s->wake_fd < 0 || s->be.rx_fd < 0)
		r = err_set(errno, "eventfd: %s", strerror(errno));
	else
		r = slirp_open(s, cfg);
	if (!r) {
		r = thread_spawn(&s->thread, THREAD_NET_USER, slirp_thread, s);
		s->started = !r;
	}
	if (r) {
		slirp_be_free(&s->be);
		return r;
	}
	*out = &s->be;
	return 0;
}

#else /* !ARMZ_HAVE_SLIRP */

int net_slirp_new(const struct net_config *cfg, struct net_backend **out)
{
	*out = NULL;
	return err_set(ENOTSUP, "armz was built without libslirp (user networking); use --net tap");
}

#endif
