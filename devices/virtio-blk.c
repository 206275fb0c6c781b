// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <linux/fs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/util.h>
#include <armz/virtio.h>
#include <armz/virtio-blk.h>

/* The largest single read or write: its length must fit the used ring. */
#define BLK_MAX_IO		(1ULL << 30)
/* Zeroes written at a time when the file system cannot zero a range. */
#define BLK_ZERO_CHUNK		(64u << 10)
/*
 * What O_DIRECT asks of a buffer's address and length at the least. A
 * device may ask for more (4 KiB sectors): the kernel's EINVAL says so.
 */
#define BLK_DIRECT_ALIGN	512

/*
 * Long work goes in steps, and between steps a worker looks whether the
 * transport is stopping it (a reset), so that never waits for more than
 * one step: a transfer moves VIRTIO_BLK_BOUNCE_SIZE at a time (a bounced
 * O_DIRECT one through its queue's buffer), a discard or write zeroes
 * range goes VIRTIO_BLK_ZERO_STEP at a time. A request stopped part way
 * fails.
 */
struct virtio_blk {
	struct virtio_device dev;
	int fd;
	bool ro;
	bool direct;
	uint64_t capacity;		/* sectors */
	uint32_t zero_step;		/* bytes, VIRTIO_BLK_ZERO_STEP */
	uint64_t steps;			/* taken so far, atomic */
	char serial[VIRTIO_BLK_ID_BYTES];
	uint8_t *zeroes;		/* BLK_ZERO_CHUNK bytes, aligned */
	/* Queue q's, made on its first bounce and used by its worker only. */
	uint8_t *bounce[VIRTIO_QUEUES_MAX];
	uint8_t config[VIRTIO_BLK_CFG_SIZE];
};

static struct virtio_blk *to_blk(const struct virtio_device *dev)
{
	return container_of(dev, struct virtio_blk, dev);
}

/* --- Command line --- */

static int blk_parse_opt(const char *opt, size_t len, struct blk_config *cfg)
{
	if (len == 2 && !strncmp(opt, "ro", 2)) {
		cfg->ro = true;
	} else if (len == 6 && !strncmp(opt, "direct", 6)) {
		cfg->direct = true;
	} else if (len >= 7 && !strncmp(opt, "serial=", 7)) {
		if (len - 7 > VIRTIO_BLK_ID_BYTES)
			return err_set(EINVAL, "disk serial '%.*s' is longer than %u bytes",
				       (int)(len - 7), opt + 7,
				       VIRTIO_BLK_ID_BYTES);
		memcpy(cfg->serial, opt + 7, len - 7);
		cfg->serial[len - 7] = '\0';
	} else {
		return err_set(EINVAL, "unknown disk option '%.*s'", (int)len,
			       opt);
	}
	return 0;
}

int blk_parse(const char *arg, struct blk_config *cfg)
{
	const char *comma = strchr(arg, ',');
	size_t len = comma ? (size_t)(comma - arg) : strlen(arg);

	memset(cfg, 0, sizeof(*cfg));
	if (!len)
		return err_set(EINVAL, "disk: no image path in '%s'", arg);
	if (len >= sizeof(cfg->path))
		return err_set(ENAMETOOLONG, "disk: image path too long");
	memcpy(cfg->path, arg, len);
	while (comma) {
		const char *opt = comma + 1;
		int r;

		comma = strchr(opt, ',');
		len = comma ? (size_t)(comma - opt) : strlen(opt);
		r = blk_parse_opt(opt, len, cfg);
		if (r)
			return r;
	}
	return 0;
}

/* --- Requests --- */

static uint8_t blk_check_range(const struct blk_req *req, uint64_t capacity)
{
	uint64_t sectors = req->data_len / VIRTIO_BLK_SECTOR_SIZE;

	if (req->data_len % VIRTIO_BLK_SECTOR_SIZE ||
	    req->data_len > BLK_MAX_IO)
		return VIRTIO_BLK_S_IOERR;
	if (req->sector > capacity || sectors > capacity - req->sector)
		return VIRTIO_BLK_S_IOERR;
	return VIRTIO_BLK_S_OK;
}

