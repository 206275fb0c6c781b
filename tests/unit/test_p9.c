// SPDX-License-Identifier: GPL-2.0
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/p9.h>

#include "unit.h"

/*
 * Each test builds a tree under mkdtemp():
 *
 *   base/secret                 outside the share: must never be reached
 *   base/share/                 the shared root
 *   base/share/hello.txt        "hello, world\n"
 *   base/share/sub/inner.txt    "inner"
 *   base/share/link_root    ->  /
 *   base/share/link_up      ->  ../..
 *   base/share/link_secret  ->  ../secret
 *   base/share/link_out     ->  ..          (a directory outside)
 *   base/share/link_abs     ->  base/secret (absolute)
 *
 * and talks to the server in raw 9P messages built with the le.h writers.
 */

#define TAG		0x1234
#define ROOT		0u	/* fid of the attached root */
#define BUF		(128 * 1024)
#define SECRET		"TOPSECRET"
#define HELLO		"hello, world\n"
#define PARTIAL		1000	/* p_walk() stopped part way */

static struct {
	struct p9_server *s;
	char base[64];
	char share[96];
	uint8_t req[BUF];
	size_t len;
	uint8_t resp[BUF];
	size_t resp_len;
	size_t pos;
	size_t cap;
} t;

/* --- host side helpers --- */

static void host_path(char *buf, size_t size, const char *rel)
{
	snprintf(buf, size, "%s/%s", t.base, rel);
}

