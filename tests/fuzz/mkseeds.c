// SPDX-License-Identifier: GPL-2.0
/*
 * Writes the seed corpora of the fuzz targets: valid inputs that take the
 * fuzzer past the parsers at once, into the operations behind them.
 *
 *   mkseeds p9 DIR          9P sessions against fuzz_p9.c's tree
 *   mkseeds virtqueue DIR   guest RAM with well-formed split rings
 *   ...                     and the other targets run.sh lists
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

#include <armz/gdb-packet.h>
#include <armz/le.h>
#include <armz/p9.h>
#include <armz/pvpanic.h>
#include <armz/test-exit.h>
#include <armz/uart.h>
#include <armz/net-hdr.h>
#include <armz/virtio-blk.h>
#include <armz/virtio-net.h>
#include <armz/virtio-mmio.h>
#include <armz/virtqueue.h>

#include "harness.h"

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

/* --- Building one input in in[], field by field, little-endian --- */

static uint8_t in[65536];
static size_t in_len, msg_at;
static uint16_t next_tag;

static void room(size_t n)
{
	if (n > sizeof(in) - in_len) {
		fprintf(stderr, "mkseeds: a seed outgrew %zu bytes\n",
			sizeof(in));
		exit(1);
	}
}

static void put8(uint8_t v)
{
	room(1);
	in[in_len++] = v;
}

static void put16(uint16_t v)
{
	room(2);
	le16_write(in + in_len, v);
	in_len += 2;
}

static void put32(uint32_t v)
{
	room(4);
	le32_write(in + in_len, v);
	in_len += 4;
}

static void put64(uint64_t v)
{
	room(8);
	le64_write(in + in_len, v);
	in_len += 8;
}

static void putmem(const void *p, size_t len)
{
	room(len);
	memcpy(in + in_len, p, len);
	in_len += len;
}

static void putstr(const char *s)
{
	put16((uint16_t)strlen(s));
	putmem(s, strlen(s));
}

/* A blob as harness.c's fz_blob() reads it: u16 length, bytes. */
static void putblob(const void *p, size_t len)
{
	put16((uint16_t)len);
	putmem(p, len);
}

/* Saves in[] as a seed and starts the next one. */
static void done(const char *name)
{
	save(name, in, in_len);
	in_len = 0;
}

/* --- 9P: one input is messages back to back --- */

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
	putmem(data, strlen(data));
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

/* --- virtio targets: harness.h's ops --- */

static void op_write32(uint16_t off, uint32_t v)
{
	put8(VH_OP_WRITE32);
	put16(off);
	put32(v);
}

static void op_read(uint16_t off, uint8_t width)
{
	put8(VH_OP_READ);
	put16(off);
	put8((uint8_t)(width - 1));
}

static void op_write(uint16_t off, uint8_t width, uint64_t v)
{
	put8(VH_OP_WRITE);
	put16(off);
	put8((uint8_t)(width - 1));
	put64(v);
}

static void op_kick(uint8_t q)
{
	put8(VH_OP_KICK);
	put8(q);
}

/* Every feature the device offers. */
static void op_features(uint64_t f)
{
	put8(VH_OP_FEATURES);
	put64(f);
}

static void op_queue(uint8_t q, uint8_t log2num, uint16_t desc,
		     uint16_t avail, uint16_t used)
{
	put8(VH_OP_QUEUE);
	put8(q);
	put8(log2num);
	put16(desc);
	put16(avail);
	put16(used);
}

static void op(uint8_t op)
{
	put8(op);
}

struct buf {
	uint16_t off, len;
	bool write;
};

static void op_chain(uint8_t q, unsigned int n, const struct buf *b)
{
	put8(VH_OP_CHAIN);
	put8(q);
	put8((uint8_t)n);
	for (unsigned int i = 0; i < n; i++) {
		put16(b[i].off);
		put16(b[i].len);
		put8(b[i].write);
	}
}

static void op_poke(uint16_t off, const void *p, size_t len)
{
	put8(VH_OP_POKE);
	put16(off);
	putblob(p, len);
}

/* The usual start: all features, queues 0 .. n-1 of 2^log2 entries. */
static void vq_start(unsigned int n, uint8_t log2num)
{
	op_features(~0ULL);
	for (unsigned int q = 0; q < n; q++)
		op_queue((uint8_t)q, log2num, (uint16_t)(0x1000 * q),
			 (uint16_t)(0x1000 * q + 0x800),
			 (uint16_t)(0x1000 * q + 0xc00));
	op(VH_OP_DRIVER_OK);
}

/* Where the seeds put buffers: past the rings of 8 queues. */
#define DATA	0x8000

/* --- mmio: fuzz_mmio.c's header, RAM, ops --- */

static void mmio_hdr(unsigned int nq, unsigned int log2num,
		     unsigned int workers, unsigned int config_size,
		     uint8_t flags, uint64_t features)
{
	put8((uint8_t)(nq - 1));
	put8((uint8_t)log2num);
	put8((uint8_t)(workers - 1));
	put8((uint8_t)(config_size - 1));
	put8(flags);
	put64(features);
	put16(0);
	put8(0);
	putblob(NULL, 0);	/* RAM: all zeros */
}

static void mmio_access(uint8_t region, uint16_t off, uint8_t width,
			bool write, uint64_t v)
{
	put8(VH_OP_DEVICE + 0);
	put8(region);
	put16(off);
	put8((uint8_t)(width - 1));
	put8(write);
	put64(v);
}

