// SPDX-License-Identifier: GPL-2.0
/*
 * The fuzz targets' common part (harness.h): input fields and a virtio
 * driver with the waiting that makes a threaded device deterministic.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/virtio.h>

#include "harness.h"

/* --- Input fields --- */

uint8_t fz_u8(struct fz *f)
{
	uint8_t v = 0;

	if (f->n) {
		v = *f->p++;
		f->n--;
	}
	return v;
}

uint16_t fz_u16(struct fz *f)
{
	uint16_t lo = fz_u8(f);

	return (uint16_t)(lo | fz_u8(f) << 8);
}

uint32_t fz_u32(struct fz *f)
{
	uint32_t lo = fz_u16(f);

	return lo | (uint32_t)fz_u16(f) << 16;
}

uint64_t fz_u64(struct fz *f)
{
	uint64_t lo = fz_u32(f);

	return lo | (uint64_t)fz_u32(f) << 32;
}

const uint8_t *fz_blob(struct fz *f, size_t max, size_t *len)
{
	const uint8_t *p;
	size_t n = fz_u16(f);

	if (n > f->n)
		n = f->n;
	p = f->p;
	f->p += n;
	f->n -= n;
	*len = n < max ? n : max;
	return p;
}

bool fz_more(const struct fz *f)
{
	return f->n != 0;
}

void fz_check_fds(void)
{
	static int lowest = -1;
	int fd = open("/dev/null", O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fz_fail("no descriptor left: %s", strerror(errno));
	close(fd);
	if (lowest < 0)
		lowest = fd;
	else if (fd > lowest)
		fz_fail("descriptors leak: %d is the lowest free, was %d", fd,
			lowest);
}

void fz_fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "fuzz: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	abort();
}

/* --- The wrapped device ops: count what the workers did --- */

/* One driver at a time: the ops find it here. */
static struct vh *vh_cur;

static void vh_signal(struct vh *h)
{
	pthread_cond_broadcast(&h->cond);
	pthread_mutex_unlock(&h->lock);
}

static int vh_start(struct virtio_device *dev)
{
	struct vh *h = vh_cur;
	int r = h->dev_ops->start ? h->dev_ops->start(dev) : 0;

	/* vCPU side, before the workers: each will tell its fds. */
	if (r >= 0) {
		pthread_mutex_lock(&h->lock);
		h->fds_due += dev->nr_workers;
		pthread_mutex_unlock(&h->lock);
	}
	return r;
}

static void vh_stop(struct virtio_device *dev)
{
	struct vh *h = vh_cur;

	if (h->dev_ops->stop)
		h->dev_ops->stop(dev);
	/* The workers are joined: nothing polls their fds any more. */
	pthread_mutex_lock(&h->lock);
	h->fds_told = h->fds_due = 0;
	h->nfds = 0;
	vh_signal(h);
}

static void vh_queue_notify(struct virtio_device *dev, unsigned int q)
{
	struct vh *h = vh_cur;

	h->dev_ops->queue_notify(dev, q);
	pthread_mutex_lock(&h->lock);
	h->notified[q]++;
	vh_signal(h);
}

static unsigned int vh_worker_fds(struct virtio_device *dev, unsigned int w,
				  int *fds)
{
	struct vh *h = vh_cur;
	unsigned int n = 0, i, j;

	if (h->dev_ops->worker_fds)
		n = h->dev_ops->worker_fds(dev, w, fds);
	pthread_mutex_lock(&h->lock);
	for (i = 0; i < n && i < VIRTIO_WORKER_FDS_MAX; i++) {
		for (j = 0; j < h->nfds && h->fds[j] != fds[i]; j++)
			;
		if (j == h->nfds && h->nfds < sizeof(h->fds) / sizeof(h->fds[0]))
			h->fds[h->nfds++] = fds[i];
	}
	h->fds_told++;
	vh_signal(h);
	return n;
}

static void vh_fd_ready(struct virtio_device *dev, unsigned int w, int fd,
			short revents)
{
	struct vh *h = vh_cur;

	pthread_mutex_lock(&h->lock);
	h->busy++;
	pthread_mutex_unlock(&h->lock);
	h->dev_ops->fd_ready(dev, w, fd, revents);
	pthread_mutex_lock(&h->lock);
	h->busy--;
	vh_signal(h);
}

static int vh_irq_trigger(struct irq_line *line)
{
	struct vh *h = line->ctx;

	__atomic_fetch_add(&h->irqs, 1, __ATOMIC_RELAXED);
	return 0;
}

