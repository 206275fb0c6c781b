// SPDX-License-Identifier: GPL-2.0
/*
 * The generic half of a virtio device whose queues a vhost-user backend
 * serves (include/armz/vhost-user.h): what every such device does with
 * the transport on DRIVER_OK and reset, whatever its ID.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/util.h>
#include <armz/vhost-user.h>

static struct vhost_user_dev *to_vud(struct virtio_device *dev)
{
	return container_of(dev, struct vhost_user_dev, dev);
}

/* The rings the driver set up, as the backend takes them over. */
static unsigned int vud_rings(struct vhost_user_dev *d,
			      struct vhost_user_ring *r)
{
	struct virtio_device *dev = &d->dev;
	int irq_fd = virtio_dev_irq_fd(dev);
	unsigned int n = 0;

	d->relay = irq_fd < 0;
	for (unsigned int q = 0; q < dev->num_queues; q++) {
		struct virtq *vq = virtio_dev_vq(dev, q);
		struct virtq_layout l;

		if (!vq)
			continue;
		virtq_get_layout(vq, &l);
		r[n++] = (struct vhost_user_ring){
			.index = q, .num = l.num, .next_avail = l.next_avail,
			.desc = l.desc, .avail = l.avail, .used = l.used,
			.kick_fd = virtio_dev_kick_fd(dev, q),
			.call_fd = d->relay ? d->call_fd[q] : irq_fd,
		};
	}
	return n;
}

static int vud_start(struct virtio_device *dev)
{
	struct vhost_user_dev *d = to_vud(dev);
	struct vhost_user_ring rings[VIRTIO_QUEUES_MAX];
	unsigned int n = vud_rings(d, rings);

	/* A driver that set up no queue has nothing to run. */
	if (!n)
		return 0;
	return vhost_user_start(d->vu, dev->features_acked, &d->mem, rings, n);
}

static void vud_stop(struct virtio_device *dev)
{
	vhost_user_stop(to_vud(dev)->vu);
}

/* Never called: the backend reads the kicks. */
static void vud_queue_notify(struct virtio_device *dev, unsigned int q)
{
}

static unsigned int vud_worker_fds(struct virtio_device *dev, unsigned int w,
				   int *fds)
{
	struct vhost_user_dev *d = to_vud(dev);
	unsigned int n = 0;

	fds[n++] = vhost_user_watch_fd(d->vu);
	for (unsigned int q = 0; d->relay && q < dev->num_queues &&
	     n < VIRTIO_WORKER_FDS_MAX; q++)
		fds[n++] = d->call_fd[q];
	return n;
}

static void vud_fd_ready(struct virtio_device *dev, unsigned int w, int fd,
			 short revents)
{
	struct vhost_user_dev *d = to_vud(dev);
	uint64_t v;

	if (fd == vhost_user_watch_fd(d->vu)) {
		vhost_user_check(d->vu);
		return;
	}
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		virtio_dev_interrupt(dev);
}

static void vud_close_calls(struct vhost_user_dev *d)
{
	for (unsigned int q = 0; d->call_fd && q < d->dev.num_queues; q++)
		if (d->call_fd[q] >= 0)
			close(d->call_fd[q]);
	free(d->call_fd);
	d->call_fd = NULL;
}

static void vud_free(struct virtio_device *dev)
{
	struct vhost_user_dev *d = to_vud(dev);

	vhost_user_set_dead(d->vu, NULL, NULL);
	vud_close_calls(d);
	if (d->free)
		d->free(d);
}

const struct virtio_device_ops vhost_user_dev_ops = {
	.start = vud_start,
	.stop = vud_stop,
	.queue_notify = vud_queue_notify,
	.worker_fds = vud_worker_fds,
	.fd_ready = vud_fd_ready,
	.free = vud_free,
};

int vhost_user_dev_init(struct vhost_user_dev *d, struct vhost_user *vu,
			const struct vhost_user_mem *mem,
			vhost_user_dead_fn dead, void *ctx)
{
	unsigned int nq = d->dev.num_queues;

	if (!nq || nq > VIRTIO_QUEUES_MAX)
		return err_set(EINVAL, "%s: %u queues", d->dev.name, nq);
	d->call_fd = calloc(nq, sizeof(*d->call_fd));
	if (!d->call_fd)
		return err_set(ENOMEM, "%s: out of memory", d->dev.name);
	for (unsigned int q = 0; q < nq; q++)
		d->call_fd[q] = -1;
	for (unsigned int q = 0; q < nq; q++) {
		d->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (d->call_fd[q] < 0) {
			int e = errno;

			vud_close_calls(d);
			return err_set(e, "%s: eventfd: %s", d->dev.name,
				       strerror(e));
		}
	}
	d->vu = vu;
	d->mem = *mem;
	d->dev.ops = &vhost_user_dev_ops;
	d->dev.worker_role = THREAD_VHOST_USER;
	d->dev.external = true;
	vhost_user_set_dead(vu, dead, ctx);
	return 0;
}