uint8_t blk_req_parse(const struct virtq_chain *chain, uint64_t capacity,
		      bool ro, struct blk_req *req)
{
	uint8_t hdr[VIRTIO_BLK_HDR_SIZE];

	memset(req, 0, sizeof(*req));
	if (!chain->write_len ||
	    virtq_chain_read(chain, 0, hdr, sizeof(hdr)) != sizeof(hdr))
		return VIRTIO_BLK_S_IOERR;
	req->type = le32_read(hdr);
	req->sector = le64_read(hdr + 8);
	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		req->data_len = chain->write_len - 1;
		return blk_check_range(req, capacity);
	case VIRTIO_BLK_T_OUT:
		if (ro)
			return VIRTIO_BLK_S_IOERR;
		req->data_len = chain->read_len - VIRTIO_BLK_HDR_SIZE;
		return blk_check_range(req, capacity);
	case VIRTIO_BLK_T_FLUSH:
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_GET_ID:
		req->data_len = chain->write_len - 1;
		if (req->data_len > VIRTIO_BLK_ID_BYTES)
			req->data_len = VIRTIO_BLK_ID_BYTES;
		return VIRTIO_BLK_S_OK;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		if (ro)
			return VIRTIO_BLK_S_IOERR;
		req->data_len = chain->read_len - VIRTIO_BLK_HDR_SIZE;
		if (!req->data_len || req->data_len % VIRTIO_BLK_SEG_SIZE ||
		    req->data_len / VIRTIO_BLK_SEG_SIZE >
		    VIRTIO_BLK_MAX_DISCARD_SEG)
			return VIRTIO_BLK_S_IOERR;
		return VIRTIO_BLK_S_OK;
	}
	return VIRTIO_BLK_S_UNSUPP;
}

/* Skips done bytes of an iovec array after a short transfer. */
static unsigned int iov_advance(struct iovec *iov, unsigned int n, size_t done)
{
	unsigned int i = 0;

	while (i < n && done >= iov[i].iov_len)
		done -= iov[i++].iov_len;
	if (i < n) {
		iov[i].iov_base = (uint8_t *)iov[i].iov_base + done;
		iov[i].iov_len -= done;
	}
	memmove(iov, iov + i, (n - i) * sizeof(*iov));
	return n - i;
}

/* One more step of long work, unless the transport is stopping us. */
static bool blk_step(struct virtio_blk *blk)
{
	if (virtio_dev_stopping(&blk->dev))
		return false;
	__atomic_fetch_add(&blk->steps, 1, __ATOMIC_RELAXED);
	return true;
}

/* Copies len bytes at byte at of the iovec array to or from buf. */
static void iov_copy(const struct iovec *iov, unsigned int n, size_t at,
		     uint8_t *buf, size_t len, bool to_buf)
{
	unsigned int i;

	for (i = 0; i < n && len; i++) {
		size_t part;
		uint8_t *p;

		if (at >= iov[i].iov_len) {
			at -= iov[i].iov_len;
			continue;
		}
		p = (uint8_t *)iov[i].iov_base + at;
		part = iov[i].iov_len - at;
		if (part > len)
			part = len;
		if (to_buf)
			memcpy(buf, p, part);
		else
			memcpy(p, buf, part);
		buf += part;
		len -= part;
		at = 0;
	}
}

/* All of len bytes at off, or -1. */
static int blk_pio(int fd, uint8_t *buf, size_t len, off_t off, bool write)
{
	while (len) {
		ssize_t r = write ? pwrite(fd, buf, len, off) :
				    pread(fd, buf, len, off);

		if (r < 0 && errno == EINTR)
			continue;
		/* 0: the image shrank under us. */
		if (r <= 0)
			return -1;
		buf += r;
		len -= (size_t)r;
		off += r;
	}
	return 0;
}

