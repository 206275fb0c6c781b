/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_FS_H
#define ARMZ_VIRTIO_FS_H

#include <limits.h>
#include <stdbool.h>

#include <armz/vhost-user.h>

#define VIRTIO_ID_FS			26	/* device ID (virtio 1.2, 5) */
#define VIRTIO_FS_TAG_MAX		36	/* config tag[36], 5.11.4 */

struct virtio_device;

/*
 * A --fs share: a host directory that armz serves through a virtiofsd it
 * starts itself, or the socket of a vhost-user-fs backend someone else
 * started. The tag is what the guest mounts (mount -t virtiofs TAG DIR).
 */
struct fs_share {
	char dir[PATH_MAX];		/* "" when socket is given */
	char socket[108];		/* sun_path; "" when dir is */
	char tag[VIRTIO_FS_TAG_MAX + 1];
	bool ro;			/* the backend refuses every change */
};

/*
 * "HOSTDIR,TAG[,ro]" or "socket=PATH,tag=TAG". 0, or -EINVAL with
 * err_msg() naming the option and what is wrong.
 */
int fs_parse_share(const char *arg, struct fs_share *out);

/*
 * virtio-fs (virtio 1.2, 5.11) in front of a vhost-user backend: one
 * high-priority queue and one request queue, served by the backend
 * straight from guest RAM (mem) with the kicks and interrupt eventfds the
 * transport wires to KVM. This half only says what the device is: its
 * ID, its config (tag, number of request queues) and features, and hands
 * the rings over on DRIVER_OK and takes them back on reset.
 *
 * vu is the run's connection to the backend; the device uses it, does not
 * own it, and tells dead(ctx, why) (any thread) if the backend dies while
 * the device exists. 0 and *out, or a negative errno with err_msg() set.
 */
int virtio_fs_new(const char *tag, struct vhost_user *vu,
		  const struct vhost_user_mem *mem,
		  vhost_user_dead_fn dead, void *ctx,
		  struct virtio_device **out);

#endif