static void vh_irq_release(struct irq_line *line)
{
	if (line->fd >= 0)
		close(line->fd);
}

static const struct irq_ops vh_irq_ops = {
	.trigger = vh_irq_trigger,
	.release = vh_irq_release,
};

/* --- Waiting --- */

static bool fd_readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return fd >= 0 && poll(&p, 1, 0) == 1 && (p.revents & POLLIN);
}

/* With h->lock held. */
static bool vh_settled(struct vh *h)
{
	unsigned int i;

	if (h->busy || h->fds_told < h->fds_due)
		return false;
	for (i = 0; i < h->dev->num_queues; i++)
		if (h->notified[i] < h->expected[i])
			return false;
	/* A readable fd is a call of fd_ready on its way. */
	for (i = 0; i < h->nfds; i++)
		if (fd_readable(h->fds[i]))
			return false;
	return true;
}

void vh_settle(struct vh *h)
{
	struct timespec end, now, step;

	clock_gettime(CLOCK_REALTIME, &end);
	end.tv_sec += VH_SETTLE_SECONDS;
	pthread_mutex_lock(&h->lock);
	while (!vh_settled(h)) {
		clock_gettime(CLOCK_REALTIME, &now);
		if (now.tv_sec > end.tv_sec ||
		    (now.tv_sec == end.tv_sec && now.tv_nsec >= end.tv_nsec))
			fz_fail("%s did not finish its work within %d s",
				h->dev->name, VH_SETTLE_SECONDS);
		/* Readability comes without a signal: look again soon. */
		step = now;
		step.tv_nsec += 20 * 1000 * 1000;
		if (step.tv_nsec >= 1000000000) {
			step.tv_sec++;
			step.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&h->cond, &h->lock, &step);
	}
	pthread_mutex_unlock(&h->lock);
}

/* --- Set up and tear down --- */

void vh_init(struct vh *h, struct virtio_device *dev, const uint8_t *ram,
	     size_t ram_len, unsigned int flags)
{
	struct irq_line irq = {
		.ops = &vh_irq_ops, .ctx = h, .spi = 16, .fd = -1,
	};

	memset(h, 0, sizeof(*h));
	vh_cur = h;
	if (flags & VH_IRQ_FD) {
		irq.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (irq.fd < 0)
			abort();
	}
	pthread_mutex_init(&h->lock, NULL);
	pthread_cond_init(&h->cond, NULL);
	/* Exactly the RAM's size, so that ASan sees a step past its end. */
	h->mem = (struct guest_mem){
		.gpa = VH_RAM_GPA, .size = VH_RAM_SIZE,
		.host = calloc(1, VH_RAM_SIZE),
	};
	if (!h->mem.host)
		abort();
	memcpy(h->mem.host, ram, ram_len < VH_RAM_SIZE ? ram_len : VH_RAM_SIZE);

	h->dev = dev;
	h->dev_ops = dev->ops;
	h->ops = *dev->ops;
	h->ops.start = vh_start;
	h->ops.stop = vh_stop;
	h->ops.queue_notify = vh_queue_notify;
	h->ops.worker_fds = vh_worker_fds;
	if (dev->ops->fd_ready)
		h->ops.fd_ready = vh_fd_ready;
	dev->ops = &h->ops;

	/* The targets make only devices the transport takes. */
	if (virtio_mmio_new(dev, &h->mem, &irq, VH_BASE, &h->t) ||
	    mmio_bus_add(&h->bus, VH_BASE, VIRTIO_MMIO_SIZE, &virtio_mmio_ops,
			 h->t))
		fz_fail("%s refused: %s", dev->name, err_msg());
}

void vh_fini(struct vh *h)
{
	vh_settle(h);
	/* Stops the workers, frees the transport and the device. */
	mmio_bus_free(&h->bus);
	free(h->mem.host);
	pthread_cond_destroy(&h->cond);
	pthread_mutex_destroy(&h->lock);
	vh_cur = NULL;
	fz_check_fds();
}

/* --- Register accesses --- */

