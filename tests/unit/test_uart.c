// SPDX-License-Identifier: GPL-2.0
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <libfdt.h>

#include <armz/bus.h>
#include <armz/dt.h>
#include <armz/irq.h>
#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/uart.h>

#include "unit.h"

struct fake_irq {
	unsigned int calls;
	int level;
};

static int fake_set_level(struct irq_line *line, int level)
{
	struct fake_irq *f = line->ctx;

	f->calls++;
	f->level = level;
	return 0;
}

static const struct irq_ops fake_irq_ops = { .set_level = fake_set_level };

struct sink {
	uint8_t buf[256];
	size_t len;
};

static int sink_out(void *ctx, const uint8_t *buf, size_t len)
{
	struct sink *s = ctx;

	if (len > sizeof(s->buf) - s->len)
		return -1;
	memcpy(s->buf + s->len, buf, len);
	s->len += len;
	return 0;
}

/* One UART with a fake interrupt line and an output sink. */
struct rig {
	struct fake_irq irq;
	struct irq_line line;
	struct sink out;
	struct uart *u;
};

static void rig_init(struct rig *r)
{
	memset(r, 0, sizeof(*r));
	r->line = (struct irq_line){
		.ops = &fake_irq_ops, .ctx = &r->irq, .spi = 1, .fd = -1,
	};
	CU_ASSERT_EQUAL(uart_new(&r->line, sink_out, &r->out, &r->u), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(r->u);
}

static void wr(struct rig *r, uint64_t off, uint64_t v, unsigned int len)
{
	uint8_t data[8];

	le_write_sized(data, v, len);
	uart_mmio_ops.write(r->u, off, data, len);
}

static uint64_t rd(struct rig *r, uint64_t off, unsigned int len)
{
	uint8_t data[8];

	/* Poison, so a device that leaves bytes unwritten is caught. */
	memset(data, 0xa5, sizeof(data));
	uart_mmio_ops.read(r->u, off, data, len);
	return le_read_sized(data, len);
}

static void test_uart_tx(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, UART_THR, 'o', 1);
	wr(&r, UART_THR, 'k', 1);
	wr(&r, UART_THR, '\n', 1);
	CU_ASSERT_EQUAL(r.out.len, 3);
	CU_ASSERT_EQUAL(memcmp(r.out.buf, "ok\n", 3), 0);
	/* Past the eight registers nothing is transmitted. */
	wr(&r, 8, 'x', 1);
	wr(&r, 0xfff, 'x', 1);
	CU_ASSERT_EQUAL(r.out.len, 3);
	uart_free(r.u);
}

static void test_uart_reset_state(void)
{
	struct rig r;

	rig_init(&r);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1), UART_LSR_THRE | UART_LSR_TEMT);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_NO_INT);
	CU_ASSERT_EQUAL(rd(&r, UART_MSR, 1),
			UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	CU_ASSERT_EQUAL(rd(&r, UART_IER, 1), 0);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 0);
	CU_ASSERT_EQUAL(r.irq.calls, 0);
	wr(&r, UART_SCR, 0x5a, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_SCR, 1), 0x5a);
	wr(&r, UART_IER, 0xff, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IER, 1), UART_IER_MASK);
	wr(&r, UART_MCR, 0xff, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_MCR, 1), UART_MCR_MASK);
	wr(&r, UART_FCR, UART_FCR_ENABLE, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1) & UART_IIR_FIFO_ON,
			UART_IIR_FIFO_ON);
	uart_free(r.u);
}

static void test_uart_dlab(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, UART_IER, UART_IER_ERBFI, 1);
	wr(&r, UART_LCR, UART_LCR_DLAB | 0x03, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_LCR, 1), UART_LCR_DLAB | 0x03);
	wr(&r, UART_DLL, 0x0c, 1);
	wr(&r, UART_DLM, 0x02, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_DLL, 1), 0x0c);
	CU_ASSERT_EQUAL(rd(&r, UART_DLM, 1), 0x02);
	/* Divisor writes are not data. */
	CU_ASSERT_EQUAL(r.out.len, 0);

	wr(&r, UART_LCR, 0x03, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IER, 1), UART_IER_ERBFI);
	CU_ASSERT_EQUAL(uart_receive(r.u, (const uint8_t *)"z", 1), 1);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'z');

	wr(&r, UART_LCR, UART_LCR_DLAB | 0x03, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_DLL, 1), 0x0c);
	CU_ASSERT_EQUAL(rd(&r, UART_DLM, 1), 0x02);
	uart_free(r.u);
}

