// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/util.h>
#include <armz/virtio.h>
#include <armz/virtio-console.h>

struct virtio_console {
	struct virtio_device dev;
	virtio_console_out_fn out;
	void *out_ctx;
	void (*rx_notify)(void *ctx);
	void *rx_ctx;
	/*
	 * The receive queue is driven by the input thread, not a worker:
	 * rx_lock keeps it from racing a reset (start/stop).
	 */
	pthread_mutex_t rx_lock;
	bool running;
	bool open;		/* the guest has had time to hook the port */
	unsigned int open_grace_us;	/* CON_OPEN_GRACE_US but in tests */
	struct virtq_chain rx_chain;
	uint8_t config[VIRTIO_CONSOLE_CFG_SIZE];
};

static struct virtio_console *to_con(struct virtio_device *dev)
{
	return container_of(dev, struct virtio_console, dev);
}

static void con_rx_notify(struct virtio_console *con)
{
	if (con->rx_notify)
		con->rx_notify(con->rx_ctx);
}

static int con_tx(struct virtio_device *dev, unsigned int q,
		  const struct virtq_chain *chain, uint32_t *used_len)
{
	struct virtio_console *con = to_con(dev);
	unsigned int i;

	for (i = 0; i < chain->nread; i++) {
		const struct virtq_buf *b = &chain->buf[i];

		/* Blocks as long as the reader is slow: back-pressure. */
		if (con->out(con->out_ctx, b->addr, b->len) < 0)
			virtio_stat_add(&dev->stats.errors, 1);
		virtio_stat_add(&dev->stats.bytes_in, b->len);
	}
	*used_len = 0;
	return 0;
}

/*
 * Without MULTIPORT nothing tells the device when the guest's driver has
 * hooked the port up to hvc, and Linux throws away input that arrives
 * before it has (in_intr() with !guest_connected). It does so right after
 * it first posts receive buffers, so input waits this long past that:
 * typed-ahead or piped input then reaches the guest instead of vanishing.
 */
#define CON_OPEN_GRACE_US	250000

static void con_rx_posted(struct virtio_console *con)
{
	bool open;

	pthread_mutex_lock(&con->rx_lock);
	open = con->open;
	pthread_mutex_unlock(&con->rx_lock);
	if (!open) {
		usleep(con->open_grace_us);
		pthread_mutex_lock(&con->rx_lock);
		con->open = con->running;
		pthread_mutex_unlock(&con->rx_lock);
	}
	con_rx_notify(con);
}

static void con_queue_notify(struct virtio_device *dev, unsigned int q)
{
	if (q == VIRTIO_CONSOLE_TX_QUEUE)
		virtio_dev_process(dev, q, con_tx);
	else
		con_rx_posted(to_con(dev));
}

static int con_start(struct virtio_device *dev)
{
	struct virtio_console *con = to_con(dev);

	pthread_mutex_lock(&con->rx_lock);
	con->running = true;
	con->open = false;
	pthread_mutex_unlock(&con->rx_lock);
	con_rx_notify(con);
	return 0;
}

static void con_stop(struct virtio_device *dev)
{
	struct virtio_console *con = to_con(dev);

	pthread_mutex_lock(&con->rx_lock);
	con->running = false;
	con->open = false;
	pthread_mutex_unlock(&con->rx_lock);
}

/* With rx_lock held: the live receive queue, or NULL. */
static struct virtq *con_rx_vq(struct virtio_console *con)
{
	struct virtq *vq;

	if (!con->running || !con->open)
		return NULL;
	vq = virtio_dev_vq(&con->dev, VIRTIO_CONSOLE_RX_QUEUE);
	return vq && !vq->broken ? vq : NULL;
}

