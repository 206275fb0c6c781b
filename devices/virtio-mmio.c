// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libfdt.h>

#include <armz/err.h>
#include <armz/dt.h>
#include <armz/le.h>
#include <armz/virtio-mmio.h>

#define DRIVER_STATUS_BITS						\
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |		\
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK |		\
	 VIRTIO_STATUS_FAILED)

struct transport_queue {
	/* Registers, written by the driver while the queue is not ready. */
	uint32_t num;
	uint32_t ready;
	uint64_t desc, driver, device;
	int kick_fd;
	/* The running queue: set up on DRIVER_OK, owned by its worker. */
	bool live;
	struct virtq vq;
};

struct transport_worker {
	struct virtio_mmio *t;
	unsigned int index;
	pthread_t tid;
};

struct virtio_mmio {
	struct virtio_device *dev;
	const struct guest_mem *mem;
	struct irq_line irq;		/* ops NULL: no interrupts */
	uint64_t base;

	/*
	 * lock serialises register accesses from vCPUs and is held while
	 * workers are started and joined. Workers never take it: they touch
	 * only status (NEEDS_RESET), isr and config_gen, all atomic.
	 */
	pthread_mutex_t lock;
	/* Guards the config space image against torn reads and updates. */
	pthread_mutex_t cfg_lock;

	uint64_t device_features;
	uint64_t driver_features;
	uint32_t dev_features_sel;
	uint32_t drv_features_sel;
	uint32_t queue_sel;
	uint32_t shm_sel;
	uint32_t status;
	uint32_t isr;
	uint32_t config_gen;

	bool running;
	bool stopping;		/* tells busy workers to return early */
	int stop_fd;
	unsigned int nr_started;
	struct transport_worker *workers;
	struct transport_queue *queues;
};

static void transport_raise(struct virtio_mmio *t, uint32_t bit)
{
	uint32_t old = __atomic_fetch_or(&t->isr, bit, __ATOMIC_SEQ_CST);

	/*
	 * One edge per bit going from clear to set: while it stays set the
	 * driver has not read it yet, and will see our update when it does.
	 */
	if (!(old & bit)) {
		virtio_stat_add(&t->dev->stats.interrupts, 1);
		irq_trigger(&t->irq);
	}
}

static void transport_needs_reset(struct virtio_mmio *t)
{
	uint32_t old = __atomic_fetch_or(&t->status, VIRTIO_STATUS_NEEDS_RESET,
					 __ATOMIC_SEQ_CST);

	if ((old & VIRTIO_STATUS_DRIVER_OK) &&
	    !(old & VIRTIO_STATUS_NEEDS_RESET))
		transport_raise(t, VIRTIO_MMIO_INT_CONFIG);
}

static uint32_t transport_status(const struct virtio_mmio *t)
{
	return __atomic_load_n(&t->status, __ATOMIC_SEQ_CST);
}

/* --- Device-facing helpers --- */

struct virtq *virtio_dev_vq(struct virtio_device *dev, unsigned int q)
{
	struct virtio_mmio *t = dev->transport;

	if (!t || q >= dev->num_queues || !t->queues[q].live)
		return NULL;
	return &t->queues[q].vq;
}

void virtio_dev_notify(struct virtio_device *dev, unsigned int q)
{
	struct virtq *vq = virtio_dev_vq(dev, q);

	if (vq && virtq_should_notify(vq))
		transport_raise(dev->transport, VIRTIO_MMIO_INT_VRING);
}

void virtio_dev_fail(struct virtio_device *dev, unsigned int q)
{
	struct virtq *vq = virtio_dev_vq(dev, q);

	if (vq)
		vq->broken = true;
	virtio_stat_add(&dev->stats.errors, 1);
	/* Once per device: a guest must not be able to flood the log. */
	if (!__atomic_exchange_n(&dev->warned, true, __ATOMIC_RELAXED))
		fprintf(stderr, "armz: %s: queue %u: %s; device needs reset\n",
			dev->name, q, err_msg());
	if (dev->transport)
		transport_needs_reset(dev->transport);
}

