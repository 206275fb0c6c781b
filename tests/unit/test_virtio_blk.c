// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/virtio.h>
#include <armz/virtio-blk.h>

#include "unit.h"
#include "virtio-ring.h"

#define SECTORS		2048			/* a 1 MiB image */
#define HDR		(TR_BUF + 0x0000)
#define STATUS		(TR_BUF + 0x0800)
#define OUT_DATA	(TR_BUF + 0x1000)
#define IN_DATA		(TR_BUF + 0x20000)

struct blk_fixture {
	char path[64];
	struct virtio_device *dev;
	struct guest_mem mem;
	struct test_ring t;
	struct virtq vq;
	struct virtq_chain chain;
	uint32_t used;
};

/* The byte at offset off of a fresh image: differs between sectors. */
static uint8_t pattern(uint64_t off)
{
	return (uint8_t)(off / 512 * 7 + off % 512);
}

static void make_image(char *path, uint64_t size)
{
	uint8_t buf[4096];
	uint64_t off;
	int fd;

	strcpy(path, "/tmp/armz-blk-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	for (off = 0; off < size; off += sizeof(buf)) {
		size_t i, n = sizeof(buf);

		if (size - off < n)
			n = size - off;

		for (i = 0; i < n; i++)
			buf[i] = pattern(off + i);
		CU_ASSERT_EQUAL(pwrite(fd, buf, n, (off_t)off), (ssize_t)n);
	}
	close(fd);
}

/* A disk of sectors with options opts, and guest RAM of ram bytes. */
static struct blk_fixture *fx_new_sized(const char *opts, uint64_t sectors,
					size_t ram)
{
	struct blk_fixture *f = calloc(1, sizeof(*f));
	struct blk_config cfg;
	char arg[128];

	make_image(f->path, sectors * 512);
	snprintf(arg, sizeof(arg), "%s%s", f->path, opts);
	CU_ASSERT_EQUAL_FATAL(blk_parse(arg, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 1, &f->dev), 0);
	tr_mem_init(&f->mem);
	if (ram > f->mem.size) {
		free(f->mem.host);
		f->mem.host = aligned_alloc(4096, ram);
		CU_ASSERT_PTR_NOT_NULL_FATAL(f->mem.host);
		memset(f->mem.host, 0, ram);
		f->mem.size = ram;
	}
	tr_init(&f->t, &f->mem, 16, TR_RING0);
	CU_ASSERT_EQUAL(virtq_init(&f->vq, &f->mem, 16, f->t.desc, f->t.avail,
				   f->t.used, 0), 0);
	return f;
}

static struct blk_fixture *fx_new_opts(const char *opts)
{
	return fx_new_sized(opts, SECTORS, TR_RAM_SIZE);
}

static struct blk_fixture *fx_new(void)
{
	return fx_new_opts(",serial=disk-1234");
}

static void fx_free(struct blk_fixture *f)
{
	f->dev->ops->free(f->dev);
	unlink(f->path);
	tr_mem_free(&f->mem);
	free(f);
}

static void put_header(struct blk_fixture *f, uint32_t type, uint64_t sector)
{
	uint8_t *h = tr_host(&f->t, HDR);

	le32_write(h, type);
	le32_write(h + 4, 0);
	le64_write(h + 8, sector);
}

/*
 * Submits header + out_len readable bytes at OUT_DATA + in_len writable
 * bytes at IN_DATA + a status byte, and returns the status (0xff: not
 * written).
 */