int vh_access(struct vh *h, uint64_t addr, void *data, unsigned int len,
	      bool is_write)
{
	unsigned int nq = h->dev->num_queues, q;
	bool live[VIRTIO_QUEUES_MAX], pending[VIRTIO_QUEUES_MAX] = { 0 };
	bool status = is_write && len == 4 &&
		      addr == VH_BASE + VIRTIO_MMIO_STATUS;
	int r;

	/* A read sets nothing off. */
	if (!is_write)
		return mmio_bus_access(&h->bus, addr, data, len, false);
	/*
	 * A kick of a queue that is not live waits in its eventfd, and a
	 * worker started later takes it at once: note those before a
	 * status write, which may start the device.
	 */
	for (q = 0; q < nq; q++) {
		live[q] = virtio_dev_vq(h->dev, q) != NULL;
		pending[q] = status && !live[q] &&
			     fd_readable(virtio_mmio_kick_fd(h->t, q));
	}
	r = mmio_bus_access(&h->bus, addr, data, len, true);
	if (h->dev->external)
		return r;
	pthread_mutex_lock(&h->lock);
	if (is_write && len == 4 &&
	    addr == VH_BASE + VIRTIO_MMIO_QUEUE_NOTIFY) {
		q = le32_read(data);
		if (q < nq && live[q])
			h->expected[q]++;
	}
	for (q = 0; q < nq; q++)
		if (pending[q] && virtio_dev_vq(h->dev, q))
			h->expected[q]++;
	pthread_mutex_unlock(&h->lock);
	vh_settle(h);
	return r;
}

void vh_write32(struct vh *h, uint64_t off, uint32_t v)
{
	uint8_t b[4];

	le32_write(b, v);
	vh_access(h, VH_BASE + off, b, 4, true);
}

uint32_t vh_read32(struct vh *h, uint64_t off)
{
	uint8_t b[4];

	vh_access(h, VH_BASE + off, b, 4, false);
	return le32_read(b);
}

/* --- A driver --- */

