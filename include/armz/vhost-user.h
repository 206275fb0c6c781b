/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VHOST_USER_H
#define ARMZ_VHOST_USER_H

#include <stdbool.h>
#include <stdint.h>

#include <armz/virtio.h>

/*
 * The frontend of the vhost-user protocol (QEMU's docs/interop/
 * vhost-user.rst): another process, the backend, serves a device's
 * virtqueues straight from guest RAM, which it maps from the file
 * descriptors we pass it. We only set things up: features, the memory
 * table, and each ring's size, addresses, start index and eventfds. The
 * guest's kicks then go from KVM to the backend and its interrupts from
 * the backend to KVM, with no thread of ours in between.
 *
 * Messages are in the host's byte order (both ends run on this host), over
 * a Unix stream socket; descriptors travel as SCM_RIGHTS. Every request
 * that has a reply, or that asks for an ack (REPLY_ACK), waits for it, at
 * most VHOST_USER_TIMEOUT_S seconds.
 *
 * One connection serves one device for a whole run, across device resets
 * and guest reboots: each start sends the memory table and the rings
 * again, each stop takes the rings back (GET_VRING_BASE).
 *
 * A backend that closes the socket, answers nonsense or not in time is
 * dead: every later call fails at once with -EPIPE, and the dead callback,
 * if any, hears about it once, on the thread that found out.
 *
 * Threads: one caller at a time for start/stop (a lock serialises them
 * with vhost_user_check()); knows nothing of KVM.
 */

#define VHOST_USER_TIMEOUT_S		10

/* Requests (frontend to backend). */
#define VHOST_USER_GET_FEATURES		1
#define VHOST_USER_SET_FEATURES		2
#define VHOST_USER_SET_OWNER		3
#define VHOST_USER_SET_MEM_TABLE	5
#define VHOST_USER_SET_VRING_NUM	8
#define VHOST_USER_SET_VRING_ADDR	9
#define VHOST_USER_SET_VRING_BASE	10
#define VHOST_USER_GET_VRING_BASE	11
#define VHOST_USER_SET_VRING_KICK	12
#define VHOST_USER_SET_VRING_CALL	13
#define VHOST_USER_SET_VRING_ERR	14
#define VHOST_USER_GET_PROTOCOL_FEATURES 15
#define VHOST_USER_SET_PROTOCOL_FEATURES 16
#define VHOST_USER_GET_QUEUE_NUM	17
#define VHOST_USER_SET_VRING_ENABLE	18

/* Header flags: the version in bits 0-1, then reply and need-reply. */
#define VHOST_USER_VERSION		1
#define VHOST_USER_VERSION_MASK		3
#define VHOST_USER_REPLY		(1U << 2)
#define VHOST_USER_NEED_REPLY		(1U << 3)

/* SET_VRING_KICK/CALL/ERR: the ring index, and "no descriptor". */
#define VHOST_USER_VRING_IDX_MASK	0xffULL
#define VHOST_USER_VRING_NOFD		(1ULL << 8)

/* Virtio feature bit 30: the backend speaks protocol features. */
#define VHOST_USER_F_PROTOCOL_FEATURES	30

/* Protocol features armz knows of. */
#define VHOST_USER_PROTOCOL_F_MQ	0
#define VHOST_USER_PROTOCOL_F_REPLY_ACK	3
#define VHOST_USER_PROTOCOL_F_CONFIG	9

#define VHOST_USER_MAX_REGIONS		8
#define VHOST_USER_MAX_RINGS		64

struct vhost_user;

/* Guest RAM as the backend maps it: [gpa, gpa + size) is fd at offset. */
struct vhost_user_mem {
	uint64_t gpa;
	uint64_t size;
	void *host;		/* where we have gpa mapped */
	int fd;
	uint64_t offset;
};

/* One ring handed over: host addresses inside mem, checked already. */
struct vhost_user_ring {
	unsigned int index;
	unsigned int num;
	uint16_t next_avail;	/* where the backend starts */
	void *desc;
	void *avail;
	void *used;
	int kick_fd;		/* the guest's kicks (ioeventfd) */
	int call_fd;		/* the backend's interrupts (irqfd, or ours) */
};