static uint8_t submit(struct blk_fixture *f, uint32_t type, uint64_t sector,
		      uint32_t out_len, uint32_t in_len)
{
	unsigned int n = 0;

	put_header(f, type, sector);
	*tr_host(&f->t, STATUS) = 0xff;
	tr_desc(&f->t, n, HDR, 16, VIRTQ_DESC_F_NEXT, n + 1);
	n++;
	if (out_len) {
		tr_desc(&f->t, n, OUT_DATA, out_len, VIRTQ_DESC_F_NEXT, n + 1);
		n++;
	}
	if (in_len) {
		tr_desc(&f->t, n, IN_DATA, in_len,
			VIRTQ_DESC_F_WRITE | VIRTQ_DESC_F_NEXT, n + 1);
		n++;
	}
	tr_desc(&f->t, n, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	virtio_blk_handle(f->dev, 0, &f->chain, &f->used);
	return *tr_host(&f->t, STATUS);
}

static uint8_t parse(struct blk_fixture *f, struct blk_req *req)
{
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	return blk_req_parse(&f->chain, SECTORS, false, req);
}

static void test_request_parse(void)
{
	struct blk_fixture *f = fx_new();
	struct blk_req req;
	uint8_t *h = tr_host(&f->t, HDR);

	/* Header bytes laid down by hand: type 0 (IN), sector 0x0102...08. */
	memcpy(h, "\0\0\0\0\0\0\0\0\x08\x07\x06\x05\x04\x03\x02\x01", 16);
	tr_desc(&f->t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, IN_DATA, 1024, VIRTQ_DESC_F_WRITE |
		VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->t, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(parse(f, &req), VIRTIO_BLK_S_IOERR);	/* range */
	CU_ASSERT_EQUAL(req.type, VIRTIO_BLK_T_IN);
	CU_ASSERT_EQUAL(req.sector, 0x0102030405060708ULL);
	CU_ASSERT_EQUAL(req.data_len, 1024);

	/* The last two sectors fit; one more does not. */
	put_header(f, VIRTIO_BLK_T_IN, SECTORS - 2);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(parse(f, &req), VIRTIO_BLK_S_OK);
	put_header(f, VIRTIO_BLK_T_IN, SECTORS - 1);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(parse(f, &req), VIRTIO_BLK_S_IOERR);
	/* sector + length wrapping around 2^64. */
	put_header(f, VIRTIO_BLK_T_IN, ~0ULL);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(parse(f, &req), VIRTIO_BLK_S_IOERR);
	/* Unknown type. */
	put_header(f, 99, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(parse(f, &req), VIRTIO_BLK_S_UNSUPP);

	/* Short header, partial sector: IOERR through the full path too. */
	tr_desc(&f->t, 0, HDR, 8, VIRTQ_DESC_F_NEXT, 2);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL(parse(f, &req), VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_IN, 0, 0, 100),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(f->used, 1);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_OUT, SECTORS, 512, 0),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(submit(f, 99, 0, 0, 0), VIRTIO_BLK_S_UNSUPP);
	fx_free(f);
}

static void test_read(void)
{
	struct blk_fixture *f = fx_new();
	const uint8_t *d = tr_host(&f->t, IN_DATA);
	unsigned int i, bad = 0;

	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_IN, 3, 0, 1024),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f->used, 1025);
	for (i = 0; i < 1024; i++)
		bad += d[i] != pattern(3 * 512 + i);
	CU_ASSERT_EQUAL(bad, 0);
	fx_free(f);
}

static void test_write(void)
{
	struct blk_fixture *f = fx_new();
	uint8_t *d = tr_host(&f->t, OUT_DATA);
	uint8_t back[1536];
	int fd;

	memset(d, 'A', 512);
	memset(d + 512, 'B', 1024);
	/* Header, then the data in two pieces of 512 and 1024 bytes. */
	put_header(f, VIRTIO_BLK_T_OUT, 10);
	tr_desc(&f->t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, OUT_DATA, 512, VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->t, 2, OUT_DATA + 512, 1024, VIRTQ_DESC_F_NEXT, 3);
	tr_desc(&f->t, 3, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	*tr_host(&f->t, STATUS) = 0xff;
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	virtio_blk_handle(f->dev, 0, &f->chain, &f->used);
	CU_ASSERT_EQUAL(*tr_host(&f->t, STATUS), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f->used, 1);

	fd = open(f->path, O_RDONLY);
	CU_ASSERT_EQUAL(pread(fd, back, sizeof(back), 10 * 512),
			(ssize_t)sizeof(back));
	CU_ASSERT_EQUAL(back[0], 'A');
	CU_ASSERT_EQUAL(back[511], 'A');
	CU_ASSERT_EQUAL(back[512], 'B');
	CU_ASSERT_EQUAL(back[1535], 'B');
	/* The neighbours are untouched. */
	CU_ASSERT_EQUAL(pread(fd, back, 2, 10 * 512 - 1), 2);
	CU_ASSERT_EQUAL(back[0], pattern(10 * 512 - 1));
	CU_ASSERT_EQUAL(pread(fd, back, 1, 13 * 512), 1);
	CU_ASSERT_EQUAL(back[0], pattern(13 * 512));
	close(fd);
	fx_free(f);
}

static void test_flush_and_id(void)
{
	struct blk_fixture *f = fx_new();
	const uint8_t *d = tr_host(&f->t, IN_DATA);
	static const uint8_t want[20] = "disk-1234";

	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_FLUSH, 0, 0, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f->used, 1);
	memset(tr_host(&f->t, IN_DATA), 0xee, 32);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_GET_ID, 0, 0, 20),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(d, want, 20), 0);
	CU_ASSERT_EQUAL(f->used, 21);
	CU_ASSERT_EQUAL(d[20], 0xee);
	fx_free(f);

	/* A 20-byte serial fills the buffer with no terminator. */
	f = fx_new_opts(",serial=ABCDEFGHIJKLMNOPQRST");
	d = tr_host(&f->t, IN_DATA);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_GET_ID, 0, 0, 20),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(memcmp(d, "ABCDEFGHIJKLMNOPQRST", 20), 0);
	fx_free(f);
}

