/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_GDB_HWDEBUG_H
#define ARMZ_GDB_HWDEBUG_H

#include <stdbool.h>
#include <stdint.h>

#include <armz/gdb.h>
#include <armz/kvm-arm64-abi.h>

/*
 * What a KVM target needs around KVM_SET_GUEST_DEBUG that is not an
 * ioctl: the hardware breakpoint and watchpoint slots gdb filled, as
 * the DBGBCR/DBGBVR and DBGWCR/DBGWVR values KVM loads (ARM ARM,
 * "DBGBCR<n>_EL1", "DBGWCR<n>_EL1"); what a KVM_EXIT_DEBUG's ESR means
 * to gdb; and how to hand a BRK that is not gdb's back to the guest
 * (the exception entry the CPU would have made, ARM ARM "Exception
 * entry"). Pure: unit-tested on any host.
 */

struct hwdebug_bp {
	bool used;
	uint64_t addr;
};

struct hwdebug_wp {
	bool used;
	enum gdb_point type;
	uint64_t addr, len;	/* as gdb asked */
	uint64_t wvr, wcr;	/* as the hardware matches it */
};

/* Slots, as many as KVM_CAP_GUEST_DEBUG_HW_BPS/WPS report. */
struct hwdebug {
	unsigned int nr_bps, nr_wps;
	struct hwdebug_bp bp[AZ_KVM_ARM_MAX_DBG_REGS];
	struct hwdebug_wp wp[AZ_KVM_ARM_MAX_DBG_REGS];
};

/* ESR_ELx.EC of the debug exceptions KVM reports (ARM ARM, "ESR_EL1"). */
#define HWDEBUG_EC_BREAKPOINT_LOWER	0x30
#define HWDEBUG_EC_BREAKPOINT_CUR	0x31
#define HWDEBUG_EC_STEP_LOWER		0x32
#define HWDEBUG_EC_STEP_CUR		0x33
#define HWDEBUG_EC_WATCHPOINT_LOWER	0x34
#define HWDEBUG_EC_WATCHPOINT_CUR	0x35
#define HWDEBUG_EC_BRK64		0x3c
#define HWDEBUG_ESR_EC(esr)		(((esr) >> 26) & 0x3f)
#define HWDEBUG_ESR_WNR		(1U << 6)	/* watchpoints */

void hwdebug_init(struct hwdebug *d, unsigned int nr_bps, unsigned int nr_wps);

/*
 * A point gdb's Z1..Z4 asked for. Returns 0, -ENOSPC when the slots of
 * its kind are used up, -EINVAL for a watched range the hardware cannot
 * cover in one slot: up to 8 bytes within an aligned doubleword, or an
 * aligned power of two from 8 bytes to 2 GiB.
 */
int hwdebug_insert(struct hwdebug *d, enum gdb_point type, uint64_t addr,
		   uint64_t len);
/* 0, or -ENOENT when no such point is set. */
int hwdebug_remove(struct hwdebug *d, enum gdb_point type, uint64_t addr,
		   uint64_t len);
bool hwdebug_any(const struct hwdebug *d);

/*
 * The struct kvm_guest_debug for the vCPUs: control (ENABLE and
 * USE_SW_BP always, USE_HW with any point, SINGLESTEP when step) and
 * the register values, unused slots zero (disabled).
 */
void hwdebug_fill(const struct hwdebug *d, bool step,
		  struct az_kvm_guest_debug *dbg);

/*
 * A KVM_EXIT_DEBUG in gdb's terms. Returns 0 with *why (and, for a
 * watchpoint, *addr: the start of the watched range that holds far,
 * or of the nearest one) or -EINVAL for an ESR that is no debug event.
 * A BRK comes back as GDB_STOP_SWBREAK: the caller asks the server
 * whether it is gdb's (gdb_server_owns_breakpoint()).
 */
int hwdebug_decode(const struct hwdebug *d, uint64_t esr, uint64_t far,
		   enum gdb_stop_reason *why, uint64_t *addr);

/*
 * The guest's registers around a synchronous exception taken to EL1,
 * for a BRK that is the guest's own (KVM_GUESTDBG_USE_SW_BP traps every
 * BRK to userspace).
 */
struct hwdebug_el1_regs {
	uint64_t pc, pstate;
	uint64_t vbar, sctlr;	/* VBAR_EL1, SCTLR_EL1: read only */
	uint64_t elr, spsr, esr;
};

/*
 * Enters the guest's EL1 vector for esr as the CPU would: ELR = pc,
 * SPSR = PSTATE, ESR = esr, PC = VBAR_EL1 + the vector offset for where
 * the exception came from, PSTATE = EL1h with DAIF masked (PAN and SSBS
 * as SCTLR_EL1 says). The caller writes pc, pstate, elr, spsr and esr
 * back with KVM_SET_ONE_REG. -EINVAL from AArch32 or EL2.
 */
int hwdebug_enter_el1(struct hwdebug_el1_regs *r, uint64_t esr);

/* Whether insn is an AArch64 BRK (any immediate). */
bool hwdebug_is_brk(uint32_t insn);

/*
 * Single steps with interrupts masked, so that a step does not end in
 * the IRQ vector because an interrupt is pending (the timer expired
 * while gdb looked at the guest).
 *
 * hwdebug_step_mask() gives the PSTATE bits to set for stepping insn:
 * I and F where they are clear, none when insn reads or writes DAIF
 * itself (MRS/MSR DAIF, MSR DAIFSet/DAIFClr) or returns from an
 * exception (ERET, ERETAA, ERETAB), or in AArch32.
 *
 * hwdebug_step_unmask() takes those bits away again after the step,
 * given the registers now (pc, pstate, vbar, elr, spsr) and the PC the
 * step began at: from PSTATE; or, when the step took an exception to
 * EL1 (PC inside VBAR_EL1's table, ELR_EL1 at the stepped instruction
 * or the next), from SPSR_EL1, where the exception entry saved them.
 * It returns the register it changed: 0 none, 1 PSTATE, 2 SPSR_EL1.
 */
uint64_t hwdebug_step_mask(uint32_t insn, uint64_t pstate);
int hwdebug_step_unmask(struct hwdebug_el1_regs *r, uint64_t step_pc,
			uint64_t mask);

#endif