void virtio_dev_config_update(struct virtio_device *dev, unsigned int off,
			      const void *data, unsigned int len)
{
	struct virtio_mmio *t = dev->transport;

	if (off > dev->config_size || len > dev->config_size - off)
		return;
	if (!t) {
		memcpy(dev->config + off, data, len);
		return;
	}
	pthread_mutex_lock(&t->cfg_lock);
	memcpy(dev->config + off, data, len);
	__atomic_fetch_add(&t->config_gen, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&t->cfg_lock);
	if (transport_status(t) & VIRTIO_STATUS_DRIVER_OK)
		transport_raise(t, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_process(struct virtio_device *dev, unsigned int q,
			virtio_handler_fn handle)
{
	struct virtq *vq = virtio_dev_vq(dev, q);
	struct virtq_chain chain;

	if (!vq || vq->broken)
		return;
	while (!virtio_dev_stopping(dev)) {
		uint32_t len = 0;
		int r = virtq_pop(vq, &chain);

		if (!r) {
			if (virtq_enable_notify(vq))
				continue;
			return;
		}
		if (r > 0)
			r = handle(dev, q, &chain, &len);
		if (r < 0) {
			virtio_dev_fail(dev, q);
			return;
		}
		if (len > chain.write_len)
			len = (uint32_t)chain.write_len;
		virtq_push(vq, chain.head, len);
		virtio_stat_add(&dev->stats.requests, 1);
		virtio_dev_notify(dev, q);
	}
}

bool virtio_dev_stopping(const struct virtio_device *dev)
{
	return dev->transport &&
	       __atomic_load_n(&dev->transport->stopping, __ATOMIC_RELAXED);
}

void virtio_dev_stats(const struct virtio_device *dev,
		      struct virtio_stats *out)
{
	const uint64_t *src = (const uint64_t *)&dev->stats;
	uint64_t *dst = (uint64_t *)out;
	size_t i;

	for (i = 0; i < sizeof(*out) / sizeof(uint64_t); i++)
		dst[i] = __atomic_load_n(&src[i], __ATOMIC_RELAXED);
}

int virtio_dev_kick_fd(const struct virtio_device *dev, unsigned int q)
{
	return dev->transport ? virtio_mmio_kick_fd(dev->transport, q) : -1;
}

int virtio_dev_irq_fd(const struct virtio_device *dev)
{
	return dev->transport && dev->transport->irq.ops ?
	       dev->transport->irq.fd : -1;
}

void virtio_dev_interrupt(struct virtio_device *dev)
{
	if (dev->transport)
		transport_raise(dev->transport, VIRTIO_MMIO_INT_VRING);
}

/* --- Workers --- */

static void transport_worker_kick(struct virtio_mmio *t, int fd, unsigned int q)
{
	uint64_t count;

	if (read(fd, &count, sizeof(count)) == sizeof(count))
		virtio_stat_add(&t->dev->stats.kicks, count);
	t->dev->ops->queue_notify(t->dev, q);
}

static void *transport_worker_main(void *arg)
{
	struct transport_worker *w = arg;
	struct virtio_mmio *t = w->t;
	struct virtio_device *dev = t->dev;
	struct pollfd pfd[1 + VIRTIO_QUEUES_MAX + VIRTIO_WORKER_FDS_MAX];
	unsigned int queue_of[1 + VIRTIO_QUEUES_MAX];
	int fds[VIRTIO_WORKER_FDS_MAX];
	unsigned int q, i, n = 0, nkick, nfds = 0;

	pfd[n++] = (struct pollfd){ .fd = t->stop_fd, .events = POLLIN };
	for (q = w->index; q < dev->num_queues; q += dev->nr_workers) {
		/* The backend of an external device reads the kicks. */
		if (!t->queues[q].live || dev->external)
			continue;
		queue_of[n] = q;
		pfd[n++] = (struct pollfd){
			.fd = t->queues[q].kick_fd, .events = POLLIN,
		};
	}
	nkick = n;
	if (dev->ops->worker_fds)
		nfds = dev->ops->worker_fds(dev, w->index, fds);
	for (i = 0; i < nfds && i < VIRTIO_WORKER_FDS_MAX; i++)
		pfd[n++] = (struct pollfd){ .fd = fds[i], .events = POLLIN };

	for (;;) {
		if (poll(pfd, n, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		/* stop_fd is left set for the other workers; stop drains it. */
		if (pfd[0].revents)
			break;
		for (i = 1; i < nkick; i++)
			if (pfd[i].revents & POLLIN)
				transport_worker_kick(t, pfd[i].fd,
						      queue_of[i]);
		for (i = nkick; i < n; i++)
			if (pfd[i].revents && dev->ops->fd_ready)
				dev->ops->fd_ready(dev, w->index, pfd[i].fd,
						   pfd[i].revents);
	}
	return NULL;
}

static void transport_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

/*
 * Workers take no signals (thread_spawn() blocks them all): those are for
 * the VMM's own threads.
 */
static int transport_spawn(struct transport_worker *w)
{
	return thread_spawn(&w->tid, w->t->dev->worker_role,
			    transport_worker_main, w);
}

/* With t->lock held. Waits for busy workers; they never wait for us. */
static void transport_stop_locked(struct virtio_mmio *t)
{
	uint64_t one = 1;
	unsigned int i;

	if (!t->running)
		return;
	__atomic_store_n(&t->stopping, true, __ATOMIC_RELAXED);
	if (write(t->stop_fd, &one, sizeof(one)) != sizeof(one))
		abort();	/* cannot fail on a fresh counter */
	for (i = 0; i < t->nr_started; i++)
		pthread_join(t->workers[i].tid, NULL);
	t->nr_started = 0;
	transport_drain(t->stop_fd);
	if (t->dev->ops->stop)
		t->dev->ops->stop(t->dev);
	for (i = 0; i < t->dev->num_queues; i++)
		t->queues[i].live = false;
	t->running = false;
	__atomic_store_n(&t->stopping, false, __ATOMIC_RELAXED);
}

/* DRIVER_OK: make the ready queues live and start the workers. */
static void transport_start_locked(struct virtio_mmio *t)
{
	struct virtio_device *dev = t->dev;
	unsigned int i;
	int r;

	if (t->running || (transport_status(t) & VIRTIO_STATUS_NEEDS_RESET))
		return;
	for (i = 0; i < dev->num_queues; i++) {
		struct transport_queue *q = &t->queues[i];

		if (!q->ready)
			continue;
		if (virtq_init(&q->vq, t->mem, q->num, q->desc, q->driver,
			       q->device, dev->features_acked)) {
			virtio_dev_fail(dev, i);
			goto fail;
		}
		q->live = true;
	}
	if (dev->ops->start && dev->ops->start(dev) < 0) {
		virtio_dev_fail(dev, 0);
		goto fail;
	}
	t->running = true;
	for (i = 0; i < dev->nr_workers; i++) {
		t->workers[i] = (struct transport_worker){ .t = t, .index = i };
		r = transport_spawn(&t->workers[i]);
		if (r) {
			transport_stop_locked(t);
			virtio_dev_fail(dev, i);
			return;
		}
		t->nr_started++;
	}
	return;
fail:
	for (i = 0; i < dev->num_queues; i++)
		t->queues[i].live = false;
}

static void transport_reset_locked(struct virtio_mmio *t)
{
	struct virtio_device *dev = t->dev;
	unsigned int i;

	transport_stop_locked(t);
	__atomic_store_n(&t->status, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&t->isr, 0, __ATOMIC_SEQ_CST);
	t->driver_features = 0;
	t->dev_features_sel = t->drv_features_sel = 0;
	t->queue_sel = t->shm_sel = 0;
	dev->features_acked = 0;
	for (i = 0; i < dev->num_queues; i++) {
		struct transport_queue *q = &t->queues[i];

		q->num = dev->queue_size;
		q->ready = 0;
		q->desc = q->driver = q->device = 0;
		memset(&q->vq, 0, sizeof(q->vq));
		/* Kicks from before the reset are not for the next driver. */
		transport_drain(q->kick_fd);
	}
}

/* --- Registers --- */

static bool transport_features_ok(const struct virtio_mmio *t)
{
	if (t->driver_features & ~t->device_features)
		return false;
	/* armz is a modern device only: no legacy interface to fall back to. */
	return t->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1);
}

static void transport_set_status(struct virtio_mmio *t, uint32_t v)
{
	uint32_t old, set;

	if (!v) {
		transport_reset_locked(t);
		return;
	}
	/* Only a reset clears bits; the driver can only add its own. */
	old = transport_status(t);
	set = v & DRIVER_STATUS_BITS & ~old;
	if ((set & VIRTIO_STATUS_FEATURES_OK) && !transport_features_ok(t))
		set &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((set & VIRTIO_STATUS_DRIVER_OK) &&
	    !((old | set) & VIRTIO_STATUS_FEATURES_OK))
		set &= ~VIRTIO_STATUS_DRIVER_OK;
	if (set & VIRTIO_STATUS_FEATURES_OK)
		t->dev->features_acked = t->driver_features;
	__atomic_fetch_or(&t->status, set, __ATOMIC_SEQ_CST);
	if (set & VIRTIO_STATUS_DRIVER_OK)
		transport_start_locked(t);
}

static struct transport_queue *transport_sel_queue(struct virtio_mmio *t)
{
	if (t->queue_sel >= t->dev->num_queues)
		return NULL;
	return &t->queues[t->queue_sel];
}

static uint32_t half32(uint64_t v, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(v >> (32 * sel)) : 0;
}

static void set_half32(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

static uint32_t transport_queue_read(struct transport_queue *q, uint64_t off)
{
	/* The address registers: the HIGH half is at LOW + 4. */
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		return q->num;
	case VIRTIO_MMIO_QUEUE_READY:
		return q->ready;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return half32(q->desc, (off & 4) != 0);
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return half32(q->driver, (off & 4) != 0);
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return half32(q->device, (off & 4) != 0);
	}
	return 0;
}

static uint32_t transport_reg_read(struct virtio_mmio *t, uint64_t off)
{
	struct transport_queue *q = transport_sel_queue(t);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return t->dev->id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return half32(t->device_features, t->dev_features_sel);
	case VIRTIO_MMIO_DRIVER_FEATURES:
		return half32(t->driver_features, t->drv_features_sel);
	case VIRTIO_MMIO_QUEUE_SEL:
		return t->queue_sel;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? t->dev->queue_size : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		/*
		 * A backend's interrupts reach the guest through the irqfd
		 * with no word to us: claim one whenever the driver looks,
		 * and let it find out from the rings.
		 */
		if (t->dev->external && t->running && t->irq.fd >= 0)
			return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST) |
			       VIRTIO_MMIO_INT_VRING;
		return __atomic_load_n(&t->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return transport_status(t);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&t->config_gen, __ATOMIC_SEQ_CST);
	}
	return q ? transport_queue_read(q, off) : 0;
}

static void transport_queue_write(struct virtio_mmio *t,
				  struct transport_queue *q, uint64_t off,
				  uint32_t v)
{
	if (off == VIRTIO_MMIO_QUEUE_READY) {
		if (v <= 1)
			q->ready = v;
		return;
	}
	/* The ring's layout is fixed while the device may be using it. */
	if (q->ready)
		return;
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		if (v && v <= t->dev->queue_size && !(v & (v - 1)))
			q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		set_half32(&q->desc, off & 4, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		set_half32(&q->driver, off & 4, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		set_half32(&q->device, off & 4, v);
		break;
	}
}

static void transport_reg_write(struct virtio_mmio *t, uint64_t off, uint32_t v)
{
	struct transport_queue *q = transport_sel_queue(t);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		t->dev_features_sel = v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Frozen once the device accepted them. */
		if (!(transport_status(t) & VIRTIO_STATUS_FEATURES_OK) &&
		    t->drv_features_sel < 2)
			set_half32(&t->driver_features,
				    t->drv_features_sel, v);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		t->drv_features_sel = v;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		t->queue_sel = v;
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&t->isr, ~v, __ATOMIC_SEQ_CST);
		return;
	case VIRTIO_MMIO_STATUS:
		transport_set_status(t, v);
		return;
	case VIRTIO_MMIO_SHM_SEL:
		t->shm_sel = v;
		return;
	}
	if (q)
		transport_queue_write(t, q, off, v);
}