static void test_uart_rx(void)
{
	struct rig r;

	rig_init(&r);
	CU_ASSERT_EQUAL(uart_receive(r.u, (const uint8_t *)"abc", 3), 3);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, UART_LSR_DR);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'a');
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'b');
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, UART_LSR_DR);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'c');
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, 0);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 0);
	/* Interrupts were off: the line never moved. */
	CU_ASSERT_EQUAL(r.irq.calls, 0);
	uart_free(r.u);
}

static void test_uart_rx_irq(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, UART_FCR, UART_FCR_ENABLE, 1);
	CU_ASSERT_EQUAL(uart_receive(r.u, (const uint8_t *)"q", 1), 1);
	CU_ASSERT_EQUAL(r.irq.calls, 0);

	wr(&r, UART_IER, UART_IER_ERBFI, 1);
	CU_ASSERT_EQUAL(r.irq.calls, 1);
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_FIFO_ON | UART_IIR_RDI);
	/* Reading IIR does not acknowledge received data. */
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'q');
	CU_ASSERT_EQUAL(r.irq.level, 0);
	CU_ASSERT_EQUAL(r.irq.calls, 2);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1),
			UART_IIR_FIFO_ON | UART_IIR_NO_INT);

	CU_ASSERT_EQUAL(uart_receive(r.u, (const uint8_t *)"xy", 2), 2);
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(r.irq.calls, 3);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'x');
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'y');
	CU_ASSERT_EQUAL(r.irq.level, 0);
	CU_ASSERT_EQUAL(r.irq.calls, 4);
	uart_free(r.u);
}

static void test_uart_thre_irq(void)
{
	struct rig r;

	rig_init(&r);
	wr(&r, UART_IER, UART_IER_ETBEI, 1);
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_THRI);
	CU_ASSERT_EQUAL(r.irq.level, 0);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_NO_INT);

	/* Each transmitted byte empties THR again. */
	wr(&r, UART_THR, 'a', 1);
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_THRI);
	CU_ASSERT_EQUAL(r.irq.level, 0);

	/* Re-enabling ETBEI re-raises THRE (Linux's THRE test). */
	wr(&r, UART_IER, 0, 1);
	wr(&r, UART_IER, UART_IER_ETBEI, 1);
	CU_ASSERT_EQUAL(r.irq.level, 1);
	wr(&r, UART_IER, 0, 1);
	CU_ASSERT_EQUAL(r.irq.level, 0);

	/* Received data outranks THRE, and reporting it leaves THRE. */
	CU_ASSERT_EQUAL(uart_receive(r.u, (const uint8_t *)"d", 1), 1);
	wr(&r, UART_IER, UART_IER_ERBFI | UART_IER_ETBEI, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_RDI);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'd');
	CU_ASSERT_EQUAL(r.irq.level, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_IIR, 1), UART_IIR_THRI);
	CU_ASSERT_EQUAL(r.irq.level, 0);
	uart_free(r.u);
}

static unsigned int notified;

static void count_notify(void *ctx)
{
	(*(unsigned int *)ctx)++;
}

static void test_uart_fifo_full(void)
{
	uint8_t in[UART_RX_FIFO_SIZE + 36];
	struct rig r;
	unsigned int i;

	rig_init(&r);
	notified = 0;
	uart_set_rx_notify(r.u, count_notify, &notified);
	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7 + 1);
	CU_ASSERT_EQUAL(uart_receive(r.u, in, sizeof(in)),
			UART_RX_FIFO_SIZE);
	CU_ASSERT_FALSE(uart_rx_room(r.u));
	CU_ASSERT_EQUAL(uart_receive(r.u, in, 1), 0);
	CU_ASSERT_EQUAL(notified, 0);

	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), in[0]);
	CU_ASSERT_EQUAL(notified, 1);
	CU_ASSERT_TRUE(uart_rx_room(r.u));
	CU_ASSERT_EQUAL(uart_receive(r.u, in + UART_RX_FIFO_SIZE, 2), 1);
	for (i = 1; i <= UART_RX_FIFO_SIZE; i++)
		CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), in[i]);
	/* Only the read that left a full FIFO notifies. */
	CU_ASSERT_EQUAL(notified, 2);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, 0);

	/* Clearing a full FIFO through FCR makes room too. */
	CU_ASSERT_EQUAL(uart_receive(r.u, in, sizeof(in)),
			UART_RX_FIFO_SIZE);
	wr(&r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX, 1);
	CU_ASSERT_EQUAL(notified, 3);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, 0);
	CU_ASSERT_TRUE(uart_rx_room(r.u));
	uart_free(r.u);
}

