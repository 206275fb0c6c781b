// SPDX-License-Identifier: GPL-2.0
/*
 * vhost-user, the frontend side (include/armz/vhost-user.h). The layouts
 * below are the protocol's: a 12-byte header (request, flags, size) and a
 * payload of size bytes, all in the host's byte order. They are built and
 * read byte by byte with memcpy, so no struct packing is involved.
 */
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/util.h>
#include <armz/vhost-user.h>

#define HDR_SIZE	12
/* The largest payload: the memory table, 8 + 32 bytes a region. */
#define PAYLOAD_MAX	(8 + 32 * VHOST_USER_MAX_REGIONS)

/* What armz asks of the backend's protocol features. */
#define WANT_PROTOCOL	(VIRTIO_BIT64(VHOST_USER_PROTOCOL_F_MQ) | \
			 VIRTIO_BIT64(VHOST_USER_PROTOCOL_F_REPLY_ACK))
#define VIRTIO_BIT64(n)	(1ULL << (n))

struct vhost_user {
	int sock;
	int epfd;			/* the socket, one event at a time */
	char name[96];
	pthread_mutex_t lock;		/* one exchange at a time */
	uint64_t features;		/* the backend's, bit 30 included */
	uint64_t protocol;		/* agreed protocol features */
	unsigned int queue_num;
	bool dead;
	vhost_user_dead_fn dead_fn;
	void *dead_ctx;
	/* The rings the last start gave the backend, for stop. */
	unsigned int started[VHOST_USER_MAX_RINGS];
	unsigned int nstarted;
};

struct msg {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[PAYLOAD_MAX];
};

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

static void put64(uint8_t *p, uint64_t v)
{
	memcpy(p, &v, 8);
}

static uint32_t get32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static uint64_t get64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

/* Marks the backend dead and says why, once; returns -EPIPE. */
static int vu_die(struct vhost_user *vu, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static int vu_die(struct vhost_user *vu, const char *fmt, ...)
{
	char why[256];
	va_list ap;
	bool first;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	first = !__atomic_exchange_n(&vu->dead, true, __ATOMIC_SEQ_CST);
	err_set(EPIPE, "%s: vhost-user backend %s", vu->name, why);
	if (first && vu->dead_fn)
		vu->dead_fn(vu->dead_ctx, err_msg());
	/* err_set() again: the callback may have used err_msg(). */
	return err_set(EPIPE, "%s: vhost-user backend %s", vu->name, why);
}

static int vu_send(struct vhost_user *vu, const struct msg *m,
		   const int *fds, unsigned int nfds)
{
	uint8_t buf[HDR_SIZE + PAYLOAD_MAX];
	union {
		char buf[CMSG_SPACE(sizeof(int) * VHOST_USER_MAX_REGIONS)];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = HDR_SIZE + m->size };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };
	ssize_t n;

	put32(buf, m->request);
	put32(buf + 4, m->flags);
	put32(buf + 8, m->size);
	memcpy(buf + HDR_SIZE, m->payload, m->size);
	if (nfds) {
		struct cmsghdr *c;

		memset(&ctl, 0, sizeof(ctl));
		mh.msg_control = ctl.buf;
		mh.msg_controllen = CMSG_SPACE(sizeof(int) * nfds);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int) * nfds);
		memcpy(CMSG_DATA(c), fds, sizeof(int) * nfds);
	}
	do
		n = sendmsg(vu->sock, &mh, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
		return vu_die(vu, "took no message for %d s",
			      VHOST_USER_TIMEOUT_S);
	if (n < 0)
		return vu_die(vu, "is gone (%s)", strerror(errno));
	if ((size_t)n != iov.iov_len)
		return vu_die(vu, "took a message short");
	return 0;
}