static void host_write(const char *rel, const char *data)
{
	char p[256];
	int fd;

	host_path(p, sizeof(p), rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CU_ASSERT_FATAL(fd >= 0);
	CU_ASSERT_FATAL(write(fd, data, strlen(data)) == (ssize_t)strlen(data));
	close(fd);
}

/* The file's contents as a string ("" if missing). */
static const char *host_read(const char *rel)
{
	static char buf[256];
	char p[256];
	ssize_t n;
	int fd;

	host_path(p, sizeof(p), rel);
	buf[0] = '\0';
	fd = open(p, O_RDONLY);
	if (fd < 0)
		return buf;
	n = read(fd, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	close(fd);
	return buf;
}

static bool host_exists(const char *rel)
{
	struct stat st;
	char p[256];

	host_path(p, sizeof(p), rel);
	return !lstat(p, &st);
}

static int host_stat(const char *rel, struct stat *st)
{
	char p[256];

	host_path(p, sizeof(p), rel);
	return lstat(p, st);
}

static void host_symlink(const char *target, const char *rel)
{
	char p[256];

	host_path(p, sizeof(p), rel);
	CU_ASSERT_FATAL(symlink(target, p) == 0);
}

static void host_mkdir(const char *rel)
{
	char p[256];

	host_path(p, sizeof(p), rel);
	CU_ASSERT_FATAL(mkdir(p, 0755) == 0);
}

static int rm_one(const char *path, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	return remove(path);
}

/* --- messages --- */

static void m_begin(uint8_t type)
{
	t.len = P9_HDR_SIZE;
	t.req[4] = type;
	le16_write(t.req + 5, TAG);
}

static void m_u8(uint8_t v)
{
	t.req[t.len++] = v;
}

static void m_u16(uint16_t v)
{
	le16_write(t.req + t.len, v);
	t.len += 2;
}

static void m_u32(uint32_t v)
{
	le32_write(t.req + t.len, v);
	t.len += 4;
}

static void m_u64(uint64_t v)
{
	le64_write(t.req + t.len, v);
	t.len += 8;
}

static void m_bytes(const void *p, size_t n)
{
	memcpy(t.req + t.len, p, n);
	t.len += n;
}

static void m_str(const char *s)
{
	m_u16((uint16_t)strlen(s));
	m_bytes(s, strlen(s));
}

/* Sends with a size field of len; checks the response's framing. */
static int m_send_raw(size_t len)
{
	uint8_t type = t.req[4];

	t.resp_len = p9_handle(t.s, t.req, len, t.resp, t.cap);
	t.pos = P9_HDR_SIZE;
	CU_ASSERT_FATAL(t.resp_len >= P9_HDR_SIZE);
	CU_ASSERT_FATAL(t.resp_len <= t.cap);
	CU_ASSERT_EQUAL(le32_read(t.resp), t.resp_len);
	if (t.resp[4] == P9_RLERROR) {
		CU_ASSERT_EQUAL(t.resp_len, P9_HDR_SIZE + 4);
		return (int)le32_read(t.resp + P9_HDR_SIZE);
	}
	CU_ASSERT_EQUAL(t.resp[4], type + 1);
	CU_ASSERT_EQUAL(le16_read(t.resp + 5), TAG);
	return 0;
}

/* 0 for the matching R-message, else the Rlerror errno. */
static int m_send(void)
{
	le32_write(t.req, (uint32_t)t.len);
	return m_send_raw(t.len);
}

static uint8_t r_u8(void)
{
	CU_ASSERT_FATAL(t.pos + 1 <= t.resp_len);
	return t.resp[t.pos++];
}

static uint16_t r_u16(void)
{
	CU_ASSERT_FATAL(t.pos + 2 <= t.resp_len);
	t.pos += 2;
	return le16_read(t.resp + t.pos - 2);
}

static uint32_t r_u32(void)
{
	CU_ASSERT_FATAL(t.pos + 4 <= t.resp_len);
	t.pos += 4;
	return le32_read(t.resp + t.pos - 4);
}

static uint64_t r_u64(void)
{
	CU_ASSERT_FATAL(t.pos + 8 <= t.resp_len);
	t.pos += 8;
	return le64_read(t.resp + t.pos - 8);
}

static void r_qid(uint8_t *qid)
{
	CU_ASSERT_FATAL(t.pos + P9_QID_SIZE <= t.resp_len);
	memcpy(qid, t.resp + t.pos, P9_QID_SIZE);
	t.pos += P9_QID_SIZE;
}

static void r_str(char *buf, size_t size)
{
	uint16_t len = r_u16();

	CU_ASSERT_FATAL(t.pos + len <= t.resp_len && len < size);
	memcpy(buf, t.resp + t.pos, len);
	buf[len] = '\0';
	t.pos += len;
}

/* --- requests --- */

static int p_version(uint32_t msize, const char *ver)
{
	m_begin(P9_TVERSION);
	m_u32(msize);
	m_str(ver);
	return m_send();
}

static int p_attach(uint32_t fid, uint8_t *qid)
{
	int err;

	m_begin(P9_TATTACH);
	m_u32(fid);
	m_u32(P9_NOFID);
	m_str("root");
	m_str("");
	m_u32(0);
	err = m_send();
	if (!err && qid)
		r_qid(qid);
	return err;
}

/* Walks path ("a/b/c", "" for a clone); *nq gets the qids returned. */
static int p_walk(uint32_t fid, uint32_t newfid, const char *path,
		  unsigned int *nq, uint8_t *last_qid)
{
	char copy[256], *save, *name;
	uint16_t n = 0, i, got;
	size_t at;
	int err;

	m_begin(P9_TWALK);
	m_u32(fid);
	m_u32(newfid);
	at = t.len;
	m_u16(0);
	snprintf(copy, sizeof(copy), "%s", path);
	for (name = strtok_r(copy, "/", &save); name;
	     name = strtok_r(NULL, "/", &save), n++)
		m_str(name);
	le16_write(t.req + at, n);
	err = m_send();
	if (err)
		return err;
	got = r_u16();
	if (nq)
		*nq = got;
	for (i = 0; i < got; i++) {
		uint8_t q[P9_QID_SIZE];

		r_qid(q);
		if (last_qid)
			memcpy(last_qid, q, P9_QID_SIZE);
	}
	return got == n ? 0 : PARTIAL;
}

/* One name that may contain anything (a '/', a NUL). */
static int p_walk_raw(uint32_t fid, uint32_t newfid, const char *name,
		      size_t len)
{
	m_begin(P9_TWALK);
	m_u32(fid);
	m_u32(newfid);
	m_u16(1);
	m_u16((uint16_t)len);
	m_bytes(name, len);
	return m_send();
}

static int p_clunk(uint32_t fid)
{
	m_begin(P9_TCLUNK);
	m_u32(fid);
	return m_send();
}

static int p_lopen(uint32_t fid, uint32_t flags)
{
	m_begin(P9_TLOPEN);
	m_u32(fid);
	m_u32(flags);
	return m_send();
}

static int p_lcreate(uint32_t fid, const char *name, uint32_t flags,
		     uint32_t mode)
{
	m_begin(P9_TLCREATE);
	m_u32(fid);
	m_str(name);
	m_u32(flags);
	m_u32(mode);
	m_u32(0);
	return m_send();
}

/* Bytes read into buf, or -errno. */
static long p_read(uint32_t fid, uint64_t off, uint32_t count, char *buf,
		   size_t size)
{
	uint32_t n;
	int err;

	m_begin(P9_TREAD);
	m_u32(fid);
	m_u64(off);
	m_u32(count);
	err = m_send();
	if (err)
		return -err;
	n = r_u32();
	CU_ASSERT_FATAL(t.pos + n == t.resp_len);
	CU_ASSERT_FATAL(n <= count);
	if (buf) {
		size_t c = n < size - 1 ? n : size - 1;

		memcpy(buf, t.resp + t.pos, c);
		buf[c] = '\0';
	}
	return n;
}

static long p_write(uint32_t fid, uint64_t off, const char *data)
{
	int err;

	m_begin(P9_TWRITE);
	m_u32(fid);
	m_u64(off);
	m_u32((uint32_t)strlen(data));
	m_bytes(data, strlen(data));
	err = m_send();
	return err ? -err : (long)r_u32();
}

struct attr {
	uint8_t qid[P9_QID_SIZE];
	uint32_t mode;
	uint64_t size;
	uint64_t mtime;
};

static int p_getattr(uint32_t fid, struct attr *a)
{
	int err;

	m_begin(P9_TGETATTR);
	m_u32(fid);
	m_u64(P9_GETATTR_BASIC);
	err = m_send();
	if (err)
		return err;
	CU_ASSERT_EQUAL(t.resp_len, P9_HDR_SIZE + 8 + 13 + 3 * 4 + 15 * 8);
	CU_ASSERT_EQUAL(r_u64(), P9_GETATTR_BASIC);
	r_qid(a->qid);
	a->mode = r_u32();
	r_u32();		/* uid */
	r_u32();		/* gid */
	r_u64();		/* nlink */
	r_u64();		/* rdev */
	a->size = r_u64();
	r_u64();		/* blksize */
	r_u64();		/* blocks */
	r_u64();		/* atime */
	r_u64();
	a->mtime = r_u64();
	return 0;
}

static int p_mkdir(uint32_t dfid, const char *name, uint32_t mode)
{
	m_begin(P9_TMKDIR);
	m_u32(dfid);
	m_str(name);
	m_u32(mode);
	m_u32(0);
	return m_send();
}

static int p_symlink(uint32_t dfid, const char *name, const char *target)
{
	m_begin(P9_TSYMLINK);
	m_u32(dfid);
	m_str(name);
	m_str(target);
	m_u32(0);
	return m_send();
}

static int p_mknod(uint32_t dfid, const char *name, uint32_t mode)
{
	m_begin(P9_TMKNOD);
	m_u32(dfid);
	m_str(name);
	m_u32(mode);
	m_u32(1);
	m_u32(3);
	m_u32(0);
	return m_send();
}

static int p_link(uint32_t dfid, uint32_t fid, const char *name)
{
	m_begin(P9_TLINK);
	m_u32(dfid);
	m_u32(fid);
	m_str(name);
	return m_send();
}

static int p_unlinkat(uint32_t dfid, const char *name, uint32_t flags)
{
	m_begin(P9_TUNLINKAT);
	m_u32(dfid);
	m_str(name);
	m_u32(flags);
	return m_send();
}

static int p_renameat(uint32_t ofid, const char *oname, uint32_t nfid,
		      const char *nname)
{
	m_begin(P9_TRENAMEAT);
	m_u32(ofid);
	m_str(oname);
	m_u32(nfid);
	m_str(nname);
	return m_send();
}

static int p_rename(uint32_t fid, uint32_t dfid, const char *name)
{
	m_begin(P9_TRENAME);
	m_u32(fid);
	m_u32(dfid);
	m_str(name);
	return m_send();
}

static int p_remove(uint32_t fid)
{
	m_begin(P9_TREMOVE);
	m_u32(fid);
	return m_send();
}

static int p_readlink(uint32_t fid, char *buf, size_t size)
{
	int err;

	m_begin(P9_TREADLINK);
	m_u32(fid);
	err = m_send();
	if (!err)
		r_str(buf, size);
	return err;
}

static int p_setattr(uint32_t fid, uint32_t valid, uint32_t mode,
		     uint64_t size, uint64_t mtime)
{
	m_begin(P9_TSETATTR);
	m_u32(fid);
	m_u32(valid);
	m_u32(mode);
	m_u32(0);
	m_u32(0);
	m_u64(size);
	m_u64(0);
	m_u64(0);
	m_u64(mtime);
	m_u64(0);
	return m_send();
}

/* Tsetattr of the owner alone, or with a mode too. */
static int p_chown(uint32_t fid, uint32_t uid, bool with_mode, uint32_t mode)
{
	m_begin(P9_TSETATTR);
	m_u32(fid);
	m_u32(P9_SETATTR_UID | (with_mode ? P9_SETATTR_MODE : 0));
	m_u32(mode);
	m_u32(uid);
	m_u32(0);
	m_u64(0);
	m_u64(0);
	m_u64(0);
	m_u64(0);
	m_u64(0);
	return m_send();
}

/*
 * Lists a directory fid (already lopened) in Treaddir calls of count
 * bytes, following the offsets: names joined by ',' into out.
 */
static int p_list(uint32_t fid, uint32_t count, char *out, size_t size,
		  unsigned int *calls)
{
	uint64_t off = 0;

	out[0] = '\0';
	*calls = 0;
	for (;;) {
		uint32_t n;
		size_t end;
		int err;

		m_begin(P9_TREADDIR);
		m_u32(fid);
		m_u64(off);
		m_u32(count);
		err = m_send();
		if (err)
			return err;
		(*calls)++;
		CU_ASSERT_FATAL(*calls < 1000);
		n = r_u32();
		CU_ASSERT_FATAL(n <= count);
		CU_ASSERT_FATAL(t.pos + n == t.resp_len);
		if (!n)
			return 0;
		end = t.pos + n;
		while (t.pos < end) {
			uint8_t qid[P9_QID_SIZE];
			char name[300];

			r_qid(qid);
			off = r_u64();
			r_u8();
			r_str(name, sizeof(name));
			if (strcmp(name, ".") && strcmp(name, "..")) {
				strncat(out, name, size - strlen(out) - 2);
				strcat(out, ",");
			}
		}
	}
}

static bool listed(const char *list, const char *name)
{
	char pat[300], all[2100];

	snprintf(pat, sizeof(pat), ",%s,", name);
	snprintf(all, sizeof(all), ",%s", list);
	return strstr(all, pat) != NULL;
}

/* --- fixture --- */

static void setup(bool ro)
{
	char p[256];

	memset(&t, 0, sizeof(t));
	t.cap = BUF;
	snprintf(t.base, sizeof(t.base), "/tmp/armz-p9.XXXXXX");
	CU_ASSERT_FATAL(mkdtemp(t.base) != NULL);
	host_write("secret", SECRET);
	host_mkdir("share");
	host_write("share/hello.txt", HELLO);
	host_mkdir("share/sub");
	host_write("share/sub/inner.txt", "inner");
	host_symlink("/", "share/link_root");
	host_symlink("../..", "share/link_up");
	host_symlink("../secret", "share/link_secret");
	host_symlink("..", "share/link_out");
	host_path(p, sizeof(p), "secret");
	host_symlink(p, "share/link_abs");
	snprintf(t.share, sizeof(t.share), "%s/share", t.base);

	CU_ASSERT_FATAL(p9_server_new(t.share, ro, &t.s) == 0);
	CU_ASSERT_FATAL(p_version(BUF, "9P2000.L") == 0);
	CU_ASSERT_FATAL(p_attach(ROOT, NULL) == 0);
}

static void teardown(void)
{
	p9_server_free(t.s);
	t.s = NULL;
	nftw(t.base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* --- tests --- */

static void test_p9_version(void)
{
	char ver[32];

	setup(false);
	CU_ASSERT_EQUAL(p_version(8192, "9P2000.L"), 0);
	CU_ASSERT_EQUAL(r_u32(), 8192);
	r_str(ver, sizeof(ver));
	CU_ASSERT_STRING_EQUAL(ver, "9P2000.L");

	/* Never more than the transport's buffers. */
	CU_ASSERT_EQUAL(p_version(16 << 20, "9P2000.L"), 0);
	CU_ASSERT_EQUAL(r_u32(), P9_MSIZE_MAX);

	CU_ASSERT_EQUAL(p_version(8192, "9P2000.u"), 0);
	r_u32();
	r_str(ver, sizeof(ver));
	CU_ASSERT_STRING_EQUAL(ver, "unknown");

	CU_ASSERT_EQUAL(p_version(64, "9P2000.L"), EINVAL);

	/* A new session forgets the old fids. */
	CU_ASSERT_EQUAL(p_version(8192, "9P2000.L"), 0);
	CU_ASSERT_EQUAL(p_clunk(ROOT), EBADF);
	CU_ASSERT_EQUAL(p_attach(ROOT, NULL), 0);
	CU_ASSERT_EQUAL(p_attach(ROOT, NULL), EEXIST);
	teardown();
}

static void test_p9_read_file(void)
{
	unsigned int nq;
	struct attr a;
	char buf[64];

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_getattr(1, &a), 0);
	CU_ASSERT_EQUAL(a.qid[0], P9_QTFILE);
	CU_ASSERT_TRUE(S_ISREG(a.mode));
	CU_ASSERT_EQUAL(a.size, strlen(HELLO));

	CU_ASSERT_EQUAL(p_read(1, 0, 10, buf, sizeof(buf)), -EBADF);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), EBADF);
	CU_ASSERT_EQUAL(p_read(1, 0, 100, buf, sizeof(buf)), strlen(HELLO));
	CU_ASSERT_STRING_EQUAL(buf, HELLO);
	/* Arbitrary offsets, as page faults on a mapping ask for them. */
	CU_ASSERT_EQUAL(p_read(1, 7, 5, buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "world");
	CU_ASSERT_EQUAL(p_read(1, 1000, 5, buf, sizeof(buf)), 0);
	CU_ASSERT_EQUAL(p_read(1, 1ull << 63, 5, buf, sizeof(buf)), -EINVAL);

	/* A multi-component walk, and the directory's own file. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "sub/inner.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDWR), 0);
	CU_ASSERT_EQUAL(p_read(2, 0, 100, buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "inner");

	/* Directories open read-only, files not as directories. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "sub", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(3, P9_DOTL_WRONLY), EISDIR);
	CU_ASSERT_EQUAL(p_getattr(3, &a), 0);
	CU_ASSERT_EQUAL(a.qid[0], P9_QTDIR);
	CU_ASSERT_EQUAL(p_walk(1, 4, "x", NULL, NULL), ENOTDIR);
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "nope", NULL, NULL), ENOENT);
	/* A partial walk reports how far it got and makes no fid. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "sub/nope", &nq, NULL), PARTIAL);
	CU_ASSERT_EQUAL(nq, 1);
	CU_ASSERT_EQUAL(p_clunk(4), EBADF);

	CU_ASSERT_EQUAL(p_clunk(1), 0);
	CU_ASSERT_EQUAL(p_clunk(1), EBADF);
	teardown();
}

static void test_p9_readdir(void)
{
	char list[2048];
	unsigned int calls;
	int i;

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY), 0);
	CU_ASSERT_EQUAL(p_list(1, 8192, list, sizeof(list), &calls), 0);
	CU_ASSERT_TRUE(listed(list, "hello.txt"));
	CU_ASSERT_TRUE(listed(list, "sub"));
	CU_ASSERT_TRUE(listed(list, "link_root"));
	CU_ASSERT_FALSE(listed(list, "secret"));
	CU_ASSERT_EQUAL(calls, 2);

	/* Many entries through a small window: each exactly once. */
	for (i = 0; i < 100; i++) {
		char name[64];

		snprintf(name, sizeof(name), "share/sub/f%03d", i);
		host_write(name, "x");
	}
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "sub", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_list(2, 100, list, sizeof(list), &calls), 0);
	CU_ASSERT_TRUE(calls > 20);
	for (i = 0; i < 100; i++) {
		char name[64], *first;

		snprintf(name, sizeof(name), "f%03d", i);
		first = strstr(list, name);
		CU_ASSERT_PTR_NOT_NULL_FATAL(first);
		CU_ASSERT_PTR_NULL(strstr(first + 1, name));
	}
	CU_ASSERT_TRUE(listed(list, "inner.txt"));

	/* Too small for one entry; not opened; not a directory. */
	m_begin(P9_TREADDIR);
	m_u32(2);
	m_u64(0);
	m_u32(10);
	CU_ASSERT_EQUAL(m_send(), EINVAL);
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "sub", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_list(3, 8192, list, sizeof(list), &calls), EBADF);
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(4, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_list(4, 8192, list, sizeof(list), &calls), ENOTDIR);
	teardown();
}

