// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-fs, device ID 26 (virtio 1.2, 5.11), as the device half on top of
 * the vhost-user frontend (vhost-user.c): the FUSE requests never pass
 * through armz. Queue 0 is the high-priority queue, queue 1 the one
 * request queue; the config space is tag[36] and num_request_queues
 * (le32). The backend is a real virtiofsd.
 *
 * What a vhost-user-blk or -net device would add is only its own half:
 * its ID, queues and config (from the backend with the CONFIG protocol
 * feature, or from armz's options), passing its device feature bits
 * through; the start/stop and wiring below would be the same.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/util.h>
#include <armz/virtio-fs.h>
#include <armz/virtio.h>

#define FS_QUEUES		2	/* hiprio + one request queue */
#define FS_QUEUE_SIZE		256
#define FS_CONFIG_SIZE		(VIRTIO_FS_TAG_MAX + 4)

/* What the transport offers every device: the backend must do it too. */
#define FS_NEEDED_FEATURES	VIRTIO_TRANSPORT_FEATURES

struct virtio_fs {
	struct virtio_device dev;
	struct vhost_user *vu;		/* the run's, not ours */
	struct vhost_user_mem mem;
	vhost_user_dead_fn dead;
	void *dead_ctx;
	/*
	 * Without an irqfd the backend signals these and the worker turns
	 * each signal into an interrupt: -1 while the irqfd does it.
	 */
	int call_fd[FS_QUEUES];
	bool relay;
	char name[32 + VIRTIO_FS_TAG_MAX];
	uint8_t config[FS_CONFIG_SIZE];
};

static struct virtio_fs *to_fs(struct virtio_device *dev)
{
	return container_of(dev, struct virtio_fs, dev);
}

/* The rings the driver set up, as the backend takes them over. */
static unsigned int fs_rings(struct virtio_fs *f, struct vhost_user_ring *r)
{
	struct virtio_device *dev = &f->dev;
	int irq_fd = virtio_dev_irq_fd(dev);
	unsigned int n = 0;

	f->relay = irq_fd < 0;
	for (unsigned int q = 0; q < FS_QUEUES; q++) {
		struct virtq *vq = virtio_dev_vq(dev, q);
		struct virtq_layout l;

		if (!vq)
			continue;
		virtq_get_layout(vq, &l);
		r[n++] = (struct vhost_user_ring){
			.index = q, .num = l.num, .next_avail = l.next_avail,
			.desc = l.desc, .avail = l.avail, .used = l.used,
			.kick_fd = virtio_dev_kick_fd(dev, q),
			.call_fd = f->relay ? f->call_fd[q] : irq_fd,
		};
	}
	return n;
}

static int fs_start(struct virtio_device *dev)
{
	struct virtio_fs *f = to_fs(dev);
	struct vhost_user_ring rings[FS_QUEUES];
	unsigned int n = fs_rings(f, rings);

	/* Linux sets up both; a driver that sets up none has nothing to run. */
	if (!n)
		return 0;
	return vhost_user_start(f->vu, dev->features_acked, &f->mem, rings, n);
}

static void fs_stop(struct virtio_device *dev)
{
	vhost_user_stop(to_fs(dev)->vu);
}

/* Never called: the backend reads the kicks. */
static void fs_queue_notify(struct virtio_device *dev, unsigned int q)
{
}

static unsigned int fs_worker_fds(struct virtio_device *dev, unsigned int w,
				  int *fds)
{
	struct virtio_fs *f = to_fs(dev);
	unsigned int n = 0;

	fds[n++] = vhost_user_watch_fd(f->vu);
	for (unsigned int q = 0; f->relay && q < FS_QUEUES; q++)
		fds[n++] = f->call_fd[q];
	return n;
}

static void fs_fd_ready(struct virtio_device *dev, unsigned int w, int fd,
			short revents)
{
	struct virtio_fs *f = to_fs(dev);
	uint64_t v;

	if (fd == vhost_user_watch_fd(f->vu)) {
		vhost_user_check(f->vu);
		return;
	}
	if (read(fd, &v, sizeof(v)) == sizeof(v))
		virtio_dev_interrupt(dev);
}

static void fs_free(struct virtio_device *dev)
{
	struct virtio_fs *f = to_fs(dev);

	vhost_user_set_dead(f->vu, NULL, NULL);
	for (unsigned int q = 0; q < FS_QUEUES; q++)
		if (f->call_fd[q] >= 0)
			close(f->call_fd[q]);
	free(f);
}

static const struct virtio_device_ops fs_ops = {
	.start = fs_start,
	.stop = fs_stop,
	.queue_notify = fs_queue_notify,
	.worker_fds = fs_worker_fds,
	.fd_ready = fs_fd_ready,
	.free = fs_free,
};

int virtio_fs_new(const char *tag, struct vhost_user *vu,
		  const struct vhost_user_mem *mem,
		  vhost_user_dead_fn dead, void *ctx,
		  struct virtio_device **out)
{
	size_t tlen = strlen(tag);
	uint64_t have = vhost_user_features(vu);
	struct virtio_fs *f;

	*out = NULL;
	if (!tlen || tlen > VIRTIO_FS_TAG_MAX)
		return err_set(EINVAL, "virtio-fs: tag '%s' must be 1 to %d bytes",
			       tag, VIRTIO_FS_TAG_MAX);
	if ((have & FS_NEEDED_FEATURES) != FS_NEEDED_FEATURES)
		return err_set(ENOTSUP, "virtio-fs '%s': the backend lacks virtio 1.0, indirect descriptors or event index (features 0x%llx)",
			       tag, (unsigned long long)have);
	if (vhost_user_queue_num(vu) && vhost_user_queue_num(vu) < FS_QUEUES)
		return err_set(ENOTSUP, "virtio-fs '%s': the backend serves %u queue, it takes %d",
			       tag, vhost_user_queue_num(vu), FS_QUEUES);
	f = calloc(1, sizeof(*f));
	if (!f)
		return err_set(ENOMEM, "virtio-fs: out of memory");
	for (unsigned int q = 0; q < FS_QUEUES; q++) {
		f->call_fd[q] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
		if (f->call_fd[q] < 0) {
			int e = errno;

			for (unsigned int i = 0; i < q; i++)
				close(f->call_fd[i]);
			free(f);
			return err_set(e, "virtio-fs: eventfd: %s",
				       strerror(e));
		}
	}
	f->vu = vu;
	f->mem = *mem;
	snprintf(f->name, sizeof(f->name), "virtio-fs %s", tag);
	/* tag is NUL-padded and need not end in one (5.11.4). */
	memcpy(f->config, tag, tlen);
	le32_write(f->config + VIRTIO_FS_TAG_MAX, FS_QUEUES - 1);
	f->dev = (struct virtio_device){
		.ops = &fs_ops,
		.name = f->name,
		.id = VIRTIO_ID_FS,
		.num_queues = FS_QUEUES,
		.queue_size = FS_QUEUE_SIZE,
		.nr_workers = 1,
		.config = f->config,
		.config_size = FS_CONFIG_SIZE,
		.external = true,
	};
	vhost_user_set_dead(vu, dead, ctx);
	*out = &f->dev;
	return 0;
}

/* --- --fs --- */

static int fs_parse_socket(const char *arg, struct fs_share *s)
{
	char *copy = strdup(arg), *save = NULL, *item;
	int r = 0;

	if (!copy)
		return err_set(ENOMEM, "out of memory");
	for (item = strtok_r(copy, ",", &save); item && !r;
	     item = strtok_r(NULL, ",", &save)) {
		if (!strncmp(item, "socket=", 7) &&
		    strlen(item + 7) < sizeof(s->socket))
			strcpy(s->socket, item + 7);
		else if (!strncmp(item, "tag=", 4) &&
			 strlen(item + 4) <= VIRTIO_FS_TAG_MAX)
			strcpy(s->tag, item + 4);
		else
			r = err_set(EINVAL, "--fs '%s': '%s' is not socket=PATH (up to %zu bytes) or tag=TAG (1 to %d bytes)",
				    arg, item, sizeof(s->socket) - 1,
				    VIRTIO_FS_TAG_MAX);
	}
	free(copy);
	if (!r && (!s->socket[0] || !s->tag[0]))
		r = err_set(EINVAL, "--fs '%s': expected socket=PATH,tag=TAG",
			    arg);
	return r;
}

int fs_parse_share(const char *arg, struct fs_share *s)
{
	const char *c1 = strchr(arg, ','), *c2;
	size_t dlen, tlen;

	memset(s, 0, sizeof(*s));
	if (!strncmp(arg, "socket=", 7) || !strncmp(arg, "tag=", 4))
		return fs_parse_socket(arg, s);
	if (!c1 || c1 == arg)
		return err_set(EINVAL, "--fs '%s': expected HOSTDIR,TAG[,ro] or socket=PATH,tag=TAG",
			       arg);
	dlen = (size_t)(c1 - arg);
	c2 = strchr(c1 + 1, ',');
	tlen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (!tlen || tlen > VIRTIO_FS_TAG_MAX)
		return err_set(EINVAL, "--fs '%s': the tag must be 1 to %d bytes",
			       arg, VIRTIO_FS_TAG_MAX);
	if (dlen >= sizeof(s->dir))
		return err_set(EINVAL, "--fs: directory name over %zu bytes",
			       sizeof(s->dir) - 1);
	if (c2 && strcmp(c2 + 1, "ro"))
		return err_set(EINVAL, "--fs '%s': unknown option '%s'", arg,
			       c2 + 1);
	memcpy(s->dir, arg, dlen);
	memcpy(s->tag, c1 + 1, tlen);
	s->ro = c2 != NULL;
	return 0;
}
