// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the virtio-mmio transport's registers and config
 * space (devices/virtio-mmio.c) as a hostile driver sees them, in front
 * of a small device whose shape the input chooses: 1 to 8 queues of 1 to
 * 256 entries, 1 to 8 workers, up to 256 bytes of config space, feature
 * bits, a start that refuses, a device served by another process
 * (external). The bus also holds the test-exit and pvpanic registers.
 *
 * The input: a 16-byte header (below), guest RAM (a u16 length and its
 * bytes, the rest of VH_RAM_SIZE zeros), then harness.h's ops; this
 * target's own are
 *   VH_OP_DEVICE + 0  u8 region, u16 offset, u8 width, u8 write, u64 value:
 *                     an access to test-exit (0), pvpanic (1) or the
 *                     transport (2) at any width
 *   VH_OP_DEVICE + 1  u8 offset, blob: the device changes its config
 *   VH_OP_DEVICE + 2  read every register and check it (also done last)
 *
 * Checked, besides ASan and UBSan: what a driver reads back (magic,
 * version, IDs, a status that never has DRIVER_OK without FEATURES_OK,
 * accepted features within the offered ones, queue sizes, the config
 * bytes) and the chains the device is given.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/memmap.h>
#include <armz/pvpanic.h>
#include <armz/test-exit.h>
#include <armz/util.h>
#include <armz/virtio.h>
#include <armz/virtio-mmio.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAKE_ID		0x4d
#define HDR_LEN		16

/* Header flags. */
#define F_EXTERNAL	1	/* another process serves the queues */
#define F_START_FAILS	2	/* start() refuses DRIVER_OK */
#define F_CONFIG_WRITE	4	/* the driver may write config space */
#define F_IRQ_FD	8	/* the interrupt line is an irqfd */

struct fake {
	struct virtio_device dev;
	bool start_fails;
	uint8_t config[VIRTIO_CONFIG_MAX];
	uint8_t scratch[VIRTQ_NUM_MAX][64];	/* per queue: workers differ */
};

static struct fake *to_fake(struct virtio_device *dev)
{
	return container_of(dev, struct fake, dev);
}

/* What virtqueue.h promises of a popped chain. */
static void fake_check_chain(const struct virtq_chain *c)
{
	uint64_t rd = 0, wr = 0;
	unsigned int i;

	if (c->count > VIRTQ_NUM_MAX || c->nread > c->count)
		fz_fail("chain of %u buffers, %u readable", c->count,
			c->nread);
	for (i = 0; i < c->count; i++) {
		if (!c->buf[i].len)
			fz_fail("chain with an empty buffer");
		if (c->buf[i].write != (i >= c->nread))
			fz_fail("chain buffer %u out of order", i);
		if (c->buf[i].write)
			wr += c->buf[i].len;
		else
			rd += c->buf[i].len;
	}
	if (rd != c->read_len || wr != c->write_len)
		fz_fail("chain lengths %llu/%llu, buffers say %llu/%llu",
			(unsigned long long)c->read_len,
			(unsigned long long)c->write_len,
			(unsigned long long)rd, (unsigned long long)wr);
}

static int fake_handle(struct virtio_device *dev, unsigned int q,
		       const struct virtq_chain *chain, uint32_t *used_len)
{
	uint8_t *buf = to_fake(dev)->scratch[q % VIRTQ_NUM_MAX];
	size_t n;

	fake_check_chain(chain);
	n = virtq_chain_read(chain, 0, buf, 64);
	/* A request this device calls malformed breaks the queue. */
	if (n && buf[0] == 0xff)
		return err_set(EINVAL, "fake: malformed request");
	*used_len = (uint32_t)virtq_chain_write(chain, n ? buf[0] : 0, buf,
						n);
	return 0;
}

static int fake_start(struct virtio_device *dev)
{
	return to_fake(dev)->start_fails ?
	       err_set(EIO, "fake: start refused") : 0;
}

static void fake_queue_notify(struct virtio_device *dev, unsigned int q)
{
	virtio_dev_process(dev, q, fake_handle);
}