static uint8_t *blk_bounce_buf(struct virtio_blk *blk, unsigned int q)
{
	void *buf;

	if (!blk->bounce[q] &&
	    !posix_memalign(&buf, 4096, VIRTIO_BLK_BOUNCE_SIZE))
		blk->bounce[q] = buf;
	return blk->bounce[q];
}

/*
 * O_DIRECT wants aligned memory; the guest's buffers usually are, but a
 * driver may hand us any address. Go through queue q's aligned buffer
 * then, a step at a time: however large the request, that is all the
 * memory it costs.
 */
static int blk_bounce(struct virtio_blk *blk, unsigned int q,
		      const struct iovec *iov, unsigned int n, off_t off,
		      size_t len, bool write)
{
	uint8_t *buf = blk_bounce_buf(blk, q);
	size_t done;

	if (!buf)
		return -1;
	for (done = 0; done < len; done += VIRTIO_BLK_BOUNCE_SIZE) {
		size_t step = len - done < VIRTIO_BLK_BOUNCE_SIZE ?
			      len - done : VIRTIO_BLK_BOUNCE_SIZE;

		if (!blk_step(blk))
			return -1;
		if (write)
			iov_copy(iov, n, done, buf, step, true);
		if (blk_pio(blk->fd, buf, step, off + (off_t)done, write))
			return -1;
		if (!write)
			iov_copy(iov, n, done, buf, step, false);
	}
	return 0;
}

static bool blk_iov_aligned(const struct iovec *iov, unsigned int n)
{
	unsigned int i;

	for (i = 0; i < n; i++)
		if ((uintptr_t)iov[i].iov_base % BLK_DIRECT_ALIGN ||
		    iov[i].iov_len % BLK_DIRECT_ALIGN)
			return false;
	return true;
}

/*
 * The entries of iov that hold its first max bytes, the last one cut
 * short: *cut is its full length, to be put back.
 */
static unsigned int iov_prefix(struct iovec *iov, unsigned int n, size_t max,
			       size_t *cut)
{
	unsigned int i;

	for (i = 0; i < n && max > iov[i].iov_len; i++)
		max -= iov[i].iov_len;
	if (i == n)
		return n;
	*cut = iov[i].iov_len;
	iov[i].iov_len = max;
	return i + 1;
}

/* One vectored transfer of at most max bytes: bytes moved, or -1. */
static ssize_t blk_xfer(struct virtio_blk *blk, struct iovec *iov,
			unsigned int n, off_t off, size_t max, bool write)
{
	size_t cut = 0;
	unsigned int k = iov_prefix(iov, n, max, &cut);
	ssize_t r;

	r = write ? pwritev(blk->fd, iov, (int)k, off) :
		    preadv(blk->fd, iov, (int)k, off);
	if (cut)
		iov[k - 1].iov_len = cut;
	return r;
}

/*
 * A request larger than VIRTIO_BLK_BOUNCE_SIZE (a driver may chain up to
 * BLK_MAX_IO) goes that much at a time, a step each, like a bounced one.
 */
static int blk_io(struct virtio_blk *blk, unsigned int q, struct iovec *iov,
		  unsigned int n, off_t off, size_t len, bool write)
{
	bool stepped = len > VIRTIO_BLK_BOUNCE_SIZE;
	size_t left = 0;	/* of the current step */

	if (blk->direct && !blk_iov_aligned(iov, n))
		return blk_bounce(blk, q, iov, n, off, len, write);
	while (len) {
		ssize_t r;

		if (!left) {
			if (stepped && !blk_step(blk))
				return -1;
			left = len < VIRTIO_BLK_BOUNCE_SIZE ? len :
						VIRTIO_BLK_BOUNCE_SIZE;
		}
		r = blk_xfer(blk, iov, n, off, left, write);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && errno == EINVAL && blk->direct)
			return blk_bounce(blk, q, iov, n, off, len, write);
		/* 0: the image shrank under us. */
		if (r <= 0)
			return -1;
		len -= (size_t)r;
		left -= (size_t)r;
		off += r;
		n = iov_advance(iov, n, (size_t)r);
	}
	return 0;
}

