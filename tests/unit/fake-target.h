/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_TESTS_FAKE_TARGET_H
#define ARMZ_TESTS_FAKE_TARGET_H

#include <stdbool.h>
#include <stdint.h>

#include <armz/gdb.h>
#include <armz/guest-mem.h>
#include <armz/mmu.h>

/*
 * A machine for the gdb stub without KVM: RAM, vCPUs whose registers
 * live in a table keyed by ONE_REG id (as KVM keeps them, in host
 * order), stage-1 tables built in RAM so memory is reached by virtual
 * address through armz/mmu.h, and a record of what the server asked.
 *
 * The layout (4K pages, 48-bit VAs, MMU on):
 *   RAM             FAKE_RAM_GPA, FAKE_RAM_SIZE
 *   FAKE_CODE_VA    one page, mapped to FAKE_CODE_PA
 *   FAKE_DATA_VA    two pages mapped backwards: the first to
 *                   FAKE_DATA_PA + 0x1000, the second to FAKE_DATA_PA;
 *                   the page after them is unmapped
 *   FAKE_RAM_GPA    also identity-mapped through TTBR0 (2M blocks)
 */
#define FAKE_RAM_GPA	0x40000000ULL
#define FAKE_RAM_SIZE	(4ULL << 20)
#define FAKE_CODE_VA	0xffff000010000000ULL
#define FAKE_CODE_PA	(FAKE_RAM_GPA + 0x200000)
#define FAKE_DATA_VA	0xffff000020000000ULL
#define FAKE_DATA_PA	(FAKE_RAM_GPA + 0x210000)
#define FAKE_MAX_VCPUS	4
#define FAKE_MAX_POINTS	8
#define FAKE_NR_KVM_REGS 80

struct fake_point {
	enum gdb_point type;
	uint64_t addr, len;
};

struct fake_vcpu {
	uint64_t ids[FAKE_NR_KVM_REGS];
	uint8_t raw[FAKE_NR_KVM_REGS][16];	/* in KVM's format */
	unsigned int nregs;
};

struct fake_target {
	struct guest_mem mem;
	unsigned int nr_vcpus;
	struct fake_vcpu cpu[FAKE_MAX_VCPUS];

	/* What the server did. */
	enum gdb_resume actions[FAKE_MAX_VCPUS];
	unsigned int resumes, interrupts, detaches, kills;
	struct fake_point points[FAKE_MAX_POINTS];
	unsigned int npoints;
	int point_ret;		/* insert_point fails with it, if set */
	int sw_ret;		/* its answer for a Z0, 0 by default */
	unsigned int sw_asks;	/* Z0s it was asked about */
	bool running;
};

extern const struct gdb_target_ops fake_target_ops;
/* The same without hardware points. */
extern const struct gdb_target_ops fake_target_ops_no_hw;

int fake_target_init(struct fake_target *t, unsigned int nr_vcpus);
void fake_target_free(struct fake_target *t);

/* A register by ONE_REG id, as KVM would hold it. */
uint64_t fake_get(struct fake_target *t, unsigned int vcpu, uint64_t id);
void fake_set(struct fake_target *t, unsigned int vcpu, uint64_t id,
	      uint64_t v);
unsigned __int128 fake_get128(struct fake_target *t, unsigned int vcpu,
			      uint64_t id);
void fake_set128(struct fake_target *t, unsigned int vcpu, uint64_t id,
		 unsigned __int128 v);
/* The vCPU's stage-1 registers. */
struct mmu_regs fake_mmu(struct fake_target *t, unsigned int vcpu);
/* Host pointer to guest RAM at gpa. */
uint8_t *fake_ram(struct fake_target *t, uint64_t gpa);

/*
 * A pretend CPU for demos: runs the vCPUs resumed last, each until its
 * step ends or it reaches a BRK (at most max_insns instructions, then it
 * "takes an interrupt"). Returns the vCPU that stopped and why.
 */
unsigned int fake_target_run(struct fake_target *t, unsigned int max_insns,
			     enum gdb_stop_reason *why);

#endif