/* Offset of the first byte of the image that differs from pattern(), or -1. */
static long long image_changed_at(const char *path)
{
	uint8_t buf[4096];
	long long off, at = -1;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	CU_ASSERT_FATAL(fd >= 0);
	for (off = 0; at < 0 && (n = pread(fd, buf, sizeof(buf), off)) > 0;
	     off += n)
		for (ssize_t i = 0; i < n; i++)
			if (buf[i] != pattern((uint64_t)(off + i))) {
				at = off + i;
				break;
			}
	/* Read to the end, unless a change was found before it. */
	CU_ASSERT_TRUE(at >= 0 || off == SECTORS * 512);
	close(fd);
	return at;
}

static void test_read_only(void)
{
	struct blk_fixture *f = fx_new_opts(",ro");
	const uint8_t *d = tr_host(&f->t, IN_DATA);
	unsigned int i, bad = 0;

	CU_ASSERT_TRUE(f->dev->features & VIRTIO_BIT(VIRTIO_BLK_F_RO));
	CU_ASSERT_FALSE(f->dev->features & VIRTIO_BIT(VIRTIO_BLK_F_DISCARD));
	memset(tr_host(&f->t, OUT_DATA), 'X', 512);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_OUT, 0, 512, 0),
			VIRTIO_BLK_S_IOERR);
	le64_write(tr_host(&f->t, OUT_DATA), 0);
	le32_write(tr_host(&f->t, OUT_DATA) + 8, 8);
	le32_write(tr_host(&f->t, OUT_DATA) + 12, 0);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_DISCARD, 0, 16, 0),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0),
			VIRTIO_BLK_S_IOERR);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_IN, 0, 0, 512),
			VIRTIO_BLK_S_OK);
	for (i = 0; i < 512; i++)
		bad += d[i] != pattern(i);
	CU_ASSERT_EQUAL(bad, 0);
	/*
	 * Every byte as it was: pattern(0) is 0, so one byte at offset 0
	 * cannot tell a refused write zeroes from an executed one.
	 */
	CU_ASSERT_EQUAL(image_changed_at(f->path), -1);
	fx_free(f);
}

static bool punch_supported(void)
{
	char path[64] = "/tmp/armz-punch-XXXXXX";
	int fd = mkstemp(path);
	bool ok;

	if (fd < 0)
		return false;
	ok = !ftruncate(fd, 65536) &&
	     !fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0,
			4096);
	close(fd);
	unlink(path);
	return ok;
}

static void put_segment(struct blk_fixture *f, unsigned int i,
			uint64_t sector, uint32_t num, uint32_t flags)
{
	uint8_t *s = tr_host(&f->t, OUT_DATA) + 16 * i;

	le64_write(s, sector);
	le32_write(s + 8, num);
	le32_write(s + 12, flags);
}

static bool range_is_zero(const char *path, off_t off, size_t len)
{
	uint8_t buf[512];
	bool zero = true;
	int fd = open(path, O_RDONLY);

	while (len && zero) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf), i;

		if (pread(fd, buf, n, off) != (ssize_t)n)
			zero = false;
		for (i = 0; i < n; i++)
			zero &= !buf[i];
		off += (off_t)n;
		len -= n;
	}
	close(fd);
	return zero;
}

