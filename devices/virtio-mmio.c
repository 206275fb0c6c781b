// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libfdt.h>

#include <armz/err.h>
#include <armz/fdt.h>
#include <armz/le.h>
#include <armz/virtio.h>

#define DRIVER_STATUS_BITS						\
	(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |		\
	 VIRTIO_STATUS_FEATURES_OK | VIRTIO_STATUS_DRIVER_OK |		\
	 VIRTIO_STATUS_FAILED)

struct vm_queue {
	/* Registers, written by the driver while the queue is not ready. */
	uint32_t num;
	uint32_t ready;
	uint64_t desc, driver, device;
	int kick_fd;
	/* The running queue: set up on DRIVER_OK, owned by its worker. */
	bool live;
	struct virtq vq;
};

struct vm_worker {
	struct virtio_mmio *vm;
	unsigned int index;
	pthread_t tid;
};

struct virtio_mmio {
	struct virtio_device *dev;
	const struct guest_mem *mem;
	struct irq_line *irq;
	uint64_t base;
	unsigned int spi;

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
	struct vm_worker *workers;
	struct vm_queue *queues;
};

static void vm_raise(struct virtio_mmio *vm, uint32_t bit)
{
	uint32_t old = __atomic_fetch_or(&vm->isr, bit, __ATOMIC_SEQ_CST);

	/*
	 * One edge per bit going from clear to set: while it stays set the
	 * driver has not read it yet, and will see our update when it does.
	 */
	if (!(old & bit)) {
		virtio_stat_add(&vm->dev->stats.interrupts, 1);
		irq_trigger(vm->irq);
	}
}

static void vm_needs_reset(struct virtio_mmio *vm)
{
	uint32_t old = __atomic_fetch_or(&vm->status, VIRTIO_STATUS_NEEDS_RESET,
					 __ATOMIC_SEQ_CST);

	if ((old & VIRTIO_STATUS_DRIVER_OK) &&
	    !(old & VIRTIO_STATUS_NEEDS_RESET))
		vm_raise(vm, VIRTIO_MMIO_INT_CONFIG);
}

static uint32_t vm_status(const struct virtio_mmio *vm)
{
	return __atomic_load_n(&vm->status, __ATOMIC_SEQ_CST);
}

/* --- Device-facing helpers --- */

struct virtq *virtio_dev_vq(struct virtio_device *dev, unsigned int q)
{
	struct virtio_mmio *vm = dev->transport;

	if (!vm || q >= dev->num_queues || !vm->queues[q].live)
		return NULL;
	return &vm->queues[q].vq;
}

void virtio_dev_notify(struct virtio_device *dev, unsigned int q)
{
	struct virtq *vq = virtio_dev_vq(dev, q);

	if (vq && virtq_should_notify(vq))
		vm_raise(dev->transport, VIRTIO_MMIO_INT_VRING);
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
		vm_needs_reset(dev->transport);
}

void virtio_dev_config_update(struct virtio_device *dev, unsigned int off,
			      const void *data, unsigned int len)
{
	struct virtio_mmio *vm = dev->transport;

	if (off > dev->config_size || len > dev->config_size - off)
		return;
	if (!vm) {
		memcpy(dev->config + off, data, len);
		return;
	}
	pthread_mutex_lock(&vm->cfg_lock);
	memcpy(dev->config + off, data, len);
	__atomic_fetch_add(&vm->config_gen, 1, __ATOMIC_SEQ_CST);
	pthread_mutex_unlock(&vm->cfg_lock);
	if (vm_status(vm) & VIRTIO_STATUS_DRIVER_OK)
		vm_raise(vm, VIRTIO_MMIO_INT_CONFIG);
}