static void test_p9_create_write(void)
{
	char buf[64];
	struct stat st;
	mode_t um;

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "sub", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lcreate(1, "new.txt", P9_DOTL_RDWR, 0640), 0);
	CU_ASSERT_EQUAL(t.resp[P9_HDR_SIZE], P9_QTFILE);
	CU_ASSERT_EQUAL(p_write(1, 0, "some bytes"), 10);
	CU_ASSERT_EQUAL(p_write(1, 5, "BYTES"), 5);
	CU_ASSERT_STRING_EQUAL(host_read("share/sub/new.txt"), "some BYTES");
	CU_ASSERT_EQUAL(host_stat("share/sub/new.txt", &st), 0);
	um = umask(0);
	umask(um);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0640 & ~um);
	CU_ASSERT_EQUAL(p_read(1, 0, 100, buf, sizeof(buf)), 10);
	CU_ASSERT_STRING_EQUAL(buf, "some BYTES");

	/* The fid now is the file: read it back through a fresh walk. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "sub/new.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(2, 5, 100, buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "BYTES");
	CU_ASSERT_EQUAL(p_write(2, 0, "x"), -EBADF);

	/* An existing name is not created over, nor opened. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lcreate(3, "hello.txt", P9_DOTL_RDWR |
				  P9_DOTL_TRUNC, 0644), EEXIST);
	CU_ASSERT_STRING_EQUAL(host_read("share/hello.txt"), HELLO);

	/* O_TRUNC and O_APPEND on an existing file. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(4, P9_DOTL_WRONLY | P9_DOTL_APPEND), 0);
	CU_ASSERT_EQUAL(p_write(4, 0, "more"), 4);
	CU_ASSERT_STRING_EQUAL(host_read("share/hello.txt"), HELLO "more");
	CU_ASSERT_EQUAL(p_walk(ROOT, 5, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(5, P9_DOTL_WRONLY | P9_DOTL_TRUNC), 0);
	CU_ASSERT_STRING_EQUAL(host_read("share/hello.txt"), "");

	/* fsync, statfs, locks. */
	m_begin(P9_TFSYNC);
	m_u32(1);
	m_u32(0);
	CU_ASSERT_EQUAL(m_send(), 0);
	m_begin(P9_TFSYNC);
	m_u32(ROOT);
	m_u32(1);
	CU_ASSERT_EQUAL(m_send(), EBADF);
	m_begin(P9_TSTATFS);
	m_u32(ROOT);
	CU_ASSERT_EQUAL(m_send(), 0);
	CU_ASSERT_EQUAL(t.resp_len, P9_HDR_SIZE + 4 + 4 + 6 * 8 + 4);
	r_u32();
	CU_ASSERT_TRUE(r_u32() > 0);	/* bsize */
	m_begin(P9_TLOCK);
	m_u32(1);
	m_u8(P9_LOCK_TYPE_WRLCK);
	m_u32(0);
	m_u64(0);
	m_u64(0);
	m_u32(42);
	m_str("guest");
	CU_ASSERT_EQUAL(m_send(), 0);
	CU_ASSERT_EQUAL(r_u8(), P9_LOCK_SUCCESS);
	m_begin(P9_TGETLOCK);
	m_u32(1);
	m_u8(P9_LOCK_TYPE_WRLCK);
	m_u64(10);
	m_u64(20);
	m_u32(42);
	m_str("guest");
	CU_ASSERT_EQUAL(m_send(), 0);
	CU_ASSERT_EQUAL(r_u8(), P9_LOCK_TYPE_UNLCK);
	CU_ASSERT_EQUAL(r_u64(), 10);
	CU_ASSERT_EQUAL(r_u64(), 20);
	CU_ASSERT_EQUAL(r_u32(), 42);
	r_str(buf, sizeof(buf));
	CU_ASSERT_STRING_EQUAL(buf, "guest");
	teardown();
}

static void test_p9_names(void)
{
	char buf[256];
	struct stat st;
	struct attr a;

	setup(false);
	/* mkdir, and a file inside it. */
	CU_ASSERT_EQUAL(p_mkdir(ROOT, "dir", 0750), 0);
	CU_ASSERT_EQUAL(t.resp[P9_HDR_SIZE], P9_QTDIR);
	CU_ASSERT_EQUAL(host_stat("share/dir", &st), 0);
	CU_ASSERT_TRUE(S_ISDIR(st.st_mode));
	CU_ASSERT_EQUAL(p_mkdir(ROOT, "dir", 0750), EEXIST);

	/* symlink and readlink: the target is stored, not resolved. */
	CU_ASSERT_EQUAL(p_symlink(ROOT, "sl", "../../etc/passwd"), 0);
	CU_ASSERT_EQUAL(t.resp[P9_HDR_SIZE], P9_QTSYMLINK);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "sl", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_readlink(1, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "../../etc/passwd");
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_readlink(2, buf, sizeof(buf)), EINVAL);

	/* link */
	CU_ASSERT_EQUAL(p_link(ROOT, 2, "hard.txt"), 0);
	CU_ASSERT_STRING_EQUAL(host_read("share/hard.txt"), HELLO);
	CU_ASSERT_EQUAL(p_link(ROOT, ROOT, "rootlink"), EPERM);

	/* renameat, and a fid that walked there follows the file. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "sub/inner.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_renameat(ROOT, "sub", ROOT, "dir2"), 0);
	CU_ASSERT_FALSE(host_exists("share/sub"));
	CU_ASSERT_STRING_EQUAL(host_read("share/dir2/inner.txt"), "inner");
	CU_ASSERT_EQUAL(p_lopen(3, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(3, 0, 100, buf, sizeof(buf)), 5);

	/* Trename moves the fid's own file. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "dir", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_rename(2, 4, "moved.txt"), 0);
	CU_ASSERT_STRING_EQUAL(host_read("share/dir/moved.txt"), HELLO);
	CU_ASSERT_FALSE(host_exists("share/hello.txt"));
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_rename(ROOT, 4, "x"), EBUSY);

	/* setattr: mode, size, mtime. */
	CU_ASSERT_EQUAL(p_walk(4, 5, "moved.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_setattr(5, P9_SETATTR_MODE, 0600, 0, 0), 0);
	CU_ASSERT_EQUAL(host_stat("share/dir/moved.txt", &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0600);
	CU_ASSERT_EQUAL(p_setattr(5, P9_SETATTR_SIZE, 0, 3, 0), 0);
	CU_ASSERT_STRING_EQUAL(host_read("share/dir/moved.txt"), "hel");
	CU_ASSERT_EQUAL(p_setattr(5, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET,
				  0, 0, 1234567890), 0);
	CU_ASSERT_EQUAL(host_stat("share/dir/moved.txt", &st), 0);
	CU_ASSERT_EQUAL(st.st_mtime, 1234567890);
	CU_ASSERT_EQUAL(p_getattr(5, &a), 0);
	CU_ASSERT_EQUAL(a.mtime, 1234567890);
	CU_ASSERT_EQUAL(a.size, 3);
	CU_ASSERT_EQUAL(p_setattr(4, P9_SETATTR_MODE, 0711, 0, 0), 0);
	CU_ASSERT_EQUAL(host_stat("share/dir", &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0711);
	CU_ASSERT_EQUAL(p_setattr(4, P9_SETATTR_SIZE, 0, 0, 0), EISDIR);

	/* mknod: fifos yes, devices no. */
	CU_ASSERT_EQUAL(p_mknod(ROOT, "fifo", S_IFIFO | 0600), 0);
	CU_ASSERT_EQUAL(host_stat("share/fifo", &st), 0);
	CU_ASSERT_TRUE(S_ISFIFO(st.st_mode));
	CU_ASSERT_EQUAL(p_mknod(ROOT, "null", S_IFCHR | 0666), EPERM);
	CU_ASSERT_FALSE(host_exists("share/null"));
	/* A fifo is the guest's to open, never the host's. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 6, "fifo", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(6, P9_DOTL_RDONLY), ENXIO);

	/* unlinkat and remove. */
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "hard.txt", 0), 0);
	CU_ASSERT_FALSE(host_exists("share/hard.txt"));
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "dir2", 0), EISDIR);
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "dir2", P9_DOTL_AT_REMOVEDIR),
			ENOTEMPTY);
	CU_ASSERT_EQUAL(p_remove(5), 0);
	CU_ASSERT_FALSE(host_exists("share/dir/moved.txt"));
	CU_ASSERT_EQUAL(p_clunk(5), EBADF);
	CU_ASSERT_EQUAL(p_remove(ROOT), EBUSY);
	CU_ASSERT_EQUAL(p_clunk(ROOT), EBADF);	/* removed even so */
	CU_ASSERT_EQUAL(p_attach(ROOT, NULL), 0);
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "dir", P9_DOTL_AT_REMOVEDIR), 0);
	CU_ASSERT_FALSE(host_exists("share/dir"));
	/* The fid on the removed directory is stale, not somewhere else. */
	CU_ASSERT_EQUAL(p_walk(4, 7, "moved.txt", NULL, NULL), ENOENT);
	teardown();
}

