// SPDX-License-Identifier: GPL-2.0
/*
 * virtio-9p, device ID 9: the virtio spec reserves the ID, the layout is
 * what Linux's 9p virtio transport uses. One request queue; each chain
 * carries one 9P request in its readable part and room for the response
 * in its writable part. The config space holds the mount tag the guest
 * names in mount -t 9p.
 *
 * All the protocol lives in p9.c; this file only moves bytes. Requests
 * are served one at a time by the queue's worker, which is what the
 * server expects.
 */
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/p9.h>
#include <armz/util.h>
#include <armz/virtio.h>

/* Longer chains than Linux builds for the largest msize still fit. */
#define V9P_QUEUE_SIZE		256

struct virtio_9p {
	struct virtio_device dev;
	struct p9_server *srv;
	uint8_t *req;			/* P9_MSIZE_MAX each */
	uint8_t *resp;
	char name[16 + P9_TAG_MAX];
	uint8_t config[2 + P9_TAG_MAX];
};

static struct virtio_9p *to_v9p(struct virtio_device *dev)
{
	return container_of(dev, struct virtio_9p, dev);
}

static int v9p_request(struct virtio_device *dev, unsigned int q,
		       const struct virtq_chain *chain, uint32_t *used_len)
{
	struct virtio_9p *v = to_v9p(dev);
	size_t len, cap, n;

	/*
	 * A request longer than the buffer arrives cut short; its size
	 * field then exceeds len and the server answers Rlerror.
	 */
	len = virtq_chain_read(chain, 0, v->req, P9_MSIZE_MAX);
	cap = chain->write_len < P9_MSIZE_MAX ? chain->write_len :
						 P9_MSIZE_MAX;
	n = p9_handle(v->srv, v->req, len, v->resp, cap);
	*used_len = (uint32_t)virtq_chain_write(chain, 0, v->resp, n);
	virtio_stat_add(&dev->stats.bytes_in, len);
	virtio_stat_add(&dev->stats.bytes_out, *used_len);
	return 0;
}

static void v9p_queue_notify(struct virtio_device *dev, unsigned int q)
{
	virtio_dev_process(dev, q, v9p_request);
}

/* A reset guest mounts afresh: drop the old session's fids and fds. */
static void v9p_stop(struct virtio_device *dev)
{
	p9_server_reset(to_v9p(dev)->srv);
}

static void v9p_free(struct virtio_device *dev)
{
	struct virtio_9p *v = to_v9p(dev);

	p9_server_free(v->srv);
	free(v->req);
	free(v->resp);
	free(v);
}

static const struct virtio_device_ops v9p_ops = {
	.stop = v9p_stop,
	.queue_notify = v9p_queue_notify,
	.free = v9p_free,
};

int virtio_9p_new(const struct p9_share *share, struct virtio_device **out)
{
	size_t tlen = strlen(share->tag);
	struct virtio_9p *v;
	int r;

	*out = NULL;
	if (!tlen || tlen > P9_TAG_MAX)
		return err_set(EINVAL, "9p share '%s': tag '%s' must be 1 to %d bytes",
			       share->dir, share->tag, P9_TAG_MAX);
	v = calloc(1, sizeof(*v));
	if (!v || !(v->req = malloc(P9_MSIZE_MAX)) ||
	    !(v->resp = malloc(P9_MSIZE_MAX))) {
		r = err_set(ENOMEM, "9p share '%s': out of memory", share->dir);
		goto fail;
	}
	r = p9_server_new(share->dir, share->ro, &v->srv);
	if (r)
		goto fail;
	snprintf(v->name, sizeof(v->name), "virtio-9p %s", share->tag);
	le16_write(v->config, (uint16_t)tlen);
	memcpy(v->config + 2, share->tag, tlen);
	v->dev = (struct virtio_device){
		.ops = &v9p_ops,
		.name = v->name,
		.id = VIRTIO_ID_9P,
		.features = VIRTIO_BIT(VIRTIO_9P_F_MOUNT_TAG),
		.num_queues = 1,
		.queue_size = V9P_QUEUE_SIZE,
		.nr_workers = 1,
		.worker_role = share->ro ? THREAD_9P_RO : THREAD_9P,
		.config = v->config,
		.config_size = (unsigned int)(2 + tlen),
	};
	*out = &v->dev;
	return 0;
fail:
	if (v) {
		free(v->req);
		free(v->resp);
	}
	free(v);
	return r;
}

int p9_parse_share(const char *arg, struct p9_share *share)
{
	const char *c1 = strchr(arg, ','), *c2;
	size_t dlen, tlen;

	if (!c1 || c1 == arg)
		return err_set(EINVAL, "--9p '%s': expected HOSTDIR,TAG[,ro]",
			       arg);
	dlen = (size_t)(c1 - arg);
	c2 = strchr(c1 + 1, ',');
	tlen = c2 ? (size_t)(c2 - c1 - 1) : strlen(c1 + 1);
	if (!tlen)
		return err_set(EINVAL, "--9p '%s': empty mount tag", arg);
	if (tlen > P9_TAG_MAX)
		return err_set(EINVAL, "--9p '%s': mount tag over %d bytes",
			       arg, P9_TAG_MAX);
	if (dlen >= sizeof(share->dir))
		return err_set(EINVAL, "--9p: directory name over %zu bytes",
			       sizeof(share->dir) - 1);
	if (c2 && strcmp(c2 + 1, "ro"))
		return err_set(EINVAL, "--9p '%s': unknown option '%s'", arg,
			       c2 + 1);
	memcpy(share->dir, arg, dlen);
	share->dir[dlen] = '\0';
	memcpy(share->tag, c1 + 1, tlen);
	share->tag[tlen] = '\0';
	share->ro = c2 != NULL;
	return 0;
}
