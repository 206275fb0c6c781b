/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_UART_H
#define ARMZ_UART_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/bus.h>
#include <armz/irq.h>

/*
 * A 16550A-compatible UART: one byte-wide register per byte of MMIO
 * (reg-shift 0), so Linux's 8250 driver ("ns16550a") and
 * earlycon=uart8250,mmio,<base> drive it unchanged.
 *
 * Output is synchronous: a THR write hands the byte to the output callback
 * on the writing vCPU thread, so THRE and TEMT are always set. Input comes
 * from another thread through uart_receive() into a receive FIFO; when the
 * FIFO is full uart_receive() accepts less and the caller waits for the
 * room callback before pushing more.
 */

/* Register indexes (byte offsets, reg-shift 0). */
#define UART_RBR		0	/* read, DLAB=0 */
#define UART_THR		0	/* write, DLAB=0 */
#define UART_DLL		0	/* DLAB=1 */
#define UART_IER		1	/* DLAB=0 */
#define UART_DLM		1	/* DLAB=1 */
#define UART_IIR		2	/* read */
#define UART_FCR		2	/* write */
#define UART_LCR		3
#define UART_MCR		4
#define UART_LSR		5
#define UART_MSR		6
#define UART_SCR		7
#define UART_NR_REGS		8

#define UART_IER_ERBFI		0x01	/* received data available */
#define UART_IER_ETBEI		0x02	/* THR empty */
#define UART_IER_ELSI		0x04	/* receiver line status */
#define UART_IER_EDSSI		0x08	/* modem status */
#define UART_IER_MASK		0x0f

#define UART_IIR_NO_INT		0x01
#define UART_IIR_MSI		0x00
#define UART_IIR_THRI		0x02
#define UART_IIR_RDI		0x04
#define UART_IIR_RLSI		0x06
#define UART_IIR_FIFO_ON	0xc0

#define UART_FCR_ENABLE		0x01
#define UART_FCR_CLEAR_RX	0x02
#define UART_FCR_CLEAR_TX	0x04

#define UART_LCR_DLAB		0x80

#define UART_MCR_DTR		0x01
#define UART_MCR_RTS		0x02
#define UART_MCR_OUT1		0x04
#define UART_MCR_OUT2		0x08
#define UART_MCR_LOOP		0x10
#define UART_MCR_MASK		0x1f

#define UART_LSR_DR		0x01
#define UART_LSR_OE		0x02
#define UART_LSR_THRE		0x20
#define UART_LSR_TEMT		0x40

#define UART_MSR_DCTS		0x01
#define UART_MSR_DDSR		0x02
#define UART_MSR_TERI		0x04
#define UART_MSR_DDCD		0x08
#define UART_MSR_DELTA		0x0f
#define UART_MSR_CTS		0x10
#define UART_MSR_DSR		0x20
#define UART_MSR_RI		0x40
#define UART_MSR_DCD		0x80

#define UART_RX_FIFO_SIZE	64
#define UART_CLOCK_HZ		1843200

/*
 * The node of the UART at MEMMAP_UART_BASE, for /chosen stdout-path. Spelled out
 * because the preprocessor cannot format MEMMAP_UART_BASE; a unit test
 * checks that the two agree.
 */
#define UART_DT_PATH		"/serial@9000000"

struct uart;

/* Called with each transmitted byte run; returns 0 or -errno. */
typedef int (*uart_out_fn)(void *ctx, const uint8_t *buf, size_t len);

/*
 * 0 and *u, or a negative errno with err_msg() set. The UART takes irq by
 * value and owns it; NULL means no interrupts (a polled payload). Its
 * device tree node gives irq->spi.
 */
int uart_new(const struct irq_line *irq, uart_out_fn out, void *out_ctx,
	     struct uart **u);
void uart_free(struct uart *u);

/*
 * Called, on the vCPU thread and without the UART's lock held, when the
 * guest makes room in a full receive FIFO. Typically writes an eventfd the
 * input thread polls: an input thread that saw uart_receive() accept less
 * than it offered, or uart_rx_room() return false, is guaranteed a call
 * afterwards, so an eventfd never misses a wakeup. Set before vCPUs run.
 */
void uart_set_rx_notify(struct uart *u, void (*notify)(void *ctx), void *ctx);

/* Host input into the receive FIFO; returns the bytes accepted. */
size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len);
/* Whether uart_receive() would accept at least one byte now. */
bool uart_rx_room(struct uart *u);
/*
 * Gated, the UART takes input only while the driver has receive
 * interrupts (IER.ERBFI) and the FIFO (FCR) enabled, and notifies when
 * both are on:
 * input typed ahead of the guest's driver then waits instead of being
 * lost to the FIFO reset at driver start. For machines with interrupts;
 * a polling payload never enables them.
 */
void uart_set_rx_gate(struct uart *u, bool gated);

/*
 * opaque = struct uart *. Any access width; data is the low byte. Its
 * node is serial@<base> with reg, irq and clock; the bus frees the UART.
 */
extern const struct mmio_ops uart_mmio_ops;
/*
 * The same UART at a second address: registers only, no node, and the
 * bus neither stops nor frees it (the region of uart_mmio_ops does).
 */
extern const struct mmio_ops uart_alias_mmio_ops;

#endif
