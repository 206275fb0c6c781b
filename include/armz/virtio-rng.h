/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_RNG_H
#define ARMZ_VIRTIO_RNG_H

#define VIRTIO_ID_RNG			4	/* device ID (virtio 1.2, 5) */

struct virtio_device;

/*
 * virtio-rng (entropy device, virtio 1.2 5.4): one request queue whose
 * writable buffers are filled from getrandom(2). Hand the result to
 * virtio_mmio_new(). 0 and *out, or a negative errno with err_msg() set.
 */
int virtio_rng_new(struct virtio_device **out);

#endif