static void test_discard(void)
{
	struct blk_fixture *f = fx_new();
	struct stat before, after;

	CU_ASSERT_EQUAL(stat(f->path, &before), 0);
	/* Two ranges: 128 sectors at 256 and 8 sectors at 1024. */
	put_segment(f, 0, 256, 128, 0);
	put_segment(f, 1, 1024, 8, 0);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_DISCARD, 0, 32, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(stat(f->path, &after), 0);
	CU_ASSERT_EQUAL(after.st_size, before.st_size);
	/*
	 * Discard is a hint the device drops where the file system cannot
	 * punch holes: then there is nothing to see, and the host must say.
	 */
	if (punch_supported()) {
		CU_ASSERT_TRUE(after.st_blocks < before.st_blocks);
		CU_ASSERT_TRUE(range_is_zero(f->path, 256 * 512, 128 * 512));
		CU_ASSERT_TRUE(range_is_zero(f->path, 1024 * 512, 8 * 512));
	} else {
		UNIT_ENV_MISSING("/tmp cannot punch holes: what discard did "
				 "is not checked");
	}
	CU_ASSERT_FALSE(range_is_zero(f->path, 255 * 512, 512));
	CU_ASSERT_FALSE(range_is_zero(f->path, 384 * 512, 512));

	/* The unmap flag is for write zeroes only. */
	put_segment(f, 0, 0, 8, VIRTIO_BLK_WRITE_ZEROES_UNMAP);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_DISCARD, 0, 16, 0),
			VIRTIO_BLK_S_UNSUPP);
	/* Past the end of the disk. */
	put_segment(f, 0, SECTORS - 4, 8, 0);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_DISCARD, 0, 16, 0),
			VIRTIO_BLK_S_IOERR);
	/* Not a whole number of segments. */
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_DISCARD, 0, 12, 0),
			VIRTIO_BLK_S_IOERR);
	fx_free(f);
}

static void test_write_zeroes(void)
{
	struct blk_fixture *f = fx_new();

	put_segment(f, 0, 100, 3, 0);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_TRUE(range_is_zero(f->path, 100 * 512, 3 * 512));
	CU_ASSERT_FALSE(range_is_zero(f->path, 103 * 512, 512));
	put_segment(f, 0, 200, 16, VIRTIO_BLK_WRITE_ZEROES_UNMAP);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_TRUE(range_is_zero(f->path, 200 * 512, 16 * 512));
	/* Reserved flag bits. */
	put_segment(f, 0, 0, 1, 2);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0),
			VIRTIO_BLK_S_UNSUPP);
	CU_ASSERT_FALSE(range_is_zero(f->path, 0, 512));
	fx_free(f);
}

