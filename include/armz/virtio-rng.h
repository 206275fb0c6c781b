/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_RNG_H
#define ARMZ_VIRTIO_RNG_H

struct virtio_device;

/*
 * virtio-rng (entropy device, virtio 1.2 5.4): one request queue whose
 * writable buffers are filled from getrandom(2). Hand the result to
 * virtio_mmio_new(). NULL with err_msg() set on failure.
 */
struct virtio_device *virtio_rng_new(void);

#endif
