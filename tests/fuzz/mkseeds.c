// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpora of the fuzz targets: valid inputs that take the
 * fuzzer past the parsers at once, into the operations behind them.
 *
 *   mkseeds p9 DIR          9P sessions against fuzz_p9.c's tree
 *   mkseeds virtqueue DIR   guest RAM with well-formed split rings
 *
 * The checked-in tests/fuzz/corpus/ is this program's output; run.sh
 * regenerates it and fails when the two differ, so a change here (or to
 * a wire constant) comes with its corpus.
 */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/le.h>
#include <armz/p9.h>
#include <armz/virtqueue.h>

static const char *outdir;

static void save(const char *name, const uint8_t *buf, size_t len)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", outdir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(buf, 1, len, f) != len || fclose(f)) {
		perror(path);
		exit(1);
	}
}

/* --- 9P: one input is messages back to back --- */

static uint8_t in[16384];
static size_t in_len, msg_at;
static uint16_t next_tag;

static void put8(uint8_t v)
{
	in[in_len++] = v;
}

static void put16(uint16_t v)
{
	le16_write(in + in_len, v);
	in_len += 2;
}

static void put32(uint32_t v)
{
	le32_write(in + in_len, v);
	in_len += 4;
}

static void put64(uint64_t v)
{
	le64_write(in + in_len, v);
	in_len += 8;
}

static void putstr(const char *s)
{
	put16((uint16_t)strlen(s));
	memcpy(in + in_len, s, strlen(s));
	in_len += strlen(s);
}

/* Starts a message; the next msg() or end() fills in its size. */
static void msg(uint8_t type)
{
	if (in_len > msg_at)
		le32_write(in + msg_at, (uint32_t)(in_len - msg_at));
	msg_at = in_len;
	put32(0);
	put8(type);
	put16(type == P9_TVERSION ? P9_NOTAG : next_tag++);
}

static void end(const char *name)
{
	msg(0);			/* closes the last one */
	in_len = msg_at;
	save(name, in, in_len);
	in_len = msg_at = 0;
	next_tag = 1;
}

static void version(uint32_t msize)
{
	msg(P9_TVERSION);
	put32(msize);
	putstr("9P2000.L");
}

/* Version, then fid 0 attached to the share's root. */
static void session(uint32_t msize)
{
	version(msize);
	msg(P9_TATTACH);
	put32(0);
	put32(P9_NOFID);
	putstr("root");
	putstr("");
	put32(0);
}

/* Walks fid to newfid through the '/'-separated path ("" clones). */
static void walk(uint32_t fid, uint32_t newfid, const char *path)
{
	char buf[256], *name, *save = NULL;
	size_t at;
	uint16_t n = 0;

	msg(P9_TWALK);
	put32(fid);
	put32(newfid);
	at = in_len;
	put16(0);
	snprintf(buf, sizeof(buf), "%s", path);
	for (name = strtok_r(buf, "/", &save); name;
	     name = strtok_r(NULL, "/", &save), n++)
		putstr(name);
	le16_write(in + at, n);
}

static void fid_op(uint8_t type, uint32_t fid)
{
	msg(type);
	put32(fid);
}

static void lopen(uint32_t fid, uint32_t flags)
{
	msg(P9_TLOPEN);
	put32(fid);
	put32(flags);
}

static void lcreate(uint32_t fid, const char *name, uint32_t flags,
		    uint32_t mode)
{
	msg(P9_TLCREATE);
	put32(fid);
	putstr(name);
	put32(flags);
	put32(mode);
	put32(0);
}

static void io(uint8_t type, uint32_t fid, uint64_t off, uint32_t count)
{
	msg(type);
	put32(fid);
	put64(off);
	put32(count);
}

static void write_data(uint32_t fid, uint64_t off, const char *data)
{
	io(P9_TWRITE, fid, off, (uint32_t)strlen(data));
	memcpy(in + in_len, data, strlen(data));
	in_len += strlen(data);
}

static void setattr(uint32_t fid, uint32_t valid, uint32_t mode,
		    uint64_t size, uint64_t mtime)
{
	msg(P9_TSETATTR);
	put32(fid);
	put32(valid);
	put32(mode);
	put32(0);		/* uid */
	put32(0);		/* gid */
	put64(size);
	put64(0);		/* atime */
	put64(0);
	put64(mtime);
	put64(0);
}

static void name_op(uint8_t type, uint32_t dfid, const char *name,
		    uint32_t mode)
{
	msg(type);
	put32(dfid);
	putstr(name);
	put32(mode);
	put32(0);		/* gid */
}