static void test_p9_open_unlinked(void)
{
	char buf[64];
	struct attr a;

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDWR), 0);
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "hello.txt", 0), 0);
	CU_ASSERT_EQUAL(p_getattr(1, &a), 0);
	CU_ASSERT_EQUAL(a.size, strlen(HELLO));
	CU_ASSERT_EQUAL(p_read(1, 0, 5, buf, sizeof(buf)), 5);
	CU_ASSERT_EQUAL(p_write(1, 0, "J"), 1);
	/* Only the walked file: a new one of that name is another file. */
	host_write("share/hello.txt", "other");
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(3, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(3, 0, 10, buf, sizeof(buf)), 5);
	CU_ASSERT_STRING_EQUAL(buf, "other");
	teardown();
}

/* A name swapped on the host after the walk is not silently opened. */
static void test_p9_stale(void)
{
	char a[256], b[256], buf[64];

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "hello.txt", NULL, NULL), 0);
	host_write("share/swap", "swapped");
	host_path(a, sizeof(a), "share/swap");
	host_path(b, sizeof(b), "share/hello.txt");
	CU_ASSERT_EQUAL_FATAL(rename(a, b), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), ESTALE);
	CU_ASSERT_EQUAL(p_setattr(1, P9_SETATTR_SIZE, 0, 0, 0), ESTALE);
	CU_ASSERT_STRING_EQUAL(host_read("share/hello.txt"), "swapped");
	/* A fresh walk finds the new file. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(2, 0, 64, buf, sizeof(buf)), 7);
	teardown();
}

static void test_p9_readonly(void)
{
	char list[1024], before[1024];
	unsigned int calls;
	struct stat st0, st1;
	char buf[64];

	setup(true);
	CU_ASSERT_EQUAL(host_stat("share/hello.txt", &st0), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 9, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(9, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_list(9, 8192, before, sizeof(before), &calls), 0);

	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_WRONLY), EROFS);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDWR), EROFS);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY | P9_DOTL_TRUNC), EROFS);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(1, 0, 64, buf, sizeof(buf)), strlen(HELLO));
	CU_ASSERT_EQUAL(p_write(1, 0, "x"), -EBADF);
	m_begin(P9_TFSYNC);
	m_u32(1);
	m_u32(0);
	CU_ASSERT_EQUAL(m_send(), 0);

	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lcreate(2, "new", P9_DOTL_RDWR, 0644), EROFS);
	CU_ASSERT_EQUAL(p_mkdir(ROOT, "d", 0755), EROFS);
	CU_ASSERT_EQUAL(p_symlink(ROOT, "s", "hello.txt"), EROFS);
	CU_ASSERT_EQUAL(p_mknod(ROOT, "f", S_IFIFO | 0644), EROFS);
	CU_ASSERT_EQUAL(p_link(ROOT, 1, "l"), EROFS);
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "hello.txt", 0), EROFS);
	CU_ASSERT_EQUAL(p_unlinkat(ROOT, "sub", P9_DOTL_AT_REMOVEDIR), EROFS);
	CU_ASSERT_EQUAL(p_renameat(ROOT, "hello.txt", ROOT, "x"), EROFS);
	CU_ASSERT_EQUAL(p_rename(1, ROOT, "x"), EROFS);
	CU_ASSERT_EQUAL(p_setattr(1, P9_SETATTR_SIZE, 0, 0, 0), EROFS);
	CU_ASSERT_EQUAL(p_setattr(1, P9_SETATTR_MODE, 0777, 0, 0), EROFS);
	CU_ASSERT_EQUAL(p_setattr(1, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET,
				  0, 0, 1), EROFS);
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "sub/inner.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_remove(3), EROFS);
	CU_ASSERT_EQUAL(p_clunk(3), EBADF);
	m_begin(P9_TXATTRCREATE);
	m_u32(1);
	m_str("user.x");
	m_u64(1);
	m_u32(0);
	CU_ASSERT_NOT_EQUAL(m_send(), 0);

	/* Nothing changed on disk. */
	CU_ASSERT_EQUAL(host_stat("share/hello.txt", &st1), 0);
	CU_ASSERT_STRING_EQUAL(host_read("share/hello.txt"), HELLO);
	CU_ASSERT_EQUAL(st0.st_mode, st1.st_mode);
	CU_ASSERT_EQUAL(st0.st_mtime, st1.st_mtime);
	CU_ASSERT_EQUAL(st0.st_nlink, st1.st_nlink);
	CU_ASSERT_STRING_EQUAL(host_read("share/sub/inner.txt"), "inner");
	CU_ASSERT_EQUAL(p_list(9, 8192, list, sizeof(list), &calls), 0);
	CU_ASSERT_STRING_EQUAL(list, before);
	teardown();
}

static void test_p9_escape_dotdot(void)
{
	uint8_t root_qid[P9_QID_SIZE], qid[P9_QID_SIZE];
	unsigned int nq;
	struct attr a;

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_getattr(1, &a), 0);
	memcpy(root_qid, a.qid, P9_QID_SIZE);

	/* '..' at the root is the root. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "..", &nq, qid), 0);
	CU_ASSERT_EQUAL(nq, 1);
	CU_ASSERT_EQUAL(memcmp(qid, root_qid, P9_QID_SIZE), 0);
	CU_ASSERT_EQUAL(p_getattr(2, &a), 0);
	CU_ASSERT_EQUAL(memcmp(a.qid, root_qid, P9_QID_SIZE), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "../../../..", NULL, qid), 0);
	CU_ASSERT_EQUAL(memcmp(qid, root_qid, P9_QID_SIZE), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "../secret", &nq, NULL), PARTIAL);
	CU_ASSERT_EQUAL(nq, 1);
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "sub/../../secret", &nq, NULL),
			PARTIAL);
	CU_ASSERT_EQUAL(nq, 3);
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "sub/..", NULL, qid), 0);
	CU_ASSERT_EQUAL(memcmp(qid, root_qid, P9_QID_SIZE), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 5, "sub/../hello.txt", NULL, NULL), 0);

	/* Creating after '..' lands in the share. */
	CU_ASSERT_EQUAL(p_lcreate(3, "made", P9_DOTL_RDWR, 0644), 0);
	CU_ASSERT_TRUE(host_exists("share/made"));
	CU_ASSERT_FALSE(host_exists("made"));
	CU_ASSERT_EQUAL(p_mkdir(4, "mkd", 0755), 0);
	CU_ASSERT_TRUE(host_exists("share/mkd"));
	CU_ASSERT_FALSE(host_exists("mkd"));
	teardown();
}

