// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdlib.h>
#include <sys/random.h>

#include <armz/err.h>
#include <armz/util.h>
#include <armz/virtio.h>
#include <armz/virtio-rng.h>

/*
 * The most one request gets. The driver takes what it is given, and a
 * bound keeps a guest from parking the device thread (and a reset waiting
 * for it) on a gigabyte buffer.
 */
#define RNG_MAX_PER_REQUEST	(1u << 20)

struct virtio_rng {
	struct virtio_device dev;
};

/* Fills len bytes; false if the kernel will not give us entropy. */
static bool rng_fill(uint8_t *p, size_t len)
{
	while (len) {
		ssize_t n = getrandom(p, len, 0);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return false;
		p += n;
		len -= (size_t)n;
	}
	return true;
}

static int rng_handle(struct virtio_device *dev, unsigned int q,
		      const struct virtq_chain *chain, uint32_t *used_len)
{
	uint32_t done = 0;
	unsigned int i;

	/* Readable buffers carry nothing for this device: skip them. */
	for (i = chain->nread; i < chain->count; i++) {
		const struct virtq_buf *b = &chain->buf[i];
		size_t len = b->len;

		if (len > RNG_MAX_PER_REQUEST - done)
			len = RNG_MAX_PER_REQUEST - done;
		if (!rng_fill(b->addr, len)) {
			virtio_stat_add(&dev->stats.errors, 1);
			break;
		}
		done += len;
		if (done == RNG_MAX_PER_REQUEST)
			break;
	}
	virtio_stat_add(&dev->stats.bytes_out, done);
	*used_len = done;
	return 0;
}

static void rng_queue_notify(struct virtio_device *dev, unsigned int q)
{
	virtio_dev_process(dev, q, rng_handle);
}

static void rng_free(struct virtio_device *dev)
{
	free(container_of(dev, struct virtio_rng, dev));
}

static const struct virtio_device_ops rng_ops = {
	.queue_notify = rng_queue_notify,
	.free = rng_free,
};

int virtio_rng_new(struct virtio_device **out)
{
	struct virtio_rng *rng = calloc(1, sizeof(*rng));

	*out = NULL;
	if (!rng)
		return err_set(ENOMEM, "virtio-rng: out of memory");
	rng->dev = (struct virtio_device){
		.ops = &rng_ops,
		.name = "virtio-rng",
		.id = VIRTIO_ID_RNG,
		.num_queues = 1,
		.queue_size = VIRTQ_NUM_MAX,
		.nr_workers = 1,
		.worker_role = THREAD_RNG,
	};
	*out = &rng->dev;
	return 0;
}