static void seeds_p9(void)
{
	next_tag = 1;

	/* Read a file two directories down, then its attributes. */
	session(8192);
	walk(0, 1, "dir/file");
	lopen(1, P9_DOTL_RDONLY);
	io(P9_TREAD, 1, 0, 4096);
	msg(P9_TGETATTR);
	put32(1);
	put64(P9_GETATTR_BASIC);
	fid_op(P9_TCLUNK, 1);
	end("read");

	/* Create, write, sync, read back, stat the file system. */
	session(8192);
	walk(0, 1, "");
	lcreate(1, "new", P9_DOTL_RDWR | P9_DOTL_CREATE, 0644);
	write_data(1, 0, "written by the guest");
	write_data(1, 4096, "and past a hole");
	msg(P9_TFSYNC);
	put32(1);
	put32(0);
	io(P9_TREAD, 1, 0, 64);
	fid_op(P9_TSTATFS, 0);
	fid_op(P9_TCLUNK, 1);
	end("lcreate-write");

	/* Rename by fid and by name, then unlink. */
	session(8192);
	walk(0, 1, "dir/file");
	walk(0, 2, "");
	msg(P9_TRENAME);
	put32(1);
	put32(2);
	putstr("moved");
	msg(P9_TRENAMEAT);
	put32(2);
	putstr("moved");
	put32(0);
	putstr("moved2");
	msg(P9_TUNLINKAT);
	put32(0);
	putstr("moved2");
	put32(0);
	end("rename-unlink");

	/* Directories: make one, list the root, remove it again. */
	session(8192);
	name_op(P9_TMKDIR, 0, "newdir", 0755);
	walk(0, 1, "");
	lopen(1, P9_DOTL_RDONLY | P9_DOTL_DIRECTORY);
	io(P9_TREADDIR, 1, 0, 4096);
	io(P9_TREADDIR, 1, 3, 4096);
	msg(P9_TUNLINKAT);
	put32(0);
	putstr("newdir");
	put32(P9_DOTL_AT_REMOVEDIR);
	end("mkdir-readdir");

	/* Every attribute a guest may set: mode, size, times. */
	session(8192);
	walk(0, 1, "big");
	setattr(1, P9_SETATTR_MODE, 0600, 0, 0);
	setattr(1, P9_SETATTR_SIZE, 0, 100, 0);
	setattr(1, P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET |
		P9_SETATTR_ATIME, 0, 0, 12345);
	lopen(1, P9_DOTL_RDWR | P9_DOTL_TRUNC);
	fid_op(P9_TREMOVE, 1);
	end("setattr");

	/* Links: symbolic, hard, a node; read a link back. */
	session(8192);
	msg(P9_TSYMLINK);
	put32(0);
	putstr("sl");
	putstr("dir/file");
	put32(0);
	walk(0, 1, "sl");
	fid_op(P9_TREADLINK, 1);
	walk(0, 2, "dir/file");
	msg(P9_TLINK);
	put32(0);
	put32(2);
	putstr("hard");
	msg(P9_TMKNOD);
	put32(0);
	putstr("fifo");
	put32(0010644);
	put32(0);
	put32(0);
	put32(0);
	end("links");

	/* Extended attributes: try to set one, list them, read one. */
	session(8192);
	walk(0, 1, "dir/file");
	msg(P9_TXATTRCREATE);
	put32(1);
	putstr("user.armz");
	put64(5);
	put32(0);
	write_data(1, 0, "value");
	fid_op(P9_TCLUNK, 1);
	walk(0, 2, "dir/file");
	msg(P9_TXATTRWALK);
	put32(2);
	put32(3);
	putstr("");
	io(P9_TREAD, 3, 0, 64);
	msg(P9_TXATTRWALK);
	put32(2);
	put32(4);
	putstr("user.armz");
	end("xattr");

	/* Locks on an open file. */
	session(8192);
	walk(0, 1, "dir/file");
	lopen(1, P9_DOTL_RDWR);
	msg(P9_TLOCK);
	put32(1);
	put8(P9_LOCK_TYPE_WRLCK);
	put32(0);
	put64(0);
	put64(0);
	put32(1);
	putstr("guest");
	msg(P9_TGETLOCK);
	put32(1);
	put8(P9_LOCK_TYPE_RDLCK);
	put64(0);
	put64(0);
	put32(2);
	putstr("guest");
	msg(P9_TFLUSH);
	put16(1);
	end("lock");

	/* The way out: through the links that point outside. */
	session(8192);
	walk(0, 1, "up");
	walk(0, 2, "canary");
	walk(0, 3, "escape/passwd");
	setattr(1, P9_SETATTR_MODE | P9_SETATTR_MTIME | P9_SETATTR_MTIME_SET,
		0700, 0, 1);
	setattr(2, P9_SETATTR_SIZE, 0, 0, 0);
	lopen(2, P9_DOTL_WRONLY | P9_DOTL_TRUNC);
	walk(0, 4, "dir/..");
	walk(4, 5, "..");
	lcreate(5, "outside", P9_DOTL_RDWR | P9_DOTL_CREATE, 0644);
	/* Names that are paths. */
	walk(0, 6, "");
	lcreate(6, "../outside", P9_DOTL_RDWR | P9_DOTL_CREATE, 0644);
	name_op(P9_TMKDIR, 0, "../outdir", 0755);
	msg(P9_TRENAMEAT);
	put32(0);
	putstr("big");
	put32(0);
	putstr("../big");
	msg(P9_TUNLINKAT);
	put32(0);
	putstr("up/canary");
	put32(0);
	end("escape");

	/* A lowered msize, then a read and a listing that want more. */
	session(P9_MSIZE_MIN);
	walk(0, 1, "big");
	lopen(1, P9_DOTL_RDONLY);
	io(P9_TREAD, 1, 0, 8192);
	walk(0, 2, "");
	lopen(2, P9_DOTL_RDONLY);
	io(P9_TREADDIR, 2, 0, 8192);
	version(P9_MSIZE_MIN);
	end("small-msize");
}