static int vu_recv_all(struct vhost_user *vu, void *buf, size_t len)
{
	uint8_t *p = buf;

	while (len) {
		ssize_t n = recv(vu->sock, p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return vu_die(vu, "did not answer in %d s",
				      VHOST_USER_TIMEOUT_S);
		if (n < 0)
			return vu_die(vu, "is gone (%s)", strerror(errno));
		if (n == 0)
			return vu_die(vu, "closed the connection");
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The reply to request, of exactly size bytes of payload. */
static int vu_recv_reply(struct vhost_user *vu, uint32_t request,
			 uint32_t size, struct msg *r)
{
	uint8_t hdr[HDR_SIZE];
	int ret = vu_recv_all(vu, hdr, sizeof(hdr));

	if (ret)
		return ret;
	r->request = get32(hdr);
	r->flags = get32(hdr + 4);
	r->size = get32(hdr + 8);
	if (r->request != request || !(r->flags & VHOST_USER_REPLY) ||
	    (r->flags & VHOST_USER_VERSION_MASK) != VHOST_USER_VERSION ||
	    r->size != size)
		return vu_die(vu, "answered request %u with request %u, flags 0x%x, %u bytes",
			      request, r->request, r->flags, r->size);
	return vu_recv_all(vu, r->payload, size);
}

/*
 * One request: sent, then its reply read when it has one (reply_size >
 * 0), or its ack when REPLY_ACK was agreed. With the lock held.
 */
static int vu_call(struct vhost_user *vu, uint32_t request, const void *body,
		   uint32_t size, const int *fds, unsigned int nfds,
		   struct msg *reply, uint32_t reply_size)
{
	struct msg m = {
		.request = request, .flags = VHOST_USER_VERSION, .size = size,
	};
	bool ack = !reply_size &&
		   (vu->protocol & VIRTIO_BIT64(VHOST_USER_PROTOCOL_F_REPLY_ACK));
	struct msg r;
	int ret;

	if (__atomic_load_n(&vu->dead, __ATOMIC_SEQ_CST))
		return err_set(EPIPE, "%s: the vhost-user backend is gone",
			       vu->name);
	if (ack)
		m.flags |= VHOST_USER_NEED_REPLY;
	if (size)
		memcpy(m.payload, body, size);
	ret = vu_send(vu, &m, fds, nfds);
	if (ret || (!reply_size && !ack))
		return ret;
	ret = vu_recv_reply(vu, request, reply_size ?: 8, reply ?: &r);
	if (ret || reply_size)
		return ret;
	if (get64(r.payload))
		return err_set(EIO, "%s: the vhost-user backend refused request %u (status %llu)",
			       vu->name, request,
			       (unsigned long long)get64(r.payload));
	return 0;
}

static int vu_get_u64(struct vhost_user *vu, uint32_t request, uint64_t *v)
{
	struct msg r;
	int ret = vu_call(vu, request, NULL, 0, NULL, 0, &r, 8);

	if (!ret)
		*v = get64(r.payload);
	return ret;
}

static int vu_set_u64(struct vhost_user *vu, uint32_t request, uint64_t v)
{
	uint8_t b[8];

	put64(b, v);
	return vu_call(vu, request, b, 8, NULL, 0, NULL, 0);
}

static int vu_set_state(struct vhost_user *vu, uint32_t request,
			unsigned int index, unsigned int num)
{
	uint8_t b[8];

	put32(b, index);
	put32(b + 4, num);
	return vu_call(vu, request, b, 8, NULL, 0, NULL, 0);
}

static int vu_set_fd(struct vhost_user *vu, uint32_t request,
		     unsigned int index, int fd)
{
	uint64_t v = index & VHOST_USER_VRING_IDX_MASK;
	uint8_t b[8];

	if (fd < 0)
		v |= VHOST_USER_VRING_NOFD;
	put64(b, v);
	return vu_call(vu, request, b, 8, &fd, fd >= 0, NULL, 0);
}

/* SET_OWNER, then what the backend offers; the lock is not needed yet. */
static int vu_greet(struct vhost_user *vu)
{
	uint64_t proto = 0, n = 0;
	int r;

	r = vu_call(vu, VHOST_USER_SET_OWNER, NULL, 0, NULL, 0, NULL, 0) ?:
	    vu_get_u64(vu, VHOST_USER_GET_FEATURES, &vu->features);
	if (r || !(vu->features & VIRTIO_BIT64(VHOST_USER_F_PROTOCOL_FEATURES)))
		return r;
	r = vu_get_u64(vu, VHOST_USER_GET_PROTOCOL_FEATURES, &proto);
	if (r)
		return r;
	proto &= WANT_PROTOCOL;
	r = vu_set_u64(vu, VHOST_USER_SET_PROTOCOL_FEATURES, proto);
	if (r)
		return r;
	/* From here on requests may ask for acks. */
	vu->protocol = proto;
	if (proto & VIRTIO_BIT64(VHOST_USER_PROTOCOL_F_MQ)) {
		r = vu_get_u64(vu, VHOST_USER_GET_QUEUE_NUM, &n);
		vu->queue_num = n > VHOST_USER_MAX_RINGS ? VHOST_USER_MAX_RINGS
							 : (unsigned int)n;
	}
	return r;
}

static int vu_watch_setup(struct vhost_user *vu)
{
	struct timeval tv = { .tv_sec = VHOST_USER_TIMEOUT_S };
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT };

	if (setsockopt(vu->sock, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)) ||
	    setsockopt(vu->sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)))
		return err_set(errno, "%s: vhost-user socket: %s", vu->name,
			       strerror(errno));
	vu->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (vu->epfd < 0 || epoll_ctl(vu->epfd, EPOLL_CTL_ADD, vu->sock, &ev))
		return err_set(errno, "%s: epoll: %s", vu->name,
			       strerror(errno));
	return 0;
}