static uint8_t blk_rw(struct virtio_blk *blk, unsigned int q,
		      const struct virtq_chain *chain, const struct blk_req *req,
		      bool write)
{
	struct iovec iov[VIRTQ_NUM_MAX];
	unsigned int n;
	off_t off = (off_t)(req->sector * VIRTIO_BLK_SECTOR_SIZE);

	if (write)
		n = virtq_chain_iov(chain, false, VIRTIO_BLK_HDR_SIZE,
				    req->data_len, iov, VIRTQ_NUM_MAX);
	else
		n = virtq_chain_iov(chain, true, 0, req->data_len, iov,
				    VIRTQ_NUM_MAX);
	if (blk_io(blk, q, iov, n, off, req->data_len, write))
		return VIRTIO_BLK_S_IOERR;
	/* Without FLUSH the driver expects writes to be stable. */
	if (write && !virtio_dev_has(&blk->dev, VIRTIO_BLK_F_FLUSH) &&
	    fdatasync(blk->fd))
		return VIRTIO_BLK_S_IOERR;
	virtio_stat_add(write ? &blk->dev.stats.bytes_in :
				&blk->dev.stats.bytes_out, req->data_len);
	return VIRTIO_BLK_S_OK;
}

static int blk_write_zeroes(struct virtio_blk *blk, off_t off, uint64_t len)
{
	while (len) {
		size_t n = len < BLK_ZERO_CHUNK ? (size_t)len : BLK_ZERO_CHUNK;

		if (blk_pio(blk->fd, blk->zeroes, n, off, true))
			return -1;
		off += (off_t)n;
		len -= n;
	}
	return 0;
}

static bool blk_unsupported(int e)
{
	return e == EOPNOTSUPP || e == ENOSYS || e == ENODEV || e == ENOTTY;
}

/* Ways to zero a range, each the fallback of the one before. */
enum blk_zero_how {
	ZERO_PUNCH,		/* free the blocks: discard, or unmap allowed */
	ZERO_RANGE,		/* let the file system zero them */
	ZERO_WRITE,		/* write zeroes */
	ZERO_SKIP,		/* a discard the file cannot do: a hint only */
};

/* One step of a range; *how falls back as the file system refuses. */
static uint8_t blk_zero_step(struct virtio_blk *blk, uint32_t type,
			     enum blk_zero_how *how, off_t off, uint64_t len)
{
	for (;;) {
		int mode = FALLOC_FL_KEEP_SIZE;

		if (*how == ZERO_SKIP)
			return VIRTIO_BLK_S_OK;
		if (*how == ZERO_WRITE)
			return blk_write_zeroes(blk, off, len) ?
			       VIRTIO_BLK_S_IOERR : VIRTIO_BLK_S_OK;
		mode |= *how == ZERO_PUNCH ? FALLOC_FL_PUNCH_HOLE :
					     FALLOC_FL_ZERO_RANGE;
		if (!fallocate(blk->fd, mode, off, (off_t)len))
			return VIRTIO_BLK_S_OK;
		if (!blk_unsupported(errno))
			return VIRTIO_BLK_S_IOERR;
		if (type == VIRTIO_BLK_T_DISCARD)
			*how = ZERO_SKIP;
		else
			*how = *how == ZERO_PUNCH ? ZERO_RANGE : ZERO_WRITE;
	}
}

/*
 * One discard or write zeroes range, already checked: up to 2 GiB, and
 * where the file system can neither punch nor zero, that much written.
 * Hence steps, with a look at the transport between them.
 */
