/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_CONSOLE_H
#define ARMZ_VIRTIO_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * virtio-console (virtio 1.2, 5.3) with a single port: queue 0 receives
 * (host -> guest), queue 1 transmits (guest -> host). No MULTIPORT, no
 * emergency write. The guest sees it as /dev/hvc0.
 *
 * Output: each transmitted buffer goes to the out callback, in order, on
 * the device's transmit thread. The callback may block: nothing is ever
 * dropped, the guest's transmit queue simply fills up and the guest
 * waits. A reset waits for a blocked callback to return.
 *
 * Input works like the UART's: an input thread offers bytes with
 * virtio_console_receive(), which places what fits into the buffers the
 * guest has posted. When it accepts less than offered, or
 * virtio_console_rx_room() says false, the rx notify callback is
 * guaranteed to run (on the device's receive thread) once the guest posts
 * more buffers, so an input thread that waits on an eventfd written by
 * that callback never misses a wakeup. The callback also runs when the
 * driver (re)starts the device.
 */

#define VIRTIO_ID_CONSOLE		3	/* device ID (virtio 1.2, 5) */

#define VIRTIO_CONSOLE_F_SIZE		0
#define VIRTIO_CONSOLE_F_MULTIPORT	1
#define VIRTIO_CONSOLE_F_EMERG_WRITE	2

#define VIRTIO_CONSOLE_RX_QUEUE		0
#define VIRTIO_CONSOLE_TX_QUEUE		1

/* Config space: cols le16, rows le16, max_nr_ports le32, emerg_wr le32. */
#define VIRTIO_CONSOLE_CFG_COLS		0
#define VIRTIO_CONSOLE_CFG_ROWS		2
#define VIRTIO_CONSOLE_CFG_SIZE		12

struct virtio_device;

/* Same shape as the UART's output callback: 0 or -errno (data lost). */
typedef int (*virtio_console_out_fn)(void *ctx, const uint8_t *buf,
				     size_t len);

/* 0 and *dev, or a negative errno with err_msg() set. */
int virtio_console_new(virtio_console_out_fn out, void *out_ctx,
		       struct virtio_device **dev);

/* Set before the vCPUs run. notify must not block. */
void virtio_console_set_rx_notify(struct virtio_device *dev,
				  void (*notify)(void *ctx), void *ctx);

/* Host input; returns the bytes accepted (0: no buffer posted). */
size_t virtio_console_receive(struct virtio_device *dev, const uint8_t *buf,
			      size_t len);
/* Whether virtio_console_receive() would accept at least one byte now. */
bool virtio_console_rx_room(struct virtio_device *dev);

/*
 * The terminal size the guest sees. Called before virtio_mmio_new() it
 * makes the device offer VIRTIO_CONSOLE_F_SIZE; later calls (on SIGWINCH)
 * update the config space and tell the driver.
 */
void virtio_console_set_size(struct virtio_device *dev, uint16_t cols,
			     uint16_t rows);

/*
 * For tests, before the vCPUs run: how long input waits past the first
 * receive buffers for the guest to hook the port (250 ms otherwise), so
 * that a harness that starts a device per input need not sleep.
 */
void virtio_console_set_open_grace(struct virtio_device *dev,
				   unsigned int us);

#endif