int vhost_user_new(int sock, const char *name, struct vhost_user **out)
{
	struct vhost_user *vu = calloc(1, sizeof(*vu));
	int r;

	*out = NULL;
	if (!vu) {
		close(sock);
		return err_set(ENOMEM, "%s: out of memory", name);
	}
	vu->sock = sock;
	vu->epfd = -1;
	snprintf(vu->name, sizeof(vu->name), "%s", name);
	pthread_mutex_init(&vu->lock, NULL);
	r = vu_watch_setup(vu) ?: vu_greet(vu);
	if (r) {
		vhost_user_free(vu);
		return r;
	}
	*out = vu;
	return 0;
}

int vhost_user_connect(const char *path, const char *name,
		       struct vhost_user **out)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd;

	*out = NULL;
	if (strlen(path) >= sizeof(sa.sun_path))
		return err_set(ENAMETOOLONG, "%s: socket path '%s' is too long",
			       name, path);
	strcpy(sa.sun_path, path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return err_set(errno, "%s: socket: %s", name, strerror(errno));
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;

		close(fd);
		return err_set(e, "%s: cannot connect to the vhost-user backend at '%s': %s",
			       name, path, strerror(e));
	}
	return vhost_user_new(fd, name, out);
}

void vhost_user_free(struct vhost_user *vu)
{
	if (!vu)
		return;
	if (vu->epfd >= 0)
		close(vu->epfd);
	close(vu->sock);
	pthread_mutex_destroy(&vu->lock);
	free(vu);
}

void vhost_user_set_dead(struct vhost_user *vu, vhost_user_dead_fn fn,
			 void *ctx)
{
	pthread_mutex_lock(&vu->lock);
	vu->dead_fn = fn;
	vu->dead_ctx = ctx;
	pthread_mutex_unlock(&vu->lock);
}

uint64_t vhost_user_features(const struct vhost_user *vu)
{
	return vu->features & ~VIRTIO_BIT64(VHOST_USER_F_PROTOCOL_FEATURES);
}

unsigned int vhost_user_queue_num(const struct vhost_user *vu)
{
	return vu->queue_num;
}

bool vhost_user_dead(const struct vhost_user *vu)
{
	return __atomic_load_n(&vu->dead, __ATOMIC_SEQ_CST);
}

int vhost_user_watch_fd(const struct vhost_user *vu)
{
	return vu->epfd;
}

/*
 * The watch fired. A reply that arrived while a request waited for it
 * also fires it, but was read under the lock: so under the lock, anything
 * readable now is either the end of the connection or a message nobody
 * asked for, and both mean the backend is unfit.
 */
bool vhost_user_check(struct vhost_user *vu)
{
	struct epoll_event ev = { .events = EPOLLIN | EPOLLRDHUP | EPOLLONESHOT };
	struct epoll_event got;
	char c;
	ssize_t n;
	bool alive = true;

	pthread_mutex_lock(&vu->lock);
	while (epoll_wait(vu->epfd, &got, 1, 0) > 0)
		;
	if (!vhost_user_dead(vu)) {
		n = recv(vu->sock, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK &&
			       errno != EINTR))
			vu_die(vu, "closed the connection");
		else if (n > 0)
			vu_die(vu, "sent a message nobody asked for");
	}
	alive = !vhost_user_dead(vu);
	if (alive)
		epoll_ctl(vu->epfd, EPOLL_CTL_MOD, vu->sock, &ev);
	pthread_mutex_unlock(&vu->lock);
	return alive;
}

