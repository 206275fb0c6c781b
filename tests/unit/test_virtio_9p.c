// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/p9.h>
#include <armz/virtio.h>

#include "unit.h"
#include "virtio-ring.h"

/*
 * The device driven through the virtio-mmio transport the way Linux's
 * 9p virtio transport does: a request in readable buffers, the response
 * in writable ones (for reads, an 11-byte header buffer then the data).
 */

#define TAG		"hostshare"
#define CONTENT		"0123456789abcdefghijklmnopqrstuvwxyz"
#define REQ		(TR_BUF)		/* request buffers */
#define RESP		(TR_BUF + 0x8000)	/* response buffers */
#define POISON		0xa5	/* in the response buffers before each request */

struct v9p_fixture {
	char dir[64];
	struct guest_mem mem;
	struct test_ring t;
	struct tr_irq irq;
	struct virtio_mmio *vm;
	uint8_t msg[4096];
	size_t len;
};

static struct virtio_device *v9p_make(const char *dir, const char *tag,
				      bool ro)
{
	struct p9_share sh = { .ro = ro };
	struct virtio_device *dev;

	snprintf(sh.dir, sizeof(sh.dir), "%s", dir);
	snprintf(sh.tag, sizeof(sh.tag), "%s", tag);
	return virtio_9p_new(&sh, &dev) ? NULL : dev;
}

static struct v9p_fixture *fx_new(void)
{
	struct v9p_fixture *f = calloc(1, sizeof(*f));
	struct virtio_device *dev;
	char path[128];
	int fd;

	snprintf(f->dir, sizeof(f->dir), "/tmp/armz-v9p.XXXXXX");
	CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(f->dir));
	snprintf(path, sizeof(path), "%s/file", f->dir);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, CONTENT, strlen(CONTENT)) ==
			(ssize_t)strlen(CONTENT));
	close(fd);

	dev = v9p_make(f->dir, TAG, false);
	CU_ASSERT_PTR_NOT_NULL_FATAL(dev);
	CU_ASSERT_EQUAL(dev->id, VIRTIO_ID_9P);
	tr_mem_init(&f->mem);
	tr_init(&f->t, &f->mem, 16, TR_RING0);
	tr_irq_init(&f->irq);
	f->vm = tr_transport(dev, &f->mem, &f->irq.line,
				MEMMAP_VIRTIO_BASE, MEMMAP_SPI_VIRTIO_BASE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(f->vm);
	CU_ASSERT_TRUE(tr_negotiate(f->vm, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
				    VIRTIO_BIT(VIRTIO_9P_F_MOUNT_TAG)) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(f->vm, 0, &f->t);
	tr_driver_ok(f->vm);
	return f;
}

static void fx_free(struct v9p_fixture *f)
{
	char path[128];

	virtio_mmio_free(f->vm);
	tr_mem_free(&f->mem);
	snprintf(path, sizeof(path), "%s/file", f->dir);
	unlink(path);
	rmdir(f->dir);
	free(f);
}

static void m_begin(struct v9p_fixture *f, uint8_t type, uint16_t tag)
{
	f->len = P9_HDR_SIZE;
	f->msg[4] = type;
	le16_write(f->msg + 5, tag);
}

static void m_u32(struct v9p_fixture *f, uint32_t v)
{
	le32_write(f->msg + f->len, v);
	f->len += 4;
}

static void m_u64(struct v9p_fixture *f, uint64_t v)
{
	le64_write(f->msg + f->len, v);
	f->len += 8;
}

static void m_str(struct v9p_fixture *f, const char *s)
{
	le16_write(f->msg + f->len, (uint16_t)strlen(s));
	memcpy(f->msg + f->len + 2, s, strlen(s));
	f->len += 2 + strlen(s);
}

/* No response can pass on what an earlier one left there. */
static void resp_poison(struct v9p_fixture *f)
{
	memset(tr_host(&f->t, RESP), POISON, 0x8000);
}

/*
 * Sends the message split over two readable buffers, with room for the
 * response in writable buffers of hdr and rest bytes (rest may be 0);
 * returns the used length.
 */
static uint32_t m_send(struct v9p_fixture *f, uint32_t hdr, uint32_t rest)
{
	uint16_t used = tr_used_idx(&f->t);
	uint32_t cut = (uint32_t)f->len / 2;

	le32_write(f->msg, (uint32_t)f->len);
	resp_poison(f);
	memcpy(tr_host(&f->t, REQ), f->msg, cut);
	memcpy(tr_host(&f->t, REQ + 0x1000), f->msg + cut, f->len - cut);
	tr_desc(&f->t, 0, REQ, cut, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, REQ + 0x1000, (uint32_t)f->len - cut,
		hdr ? VIRTQ_DESC_F_NEXT : 0, 2);
	tr_desc(&f->t, 2, RESP, hdr,
		VIRTQ_DESC_F_WRITE | (rest ? VIRTQ_DESC_F_NEXT : 0), 3);
	tr_desc(&f->t, 3, RESP + 0x1000, rest, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->t, (uint16_t)(used + 1)));
	CU_ASSERT_EQUAL(tr_used_id(&f->t, used), 0);
	return tr_used_len(&f->t, used);
}