static uint8_t blk_zero_range(struct virtio_blk *blk, uint32_t type,
			      uint32_t flags, off_t off, uint64_t len)
{
	enum blk_zero_how how = ZERO_RANGE;

	if (type == VIRTIO_BLK_T_DISCARD ||
	    (flags & VIRTIO_BLK_WRITE_ZEROES_UNMAP))
		how = ZERO_PUNCH;
	while (len) {
		uint64_t n = len < blk->zero_step ? len : blk->zero_step;
		uint8_t st;

		if (!blk_step(blk))
			return VIRTIO_BLK_S_IOERR;
		st = blk_zero_step(blk, type, &how, off, n);
		if (st != VIRTIO_BLK_S_OK)
			return st;
		off += (off_t)n;
		len -= n;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_discard(struct virtio_blk *blk,
			   const struct virtq_chain *chain,
			   const struct blk_req *req)
{
	uint64_t i, nseg = req->data_len / VIRTIO_BLK_SEG_SIZE;
	uint32_t allowed = req->type == VIRTIO_BLK_T_WRITE_ZEROES ?
			   VIRTIO_BLK_WRITE_ZEROES_UNMAP : 0;

	for (i = 0; i < nseg; i++) {
		uint8_t seg[VIRTIO_BLK_SEG_SIZE];
		uint64_t sector;
		uint32_t num, flags;
		uint8_t st;

		/* One copy: the guest may rewrite the range meanwhile. */
		virtq_chain_read(chain, VIRTIO_BLK_HDR_SIZE +
				 i * VIRTIO_BLK_SEG_SIZE, seg, sizeof(seg));
		sector = le64_read(seg);
		num = le32_read(seg + 8);
		flags = le32_read(seg + 12);
		if (flags & ~allowed)
			return VIRTIO_BLK_S_UNSUPP;
		if (num > VIRTIO_BLK_MAX_DISCARD_SECTORS ||
		    sector > blk->capacity || num > blk->capacity - sector)
			return VIRTIO_BLK_S_IOERR;
		st = blk_zero_range(blk, req->type, flags,
				    (off_t)(sector * VIRTIO_BLK_SECTOR_SIZE),
				    (uint64_t)num * VIRTIO_BLK_SECTOR_SIZE);
		if (st != VIRTIO_BLK_S_OK)
			return st;
	}
	return VIRTIO_BLK_S_OK;
}

static uint8_t blk_execute(struct virtio_blk *blk, unsigned int q,
			   const struct virtq_chain *chain,
			   const struct blk_req *req, uint32_t *written)
{
	uint8_t id[VIRTIO_BLK_ID_BYTES];
	uint8_t st = VIRTIO_BLK_S_OK;

	switch (req->type) {
	case VIRTIO_BLK_T_IN:
		st = blk_rw(blk, q, chain, req, false);
		if (st == VIRTIO_BLK_S_OK)
			*written = (uint32_t)req->data_len;
		break;
	case VIRTIO_BLK_T_OUT:
		st = blk_rw(blk, q, chain, req, true);
		break;
	case VIRTIO_BLK_T_FLUSH:
		if (fdatasync(blk->fd))
			st = VIRTIO_BLK_S_IOERR;
		break;
	case VIRTIO_BLK_T_GET_ID:
		/* NUL-padded, no terminator when all 20 bytes are used. */
		memset(id, 0, sizeof(id));
		memcpy(id, blk->serial, sizeof(blk->serial));
		*written = (uint32_t)virtq_chain_write(chain, 0, id,
						       (size_t)req->data_len);
		break;
	case VIRTIO_BLK_T_DISCARD:
	case VIRTIO_BLK_T_WRITE_ZEROES:
		st = blk_discard(blk, chain, req);
		break;
	}
	return st;
}

void virtio_blk_handle(struct virtio_device *dev, unsigned int q,
		       const struct virtq_chain *chain, uint32_t *used_len)
{
	struct virtio_blk *blk = to_blk(dev);
	struct blk_req req;
	uint32_t written = 0;
	uint8_t st;

	*used_len = 0;
	st = blk_req_parse(chain, blk->capacity, blk->ro, &req);
	if (st == VIRTIO_BLK_S_OK)
		st = blk_execute(blk, q, chain, &req, &written);
	if (st != VIRTIO_BLK_S_OK)
		virtio_stat_add(&dev->stats.errors, 1);
	if (!chain->write_len)
		return;
	virtq_chain_write(chain, chain->write_len - 1, &st, 1);
	*used_len = written + 1;
}

static int blk_handle_chain(struct virtio_device *dev, unsigned int q,
			    const struct virtq_chain *chain,
			    uint32_t *used_len)
{
	virtio_blk_handle(dev, q, chain, used_len);
	return 0;
}

static void blk_queue_notify(struct virtio_device *dev, unsigned int q)
{
	virtio_dev_process(dev, q, blk_handle_chain);
}

static void blk_free(struct virtio_device *dev)
{
	struct virtio_blk *blk = to_blk(dev);
	unsigned int q;

	if (blk->fd >= 0)
		close(blk->fd);
	for (q = 0; q < VIRTIO_QUEUES_MAX; q++)
		free(blk->bounce[q]);
	free(blk->zeroes);
	free(blk);
}

static const struct virtio_device_ops blk_ops = {
	.queue_notify = blk_queue_notify,
	.free = blk_free,
};

/* --- Opening --- */

static int blk_lock(int fd, const struct blk_config *cfg)
{
	struct flock fl = {
		.l_type = cfg->ro ? F_RDLCK : F_WRLCK,
		.l_whence = SEEK_SET,
	};

	if (!fcntl(fd, F_OFD_SETLK, &fl))
		return 0;
	if (errno == EAGAIN || errno == EACCES)
		return err_set(EBUSY, "disk '%s' is in use by another process",
			       cfg->path);
	/* A file system without locks: nothing to coordinate with. */
	return 0;
}

static int blk_size(int fd, const struct blk_config *cfg, uint64_t *size,
		    uint32_t *sector_size, uint32_t *granule)
{
	struct stat st;
	int ssz = VIRTIO_BLK_SECTOR_SIZE;

	if (fstat(fd, &st))
		return err_set(errno, "disk '%s': %s", cfg->path,
			       strerror(errno));
	if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, size))
			return err_set(errno, "disk '%s': %s", cfg->path,
				       strerror(errno));
		if (ioctl(fd, BLKSSZGET, &ssz) || ssz < VIRTIO_BLK_SECTOR_SIZE)
			ssz = VIRTIO_BLK_SECTOR_SIZE;
	} else if (S_ISREG(st.st_mode)) {
		*size = (uint64_t)st.st_size;
	} else {
		return err_set(EINVAL, "disk '%s' is not a regular file or block device",
			       cfg->path);
	}
	if (*size % VIRTIO_BLK_SECTOR_SIZE)
		return err_set(EINVAL, "disk '%s': size %llu is not a multiple of 512",
			       cfg->path, (unsigned long long)*size);
	*sector_size = (uint32_t)ssz;
	*granule = st.st_blksize > VIRTIO_BLK_SECTOR_SIZE ?
		   (uint32_t)(st.st_blksize / VIRTIO_BLK_SECTOR_SIZE) : 1;
	return 0;
}