/* The upper half of config space is read-only. */
static void fake_config_write(struct virtio_device *dev, unsigned int off,
			      const void *data, unsigned int len)
{
	if (off + len <= VIRTIO_CONFIG_MAX / 2)
		virtio_dev_config_update(dev, off, data, len);
}

static void fake_free(struct virtio_device *dev)
{
	free(to_fake(dev));
}

static const struct virtio_device_ops fake_ops = {
	.start = fake_start,
	.queue_notify = fake_queue_notify,
	.config_write = fake_config_write,
	.free = fake_free,
};

static const struct virtio_device_ops fake_ro_ops = {
	.start = fake_start,
	.queue_notify = fake_queue_notify,
	.free = fake_free,
};

/* --- The other register devices on the bus --- */

static unsigned int exits, panics, boots;

static void on_exit_reg(void *ctx, int status)
{
	exits++;
}

static void on_booted(void *ctx)
{
	boots++;
}

static void on_panic(void *ctx, uint32_t events)
{
	if (events & ~PVPANIC_EVENTS)
		fz_fail("pvpanic passed on unknown events 0x%x", events);
	panics++;
}

static void add_small_devices(struct vh *h)
{
	struct test_exit *te;
	struct pvpanic *pp;

	if (test_exit_new(on_exit_reg, NULL, &te) ||
	    mmio_bus_add(&h->bus, MEMMAP_TEST_EXIT_BASE, MEMMAP_TEST_EXIT_SIZE,
			 &test_exit_mmio_ops, te))
		abort();
	test_exit_on_booted(te, on_booted);
	if (pvpanic_new(on_panic, NULL, &pp) ||
	    mmio_bus_add(&h->bus, MEMMAP_PVPANIC_BASE, MEMMAP_PVPANIC_SIZE,
			 &pvpanic_mmio_ops, pp))
		abort();
}

/* --- Checks --- */

static void check_registers(struct vh *h)
{
	struct virtio_device *dev = h->dev;
	uint64_t drv, devf;
	uint32_t status, sel, max, num;
	uint8_t b[8];
	unsigned int off;

	if (vh_read32(h, VIRTIO_MMIO_MAGIC_VALUE) != VIRTIO_MMIO_MAGIC ||
	    vh_read32(h, VIRTIO_MMIO_VERSION) != 2 ||
	    vh_read32(h, VIRTIO_MMIO_DEVICE_ID) != FAKE_ID ||
	    vh_read32(h, VIRTIO_MMIO_VENDOR_ID) != VIRTIO_MMIO_VENDOR)
		fz_fail("identity registers changed");
	status = vh_read32(h, VIRTIO_MMIO_STATUS);
	if (status & ~(VIRTIO_STATUS_ACKNOWLEDGE | VIRTIO_STATUS_DRIVER |
		       VIRTIO_STATUS_DRIVER_OK | VIRTIO_STATUS_FEATURES_OK |
		       VIRTIO_STATUS_NEEDS_RESET | VIRTIO_STATUS_FAILED))
		fz_fail("status 0x%x has unknown bits", status);
	if ((status & VIRTIO_STATUS_DRIVER_OK) &&
	    !(status & VIRTIO_STATUS_FEATURES_OK))
		fz_fail("status 0x%x: DRIVER_OK without FEATURES_OK", status);
	if (status & VIRTIO_STATUS_FEATURES_OK) {
		vh_write32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 0);
		drv = vh_read32(h, VIRTIO_MMIO_DRIVER_FEATURES);
		vh_write32(h, VIRTIO_MMIO_DRIVER_FEATURES_SEL, 1);
		drv |= (uint64_t)vh_read32(h, VIRTIO_MMIO_DRIVER_FEATURES) << 32;
		vh_write32(h, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 0);
		devf = vh_read32(h, VIRTIO_MMIO_DEVICE_FEATURES);
		vh_write32(h, VIRTIO_MMIO_DEVICE_FEATURES_SEL, 1);
		devf |= (uint64_t)vh_read32(h, VIRTIO_MMIO_DEVICE_FEATURES) << 32;
		if ((drv & ~devf) || !(drv & VIRTIO_BIT(VIRTIO_F_VERSION_1)))
			fz_fail("features 0x%llx accepted of 0x%llx",
				(unsigned long long)drv,
				(unsigned long long)devf);
	}
	sel = vh_read32(h, VIRTIO_MMIO_QUEUE_SEL);
	max = vh_read32(h, VIRTIO_MMIO_QUEUE_NUM_MAX);
	num = vh_read32(h, VIRTIO_MMIO_QUEUE_NUM);
	if (sel < dev->num_queues ? max != dev->queue_size ||
	    !num || num > max || (num & (num - 1)) : max || num)
		fz_fail("queue %u: size %u of %u", sel, num, max);
	/* Every register and config byte, at every width. */
	for (off = 0; off < VIRTIO_MMIO_SIZE; off += 4)
		vh_access(h, VH_BASE + off, b, 4, false);
	for (off = 0; off < dev->config_size; off++) {
		vh_access(h, VH_BASE + VIRTIO_MMIO_CONFIG + off, b, 1, false);
		if (b[0] != dev->config[off])
			fz_fail("config byte %u reads 0x%x, is 0x%x", off,
				b[0], dev->config[off]);
	}
}

