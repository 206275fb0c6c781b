// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the 16550A UART's registers (devices/uart8250.c) as
 * a guest drives them, at any offset and width, against host input, and
 * what armz reads in the console's lines (loader/init-log.c's
 * command_init_line()).
 *
 * The input: a header (u8 flags: 1 input gated, 2 no interrupt line),
 * then ops, a byte each with its arguments:
 *   0  read: u8 offset, u8 width          1  write: u8 offset, u8 width, u8
 *   2  host input: blob                   3  uart_rx_room()
 *   4  gate: u8 on                        5  a console line: blob
 *
 * The harness keeps its own model of what the guest can tell: the
 * receive FIFO (input, loopback, FIFO resets), the registers it wrote
 * and reads back, DLAB, the overrun bit. Checked against it: every byte
 * and status read, the bytes input takes, room, bytes written reaching
 * the output once each, an interrupt line that is up while received
 * data waits with ERBFI on and down with all interrupts off, and that an
 * input thread told "no room" is always woken when the guest makes some.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armz/command.h>
#include <armz/le.h>
#include <armz/uart.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define OPS_MAX		1024

/* What the guest can tell of the UART, kept by the harness. */
static struct model {
	uint8_t fifo[UART_RX_FIFO_SIZE];
	unsigned int head, count;
	bool overrun;
	uint8_t ier, lcr, mcr, fcr, scr, dll, dlm;
	bool gated;
} m;

static bool has_irq;
static int level;
static unsigned int notifies, outs;
static int out_byte = -1;
static bool waiting;		/* told "no room", not woken since */
static unsigned int waiting_since;
static char line[256];
static size_t line_len;

static void check_line(const char *l, size_t len)
{
	const char *text = NULL;
	size_t text_len = 0;

	switch (command_init_line(l, len, &text, &text_len)) {
	case COMMAND_INIT_MESSAGE:
		if (text < l || text_len > len ||
		    (size_t)(text - l) > len - text_len ||
		    text_len < strlen(COMMAND_INIT_PREFIX) ||
		    memcmp(text, COMMAND_INIT_PREFIX,
			   strlen(COMMAND_INIT_PREFIX)))
			fz_fail("console line: message text outside the line");
		break;
	case COMMAND_INIT_NONE:
	case COMMAND_INIT_MARK_STARTED:
	case COMMAND_INIT_MARK_HVC1:
		break;
	default:
		fz_fail("console line: unknown kind");
	}
}

static int uart_out(void *ctx, const uint8_t *buf, size_t len)
{
	if (len != 1)
		fz_fail("output: %zu bytes for one write", len);
	out_byte = buf[0];
	outs++;
	/* The kernel console's lines, as armz reads them. */
	if (buf[0] == '\n' || line_len == sizeof(line)) {
		check_line(line, line_len);
		line_len = 0;
	}
	if (buf[0] != '\n')
		line[line_len++] = (char)buf[0];
	return 0;
}

static void on_room(void *ctx)
{
	notifies++;
}

static int irq_level(struct irq_line *l, int lv)
{
	if (lv == level)
		fz_fail("irq: level %d driven twice", lv);
	level = lv;
	return 0;
}

static const struct irq_ops irq_ops = { .set_level = irq_level };

static bool dlab(void)
{
	return m.lcr & UART_LCR_DLAB;
}

static bool model_room(void)
{
	if (m.gated && (!(m.ier & UART_IER_ERBFI) ||
			!(m.fcr & UART_FCR_ENABLE)))
		return false;
	return m.count < UART_RX_FIFO_SIZE;
}

static void model_push(uint8_t c)
{
	m.fifo[(m.head + m.count) % UART_RX_FIFO_SIZE] = c;
	m.count++;
}

static void model_write(unsigned int off, uint8_t v)
{
	switch (off) {
	case UART_THR:
		if (dlab())
			m.dll = v;
		else if (m.mcr & UART_MCR_LOOP && m.count < UART_RX_FIFO_SIZE)
			model_push(v);
		else if (m.mcr & UART_MCR_LOOP)
			m.overrun = true;
		break;
	case UART_IER:
		if (dlab())
			m.dlm = v;
		else
			m.ier = v & UART_IER_MASK;
		break;
	case UART_FCR:
		if ((v ^ m.fcr) & UART_FCR_ENABLE)
			v |= UART_FCR_CLEAR_RX;
		if (v & UART_FCR_CLEAR_RX)
			m.count = m.head = 0;
		m.fcr = v & ~(UART_FCR_CLEAR_RX | UART_FCR_CLEAR_TX);
		break;
	case UART_LCR:
		m.lcr = v;
		break;
	case UART_MCR:
		m.mcr = v & UART_MCR_MASK;
		break;
	case UART_SCR:
		m.scr = v;
		break;
	}
}

/* A register read as the model says it must be; -1: not modelled. */
static int model_read(unsigned int off)
{
	int v;

	switch (off) {
	case UART_RBR:
		if (dlab())
			return m.dll;
		if (!m.count)
			return 0;
		v = m.fifo[m.head];
		m.head = (m.head + 1) % UART_RX_FIFO_SIZE;
		m.count--;
		return v;
	case UART_IER:
		return dlab() ? m.dlm : m.ier;
	case UART_LCR:
		return m.lcr;
	case UART_MCR:
		return m.mcr;
	case UART_LSR:
		v = UART_LSR_THRE | UART_LSR_TEMT |
		    (m.count ? UART_LSR_DR : 0) |
		    (m.overrun ? UART_LSR_OE : 0);
		m.overrun = false;
		return v;
	case UART_SCR:
		return m.scr;
	}
	return off < UART_NR_REGS ? -1 : 0;
}