static void transport_kick(struct virtio_mmio *t, uint32_t q)
{
	uint64_t one = 1;

	if (q >= t->dev->num_queues)
		return;
	/* A full counter already means "kicked". */
	if (write(t->queues[q].kick_fd, &one, sizeof(one)) < 0)
		return;
}

static bool transport_config_range(const struct virtio_mmio *t, uint64_t off,
				   unsigned int len)
{
	uint64_t o = off - VIRTIO_MMIO_CONFIG;

	return (len == 1 || len == 2 || len == 4 || len == 8) &&
	       o < t->dev->config_size && len <= t->dev->config_size - o;
}

static void transport_read(void *opaque, uint64_t off, void *data,
			   unsigned int len)
{
	struct virtio_mmio *t = opaque;
	uint32_t v;

	memset(data, 0, len);
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (!transport_config_range(t, off, len))
			return;
		pthread_mutex_lock(&t->cfg_lock);
		memcpy(data, t->dev->config + (off - VIRTIO_MMIO_CONFIG), len);
		pthread_mutex_unlock(&t->cfg_lock);
		return;
	}
	/* Registers are 32-bit only; anything else reads as 0. */
	if (len != 4 || (off & 3))
		return;
	pthread_mutex_lock(&t->lock);
	v = transport_reg_read(t, off);
	pthread_mutex_unlock(&t->lock);
	le32_write(data, v);
}