static void test_p9_escape_symlinks(void)
{
	static const char *const links[] = {
		"link_root", "link_up", "link_secret", "link_out", "link_abs",
	};
	uint8_t qid[P9_QID_SIZE];
	unsigned int i, nq;
	struct stat st;
	char buf[256];
	mode_t um = umask(0);

	umask(um);
	setup(false);
	/*
	 * link_out leads to base, which mkdtemp() made 0700, the mode set
	 * through the links below: give it another, so that a change shows.
	 */
	CU_ASSERT_EQUAL_FATAL(chmod(t.base, 0751), 0);
	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++) {
		uint32_t fid = 10 + i;
		char path[64];

		/* The walk stops at the link itself... */
		CU_ASSERT_EQUAL(p_walk(ROOT, fid, links[i], NULL, qid), 0);
		CU_ASSERT_EQUAL(qid[0], P9_QTSYMLINK);
		/* ... is never opened through... */
		CU_ASSERT_EQUAL(p_lopen(fid, P9_DOTL_RDONLY), ELOOP);
		CU_ASSERT_EQUAL(p_read(fid, 0, 64, buf, sizeof(buf)), -EBADF);
		/* ... nor walked through... */
		snprintf(path, sizeof(path), "%s/secret", links[i]);
		CU_ASSERT_EQUAL(p_walk(ROOT, 99, path, &nq, NULL), PARTIAL);
		CU_ASSERT_EQUAL(nq, 1);
		snprintf(path, sizeof(path), "%s/etc/passwd", links[i]);
		CU_ASSERT_EQUAL(p_walk(ROOT, 99, path, &nq, NULL), PARTIAL);
		CU_ASSERT_EQUAL(nq, 1);
		CU_ASSERT_EQUAL(p_clunk(99), EBADF);
		CU_ASSERT_EQUAL(p_walk(fid, 99, "secret", NULL, NULL),
				ENOTDIR);
		/* ... and nothing can be made inside it. */
		CU_ASSERT_EQUAL(p_lcreate(fid, "evil", P9_DOTL_RDWR, 0644),
				ENOTDIR);
		CU_ASSERT_EQUAL(p_mkdir(fid, "evil", 0755), ENOTDIR);
		CU_ASSERT_EQUAL(p_symlink(fid, "evil", "x"), ENOTDIR);
		CU_ASSERT_EQUAL(p_renameat(ROOT, "hello.txt", fid, "evil"),
				ENOTDIR);
		CU_ASSERT_EQUAL(p_unlinkat(fid, "secret", 0), ENOTDIR);
		/*
		 * Setting attributes must not reach the target; only the
		 * links into the test's own directory are tried, so a bug
		 * cannot damage the host.
		 */
		if (i >= 2) {
			p_setattr(fid, P9_SETATTR_SIZE, 0, 0, 0);
			p_setattr(fid, P9_SETATTR_MODE, 0700, 0, 0);
			p_setattr(fid, P9_SETATTR_MTIME |
				  P9_SETATTR_MTIME_SET, 0, 0, 1);
		}
	}
	CU_ASSERT_EQUAL(host_stat("secret", &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0644 & ~um);
	CU_ASSERT_NOT_EQUAL(st.st_mtime, 1);
	CU_ASSERT_EQUAL(stat(t.base, &st), 0);
	CU_ASSERT_EQUAL(st.st_mode & 07777, 0751);
	CU_ASSERT_NOT_EQUAL(st.st_mtime, 1);
	CU_ASSERT_EQUAL(p_readlink(12, buf, sizeof(buf)), 0);
	CU_ASSERT_STRING_EQUAL(buf, "../secret");

	/* Creating over a link to the outside neither follows nor clobbers. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lcreate(1, "link_secret", P9_DOTL_RDWR |
				  P9_DOTL_TRUNC, 0644), EEXIST);
	CU_ASSERT_EQUAL(p_lcreate(1, "link_abs", P9_DOTL_WRONLY, 0644),
			EEXIST);
	CU_ASSERT_EQUAL(p_mkdir(ROOT, "link_out", 0755), EEXIST);

	CU_ASSERT_FALSE(host_exists("evil"));
	CU_ASSERT_FALSE(host_exists("share/evil"));
	CU_ASSERT_STRING_EQUAL(host_read("secret"), SECRET);
	teardown();
}

static void test_p9_escape_names(void)
{
	static const char *const bad_create[] = { ".", "..", "a/b", "/abs",
						  "../secret", "" };
	unsigned int i;
	char name[300];

	setup(false);
	/* Walk names with '/' or NUL, absolute or empty. */
	CU_ASSERT_EQUAL(p_walk_raw(ROOT, 1, "sub/inner.txt", 13), EINVAL);
	CU_ASSERT_EQUAL(p_walk_raw(ROOT, 1, "/etc", 4), EINVAL);
	CU_ASSERT_EQUAL(p_walk_raw(ROOT, 1, "../secret", 9), EINVAL);
	CU_ASSERT_EQUAL(p_walk_raw(ROOT, 1, "hello.txt\0x", 11), EINVAL);
	CU_ASSERT_EQUAL(p_walk_raw(ROOT, 1, "", 0), EINVAL);
	memset(name, 'a', sizeof(name));
	CU_ASSERT_EQUAL(p_walk_raw(ROOT, 1, name, 256), ENAMETOOLONG);
	CU_ASSERT_EQUAL(p_clunk(1), EBADF);

	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "", NULL, NULL), 0);
	for (i = 0; i < sizeof(bad_create) / sizeof(bad_create[0]); i++) {
		const char *n = bad_create[i];

		CU_ASSERT_EQUAL(p_lcreate(2, n, P9_DOTL_RDWR, 0644), EINVAL);
		CU_ASSERT_EQUAL(p_mkdir(ROOT, n, 0755), EINVAL);
		CU_ASSERT_EQUAL(p_symlink(ROOT, n, "x"), EINVAL);
		CU_ASSERT_EQUAL(p_mknod(ROOT, n, S_IFIFO | 0600), EINVAL);
		CU_ASSERT_EQUAL(p_renameat(ROOT, "hello.txt", ROOT, n), EINVAL);
		CU_ASSERT_EQUAL(p_renameat(ROOT, n, ROOT, "x"), EINVAL);
		CU_ASSERT_EQUAL(p_unlinkat(ROOT, n, 0), EINVAL);
		CU_ASSERT_EQUAL(p_link(ROOT, ROOT, n), EINVAL);
	}
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_rename(3, ROOT, "../moved"), EINVAL);
	CU_ASSERT_EQUAL(p_symlink(ROOT, "nul", ""), EINVAL);
	CU_ASSERT_TRUE(host_exists("share/hello.txt"));
	CU_ASSERT_FALSE(host_exists("moved"));
	CU_ASSERT_FALSE(host_exists("x"));
	CU_ASSERT_FALSE(host_exists("share/x"));
	CU_ASSERT_STRING_EQUAL(host_read("secret"), SECRET);
	teardown();
}

static void test_p9_xattr(void)
{
	setup(false);
	m_begin(P9_TXATTRWALK);
	m_u32(ROOT);
	m_u32(1);
	m_str("security.capability");
	CU_ASSERT_EQUAL(m_send(), ENODATA);
	m_begin(P9_TXATTRWALK);
	m_u32(ROOT);
	m_u32(1);
	m_str("");
	CU_ASSERT_EQUAL(m_send(), 0);
	CU_ASSERT_EQUAL(r_u64(), 0);
	CU_ASSERT_EQUAL(p_read(1, 0, 100, NULL, 0), 0);
	CU_ASSERT_EQUAL(p_walk(1, 2, "hello.txt", NULL, NULL), EINVAL);
	CU_ASSERT_EQUAL(p_clunk(1), 0);
	teardown();
}

static void test_p9_malformed(void)
{
	static char big[5001];
	uint8_t small[16];
	size_t n;

	setup(false);
	/* Size field larger than what arrived. */
	m_begin(P9_TCLUNK);
	m_u32(ROOT);
	le32_write(t.req, 100);
	CU_ASSERT_EQUAL(m_send_raw(t.len), EINVAL);
	CU_ASSERT_EQUAL(le16_read(t.resp + 5), TAG);
	/* Smaller than a header; shorter than a header. */
	le32_write(t.req, 3);
	CU_ASSERT_EQUAL(m_send_raw(t.len), EINVAL);
	CU_ASSERT_EQUAL(m_send_raw(3), EINVAL);
	CU_ASSERT_EQUAL(le16_read(t.resp + 5), P9_NOTAG);
	CU_ASSERT_EQUAL(m_send_raw(0), EINVAL);
	/* The size field bounds the body even if more bytes follow. */
	m_begin(P9_TCLUNK);
	m_u32(ROOT);
	le32_write(t.req, P9_HDR_SIZE + 2);
	CU_ASSERT_EQUAL(m_send_raw(t.len), EPROTO);

	/* A string running past the end. */
	m_begin(P9_TWALK);
	m_u32(ROOT);
	m_u32(1);
	m_u16(1);
	m_u16(200);
	m_bytes("abc", 3);
	CU_ASSERT_EQUAL(m_send(), EPROTO);
	m_begin(P9_TVERSION);
	m_u32(8192);
	m_u16(0xffff);
	CU_ASSERT_EQUAL(m_send(), EPROTO);
	/* Too many walk elements. */
	m_begin(P9_TWALK);
	m_u32(ROOT);
	m_u32(1);
	m_u16(P9_MAXWELEM + 1);
	CU_ASSERT_EQUAL(m_send(), EINVAL);
	m_begin(P9_TWALK);
	m_u32(ROOT);
	m_u32(1);
	m_u16(0xffff);
	CU_ASSERT_EQUAL(m_send(), EINVAL);

	/* Huge counts. */
	for (n = 0; n < 5000; n++)
		big[n] = (char)('a' + n % 26);
	big[n] = '\0';
	host_write("share/big", big);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDWR), 0);
	m_begin(P9_TWRITE);
	m_u32(1);
	m_u64(0);
	m_u32(0xffffffff);
	m_bytes("abc", 3);
	CU_ASSERT_EQUAL(m_send(), EPROTO);
	CU_ASSERT_STRING_EQUAL(host_read("share/hello.txt"), HELLO);
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "big", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), 0);
	t.cap = 64;
	CU_ASSERT_EQUAL(p_read(2, 0, 0xffffffff, NULL, 0), 64 - 11);
	CU_ASSERT_EQUAL(t.resp_len, 64);
	CU_ASSERT_EQUAL(memcmp(t.resp + 11, big, 64 - 11), 0);
	t.cap = BUF;
	CU_ASSERT_EQUAL(p_read(2, 4990, 0xffffffff, NULL, 0), 10);
	/* ... and never more than msize. */
	CU_ASSERT_EQUAL(p_version(4096, "9P2000.L"), 0);
	CU_ASSERT_EQUAL(p_attach(ROOT, NULL), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "big", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(1, 0, 0xffffffff, NULL, 0), 4096 - 11);
	CU_ASSERT_EQUAL(t.resp_len, 4096);

	/* Unknown fids, types and responses sent as requests. */
	CU_ASSERT_EQUAL(p_clunk(777), EBADF);
	CU_ASSERT_EQUAL(p_lopen(777, 0), EBADF);
	CU_ASSERT_EQUAL(p_walk(777, 778, "sub", NULL, NULL), EBADF);
	CU_ASSERT_EQUAL(p_getattr(777, NULL), EBADF);
	CU_ASSERT_EQUAL(p_walk(ROOT, P9_NOFID, "sub", NULL, NULL), EINVAL);
	m_begin(200);
	CU_ASSERT_EQUAL(m_send(), EOPNOTSUPP);
	m_begin(P9_TVERSION + 1);
	CU_ASSERT_EQUAL(m_send(), EOPNOTSUPP);
	m_begin(P9_TAUTH);
	m_u32(5);
	m_str("u");
	m_str("");
	m_u32(0);
	CU_ASSERT_EQUAL(m_send(), EOPNOTSUPP);
	m_begin(124);	/* 9P2000 Tstat */
	m_u32(ROOT);
	CU_ASSERT_EQUAL(m_send(), EOPNOTSUPP);
	m_begin(P9_TFLUSH);
	m_u16(TAG);
	CU_ASSERT_EQUAL(m_send(), 0);
	CU_ASSERT_EQUAL(t.resp_len, P9_HDR_SIZE);

	/* Room for nothing, or only for an error. */
	m_begin(P9_TCLUNK);
	m_u32(ROOT);
	le32_write(t.req, (uint32_t)t.len);
	CU_ASSERT_EQUAL(p9_handle(t.s, t.req, t.len, small, 10), 0);
	m_begin(P9_TGETATTR);
	m_u32(ROOT);
	m_u64(P9_GETATTR_BASIC);
	le32_write(t.req, (uint32_t)t.len);
	n = p9_handle(t.s, t.req, t.len, small, 11);
	CU_ASSERT_EQUAL(n, 11);
	CU_ASSERT_EQUAL(small[4], P9_RLERROR);
	CU_ASSERT_EQUAL(le32_read(small + 7), ENOBUFS);
	teardown();
}