static int vu_mem_table(struct vhost_user *vu, const struct vhost_user_mem *mem)
{
	uint8_t b[8 + 32];

	put32(b, 1);
	put32(b + 4, 0);
	put64(b + 8, mem->gpa);
	put64(b + 16, mem->size);
	put64(b + 24, (uint64_t)(uintptr_t)mem->host);
	put64(b + 32, mem->offset);
	return vu_call(vu, VHOST_USER_SET_MEM_TABLE, b, sizeof(b), &mem->fd, 1,
		       NULL, 0);
}

static int vu_ring_addr(struct vhost_user *vu, const struct vhost_user_ring *r)
{
	uint8_t b[40];

	/* index, flags (no logging), then desc, used, avail, log. */
	put32(b, r->index);
	put32(b + 4, 0);
	put64(b + 8, (uint64_t)(uintptr_t)r->desc);
	put64(b + 16, (uint64_t)(uintptr_t)r->used);
	put64(b + 24, (uint64_t)(uintptr_t)r->avail);
	put64(b + 32, 0);
	return vu_call(vu, VHOST_USER_SET_VRING_ADDR, b, sizeof(b), NULL, 0,
		       NULL, 0);
}

static int vu_ring_start(struct vhost_user *vu, const struct vhost_user_ring *r)
{
	bool enable = vu->features &
		      VIRTIO_BIT64(VHOST_USER_F_PROTOCOL_FEATURES);
	int ret;

	ret = vu_set_state(vu, VHOST_USER_SET_VRING_NUM, r->index, r->num) ?:
	      vu_set_state(vu, VHOST_USER_SET_VRING_BASE, r->index,
			   r->next_avail) ?:
	      vu_ring_addr(vu, r) ?:
	      vu_set_fd(vu, VHOST_USER_SET_VRING_CALL, r->index, r->call_fd);
	if (ret)
		return ret;
	/* The kick starts the ring; it counts as ours to stop from here. */
	ret = vu_set_fd(vu, VHOST_USER_SET_VRING_KICK, r->index, r->kick_fd);
	if (ret)
		return ret;
	vu->started[vu->nstarted++] = r->index;
	/* With protocol features a ring starts disabled (vhost-user.rst). */
	return enable ? vu_set_state(vu, VHOST_USER_SET_VRING_ENABLE,
				     r->index, 1) : 0;
}

static void vu_stop_locked(struct vhost_user *vu)
{
	struct msg r;
	uint8_t b[8];

	for (unsigned int i = 0; i < vu->nstarted; i++) {
		if (vhost_user_dead(vu))
			break;
		put32(b, vu->started[i]);
		put32(b + 4, 0);
		vu_call(vu, VHOST_USER_GET_VRING_BASE, b, 8, NULL, 0, &r, 8);
	}
	vu->nstarted = 0;
}

int vhost_user_start(struct vhost_user *vu, uint64_t features,
		     const struct vhost_user_mem *mem,
		     const struct vhost_user_ring *rings, unsigned int n)
{
	int r;

	if (n > VHOST_USER_MAX_RINGS)
		return err_set(EINVAL, "%s: %u rings, at most %d", vu->name,
			       n, VHOST_USER_MAX_RINGS);
	features &= vhost_user_features(vu);
	features |= vu->features &
		    VIRTIO_BIT64(VHOST_USER_F_PROTOCOL_FEATURES);
	pthread_mutex_lock(&vu->lock);
	vu_stop_locked(vu);
	r = vu_set_u64(vu, VHOST_USER_SET_FEATURES, features) ?:
	    vu_mem_table(vu, mem);
	for (unsigned int i = 0; !r && i < n; i++)
		r = vu_ring_start(vu, &rings[i]);
	if (r)
		vu_stop_locked(vu);
	pthread_mutex_unlock(&vu->lock);
	return r;
}

void vhost_user_stop(struct vhost_user *vu)
{
	if (!vu)
		return;
	pthread_mutex_lock(&vu->lock);
	vu_stop_locked(vu);
	pthread_mutex_unlock(&vu->lock);
}