static void transport_write(void *opaque, uint64_t off, const void *data,
			    unsigned int len)
{
	struct virtio_mmio *t = opaque;
	struct virtio_device *dev = t->dev;
	uint32_t v;

	if (off >= VIRTIO_MMIO_CONFIG) {
		unsigned int cfg_off = (unsigned int)(off - VIRTIO_MMIO_CONFIG);

		if (transport_config_range(t, off, len) &&
		    dev->ops->config_write)
			dev->ops->config_write(dev, cfg_off, data, len);
		return;
	}
	if (len != 4 || (off & 3))
		return;
	v = le32_read(data);
	/* The same path as an ioeventfd, and no lock: a kick never waits. */
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		transport_kick(t, v);
		return;
	}
	pthread_mutex_lock(&t->lock);
	transport_reg_write(t, off, v);
	pthread_mutex_unlock(&t->lock);
}


/* --- Life cycle --- */

static int transport_check_device(const struct virtio_device *dev)
{
	if (!dev->ops || !dev->ops->queue_notify)
		return err_set(EINVAL, "%s: no queue handler", dev->name);
	if (!dev->num_queues || dev->num_queues > VIRTIO_QUEUES_MAX)
		return err_set(EINVAL, "%s: %u queues, armz supports 1 to %u",
			       dev->name, dev->num_queues, VIRTIO_QUEUES_MAX);
	if (!dev->queue_size || dev->queue_size > VIRTQ_NUM_MAX ||
	    (dev->queue_size & (dev->queue_size - 1)))
		return err_set(EINVAL, "%s: bad queue size %u", dev->name,
			       dev->queue_size);
	if (!dev->nr_workers || dev->nr_workers > dev->num_queues)
		return err_set(EINVAL, "%s: bad worker count %u", dev->name,
			       dev->nr_workers);
	if (dev->config_size > VIRTIO_CONFIG_MAX)
		return err_set(EINVAL, "%s: config space too large", dev->name);
	return 0;
}

