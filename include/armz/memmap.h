/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_MEMMAP_H
#define ARMZ_MEMMAP_H

/*
 * The guest physical memory map: the one place that says where things are.
 * Everything below 1 GiB is MMIO; RAM starts at 1 GiB so that a guest with
 * up to 255 GiB of memory still fits a 40-bit IPA space.
 *
 *   base           size           what
 *   -------------  -------------  ----------------------------------------
 *   0x0000_0000    0x0800_0000    (hole: faults are reported, not served)
 *   0x0800_0000    0x0001_0000    GIC distributor (v3 and v2)
 *   0x0801_0000    0x0001_0000    GICv2 CPU interface
 *   0x080a_0000    0x00f6_0000    GICv3 redistributors, 128 KiB per vCPU
 *   0x0900_0000    0x0000_1000    ns16550a UART
 *   0x0901_0000    0x0000_1000    test-exit register (payload status)
 *   0x0902_0000    0x0000_1000    pvpanic-mmio
 *   0x0a00_0000    0x0000_4000    virtio-mmio: 32 slots of 0x200
 *   0x4000_0000    --mem          RAM
 *
 *   SPIs: UART 1, virtio-mmio slot n gets 16 + n.
 */

#define MEMMAP_GIC_DIST_BASE		0x08000000ULL
#define MEMMAP_GIC_DIST_SIZE		0x00010000ULL
#define MEMMAP_GIC_CPU_BASE		0x08010000ULL
#define MEMMAP_GIC_CPU_SIZE		0x00010000ULL
#define MEMMAP_GIC_REDIST_BASE		0x080a0000ULL
#define MEMMAP_GIC_REDIST_SIZE		0x00f60000ULL
#define MEMMAP_GIC_REDIST_PER_CPU	0x00020000ULL
#define MEMMAP_MAX_CPUS \
	(MEMMAP_GIC_REDIST_SIZE / MEMMAP_GIC_REDIST_PER_CPU)

#define MEMMAP_UART_BASE		0x09000000ULL
#define MEMMAP_UART_SIZE		0x00001000ULL
#define MEMMAP_TEST_EXIT_BASE		0x09010000ULL
#define MEMMAP_TEST_EXIT_SIZE		0x00001000ULL
#define MEMMAP_PVPANIC_BASE		0x09020000ULL
#define MEMMAP_PVPANIC_SIZE		0x00001000ULL

#define MEMMAP_VIRTIO_BASE		0x0a000000ULL
#define MEMMAP_VIRTIO_SLOT_SIZE		0x00000200ULL
#define MEMMAP_VIRTIO_SLOTS		32

#define MEMMAP_RAM_BASE			0x40000000ULL
#define MEMMAP_RAM_MIN			(16ULL << 20)
#define MEMMAP_RAM_MAX			(255ULL << 30)

/* SPI numbers (GIC interrupt id minus 32). */
#define MEMMAP_SPI_UART			1
#define MEMMAP_SPI_VIRTIO_BASE		16

/* Architected timer PPIs (interrupt id minus 16), as the arm64 timer uses. */
#define MEMMAP_PPI_TIMER_SEC		13
#define MEMMAP_PPI_TIMER_PHYS		14
#define MEMMAP_PPI_TIMER_VIRT		11
#define MEMMAP_PPI_TIMER_HYP		10

#endif