/* Random bodies for every request type: framed answers, no escape. */
static void test_p9_fuzz(void)
{
	uint32_t x = 0x9e3779b9;
	unsigned int i, j;

	setup(false);
	for (i = 0; i < 20000; i++) {
		static const uint8_t types[] = {
			8, 12, 14, 16, 18, 20, 22, 24, 26, 30, 32, 40, 50, 52,
			54, 70, 72, 74, 76, 100, 104, 108, 110, 116, 118, 120,
			122,
		};
		unsigned int body;

		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		m_begin(types[x % sizeof(types)]);
		/* Small fids and short strings hit real code paths. */
		body = (x >> 8) % 64;
		for (j = 0; j < body; j++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			m_u8((x & 0x300) ? (uint8_t)(x & 0x7) : (uint8_t)x);
		}
		if (t.req[4] == P9_TVERSION)
			continue;	/* would need a new attach each time */
		t.cap = 11 + x % 300;
		m_send();
		t.cap = BUF;
		if (i % 500 == 0) {
			p_attach(ROOT, NULL);
			p_walk(ROOT, 1, "sub", NULL, NULL);
			p_walk(ROOT, 2, "hello.txt", NULL, NULL);
			p_lopen(2, P9_DOTL_RDONLY);
		}
	}
	CU_ASSERT_STRING_EQUAL(host_read("secret"), SECRET);
	CU_ASSERT_FALSE(host_exists("x"));
	teardown();
}

static void test_p9_fid_limit(void)
{
	uint32_t i;

	setup(false);
	for (i = 1; i < P9_FIDS_MAX; i++)
		if (p_walk(ROOT, i, "", NULL, NULL))
			break;
	CU_ASSERT_EQUAL(i, P9_FIDS_MAX);
	CU_ASSERT_EQUAL(p_walk(ROOT, P9_FIDS_MAX, "", NULL, NULL), EMFILE);
	CU_ASSERT_EQUAL(p_attach(P9_FIDS_MAX, NULL), EMFILE);
	CU_ASSERT_EQUAL(p_walk(ROOT, 5, "", NULL, NULL), EEXIST);
	CU_ASSERT_EQUAL(p_clunk(5), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, P9_FIDS_MAX, "", NULL, NULL), 0);
	teardown();
}

/*
 * More fids than descriptors: idle nodes give theirs back and reopen on
 * demand, also after their directory was renamed.
 */
static void test_p9_many_fids(void)
{
	struct rlimit old, low;
	char name[64], buf[64];
	struct attr a;
	unsigned int i;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, &old), 0);
	low = old;
	low.rlim_cur = 128;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
	setup(false);
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "share/sub/f%03u", i);
		host_write(name, name);
	}
	for (i = 0; i < 300; i++) {
		snprintf(name, sizeof(name), "sub/f%03u", i);
		CU_ASSERT_EQUAL(p_walk(ROOT, 100 + i, name, NULL, NULL), 0);
		CU_ASSERT_EQUAL(p_getattr(100 + i, &a), 0);
	}
	CU_ASSERT_EQUAL(p_renameat(ROOT, "sub", ROOT, "moved"), 0);
	for (i = 0; i < 300; i++) {
		char want[64];

		snprintf(want, sizeof(want), "share/sub/f%03u", i);
		CU_ASSERT_EQUAL(p_getattr(100 + i, &a), 0);
		CU_ASSERT_EQUAL(a.size, strlen(want));
		if (i % 10)
			continue;
		/* Open ones keep their descriptor: only a few at a time. */
		CU_ASSERT_EQUAL(p_lopen(100 + i, P9_DOTL_RDONLY), 0);
		CU_ASSERT_EQUAL(p_read(100 + i, 0, 64, buf, sizeof(buf)),
				strlen(want));
		CU_ASSERT_STRING_EQUAL(buf, want);
		CU_ASSERT_EQUAL(p_clunk(100 + i), 0);
	}
	teardown();
	setrlimit(RLIMIT_NOFILE, &old);
}

/* Descriptors the process has open now. */
static int count_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int n = 0;

	if (!d) {
		CU_FAIL("cannot list /proc/self/fd (out of descriptors?)");
		return 1 << 20;
	}
	while ((e = readdir(d)))
		n += e->d_name[0] != '.';
	closedir(d);
	return n - 1;		/* not the one that listed them */
}

static void set_nofile(struct rlimit *old, rlim_t cur)
{
	struct rlimit low;

	CU_ASSERT_EQUAL_FATAL(getrlimit(RLIMIT_NOFILE, old), 0);
	low = *old;
	low.rlim_cur = cur;
	CU_ASSERT_EQUAL_FATAL(setrlimit(RLIMIT_NOFILE, &low), 0);
}

/*
 * Opens hello.txt through fids first, first + 1, ... until the server
 * says EMFILE (anything else fails the test); returns how many opened.
 */
static unsigned int open_until_emfile(uint32_t first, unsigned int max)
{
	unsigned int i;

	for (i = 0; i < max; i++) {
		int err = p_walk(ROOT, first + i, "hello.txt", NULL, NULL);

		if (!err)
			err = p_lopen(first + i, P9_DOTL_RDONLY);
		if (err) {
			CU_ASSERT_EQUAL(err, EMFILE);
			p_clunk(first + i);
			return i;
		}
	}
	CU_FAIL("no EMFILE");
	return i;
}

/*
 * Files open for I/O are bounded too: the server says EMFILE while the
 * process still has descriptors, having used at most half of them.
 */
static void test_p9_io_limit(void)
{
	struct rlimit old;
	unsigned int opened;
	int before, fd;

	set_nofile(&old, 100);
	before = count_fds();
	setup(false);
	opened = open_until_emfile(100, 100);
	CU_ASSERT_TRUE(opened >= 100 / 8);
	CU_ASSERT_TRUE(count_fds() - before <= 100 / 2);
	fd = open("/dev/null", O_RDONLY);
	CU_ASSERT_TRUE(fd >= 0);
	close(fd);
	CU_ASSERT_EQUAL(p_lcreate(ROOT, "new", P9_DOTL_RDWR, 0644), EMFILE);
	CU_ASSERT_FALSE(host_exists("share/new"));
	CU_ASSERT_EQUAL(p_clunk(100), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 99, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(99, P9_DOTL_RDONLY), 0);
	teardown();
	setrlimit(RLIMIT_NOFILE, &old);
}

/*
 * A walked file, stat'ed, then unlinked: its node keeps a descriptor
 * only while it is among the recently used, so doing that again and
 * again with the fids kept never runs the process out of descriptors.
 */