static int transport_open_fds(struct virtio_mmio *t)
{
	unsigned int i;

	t->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (t->stop_fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	for (i = 0; i < t->dev->num_queues; i++) {
		t->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (t->queues[i].kick_fd < 0)
			return err_set(errno, "eventfd: %s", strerror(errno));
	}
	return 0;
}

static void transport_close_fds(struct virtio_mmio *t)
{
	unsigned int i;

	if (t->stop_fd >= 0)
		close(t->stop_fd);
	for (i = 0; t->queues && i < t->dev->num_queues; i++)
		if (t->queues[i].kick_fd >= 0)
			close(t->queues[i].kick_fd);
}

int virtio_mmio_new(struct virtio_device *dev, const struct guest_mem *mem,
		    const struct irq_line *irq, uint64_t base,
		    struct virtio_mmio **out)
{
	struct irq_line line = irq ? *irq : (struct irq_line){ .fd = -1 };
	struct virtio_mmio *t = NULL;
	unsigned int i;
	int r;

	*out = NULL;
	r = transport_check_device(dev);
	if (!r) {
		t = calloc(1, sizeof(*t));
		if (!t)
			r = err_set(ENOMEM, "%s: out of memory", dev->name);
	}
	if (r)
		goto fail_dev;
	t->dev = dev;
	t->mem = mem;
	t->base = base;
	t->stop_fd = -1;
	t->device_features = dev->features | VIRTIO_TRANSPORT_FEATURES;
	t->queues = calloc(dev->num_queues, sizeof(*t->queues));
	t->workers = calloc(dev->nr_workers, sizeof(*t->workers));
	if (!t->queues || !t->workers) {
		r = err_set(ENOMEM, "%s: out of memory", dev->name);
		goto fail;
	}
	for (i = 0; i < dev->num_queues; i++)
		t->queues[i].kick_fd = -1;
	r = transport_open_fds(t);
	if (r)
		goto fail;
	pthread_mutex_init(&t->lock, NULL);
	pthread_mutex_init(&t->cfg_lock, NULL);
	t->irq = line;
	dev->transport = t;
	transport_reset_locked(t);
	*out = t;
	return 0;
fail:
	transport_close_fds(t);
	free(t->queues);
	free(t->workers);
	free(t);
fail_dev:
	irq_release(&line);
	if (dev->ops && dev->ops->free)
		dev->ops->free(dev);
	return r;
}

void virtio_mmio_reset(struct virtio_mmio *t)
{
	pthread_mutex_lock(&t->lock);
	transport_reset_locked(t);
	pthread_mutex_unlock(&t->lock);
}

void virtio_mmio_stop(struct virtio_mmio *t)
{
	virtio_mmio_reset(t);
}

void virtio_mmio_free(struct virtio_mmio *t)
{
	if (!t)
		return;
	virtio_mmio_stop(t);
	transport_close_fds(t);
	pthread_mutex_destroy(&t->lock);
	pthread_mutex_destroy(&t->cfg_lock);
	if (t->dev->ops->free)
		t->dev->ops->free(t->dev);
	irq_release(&t->irq);
	free(t->queues);
	free(t->workers);
	free(t);
}

static int transport_dt_node(const struct mmio_region *r, void *fdt,
			     const struct dt_ctx *ctx)
{
	struct virtio_mmio *t = r->opaque;

	return dt_begin_mmio_node(fdt, "virtio_mmio", r->base, r->size) ?:
	       fdt_property_string(fdt, "compatible", "virtio,mmio") ?:
	       dt_prop_spi(fdt, ctx, t->irq.spi, true) ?:
	       /* Guest RAM is ordinary cacheable host memory to us. */
	       fdt_property(fdt, "dma-coherent", NULL, 0) ?:
	       fdt_end_node(fdt);
}

unsigned int virtio_mmio_num_queues(const struct virtio_mmio *t)
{
	return t->dev->num_queues;
}

int virtio_mmio_kick_fd(const struct virtio_mmio *t, unsigned int q)
{
	return q < t->dev->num_queues ? t->queues[q].kick_fd : -1;
}

uint64_t virtio_mmio_notify_addr(const struct virtio_mmio *t)
{
	return t->base + VIRTIO_MMIO_QUEUE_NOTIFY;
}

struct virtio_device *virtio_mmio_device(const struct virtio_mmio *t)
{
	return t->dev;
}

static void transport_bus_stop(void *opaque)
{
	virtio_mmio_stop(opaque);
}

static void transport_bus_free(void *opaque)
{
	virtio_mmio_free(opaque);
}

const struct mmio_ops virtio_mmio_ops = {
	.name = "virtio-mmio",
	.read = transport_read,
	.write = transport_write,
	.dt_node = transport_dt_node,
	.stop = transport_bus_stop,
	.free = transport_bus_free,
};
