/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_GDB_REGS_H
#define ARMZ_GDB_REGS_H

#include <stddef.h>
#include <stdint.h>

/*
 * The register file armz's gdb stub offers, in gdb's numbering for the
 * aarch64 target: the "org.gnu.gdb.aarch64.core" and "...fpu" features
 * gdb requires, then armz's own "org.armz.aarch64.sysregs" with the EL1
 * system registers a kernel developer needs. Each maps to one KVM
 * ONE_REG id; no ioctl here.
 */
enum {
	GDB_REG_X0	= 0,	/* x0..x30: 0..30 */
	GDB_REG_SP	= 31,	/* the SP PSTATE.M selects */
	GDB_REG_PC	= 32,
	GDB_REG_CPSR	= 33,	/* PSTATE, 32 bits in gdb */
	GDB_REG_V0	= 34,	/* v0..v31: 34..65, 128 bits */
	GDB_REG_FPSR	= 66,
	GDB_REG_FPCR	= 67,
	GDB_REG_SCTLR_EL1 = 68,
	GDB_REG_TCR_EL1,
	GDB_REG_TTBR0_EL1,
	GDB_REG_TTBR1_EL1,
	GDB_REG_MAIR_EL1,
	GDB_REG_VBAR_EL1,
	GDB_REG_ESR_EL1,
	GDB_REG_FAR_EL1,
	GDB_REG_ELR_EL1,
	GDB_REG_SPSR_EL1,
	GDB_REG_SP_EL0,
	GDB_REG_SP_EL1,
	GDB_NR_REGS,
};

/* Registers 0..GDB_NR_G_REGS-1 travel in the 'g' and 'G' packets. */
#define GDB_NR_G_REGS	(GDB_REG_FPCR + 1)
/* Bytes of the 'g' packet: 33 x 8 + 4 + 32 x 16 + 2 x 4. */
#define GDB_G_BYTES	788
#define GDB_REG_MAX_BYTES 16

enum gdb_feature {
	GDB_FEATURE_CORE,
	GDB_FEATURE_FPU,
	GDB_FEATURE_SYSREGS,
};

struct gdb_reg {
	const char *name;
	unsigned int bytes;		/* as gdb sees it */
	uint64_t kvm_id;		/* 0 for sp: see gdb_reg_kvm_id() */
	enum gdb_feature feature;
	const char *type;		/* target.xml type */
};

/* NULL for a number armz does not offer. */
const struct gdb_reg *gdb_reg_get(unsigned int regno);
/* Bytes gdb exchanges for regno, 0 when there is no such register. */
unsigned int gdb_reg_size(unsigned int regno);

/*
 * The ONE_REG id behind regno, given the vCPU's PSTATE (only sp needs
 * it: SP_EL0 in EL0t/EL1t, SP_EL1 in EL1h). 0 when there is none, as
 * for sp at EL2 or in AArch32.
 */
uint64_t gdb_reg_kvm_id(unsigned int regno, uint64_t pstate);
/* Bytes KVM_GET/SET_ONE_REG moves for a KVM register id. */
unsigned int gdb_kvm_reg_bytes(uint64_t kvm_id);

/*
 * Conversions between a value as KVM_GET_ONE_REG leaves it (an integer
 * of gdb_kvm_reg_bytes() in host order) and gdb's little-endian bytes.
 * PSTATE is 64 bits in KVM and 32 in gdb: gdb_reg_to_kvm() keeps the
 * upper half of the value already in kvm, so read it first.
 */
void gdb_reg_from_kvm(unsigned int regno, uint64_t kvm_id, const void *kvm,
		      uint8_t *gdb);
void gdb_reg_to_kvm(unsigned int regno, uint64_t kvm_id, const uint8_t *gdb,
		    void *kvm);

/*
 * The target description served by qXfer:features:read:target.xml:
 * writes at most cap bytes (NUL included) and returns the length it
 * needs, like snprintf.
 */
size_t gdb_target_xml(char *buf, size_t cap);

#endif
