// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: virtio-blk requests (devices/virtio-blk.c) from a
 * hostile driver, on a 1 MiB image in a memfd (zeros, the first 64 KiB a
 * pattern), behind the virtio-mmio transport; the device's workers do
 * the I/O and harness.c waits for them after every kick.
 *
 * The input: a header (u8 queues - 1, u8 flags: 1 read-only, 2 O_DIRECT
 * where the memfd takes it; 20 bytes of serial), guest RAM (u16 length,
 * bytes), then harness.h's ops, and this target's own:
 *   VH_OP_DEVICE + 0  a request: u8 queue, u32 type, u64 sector, u8
 *                     sectors, u16 odd bytes, u8 data buffers, u8 layout
 *                     bits (1 header in two pieces, 2 a 2-byte status
 *                     buffer, 4 no status buffer), u8 fill; for a discard
 *                     or write zeroes u8 segments and 16 bytes each
 *
 * Such a request is built in RAM at REQ and posted on its own; when the
 * device answers it alone, the answer is checked: a known status, a used
 * length of what was written, and the bytes: what a read returns is the
 * image's, what a write leaves in the image is the guest's, a write
 * zeroes range reads back as zeros, the ID is the serial.
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/virtio.h>
#include <armz/virtio-blk.h>
#include <armz/virtio-mmio.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IMAGE_SIZE	(1u << 20)
#define PATTERN_SIZE	(64u << 10)
/* Where a request goes in RAM: header, status, then the data. */
#define REQ		0xa000u
#define REQ_STATUS	(REQ + 0x20)
#define REQ_SEGS	(REQ + 0x40)
#define REQ_DATA	0xb000u
#define REQ_DATA_MAX	(VH_RAM_SIZE - REQ_DATA)

static int image = -1;
static bool direct_ok;
static char serial[VIRTIO_BLK_ID_BYTES + 1];
static uint8_t pattern[PATTERN_SIZE], scratch[REQ_DATA_MAX];

static void image_setup(void)
{
	char path[64];
	int fd;

	if (image < 0) {
		image = memfd_create("armz-fuzz-blk", MFD_CLOEXEC);
		if (image < 0)
			abort();
		for (unsigned int i = 0; i < PATTERN_SIZE; i++)
			pattern[i] = (uint8_t)(i * 31 + i / 512);
		/* tmpfs may not do O_DIRECT: then no input asks for it. */
		snprintf(path, sizeof(path), "/proc/self/fd/%d", image);
		fd = open(path, O_RDWR | O_DIRECT | O_CLOEXEC);
		direct_ok = fd >= 0;
		if (fd >= 0)
			close(fd);
	}
	/* What the last input wrote goes. */
	if (ftruncate(image, 0) || ftruncate(image, IMAGE_SIZE) ||
	    pwrite(image, pattern, PATTERN_SIZE, 0) != PATTERN_SIZE)
		abort();
}

/* The answer to the request just made, when it came alone. */
static void check_answer(struct vh *h, unsigned int q, uint16_t before,
			 int head, uint32_t type, uint64_t sector,
			 uint32_t data_len, bool in, uint32_t status_len,
			 const uint8_t *segs, unsigned int nseg)
{
	uint8_t *ram = h->mem.host, st;
	uint32_t id, len, want, w = (in ? data_len : 0) + status_len;
	unsigned int i;

	if (vh_used_idx(h, q) != (uint16_t)(before + 1))
		return;
	vh_used_elem(h, q, before, &id, &len);
	if (id != (uint32_t)head)
		return;
	/* No status buffer: it went into the data's last byte, if any. */
	if (!status_len) {
		if (!w && len)
			fz_fail("used length %u for a request with no "
				"writable byte", len);
		return;
	}
	/* The status is the last writable byte. */
	st = ram[REQ_STATUS + status_len - 1];
	if (st != VIRTIO_BLK_S_OK && st != VIRTIO_BLK_S_IOERR &&
	    st != VIRTIO_BLK_S_UNSUPP)
		fz_fail("status %u", st);
	/* Bytes written: the status, and what a read or an ID filled. */
	want = 1;
	if (st == VIRTIO_BLK_S_OK && type == VIRTIO_BLK_T_IN)
		want = w;
	if (st == VIRTIO_BLK_S_OK && type == VIRTIO_BLK_T_GET_ID)
		want += w - 1 < VIRTIO_BLK_ID_BYTES ? w - 1 :
		       VIRTIO_BLK_ID_BYTES;
	if (len != want)
		fz_fail("type %u, status %u: used length %u, not %u", type, st,
			len, want);
	if (st != VIRTIO_BLK_S_OK)
		return;
	switch (type) {
	case VIRTIO_BLK_T_IN:
	case VIRTIO_BLK_T_OUT:
		if (pread(image, scratch, data_len,
			  (off_t)(sector * VIRTIO_BLK_SECTOR_SIZE)) !=
		    (ssize_t)data_len)
			fz_fail("image shorter than a request that worked");
		if (memcmp(scratch, ram + REQ_DATA, data_len))
			fz_fail("%s at sector %llu: the data differs",
				type ? "write" : "read",
				(unsigned long long)sector);
		break;
	case VIRTIO_BLK_T_GET_ID:
		for (i = 0; i < data_len && i < VIRTIO_BLK_ID_BYTES; i++)
			if (ram[REQ_DATA + i] != (uint8_t)serial[i])
				fz_fail("ID byte %u differs", i);
		break;
	case VIRTIO_BLK_T_WRITE_ZEROES:
		for (i = 0; i < nseg; i++) {
			uint64_t s = le64_read(segs + 16 * i);
			uint32_t n = le32_read(segs + 16 * i + 8);
			uint64_t at = s * VIRTIO_BLK_SECTOR_SIZE;
			uint64_t left = (uint64_t)n * VIRTIO_BLK_SECTOR_SIZE;

			while (left) {
				size_t k = left < sizeof(scratch) ?
					   (size_t)left : sizeof(scratch);

				if (pread(image, scratch, k, (off_t)at) !=
				    (ssize_t)k)
					fz_fail("zeroed range past the image");
				for (size_t j = 0; j < k; j++)
					if (scratch[j])
						fz_fail("write zeroes left a "
							"byte at %llu",
							(unsigned long long)
							(at + j));
				at += k;
				left -= k;
			}
		}
		break;
	}
}