static bool width_ok(unsigned int w)
{
	return w == 1 || w == 2 || w == 4 || w == 8;
}

static void check_iir(uint8_t v)
{
	uint8_t id = v & 0x0f;

	if ((v & UART_IIR_FIFO_ON) !=
	    (m.fcr & UART_FCR_ENABLE ? UART_IIR_FIFO_ON : 0) || (v & 0x30) ||
	    (id != UART_IIR_NO_INT && id != UART_IIR_MSI &&
	     id != UART_IIR_THRI && id != UART_IIR_RDI &&
	     id != UART_IIR_RLSI))
		fz_fail("IIR 0x%02x", v);
	/* Data waiting with ERBFI on: that, or the line status above it. */
	if ((m.ier & UART_IER_ERBFI) && m.count && id != UART_IIR_RDI &&
	    id != UART_IIR_RLSI)
		fz_fail("IIR 0x%02x with %u bytes to read", v, m.count);
}

/* After each op: the line, and the wakeup an input thread waits for. */
static void check_after(struct uart *u, bool host_changed_room)
{
	if (has_irq && (m.ier & UART_IER_ERBFI) && m.count && !level)
		fz_fail("irq down with %u bytes to read and ERBFI", m.count);
	if (has_irq && !m.ier && level)
		fz_fail("irq up with every interrupt off");
	if (waiting && notifies != waiting_since)
		waiting = false;
	if (waiting && model_room()) {
		if (!host_changed_room)
			fz_fail("room made, the input thread not woken");
		waiting = false;
	}
	if (uart_rx_room(u) != model_room())
		fz_fail("room: %d, the model says %d", !model_room(),
			model_room());
}

static void op_read(struct uart *u, struct fz *f)
{
	unsigned int off = fz_u8(f) % 16, w = 1 + fz_u8(f) % 8, i;
	uint8_t b[8];
	int want;

	uart_mmio_ops.read(u, off, b, w);
	if (!width_ok(w)) {
		for (i = 0; i < w; i++)
			if (b[i])
				fz_fail("read of width %u not zero", w);
		return;
	}
	for (i = 1; i < w; i++)
		if (b[i])
			fz_fail("read: byte %u of a register not zero", i);
	want = model_read(off);
	if (off == UART_IIR && !dlab())
		check_iir(b[0]);
	if (want >= 0 && b[0] != want)
		fz_fail("register %u reads 0x%02x, not 0x%02x", off, b[0],
			want);
}

static void op_write(struct uart *u, struct fz *f)
{
	unsigned int off = fz_u8(f) % 16, w = 1 + fz_u8(f) % 8;
	uint8_t b[8] = { 0 }, v = fz_u8(f);
	unsigned int was = outs;

	b[0] = v;
	b[1] = (uint8_t)~v;
	uart_mmio_ops.write(u, off, b, w);
	if (!width_ok(w) || off >= UART_NR_REGS) {
		if (outs != was)
			fz_fail("a write ignored gave output");
		return;
	}
	if (off == UART_THR && !dlab() && !(m.mcr & UART_MCR_LOOP)) {
		if (outs != was + 1 || out_byte != v)
			fz_fail("THR 0x%02x: %u bytes out", v, outs - was);
	} else if (outs != was) {
		fz_fail("register %u written: output", off);
	}
	model_write(off, v);
}

static void op_input(struct uart *u, struct fz *f)
{
	size_t len, took, want = 0;
	const uint8_t *p = fz_blob(f, 256, &len);

	took = uart_receive(u, p, len);
	while (want < len && model_room())
		model_push(p[want++]);
	if (took != want)
		fz_fail("input: %zu bytes taken, the model says %zu", took,
			want);
	if (took < len) {
		waiting = true;
		waiting_since = notifies;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irq_line irq = { .ops = &irq_ops, .spi = 1, .fd = -1 };
	struct fz f = { data, size };
	struct uart *u;
	uint8_t flags;
	unsigned int ops;
	size_t len;
	const uint8_t *p;

	if (!size)
		return 0;
	memset(&m, 0, sizeof(m));
	level = 0;
	notifies = outs = 0;
	waiting = false;
	line_len = 0;
	flags = fz_u8(&f);
	has_irq = !(flags & 2);
	if (uart_new(has_irq ? &irq : NULL, uart_out, NULL, &u))
		abort();
	uart_set_rx_notify(u, on_room, NULL);
	m.gated = flags & 1;
	uart_set_rx_gate(u, m.gated);
	for (ops = 0; ops < OPS_MAX && fz_more(&f); ops++) {
		bool host = false;

		switch (fz_u8(&f) % 6) {
		case 0:
			op_read(u, &f);
			break;
		case 1:
			op_write(u, &f);
			break;
		case 2:
			op_input(u, &f);
			break;
		case 3:
			if (!uart_rx_room(u)) {
				waiting = true;
				waiting_since = notifies;
			}
			break;
		case 4:
			m.gated = fz_u8(&f) & 1;
			uart_set_rx_gate(u, m.gated);
			host = true;
			break;
		case 5:
			p = fz_blob(&f, 4096, &len);
			check_line((const char *)p, len);
			break;
		}
		check_after(u, host);
	}
	uart_free(u);
	return 0;
}
