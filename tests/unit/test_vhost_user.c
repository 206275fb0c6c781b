// SPDX-License-Identifier: GPL-2.0
/*
 * The vhost-user frontend against a fake backend on the other end of a
 * socketpair, in a thread: what it sends, in which order, with which
 * descriptors; what it makes of the replies; and a backend that dies or
 * talks nonsense. Then the virtio-fs half's config and --fs parsing.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <armz/le.h>
#include <armz/util.h>
#include <armz/vhost-user.h>
#include <armz/virtio-fs.h>
#include <armz/virtio.h>

#include "unit.h"
#include "virtio-ring.h"

#define FAKE_FEATURES	((1ULL << 32) | (1ULL << 28) | (1ULL << 29) | \
			 (1ULL << VHOST_USER_F_PROTOCOL_FEATURES) | (1ULL << 5))
#define FAKE_PROTOCOL	((1ULL << VHOST_USER_PROTOCOL_F_MQ) | \
			 (1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK) | \
			 (1ULL << 40))

struct seen {
	uint32_t request;
	uint32_t flags;
	uint32_t size;
	uint8_t payload[300];
	int fds[8];
	unsigned int nfds;
};

struct fake {
	int sock;
	pthread_t tid;
	struct seen log[64];
	unsigned int n;
	/* Misbehaviour: 0 none, 1 die at GET_VRING_BASE, 2 bad reply. */
	int mode;
};

static uint64_t u64_at(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, 8);
	return v;
}

static uint32_t u32_at(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static bool fake_read(struct fake *f, struct seen *s)
{
	union {
		char buf[CMSG_SPACE(sizeof(int) * 8)];
		struct cmsghdr align;
	} ctl;
	uint8_t hdr[12];
	struct iovec iov = { hdr, sizeof(hdr) };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
	};
	struct cmsghdr *c;

	if (recvmsg(f->sock, &mh, MSG_WAITALL) != sizeof(hdr))
		return false;
	memset(s, 0, sizeof(*s));
	s->request = u32_at(hdr);
	s->flags = u32_at(hdr + 4);
	s->size = u32_at(hdr + 8);
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		s->nfds = (unsigned int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));
		memcpy(s->fds, CMSG_DATA(c), s->nfds * sizeof(int));
	}
	if (s->size > sizeof(s->payload))
		return false;
	return !s->size ||
	       recv(f->sock, s->payload, s->size, MSG_WAITALL) == s->size;
}

static void fake_reply(struct fake *f, const struct seen *s, uint64_t v,
		       uint32_t size)
{
	uint8_t b[12 + 8];
	uint32_t flags = VHOST_USER_VERSION | VHOST_USER_REPLY;

	if (f->mode == 2)
		flags = VHOST_USER_VERSION;	/* no reply bit */
	memcpy(b, &s->request, 4);
	memcpy(b + 4, &flags, 4);
	memcpy(b + 8, &size, 4);
	memcpy(b + 12, &v, 8);
	if (write(f->sock, b, 12 + size) < 0)
		return;
}

static void *fake_main(void *arg)
{
	struct fake *f = arg;
	struct seen s;

	while (fake_read(f, &s)) {
		if (f->n < ARRAY_SIZE(f->log))
			f->log[f->n++] = s;
		switch (s.request) {
		case VHOST_USER_GET_FEATURES:
			fake_reply(f, &s, FAKE_FEATURES, 8);
			continue;
		case VHOST_USER_GET_PROTOCOL_FEATURES:
			fake_reply(f, &s, FAKE_PROTOCOL, 8);
			continue;
		case VHOST_USER_GET_QUEUE_NUM:
			fake_reply(f, &s, 2, 8);
			continue;
		case VHOST_USER_GET_VRING_BASE:
			if (f->mode == 1) {
				close(f->sock);
				return NULL;
			}
			/* state: index, then the next avail index */
			fake_reply(f, &s, (uint64_t)u32_at(s.payload) |
					  (7ULL << 32), 8);
			continue;
		}
		if (s.flags & VHOST_USER_NEED_REPLY)
			fake_reply(f, &s, 0, 8);
	}
	close(f->sock);
	return NULL;
}

static int fake_start(struct fake *f, int mode)
{
	int sv[2];

	memset(f, 0, sizeof(*f));
	f->mode = mode;
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -1;
	f->sock = sv[1];
	pthread_create(&f->tid, NULL, fake_main, f);
	return sv[0];
}