size_t virtio_console_receive(struct virtio_device *dev, const uint8_t *buf,
			      size_t len)
{
	struct virtio_console *con = to_con(dev);
	struct virtq_chain *chain = &con->rx_chain;
	struct virtq *vq;
	size_t done = 0;
	bool pushed = false;

	pthread_mutex_lock(&con->rx_lock);
	vq = con_rx_vq(con);
	while (vq && done < len) {
		int r = virtq_pop(vq, chain);
		size_t n;

		if (r < 0) {
			virtio_dev_fail(dev, VIRTIO_CONSOLE_RX_QUEUE);
			break;
		}
		/* Out of buffers: have the guest kick when it posts more. */
		if (!r) {
			if (virtq_enable_notify(vq))
				continue;
			break;
		}
		n = virtq_chain_write(chain, 0, buf + done, len - done);
		virtq_push(vq, chain->head, (uint32_t)n);
		virtio_stat_add(&dev->stats.requests, 1);
		done += n;
		pushed = true;
	}
	if (pushed)
		virtio_dev_notify(dev, VIRTIO_CONSOLE_RX_QUEUE);
	pthread_mutex_unlock(&con->rx_lock);
	virtio_stat_add(&dev->stats.bytes_out, done);
	return done;
}

bool virtio_console_rx_room(struct virtio_device *dev)
{
	struct virtio_console *con = to_con(dev);
	struct virtq *vq;
	bool room = false;

	pthread_mutex_lock(&con->rx_lock);
	vq = con_rx_vq(con);
	if (vq)
		room = virtq_has_avail(vq) || virtq_enable_notify(vq);
	pthread_mutex_unlock(&con->rx_lock);
	return room;
}

void virtio_console_set_rx_notify(struct virtio_device *dev,
				  void (*notify)(void *ctx), void *ctx)
{
	struct virtio_console *con = to_con(dev);

	con->rx_notify = notify;
	con->rx_ctx = ctx;
}

void virtio_console_set_size(struct virtio_device *dev, uint16_t cols,
			     uint16_t rows)
{
	uint8_t size[4];

	le16_write(size + VIRTIO_CONSOLE_CFG_COLS, cols);
	le16_write(size + VIRTIO_CONSOLE_CFG_ROWS, rows);
	/* Features are fixed once a transport offers them. */
	if (!dev->transport)
		dev->features |= VIRTIO_BIT(VIRTIO_CONSOLE_F_SIZE);
	virtio_dev_config_update(dev, 0, size, sizeof(size));
}

void virtio_console_set_open_grace(struct virtio_device *dev,
				   unsigned int us)
{
	to_con(dev)->open_grace_us = us;
}

static void con_free(struct virtio_device *dev)
{
	struct virtio_console *con = to_con(dev);

	pthread_mutex_destroy(&con->rx_lock);
	free(con);
}

static const struct virtio_device_ops con_ops = {
	.start = con_start,
	.stop = con_stop,
	.queue_notify = con_queue_notify,
	.free = con_free,
};

int virtio_console_new(virtio_console_out_fn out, void *out_ctx,
		       struct virtio_device **dev)
{
	struct virtio_console *con = calloc(1, sizeof(*con));

	*dev = NULL;
	if (!con)
		return err_set(ENOMEM, "virtio-console: out of memory");
	con->out = out;
	con->out_ctx = out_ctx;
	con->open_grace_us = CON_OPEN_GRACE_US;
	pthread_mutex_init(&con->rx_lock, NULL);
	/* Only max_nr_ports has meaning without features; say one port. */
	le32_write(con->config + 4, 1);
	con->dev = (struct virtio_device){
		.ops = &con_ops,
		.name = "virtio-console",
		.id = VIRTIO_ID_CONSOLE,
		.num_queues = 2,
		.queue_size = VIRTQ_NUM_MAX,
		/* Input wakeups must not wait behind blocked output. */
		.nr_workers = 2,
		.worker_role = THREAD_HVC,
		.config = con->config,
		.config_size = sizeof(con->config),
	};
	*dev = &con->dev;
	return 0;
}