typedef void (*vhost_user_dead_fn)(void *ctx, const char *why);

/*
 * Takes the connected socket sock (closed on failure too) and greets the
 * backend: SET_OWNER, its features and protocol features. name ("virtio-fs
 * 'root'") goes into messages. 0 and *out, or a negative errno with
 * err_msg() set.
 */
int vhost_user_new(int sock, const char *name, struct vhost_user **out);
/* The same over a connection to the Unix socket at path. */
int vhost_user_connect(const char *path, const char *name,
		       struct vhost_user **out);
void vhost_user_free(struct vhost_user *vu);

/* Who hears of the backend's death (any thread); before the device runs. */
void vhost_user_set_dead(struct vhost_user *vu, vhost_user_dead_fn fn,
			 void *ctx);

/* The backend's virtio features, protocol bit 30 taken out. */
uint64_t vhost_user_features(const struct vhost_user *vu);
/* How many queues the backend serves (GET_QUEUE_NUM), 0: it did not say. */
unsigned int vhost_user_queue_num(const struct vhost_user *vu);
bool vhost_user_dead(const struct vhost_user *vu);

/*
 * Readable when the backend may have died: an epoll descriptor over the
 * socket, armed for one event. The caller then calls vhost_user_check(),
 * which re-arms it while the backend lives.
 */
int vhost_user_watch_fd(const struct vhost_user *vu);
/* false when the backend is gone (the dead callback then ran). */
bool vhost_user_check(struct vhost_user *vu);

/*
 * The driver said DRIVER_OK: SET_FEATURES (the driver's, with bit 30 when
 * the backend speaks protocol features), SET_MEM_TABLE, then each ring's
 * size, start index, addresses, kick, call and enable.
 */
int vhost_user_start(struct vhost_user *vu, uint64_t features,
		     const struct vhost_user_mem *mem,
		     const struct vhost_user_ring *rings, unsigned int n);
/* Takes back the rings start gave (GET_VRING_BASE). Fine when stopped. */
void vhost_user_stop(struct vhost_user *vu);

/*
 * --- A virtio device served by a vhost-user backend (vhost-user-dev.c) ---
 *
 * The generic half of every vhost-user device: on DRIVER_OK the rings the
 * driver set up go to the backend with the transport's kick eventfds
 * (KVM's ioeventfds) and its interrupt eventfd (KVM's irqfd), so that
 * neither kicks nor interrupts pass through armz; on reset they come
 * back. Without an irqfd (no KVM_CAP_IRQFD) the backend signals eventfds
 * of ours and the device's worker raises the interrupts. The worker also
 * watches the socket, so a backend that dies is noticed at once.
 *
 * A device half (virtio-fs.c; a vhost-user-blk or -net would be the
 * same) embeds struct vhost_user_dev, fills its dev with the ID, queues,
 * config and feature bits, sets free, and calls vhost_user_dev_init().
 * Without an irqfd one worker relays the interrupts of up to
 * VIRTIO_WORKER_FDS_MAX - 1 queues.
 */
struct vhost_user_dev {
	struct virtio_device dev;	/* dev.ops = &vhost_user_dev_ops */
	struct vhost_user *vu;		/* the run's connection, not ours */
	struct vhost_user_mem mem;
	void (*free)(struct vhost_user_dev *d);	/* the device half's */
	int *call_fd;			/* dev.num_queues eventfds */
	bool relay;			/* the worker raises interrupts */
};

extern const struct virtio_device_ops vhost_user_dev_ops;

/*
 * After d->dev is filled (num_queues set): the eventfds, the dead
 * callback (cleared again when the device is freed). 0 or a negative
 * errno with err_msg() set; on failure nothing is left to free but d.
 */
int vhost_user_dev_init(struct vhost_user_dev *d, struct vhost_user *vu,
			const struct vhost_user_mem *mem,
			vhost_user_dead_fn dead, void *ctx);

#endif