void virtio_dev_process(struct virtio_device *dev, unsigned int q,
			virtio_handler_fn handle)
{
	struct virtq *vq = virtio_dev_vq(dev, q);
	struct virtq_chain chain;

	if (!vq || vq->broken)
		return;
	while (!__atomic_load_n(&dev->transport->stopping, __ATOMIC_RELAXED)) {
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

/* --- Workers --- */

static void vm_worker_kick(struct virtio_mmio *vm, int fd, unsigned int q)
{
	uint64_t count;

	if (read(fd, &count, sizeof(count)) == sizeof(count))
		virtio_stat_add(&vm->dev->stats.kicks, count);
	vm->dev->ops->queue_notify(vm->dev, q);
}

static void *vm_worker_main(void *arg)
{
	struct vm_worker *w = arg;
	struct virtio_mmio *vm = w->vm;
	struct virtio_device *dev = vm->dev;
	struct pollfd pfd[1 + VIRTIO_QUEUES_MAX + VIRTIO_WORKER_FDS_MAX];
	unsigned int queue_of[1 + VIRTIO_QUEUES_MAX];
	int fds[VIRTIO_WORKER_FDS_MAX];
	unsigned int q, i, n = 0, nkick, nfds = 0;

	pfd[n++] = (struct pollfd){ .fd = vm->stop_fd, .events = POLLIN };
	for (q = w->index; q < dev->num_queues; q += dev->nr_workers) {
		if (!vm->queues[q].live)
			continue;
		queue_of[n] = q;
		pfd[n++] = (struct pollfd){
			.fd = vm->queues[q].kick_fd, .events = POLLIN,
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
				vm_worker_kick(vm, pfd[i].fd, queue_of[i]);
		for (i = nkick; i < n; i++)
			if (pfd[i].revents && dev->ops->fd_ready)
				dev->ops->fd_ready(dev, w->index, pfd[i].fd,
						   pfd[i].revents);
	}
	return NULL;
}

static void vm_drain(int fd)
{
	uint64_t v;

	while (read(fd, &v, sizeof(v)) == sizeof(v))
		;
}

/*
 * Workers take no signals: those are for the VMM's own threads, and a
 * worker would inherit the mask of whichever vCPU set DRIVER_OK.
 */
static int vm_spawn(struct vm_worker *w)
{
	sigset_t all, old;
	int r;

	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	r = pthread_create(&w->tid, NULL, vm_worker_main, w);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return r;
}

/* With vm->lock held. Waits for busy workers; they never wait for us. */
static void vm_stop_locked(struct virtio_mmio *vm)
{
	uint64_t one = 1;
	unsigned int i;

	if (!vm->running)
		return;
	__atomic_store_n(&vm->stopping, true, __ATOMIC_RELAXED);
	if (write(vm->stop_fd, &one, sizeof(one)) != sizeof(one))
		abort();	/* cannot fail on a fresh counter */
	for (i = 0; i < vm->nr_started; i++)
		pthread_join(vm->workers[i].tid, NULL);
	vm->nr_started = 0;
	vm_drain(vm->stop_fd);
	if (vm->dev->ops->stop)
		vm->dev->ops->stop(vm->dev);
	for (i = 0; i < vm->dev->num_queues; i++)
		vm->queues[i].live = false;
	vm->running = false;
	__atomic_store_n(&vm->stopping, false, __ATOMIC_RELAXED);
}

/* DRIVER_OK: make the ready queues live and start the workers. */
static void vm_start_locked(struct virtio_mmio *vm)
{
	struct virtio_device *dev = vm->dev;
	unsigned int i;
	int r;

	if (vm->running || (vm_status(vm) & VIRTIO_STATUS_NEEDS_RESET))
		return;
	for (i = 0; i < dev->num_queues; i++) {
		struct vm_queue *q = &vm->queues[i];

		if (!q->ready)
			continue;
		if (virtq_init(&q->vq, vm->mem, q->num, q->desc, q->driver,
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
	vm->running = true;
	for (i = 0; i < dev->nr_workers; i++) {
		vm->workers[i] = (struct vm_worker){ .vm = vm, .index = i };
		r = vm_spawn(&vm->workers[i]);
		if (r) {
			err_set(r, "cannot start a worker thread: %s",
				strerror(r));
			vm_stop_locked(vm);
			virtio_dev_fail(dev, i);
			return;
		}
		vm->nr_started++;
	}
	return;
fail:
	for (i = 0; i < dev->num_queues; i++)
		vm->queues[i].live = false;
}

static void vm_reset_locked(struct virtio_mmio *vm)
{
	struct virtio_device *dev = vm->dev;
	unsigned int i;

	vm_stop_locked(vm);
	__atomic_store_n(&vm->status, 0, __ATOMIC_SEQ_CST);
	__atomic_store_n(&vm->isr, 0, __ATOMIC_SEQ_CST);
	vm->driver_features = 0;
	vm->dev_features_sel = vm->drv_features_sel = 0;
	vm->queue_sel = vm->shm_sel = 0;
	dev->features_acked = 0;
	for (i = 0; i < dev->num_queues; i++) {
		struct vm_queue *q = &vm->queues[i];

		q->num = dev->queue_size;
		q->ready = 0;
		q->desc = q->driver = q->device = 0;
		memset(&q->vq, 0, sizeof(q->vq));
		/* Kicks from before the reset are not for the next driver. */
		vm_drain(q->kick_fd);
	}
}

/* --- Registers --- */

static bool vm_features_ok(const struct virtio_mmio *vm)
{
	if (vm->driver_features & ~vm->device_features)
		return false;
	/* armz is a modern device only: no legacy interface to fall back to. */
	return vm->driver_features & VIRTIO_BIT(VIRTIO_F_VERSION_1);
}

static void vm_set_status(struct virtio_mmio *vm, uint32_t v)
{
	uint32_t old, set;

	if (!v) {
		vm_reset_locked(vm);
		return;
	}
	/* Only a reset clears bits; the driver can only add its own. */
	old = vm_status(vm);
	set = v & DRIVER_STATUS_BITS & ~old;
	if ((set & VIRTIO_STATUS_FEATURES_OK) && !vm_features_ok(vm))
		set &= ~VIRTIO_STATUS_FEATURES_OK;
	if ((set & VIRTIO_STATUS_DRIVER_OK) &&
	    !((old | set) & VIRTIO_STATUS_FEATURES_OK))
		set &= ~VIRTIO_STATUS_DRIVER_OK;
	if (set & VIRTIO_STATUS_FEATURES_OK)
		vm->dev->features_acked = vm->driver_features;
	__atomic_fetch_or(&vm->status, set, __ATOMIC_SEQ_CST);
	if (set & VIRTIO_STATUS_DRIVER_OK)
		vm_start_locked(vm);
}

static struct vm_queue *vm_sel_queue(struct virtio_mmio *vm)
{
	if (vm->queue_sel >= vm->dev->num_queues)
		return NULL;
	return &vm->queues[vm->queue_sel];
}

static uint32_t vm_half(uint64_t v, uint32_t sel)
{
	return sel < 2 ? (uint32_t)(v >> (32 * sel)) : 0;
}

static void vm_set_half(uint64_t *v, bool high, uint32_t val)
{
	if (high)
		*v = (*v & 0xffffffffULL) | (uint64_t)val << 32;
	else
		*v = (*v & ~0xffffffffULL) | val;
}

static uint32_t vm_queue_read(struct vm_queue *q, uint64_t off)
{
	/* The address registers: the HIGH half is at LOW + 4. */
	switch (off) {
	case VIRTIO_MMIO_QUEUE_NUM:
		return q->num;
	case VIRTIO_MMIO_QUEUE_READY:
		return q->ready;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		return vm_half(q->desc, (off & 4) != 0);
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		return vm_half(q->driver, (off & 4) != 0);
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		return vm_half(q->device, (off & 4) != 0);
	}
	return 0;
}

static uint32_t vm_reg_read(struct virtio_mmio *vm, uint64_t off)
{
	struct vm_queue *q = vm_sel_queue(vm);

	switch (off) {
	case VIRTIO_MMIO_MAGIC_VALUE:
		return VIRTIO_MMIO_MAGIC;
	case VIRTIO_MMIO_VERSION:
		return 2;
	case VIRTIO_MMIO_DEVICE_ID:
		return vm->dev->id;
	case VIRTIO_MMIO_VENDOR_ID:
		return VIRTIO_MMIO_VENDOR;
	case VIRTIO_MMIO_DEVICE_FEATURES:
		return vm_half(vm->device_features, vm->dev_features_sel);
	case VIRTIO_MMIO_DRIVER_FEATURES:
		return vm_half(vm->driver_features, vm->drv_features_sel);
	case VIRTIO_MMIO_QUEUE_SEL:
		return vm->queue_sel;
	case VIRTIO_MMIO_QUEUE_NUM_MAX:
		return q ? vm->dev->queue_size : 0;
	case VIRTIO_MMIO_INTERRUPT_STATUS:
		return __atomic_load_n(&vm->isr, __ATOMIC_SEQ_CST);
	case VIRTIO_MMIO_STATUS:
		return vm_status(vm);
	case VIRTIO_MMIO_SHM_LEN_LOW:
	case VIRTIO_MMIO_SHM_LEN_HIGH:
	case VIRTIO_MMIO_SHM_BASE_LOW:
	case VIRTIO_MMIO_SHM_BASE_HIGH:
		return 0xffffffff;	/* no shared memory regions */
	case VIRTIO_MMIO_CONFIG_GENERATION:
		return __atomic_load_n(&vm->config_gen, __ATOMIC_SEQ_CST);
	}
	return q ? vm_queue_read(q, off) : 0;
}

static void vm_queue_write(struct virtio_mmio *vm, struct vm_queue *q,
			   uint64_t off, uint32_t v)
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
		if (v && v <= vm->dev->queue_size && !(v & (v - 1)))
			q->num = v;
		break;
	case VIRTIO_MMIO_QUEUE_DESC_LOW:
	case VIRTIO_MMIO_QUEUE_DESC_HIGH:
		vm_set_half(&q->desc, off & 4, v);
		break;
	case VIRTIO_MMIO_QUEUE_DRIVER_LOW:
	case VIRTIO_MMIO_QUEUE_DRIVER_HIGH:
		vm_set_half(&q->driver, off & 4, v);
		break;
	case VIRTIO_MMIO_QUEUE_DEVICE_LOW:
	case VIRTIO_MMIO_QUEUE_DEVICE_HIGH:
		vm_set_half(&q->device, off & 4, v);
		break;
	}
}

static void vm_reg_write(struct virtio_mmio *vm, uint64_t off, uint32_t v)
{
	struct vm_queue *q = vm_sel_queue(vm);

	switch (off) {
	case VIRTIO_MMIO_DEVICE_FEATURES_SEL:
		vm->dev_features_sel = v;
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES:
		/* Frozen once the device accepted them. */
		if (!(vm_status(vm) & VIRTIO_STATUS_FEATURES_OK) &&
		    vm->drv_features_sel < 2)
			vm_set_half(&vm->driver_features,
				    vm->drv_features_sel, v);
		return;
	case VIRTIO_MMIO_DRIVER_FEATURES_SEL:
		vm->drv_features_sel = v;
		return;
	case VIRTIO_MMIO_QUEUE_SEL:
		vm->queue_sel = v;
		return;
	case VIRTIO_MMIO_INTERRUPT_ACK:
		__atomic_fetch_and(&vm->isr, ~v, __ATOMIC_SEQ_CST);
		return;
	case VIRTIO_MMIO_STATUS:
		vm_set_status(vm, v);
		return;
	case VIRTIO_MMIO_SHM_SEL:
		vm->shm_sel = v;
		return;
	}
	if (q)
		vm_queue_write(vm, q, off, v);
}

static void vm_kick(struct virtio_mmio *vm, uint32_t q)
{
	uint64_t one = 1;

	if (q >= vm->dev->num_queues)
		return;
	/* A full counter already means "kicked". */
	if (write(vm->queues[q].kick_fd, &one, sizeof(one)) < 0)
		return;
}

static bool vm_config_range(const struct virtio_mmio *vm, uint64_t off,
			    unsigned int len)
{
	uint64_t o = off - VIRTIO_MMIO_CONFIG;

	return (len == 1 || len == 2 || len == 4 || len == 8) &&
	       o < vm->dev->config_size && len <= vm->dev->config_size - o;
}

static void vm_read(void *opaque, uint64_t off, void *data, unsigned int len)
{
	struct virtio_mmio *vm = opaque;
	uint32_t v;

	memset(data, 0, len);
	if (off >= VIRTIO_MMIO_CONFIG) {
		if (!vm_config_range(vm, off, len))
			return;
		pthread_mutex_lock(&vm->cfg_lock);
		memcpy(data, vm->dev->config + (off - VIRTIO_MMIO_CONFIG), len);
		pthread_mutex_unlock(&vm->cfg_lock);
		return;
	}
	/* Registers are 32-bit only; anything else reads as 0. */
	if (len != 4 || (off & 3))
		return;
	pthread_mutex_lock(&vm->lock);
	v = vm_reg_read(vm, off);
	pthread_mutex_unlock(&vm->lock);
	le32_write(data, v);
}

static void vm_write(void *opaque, uint64_t off, const void *data,
		     unsigned int len)
{
	struct virtio_mmio *vm = opaque;
	struct virtio_device *dev = vm->dev;
	uint32_t v;

	if (off >= VIRTIO_MMIO_CONFIG) {
		unsigned int cfg_off = (unsigned int)(off - VIRTIO_MMIO_CONFIG);

		if (vm_config_range(vm, off, len) && dev->ops->config_write)
			dev->ops->config_write(dev, cfg_off, data, len);
		return;
	}
	if (len != 4 || (off & 3))
		return;
	v = le32_read(data);
	/* The same path as an ioeventfd, and no lock: a kick never waits. */
	if (off == VIRTIO_MMIO_QUEUE_NOTIFY) {
		vm_kick(vm, v);
		return;
	}
	pthread_mutex_lock(&vm->lock);
	vm_reg_write(vm, off, v);
	pthread_mutex_unlock(&vm->lock);
}

const struct mmio_ops virtio_mmio_ops = {
	.read = vm_read,
	.write = vm_write,
};

/* --- Life cycle --- */

static int vm_check_device(const struct virtio_device *dev)
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

static int vm_open_fds(struct virtio_mmio *vm)
{
	unsigned int i;

	vm->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (vm->stop_fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	for (i = 0; i < vm->dev->num_queues; i++) {
		vm->queues[i].kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (vm->queues[i].kick_fd < 0)
			return err_set(errno, "eventfd: %s", strerror(errno));
	}
	return 0;
}

static void vm_close_fds(struct virtio_mmio *vm)
{
	unsigned int i;

	if (vm->stop_fd >= 0)
		close(vm->stop_fd);
	for (i = 0; vm->queues && i < vm->dev->num_queues; i++)
		if (vm->queues[i].kick_fd >= 0)
			close(vm->queues[i].kick_fd);
}

struct virtio_mmio *virtio_mmio_new(struct virtio_device *dev,
				    const struct guest_mem *mem,
				    struct irq_line *irq, uint64_t base,
				    unsigned int spi)
{
	struct virtio_mmio *vm;
	unsigned int i;

	if (vm_check_device(dev))
		goto fail_dev;
	vm = calloc(1, sizeof(*vm));
	if (!vm) {
		err_set(ENOMEM, "%s: out of memory", dev->name);
		goto fail_dev;
	}
	vm->dev = dev;
	vm->mem = mem;
	vm->irq = irq;
	vm->base = base;
	vm->spi = spi;
	vm->stop_fd = -1;
	vm->device_features = dev->features | VIRTIO_TRANSPORT_FEATURES;
	vm->queues = calloc(dev->num_queues, sizeof(*vm->queues));
	vm->workers = calloc(dev->nr_workers, sizeof(*vm->workers));
	if (!vm->queues || !vm->workers) {
		err_set(ENOMEM, "%s: out of memory", dev->name);
		goto fail;
	}
	for (i = 0; i < dev->num_queues; i++)
		vm->queues[i].kick_fd = -1;
	if (vm_open_fds(vm))
		goto fail;
	pthread_mutex_init(&vm->lock, NULL);
	pthread_mutex_init(&vm->cfg_lock, NULL);
	dev->transport = vm;
	vm_reset_locked(vm);
	return vm;
fail:
	vm_close_fds(vm);
	free(vm->queues);
	free(vm->workers);
	free(vm);
fail_dev:
	if (dev->ops && dev->ops->free)
		dev->ops->free(dev);
	return NULL;
}

void virtio_mmio_reset(struct virtio_mmio *vm)
{
	pthread_mutex_lock(&vm->lock);
	vm_reset_locked(vm);
	pthread_mutex_unlock(&vm->lock);
}

void virtio_mmio_stop(struct virtio_mmio *vm)
{
	virtio_mmio_reset(vm);
}

void virtio_mmio_free(struct virtio_mmio *vm)
{
	if (!vm)
		return;
	virtio_mmio_stop(vm);
	vm_close_fds(vm);
	pthread_mutex_destroy(&vm->lock);
	pthread_mutex_destroy(&vm->cfg_lock);
	if (vm->dev->ops->free)
		vm->dev->ops->free(vm->dev);
	free(vm->queues);
	free(vm->workers);
	free(vm);
}

int virtio_mmio_fdt_node(void *opaque, void *fdt, const struct fdt_ctx *ctx)
{
	struct virtio_mmio *vm = opaque;

	return fdt_begin_mmio_node(fdt, "virtio_mmio", vm->base,
				   VIRTIO_MMIO_SIZE) ?:
	       fdt_property_string(fdt, "compatible", "virtio,mmio") ?:
	       fdt_prop_spi(fdt, ctx, vm->spi, true) ?:
	       /* Guest RAM is ordinary cacheable host memory to us. */
	       fdt_property(fdt, "dma-coherent", NULL, 0) ?:
	       fdt_end_node(fdt);
}

unsigned int virtio_mmio_num_queues(const struct virtio_mmio *vm)
{
	return vm->dev->num_queues;
}

int virtio_mmio_kick_fd(const struct virtio_mmio *vm, unsigned int q)
{
	return q < vm->dev->num_queues ? vm->queues[q].kick_fd : -1;
}

uint64_t virtio_mmio_notify_addr(const struct virtio_mmio *vm)
{
	return vm->base + VIRTIO_MMIO_QUEUE_NOTIFY;
}

struct virtio_device *virtio_mmio_device(const struct virtio_mmio *vm)
{
	return vm->dev;
}
