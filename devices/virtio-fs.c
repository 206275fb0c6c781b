// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-fs, device ID 26 (virtio 1.2, 5.11), as the device half on top of
 * the vhost-user frontend (vhost-user.c, vhost-user-dev.c): the FUSE
 * requests never pass through armz. Queue 0 is the high-priority queue,
 * queue 1 the one request queue; the config space is tag[36] and
 * num_request_queues (le32). The backend is a real virtiofsd.
 *
 * A vhost-user-blk or -net device would be a file like this one: its ID,
 * queues and config (blk's from the backend with the CONFIG protocol
 * feature, net's from armz's options) and its feature bits passed
 * through from the backend.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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
	struct vhost_user_dev vud;	/* the generic half */
	char name[32 + VIRTIO_FS_TAG_MAX];
	uint8_t config[FS_CONFIG_SIZE];
};

static void fs_free(struct vhost_user_dev *d)
{
	free(container_of(d, struct virtio_fs, vud));
}

int virtio_fs_new(const char *tag, struct vhost_user *vu,
		  const struct vhost_user_mem *mem,
		  vhost_user_dead_fn dead, void *ctx,
		  struct virtio_device **out)
{
	size_t tlen = strlen(tag);
	uint64_t have = vhost_user_features(vu);
	struct virtio_fs *f;
	int r;

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
	snprintf(f->name, sizeof(f->name), "virtio-fs %s", tag);
	/* tag is NUL-padded and need not end in one (5.11.4). */
	memcpy(f->config, tag, tlen);
	le32_write(f->config + VIRTIO_FS_TAG_MAX, FS_QUEUES - 1);
	f->vud.dev = (struct virtio_device){
		.name = f->name,
		.id = VIRTIO_ID_FS,
		.num_queues = FS_QUEUES,
		.queue_size = FS_QUEUE_SIZE,
		.nr_workers = 1,
		.config = f->config,
		.config_size = FS_CONFIG_SIZE,
	};
	f->vud.free = fs_free;
	r = vhost_user_dev_init(&f->vud, vu, mem, dead, ctx);
	if (r) {
		free(f);
		return r;
	}
	*out = &f->vud.dev;
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