static void blk_fill_config(struct virtio_blk *blk, uint32_t sector_size,
			    uint32_t granule)
{
	uint8_t *c = blk->config;

	le64_write(c + VIRTIO_BLK_CFG_CAPACITY, blk->capacity);
	le32_write(c + VIRTIO_BLK_CFG_SEG_MAX, blk->dev.queue_size - 2);
	le32_write(c + VIRTIO_BLK_CFG_BLK_SIZE, sector_size);
	le16_write(c + VIRTIO_BLK_CFG_NUM_QUEUES,
		   (uint16_t)blk->dev.num_queues);
	le32_write(c + VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS,
		   VIRTIO_BLK_MAX_DISCARD_SECTORS);
	le32_write(c + VIRTIO_BLK_CFG_MAX_DISCARD_SEG,
		   VIRTIO_BLK_MAX_DISCARD_SEG);
	le32_write(c + VIRTIO_BLK_CFG_DISCARD_ALIGN, granule);
	le32_write(c + VIRTIO_BLK_CFG_MAX_WZ_SECTORS,
		   VIRTIO_BLK_MAX_DISCARD_SECTORS);
	le32_write(c + VIRTIO_BLK_CFG_MAX_WZ_SEG, VIRTIO_BLK_MAX_DISCARD_SEG);
	c[VIRTIO_BLK_CFG_WZ_MAY_UNMAP] = 1;
}