/* --- virtqueue: fuzz_virtqueue.c's 16-byte header, then guest RAM --- */

#define VQ_HDR		16
#define DESC		0x000
#define AVAIL		0x400
#define USED		0x600
#define TABLE		0x800
#define BUF		0x1000

static uint8_t vq[VQ_HDR + 0x2000];

/* num = 1 << (hdr[0] % 9); features bits 28/29 from hdr[1] & 3. */
static void vq_begin(unsigned int log2num, unsigned int feat)
{
	memset(vq, 0, sizeof(vq));
	vq[0] = (uint8_t)log2num;
	vq[1] = (uint8_t)feat;
	le16_write(vq + 2, DESC);
	le16_write(vq + 4, AVAIL);
	le16_write(vq + 6, USED);
	vq[8] = 3;		/* read from offset 3 of each chain */
	vq[9] = 1;		/* write from offset 1 */
}

static void vq_desc(uint64_t table, unsigned int i, uint64_t addr,
		    uint32_t len, uint16_t flags, uint16_t next)
{
	uint8_t *d = vq + VQ_HDR + table + 16 * i;

	le64_write(d, 0x40000000ULL + addr);
	le32_write(d + 8, len);
	le16_write(d + 12, flags);
	le16_write(d + 14, next);
}

static void vq_avail(unsigned int n, const uint16_t *heads)
{
	uint8_t *a = vq + VQ_HDR + AVAIL;
	unsigned int i;

	for (i = 0; i < n; i++)
		le16_write(a + 4 + 2 * i, heads[i]);
	le16_write(a + 2, (uint16_t)n);
}

static void seeds_virtqueue(void)
{
	static const uint16_t two[] = { 0, 3 }, one[] = { 0 };

	/* Two direct chains: read then write, and a lone writable one. */
	vq_begin(4, 0);
	vq_desc(DESC, 0, BUF, 64, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(DESC, 1, BUF + 0x100, 32, VIRTQ_DESC_F_NEXT, 2);
	vq_desc(DESC, 2, BUF + 0x200, 128, VIRTQ_DESC_F_WRITE, 0);
	vq_desc(DESC, 3, BUF + 0x300, 16, VIRTQ_DESC_F_WRITE, 0);
	vq_avail(2, two);
	save("direct", vq, VQ_HDR + BUF);

	/* An indirect table of three behind one descriptor. */
	vq_begin(4, 1);
	vq_desc(TABLE, 0, BUF, 16, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(TABLE, 1, BUF + 0x100, 100, VIRTQ_DESC_F_WRITE |
		VIRTQ_DESC_F_NEXT, 2);
	vq_desc(TABLE, 2, BUF + 0x200, 4, VIRTQ_DESC_F_WRITE, 0);
	vq_desc(DESC, 0, TABLE, 3 * 16, VIRTQ_DESC_F_INDIRECT, 0);
	vq_avail(1, one);
	save("indirect", vq, VQ_HDR + BUF);

	/* Event indexes: used_event after the avail ring. */
	vq_begin(3, 2);
	vq_desc(DESC, 0, BUF, 8, VIRTQ_DESC_F_NEXT, 1);
	vq_desc(DESC, 1, BUF + 0x100, 8, VIRTQ_DESC_F_WRITE, 0);
	vq_desc(DESC, 3, BUF + 0x200, 8, 0, 0);
	vq_avail(2, two);
	le16_write(vq + VQ_HDR + AVAIL + 4 + 2 * 8, 1);
	save("event-idx", vq, VQ_HDR + BUF);

	/* Both, with a zero-length descriptor and a full ring of 8. */
	vq_begin(3, 3);
	for (unsigned int i = 0; i < 8; i++) {
		uint16_t head = (uint16_t)i;

		vq_desc(DESC, i, BUF + 0x40 * i, i ? 0x40 : 0,
			i & 1 ? VIRTQ_DESC_F_WRITE : 0, 0);
		le16_write(vq + VQ_HDR + AVAIL + 4 + 2 * i, head);
	}
	le16_write(vq + VQ_HDR + AVAIL + 2, 8);
	save("full-ring", vq, VQ_HDR + BUF);
}

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: mkseeds p9|virtqueue DIR\n");
		return 2;
	}
	outdir = argv[2];
	if (!strcmp(argv[1], "p9"))
		seeds_p9();
	else if (!strcmp(argv[1], "virtqueue"))
		seeds_virtqueue();
	else {
		fprintf(stderr, "mkseeds: no target '%s'\n", argv[1]);
		return 2;
	}
	return 0;
}