/* --- The target's ops --- */

static void op_access(struct vh *h, struct fz *f)
{
	static const uint64_t base[] = {
		MEMMAP_TEST_EXIT_BASE, MEMMAP_PVPANIC_BASE, VH_BASE,
	};
	uint64_t addr = base[fz_u8(f) % ARRAY_SIZE(base)] + fz_u16(f);
	unsigned int len = 1 + fz_u8(f) % 8;
	bool write = fz_u8(f) & 1;
	uint8_t b[8];

	le64_write(b, fz_u64(f));
	vh_access(h, addr, b, len, write);
	if (!write && addr == MEMMAP_PVPANIC_BASE && len == 1 &&
	    b[0] != PVPANIC_EVENTS)
		fz_fail("pvpanic offers 0x%x", b[0]);
}

static void op_config_update(struct vh *h, struct fz *f)
{
	unsigned int off = fz_u8(f);
	size_t len;
	const uint8_t *p = fz_blob(f, VIRTIO_CONFIG_MAX, &len);

	virtio_dev_config_update(h->dev, off, p, (unsigned int)len);
}

static void dev_op(struct vh *h, unsigned int op, struct fz *f)
{
	switch (op) {
	case 0:
		op_access(h, f);
		break;
	case 1:
		op_config_update(h, f);
		break;
	case 2:
		check_registers(h);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	static struct vh h;
	struct fake *fk;
	const uint8_t *ram;
	size_t ram_len;
	uint8_t flags;
	unsigned int nq;

	if (size < HDR_LEN)
		return 0;
	fk = calloc(1, sizeof(*fk));
	if (!fk)
		return 0;
	nq = 1 + fz_u8(&f) % 8;
	fk->dev = (struct virtio_device){
		.ops = &fake_ops,
		.name = "fake",
		.id = FAKE_ID,
		.num_queues = nq,
		.queue_size = 1u << (fz_u8(&f) % 9),
		.nr_workers = 1 + fz_u8(&f) % nq,
		.worker_role = THREAD_DEVICE,
		.config = fk->config,
		.config_size = fz_u8(&f) + 1,
	};
	flags = fz_u8(&f);
	fk->dev.features = fz_u64(&f) & 0xffffff;
	fz_u16(&f);
	fz_u8(&f);
	if (flags & F_EXTERNAL)
		fk->dev.external = true;
	if (!(flags & F_CONFIG_WRITE))
		fk->dev.ops = &fake_ro_ops;
	fk->start_fails = flags & F_START_FAILS;
	for (unsigned int i = 0; i < VIRTIO_CONFIG_MAX; i++)
		fk->config[i] = (uint8_t)(i * 7);

	ram = fz_blob(&f, VH_RAM_SIZE, &ram_len);
	vh_init(&h, &fk->dev, ram, ram_len, flags & F_IRQ_FD ? VH_IRQ_FD : 0);
	add_small_devices(&h);
	exits = panics = boots = 0;
	vh_run(&h, &f, dev_op);
	check_registers(&h);
	vh_fini(&h);
	return 0;
}