static uint64_t blk_features(const struct blk_config *cfg)
{
	uint64_t f = VIRTIO_BIT(VIRTIO_BLK_F_SEG_MAX) |
		     VIRTIO_BIT(VIRTIO_BLK_F_BLK_SIZE) |
		     VIRTIO_BIT(VIRTIO_BLK_F_FLUSH) |
		     VIRTIO_BIT(VIRTIO_BLK_F_MQ);

	if (cfg->ro)
		return f | VIRTIO_BIT(VIRTIO_BLK_F_RO);
	return f | VIRTIO_BIT(VIRTIO_BLK_F_DISCARD) |
	       VIRTIO_BIT(VIRTIO_BLK_F_WRITE_ZEROES);
}

static int blk_open(struct virtio_blk *blk, const struct blk_config *cfg,
		    uint32_t *sector_size, uint32_t *granule)
{
	int flags = (cfg->ro ? O_RDONLY : O_RDWR) | O_CLOEXEC |
		    (cfg->direct ? O_DIRECT : 0);
	uint64_t size;
	int r;

	blk->fd = open(cfg->path, flags);
	if (blk->fd < 0)
		return err_set(errno, "disk '%s': %s", cfg->path,
			       strerror(errno));
	r = blk_size(blk->fd, cfg, &size, sector_size, granule);
	if (!r)
		r = blk_lock(blk->fd, cfg);
	blk->capacity = size / VIRTIO_BLK_SECTOR_SIZE;
	return r;
}

int virtio_blk_new(const struct blk_config *cfg, unsigned int nqueues,
		   struct virtio_device **out)
{
	struct virtio_blk *blk = calloc(1, sizeof(*blk));
	uint32_t sector_size = 0, granule = 0;
	int r;

	if (!blk || posix_memalign((void **)&blk->zeroes, 4096,
				   BLK_ZERO_CHUNK)) {
		free(blk);
		return err_set(ENOMEM, "virtio-blk: out of memory");
	}
	memset(blk->zeroes, 0, BLK_ZERO_CHUNK);
	if (!nqueues)
		nqueues = 1;
	if (nqueues > VIRTIO_QUEUES_MAX)
		nqueues = VIRTIO_QUEUES_MAX;
	blk->ro = cfg->ro;
	blk->direct = cfg->direct;
	blk->zero_step = VIRTIO_BLK_ZERO_STEP;
	memcpy(blk->serial, cfg->serial,
	       strnlen(cfg->serial, sizeof(blk->serial)));
	blk->dev = (struct virtio_device){
		.ops = &blk_ops,
		.name = "virtio-blk",
		.id = VIRTIO_ID_BLOCK,
		.features = blk_features(cfg),
		.num_queues = nqueues,
		.queue_size = VIRTQ_NUM_MAX,
		/* One thread per queue: queues never wait for each other. */
		.nr_workers = nqueues,
		.worker_role = THREAD_BLK,
		.config = blk->config,
		.config_size = sizeof(blk->config),
	};
	r = blk_open(blk, cfg, &sector_size, &granule);
	if (r) {
		blk_free(&blk->dev);
		return r;
	}
	blk_fill_config(blk, sector_size, granule);
	*out = &blk->dev;
	return 0;
}

uint64_t virtio_blk_capacity(const struct virtio_device *dev)
{
	return to_blk(dev)->capacity;
}

uint64_t virtio_blk_steps(const struct virtio_device *dev)
{
	return __atomic_load_n(&to_blk(dev)->steps, __ATOMIC_RELAXED);
}

void virtio_blk_set_zero_step(struct virtio_device *dev, uint32_t bytes)
{
	bytes -= bytes % VIRTIO_BLK_SECTOR_SIZE;
	if (bytes < VIRTIO_BLK_SECTOR_SIZE)
		bytes = VIRTIO_BLK_SECTOR_SIZE;
	if (bytes > VIRTIO_BLK_ZERO_STEP)
		bytes = VIRTIO_BLK_ZERO_STEP;
	to_blk(dev)->zero_step = bytes;
}