/* Gated input waits for the driver instead of meeting a FIFO reset. */
static void test_uart_rx_gate(void)
{
	const uint8_t in[] = "typed ahead\n";
	struct rig r;

	rig_init(&r);
	notified = 0;
	uart_set_rx_notify(r.u, count_notify, &notified);
	uart_set_rx_gate(r.u, true);
	CU_ASSERT_FALSE(uart_rx_room(r.u));
	CU_ASSERT_EQUAL(uart_receive(r.u, in, sizeof(in) - 1), 0);
	/*
	 * The driver starts as Linux's does: rx interrupts first, then the
	 * FIFO, whose enabling clears it; input waits for both.
	 */
	wr(&r, UART_IER, UART_IER_ERBFI, 1);
	CU_ASSERT_EQUAL(notified, 0);
	CU_ASSERT_FALSE(uart_rx_room(r.u));
	wr(&r, UART_FCR, UART_FCR_ENABLE | UART_FCR_CLEAR_RX, 1);
	CU_ASSERT_EQUAL(notified, 1);
	CU_ASSERT_TRUE(uart_rx_room(r.u));
	CU_ASSERT_EQUAL(uart_receive(r.u, in, sizeof(in) - 1), sizeof(in) - 1);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 't');
	CU_ASSERT_EQUAL(r.irq.level, 1);
	/* The port closes: input waits again. */
	wr(&r, UART_IER, 0, 1);
	CU_ASSERT_FALSE(uart_rx_room(r.u));
	uart_set_rx_gate(r.u, false);
	CU_ASSERT_TRUE(uart_rx_room(r.u));
	uart_free(r.u);
}

static void test_uart_wide(void)
{
	uint8_t data[8];
	struct rig r;

	rig_init(&r);
	/* Only the low byte of a wide store is the register value. */
	wr(&r, UART_THR, 0xdeadbe41, 4);
	wr(&r, UART_THR, 0x1122334455667742ULL, 8);
	wr(&r, UART_THR, 0xff43, 2);
	CU_ASSERT_EQUAL(r.out.len, 3);
	CU_ASSERT_EQUAL(memcmp(r.out.buf, "ABC", 3), 0);

	wr(&r, UART_SCR, 0x12345678, 4);
	CU_ASSERT_EQUAL(rd(&r, UART_SCR, 4), 0x78);
	CU_ASSERT_EQUAL(rd(&r, UART_SCR, 2), 0x78);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 8), UART_LSR_THRE | UART_LSR_TEMT);

	/* Byte by byte, so the check does not depend on host order. */
	memset(data, 0xa5, sizeof(data));
	uart_mmio_ops.read(r.u, UART_LSR, data, 8);
	CU_ASSERT_EQUAL(data[0], UART_LSR_THRE | UART_LSR_TEMT);
	CU_ASSERT_EQUAL(le32_read(data + 1) | data[5] | data[6] | data[7], 0);

	CU_ASSERT_EQUAL(uart_receive(r.u, (const uint8_t *)"w", 1), 1);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 4), 'w');
	CU_ASSERT_EQUAL(rd(&r, 0x10, 4), 0);
	uart_free(r.u);
}

static void test_uart_loopback(void)
{
	unsigned int i;
	struct rig r;

	rig_init(&r);
	/* Linux's probe: loopback with OUT2 and RTS reads DCD and CTS. */
	wr(&r, UART_MCR, UART_MCR_LOOP | UART_MCR_OUT2 | UART_MCR_RTS, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_MSR, 1) & 0xf0,
			UART_MSR_DCD | UART_MSR_CTS);
	wr(&r, UART_THR, 'L', 1);
	CU_ASSERT_EQUAL(r.out.len, 0);
	CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), 'L');

	/* Looping back into a full FIFO is an overrun, reported once. */
	for (i = 0; i <= UART_RX_FIFO_SIZE; i++)
		wr(&r, UART_THR, i, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & (UART_LSR_OE | UART_LSR_DR),
			UART_LSR_OE | UART_LSR_DR);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_OE, 0);
	for (i = 0; i < UART_RX_FIFO_SIZE; i++)
		CU_ASSERT_EQUAL(rd(&r, UART_RBR, 1), i);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, 0);

	/* Leaving loopback: the deltas report DSR rising, then clear. */
	wr(&r, UART_MCR, 0, 1);
	CU_ASSERT_EQUAL(rd(&r, UART_MSR, 1),
			UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS |
			UART_MSR_DDSR);
	CU_ASSERT_EQUAL(rd(&r, UART_MSR, 1),
			UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS);
	wr(&r, UART_THR, 'T', 1);
	CU_ASSERT_EQUAL(r.out.len, 1);
	CU_ASSERT_EQUAL(r.out.buf[0], 'T');
	uart_free(r.u);
}