static void fake_end(struct fake *f)
{
	pthread_join(f->tid, NULL);
	for (unsigned int i = 0; i < f->n; i++)
		for (unsigned int j = 0; j < f->log[i].nfds; j++)
			close(f->log[i].fds[j]);
}

static int dead_calls;
static char dead_why[256];

static void on_dead(void *ctx, const char *why)
{
	dead_calls++;
	snprintf(dead_why, sizeof(dead_why), "%s", why);
}

/*
 * A write through one descriptor shows on the other: the same file. The
 * value reads the same in either byte order, since qemu-user swaps the
 * counter of an eventfd it made but not of one that came in SCM_RIGHTS.
 */
static bool same_eventfd(int ours, int theirs)
{
	const uint64_t same = 0x0101010101010101ULL;
	uint64_t v = same;

	if (write(theirs, &v, 8) != 8 || read(ours, &v, 8) != 8)
		return false;
	return v == same;
}

static void test_vhost_user_session(void)
{
	struct fake f;
	struct vhost_user *vu;
	int sock = fake_start(&f, 0);
	int memfd = eventfd(0, EFD_CLOEXEC);	/* any fd will do */
	int kick[2], call[2];
	uint8_t ram[64];
	struct vhost_user_mem mem = {
		.gpa = 0x40000000, .size = 0x10000000, .host = ram,
		.fd = memfd, .offset = 0,
	};
	struct vhost_user_ring rings[2];
	static const uint32_t want[] = {
		VHOST_USER_SET_FEATURES, VHOST_USER_SET_MEM_TABLE,
		VHOST_USER_SET_VRING_NUM, VHOST_USER_SET_VRING_BASE,
		VHOST_USER_SET_VRING_ADDR, VHOST_USER_SET_VRING_CALL,
		VHOST_USER_SET_VRING_KICK, VHOST_USER_SET_VRING_ENABLE,
	};
	unsigned int i, at;

	CU_ASSERT_FATAL(sock >= 0);
	CU_ASSERT_EQUAL_FATAL(vhost_user_new(sock, "test", &vu), 0);
	CU_ASSERT_EQUAL(vhost_user_features(vu),
			FAKE_FEATURES & ~(1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
	CU_ASSERT_EQUAL(vhost_user_queue_num(vu), 2);
	/* The greeting: owner, features, protocol features agreed, queues. */
	CU_ASSERT_EQUAL(f.n, 5);
	CU_ASSERT_EQUAL(f.log[0].request, VHOST_USER_SET_OWNER);
	CU_ASSERT_EQUAL(f.log[1].request, VHOST_USER_GET_FEATURES);
	CU_ASSERT_EQUAL(f.log[2].request, VHOST_USER_GET_PROTOCOL_FEATURES);
	CU_ASSERT_EQUAL(f.log[3].request, VHOST_USER_SET_PROTOCOL_FEATURES);
	CU_ASSERT_EQUAL(u64_at(f.log[3].payload),
			(1ULL << VHOST_USER_PROTOCOL_F_MQ) |
			(1ULL << VHOST_USER_PROTOCOL_F_REPLY_ACK));
	CU_ASSERT_EQUAL(f.log[4].request, VHOST_USER_GET_QUEUE_NUM);
	for (i = 0; i < 5; i++)
		CU_ASSERT_EQUAL(f.log[i].flags & VHOST_USER_VERSION_MASK, 1);

	for (i = 0; i < 2; i++) {
		kick[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		call[i] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		rings[i] = (struct vhost_user_ring){
			.index = i, .num = 128, .next_avail = (uint16_t)(3 * i),
			.desc = ram, .avail = ram + 16, .used = ram + 32,
			.kick_fd = kick[i], .call_fd = call[i],
		};
	}
	at = f.n;
	/* Bit 5 of the driver's is the backend's; bit 6 is not. */
	CU_ASSERT_EQUAL(vhost_user_start(vu, (1ULL << 32) | (1ULL << 5) |
					 (1ULL << 6), &mem, rings, 2), 0);
	CU_ASSERT_EQUAL(f.n, at + 2 + 2 * 6);
	for (i = 0; i < 8; i++)
		CU_ASSERT_EQUAL(f.log[at + i].request, want[i]);
	for (i = 0; i < 6; i++)
		CU_ASSERT_EQUAL(f.log[at + 8 + i].request, want[2 + i]);
	/* Every set asked for an ack, as REPLY_ACK was agreed. */
	for (i = at; i < f.n; i++)
		CU_ASSERT(f.log[i].flags & VHOST_USER_NEED_REPLY);
	CU_ASSERT_EQUAL(u64_at(f.log[at].payload),
			(1ULL << 32) | (1ULL << 5) |
			(1ULL << VHOST_USER_F_PROTOCOL_FEATURES));
	/* The memory table: one region, its descriptor along. */
	CU_ASSERT_EQUAL(f.log[at + 1].size, 8 + 32);
	CU_ASSERT_EQUAL(u32_at(f.log[at + 1].payload), 1);
	CU_ASSERT_EQUAL(u64_at(f.log[at + 1].payload + 8), 0x40000000);
	CU_ASSERT_EQUAL(u64_at(f.log[at + 1].payload + 16), 0x10000000);
	CU_ASSERT_EQUAL(u64_at(f.log[at + 1].payload + 24),
			(uint64_t)(uintptr_t)ram);
	CU_ASSERT_EQUAL(f.log[at + 1].nfds, 1);
	CU_ASSERT(same_eventfd(memfd, f.log[at + 1].fds[0]));
	/* Ring 1: size, base, addresses (desc, used, avail), call, kick. */
	CU_ASSERT_EQUAL(u32_at(f.log[at + 8].payload), 1);
	CU_ASSERT_EQUAL(u32_at(f.log[at + 8].payload + 4), 128);
	CU_ASSERT_EQUAL(u32_at(f.log[at + 9].payload + 4), 3);
	CU_ASSERT_EQUAL(u64_at(f.log[at + 10].payload + 8),
			(uint64_t)(uintptr_t)ram);
	CU_ASSERT_EQUAL(u64_at(f.log[at + 10].payload + 16),
			(uint64_t)(uintptr_t)(ram + 32));
	CU_ASSERT_EQUAL(u64_at(f.log[at + 10].payload + 24),
			(uint64_t)(uintptr_t)(ram + 16));
	CU_ASSERT_EQUAL(u64_at(f.log[at + 11].payload), 1);
	CU_ASSERT_EQUAL(f.log[at + 11].nfds, 1);
	CU_ASSERT(same_eventfd(call[1], f.log[at + 11].fds[0]));
	CU_ASSERT_EQUAL(f.log[at + 12].nfds, 1);
	CU_ASSERT(same_eventfd(kick[1], f.log[at + 12].fds[0]));
	CU_ASSERT_EQUAL(u32_at(f.log[at + 13].payload + 4), 1);

	/* Stop takes each ring back; a second stop has nothing to do. */
	at = f.n;
	vhost_user_stop(vu);
	vhost_user_stop(vu);
	CU_ASSERT_EQUAL(f.n, at + 2);
	CU_ASSERT_EQUAL(f.log[at].request, VHOST_USER_GET_VRING_BASE);
	CU_ASSERT_EQUAL(u32_at(f.log[at + 1].payload), 1);
	CU_ASSERT(vhost_user_check(vu));
	CU_ASSERT(!vhost_user_dead(vu));

	vhost_user_free(vu);
	fake_end(&f);
	for (i = 0; i < 2; i++) {
		close(kick[i]);
		close(call[i]);
	}
	close(memfd);
}

/* The backend closes its end when asked for a ring back. */
static void test_vhost_user_dies(void)
{
	struct fake f;
	struct vhost_user *vu;
	int sock = fake_start(&f, 1);
	int efd = eventfd(0, EFD_CLOEXEC);
	uint8_t ram[64];
	struct vhost_user_mem mem = {
		.gpa = 0, .size = 64, .host = ram, .fd = efd,
	};
	struct vhost_user_ring ring = {
		.num = 16, .desc = ram, .avail = ram, .used = ram,
		.kick_fd = efd, .call_fd = efd,
	};

	CU_ASSERT_FATAL(sock >= 0);
	CU_ASSERT_EQUAL_FATAL(vhost_user_new(sock, "dying", &vu), 0);
	dead_calls = 0;
	vhost_user_set_dead(vu, on_dead, NULL);
	CU_ASSERT_EQUAL(vhost_user_start(vu, 0, &mem, &ring, 1), 0);
	vhost_user_stop(vu);
	CU_ASSERT(vhost_user_dead(vu));
	CU_ASSERT_EQUAL(dead_calls, 1);
	CU_ASSERT_PTR_NOT_NULL(strstr(dead_why, "dying"));
	CU_ASSERT_PTR_NOT_NULL(strstr(dead_why, "closed"));
	CU_ASSERT(!vhost_user_check(vu));
	CU_ASSERT_EQUAL(vhost_user_start(vu, 0, &mem, &ring, 1), -EPIPE);
	CU_ASSERT_EQUAL(dead_calls, 1);
	vhost_user_free(vu);
	fake_end(&f);
	close(efd);
}

/* Hangs up while idle: the watch fires and the check says so. */
static void test_vhost_user_hangup(void)
{
	struct fake f;
	struct vhost_user *vu;
	int sock = fake_start(&f, 0);

	CU_ASSERT_FATAL(sock >= 0);
	CU_ASSERT_EQUAL_FATAL(vhost_user_new(sock, "idle", &vu), 0);
	dead_calls = 0;
	vhost_user_set_dead(vu, on_dead, NULL);
	CU_ASSERT(vhost_user_check(vu));
	shutdown(f.sock, SHUT_RDWR);
	fake_end(&f);
	CU_ASSERT(!vhost_user_check(vu));
	CU_ASSERT_EQUAL(dead_calls, 1);
	vhost_user_free(vu);
}

/* A reply without its reply flag is nonsense: the greeting fails. */
static void test_vhost_user_bad_reply(void)
{
	struct fake f;
	struct vhost_user *vu;
	int sock = fake_start(&f, 2);

	CU_ASSERT_FATAL(sock >= 0);
	CU_ASSERT_EQUAL(vhost_user_new(sock, "bad", &vu), -EPIPE);
	CU_ASSERT_PTR_NULL(vu);
	fake_end(&f);
}

static void test_virtio_fs_config(void)
{
	struct fake f;
	struct vhost_user *vu;
	struct virtio_device *dev;
	int sock = fake_start(&f, 0);
	struct vhost_user_mem mem = { .fd = -1 };
	char long_tag[VIRTIO_FS_TAG_MAX + 2];

	CU_ASSERT_FATAL(sock >= 0);
	CU_ASSERT_EQUAL_FATAL(vhost_user_new(sock, "fs", &vu), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_fs_new("myfs", vu, &mem, NULL, NULL,
					    &dev), 0);
	CU_ASSERT_EQUAL(dev->id, VIRTIO_ID_FS);
	CU_ASSERT_EQUAL(dev->num_queues, 2);
	CU_ASSERT(dev->external);
	CU_ASSERT_EQUAL(dev->config_size, 40);
	CU_ASSERT_EQUAL(memcmp(dev->config, "myfs\0\0", 6), 0);
	CU_ASSERT_EQUAL(le32_read(dev->config + 36), 1);
	dev->ops->free(dev);
	memset(long_tag, 'x', sizeof(long_tag) - 1);
	long_tag[sizeof(long_tag) - 1] = '\0';
	CU_ASSERT_EQUAL(virtio_fs_new(long_tag, vu, &mem, NULL, NULL, &dev),
			-EINVAL);
	vhost_user_free(vu);
	fake_end(&f);
}

/*
 * The whole device behind a transport: DRIVER_OK hands the backend the
 * rings with the transport's own kick eventfds and its interrupt
 * eventfd; a reset takes them back; no kick is read by armz.
 */
static void test_virtio_fs_transport(void)
{
	struct fake f;
	struct vhost_user *vu;
	struct virtio_device *dev;
	struct guest_mem mem;
	struct test_ring t0, t1;
	struct tr_irq irq;
	struct virtio_mmio *vm;
	int sock = fake_start(&f, 0);
	int memfd = eventfd(0, EFD_CLOEXEC), irqfd = eventfd(0, EFD_CLOEXEC);
	struct vhost_user_mem vmem = { .fd = memfd };
	unsigned int at, kicks = 0, calls = 0;

	CU_ASSERT_FATAL(sock >= 0);
	tr_mem_init(&mem);
	tr_init(&t0, &mem, 16, TR_RING0);
	tr_init(&t1, &mem, 16, TR_RING1);
	tr_irq_init(&irq);
	irq.line.fd = irqfd;
	vmem.gpa = mem.gpa;
	vmem.size = mem.size;
	vmem.host = mem.host;
	CU_ASSERT_EQUAL_FATAL(vhost_user_new(sock, "fs", &vu), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_fs_new("t", vu, &vmem, NULL, NULL,
					    &dev), 0);
	vm = tr_transport(dev, &mem, &irq.line, MEMMAP_VIRTIO_BASE,
			  MEMMAP_SPI_VIRTIO_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	/* The transport offers what the backend does, not bit 30. */
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_FS);
	tr_negotiate(vm, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
			 VIRTIO_BIT(VIRTIO_RING_F_EVENT_IDX));
	tr_setup_queue(vm, 0, &t0);
	tr_setup_queue(vm, 1, &t1);
	at = f.n;
	tr_driver_ok(vm);
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_STATUS) &
			VIRTIO_STATUS_NEEDS_RESET, 0);
	for (unsigned int i = at; i < f.n; i++) {
		const struct seen *s = &f.log[i];

		if (s->request == VHOST_USER_SET_VRING_KICK) {
			unsigned int q = (unsigned int)(u64_at(s->payload) & 0xff);

			kicks++;
			CU_ASSERT(same_eventfd(virtio_mmio_kick_fd(vm, q),
					       s->fds[0]));
		}
		if (s->request == VHOST_USER_SET_VRING_CALL) {
			calls++;
			CU_ASSERT(same_eventfd(irqfd, s->fds[0]));
		}
		if (s->request == VHOST_USER_SET_VRING_ADDR &&
		    u32_at(s->payload) == 1)
			CU_ASSERT_EQUAL(u64_at(s->payload + 8),
					(uint64_t)(uintptr_t)tr_at(&mem,
								   TR_RING1));
	}
	CU_ASSERT_EQUAL(kicks, 2);
	CU_ASSERT_EQUAL(calls, 2);
	/* Interrupts come from the backend: the status always says so. */
	CU_ASSERT_EQUAL(tr_r32(vm, VIRTIO_MMIO_INTERRUPT_STATUS),
			VIRTIO_MMIO_INT_VRING);
	at = f.n;
	tr_w32(vm, VIRTIO_MMIO_STATUS, 0);
	CU_ASSERT_EQUAL(f.n, at + 2);
	CU_ASSERT_EQUAL(f.log[at].request, VHOST_USER_GET_VRING_BASE);
	virtio_mmio_free(vm);
	vhost_user_free(vu);
	fake_end(&f);
	tr_mem_free(&mem);
	close(memfd);
	close(irqfd);
}

static void test_fs_parse(void)
{
	struct fs_share s;

	CU_ASSERT_EQUAL(fs_parse_share("/srv/data,data", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.dir, "/srv/data");
	CU_ASSERT_STRING_EQUAL(s.tag, "data");
	CU_ASSERT(!s.ro);
	CU_ASSERT_EQUAL(s.socket[0], '\0');
	CU_ASSERT_EQUAL(fs_parse_share("/srv,t,ro", &s), 0);
	CU_ASSERT(s.ro);
	CU_ASSERT_EQUAL(fs_parse_share("socket=/run/fs.sock,tag=home", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.socket, "/run/fs.sock");
	CU_ASSERT_STRING_EQUAL(s.tag, "home");
	CU_ASSERT_EQUAL(s.dir[0], '\0');
	CU_ASSERT_EQUAL(fs_parse_share("tag=home,socket=/s", &s), 0);
	CU_ASSERT_STRING_EQUAL(s.socket, "/s");
	CU_ASSERT_EQUAL(fs_parse_share("socket=/s", &s), -EINVAL);
	CU_ASSERT_EQUAL(fs_parse_share("socket=/s,tag=t,ro", &s), -EINVAL);
	CU_ASSERT_EQUAL(fs_parse_share("/srv", &s), -EINVAL);
	CU_ASSERT_EQUAL(fs_parse_share(",t", &s), -EINVAL);
	CU_ASSERT_EQUAL(fs_parse_share("/srv,", &s), -EINVAL);
	CU_ASSERT_EQUAL(fs_parse_share("/srv,t,rw", &s), -EINVAL);
	CU_ASSERT_EQUAL(fs_parse_share(
		"/srv,0123456789012345678901234567890123456", &s), -EINVAL);
}

static CU_TestInfo vhost_user_tests[] = {
	{ "greeting, start and stop", test_vhost_user_session },
	{ "backend dies mid-request", test_vhost_user_dies },
	{ "backend hangs up while idle", test_vhost_user_hangup },
	{ "nonsense reply", test_vhost_user_bad_reply },
	{ "virtio-fs config", test_virtio_fs_config },
	{ "virtio-fs behind a transport", test_virtio_fs_transport },
	{ "--fs parsing", test_fs_parse },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(vhost_user, vhost_user_tests);