void vh_features(struct vh *h, uint64_t want)
{
	uint64_t dev;

	vh_write32(h, VIRTIO_MMIO_STATUS, 0);
	vh_write32(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE);
	vh_write32(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
		   VIRTIO_STATUS_DRIVER);
	vh_write32(h, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
	dev = vh_read32(h, VIRTIO_MMIO_DEVICE_FEATURES);
	vh_write32(h, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
	dev |= (uint64_t)vh_read32(h, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
	want &= dev;
	vh_write32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
	vh_write32(h, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)want);
	vh_write32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
	vh_write32(h, VIRTIO_MMIO_DRIVER_FEATURES, (uint32_t)(want >> 32));
	vh_write32(h, VIRTIO_MMIO_STATUS, VIRTIO_STATUS_ACKNOWLEDGE |
		   VIRTIO_STATUS_DRIVER | VIRTIO_STATUS_FEATURES_OK);
	memset(h->ring, 0, sizeof(h->ring));
	h->gen++;
}

static void vh_write64(struct vh *h, uint64_t lo, uint64_t v)
{
	vh_write32(h, lo, (uint32_t)v);
	vh_write32(h, lo + 4, (uint32_t)(v >> 32));
}

void vh_queue(struct vh *h, unsigned int q, unsigned int num, uint16_t desc,
	      uint16_t avail, uint16_t used)
{
	bool ready;

	vh_write32(h, VIRTIO_MMIO_QUEUE_SEL, q);
	/* The device ignores a ready queue's layout: so does the driver. */
	ready = vh_read32(h, VIRTIO_MMIO_QUEUE_READY);
	vh_write32(h, VIRTIO_MMIO_QUEUE_NUM, num);
	vh_write64(h, VIRTIO_MMIO_QUEUE_DESC_LOW, VH_RAM_GPA + desc);
	vh_write64(h, VIRTIO_MMIO_QUEUE_DRIVER_LOW, VH_RAM_GPA + avail);
	vh_write64(h, VIRTIO_MMIO_QUEUE_DEVICE_LOW, VH_RAM_GPA + used);
	vh_write32(h, VIRTIO_MMIO_QUEUE_READY, 1);
	if (ready)
		return;
	/* A driver starts its rings empty: what is there is the last one's. */
	if (avail + 4u <= VH_RAM_SIZE)
		memset(h->mem.host + avail, 0, 4);
	if (used + 4u <= VH_RAM_SIZE)
		memset(h->mem.host + used, 0, 4);
	if (q < VH_RINGS)
		h->ring[q] = (struct vh_ring){
			.set = true, .num = num, .desc = desc,
			.avail = avail, .used = used,
		};
	h->gen++;
}

void vh_driver_ok(struct vh *h)
{
	vh_write32(h, VIRTIO_MMIO_STATUS,
		   vh_read32(h, VIRTIO_MMIO_STATUS) | VIRTIO_STATUS_DRIVER_OK);
}

void vh_kick(struct vh *h, unsigned int q)
{
	vh_write32(h, VIRTIO_MMIO_QUEUE_NOTIFY, q);
}

/* Takes back the descriptors of chains the device has used. */
static void vh_reclaim(struct vh *h, struct vh_ring *r)
{
	uint16_t idx = le16_read(h->mem.host + r->used + 2);

	/* An index that jumped (a reset, a poke): nothing to trust. */
	if ((uint16_t)(idx - r->last_used) > r->num) {
		r->last_used = idx;
		return;
	}
	for (; r->last_used != idx; r->last_used++) {
		const uint8_t *e = h->mem.host + r->used + 4 +
				   8 * (r->last_used % r->num);
		uint32_t id = le32_read(e);
		unsigned int k, s;

		if (id >= r->num || !r->busy[id] || !r->count[id])
			continue;
		for (k = 0, s = id; k < r->count[id]; k++, s = r->next[s])
			r->busy[s] = false;
		r->count[id] = 0;
	}
}

int vh_chain(struct vh *h, unsigned int q, const struct vh_buf *bufs,
	     unsigned int n)
{
	uint16_t slots[VIRTQ_NUM_MAX];
	uint8_t *ram = h->mem.host;
	struct vh_ring *r;
	unsigned int i, k, found = 0;
	uint16_t idx;

	if (q >= VH_RINGS || !h->ring[q].set || !n)
		return -1;
	r = &h->ring[q];
	/* Rings the driver put where they do not fit: it writes nothing. */
	if (!r->num || r->num > VIRTQ_NUM_MAX || n > r->num ||
	    r->desc + VIRTQ_DESC_SIZE * r->num > VH_RAM_SIZE ||
	    r->avail + 6 + 2 * r->num > VH_RAM_SIZE ||
	    r->used + 6 + 8 * r->num > VH_RAM_SIZE)
		return -1;
	vh_reclaim(h, r);
	for (k = 0; k < r->num && found < n; k++) {
		unsigned int s = (r->cursor + k) % r->num;

		if (!r->busy[s])
			slots[found++] = (uint16_t)s;
	}
	if (found < n)
		return -1;
	r->cursor = (uint16_t)((slots[n - 1] + 1) % r->num);
	for (i = 0; i < n; i++) {
		uint8_t *d = ram + r->desc + VIRTQ_DESC_SIZE * slots[i];
		uint16_t flags = bufs[i].write ? VIRTQ_DESC_F_WRITE : 0;

		if (i + 1 < n)
			flags |= VIRTQ_DESC_F_NEXT;
		le64_write(d, VH_RAM_GPA + bufs[i].off);
		le32_write(d + 8, bufs[i].len);
		le16_write(d + 12, flags);
		le16_write(d + 14, i + 1 < n ? slots[i + 1] : 0);
		r->busy[slots[i]] = true;
		r->next[slots[i]] = i + 1 < n ? slots[i + 1] : 0;
	}
	r->count[slots[0]] = (uint8_t)n;
	idx = le16_read(ram + r->avail + 2);
	le16_write(ram + r->avail + 4 + 2 * (idx % r->num), slots[0]);
	le16_write(ram + r->avail + 2, (uint16_t)(idx + 1));
	return slots[0];
}

static bool apart(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a + alen <= b || b + blen <= a;
}

/* Ring q's three areas and ring o's share no byte. */
static bool rings_apart(const struct vh_ring *r, const struct vh_ring *o)
{
	const uint64_t ra[3] = { r->desc, r->avail, r->used };
	const uint64_t rl[3] = { VIRTQ_DESC_SIZE * r->num, 6 + 2 * r->num,
				 6 + 8 * r->num };
	const uint64_t oa[3] = { o->desc, o->avail, o->used };
	const uint64_t ol[3] = { VIRTQ_DESC_SIZE * o->num, 6 + 2 * o->num,
				 6 + 8 * o->num };

	for (int i = 0; i < 3; i++)
		for (int k = 0; k < 3; k++)
			if (!apart(ra[i], rl[i], oa[k], ol[k]))
				return false;
	return true;
}

bool vh_ring_sane(struct vh *h, unsigned int q, uint64_t lo, uint64_t hi)
{
	const struct vh_ring *r;
	struct virtq *vq;
	uint64_t d, a, u;

	if (q >= VH_RINGS)
		return false;
	r = &h->ring[q];
	if (!r->set || !r->num || r->num > VIRTQ_NUM_MAX)
		return false;
	d = VIRTQ_DESC_SIZE * r->num;
	a = 6 + 2 * r->num;
	u = 6 + 8 * r->num;
	if (r->desc + d > VH_RAM_SIZE || r->avail + a > VH_RAM_SIZE ||
	    r->used + u > VH_RAM_SIZE || !apart(r->desc, d, lo, hi - lo) ||
	    !apart(r->avail, a, lo, hi - lo) || !apart(r->used, u, lo, hi - lo) ||
	    !apart(r->desc, d, r->avail, a) || !apart(r->desc, d, r->used, u) ||
	    !apart(r->avail, a, r->used, u))
		return false;
	/*
	 * A driver that gives two queues one table scrambles its own
	 * chains: what the device then does is right, and not checkable.
	 */
	for (unsigned int o = 0; o < VH_RINGS; o++)
		if (o != q && h->ring[o].set && !rings_apart(r, &h->ring[o]))
			return false;
	vq = virtio_dev_vq(h->dev, q);
	return vq && vq->num == r->num && vq->desc == h->mem.host + r->desc &&
	       vq->avail == h->mem.host + r->avail &&
	       vq->used == h->mem.host + r->used &&
	       vq->used_idx == vh_used_idx(h, q);
}

uint16_t vh_used_idx(struct vh *h, unsigned int q)
{
	return le16_read(h->mem.host + h->ring[q].used + 2);
}

void vh_used_elem(struct vh *h, unsigned int q, uint16_t i, uint32_t *id,
		  uint32_t *len)
{
	const uint8_t *e = h->mem.host + h->ring[q].used + 4 +
			   8 * (i % h->ring[q].num);

	*id = le32_read(e);
	*len = le32_read(e + 4);
}

int vh_send(struct vh *h, unsigned int q, const struct vh_buf *bufs,
	    unsigned int n, uint64_t lo, uint64_t hi, uint32_t *len)
{
	uint16_t before = vh_used_idx(h, q);
	bool sane = vh_ring_sane(h, q, lo, hi);
	int head = vh_chain(h, q, bufs, n);
	uint32_t id;

	if (head < 0)
		return -1;
	vh_kick(h, q);
	if (!sane || !vh_ring_sane(h, q, lo, hi) ||
	    vh_used_idx(h, q) != (uint16_t)(before + 1))
		return -1;
	vh_used_elem(h, q, before, &id, len);
	return id == (uint32_t)head ? 0 : -1;
}

/* --- Receive buffers --- */

void vh_rx_init(struct vh_rx *rx, unsigned int q, uint16_t lo, uint16_t hi)
{
	memset(rx, 0, sizeof(*rx));
	rx->q = q;
	rx->lo = rx->next = lo;
	rx->hi = hi;
	rx->gen = ~0u;
}

void vh_rx_post(struct vh *h, struct vh_rx *rx, unsigned int n, uint16_t size,
		unsigned int pieces,
		void (*check)(struct vh *h, uint16_t from, uint16_t to))
{
	const struct vh_ring *r = &h->ring[rx->q % VH_RINGS];
	struct vh_buf b[4];
	uint16_t piece, before;
	unsigned int i, k;
	bool sane;

	if (!r->set || r->avail + 4 + 2 * r->num > VH_RAM_SIZE ||
	    r->used + 4 + 8 * r->num > VH_RAM_SIZE)
		return;
	/* New rings: the old chains are gone. */
	if (rx->gen != h->gen) {
		memset(rx->chain, 0, sizeof(rx->chain));
		rx->gen = h->gen;
		rx->next = rx->lo;
	}
	if (vh_used_idx(h, rx->q) == le16_read(h->mem.host + r->avail + 2))
		rx->next = rx->lo;
	if (!size || pieces > 4 || pieces > r->num)
		return;
	piece = (uint16_t)((size + pieces - 1) / pieces);
	for (i = 0; i < n && rx->next + size <= rx->hi; i++) {
		unsigned int nb = 0;
		int head;

		for (k = 0; k < pieces && k * piece < size; k++)
			b[nb++] = (struct vh_buf){
				(uint16_t)(rx->next + k * piece),
				(uint16_t)(size - k * piece < piece ?
					   size - k * piece : piece),
				true,
			};
		memset(h->mem.host + rx->next, 0xcc, size);
		head = vh_chain(h, rx->q, b, nb);
		if (head < 0)
			break;
		rx->chain[head] = (struct vh_rx_chain){
			true, rx->next, size, b[0].len,
		};
		rx->next = (uint16_t)(rx->next + size);
	}
	before = vh_used_idx(h, rx->q);
	sane = vh_ring_sane(h, rx->q, rx->lo, rx->hi);
	vh_kick(h, rx->q);
	if (sane && check)
		check(h, before, vh_used_idx(h, rx->q));
}

const struct vh_rx_chain *vh_rx_chain(struct vh *h, struct vh_rx *rx,
				      uint32_t head)
{
	const struct vh_ring *r = &h->ring[rx->q];
	const struct vh_rx_chain *c;
	const uint8_t *d;

	if (rx->gen != h->gen || head >= r->num || head >= VIRTQ_NUM_MAX)
		return NULL;
	c = &rx->chain[head];
	d = h->mem.host + r->desc + VIRTQ_DESC_SIZE * head;
	if (!c->valid || le64_read(d) != VH_RAM_GPA + c->off ||
	    le32_read(d + 8) != c->first_len)
		return NULL;
	return c;
}

/* --- The ops --- */

#define VH_OPS_MAX	512
#define VH_CHAIN_MAX	16

static unsigned int fz_width(struct fz *f)
{
	return 1 + fz_u8(f) % 8;
}

static void vh_op_chain(struct vh *h, struct fz *f)
{
	struct vh_buf bufs[VH_CHAIN_MAX];
	unsigned int q = fz_u8(f), n = fz_u8(f) % (VH_CHAIN_MAX + 1), i;

	for (i = 0; i < n; i++) {
		bufs[i].off = fz_u16(f);
		bufs[i].len = fz_u16(f);
		bufs[i].write = fz_u8(f) & 1;
	}
	vh_chain(h, q, bufs, n);
}

static void vh_op_poke(struct vh *h, struct fz *f)
{
	uint16_t off = fz_u16(f);
	size_t len;
	const uint8_t *p = fz_blob(f, VH_RAM_SIZE, &len);

	if (len > VH_RAM_SIZE - off)
		len = VH_RAM_SIZE - off;
	memcpy(h->mem.host + off, p, len);
}

void vh_run(struct vh *h, struct fz *f,
	    void (*dev_op)(struct vh *h, unsigned int op, struct fz *f))
{
	uint8_t data[8];
	unsigned int ops, len, q, log2;
	uint16_t off, desc, avail;

	for (ops = 0; ops < VH_OPS_MAX && fz_more(f); ops++) {
		unsigned int op = fz_u8(f);

		switch (op) {
		case VH_OP_WRITE32:
			off = fz_u16(f) & 0x3ff;
			vh_write32(h, off, fz_u32(f));
			break;
		case VH_OP_READ:
			off = fz_u16(f) & 0x3ff;
			len = fz_width(f);
			vh_access(h, VH_BASE + off, data, len, false);
			break;
		case VH_OP_WRITE:
			off = fz_u16(f) & 0x3ff;
			len = fz_width(f);
			le64_write(data, fz_u64(f));
			vh_access(h, VH_BASE + off, data, len, true);
			break;
		case VH_OP_KICK:
			vh_kick(h, fz_u8(f));
			break;
		case VH_OP_FEATURES:
			vh_features(h, fz_u64(f));
			break;
		case VH_OP_QUEUE:
			q = fz_u8(f);
			log2 = fz_u8(f) % 10;
			desc = fz_u16(f);
			avail = fz_u16(f);
			vh_queue(h, q, 1u << log2, desc, avail, fz_u16(f));
			break;
		case VH_OP_DRIVER_OK:
			vh_driver_ok(h);
			break;
		case VH_OP_RESET:
			vh_write32(h, VIRTIO_MMIO_STATUS, 0);
			break;
		case VH_OP_CHAIN:
			vh_op_chain(h, f);
			break;
		case VH_OP_POKE:
			vh_op_poke(h, f);
			break;
		case VH_OP_MACHINE_RESET:
			virtio_mmio_reset(h->t);
			break;
		default:
			if (dev_op)
				dev_op(h, op - VH_OP_DEVICE, f);
			break;
		}
	}
}