/* O_DIRECT with a buffer that is not sector aligned goes via a copy. */
static void test_direct_unaligned(void)
{
	struct blk_fixture *f = fx_new_opts(",direct");
	const uint8_t *d = tr_host(&f->t, IN_DATA + 8);
	unsigned int i, bad = 0;
	uint8_t b;
	int fd;

	put_header(f, VIRTIO_BLK_T_IN, 7);
	tr_desc(&f->t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&f->t, 1, IN_DATA + 8, 1024, VIRTQ_DESC_F_WRITE |
		VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&f->t, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	virtio_blk_handle(f->dev, 0, &f->chain, &f->used);
	CU_ASSERT_EQUAL(*tr_host(&f->t, STATUS), VIRTIO_BLK_S_OK);
	for (i = 0; i < 1024; i++)
		bad += d[i] != pattern(7 * 512 + i);
	CU_ASSERT_EQUAL(bad, 0);

	/* And back out, from the same odd address. */
	memset(tr_host(&f->t, IN_DATA + 8), 'D', 512);
	put_header(f, VIRTIO_BLK_T_OUT, 20);
	tr_desc(&f->t, 1, IN_DATA + 8, 512, VIRTQ_DESC_F_NEXT, 2);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	virtio_blk_handle(f->dev, 0, &f->chain, &f->used);
	CU_ASSERT_EQUAL(*tr_host(&f->t, STATUS), VIRTIO_BLK_S_OK);
	fd = open(f->path, O_RDONLY);
	CU_ASSERT_EQUAL(pread(fd, &b, 1, 20 * 512 + 100), 1);
	CU_ASSERT_EQUAL(b, 'D');
	close(fd);
	fx_free(f);
}

#define BIG_SECTORS	16384			/* an 8 MiB image */
#define BIG_RAM		(8u << 20)
#define BIG_LEN		(3 * VIRTIO_BLK_BOUNCE_SIZE + 1536)

/*
 * Three buffers out of order in guest RAM, at odd addresses and of odd
 * lengths, BIG_LEN bytes in all; part i starts at byte at[i] of it.
 */
static const uint64_t big_gpa[3] = {
	MEMMAP_RAM_BASE + 0x300008, MEMMAP_RAM_BASE + 0x20018,
	MEMMAP_RAM_BASE + 0x600028,
};
static const uint32_t big_len[3] = { 1000008, 1300000, BIG_LEN - 2300008 };

static uint8_t *big_byte(struct blk_fixture *f, uint32_t i)
{
	unsigned int k = 0;

	while (i >= big_len[k])
		i -= big_len[k++];
	return tr_host(&f->t, big_gpa[k] + i);
}

static uint8_t big_submit(struct blk_fixture *f, uint32_t type,
			  uint64_t sector)
{
	uint16_t w = type == VIRTIO_BLK_T_IN ? VIRTQ_DESC_F_WRITE : 0;
	unsigned int k;

	put_header(f, type, sector);
	*tr_host(&f->t, STATUS) = 0xff;
	tr_desc(&f->t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	for (k = 0; k < 3; k++)
		tr_desc(&f->t, 1 + k, big_gpa[k], big_len[k],
			w | VIRTQ_DESC_F_NEXT, (uint16_t)(2 + k));
	tr_desc(&f->t, 4, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	virtio_blk_handle(f->dev, 0, &f->chain, &f->used);
	return *tr_host(&f->t, STATUS);
}

/*
 * O_DIRECT from buffers at odd addresses, more than the bounce buffer
 * holds: the transfer goes through it a step at a time (four here), and
 * every byte lands where it should, both ways.
 */
static void test_direct_unaligned_large(void)
{
	struct blk_fixture *f = fx_new_sized(",direct", BIG_SECTORS, BIG_RAM);
	uint8_t *back = malloc(BIG_LEN + 2);
	uint32_t i, bad = 0;
	uint64_t steps;
	int fd;

	steps = virtio_blk_steps(f->dev);
	CU_ASSERT_EQUAL(big_submit(f, VIRTIO_BLK_T_IN, 5), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(f->used, BIG_LEN + 1);
	CU_ASSERT_EQUAL(virtio_blk_steps(f->dev) - steps, 4);
	for (i = 0; i < BIG_LEN; i++)
		bad += *big_byte(f, i) != pattern(5 * 512 + i);
	CU_ASSERT_EQUAL(bad, 0);

	for (i = 0; i < BIG_LEN; i++)
		*big_byte(f, i) = (uint8_t)(i * 13 + i / 4096 + 1);
	steps = virtio_blk_steps(f->dev);
	CU_ASSERT_EQUAL(big_submit(f, VIRTIO_BLK_T_OUT, 11), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_steps(f->dev) - steps, 4);
	fd = open(f->path, O_RDONLY);
	CU_ASSERT_EQUAL(pread(fd, back, BIG_LEN + 2, 11 * 512 - 1),
			BIG_LEN + 2);
	close(fd);
	CU_ASSERT_EQUAL(back[0], pattern(11 * 512 - 1));
	for (i = 0, bad = 0; i < BIG_LEN; i++)
		bad += back[i + 1] != (uint8_t)(i * 13 + i / 4096 + 1);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(back[BIG_LEN + 1], pattern(11 * 512 + BIG_LEN));
	free(back);
	fx_free(f);

	/*
	 * Without O_DIRECT the guest's buffers are used as they are, and a
	 * transfer that large still goes a step at a time.
	 */
	f = fx_new_sized("", BIG_SECTORS, BIG_RAM);
	CU_ASSERT_EQUAL(big_submit(f, VIRTIO_BLK_T_IN, 5), VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_steps(f->dev), 4);
	CU_ASSERT_EQUAL(*big_byte(f, BIG_LEN - 1),
			pattern(5 * 512 + BIG_LEN - 1));
	fx_free(f);
}

/* Write zeroes and discard ranges go a step at a time, all of them. */
static void test_zero_steps(void)
{
	struct blk_fixture *f = fx_new();

	virtio_blk_set_zero_step(f->dev, 1024);
	put_segment(f, 0, 100, 3, 0);
	put_segment(f, 1, 300, 64, VIRTIO_BLK_WRITE_ZEROES_UNMAP);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 32, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_steps(f->dev), 2 + 32);
	CU_ASSERT_TRUE(range_is_zero(f->path, 100 * 512, 3 * 512));
	CU_ASSERT_FALSE(range_is_zero(f->path, 103 * 512, 512));
	CU_ASSERT_TRUE(range_is_zero(f->path, 300 * 512, 64 * 512));
	CU_ASSERT_FALSE(range_is_zero(f->path, 299 * 512, 512));
	CU_ASSERT_FALSE(range_is_zero(f->path, 364 * 512, 512));
	put_segment(f, 0, 1000, 9, 0);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_DISCARD, 0, 16, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_steps(f->dev), 2 + 32 + 5);
	/* Steps are whole sectors, and never more than the default. */
	virtio_blk_set_zero_step(f->dev, 700);
	put_segment(f, 0, 400, 4, 0);
	CU_ASSERT_EQUAL(submit(f, VIRTIO_BLK_T_WRITE_ZEROES, 0, 16, 0),
			VIRTIO_BLK_S_OK);
	CU_ASSERT_EQUAL(virtio_blk_steps(f->dev), 2 + 32 + 5 + 4);
	CU_ASSERT_TRUE(range_is_zero(f->path, 400 * 512, 4 * 512));
	fx_free(f);
}

#define ZERO_SECTORS	(1u << 20)

/*
 * A write zeroes of 512 MiB in 512-byte steps, a million of them, and a
 * device reset once it is under way: the worker gives up within a step,
 * the request fails, and the reset does not wait for the rest.
 */
static void test_zero_stops_on_reset(void)
{
	const uint64_t sectors = ZERO_SECTORS + 2048;
	struct blk_config cfg;
	struct virtio_device *dev;
	struct virtio_mmio *vm;
	struct guest_mem mem;
	struct test_ring t;
	uint64_t seen = 0, done;
	char path[64];
	unsigned int i;
	int fd;

	strcpy(path, "/tmp/armz-blk-XXXXXX");
	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);
	/* Sparse: nothing is written, nothing allocated. */
	CU_ASSERT_FATAL(ftruncate(fd, (off_t)(sectors * 512)) == 0);
	close(fd);
	CU_ASSERT_EQUAL(blk_parse(path, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 1, &dev), 0);
	virtio_blk_set_zero_step(dev, 512);
	tr_mem_init(&mem);
	vm = tr_transport(dev, &mem, NULL, MEMMAP_VIRTIO_BASE, 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	tr_negotiate(vm, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		     VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	tr_init(&t, &mem, 16, TR_RING0);
	tr_setup_queue(vm, 0, &t);
	tr_driver_ok(vm);

	le32_write(tr_at(&mem, HDR), VIRTIO_BLK_T_WRITE_ZEROES);
	le64_write(tr_at(&mem, HDR + 8), 0);
	le64_write(tr_at(&mem, OUT_DATA), 0);
	le32_write(tr_at(&mem, OUT_DATA + 8), ZERO_SECTORS);
	le32_write(tr_at(&mem, OUT_DATA + 12), VIRTIO_BLK_WRITE_ZEROES_UNMAP);
	*tr_at(&mem, STATUS) = 0xff;
	tr_desc(&t, 0, HDR, 16, VIRTQ_DESC_F_NEXT, 1);
	tr_desc(&t, 1, OUT_DATA, 16, VIRTQ_DESC_F_NEXT, 2);
	tr_desc(&t, 2, STATUS, 1, VIRTQ_DESC_F_WRITE, 0);
	tr_avail(&t, 0);
	tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, 0);
	for (i = 0; i < 10000 && seen < 16; i++) {
		usleep(1000);
		seen = virtio_blk_steps(dev);
	}
	CU_ASSERT_FATAL(seen >= 16);

	tr_w32(vm, VIRTIO_MMIO_STATUS, 0);	/* joins the worker */
	done = virtio_blk_steps(dev);
	CU_ASSERT_TRUE(done >= seen);
	CU_ASSERT_TRUE(done < ZERO_SECTORS);
	CU_ASSERT_EQUAL(tr_used_idx(&t), 1);
	CU_ASSERT_EQUAL(*tr_at(&mem, STATUS), VIRTIO_BLK_S_IOERR);
	virtio_mmio_free(vm);
	tr_mem_free(&mem);
	unlink(path);
}

static void test_no_status_byte(void)
{
	struct blk_fixture *f = fx_new();

	/* Nothing writable: nothing can be answered, nothing is written. */
	put_header(f, VIRTIO_BLK_T_IN, 0);
	tr_desc(&f->t, 0, HDR, 16, 0, 0);
	tr_avail(&f->t, 0);
	CU_ASSERT_EQUAL_FATAL(virtq_pop(&f->vq, &f->chain), 1);
	f->used = 99;
	virtio_blk_handle(f->dev, 0, &f->chain, &f->used);
	CU_ASSERT_EQUAL(f->used, 0);
	fx_free(f);
}

static void test_parse_option(void)
{
	struct blk_config cfg;

	CU_ASSERT_EQUAL(blk_parse("/img/disk.raw", &cfg), 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, "/img/disk.raw");
	CU_ASSERT_FALSE(cfg.ro || cfg.direct);
	CU_ASSERT_EQUAL(cfg.serial[0], '\0');
	CU_ASSERT_EQUAL(blk_parse("d.img,ro,direct,serial=S1", &cfg), 0);
	CU_ASSERT_STRING_EQUAL(cfg.path, "d.img");
	CU_ASSERT_TRUE(cfg.ro && cfg.direct);
	CU_ASSERT_STRING_EQUAL(cfg.serial, "S1");

	CU_ASSERT_EQUAL(blk_parse("d.img,rw", &cfg), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err_msg(), "unknown disk option 'rw'");
	CU_ASSERT_EQUAL(blk_parse("d.img,ro,", &cfg), -EINVAL);
	CU_ASSERT_EQUAL(blk_parse("d.img,serial=123456789012345678901", &cfg),
			-EINVAL);
	CU_ASSERT_EQUAL(blk_parse("d.img,serial=12345678901234567890", &cfg),
			0);
	CU_ASSERT_EQUAL(blk_parse("", &cfg), -EINVAL);
	CU_ASSERT_EQUAL(blk_parse(",ro", &cfg), -EINVAL);
}

static void test_open_errors(void)
{
	struct virtio_device *dev, *dev2;
	struct blk_config cfg;
	char path[64];
	int fd;

	make_image(path, 1000);
	CU_ASSERT_EQUAL(blk_parse(path, &cfg), 0);
	CU_ASSERT_EQUAL(virtio_blk_new(&cfg, 1, &dev), -EINVAL);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(),
				      "size 1000 is not a multiple of 512"));
	fd = open(path, O_WRONLY);
	CU_ASSERT_EQUAL(ftruncate(fd, 4096), 0);
	close(fd);

	/* A second writer is refused; so is a reader while one writes. */
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 1, &dev), 0);
	CU_ASSERT_EQUAL(virtio_blk_capacity(dev), 8);
	CU_ASSERT_EQUAL(virtio_blk_new(&cfg, 1, &dev2), -EBUSY);
	CU_ASSERT_PTR_NOT_NULL(strstr(err_msg(), "in use by another process"));
	cfg.ro = true;
	CU_ASSERT_EQUAL(virtio_blk_new(&cfg, 1, &dev2), -EBUSY);
	dev->ops->free(dev);
	/* Readers share. */
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 1, &dev), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 1, &dev2), 0);
	dev->ops->free(dev);
	dev2->ops->free(dev2);
	unlink(path);

	CU_ASSERT_EQUAL(virtio_blk_new(&cfg, 1, &dev), -ENOENT);
	memset(&cfg, 0, sizeof(cfg));
	strcpy(cfg.path, "/dev/null");
	CU_ASSERT_EQUAL(virtio_blk_new(&cfg, 1, &dev), -EINVAL);
}