static uint8_t *resp(struct v9p_fixture *f)
{
	return tr_host(&f->t, RESP);
}

static void test_v9p_config(void)
{
	struct v9p_fixture *f = fx_new();
	uint8_t cfg[2 + sizeof(TAG)];
	unsigned int i;

	tr_w32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	CU_ASSERT_TRUE(tr_r32(f->vm, VIRTIO_MMIO_DEVICE_FEATURES) &
		       (1u << VIRTIO_9P_F_MOUNT_TAG));
	CU_ASSERT_EQUAL(tr_r32(f->vm, VIRTIO_MMIO_DEVICE_ID), VIRTIO_ID_9P);
	for (i = 0; i < sizeof(cfg) - 1; i++)
		virtio_mmio_ops.read(f->vm, VIRTIO_MMIO_CONFIG + i, &cfg[i], 1);
	CU_ASSERT_EQUAL(le16_read(cfg), strlen(TAG));
	CU_ASSERT_EQUAL(memcmp(cfg + 2, TAG, strlen(TAG)), 0);
	fx_free(f);
}

static void test_v9p_read(void)
{
	struct v9p_fixture *f = fx_new();
	struct virtio_stats st;
	uint32_t len;

	m_begin(f, P9_TVERSION, P9_NOTAG);
	m_u32(f, 8192);
	m_str(f, "9P2000.L");
	len = m_send(f, 8192, 0);
	CU_ASSERT_EQUAL(len, P9_HDR_SIZE + 4 + 2 + 8);
	CU_ASSERT_EQUAL(resp(f)[4], P9_TVERSION + 1);
	CU_ASSERT_EQUAL(le32_read(resp(f) + 7), 8192);

	m_begin(f, P9_TATTACH, 1);
	m_u32(f, 0);
	m_u32(f, P9_NOFID);
	m_str(f, "root");
	m_str(f, "");
	m_u32(f, 0);
	CU_ASSERT_EQUAL(m_send(f, 8192, 0), P9_HDR_SIZE + P9_QID_SIZE);
	CU_ASSERT_EQUAL(resp(f)[7], P9_QTDIR);

	m_begin(f, P9_TWALK, 2);
	m_u32(f, 0);
	m_u32(f, 1);
	le16_write(f->msg + f->len, 1);
	f->len += 2;
	m_str(f, "file");
	CU_ASSERT_EQUAL(m_send(f, 8192, 0), P9_HDR_SIZE + 2 + P9_QID_SIZE);

	m_begin(f, P9_TLOPEN, 3);
	m_u32(f, 1);
	m_u32(f, P9_DOTL_RDONLY);
	CU_ASSERT_EQUAL(m_send(f, 8192, 0), P9_HDR_SIZE + P9_QID_SIZE + 4);

	/* Header and data in separate buffers, as zero-copy reads do. */
	m_begin(f, P9_TREAD, 4);
	m_u32(f, 1);
	m_u64(f, 10);
	m_u32(f, 4096);
	len = m_send(f, 11, 4096);
	CU_ASSERT_EQUAL(len, 11 + strlen(CONTENT) - 10);
	CU_ASSERT_EQUAL(resp(f)[4], P9_TREAD + 1);
	CU_ASSERT_EQUAL(le16_read(resp(f) + 5), 4);
	CU_ASSERT_EQUAL(le32_read(resp(f) + 7), strlen(CONTENT) - 10);
	CU_ASSERT_EQUAL(memcmp(resp(f) + 0x1000, CONTENT + 10,
			       strlen(CONTENT) - 10), 0);

	/* The count is bounded by the room the driver gave. */
	m_begin(f, P9_TREAD, 5);
	m_u32(f, 1);
	m_u64(f, 0);
	m_u32(f, 4096);
	len = m_send(f, 11, 5);
	CU_ASSERT_EQUAL(len, 16);
	CU_ASSERT_EQUAL(le32_read(resp(f) + 7), 5);
	CU_ASSERT_EQUAL(memcmp(resp(f) + 0x1000, CONTENT, 5), 0);
	CU_ASSERT_EQUAL(resp(f)[0x1000 + 5], POISON);

	CU_ASSERT_TRUE(tr_wait_irq(&f->irq, 1));
	virtio_dev_stats(virtio_mmio_device(f->vm), &st);
	CU_ASSERT_EQUAL(st.requests, 6);
	CU_ASSERT_EQUAL(st.errors, 0);
	fx_free(f);
}

