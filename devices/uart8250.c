// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <libfdt.h>

#include <armz/err.h>
#include <armz/dt.h>
#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/uart.h>

struct uart {
	pthread_mutex_t lock;
	struct irq_line irq;		/* ops NULL: no interrupts */
	uart_out_fn out;
	void *out_ctx;
	void (*rx_notify)(void *ctx);
	void *rx_notify_ctx;

	uint8_t rx[UART_RX_FIFO_SIZE];
	unsigned int rx_head;		/* index of the oldest byte */
	unsigned int rx_count;

	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	uint8_t lsr_err;		/* OE, cleared by reading LSR */
	uint8_t msr;			/* status and delta bits */
	bool thr_pending;		/* THRE interrupt latched */
	bool rx_gated;			/* input waits for a listening driver */
	int irq_level;			/* last level driven on irq */
};

/* What the control lines read as: in loopback, MCR outputs feed back. */
static uint8_t uart_msr_status(const struct uart *u)
{
	uint8_t m = u->mcr, s = 0;

	/*
	 * Outside loopback there is no modem: claim carrier, DSR and CTS so
	 * getty and the console never wait for one.
	 */
	if (!(m & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	if (m & UART_MCR_RTS)
		s |= UART_MSR_CTS;
	if (m & UART_MCR_DTR)
		s |= UART_MSR_DSR;
	if (m & UART_MCR_OUT1)
		s |= UART_MSR_RI;
	if (m & UART_MCR_OUT2)
		s |= UART_MSR_DCD;
	return s;
}

static void uart_msr_update(struct uart *u)
{
	uint8_t old = u->msr, cur = uart_msr_status(u);
	uint8_t changed = (uint8_t)(old ^ cur);

	u->msr = (uint8_t)(cur | (old & UART_MSR_DELTA));
	if (changed & UART_MSR_CTS)
		u->msr |= UART_MSR_DCTS;
	if (changed & UART_MSR_DSR)
		u->msr |= UART_MSR_DDSR;
	if ((old & UART_MSR_RI) && !(cur & UART_MSR_RI))
		u->msr |= UART_MSR_TERI;
	if (changed & UART_MSR_DCD)
		u->msr |= UART_MSR_DDCD;
}

/* The highest-priority pending interrupt, in 16550 priority order. */
static uint8_t uart_iir(const struct uart *u)
{
	if ((u->ier & UART_IER_ELSI) && u->lsr_err)
		return UART_IIR_RLSI;
	if ((u->ier & UART_IER_ERBFI) && u->rx_count)
		return UART_IIR_RDI;
	if ((u->ier & UART_IER_ETBEI) && u->thr_pending)
		return UART_IIR_THRI;
	if ((u->ier & UART_IER_EDSSI) && (u->msr & UART_MSR_DELTA))
		return UART_IIR_MSI;
	return UART_IIR_NO_INT;
}

/* Called with the lock held so that level changes reach the line in order. */
static void uart_update_irq(struct uart *u)
{
	int level = uart_iir(u) != UART_IIR_NO_INT;

	if (level == u->irq_level)
		return;
	u->irq_level = level;
	irq_set_level(&u->irq, level);
}

static void uart_rx_push(struct uart *u, uint8_t c)
{
	u->rx[(u->rx_head + u->rx_count) % UART_RX_FIFO_SIZE] = c;
	u->rx_count++;
}

static uint8_t uart_rx_pop(struct uart *u)
{
	uint8_t c;

	if (!u->rx_count)
		return 0;
	c = u->rx[u->rx_head];
	u->rx_head = (u->rx_head + 1) % UART_RX_FIFO_SIZE;
	u->rx_count--;
	return c;
}

static uint8_t uart_read_reg(struct uart *u, unsigned int reg)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t v;

	switch (reg) {
	case UART_RBR:
		if (dlab)
			return u->dll;
		return uart_rx_pop(u);
	case UART_IER:
		return dlab ? u->dlm : u->ier;
	case UART_IIR:
		v = uart_iir(u);
		/* Reporting THRE is what acknowledges it. */
		if (v == UART_IIR_THRI)
			u->thr_pending = false;
		if (u->fcr & UART_FCR_ENABLE)
			v |= UART_IIR_FIFO_ON;
		return v;
	case UART_LCR:
		return u->lcr;
	case UART_MCR:
		return u->mcr;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT | u->lsr_err;
		if (u->rx_count)
			v |= UART_LSR_DR;
		u->lsr_err = 0;
		return v;
	case UART_MSR:
		v = u->msr;
		u->msr &= (uint8_t)~UART_MSR_DELTA;
		return v;
	case UART_SCR:
		return u->scr;
	default:
		return 0;
	}
}

/*
 * Returns true when v is a byte to transmit: that happens outside the lock
 * so that a blocked output cannot stall the input thread.
 */
static bool uart_write_reg(struct uart *u, unsigned int reg, uint8_t v)
{
	bool dlab = u->lcr & UART_LCR_DLAB;
	uint8_t old;

	switch (reg) {
	case UART_THR:
		if (dlab) {
			u->dll = v;
			return false;
		}
		/* Transmission completes at once: THR is empty again. */
		u->thr_pending = true;
		if (!(u->mcr & UART_MCR_LOOP))
			return true;
		if (u->rx_count < UART_RX_FIFO_SIZE)
			uart_rx_push(u, v);
		else
			u->lsr_err |= UART_LSR_OE;
		return false;
	case UART_IER:
		if (dlab) {
			u->dlm = v;
			return false;
		}
		old = u->ier;
		u->ier = v & UART_IER_MASK;
		/*
		 * Enabling ETBEI with THR empty raises THRE again even after
		 * an IIR read acknowledged it; Linux relies on this to tell
		 * a working UART from one with the THRE bug.
		 */
		if ((u->ier & ~old) & UART_IER_ETBEI)
			u->thr_pending = true;
		return false;
	case UART_FCR:
		if ((v ^ u->fcr) & UART_FCR_ENABLE)
			v |= UART_FCR_CLEAR_RX;
		if (v & UART_FCR_CLEAR_RX) {
			u->rx_count = 0;
			u->rx_head = 0;
		}
		u->fcr = v & ~(UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
		return false;
	case UART_LCR:
		u->lcr = v;
		return false;
	case UART_MCR:
		u->mcr = v & UART_MCR_MASK;
		uart_msr_update(u);
		return false;
	case UART_SCR:
		u->scr = v;
		return false;
	default:
		/* LSR and MSR are read-only; past the registers is WI. */
		return false;
	}
}

static bool uart_len_ok(unsigned int len)
{
	return len == 1 || len == 2 || len == 4 || len == 8;
}

/*
 * Under the lock: whether input may go in now. A gated UART takes input
 * only while the driver has receive interrupts and the FIFO on: Linux's
 * 8250 driver clears the FIFO when it starts, so bytes offered before
 * that are lost.
 */
static bool uart_has_room(const struct uart *u)
{
	/*
	 * Linux enables ERBFI before it enables the FIFO, and enabling the
	 * FIFO clears it: input must wait for both.
	 */
	if (u->rx_gated && (!(u->ier & UART_IER_ERBFI) ||
			    !(u->fcr & UART_FCR_ENABLE)))
		return false;
	return u->rx_count < UART_RX_FIFO_SIZE;
}

/* Under the lock: whether this access opened the way for more input. */
static bool uart_made_room(const struct uart *u, bool had_room)
{
	return !had_room && uart_has_room(u) && u->rx_notify;
}

static void uart_mmio_read(void *opaque, uint64_t offset, void *data,
			   unsigned int len)
{
	struct uart *u = opaque;
	void (*notify)(void *ctx);
	void *notify_ctx;
	bool had_room;
	uint8_t v = 0;

	if (!uart_len_ok(len)) {
		memset(data, 0, len);
		return;
	}
	pthread_mutex_lock(&u->lock);
	had_room = uart_has_room(u);
	if (offset < UART_NR_REGS)
		v = uart_read_reg(u, (unsigned int)offset);
	notify = uart_made_room(u, had_room) ? u->rx_notify : NULL;
	notify_ctx = u->rx_notify_ctx;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	le_write_sized(data, v, len);
	if (notify)
		notify(notify_ctx);
}

static void uart_mmio_write(void *opaque, uint64_t offset, const void *data,
			    unsigned int len)
{
	struct uart *u = opaque;
	void (*notify)(void *ctx);
	void *notify_ctx;
	bool had_room, tx;
	uint8_t v;

	if (!uart_len_ok(len) || offset >= UART_NR_REGS)
		return;
	v = (uint8_t)le_read_sized(data, len);
	pthread_mutex_lock(&u->lock);
	had_room = uart_has_room(u);
	tx = uart_write_reg(u, (unsigned int)offset, v);
	notify = uart_made_room(u, had_room) ? u->rx_notify : NULL;
	notify_ctx = u->rx_notify_ctx;
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	/* A serial line cannot report a failed write: the byte is lost. */
	if (tx && u->out)
		u->out(u->out_ctx, &v, 1);
	if (notify)
		notify(notify_ctx);
}

int uart_new(const struct irq_line *irq, uart_out_fn out, void *out_ctx,
	     struct uart **out_uart)
{
	struct uart *u = calloc(1, sizeof(*u));
	int ret;

	*out_uart = NULL;
	if (!u)
		return err_set(ENOMEM, "UART: out of memory");
	ret = pthread_mutex_init(&u->lock, NULL);
	if (ret) {
		free(u);
		return err_set(ret, "UART: cannot create its lock");
	}
	if (irq)
		u->irq = *irq;
	u->out = out;
	u->out_ctx = out_ctx;
	/* Reset state: no modem, so the status lines read as present. */
	u->msr = uart_msr_status(u);
	*out_uart = u;
	return 0;
}

void uart_free(struct uart *u)
{
	if (!u)
		return;
	irq_release(&u->irq);
	pthread_mutex_destroy(&u->lock);
	free(u);
}

static void uart_mmio_free(void *opaque)
{
	uart_free(opaque);
}

void uart_set_rx_notify(struct uart *u, void (*notify)(void *ctx), void *ctx)
{
	pthread_mutex_lock(&u->lock);
	u->rx_notify = notify;
	u->rx_notify_ctx = ctx;
	pthread_mutex_unlock(&u->lock);
}

size_t uart_receive(struct uart *u, const uint8_t *buf, size_t len)
{
	size_t n = 0;

	pthread_mutex_lock(&u->lock);
	while (n < len && uart_has_room(u))
		uart_rx_push(u, buf[n++]);
	uart_update_irq(u);
	pthread_mutex_unlock(&u->lock);
	return n;
}

bool uart_rx_room(struct uart *u)
{
	bool room;

	pthread_mutex_lock(&u->lock);
	room = uart_has_room(u);
	pthread_mutex_unlock(&u->lock);
	return room;
}

void uart_set_rx_gate(struct uart *u, bool gated)
{
	pthread_mutex_lock(&u->lock);
	u->rx_gated = gated;
	pthread_mutex_unlock(&u->lock);
}

static int uart_dt_node(const struct mmio_region *r, void *fdt,
			const struct dt_ctx *ctx)
{
	struct uart *u = r->opaque;
	int ret;

	ret = dt_begin_mmio_node(fdt, "serial", r->base, r->size);
	if (!ret)
		ret = fdt_property_string(fdt, "compatible", "ns16550a");
	if (!ret)
		ret = fdt_property_u32(fdt, "clock-frequency", UART_CLOCK_HZ);
	if (!ret)
		ret = fdt_property_u32(fdt, "reg-shift", 0);
	if (!ret)
		ret = fdt_property_u32(fdt, "reg-io-width", 1);
	if (!ret)
		ret = dt_prop_spi(fdt, ctx, u->irq.spi, false);
	if (!ret)
		ret = fdt_end_node(fdt);
	return ret;
}

const struct mmio_ops uart_mmio_ops = {
	.name = "uart",
	.read = uart_mmio_read,
	.write = uart_mmio_write,
	.dt_node = uart_dt_node,
	.free = uart_mmio_free,
};

const struct mmio_ops uart_alias_mmio_ops = {
	.name = "uart-alias",
	.read = uart_mmio_read,
	.write = uart_mmio_write,
};