static void test_uart_no_irq_line(void)
{
	struct sink out = { .len = 0 };
	struct uart *u = NULL;
	uint8_t b = 1;

	CU_ASSERT_EQUAL(uart_new(NULL, sink_out, &out, &u), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(u);
	uart_mmio_ops.write(u, UART_IER, &b, 1);
	CU_ASSERT_EQUAL(uart_receive(u, (const uint8_t *)"n", 1), 1);
	uart_mmio_ops.read(u, UART_RBR, &b, 1);
	CU_ASSERT_EQUAL(b, 'n');
	uart_free(u);
}

/* An input thread pushing with back-pressure while the guest drains. */
#define STREAM_LEN 5000

struct stream {
	struct uart *u;
	int efd;
};

static void efd_notify(void *ctx)
{
	uint64_t one = 1;

	if (write(*(int *)ctx, &one, sizeof(one)) != sizeof(one))
		perror("eventfd write");
}

static void *stream_producer(void *arg)
{
	struct stream *s = arg;
	uint8_t buf[STREAM_LEN];
	size_t sent = 0;
	uint64_t v;
	unsigned int i;

	for (i = 0; i < STREAM_LEN; i++)
		buf[i] = (uint8_t)(i % 251);
	while (sent < STREAM_LEN) {
		sent += uart_receive(s->u, buf + sent, STREAM_LEN - sent);
		if (sent < STREAM_LEN &&
		    read(s->efd, &v, sizeof(v)) != sizeof(v))
			return (void *)"eventfd read failed";
	}
	return NULL;
}

static void test_uart_stream(void)
{
	struct stream s;
	struct rig r;
	pthread_t th;
	unsigned int i, bad = 0;
	void *res;

	rig_init(&r);
	s.u = r.u;
	s.efd = eventfd(0, EFD_CLOEXEC);
	CU_ASSERT_FATAL(s.efd >= 0);
	uart_set_rx_notify(r.u, efd_notify, &s.efd);
	CU_ASSERT_FATAL(pthread_create(&th, NULL, stream_producer, &s) == 0);
	for (i = 0; i < STREAM_LEN; i++) {
		while (!(rd(&r, UART_LSR, 1) & UART_LSR_DR))
			sched_yield();
		if (rd(&r, UART_RBR, 1) != i % 251)
			bad++;
	}
	pthread_join(th, &res);
	CU_ASSERT_PTR_NULL(res);
	CU_ASSERT_EQUAL(bad, 0);
	CU_ASSERT_EQUAL(rd(&r, UART_LSR, 1) & UART_LSR_DR, 0);
	close(s.efd);
	uart_free(r.u);
}

static void *fdt_root(char *buf, size_t size)
{
	CU_ASSERT_EQUAL(fdt_create(buf, (int)size), 0);
	CU_ASSERT_EQUAL(fdt_finish_reservemap(buf), 0);
	CU_ASSERT_EQUAL(fdt_begin_node(buf, ""), 0);
	CU_ASSERT_EQUAL(fdt_property_u32(buf, "#address-cells", 2), 0);
	CU_ASSERT_EQUAL(fdt_property_u32(buf, "#size-cells", 2), 0);
	return buf;
}

static uint32_t prop_u32(const void *fdt, int node, const char *name)
{
	int len = 0;
	const fdt32_t *p = fdt_getprop(fdt, node, name, &len);

	if (!p || len != 4)
		return 0xdeadbeef;
	return fdt32_to_cpu(*p);
}

static void test_uart_fdt(void)
{
	struct dt_ctx ctx = { .gic_phandle = 1, .gic_version = 3 };
	struct irq_line line = { .spi = MEMMAP_SPI_UART, .fd = -1 };
	static char buf[4096];
	const fdt32_t *p;
	struct uart *u;
	int node, len;

	CU_ASSERT_EQUAL_FATAL(uart_new(&line, NULL, NULL, &u), 0);
	fdt_root(buf, sizeof(buf));
	CU_ASSERT_EQUAL(unit_dt_node(&uart_mmio_ops, u, MEMMAP_UART_BASE,
				     MEMMAP_UART_SIZE, buf, &ctx), 0);
	CU_ASSERT_EQUAL(fdt_end_node(buf), 0);
	CU_ASSERT_EQUAL_FATAL(fdt_finish(buf), 0);

	node = fdt_path_offset(buf, UART_DT_PATH);
	CU_ASSERT_FATAL(node >= 0);
	CU_ASSERT_EQUAL(fdt_node_check_compatible(buf, node, "ns16550a"), 0);
	CU_ASSERT_EQUAL(prop_u32(buf, node, "reg-shift"), 0);
	CU_ASSERT_EQUAL(prop_u32(buf, node, "reg-io-width"), 1);
	CU_ASSERT_EQUAL(prop_u32(buf, node, "clock-frequency"), UART_CLOCK_HZ);
	p = fdt_getprop(buf, node, "reg", &len);
	CU_ASSERT_FATAL(p && len == 16);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[1]), MEMMAP_UART_BASE);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[3]), MEMMAP_UART_SIZE);
	p = fdt_getprop(buf, node, "interrupts", &len);
	CU_ASSERT_FATAL(p && len == 12);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[0]), DT_IRQ_TYPE_SPI);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[1]), MEMMAP_SPI_UART);
	CU_ASSERT_EQUAL(fdt32_to_cpu(p[2]), DT_IRQ_LEVEL_HIGH);

	/* Without an interrupt controller the node has no interrupts. */
	ctx.gic_version = 0;
	fdt_root(buf, sizeof(buf));
	CU_ASSERT_EQUAL(unit_dt_node(&uart_mmio_ops, u, MEMMAP_UART_BASE,
				     MEMMAP_UART_SIZE, buf, &ctx), 0);
	CU_ASSERT_EQUAL(fdt_end_node(buf), 0);
	CU_ASSERT_EQUAL_FATAL(fdt_finish(buf), 0);
	node = fdt_path_offset(buf, UART_DT_PATH);
	CU_ASSERT_FATAL(node >= 0);
	CU_ASSERT_PTR_NULL(fdt_getprop(buf, node, "interrupts", &len));
	uart_free(u);
}