static void seeds_mmio(void)
{
	static const struct buf rw[] = {
		{ DATA, 64, false }, { DATA + 0x100, 64, true },
	}, wr[] = {
		{ DATA + 0x200, 16, false }, { DATA + 0x300, 32, true },
		{ DATA + 0x400, 8, true },
	};
	static const uint8_t bad = 0xff, cfg[] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	/* Two queues, a chain on each, interrupts acknowledged. */
	mmio_hdr(2, 4, 2, 64, 4, 0x5);
	vq_start(2, 4);
	op_chain(0, 2, rw);
	op_kick(0);
	op_chain(1, 3, wr);
	op_kick(1);
	op_read(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	op_write32(VIRTIO_MMIO_INTERRUPT_ACK, 3);
	op(VH_OP_DEVICE + 2);
	op(VH_OP_RESET);
	done("two-queues");

	/* Config space at every width, read-only half too, generation. */
	mmio_hdr(1, 3, 1, 256, 4, 0);
	for (unsigned int w = 1; w <= 8; w *= 2) {
		op_write((uint16_t)(VIRTIO_MMIO_CONFIG + 8 * w), (uint8_t)w,
			 0x1122334455667788ULL);
		op_read((uint16_t)(VIRTIO_MMIO_CONFIG + 8 * w), (uint8_t)w);
		op_read((uint16_t)(VIRTIO_MMIO_CONFIG + 0x80 + w), (uint8_t)w);
	}
	op_read(VIRTIO_MMIO_CONFIG + 0xfc, 8);
	op_read(VIRTIO_MMIO_CONFIG + 0xff, 3);
	op_read(VIRTIO_MMIO_CONFIG_GENERATION, 4);
	vq_start(1, 3);
	put8(VH_OP_DEVICE + 1);
	put8(4);
	putblob(cfg, sizeof(cfg));
	op_read(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	op_read(VIRTIO_MMIO_CONFIG_GENERATION, 4);
	op(VH_OP_DEVICE + 2);
	done("config");

	/* The registers one by one, as a driver probes them. */
	mmio_hdr(3, 8, 1, 16, 0, 0xffffff);
	op_read(VIRTIO_MMIO_MAGIC_VALUE, 4);
	op_read(VIRTIO_MMIO_VERSION, 4);
	op_read(VIRTIO_MMIO_DEVICE_ID, 4);
	op_write32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	op_write32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_DRIVER);
	op_write32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	op_read(VIRTIO_MMIO_DEVICE_FEATURES, 4);
	op_write32(VIRTIO_MMIO_DEVICE_FEATURES_SEL, 2);
	op_read(VIRTIO_MMIO_DEVICE_FEATURES, 4);
	op_write32(VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	op_write32(VIRTIO_MMIO_DRIVER_FEATURES, 1);
	op_write32(VIRTIO_MMIO_STATUS, VIRTIO_STATUS_FEATURES_OK);
	op_read(VIRTIO_MMIO_STATUS, 4);
	op_write32(VIRTIO_MMIO_QUEUE_SEL, 2);
	op_read(VIRTIO_MMIO_QUEUE_NUM_MAX, 4);
	op_write32(VIRTIO_MMIO_QUEUE_NUM, 3);
	op_write32(VIRTIO_MMIO_QUEUE_NUM, 64);
	op_write32(VIRTIO_MMIO_QUEUE_DESC_LOW, 0x40000000);
	op_write32(VIRTIO_MMIO_QUEUE_DESC_HIGH, 0);
	op_write32(VIRTIO_MMIO_QUEUE_DRIVER_LOW, 0x40000400);
	op_write32(VIRTIO_MMIO_QUEUE_DEVICE_LOW, 0x40001000);
	op_write32(VIRTIO_MMIO_QUEUE_READY, 1);
	op_write32(VIRTIO_MMIO_QUEUE_NUM, 8);
	op_read(VIRTIO_MMIO_QUEUE_DESC_LOW, 4);
	op_write32(VIRTIO_MMIO_QUEUE_SEL, 7);
	op_read(VIRTIO_MMIO_QUEUE_NUM_MAX, 4);
	op_write32(VIRTIO_MMIO_SHM_SEL, 0);
	op_read(VIRTIO_MMIO_SHM_LEN_LOW, 4);
	op_read(VIRTIO_MMIO_SHM_BASE_HIGH, 4);
	op_write32(VIRTIO_MMIO_STATUS, 0xf);
	op_write32(VIRTIO_MMIO_QUEUE_NOTIFY, 2);
	op_write32(VIRTIO_MMIO_QUEUE_NOTIFY, 9);
	op_read(VIRTIO_MMIO_STATUS, 2);
	op_write(VIRTIO_MMIO_STATUS, 8, 0);
	op_read(0x1fc, 8);
	op_write32(VIRTIO_MMIO_STATUS, 0);
	done("registers");

	/* A kick before DRIVER_OK, served when the device starts. */
	mmio_hdr(1, 4, 1, 8, 0, 0);
	op_features(~0ULL);
	op_queue(0, 4, 0, 0x800, 0xc00);
	op_chain(0, 2, rw);
	op_kick(0);
	op(VH_OP_DRIVER_OK);
	op_read(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	op(VH_OP_MACHINE_RESET);
	op(VH_OP_DEVICE + 2);
	done("kick-early");

	/* A request the device calls malformed: it needs a reset. */
	mmio_hdr(2, 2, 1, 8, 0, 0);
	vq_start(2, 2);
	op_poke(DATA, &bad, 1);
	op_chain(1, 2, rw);
	op_kick(1);
	op_read(VIRTIO_MMIO_STATUS, 4);
	op_read(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	op(VH_OP_RESET);
	vq_start(2, 2);
	done("needs-reset");

	/* Started by another process, interrupts through an irqfd. */
	mmio_hdr(1, 4, 1, 8, 1 | 8, 0);
	vq_start(1, 4);
	op_kick(0);
	op_read(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	done("external");

	/* A device that refuses to start. */
	mmio_hdr(1, 4, 1, 8, 2, 0);
	vq_start(1, 4);
	op_read(VIRTIO_MMIO_STATUS, 4);
	op_kick(0);
	done("start-fails");

	/* The small register devices beside the transport. */
	mmio_hdr(1, 0, 1, 1, 0, 0);
	mmio_access(0, TEST_EXIT_REG_ID, 4, false, 0);
	mmio_access(0, TEST_EXIT_REG_BOOTED, 4, true, 1);
	mmio_access(0, TEST_EXIT_REG_STATUS, 4, true, 3);
	mmio_access(0, TEST_EXIT_REG_STATUS, 1, true, 0);
	mmio_access(1, 0, 1, false, 0);
	mmio_access(1, 0, 4, true, PVPANIC_PANICKED);
	mmio_access(1, 0, 8, true, 0xff);
	mmio_access(2, 0x1fe, 4, false, 0);
	done("small-devices");
}

/* --- blk: fuzz_blk.c's header, RAM, ops --- */

static void blk_hdr(unsigned int nq, uint8_t flags, const char *serial)
{
	char id[VIRTIO_BLK_ID_BYTES] = { 0 };

	put8((uint8_t)(nq - 1));
	put8(flags);
	memcpy(id, serial, strlen(serial));
	putmem(id, sizeof(id));
	putblob(NULL, 0);
}

static void blk_req(uint8_t q, uint32_t type, uint64_t sector, uint8_t nsect,
		    uint16_t odd, uint8_t nbufs, uint8_t layout)
{
	put8(VH_OP_DEVICE);
	put8(q);
	put32(type);
	put64(sector);
	put8(nsect);
	put16(odd);
	put8((uint8_t)(nbufs - 1));
	put8(layout);
	put8((uint8_t)(0x5a + sector));
}

/* A discard or write zeroes of n ranges (sector, count, flags). */
static void blk_zero(uint8_t q, uint32_t type, unsigned int n,
		     const uint64_t (*seg)[3])
{
	blk_req(q, type, 0, 0, 0, 1, 0);
	put8((uint8_t)n);
	for (unsigned int i = 0; i < n; i++) {
		put64(seg[i][0]);
		put32((uint32_t)seg[i][1]);
		put32((uint32_t)seg[i][2]);
	}
}

static void seeds_blk(void)
{
	static const uint64_t zero[][3] = {
		{ 8, 4, 0 }, { 100, 300, VIRTIO_BLK_WRITE_ZEROES_UNMAP },
	}, discard[][3] = { { 16, 16, 0 } }, bad[][3] = {
		{ 2040, 16, 0 }, { 0, 1, 2 },
	};
	static const struct buf raw[] = {
		{ DATA, 16, false }, { DATA + 0x200, 512, true },
		{ DATA + 0x400, 1, true },
	};
	uint8_t hdr[16] = { 0 };

	/* Read, write, read back, flush, the serial. */
	blk_hdr(1, 0, "armz-fuzz-disk");
	vq_start(1, 7);
	blk_req(0, VIRTIO_BLK_T_IN, 0, 8, 0, 1, 0);
	blk_req(0, VIRTIO_BLK_T_OUT, 4, 2, 0, 2, 0);
	blk_req(0, VIRTIO_BLK_T_IN, 3, 4, 0, 3, 1);
	blk_req(0, VIRTIO_BLK_T_FLUSH, 0, 0, 0, 1, 0);
	blk_req(0, VIRTIO_BLK_T_GET_ID, 0, 0, 20, 1, 0);
	blk_req(0, VIRTIO_BLK_T_GET_ID, 0, 0, 7, 1, 2);
	done("read-write");

	/* Write zeroes and discard, then what they left. */
	blk_hdr(1, 0, "");
	vq_start(1, 6);
	blk_req(0, VIRTIO_BLK_T_OUT, 8, 4, 0, 1, 0);
	blk_zero(0, VIRTIO_BLK_T_WRITE_ZEROES, 2, zero);
	blk_req(0, VIRTIO_BLK_T_IN, 8, 4, 0, 1, 0);
	blk_zero(0, VIRTIO_BLK_T_DISCARD, 1, discard);
	blk_zero(0, VIRTIO_BLK_T_WRITE_ZEROES, 2, bad);
	blk_zero(0, VIRTIO_BLK_T_DISCARD, 0, discard);
	done("zeroes");

	/* What must fail: past the end, part of a sector, no status. */
	blk_hdr(1, 0, "x");
	vq_start(1, 5);
	blk_req(0, VIRTIO_BLK_T_IN, 2047, 2, 0, 1, 0);
	blk_req(0, VIRTIO_BLK_T_IN, 2048, 0, 0, 1, 0);
	blk_req(0, VIRTIO_BLK_T_OUT, 0, 1, 100, 2, 0);
	blk_req(0, VIRTIO_BLK_T_IN, 0, 1, 0, 1, 4);
	blk_req(0, VIRTIO_BLK_T_IN, 0, 0, 511, 1, 2);
	blk_req(0, 99, 0, 0, 0, 1, 0);
	blk_req(0, VIRTIO_BLK_T_OUT, ~0ULL, 1, 0, 1, 0);
	done("errors");

	/* A read-only disk takes no writes. */
	blk_hdr(1, 1, "ro");
	vq_start(1, 4);
	blk_req(0, VIRTIO_BLK_T_OUT, 0, 1, 0, 1, 0);
	blk_zero(0, VIRTIO_BLK_T_WRITE_ZEROES, 1, discard);
	blk_req(0, VIRTIO_BLK_T_IN, 0, 1, 0, 1, 0);
	done("read-only");

	/* Four queues, requests on each, a reset between. */
	blk_hdr(4, 0, "mq");
	vq_start(4, 4);
	for (uint8_t q = 0; q < 4; q++)
		blk_req(q, q & 1 ? VIRTIO_BLK_T_OUT : VIRTIO_BLK_T_IN,
			q * 8u, 8, 0, 2, 0);
	op(VH_OP_RESET);
	vq_start(4, 4);
	blk_req(3, VIRTIO_BLK_T_IN, 8, 8, 0, 4, 0);
	done("multiqueue");

	/* A request the driver lays out itself, and the config space. */
	blk_hdr(1, 2, "direct");
	for (unsigned int off = 0; off < VIRTIO_BLK_CFG_SIZE; off += 4)
		op_read((uint16_t)(VIRTIO_MMIO_CONFIG + off), 4);
	op_read(VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_CAPACITY, 8);
	op_read(VIRTIO_MMIO_CONFIG + VIRTIO_BLK_CFG_NUM_QUEUES, 2);
	vq_start(1, 4);
	le32_write(hdr, VIRTIO_BLK_T_IN);
	le64_write(hdr + 8, 1);
	op_poke(DATA, hdr, sizeof(hdr));
	op_chain(0, 3, raw);
	op_kick(0);
	done("raw-chain");
}

/* --- net: fuzz_net.c's header, RAM, ops --- */

static void net_hdr(uint8_t offloads, uint8_t flags)
{
	put8(offloads);
	put8(flags);
	putblob(NULL, 0);
}

static void net_vhdr(uint8_t flags, uint8_t gso, uint16_t gso_size,
		     uint16_t csum_start, uint16_t csum_offset)
{
	put8(flags);
	put8(gso);
	put16(54);		/* hdr_len: Ethernet, IPv4, TCP */
	put16(gso_size);
	put16(csum_start);
	put16(csum_offset);
	put16(0);
}

/* An Ethernet, IPv4 and TCP header, then the payload's first bytes. */
static const uint8_t net_frame[] = {
	0x52, 0x54, 0, 1, 2, 3, 0x52, 0x54, 0, 9, 9, 9, 0x08, 0x00,
	0x45, 0, 0, 0x28, 0, 1, 0x40, 0, 0x40, 6, 0, 0, 10, 0, 2, 15,
	10, 0, 2, 2, 0x30, 0x39, 0, 80, 0, 0, 0, 1, 0, 0, 0, 0,
	0x50, 0x02, 0x72, 0x10, 0, 0, 0, 0, 'a', 'r', 'm', 'z',
};

static void net_tx(uint8_t nbufs, uint8_t flags, uint8_t gso, uint16_t len)
{
	put8(VH_OP_DEVICE + 0);
	put8((uint8_t)(nbufs - 1));
	net_vhdr(flags, gso, gso ? 1448 : 0, flags ? 34 : 0, flags ? 16 : 0);
	put16(len);
	putblob(net_frame, sizeof(net_frame));
}

static void net_rx_bufs(uint8_t n, uint16_t size, uint8_t pieces)
{
	put8(VH_OP_DEVICE + 1);
	put8(n);
	put16(size);
	put8((uint8_t)(pieces - 1));
}

static void net_rx(bool lost, uint8_t flags, uint8_t gso, uint16_t len,
		   uint16_t csum_start)
{
	put8(VH_OP_DEVICE + 2);
	put8(lost);
	net_vhdr(flags, gso, gso ? 1448 : 0, csum_start, flags ? 16 : 0);
	put16(len);
	putblob(net_frame, sizeof(net_frame));
}

static void seeds_net(void)
{
	/* Frames out: small, large in pieces, with offloads, too short. */
	net_hdr(0x3f, 0);
	vq_start(2, 6);
	net_tx(1, 0, 0, 60);
	net_tx(4, NET_HDR_F_NEEDS_CSUM, 0, 1514);
	net_tx(8, NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV4, 9000);
	net_tx(2, 0, 0, 10);
	net_tx(1, NET_HDR_F_NEEDS_CSUM, 0, 40);
	done("tx");

	/* Frames in, one buffer each, the driver taking every offload. */
	net_hdr(0x3f, 0);
	vq_start(2, 6);
	net_rx_bufs(8, 1600, 1);
	net_rx(false, 0, 0, 60, 0);
	net_rx(false, NET_HDR_F_NEEDS_CSUM, 0, 1514, 34);
	net_rx(true, 0, 0, 60, 0);
	net_rx(false, NET_HDR_F_NEEDS_CSUM, NET_HDR_GSO_TCPV4, 1590, 34);
	net_rx(false, 0, 0, 1600, 0);
	done("rx");

	/* A frame over many merged buffers, and one too large for all. */
	net_hdr(0, 0);
	vq_start(2, 6);
	net_rx_bufs(16, 256, 2);
	net_rx(false, 0, 0, 1500, 0);
	net_rx(false, 0, 0, 9000, 0);
	net_rx(false, 0, 0, 100, 0);
	done("rx-merged");

	/* No offloads: the device fills checksums and drops GSO frames. */
	net_hdr(0, 0);
	op_features(~0ULL & ~(1ULL << VIRTIO_NET_F_MRG_RXBUF));
	op_queue(0, 5, 0, 0x800, 0xc00);
	op_queue(1, 5, 0x1000, 0x1800, 0x1c00);
	op(VH_OP_DRIVER_OK);
	net_rx_bufs(8, 1600, 3);
	net_rx(false, NET_HDR_F_NEEDS_CSUM, 0, 200, 34);
	net_rx(false, NET_HDR_F_NEEDS_CSUM, 0, 200, 199);
	net_rx(false, 0, NET_HDR_GSO_TCPV6, 200, 0);
	net_rx(false, 0, 0, 2000, 0);
	net_tx(1, NET_HDR_F_NEEDS_CSUM, 0, 100);
	done("no-offloads");

	/* Frames before buffers wait; a reset drops them. */
	net_hdr(0x09, 0);
	net_rx(false, 0, 0, 70, 0);
	vq_start(2, 4);
	net_rx(false, 0, 0, 80, 0);
	net_rx(false, 0, 0, 90, 0);
	net_rx_bufs(1, 2048, 1);
	net_rx_bufs(4, 2048, 1);
	op(VH_OP_RESET);
	net_rx(false, 0, 0, 100, 0);
	vq_start(2, 4);
	net_rx_bufs(2, 64, 1);
	net_rx_bufs(2, 8, 1);
	net_rx(false, 0, 0, 60, 0);
	done("rx-waiting");

	/* A backend that refuses, and the config space. */
	net_hdr(0x3f, 1);
	for (unsigned int off = 0; off < VIRTIO_NET_CFG_SIZE; off += 2)
		op_read((uint16_t)(VIRTIO_MMIO_CONFIG + off), 2);
	op_read(VIRTIO_MMIO_CONFIG, 8);
	vq_start(2, 4);
	op_read(VIRTIO_MMIO_STATUS, 4);
	net_tx(1, 0, 0, 60);
	done("start-fails");
}

/* --- console: fuzz_console.c's header, RAM, ops --- */

static void con_output(uint8_t nbufs, bool writable, const char *text)
{
	put8(VH_OP_DEVICE + 0);
	put8((uint8_t)(nbufs - 1));
	put8(writable);
	putblob(text, strlen(text));
}

static void con_bufs(uint8_t n, uint16_t size, uint8_t pieces)
{
	put8(VH_OP_DEVICE + 1);
	put8(n);
	put16(size);
	put8((uint8_t)(pieces - 1));
}

static void con_input(const char *text)
{
	put8(VH_OP_DEVICE + 2);
	putblob(text, strlen(text));
}

static void seeds_console(void)
{
	static const char lots[] = "0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef";

	/* Output in one buffer and in several, a writable one ignored. */
	put8(0);
	putblob(NULL, 0);
	vq_start(2, 5);
	con_output(1, false, "hello from the guest\r\n");
	con_output(4, true, "[    2.417532] armz-init: cannot load module 9p "
		   "(/armz/mod/04-9p.ko)\r\n");
	con_output(8, false, "x");
	done("output");

	/* Input into buffers, more than they hold, then more buffers. */
	put8(0);
	putblob(NULL, 0);
	vq_start(2, 5);
	con_bufs(4, 16, 1);
	con_input("ls -l\n");
	con_input(lots);
	op(VH_OP_DEVICE + 3);
	con_bufs(2, 64, 3);
	con_input(lots);
	op(VH_OP_DEVICE + 3);
	done("input");

	/* Input before the driver and its buffers; a failing output. */
	put8(1);
	putblob(NULL, 0);
	con_input("early");
	op(VH_OP_DEVICE + 3);
	vq_start(2, 3);
	con_input("no buffers yet");
	con_output(2, false, "lost\n");
	con_bufs(8, 8, 2);
	op(VH_OP_RESET);
	con_input("after reset");
	vq_start(2, 3);
	con_bufs(1, 100, 4);
	con_input("again");
	done("early");

	/* The terminal size, before and after the driver is there. */
	put8(2);
	putblob(NULL, 0);
	op_read(VIRTIO_MMIO_CONFIG, 4);
	op_read(VIRTIO_MMIO_CONFIG + 4, 4);
	op_read(VIRTIO_MMIO_CONFIG + 8, 4);
	vq_start(2, 4);
	put8(VH_OP_DEVICE + 4);
	put16(132);
	put16(43);
	op_read(VIRTIO_MMIO_INTERRUPT_STATUS, 4);
	op_read(VIRTIO_MMIO_CONFIG_GENERATION, 4);
	op_write(VIRTIO_MMIO_CONFIG, 4, 0x00100020);
	done("size");
}

/* --- uart: fuzz_uart.c's ops --- */

static void u_rd(uint8_t off)
{
	put8(0);
	put8(off);
	put8(0);
}

static void u_wr(uint8_t off, uint8_t v)
{
	put8(1);
	put8(off);
	put8(0);
	put8(v);
}

static void u_text(const char *s)
{
	while (*s)
		u_wr(UART_THR, (uint8_t)*s++);
}

static void u_input(const char *s)
{
	put8(2);
	putblob(s, strlen(s));
}

static void u_line(const char *s)
{
	put8(5);
	putblob(s, strlen(s));
}

static void seeds_uart(void)
{
	static const char lots[] = "0123456789abcdef0123456789abcdef"
		"0123456789abcdef0123456789abcdef0123456789abcdef";

	/* Linux's 8250 driver finding and setting up the port. */
	put8(0);
	u_wr(UART_LCR, UART_LCR_DLAB);
	u_wr(UART_DLL, 1);
	u_wr(UART_DLM, 0);
	u_rd(UART_DLL);
	u_rd(UART_DLM);
	u_wr(UART_LCR, 3);
	u_wr(UART_SCR, 0xa5);
	u_rd(UART_SCR);
	u_wr(UART_IER, 0);
	u_rd(UART_IER);
	u_wr(UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX |
	     UART_FCR_CLEAR_TX);
	u_rd(UART_IIR);
	u_wr(UART_MCR, UART_MCR_LOOP | UART_MCR_RTS | UART_MCR_OUT2);
	u_rd(UART_MSR);
	u_wr(UART_THR, 0x55);
	u_rd(UART_LSR);
	u_rd(UART_RBR);
	u_wr(UART_MCR, UART_MCR_DTR | UART_MCR_RTS | UART_MCR_OUT2);
	u_rd(UART_MSR);
	u_wr(UART_IER, UART_IER_ETBEI);
	u_rd(UART_IIR);
	u_rd(UART_IIR);
	u_wr(UART_IER, UART_IER_ERBFI | UART_IER_ELSI | UART_IER_EDSSI);
	u_text("ok\n");
	done("probe");

	/* The kernel console and armz-init's lines on it. */
	put8(2);
	u_wr(UART_LCR, 3);
	u_text("[    0.000000] Booting Linux on physical CPU 0x0\r\n");
	u_text("[    0.912000][    T1] armz-init: started\r\n");
	u_text("[    2.417532] armz-init: cannot load module 9p\r\n");
	u_text("armz-init: reporting on hvc1\n");
	done("console");

	/* Input: gated until the driver listens, a full FIFO, draining. */
	put8(1);
	u_input("typed ahead");
	put8(3);
	u_wr(UART_IER, UART_IER_ERBFI);
	u_wr(UART_FCR, UART_FCR_ENABLE);
	u_input(lots);
	u_input("x");
	put8(3);
	u_rd(UART_LSR);
	u_rd(UART_IIR);
	for (int i = 0; i < 66; i++)
		u_rd(UART_RBR);
	u_input("after");
	put8(4);
	put8(0);
	u_input("ungated");
	done("input");

	/* Every offset at every width, and a loopback overrun. */
	put8(0);
	for (uint8_t off = 0; off < 16; off++) {
		for (uint8_t w = 0; w < 8; w++) {
			put8(1);
			put8(off);
			put8(w);
			put8((uint8_t)(off * 16 + w));
			put8(0);
			put8(off);
			put8(w);
		}
	}
	u_wr(UART_MCR, UART_MCR_LOOP);
	for (int i = 0; i < 66; i++)
		u_wr(UART_THR, (uint8_t)i);
	u_rd(UART_LSR);
	u_rd(UART_LSR);
	done("widths");

	/* Lines as armz reads them from the console. */
	put8(2);
	u_line("[    0.912000][    T1] armz-init: started");
	u_line("[ 1.0] armz-init: reporting on hvc1\r");
	u_line("armz-init: a message\r");
	u_line("[    2.4 armz-init: unclosed");
	u_line("armz-init:");
	u_line("");
	done("lines");
}

/* --- kernel: fuzz_kernel.c's option byte, then the file --- */

/*
 * Compressed streams are written by hand, stored rather than compressed
 * (deflate stored blocks, zstd raw and RLE blocks, LZMA2 uncompressed
 * chunks): the decompressing is the libraries', what armz does with the
 * stream is the same, and the seeds stay the same whatever the libraries'
 * versions. There is no such way to write a .lzma stream.
 */
static uint32_t crc32_of(const uint8_t *p, size_t len)
{
	uint32_t c = 0xffffffff;

	while (len--) {
		c ^= *p++;
		for (int k = 0; k < 8; k++)
			c = c >> 1 ^ (0xedb88320 & -(c & 1));
	}
	return ~c;
}

static uint8_t img[65536], gz[65536];
static size_t img_len;

static void img_put(const void *p, size_t len)
{
	memcpy(img + img_len, p, len);
	img_len += len;
}

/* An arm64 Image header: image_size 0 for a kernel before 3.17. */
static void img_header(uint64_t image_size)
{
	uint8_t h[64] = { 0 };

	img_len = 0;
	le32_write(h, 0x91005a4d);		/* "MZ", as EFI kernels have */
	le64_write(h + 8, 0);			/* text_offset */
	le64_write(h + 16, image_size);
	le64_write(h + 24, 0xa);		/* LE, 4 KiB pages, anywhere */
	le32_write(h + 0x38, 0x644d5241);	/* "ARM\x64" */
	img_put(h, sizeof(h));
}

/* buf as a gzip member of stored deflate blocks, into out: its size. */
static size_t gzip_stored(const uint8_t *buf, size_t len, uint8_t *out)
{
	static const uint8_t hdr[] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3 };
	size_t n = 0, at = 0;

	memcpy(out, hdr, sizeof(hdr));
	n = sizeof(hdr);
	do {
		size_t part = len - at < 0xffff ? len - at : 0xffff;

		out[n++] = at + part == len;	/* BFINAL, stored */
		le16_write(out + n, (uint16_t)part);
		le16_write(out + n + 2, (uint16_t)~part);
		n += 4;
		memcpy(out + n, buf + at, part);
		n += part;
		at += part;
	} while (at < len);
	le32_write(out + n, crc32_of(buf, len));
	le32_write(out + n + 4, (uint32_t)len);
	return n + 8;
}

/* A release banner, as a kernel has it. */
static void img_banner(const char *release)
{
	char b[128];

	snprintf(b, sizeof(b), "Linux version %s (builder@host) (gcc 12.2.0) "
		 "#1 SMP\n", release);
	img_put("\0", 1);
	img_put(b, strlen(b));
}

/* An embedded config (CONFIG_IKCONFIG). */
static void img_config(const char *config)
{
	uint8_t z[4096];
	size_t n = gzip_stored((const uint8_t *)config, strlen(config), z);

	img_put("IKCFG_ST", 8);
	img_put(z, n);
	img_put("IKCFG_ED", 8);
}

static void img_banner_config(void)
{
	img_banner("6.1.0-armz-fuzz");
	img_config("CONFIG_ARM64=y\nCONFIG_VIRTIO_MMIO=m\nCONFIG_9P_FS=m\n"
		   "# CONFIG_TMPFS is not set\n");
}

/* zstd: a frame without content size, blocks as they come. */
static void zstd_begin(void)
{
	static const uint8_t hdr[] = { 0x28, 0xb5, 0x2f, 0xfd, 0x00, 0x50 };

	putmem(hdr, sizeof(hdr));
}

static void zstd_block(bool last, int type, uint32_t size)
{
	uint32_t h = (uint32_t)last | (uint32_t)type << 1 | size << 3;

	put8((uint8_t)h);
	put8((uint8_t)(h >> 8));
	put8((uint8_t)(h >> 16));
}

static void zstd_raw(bool last, const void *p, size_t len)
{
	zstd_block(last, 0, (uint32_t)len);
	putmem(p, len);
}

static void zstd_rle(bool last, uint8_t byte, uint32_t count)
{
	zstd_block(last, 1, count);
	put8(byte);
}

/* xz: one block of LZMA2 uncompressed chunks, no integrity check. */
static void xz_stored(const uint8_t *buf, size_t len)
{
	static const uint8_t magic[] = { 0xfd, '7', 'z', 'X', 'Z', 0, 0, 0 };
	uint8_t bh[12] = { 2, 0, 0x21, 1, 0x16, 0, 0, 0 };
	uint8_t idx[32], foot[12];
	size_t start, unpadded, at = 0, n;

	putmem(magic, sizeof(magic));
	put32(crc32_of(magic + 6, 2));
	le32_write(bh + 8, crc32_of(bh, 8));
	start = in_len;
	putmem(bh, sizeof(bh));
	while (at < len) {
		size_t part = len - at < 0x10000 ? len - at : 0x10000;

		put8(at ? 2 : 1);	/* uncompressed; the first resets */
		put8((uint8_t)((part - 1) >> 8));
		put8((uint8_t)(part - 1));
		putmem(buf + at, part);
		at += part;
	}
	put8(0);
	unpadded = in_len - start;
	while ((in_len - start) % 4)
		put8(0);
	/* The index: one record of unpadded and uncompressed size. */
	n = 0;
	idx[n++] = 0;
	idx[n++] = 1;
	for (size_t v = unpadded; ; v >>= 7) {
		idx[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	for (size_t v = len; ; v >>= 7) {
		idx[n++] = (uint8_t)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		if (v <= 0x7f)
			break;
	}
	while (n % 4)
		idx[n++] = 0;
	le32_write(idx + n, crc32_of(idx, n));
	n += 4;
	putmem(idx, n);
	le32_write(foot + 4, (uint32_t)(n / 4 - 1));
	foot[8] = 0;
	foot[9] = 0;
	le32_write(foot, crc32_of(foot + 4, 6));
	foot[10] = 'Y';
	foot[11] = 'Z';
	putmem(foot, sizeof(foot));
}

/* Kernel options (fuzz_kernel.c): load and scan. */
#define K_RAW		1
#define K_LOAD		2
#define K_SCAN		4
#define K_INITRD	8

static void elf64(uint16_t type, uint64_t entry, unsigned int nph)
{
	uint8_t e[64] = { 0x7f, 'E', 'L', 'F', 2, 1, 1 };

	le16_write(e + 16, type);
	le16_write(e + 18, 183);		/* EM_AARCH64 */
	le32_write(e + 20, 1);
	le64_write(e + 24, entry);
	le64_write(e + 32, 64);			/* program headers follow */
	le16_write(e + 52, 64);
	le16_write(e + 54, 56);
	le16_write(e + 56, (uint16_t)nph);
	putmem(e, sizeof(e));
}

static void phdr(uint32_t type, uint64_t off, uint64_t addr, uint64_t filesz,
		 uint64_t memsz)
{
	put32(type);
	put32(7);
	put64(off);
	put64(addr);			/* p_vaddr */
	put64(addr);			/* p_paddr */
	put64(filesz);
	put64(memsz);
	put64(0x1000);
}

static void seeds_kernel(void)
{
	static const uint8_t code[] = {
		0x00, 0x00, 0x80, 0xd2,		/* mov x0, #0 */
		0x00, 0x00, 0x00, 0x14,		/* b . */
	};
	size_t n;

	/* An Image with a banner and a config, loaded and scanned. */
	img_header(0x10000);
	img_banner_config();
	put8(K_LOAD | K_SCAN | K_INITRD | 0x30);
	putmem(img, 4096);
	done("image");

	/* Before 3.17: no image_size, the file's size counts. */
	img_header(0);
	img_banner_config();
	put8(K_LOAD | K_SCAN);
	putmem(img, img_len);
	done("image-legacy");

	/* gzip-compressed, as Ubuntu's vmlinuz. */
	img_header(0x10000);
	img_banner_config();
	put8(K_LOAD | K_SCAN);
	in_len += gzip_stored(img, 2048, in + in_len);
	done("gzip");

	/*
	 * zstd, 200 KiB: the banner across the scan's 64 KiB windows, the
	 * config after the second.
	 */
	img_header(0x40000);
	put8(K_LOAD | K_SCAN);
	zstd_begin();
	zstd_raw(false, img, img_len);
	zstd_rle(false, 0, 0x10000 - 64 - 20);
	img_len = 0;
	img_banner_config();
	zstd_raw(false, img, img_len);
	zstd_rle(false, 0x41, 0x20000);
	zstd_rle(true, 0, 0x1000);
	done("zstd");

	/* zstd with no image_size: kernel_open() counts it all. */
	img_header(0);
	put8(K_LOAD | K_SCAN);
	zstd_begin();
	zstd_raw(false, img, img_len);
	zstd_rle(false, 0xee, 0x20000);
	zstd_rle(true, 0, 0x100);
	done("zstd-legacy");

	/* xz, as Debian's kernels are built. */
	img_header(0x20000);
	img_banner_config();
	memset(img + img_len, 0x5a, 0x9000 - img_len);
	img_len = 0x9000;
	put8(K_LOAD | K_SCAN);
	xz_stored(img, img_len);
	done("xz");

	/* An EFI zboot image around a gzip'd Image. */
	img_header(0x10000);
	img_banner_config();
	n = gzip_stored(img, 1024, gz);
	put8(K_LOAD | K_SCAN);
	put8('M');
	put8('Z');
	put16(0);
	putmem("zimg", 4);
	put32(64);			/* payload offset */
	put32((uint32_t)n);		/* payload size */
	put64(0);
	putmem("gzip\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0"
	       "\0", 32);
	put64(0);
	putmem(gz, n);
	done("zboot");

	/* A vmlinux: two segments with a gap the Image has zeros in. */
	img_header(0x20000);
	img_banner_config();
	put8(K_LOAD | K_SCAN);
	elf64(2, 0xffff800080000000ULL, 3);
	phdr(1, 0x1000, 0x40200000, img_len, img_len);
	phdr(4, 0, 0, 0, 0);
	phdr(1, 0x1000 + img_len, 0x40210000, 16, 0x100);
	while (in_len < 1 + 0x1000)
		put8(0);
	putmem(img, img_len);
	putmem("second segment!!", 16);
	done("vmlinux");

	/* A raw binary, and the same as a payload at an address. */
	put8(K_RAW | K_LOAD | K_SCAN | 0x20);
	putmem(code, sizeof(code));
	done("raw");

	/* A payload ELF: one segment with a bss, the entry in it. */
	put8(0);
	elf64(2, 0x40000100, 1);
	phdr(1, 0x78, 0x40000100, sizeof(code), 0x200);
	putmem(code, sizeof(code));
	done("payload-elf");
}

/* --- modules: fuzz_modules.c's records --- */

static void m_file(const char *path, const void *data, size_t len)
{
	put8(0);
	putstr(path);
	putblob(data, len);
}

static void m_text(const char *path, const char *text)
{
	m_file(path, text, strlen(text));
}

static void m_want(const char *name)
{
	put8(1);
	putstr(name);
}

static uint8_t ko[1024];

/* A kernel module: an ELF with a .modinfo section. Its size. */
static size_t ko_make(const char *name, const char *depends)
{
	static const char shstr[] = "\0.modinfo\0.shstrtab";
	char info[256];
	size_t ilen, off = 64, shoff;
	uint8_t *sh;

	memset(ko, 0, sizeof(ko));
	memcpy(ko, "\177ELF\2\1\1", 7);
	le16_write(ko + 16, 1);			/* ET_REL */
	le16_write(ko + 18, 183);
	le32_write(ko + 20, 1);
	ilen = (size_t)snprintf(info, sizeof(info),
				"license=GPL%cdepends=%s%cname=%s%c", 0,
				depends, 0, name, 0);
	memcpy(ko + off, info, ilen);
	memcpy(ko + off + ilen, shstr, sizeof(shstr));
	shoff = (off + ilen + sizeof(shstr) + 7) & ~(size_t)7;
	le64_write(ko + 0x28, shoff);
	le16_write(ko + 0x3a, 64);
	le16_write(ko + 0x3c, 3);
	le16_write(ko + 0x3e, 2);
	sh = ko + shoff + 64;			/* [1] .modinfo */
	le32_write(sh, 1);
	le32_write(sh + 4, 1);
	le64_write(sh + 0x18, off);
	le64_write(sh + 0x20, ilen);
	sh += 64;				/* [2] .shstrtab */
	le32_write(sh, 10);
	le32_write(sh + 4, 3);
	le64_write(sh + 0x18, off + ilen);
	le64_write(sh + 0x20, sizeof(shstr));
	return shoff + 3 * 64;
}

static void m_ko(const char *path, const char *name, const char *depends)
{
	m_file(path, ko, ko_make(name, depends));
}

/* The same module, gzip'd. */
static void m_ko_gz(const char *path, const char *name, const char *depends)
{
	size_t n = ko_make(name, depends);

	m_file(path, gz, gzip_stored(ko, n, gz));
}

#define M_CONFIG	"CONFIG_ARM64=y\nCONFIG_BLK_DEV_INITRD=y\n" \
			"CONFIG_DEVTMPFS=y\nCONFIG_PROC_FS=y\nCONFIG_SYSFS=y\n" \
			"CONFIG_DEVMEM=y\nCONFIG_VIRTIO_MMIO=m\n" \
			"CONFIG_VIRTIO_CONSOLE=y\nCONFIG_NET_9P=m\n" \
			"CONFIG_NET_9P_VIRTIO=m\nCONFIG_9P_FS=m\n" \
			"CONFIG_OVERLAY_FS=m\nCONFIG_TMPFS=y\n" \
			"CONFIG_VIRTIO_FS=m\n"

static void m_kernel(const char *path, const char *release, bool config)
{
	img_header(0x10000);
	img_banner(release);
	if (config)
		img_config(M_CONFIG);
	m_file(path, img, img_len);
}

static void m_plan(uint8_t opts, const char *kernel)
{
	put8(3);
	put8(opts);
	putstr(kernel);
}

static const char m_dep[] =
	"kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz "
	"kernel/fs/netfs/netfs.ko.xz\n"
	"kernel/net/9p/9pnet.ko.xz:\n"
	"kernel/net/9p/9pnet_virtio.ko.xz: kernel/net/9p/9pnet.ko.xz "
	"kernel/drivers/virtio/virtio_ring.ko.xz\n"
	"kernel/fs/netfs/netfs.ko.xz:\n"
	"kernel/drivers/virtio/virtio_ring.ko.xz:\n"
	"kernel/drivers/virtio/virtio_mmio.ko.xz: "
	"kernel/drivers/virtio/virtio_ring.ko.xz\n"
	"kernel/fs/overlayfs/overlay.ko.xz:\n"
	"kernel/fs/fuse/virtiofs.ko.xz: kernel/fs/fuse/fuse.ko.xz\n"
	"kernel/fs/fuse/fuse.ko.xz:\n";

static void seeds_modules(void)
{
	static const char *const dep_files[] = {
		"kernel/fs/9p/9p.ko.xz", "kernel/net/9p/9pnet.ko.xz",
		"kernel/net/9p/9pnet_virtio.ko.xz", "kernel/fs/netfs/netfs.ko.xz",
		"kernel/drivers/virtio/virtio_ring.ko.xz",
		"kernel/drivers/virtio/virtio_mmio.ko.xz",
		"kernel/fs/overlayfs/overlay.ko.xz",
		"kernel/fs/fuse/virtiofs.ko.xz", "kernel/fs/fuse/fuse.ko.xz",
	};
	char path[128];

	/* An installed tree's modules.dep. */
	m_text("modules.dep", m_dep);
	m_want("9p");
	m_want("virtio-mmio");
	m_want("overlay");
	m_want("not_there");
	m_want("9pnet_virtio");
	done("dep");

	/* A line with no colon, blanks and tabs, an empty name. */
	m_text("modules.dep", "a.ko: b.ko\nb.ko:\tc.ko  x.ko\nc.ko\n"
	       "\n: e.ko\nx-y.ko.zst:\n");
	m_want("a");
	m_want("c");
	m_want("x_y");
	m_want("");
	done("dep-odd");

	/* A cycle. */
	m_text("modules.dep", "a.ko: b.ko\nb.ko: a.ko\n");
	m_want("a");
	done("dep-cycle");

	/* As many modules as the list holds, and one more. */
	for (unsigned int n = 63; n <= 64; n++) {
		char *text = NULL;
		size_t len = 0;
		FILE *f = open_memstream(&text, &len);

		fprintf(f, "top.ko:");
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, " m%u.ko", i);
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, "\nm%u.ko:", i);
		fclose(f);
		m_file("modules.dep", text, len);
		free(text);
		m_want("top");
		done(n == 63 ? "dep-64" : "dep-65");
	}

	/* A build tree's modules.order and the modules' .modinfo. */
	m_text("modules.order", "fs/9p/9p.o\nnet/9p/9pnet.o\n"
	       "net/9p/9pnet_virtio.o\nfs/netfs/netfs.ko\n"
	       "drivers/virtio/virtio_mmio.o\r\n\nkernel/fs/fuse/fuse.ko\n");
	m_ko("fs/9p/9p.ko", "9p", "9pnet,netfs");
	m_ko("net/9p/9pnet.ko", "9pnet", "");
	m_ko_gz("net/9p/9pnet_virtio.ko.gz", "9pnet_virtio", "9pnet");
	m_ko("fs/netfs/netfs.ko", "netfs", "");
	m_ko("kernel/fs/fuse/fuse.ko", "fuse", "");
	m_ko("drivers/virtio/virtio_mmio.ko", "virtio_mmio", "");
	m_want("9p");
	m_want("9pnet_virtio");
	m_want("fuse");
	m_want("virtio_mmio");
	done("order");

	/* A module that is not one. */
	m_text("modules.order", "drivers/virtio/virtio_mmio.o\n");
	m_text("drivers/virtio/virtio_mmio.ko", "not an ELF");
	m_want("virtio_mmio");
	done("order-bad");

	/* A config with every kind of line. */
	put8(2);
	putstr("#\n# Automatically generated file; DO NOT EDIT.\n"
	       "CONFIG_ARM64=y\nCONFIG_VIRTIO_MMIO=m\nCONFIG_9P_FS=n\n"
	       "# CONFIG_TMPFS is not set\nCONFIG_NET_9P=\n"
	       "CONFIG_OVERLAY_FS=\"x\"\r\nCONFIG_LOG_BUF_SHIFT=17\n"
	       "CONFIG_ARM64=m\n# CONFIG_9P_FS is not set here\n");
	put8(2);
	putstr(M_CONFIG);
	done("config");

	/* A kernel, its config inside, the root's lib/modules. */
	for (size_t i = 0; i < sizeof(dep_files) / sizeof(dep_files[0]);
	     i++) {
		snprintf(path, sizeof(path), "lib/modules/6.1.0-fuzz/%s",
			 dep_files[i]);
		m_text(path, "module");
	}
	m_text("lib/modules/6.1.0-fuzz/modules.dep", m_dep);
	m_kernel("boot/vmlinuz-6.1.0-fuzz", "6.1.0-fuzz", true);
	m_plan(2, "boot/vmlinuz-6.1.0-fuzz");
	done("plan-root");

	/* A build tree: Makefile, .config, modules.order, the Image. */
	m_text("build/Makefile", "# the kernel's\n");
	m_text("build/.config", M_CONFIG);
	m_text("build/modules.order", "fs/9p/9p.o\nnet/9p/9pnet.o\n"
	       "fs/netfs/netfs.o\nnet/9p/9pnet_virtio.o\n"
	       "drivers/virtio/virtio_mmio.o\nfs/overlayfs/overlay.o\n");
	m_ko("build/fs/9p/9p.ko", "9p", "9pnet,netfs");
	m_ko("build/net/9p/9pnet.ko", "9pnet", "");
	m_ko("build/fs/netfs/netfs.ko", "netfs", "");
	m_ko("build/net/9p/9pnet_virtio.ko", "9pnet_virtio", "9pnet");
	m_ko("build/drivers/virtio/virtio_mmio.ko", "virtio_mmio", "");
	m_ko("build/fs/overlayfs/overlay.ko", "overlay", "");
	m_kernel("build/arch/arm64/boot/Image", "6.1.0-build", false);
	m_plan(0, "build/arch/arm64/boot/Image");
	done("plan-build");

	/* --modules DIR as an install path, and a config beside. */
	for (size_t i = 0; i < sizeof(dep_files) / sizeof(dep_files[0]);
	     i++) {
		snprintf(path, sizeof(path), "lib/modules/6.1.0-dir/%s",
			 dep_files[i]);
		m_text(path, "module");
	}
	m_text("lib/modules/6.1.0-dir/modules.dep", m_dep);
	m_text("config-6.1.0-dir", M_CONFIG);
	m_kernel("Image", "6.1.0-dir", false);
	m_plan(1 | 4 | 8, "Image");
	done("plan-dir");
}

/* --- initramfs: fuzz_initramfs.c's records --- */

static void i_dir(const char *name, uint32_t mode)
{
	put8(0);
	putstr(name);
	put32(mode);
}

static void i_file(const char *name, uint32_t mode, const void *p, size_t len)
{
	put8(1);
	putstr(name);
	put32(mode);
	putblob(p, len);
}

static void i_host(const char *name, uint32_t mode, uint8_t kind,
		   const char *text)
{
	put8(2);
	putstr(name);
	put32(mode);
	put8(kind);
	putstr(text);
}

/* A module record; its content written by the caller as a blob. */
static void i_module(const char *name)
{
	put8(3);
	putstr(name);
}

static void seeds_initramfs(void)
{
	static const char argv[] = "ls\0-l\0/tmp";
	static const char env[] = "PATH=/usr/bin:/bin\0TERM=xterm";
	size_t n, at;

	/* What run-a-command mode packs. */
	i_dir("armz", 0755);
	i_dir("armz/mod", 0755);
	i_dir("dev", 0755);
	i_dir("proc", 0755);
	i_dir("sys", 0755);
	i_host("init", 0755, 0, "\177ELF armz-init");
	i_file("armz/argv", 0644, argv, sizeof(argv));
	i_file("armz/env", 0644, env, sizeof(env));
	i_file("armz/cwd", 0644, "/home/user", 10);
	i_file("armz/config", 0644, "tty\nroot virtiofs\nshare t /x\n", 27);
	n = ko_make("virtio_mmio", "");
	i_module("armz/mod/00-virtio_mmio.ko");
	putblob(ko, n);
	n = ko_make("9pnet", "");
	i_module("armz/mod/01-9pnet.ko");
	putblob(gz, gzip_stored(ko, n, gz));
	i_module("armz/mod/02-9p.ko");
	put16(0);
	at = in_len;
	n = ko_make("9p", "9pnet,netfs");
	xz_stored(ko, n);
	le16_write(in + at - 2, (uint16_t)(in_len - at));
	i_module("armz/mod/03-netfs.ko");
	put16(0);
	at = in_len;
	n = ko_make("netfs", "");
	zstd_begin();
	zstd_raw(true, ko, n);
	le16_write(in + at - 2, (uint16_t)(in_len - at));
	i_file("armz/modules", 0644, "/armz/mod/00-virtio_mmio.ko\n", 28);
	done("command");

	/* Names and modes as they come; host files that are not files. */
	i_dir("", 0);
	i_dir("d\nwith newline", 0xffffffff);
	i_file("TRAILER!!!x", 04755, "", 0);
	i_file("a/b/c/d/e/f", 0644, "abc", 3);
	i_host("dir", 0755, 1, "");
	i_host("missing", 0755, 2, "");
	i_host("link", 0700, 3, "through a link");
	i_host("null", 0644, 4, "");
	i_host("empty", 0644, 0, "");
	i_module("not-compressed.ko");
	putstr("plain bytes");
	i_module("corrupt.ko");
	putstr("\x1f\x8b\x08garbage");
	done("odd");

	/* FIFOs, which nobody writes to, as armz-init and as a module. */
	i_host("init", 0755, 5, "");
	i_module("armz/mod/00-fifo.ko");
	putstr("");
	i_file("after", 0644, "still here", 10);
	done("fifo");
}

/* --- The guest's console as armz reads it (fuzz_guestlog.c) --- */

static void g_text(const char *text)
{
	put8(0);
	putblob(text, strlen(text));
}

static void seeds_guestlog(void)
{
	/* A run-a-command boot: armz-init's markers and a message. */
	put8(0);
	g_text("[    0.000000] Booting Linux on physical CPU 0x0\r\n");
	g_text("[    0.912000] Run /init as init process\r\n");
	g_text("armz-init: started\r\n");
	g_text("armz-init: cannot mount the root over 9p: No such device\r\n");
	g_text("armz-init: reporting on hvc1\n");
	g_text("armz-init: after the marker\n");
	g_text("reboot: Restarting system\r\n");
	put8(2);
	put8(8);
	put8(1);
	done("command");

	/* An oops that leads to a panic, split across reads. */
	put8(0);
	g_text("armz-init: started\n");
	g_text("[    3.1] ------------[ cut here ]------------\n");
	g_text("[    3.2] Unable to handle kernel NULL pointer dereference\n");
	g_text("[    3.3] Internal error: Oops: 96000004 [#1] SMP\n");
	g_text("[    3.4] Kernel pa");
	g_text("nic - not syncing: Oops: Fatal exception\r\n");
	g_text("[    3.5] SMP: stopping secondary CPUs\n");
	g_text("[    3.6] ---[ end Kernel panic - not syncing: Oops ]---");
	put8(1);
	g_text("\n");
	done("panic");

	/* A boot that dies early and the last words it leaves. */
	put8(0);
	for (int i = 0; i < 70; i++)
		g_text("[    0.1] line of a long boot\n");
	g_text("\x1b[0mVFS: Unable to mount root fs\t\x7f\x01\n");
	g_text("a line the kernel never finished");
	put8(2);
	put8(10);
	put8(1);
	done("last-words");

	/* The console in front of the user: events, nothing forwarded. */
	put8(1);
	g_text("Kernel panic - not syncing: VFS\n");
	g_text("---[ end Kernel panic - not syncing: VFS ]---\n");
	put8(2);
	put8(4);
	put8(0);
	done("quiet");
}

/* --- gdb's side of the stub's socket (fuzz_gdb.c) --- */

/* A packet as gdb frames it, from the bytes gdb sends. */
static void gdb_put(const char *data)
{
	char framed[256];
	size_t n = gdb_frame(framed, sizeof(framed), data, strlen(data), 0);

	put8(0);
	putblob(framed, n);
}

static void gdb_raw(const void *p, size_t len)
{
	put8(0);
	putblob(p, len);
}

static void gdb_run(uint16_t insns)
{
	put8(1);
	put16(insns);
}

static void gdb_stop(uint8_t vcpu, uint8_t why, uint64_t addr)
{
	put8(2);
	put8(vcpu);
	put8(why);
	put64(addr);
}

/* What gdb-multiarch says first, connecting. */
static void gdb_attach(void)
{
	gdb_put("qSupported:multiprocess+;swbreak+;hwbreak+;"
		"qRelocInsn+;fork-events+;vfork-events+;exec-events+;"
		"vContSupported+;QThreadEvents+;no-resumed+;"
		"xmlRegisters=aarch64");
	gdb_raw("+", 1);
	gdb_put("vMustReplyEmpty");
	gdb_put("Hg0");
	gdb_put("qXfer:features:read:target.xml:0,ffb");
	gdb_put("qTStatus");
	gdb_put("?");
	gdb_put("qfThreadInfo");
	gdb_put("qsThreadInfo");
	gdb_put("qAttached");
	gdb_put("Hc-1");
	gdb_put("qC");
	gdb_put("qOffsets");
	gdb_put("g");
}

static void seeds_gdb(void)
{
	/* Attach, break, continue, hit it, step, detach. */
	put8(1);
	put8(0);
	gdb_attach();
	gdb_put("mffff000010000000,40");
	gdb_put("Z0,ffff000010000010,4");
	gdb_put("vCont?");
	gdb_put("vCont;c");
	gdb_run(100);
	gdb_put("p20");
	gdb_put("mffff000010000010,4");
	gdb_put("z0,ffff000010000010,4");
	gdb_put("vCont;s:1");
	gdb_run(1);
	gdb_put("D");
	done("session");

	/* Watchpoints and hardware breakpoints on two vCPUs. */
	put8(1);
	put8(0);
	gdb_attach();
	gdb_put("Z2,ffff000020000008,8");
	gdb_put("Z3,ffff000020001000,4");
	gdb_put("Z4,ffff000020000100,2");
	gdb_put("Z1,ffff000010000020,4");
	gdb_put("Hg2");
	gdb_put("c");
	gdb_stop(1, 4, 0xffff000020000008ULL);
	gdb_put("z2,ffff000020000008,8");
	gdb_put("Tffff");
	gdb_put("T2");
	gdb_put("k");
	done("watch");

	/* Writes: registers, memory in hex and binary, over a breakpoint. */
	put8(0);
	put8(1);
	gdb_attach();
	gdb_put("Z0,ffff000010000000,4");
	gdb_put("Mffff000010000000,8:1f2003d51f2003d5");
	gdb_put("Xffff000020000000,4:a}]}\x03\x7f");
	gdb_put("P20=00000010" "0000ffff");
	gdb_put("P1f=0010000000000000");
	gdb_put("p44");
	gdb_put("mffff000020000ff0,20");
	gdb_put("mffff000020001ffc,8");
	gdb_put("qRcmd,68656c70");
	gdb_put("S05;ffff000010000004");
	gdb_run(3);
	done("write");

	/* No acks; a bad checksum; Ctrl-C while it runs; a resent reply. */
	put8(0);
	put8(0);
	gdb_put("QStartNoAckMode");
	gdb_raw("+$?#00", 6);
	gdb_put("?");
	gdb_put("c");
	gdb_raw("\x03", 1);
	gdb_stop(0, 7, 0);
	gdb_raw("-", 1);
	gdb_put("vCont;s:1;c");
	gdb_run(0);
	done("noack");

	/* The guest powers off under gdb; gdb still asks. */
	put8(1);
	put8(0);
	gdb_attach();
	gdb_put("c");
	put8(3);
	put8(7);
	gdb_put("?");
	gdb_put("g");
	gdb_put("qfThreadInfo");
	done("exit");

	/* The connection drops with breakpoints planted and the guest running. */
	put8(2);
	put8(0);
	gdb_attach();
	gdb_put("Z0,ffff000010000100,4");
	gdb_put("Z0,ffff000010000104,4");
	gdb_put("Z0,ffff000020000002,4");
	gdb_put("c");
	put8(4);
	gdb_run(500);
	done("drop");
}

int main(int argc, char **argv)
{
	static const struct {
		const char *name;
		void (*fn)(void);
	} targets[] = {
		{ "p9", seeds_p9 },
		{ "virtqueue", seeds_virtqueue },
		{ "mmio", seeds_mmio },
		{ "blk", seeds_blk },
		{ "net", seeds_net },
		{ "console", seeds_console },
		{ "uart", seeds_uart },
		{ "kernel", seeds_kernel },
		{ "modules", seeds_modules },
		{ "initramfs", seeds_initramfs },
		{ "guestlog", seeds_guestlog },
		{ "gdb", seeds_gdb },
	};

	if (argc != 3) {
		fprintf(stderr, "usage: mkseeds TARGET DIR\n");
		return 2;
	}
	outdir = argv[2];
	for (size_t i = 0; i < sizeof(targets) / sizeof(targets[0]); i++) {
		if (!strcmp(argv[1], targets[i].name)) {
			targets[i].fn();
			return 0;
		}
	}
	fprintf(stderr, "mkseeds: no target '%s'\n", argv[1]);
	return 2;
}