static void test_v9p_bad_chains(void)
{
	struct v9p_fixture *f = fx_new();
	const uint32_t big = 300 << 10;
	uint16_t used;

	/* No room for a response: nothing written, the queue goes on. */
	m_begin(f, P9_TCLUNK, 7);
	m_u32(f, 0);
	CU_ASSERT_EQUAL(m_send(f, 0, 0), 0);
	CU_ASSERT_EQUAL(m_send(f, 10, 0), 0);
	CU_ASSERT_EQUAL(resp(f)[0], POISON);

	/* A size field beyond what arrived. */
	m_begin(f, P9_TCLUNK, 8);
	m_u32(f, 0);
	le32_write(f->msg, 4096);
	memcpy(tr_host(&f->t, REQ), f->msg, f->len);
	tr_desc(&f->t, 5, REQ, (uint32_t)f->len, VIRTQ_DESC_F_NEXT, 6);
	tr_desc(&f->t, 6, RESP, 64, VIRTQ_DESC_F_WRITE, 0);
	resp_poison(f);
	used = tr_used_idx(&f->t);
	tr_avail(&f->t, 5);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->t, (uint16_t)(used + 1)));
	CU_ASSERT_EQUAL(tr_used_len(&f->t, used), 11);
	CU_ASSERT_EQUAL(le32_read(resp(f)), 11);
	CU_ASSERT_EQUAL(resp(f)[4], P9_RLERROR);
	CU_ASSERT_EQUAL(le16_read(resp(f) + 5), 8);
	CU_ASSERT_EQUAL(le32_read(resp(f) + 7), EINVAL);

	/* More readable bytes than any message may have: cut, refused. */
	le32_write(tr_host(&f->t, TR_BUF + 0x10000), 2 * big);
	tr_host(&f->t, TR_BUF + 0x10000)[4] = P9_TWRITE;
	tr_desc(&f->t, 7, TR_BUF + 0x10000, big, VIRTQ_DESC_F_NEXT, 8);
	tr_desc(&f->t, 8, TR_BUF + 0x10000, big, VIRTQ_DESC_F_NEXT, 9);
	tr_desc(&f->t, 9, RESP, 64, VIRTQ_DESC_F_WRITE, 0);
	resp_poison(f);
	tr_avail(&f->t, 7);
	tr_w32(f->vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	CU_ASSERT_TRUE_FATAL(tr_wait_used(&f->t, (uint16_t)(used + 2)));
	CU_ASSERT_EQUAL(tr_used_len(&f->t, used + 1), 11);
	CU_ASSERT_EQUAL(le32_read(resp(f)), 11);
	CU_ASSERT_EQUAL(resp(f)[4], P9_RLERROR);
	CU_ASSERT_EQUAL(le32_read(resp(f) + 7), EINVAL);

	/* And the device still answers. */
	m_begin(f, P9_TVERSION, P9_NOTAG);
	m_u32(f, 8192);
	m_str(f, "9P2000.L");
	CU_ASSERT_EQUAL(m_send(f, 64, 0), P9_HDR_SIZE + 4 + 2 + 8);
	fx_free(f);
}