static void test_p9_unlinked_fds(void)
{
	unsigned int i, done = 0;
	struct rlimit old;
	char path[256];
	struct attr a;
	int before, fd;

	set_nofile(&old, 256);
	setup(false);
	host_path(path, sizeof(path), "share/gone");
	before = count_fds();
	for (i = 0; i < 1000; i++) {
		fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
		if (fd < 0)
			break;
		close(fd);
		if (p_walk(ROOT, 1000 + i, "gone", NULL, NULL) ||
		    p_getattr(1000 + i, &a) || p_unlinkat(ROOT, "gone", 0))
			break;
		done++;
	}
	CU_ASSERT_EQUAL(done, 1000);
	if (done != 1000) {
		/* Out of descriptors: give them back before anything else. */
		teardown();
		setrlimit(RLIMIT_NOFILE, &old);
		return;
	}
	CU_ASSERT_TRUE(count_fds() - before <= 256 / 2);
	/* The newest still answers; the oldest are stale, not EMFILE. */
	CU_ASSERT_EQUAL(p_getattr(1000 + done - 1, &a), 0);
	CU_ASSERT_EQUAL(p_getattr(1000, &a), ESTALE);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_read(1, 0, 5, NULL, 0), 5);
	teardown();
	setrlimit(RLIMIT_NOFILE, &old);
}

#define DEEP		300

/*
 * A path deeper than the descriptor budget, every level of it closed
 * since: reaching its end reopens the levels two at a time, not all at
 * once, and not with a search per level.
 */
static void test_p9_deep_path(void)
{
	unsigned int i;
	struct rlimit old;
	char name[256];
	struct attr a;
	int before, dfd, next;

	set_nofile(&old, 256);
	setup(false);
	host_path(name, sizeof(name), "share");
	dfd = open(name, O_PATH | O_DIRECTORY);
	for (i = 0; i < DEEP && dfd >= 0; i++) {
		CU_ASSERT_FATAL(mkdirat(dfd, "d", 0755) == 0);
		next = openat(dfd, "d", O_PATH | O_DIRECTORY);
		close(dfd);
		dfd = next;
	}
	CU_ASSERT_FATAL(dfd >= 0);
	close(dfd);
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "share/sub/f%03u", i);
		host_write(name, "x");
	}
	before = count_fds();
	CU_ASSERT_EQUAL(p_walk(ROOT, 1000, "", NULL, NULL), 0);
	for (i = 0; i < DEEP; i++)
		CU_ASSERT_EQUAL(p_walk(1000 + i, 1001 + i, "d", NULL, NULL), 0);
	/* Everything of the deep path falls off the LRU. */
	for (i = 0; i < 100; i++) {
		snprintf(name, sizeof(name), "sub/f%03u", i);
		CU_ASSERT_EQUAL(p_walk(ROOT, 2000 + i, name, NULL, NULL), 0);
		CU_ASSERT_EQUAL(p_getattr(2000 + i, &a), 0);
	}
	CU_ASSERT_EQUAL(p_getattr(1000 + DEEP, &a), 0);
	CU_ASSERT_EQUAL(a.qid[0], P9_QTDIR);
	CU_ASSERT_EQUAL(p_lcreate(1000 + DEEP, "end", P9_DOTL_RDWR, 0644), 0);
	CU_ASSERT_EQUAL(p_write(1000 + DEEP, 0, "bottom"), 6);
	CU_ASSERT_TRUE(count_fds() - before <= 256 / 2);
	teardown();
	setrlimit(RLIMIT_NOFILE, &old);
}

/*
 * Two shares split the budget evenly, and together stay within half of
 * the process's descriptors; when one goes, the other gets it all.
 */
static void test_p9_two_shares(void)
{
	unsigned int na, nb, more;
	struct p9_server *a, *b;
	struct rlimit old;
	int before, fd;

	set_nofile(&old, 256);
	before = count_fds();
	setup(false);
	a = t.s;
	CU_ASSERT_FATAL(p9_server_new(t.share, false, &b) == 0);
	na = open_until_emfile(100, 256);
	t.s = b;
	CU_ASSERT_EQUAL(p_version(BUF, "9P2000.L"), 0);
	CU_ASSERT_EQUAL(p_attach(ROOT, NULL), 0);
	nb = open_until_emfile(100, 256);
	CU_ASSERT_EQUAL(na, nb);
	CU_ASSERT_TRUE(na >= 256 / 2 / 2 / 8);
	CU_ASSERT_TRUE(count_fds() - before <= 256 / 2);
	fd = open("/dev/null", O_RDONLY);
	CU_ASSERT_TRUE(fd >= 0);
	close(fd);

	p9_server_free(b);
	t.s = a;
	more = open_until_emfile(100 + na, 256);
	CU_ASSERT_TRUE(more > 0);
	CU_ASSERT_TRUE(count_fds() - before <= 256 / 2);
	teardown();
	setrlimit(RLIMIT_NOFILE, &old);
}

/* With '/' shared, /proc and /sys show up but are never opened. */
static void test_p9_pseudo_fs(void)
{
	struct p9_server *s = t.s;
	struct statfs sf;
	struct attr a;

	if ((statfs("/proc/self", &sf) || sf.f_type != 0x9fa0) &&
	    UNIT_ENV_MISSING("no procfs at /proc"))
		return;
	memset(&t, 0, sizeof(t));
	t.cap = BUF;
	CU_ASSERT_FATAL(p9_server_new("/proc", true, &t.s) == 0);
	CU_ASSERT_EQUAL(p_attach(ROOT, NULL), 0);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "cpuinfo", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_getattr(1, &a), 0);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), EACCES);
	CU_ASSERT_EQUAL(p_lopen(ROOT, P9_DOTL_RDONLY), EACCES);
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "self", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), ELOOP);
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "self/mem", NULL, NULL), PARTIAL);
	p9_server_free(t.s);
	t.s = s;
}

static bool fs_is(const char *path, uint32_t magic)
{
	struct statfs sf;

	return !statfs(path, &sf) && (uint32_t)sf.f_type == magic;
}

/* A cgroup directory (v2, else a v1 hierarchy) relative to '/', or NULL. */
static const char *cgroup_dir(void)
{
	static const char *const dirs[] = {
		"sys/fs/cgroup", "sys/fs/cgroup/unified", "sys/fs/cgroup/pids",
		"sys/fs/cgroup/memory", "sys/fs/cgroup/cpu",
	};
	char path[64];
	size_t i;

	for (i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(path, sizeof(path), "/%s/cgroup.procs", dirs[i]);
		if (access(path, F_OK))
			continue;
		snprintf(path, sizeof(path), "/%s", dirs[i]);
		if (fs_is(path, 0x63677270) || fs_is(path, 0x27e0eb))
			return dirs[i];
	}
	return NULL;
}

/* Tsetattr of a file's mode and times to what they are: no change. */
static int p_setattr_same(uint32_t fid, const char *path)
{
	struct stat st;
	int err;

	CU_ASSERT_FATAL(lstat(path, &st) == 0);
	err = p_setattr(fid, P9_SETATTR_MODE, st.st_mode & 07777, 0, 0);
	if (err)
		return err;
	return p_setattr(fid, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET, 0, 0,
			 (uint64_t)st.st_mtime);
}

/*
 * '/' shared writable: nothing in /proc, /sys or a cgroup file system is
 * created, removed, renamed, linked or changed. This runs as root in CI,
 * so every request is one the host itself would refuse or that changes
 * nothing (an existing name, a rename or link across file systems, an
 * unlink procfs does not do, a mode, owner or time set to what it is):
 * a broken guard shows as the wrong errno, never as a change on the host.
 */