static void op_request(struct vh *h, struct fz *f)
{
	struct vh_buf b[8];
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE], segs[16 * 33];
	unsigned int q = fz_u8(f), n = 0, nbufs, i, nseg = 0;
	uint32_t type = fz_u32(f), data_len, status_len, piece;
	uint64_t sector = fz_u64(f);
	uint8_t layout, fill;
	uint16_t before;
	bool in, sane;
	int head;

	data_len = (uint32_t)(fz_u8(f) % 41) * VIRTIO_BLK_SECTOR_SIZE +
		   fz_u16(f) % VIRTIO_BLK_SECTOR_SIZE;
	nbufs = 1 + fz_u8(f) % 4;
	layout = fz_u8(f);
	fill = fz_u8(f);
	if (type == VIRTIO_BLK_T_DISCARD || type == VIRTIO_BLK_T_WRITE_ZEROES) {
		nseg = fz_u8(f) % 34;
		for (i = 0; i < 16 * nseg; i++)
			segs[i] = fz_u8(f);
		data_len = 16 * nseg;
	}
	if (data_len > REQ_DATA_MAX)
		data_len = REQ_DATA_MAX;
	if (q >= VH_RINGS || !h->ring[q].set ||
	    h->ring[q].used + 4 + 8 * h->ring[q].num > VH_RAM_SIZE)
		return;

	le32_write(hdr, type);
	le32_write(hdr + 4, 0);
	le64_write(hdr + 8, sector);
	memcpy(h->mem.host + REQ, hdr, sizeof(hdr));
	if (nseg)
		memcpy(h->mem.host + REQ_DATA, segs, data_len);
	else
		memset(h->mem.host + REQ_DATA, fill, data_len);
	memset(h->mem.host + REQ_STATUS, 0xee, 2);

	if (layout & 1) {
		b[n++] = (struct vh_buf){ REQ, 5, false };
		b[n++] = (struct vh_buf){ REQ + 5, 11, false };
	} else {
		b[n++] = (struct vh_buf){ REQ, 16, false };
	}
	in = type == VIRTIO_BLK_T_IN || type == VIRTIO_BLK_T_GET_ID;
	piece = (data_len + nbufs - 1) / nbufs;
	for (i = 0; data_len && i * piece < data_len; i++) {
		uint32_t at = i * piece;

		b[n++] = (struct vh_buf){
			(uint16_t)(REQ_DATA + at),
			(uint16_t)(data_len - at < piece ? data_len - at : piece),
			in,
		};
	}
	status_len = layout & 4 ? 0 : layout & 2 ? 2 : 1;
	if (status_len)
		b[n++] = (struct vh_buf){ REQ_STATUS, (uint16_t)status_len,
					  true };
	if (n > h->ring[q].num)
		return;
	before = vh_used_idx(h, q);
	sane = vh_ring_sane(h, q, REQ, VH_RAM_SIZE);
	head = vh_chain(h, q, b, n);
	if (head < 0)
		return;
	vh_kick(h, q);
	/* Answered on the rings this driver made, or not at all. */
	if (!sane || !vh_ring_sane(h, q, REQ, VH_RAM_SIZE))
		return;
	check_answer(h, q, before, head, type, sector, data_len, in,
		     status_len, segs, nseg);
}

static void dev_op(struct vh *h, unsigned int op, struct fz *f)
{
	if (op == 0)
		op_request(h, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct vh h;
	struct virtio_device *dev;
	struct blk_config cfg = { 0 };
	const uint8_t *ram;
	size_t ram_len;
	unsigned int nq;
	uint8_t flags;

	if (size < 24)
		return 0;
	image_setup();
	nq = 1 + fz_u8(&f) % 4;
	flags = fz_u8(&f);
	for (unsigned int i = 0; i < VIRTIO_BLK_ID_BYTES; i++)
		cfg.serial[i] = (char)fz_u8(&f);
	memcpy(serial, cfg.serial, sizeof(serial));
	memset(serial + strnlen(serial, VIRTIO_BLK_ID_BYTES), 0,
	       sizeof(serial) - strnlen(serial, VIRTIO_BLK_ID_BYTES));
	cfg.ro = flags & 1;
	cfg.direct = (flags & 2) && direct_ok;
	snprintf(cfg.path, sizeof(cfg.path), "/proc/self/fd/%d", image);
	if (virtio_blk_new(&cfg, nq, &dev))
		fz_fail("virtio-blk refused the image: %s", err_msg());
	ram = fz_blob(&f, VH_RAM_SIZE, &ram_len);
	vh_init(&h, dev, ram, ram_len, 0);
	vh_run(&h, &f, dev_op);
	vh_fini(&h);
	return 0;
}