/* A device reset ends the session: the old fids are gone. */
static void test_v9p_reset(void)
{
	struct v9p_fixture *f = fx_new();

	m_begin(f, P9_TATTACH, 1);
	m_u32(f, 42);
	m_u32(f, P9_NOFID);
	m_str(f, "root");
	m_str(f, "");
	m_u32(f, 0);
	CU_ASSERT_EQUAL(m_send(f, 64, 0), P9_HDR_SIZE + P9_QID_SIZE);

	tr_w32(f->vm, VIRTIO_MMIO_STATUS, 0);
	memset(tr_host(&f->t, TR_RING1), 0, 0x4000);
	tr_init(&f->t, &f->mem, 16, TR_RING1);
	CU_ASSERT_TRUE(tr_negotiate(f->vm, VIRTIO_BIT(VIRTIO_F_VERSION_1)) &
		       VIRTIO_STATUS_FEATURES_OK);
	tr_setup_queue(f->vm, 0, &f->t);
	tr_driver_ok(f->vm);

	m_begin(f, P9_TCLUNK, 2);
	m_u32(f, 42);
	CU_ASSERT_EQUAL(m_send(f, 64, 0), 11);
	CU_ASSERT_EQUAL(resp(f)[4], P9_RLERROR);
	CU_ASSERT_EQUAL(le32_read(resp(f) + 7), EBADF);
	fx_free(f);
}

static void test_v9p_new_fails(void)
{
	CU_ASSERT_PTR_NULL(v9p_make("/tmp", "", false));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "tag"));
	CU_ASSERT_PTR_NULL(v9p_make("/nonexistent/armz", "t", true));
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "/nonexistent/armz"));
}

static void test_v9p_parse_share(void)
{
	struct p9_share sh;
	char longdir[PATH_MAX + 8];

	CU_ASSERT_EQUAL(p9_parse_share("/srv/data,data", &sh), 0);
	CU_ASSERT_STRING_EQUAL(sh.dir, "/srv/data");
	CU_ASSERT_STRING_EQUAL(sh.tag, "data");
	CU_ASSERT_FALSE(sh.ro);
	CU_ASSERT_EQUAL(p9_parse_share("/a,b,c,ro", &sh), -EINVAL);
	CU_ASSERT_EQUAL(p9_parse_share("/a,tag,ro", &sh), 0);
	CU_ASSERT_STRING_EQUAL(sh.dir, "/a");
	CU_ASSERT_STRING_EQUAL(sh.tag, "tag");
	CU_ASSERT_TRUE(sh.ro);
	CU_ASSERT_EQUAL(p9_parse_share("/a", &sh), -EINVAL);
	CU_ASSERT_EQUAL(p9_parse_share(",tag", &sh), -EINVAL);
	CU_ASSERT_EQUAL(p9_parse_share("/a,", &sh), -EINVAL);
	CU_ASSERT_EQUAL(p9_parse_share("/a,,ro", &sh), -EINVAL);
	CU_ASSERT_EQUAL(p9_parse_share("/a,t,rw", &sh), -EINVAL);
	CU_ASSERT_EQUAL(p9_parse_share(
		"/a,0123456789012345678901234567890", &sh), 0);
	CU_ASSERT_EQUAL(strlen(sh.tag), P9_TAG_MAX);
	CU_ASSERT_EQUAL(p9_parse_share(
		"/a,01234567890123456789012345678901", &sh), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "tag"));
	/* A directory name longer than the host allows is refused whole. */
	memset(longdir, 'd', sizeof(longdir));
	longdir[0] = '/';
	memcpy(longdir + PATH_MAX, ",t", 3);
	CU_ASSERT_EQUAL(p9_parse_share(longdir, &sh), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "directory name"));
}

static const CU_TestInfo virtio_9p_tests[] = {
	{ "config space has the tag", test_v9p_config },
	{ "requests through a queue", test_v9p_read },
	{ "bad chains", test_v9p_bad_chains },
	{ "reset forgets fids", test_v9p_reset },
	{ "bad arguments", test_v9p_new_fails },
	{ "parse --9p", test_v9p_parse_share },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_9p, virtio_9p_tests)