static void test_config(void)
{
	struct blk_config cfg;
	struct virtio_device *dev;
	char path[64];

	make_image(path, 3 << 20);
	CU_ASSERT_EQUAL(blk_parse(path, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 4, &dev), 0);
	CU_ASSERT_EQUAL(dev->id, VIRTIO_ID_BLOCK);
	CU_ASSERT_EQUAL(dev->num_queues, 4);
	CU_ASSERT_EQUAL(dev->config_size, 60);
	CU_ASSERT_EQUAL(le64_read(dev->config), 6144);
	CU_ASSERT_EQUAL(dev->config[1], 0x18);	/* 6144 = 0x1800, LE */
	CU_ASSERT_EQUAL(le32_read(dev->config + 12), VIRTQ_NUM_MAX - 2);
	CU_ASSERT_EQUAL(le32_read(dev->config + 20), 512);
	CU_ASSERT_EQUAL(le16_read(dev->config + 34), 4);
	CU_ASSERT_NOT_EQUAL(le32_read(dev->config + 36), 0);
	CU_ASSERT_NOT_EQUAL(le32_read(dev->config + 40), 0);
	CU_ASSERT_EQUAL(dev->config[56], 1);
	CU_ASSERT_TRUE(dev->features & VIRTIO_BIT(VIRTIO_BLK_F_MQ));
	CU_ASSERT_TRUE(dev->features & VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	CU_ASSERT_TRUE(dev->features & VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES));
	dev->ops->free(dev);
	unlink(path);
}