static void test_uart_fdt_path(void)
{
	char path[64];

	snprintf(path, sizeof(path), "/serial@%llx",
		 (unsigned long long)MEMMAP_UART_BASE);
	CU_ASSERT_STRING_EQUAL(path, UART_DT_PATH);
}

/*
 * The alias at kvmtool's address is the same UART: what goes in there
 * comes out with the rest, and it neither writes a node nor frees.
 */
static void test_uart_alias(void)
{
	struct mmio_bus bus = { 0 };
	struct rig r;
	uint8_t b = 'a';

	rig_init(&r);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, MEMMAP_UART_BASE, MEMMAP_UART_SIZE,
				     &uart_mmio_ops, r.u), 0);
	CU_ASSERT_EQUAL(mmio_bus_add(&bus, MEMMAP_UART_ALIAS_BASE,
				     MEMMAP_UART_SIZE, &uart_alias_mmio_ops,
				     r.u), 0);
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, MEMMAP_UART_ALIAS_BASE, &b, 1,
					true), 0);
	b = 'b';
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, MEMMAP_UART_BASE, &b, 1, true),
			0);
	CU_ASSERT_EQUAL(r.out.len, 2);
	CU_ASSERT_EQUAL(memcmp(r.out.buf, "ab", 2), 0);
	/* LSR through the alias: transmitter empty, as at the real one. */
	CU_ASSERT_EQUAL(mmio_bus_access(&bus, MEMMAP_UART_ALIAS_BASE + UART_LSR,
					&b, 1, false), 0);
	CU_ASSERT_EQUAL(b & 0x60, 0x60);
	CU_ASSERT_PTR_NULL(uart_alias_mmio_ops.dt_node);
	CU_ASSERT_PTR_NULL(uart_alias_mmio_ops.free);
	mmio_bus_free(&bus);	/* frees the UART once */
}

static const CU_TestInfo uart_tests[] = {
	{ "transmit", test_uart_tx },
	{ "reset state", test_uart_reset_state },
	{ "DLAB", test_uart_dlab },
	{ "receive", test_uart_rx },
	{ "receive irq", test_uart_rx_irq },
	{ "THRE irq", test_uart_thre_irq },
	{ "FIFO full", test_uart_fifo_full },
	{ "rx gated until the driver listens", test_uart_rx_gate },
	{ "wide accesses", test_uart_wide },
	{ "loopback", test_uart_loopback },
	{ "no irq line", test_uart_no_irq_line },
	{ "stream with back-pressure", test_uart_stream },
	{ "fdt node", test_uart_fdt },
	{ "fdt path", test_uart_fdt_path },
	{ "alias at kvmtool's address", test_uart_alias },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(uart, uart_tests)
