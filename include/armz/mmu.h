/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_MMU_H
#define ARMZ_MMU_H

#include <stdint.h>
#include <sys/types.h>

#include <armz/guest-mem.h>

/*
 * The guest's stage-1 translation (EL1&0 regime, VMSAv8-64), walked in
 * software so a debugger can reach memory by virtual address: TTBR0 and
 * TTBR1 halves selected by VA bit 55, 4K, 16K and 64K granules, 25- to
 * 48-bit VAs, 52-bit VAs and PAs with 64K pages (FEAT_LVA, FEAT_LPA)
 * and with 4K/16K pages under TCR_EL1.DS (FEAT_LPA2), top-byte-ignore,
 * block mappings, big-endian tables under SCTLR_EL1.EE. With
 * SCTLR_EL1.M clear, VA = PA.
 *
 * It is a debugger's walk: permissions, the access flag and memory
 * attributes are not checked, and nothing is written back (no access or
 * dirty flags). The caller keeps the guest still while it walks (gdb's
 * all-stop). Every table read goes through guest_mem_at(): a table
 * outside guest RAM is a fault, never a host access.
 */

struct mmu_regs {
	uint64_t sctlr;		/* SCTLR_EL1 */
	uint64_t tcr;		/* TCR_EL1 */
	uint64_t ttbr0;		/* TTBR0_EL1 */
	uint64_t ttbr1;		/* TTBR1_EL1 */
};

#define MMU_SCTLR_M	(1ULL << 0)
#define MMU_SCTLR_EE	(1ULL << 25)

/* TCR_EL1 fields (ARM ARM, "TCR_EL1"). */
#define MMU_TCR_T0SZ(n)		((uint64_t)(n) << 0)
#define MMU_TCR_EPD0		(1ULL << 7)
#define MMU_TCR_TG0_4K		(0ULL << 14)
#define MMU_TCR_TG0_64K		(1ULL << 14)
#define MMU_TCR_TG0_16K		(2ULL << 14)
#define MMU_TCR_T1SZ(n)		((uint64_t)(n) << 16)
#define MMU_TCR_EPD1		(1ULL << 23)
#define MMU_TCR_TG1_16K		(1ULL << 30)
#define MMU_TCR_TG1_4K		(2ULL << 30)
#define MMU_TCR_TG1_64K		(3ULL << 30)
/* IPS 5: 48-bit PAs, 6: 52 */
#define MMU_TCR_IPS(n)		((uint64_t)(n) << 32)
#define MMU_TCR_TBI0		(1ULL << 37)
#define MMU_TCR_TBI1		(1ULL << 38)
#define MMU_TCR_DS		(1ULL << 59)

enum mmu_fault {
	MMU_OK,
	MMU_FAULT_RANGE,	/* VA in neither half, or its walk disabled */
	MMU_FAULT_TRANSLATION,	/* an invalid descriptor */
	MMU_FAULT_ADDRESS_SIZE,	/* an address beyond TCR_EL1.IPS */
	MMU_FAULT_NOT_RAM,	/* a table outside guest RAM */
	MMU_FAULT_CONFIG,	/* a reserved granule */
};

struct mmu_xlat {
	uint64_t pa;
	uint64_t len;		/* bytes from pa to the leaf's end */
	int level;		/* of the leaf, or where the walk faulted */
	unsigned int shift;	/* log2 of the leaf's size */
	enum mmu_fault fault;
};

/*
 * va -> PA. Returns 0, or -EFAULT with x->fault, x->level and err_msg()
 * saying why. The PA itself may lie outside RAM (MMIO, a hole): callers
 * that touch it still go through guest_mem_at().
 */
int mmu_translate(const struct guest_mem *mem, const struct mmu_regs *r,
		  uint64_t va, struct mmu_xlat *x);

/*
 * Copies len bytes at va, translating each page on its own. mmu_read()
 * returns the bytes read up to the first unmapped or non-RAM byte, or
 * -EFAULT when there is none. mmu_write() writes all or nothing:
 * 0 or -EFAULT.
 */
ssize_t mmu_read(const struct guest_mem *mem, const struct mmu_regs *r,
		 uint64_t va, void *buf, size_t len);
int mmu_write(const struct guest_mem *mem, const struct mmu_regs *r,
	      uint64_t va, const void *buf, size_t len);

#endif