/* Both queues of a two-queue disk served by their own threads. */
static void test_multiqueue(void)
{
	struct blk_config cfg;
	struct virtio_device *dev;
	struct virtio_mmio *vm;
	struct guest_mem mem;
	struct test_ring t[2];
	char path[64];
	unsigned int q;

	make_image(path, SECTORS * 512);
	CU_ASSERT_EQUAL(blk_parse(path, &cfg), 0);
	CU_ASSERT_EQUAL_FATAL(virtio_blk_new(&cfg, 2, &dev), 0);
	tr_mem_init(&mem);
	vm = tr_transport(dev, &mem, NULL, MEMMAP_VIRTIO_BASE, 16);
	CU_ASSERT_PTR_NOT_NULL_FATAL(vm);
	tr_negotiate(vm, VIRTIO_BIT(VIRTIO_F_VERSION_1) |
		     VIRTIO_BIT(VIRTIO_BLK_F_MQ) |
		     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH));
	for (q = 0; q < 2; q++) {
		tr_init(&t[q], &mem, 16, q ? TR_RING1 : TR_RING0);
		tr_setup_queue(vm, q, &t[q]);
	}
	tr_driver_ok(vm);
	for (q = 0; q < 2; q++) {
		uint64_t buf = TR_BUF + q * 0x10000;

		le32_write(tr_at(&mem, buf), VIRTIO_BLK_T_IN);
		le64_write(tr_at(&mem, buf + 8), 100 + q);
		tr_desc(&t[q], 0, buf, 16, VIRTQ_DESC_F_NEXT, 1);
		tr_desc(&t[q], 1, buf + 0x1000, 512, VIRTQ_DESC_F_WRITE |
			VIRTQ_DESC_F_NEXT, 2);
		tr_desc(&t[q], 2, buf + 0x800, 1, VIRTQ_DESC_F_WRITE, 0);
		*tr_at(&mem, buf + 0x800) = 0xff;
		tr_avail(&t[q], 0);
		tr_w32(vm, VIRTIO_MMIO_QUEUE_NOTIFY, q);
	}
	for (q = 0; q < 2; q++) {
		uint64_t buf = TR_BUF + q * 0x10000;

		CU_ASSERT_TRUE(tr_wait_used(&t[q], 1));
		CU_ASSERT_EQUAL(tr_used_len(&t[q], 0), 513);
		CU_ASSERT_EQUAL(*tr_at(&mem, buf + 0x800), VIRTIO_BLK_S_OK);
		CU_ASSERT_EQUAL(*tr_at(&mem, buf + 0x1000 + 5),
				pattern((100 + q) * 512 + 5));
	}
	virtio_mmio_free(vm);
	tr_mem_free(&mem);
	unlink(path);
}

static const CU_TestInfo virtio_blk_tests[] = {
	{ "request parsing", test_request_parse },
	{ "read", test_read },
	{ "write", test_write },
	{ "flush and GET_ID", test_flush_and_id },
	{ "read-only", test_read_only },
	{ "discard", test_discard },
	{ "write zeroes", test_write_zeroes },
	{ "direct I/O, unaligned buffer", test_direct_unaligned },
	{ "direct I/O, unaligned and large", test_direct_unaligned_large },
	{ "discard and write zeroes in steps", test_zero_steps },
	{ "write zeroes stops on a reset", test_zero_stops_on_reset },
	{ "chain without status byte", test_no_status_byte },
	{ "option parsing", test_parse_option },
	{ "open errors and locking", test_open_errors },
	{ "config space", test_config },
	{ "multiqueue", test_multiqueue },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(virtio_blk, virtio_blk_tests)
