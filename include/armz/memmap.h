/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_MEMMAP_H
#define ARMZ_MEMMAP_H

/* Usable from C and from the assembler test payloads alike. */
#ifdef __ASSEMBLER__
#define MEMMAP_C(x)	x
#else
#define MEMMAP_C(x)	x##ULL
#endif

/*
 * The guest physical memory map: the one place that says where things are.
 * Everything below 1 GiB is MMIO; RAM starts at 1 GiB so that a guest with
 * up to 255 GiB of memory still fits a 40-bit IPA space.
 *
 *   base           size           what
 *   -------------  -------------  ----------------------------------------
 *   0x0000_0000    0x0100_0000    (hole: faults are reported, not served)
 *   0x0100_0000    0x0000_1000    the UART again, no node of its own (1)
 *   0x0100_1000    0x06ff_f000    (hole)
 *   0x0800_0000    0x0001_0000    GIC distributor (v3 and v2)
 *   0x0801_0000    0x0001_0000    GICv2 CPU interface
 *   0x0808_0000    0x0002_0000    GICv3 ITS, with --irqchip=gicv3-its (lkvm)
 *   0x080a_0000    0x00f6_0000    GICv3 redistributors, 128 KiB per vCPU
 *   0x0900_0000    0x0000_1000    ns16550a UART
 *   0x0901_0000    0x0000_1000    test-exit register (payload status)
 *   0x0902_0000    0x0000_1000    pvpanic-mmio
 *   0x0a00_0000    0x0000_4000    virtio-mmio: 32 slots of 0x200
 *   0x4000_0000    --mem          RAM
 *
 *   SPIs: UART 1, virtio-mmio slot n gets 16 + n. PPIs: the timers as
 *   below, the PMU 7.
 *
 * (1) Test binaries built for kvmtool (kvm-unit-tests' --target=kvmtool)
 * print to kvmtool's 8250 at 0x0100_0000 before they have read the device
 * tree; there they find the UART at 0x0900_0000 and move to it. Rather
 * than a second memory map, armz answers at both addresses with the same
 * UART, and only 0x0900_0000 is in the device tree.
 */

#define MEMMAP_GIC_DIST_BASE		MEMMAP_C(0x08000000)
#define MEMMAP_GIC_DIST_SIZE		MEMMAP_C(0x00010000)
#define MEMMAP_GIC_CPU_BASE		MEMMAP_C(0x08010000)
#define MEMMAP_GIC_CPU_SIZE		MEMMAP_C(0x00010000)
#define MEMMAP_GIC_REDIST_BASE		MEMMAP_C(0x080a0000)
#define MEMMAP_GIC_REDIST_SIZE		MEMMAP_C(0x00f60000)
#define MEMMAP_GIC_REDIST_PER_CPU	MEMMAP_C(0x00020000)
#define MEMMAP_GIC_ITS_BASE		MEMMAP_C(0x08080000)
#define MEMMAP_GIC_ITS_SIZE		MEMMAP_C(0x00020000)
#define MEMMAP_MAX_CPUS \
	(MEMMAP_GIC_REDIST_SIZE / MEMMAP_GIC_REDIST_PER_CPU)

#define MEMMAP_UART_BASE		MEMMAP_C(0x09000000)
#define MEMMAP_UART_SIZE		MEMMAP_C(0x00001000)
#define MEMMAP_UART_ALIAS_BASE		MEMMAP_C(0x01000000)
#define MEMMAP_TEST_EXIT_BASE		MEMMAP_C(0x09010000)
#define MEMMAP_TEST_EXIT_SIZE		MEMMAP_C(0x00001000)
#define MEMMAP_PVPANIC_BASE		MEMMAP_C(0x09020000)
#define MEMMAP_PVPANIC_SIZE		MEMMAP_C(0x00001000)

#define MEMMAP_VIRTIO_BASE		MEMMAP_C(0x0a000000)
#define MEMMAP_VIRTIO_SLOT_SIZE		MEMMAP_C(0x00000200)
#define MEMMAP_VIRTIO_SLOTS		32

#define MEMMAP_RAM_BASE			MEMMAP_C(0x40000000)
#define MEMMAP_RAM_MIN			MEMMAP_C(0x01000000)
#define MEMMAP_RAM_MAX			(MEMMAP_C(255) << 30)

/* SPI numbers (GIC interrupt id minus 32). */
#define MEMMAP_SPI_UART			1
#define MEMMAP_SPI_VIRTIO_BASE		16

/* Architected timer PPIs (interrupt id minus 16), as the arm64 timer uses. */
#define MEMMAP_PPI_TIMER_SEC		13
#define MEMMAP_PPI_TIMER_PHYS		14
#define MEMMAP_PPI_TIMER_VIRT		11
#define MEMMAP_PPI_TIMER_HYP		10
/* The PMU's overflow interrupt, the same PPI on every vCPU. */
#define MEMMAP_PPI_PMU			7

#endif