static void test_p9_pseudo_fs_changes(void)
{
	const char *cg = cgroup_dir();
	struct stat ver0, ver1, kern0, kern1;
	char share[128];
	bool sys;

	CU_ASSERT_FATAL(fs_is("/proc", 0x9fa0));
	sys = fs_is("/sys", 0x62656572) && !stat("/sys/kernel", &kern0);
	CU_ASSERT_FATAL(stat("/proc/version", &ver0) == 0);
	setup(false);
	p9_server_free(t.s);
	CU_ASSERT_FATAL(p9_server_new("/", false, &t.s) == 0);
	CU_ASSERT_FATAL(p_attach(ROOT, NULL) == 0);
	snprintf(share, sizeof(share), "%.63s/share", t.base + 1);
	CU_ASSERT_EQUAL_FATAL(p_walk(ROOT, 1, "proc", NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(p_walk(ROOT, 2, "proc/version", NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(p_walk(ROOT, 3, share, NULL, NULL), 0);
	CU_ASSERT_EQUAL_FATAL(p_walk(3, 4, "hello.txt", NULL, NULL), 0);

	/* Names made in /proc: each exists, so the host says EEXIST. */
	CU_ASSERT_EQUAL(p_mkdir(1, "self", 0755), EACCES);
	CU_ASSERT_EQUAL(p_walk(1, 8, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lcreate(8, "version", P9_DOTL_RDWR, 0644), EACCES);
	CU_ASSERT_EQUAL(p_symlink(1, "version", "x"), EACCES);
	CU_ASSERT_EQUAL(p_mknod(1, "version", S_IFIFO | 0600), EACCES);
	CU_ASSERT_EQUAL(p_link(1, 4, "version"), EACCES);
	/* Across file systems: EXDEV from the host. */
	CU_ASSERT_EQUAL(p_link(3, 2, "lnk"), EACCES);
	CU_ASSERT_EQUAL(p_renameat(1, "version", 3, "x"), EACCES);
	CU_ASSERT_EQUAL(p_renameat(3, "hello.txt", 1, "x"), EACCES);
	CU_ASSERT_EQUAL(p_rename(2, 3, "x"), EACCES);
	/* procfs has no unlink: EPERM from the host. */
	CU_ASSERT_EQUAL(p_unlinkat(1, "version", 0), EACCES);
	CU_ASSERT_EQUAL(p_walk(ROOT, 9, "proc/version", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_remove(9), EACCES);
	/* Attributes set to what they are; no open, no truncation. */
	CU_ASSERT_EQUAL(p_setattr_same(2, "/proc/version"), EACCES);
	CU_ASSERT_EQUAL(p_chown(2, ver0.st_uid, false, 0), EACCES);
	CU_ASSERT_EQUAL(p_setattr(2, P9_SETATTR_SIZE, 0, 0, 0), EACCES);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), EACCES);
	CU_ASSERT_EQUAL(p_lopen(1, P9_DOTL_RDONLY), EACCES);

	if (sys) {
		CU_ASSERT_EQUAL(p_walk(ROOT, 5, "sys", NULL, NULL), 0);
		CU_ASSERT_EQUAL(p_walk(ROOT, 6, "sys/kernel", NULL, NULL), 0);
		CU_ASSERT_EQUAL(p_mkdir(5, "kernel", 0755), EACCES);
		/* sysfs has no rmdir: EPERM from the host. */
		CU_ASSERT_EQUAL(p_unlinkat(5, "kernel", P9_DOTL_AT_REMOVEDIR),
				EACCES);
		CU_ASSERT_EQUAL(p_setattr_same(6, "/sys/kernel"), EACCES);
		CU_ASSERT_EQUAL(stat("/sys/kernel", &kern1), 0);
		CU_ASSERT_EQUAL(kern1.st_mode, kern0.st_mode);
	}
	if (cg) {
		CU_ASSERT_EQUAL(p_walk(ROOT, 7, cg, NULL, NULL), 0);
		CU_ASSERT_EQUAL(p_mkdir(7, "cgroup.procs", 0755), EACCES);
	}

	/* Nothing changed; the share itself is writable as before. */
	CU_ASSERT_EQUAL(stat("/proc/version", &ver1), 0);
	CU_ASSERT_EQUAL(ver1.st_mode, ver0.st_mode);
	CU_ASSERT_EQUAL(ver1.st_uid, ver0.st_uid);
	CU_ASSERT_FALSE(host_exists("share/x"));
	CU_ASSERT_FALSE(host_exists("share/lnk"));
	CU_ASSERT_TRUE(host_exists("share/hello.txt"));
	CU_ASSERT_EQUAL(p_mkdir(3, "newdir", 0755), 0);
	CU_ASSERT_TRUE(host_exists("share/newdir"));
	teardown();
}

static mode_t host_mode(const char *rel)
{
	struct stat st;

	CU_ASSERT_FATAL(host_stat(rel, &st) == 0);
	return st.st_mode & 07777;
}

static void host_chmod(const char *rel, mode_t mode)
{
	char p[256];

	host_path(p, sizeof(p), rel);
	CU_ASSERT_FATAL(chmod(p, mode) == 0);
}

/* Set-id bits never reach the host, whatever the guest asks for. */
static void test_p9_setid(void)
{
	mode_t um = umask(0);

	setup(false);
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lcreate(1, "suid", P9_DOTL_RDWR, 06755), 0);
	CU_ASSERT_EQUAL(host_mode("share/suid"), 0755);
	CU_ASSERT_EQUAL(p_mkdir(ROOT, "sgid", 06775), 0);
	CU_ASSERT_EQUAL(host_mode("share/sgid"), 0775);
	CU_ASSERT_EQUAL(p_mknod(ROOT, "reg", S_IFREG | 04755), 0);
	CU_ASSERT_EQUAL(host_mode("share/reg"), 0755);
	CU_ASSERT_EQUAL(p_mknod(ROOT, "fifo", S_IFIFO | 06666), 0);
	CU_ASSERT_EQUAL(host_mode("share/fifo"), 0666);

	/* chmod: permissions and sticky pass, set-id bits do not. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "hello.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_setattr(2, P9_SETATTR_MODE, 04755, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/hello.txt"), 0755);
	CU_ASSERT_EQUAL(p_setattr(2, P9_SETATTR_MODE, 02710, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/hello.txt"), 0710);
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "sub", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_setattr(3, P9_SETATTR_MODE, 03777, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub"), 01777);
	/* Through an open fid too. */
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDWR), 0);
	CU_ASSERT_EQUAL(p_setattr(2, P9_SETATTR_MODE, 06700, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/hello.txt"), 0700);

	/* Bits the host set may stay or go, but never come back. */
	host_chmod("share/sub/inner.txt", 04750);
	CU_ASSERT_EQUAL(p_walk(ROOT, 4, "sub/inner.txt", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_setattr(4, P9_SETATTR_MODE, 06700, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub/inner.txt"), 04700);
	CU_ASSERT_EQUAL(p_setattr(4, P9_SETATTR_MODE, 0700, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub/inner.txt"), 0700);
	CU_ASSERT_EQUAL(p_setattr(4, P9_SETATTR_MODE, 04700, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub/inner.txt"), 0700);

	/*
	 * A chown leaves no set-id bit on a file, even the set-group-ID of
	 * a file that is not group executable, which Linux keeps for its
	 * owner; nor does a mode given with it.
	 */
	host_chmod("share/sub/inner.txt", 06745);
	CU_ASSERT_EQUAL(p_chown(4, getuid(), false, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub/inner.txt"), 0745);
	CU_ASSERT_EQUAL(p_chown(4, getuid(), true, 06755), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub/inner.txt"), 0755);

	/* A set-group-ID directory of the host's passes it on as usual. */
	host_mkdir("share/grp");
	host_chmod("share/grp", 02775);
	CU_ASSERT_EQUAL(p_walk(ROOT, 5, "grp", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_mkdir(5, "child", 0755), 0);
	CU_ASSERT_EQUAL(host_mode("share/grp/child"), 02755);
	CU_ASSERT_EQUAL(p_lcreate(5, "file", P9_DOTL_RDWR, 02775), 0);
	CU_ASSERT_EQUAL(host_mode("share/grp/file"), 0775);
	CU_ASSERT_EQUAL(p_chown(5, getuid(), false, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/grp"), 02775);
	teardown();
	umask(um);
}

/* The share's own root keeps the mode and owner the host gave it. */
static void test_p9_root_attrs(void)
{
	mode_t before;
	struct stat st;

	setup(false);
	host_chmod("share", 0750);
	CU_ASSERT_EQUAL(p_setattr(ROOT, P9_SETATTR_MODE, 0777, 0, 0), EPERM);
	CU_ASSERT_EQUAL(p_setattr(ROOT, P9_SETATTR_MODE | P9_SETATTR_MTIME |
				  P9_SETATTR_MTIME_SET, 0777, 0, 1), EPERM);
	CU_ASSERT_EQUAL(p_chown(ROOT, getuid(), false, 0), EPERM);
	/* However the guest gets there. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 1, "sub/..", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_setattr(1, P9_SETATTR_MODE, 04777, 0, 0), EPERM);
	CU_ASSERT_EQUAL(p_walk(ROOT, 2, "", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_lopen(2, P9_DOTL_RDONLY), 0);
	CU_ASSERT_EQUAL(p_setattr(2, P9_SETATTR_MODE, 0777, 0, 0), EPERM);
	before = host_mode("share");
	CU_ASSERT_EQUAL(before, 0750);
	/* Its times are the guest's to set, as a touch of the mount does. */
	CU_ASSERT_EQUAL(p_setattr(ROOT, P9_SETATTR_MTIME |
				  P9_SETATTR_MTIME_SET, 0, 0, 1234567890), 0);
	CU_ASSERT_EQUAL(host_stat("share", &st), 0);
	CU_ASSERT_EQUAL(st.st_mtime, 1234567890);
	/* Directories below it are the guest's. */
	CU_ASSERT_EQUAL(p_walk(ROOT, 3, "sub", NULL, NULL), 0);
	CU_ASSERT_EQUAL(p_setattr(3, P9_SETATTR_MODE, 0700, 0, 0), 0);
	CU_ASSERT_EQUAL(host_mode("share/sub"), 0700);
	teardown();
}

static void test_p9_server_new_fails(void)
{
	struct p9_server *s = NULL;

	CU_ASSERT_EQUAL(p9_server_new("/nonexistent/armz-p9", false, &s),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(err_msg(), "9p share '/nonexistent/armz-p9': "
			       "No such file or directory");
	CU_ASSERT_EQUAL(p9_server_new("/etc/passwd", true, &s), -ENOTDIR);
	CU_ASSERT_PTR_NULL(s);
}

static const CU_TestInfo p9_tests[] = {
	{ "version", test_p9_version },
	{ "read file", test_p9_read_file },
	{ "readdir", test_p9_readdir },
	{ "create and write", test_p9_create_write },
	{ "name operations", test_p9_names },
	{ "open unlinked file", test_p9_open_unlinked },
	{ "stale name", test_p9_stale },
	{ "read-only share", test_p9_readonly },
	{ "escape by ..", test_p9_escape_dotdot },
	{ "escape by symlinks", test_p9_escape_symlinks },
	{ "escape by names", test_p9_escape_names },
	{ "xattrs", test_p9_xattr },
	{ "malformed messages", test_p9_malformed },
	{ "fuzz", test_p9_fuzz },
	{ "fid limit", test_p9_fid_limit },
	{ "more fids than fds", test_p9_many_fids },
	{ "open file limit", test_p9_io_limit },
	{ "unlinked files give descriptors back", test_p9_unlinked_fds },
	{ "a path deeper than the budget", test_p9_deep_path },
	{ "two shares share the budget", test_p9_two_shares },
	{ "host pseudo file systems", test_p9_pseudo_fs },
	{ "no changes in host pseudo file systems",
	  test_p9_pseudo_fs_changes },
	{ "no set-id bits on the host", test_p9_setid },
	{ "the share root's mode and owner", test_p9_root_attrs },
	{ "bad share", test_p9_server_new_fails },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(p9, p9_tests);
