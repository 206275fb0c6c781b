/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_IRQ_H
#define ARMZ_IRQ_H

/*
 * An interrupt line as a device sees it. The VMM backs it with KVM_IRQFD or
 * KVM_IRQ_LINE; tests back it with a counter. A NULL ops means the machine
 * has no interrupt controller (payload mode) and the device must cope.
 * A device takes its line by value when it is made and owns it from then
 * on: it calls irq_release() when it is freed.
 */
struct irq_line;

struct irq_ops {
	/* Level-sensitive lines (the UART). */
	int (*set_level)(struct irq_line *line, int level);
	/* Edge-triggered lines (virtio-mmio): one interrupt per call. */
	int (*trigger)(struct irq_line *line);
	/* Frees what backs the line (an irqfd's eventfd). May be NULL. */
	void (*release)(struct irq_line *line);
};

struct irq_line {
	const struct irq_ops *ops;
	void *ctx;
	unsigned int spi;
	int fd;			/* irqfd eventfd, or -1 */
};

static inline int irq_set_level(struct irq_line *line, int level)
{
	if (!line || !line->ops || !line->ops->set_level)
		return 0;
	return line->ops->set_level(line, level);
}

static inline int irq_trigger(struct irq_line *line)
{
	if (!line || !line->ops || !line->ops->trigger)
		return 0;
	return line->ops->trigger(line);
}

static inline void irq_release(struct irq_line *line)
{
	if (line && line->ops && line->ops->release)
		line->ops->release(line);
}

#endif
