// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/gdb-hwdebug.h>

#include "unit.h"

#define VA	0xffff000020001000ULL

static void test_breakpoints(void)
{
	struct az_kvm_guest_debug dbg;
	struct hwdebug d;

	hwdebug_init(&d, 2, 2);
	CU_ASSERT_FALSE(hwdebug_any(&d));
	hwdebug_fill(&d, false, &dbg);
	/* gdb's BRKs always come out; no hardware without points. */
	CU_ASSERT_EQUAL(dbg.control, 0x10001);
	hwdebug_fill(&d, true, &dbg);
	CU_ASSERT_EQUAL(dbg.control, 0x10003);

	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA, 4), 0);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA, 4), 0);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA + 8, 4), 0);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA + 16, 4),
			-ENOSPC);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA + 2, 4),
			-EINVAL);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA, 2), -EINVAL);
	hwdebug_fill(&d, false, &dbg);
	CU_ASSERT_EQUAL(dbg.control, 0x30001);
	/* E, EL1 and EL0, all four byte lanes: 0x1e7. */
	CU_ASSERT_EQUAL(dbg.arch.dbg_bcr[0], 0x1e7);
	CU_ASSERT_EQUAL(dbg.arch.dbg_bvr[0], VA);
	CU_ASSERT_EQUAL(dbg.arch.dbg_bcr[1], 0x1e7);
	CU_ASSERT_EQUAL(dbg.arch.dbg_bvr[1], VA + 8);
	CU_ASSERT_EQUAL(dbg.arch.dbg_bcr[2], 0);

	CU_ASSERT_EQUAL(hwdebug_remove(&d, GDB_POINT_HW_BREAK, VA, 4), 0);
	CU_ASSERT_EQUAL(hwdebug_remove(&d, GDB_POINT_HW_BREAK, VA, 4), -ENOENT);
	hwdebug_fill(&d, false, &dbg);
	CU_ASSERT_EQUAL(dbg.arch.dbg_bcr[0], 0);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA + 16, 4), 0);

	/* No more slots than the architecture has. */
	hwdebug_init(&d, 99, 99);
	CU_ASSERT_EQUAL(d.nr_bps, 16);
	CU_ASSERT_EQUAL(d.nr_wps, 16);
}

static void test_watchpoints(void)
{
	struct az_kvm_guest_debug dbg;
	struct hwdebug d;

	hwdebug_init(&d, 0, 4);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_HW_BREAK, VA, 4), -ENOSPC);
	/* 4 bytes written at +4: lanes 4..7 of the doubleword, stores. */
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA + 4, 4), 0);
	/* The last byte, loads. */
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_READ, VA + 0xf, 1),
			0);
	/* A whole doubleword, both. */
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_ACCESS, VA + 0x18, 8),
			0);
	/* 64 aligned bytes: the address mask. */
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA + 0x40,
				       64), 0);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA + 0x80, 8),
			-ENOSPC);
	hwdebug_fill(&d, false, &dbg);
	CU_ASSERT_EQUAL(dbg.control, 0x30001);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wvr[0], VA);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wcr[0], 0x1e17);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wvr[1], VA + 8);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wcr[1], 0x100f);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wvr[2], VA + 0x18);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wcr[2], 0x1fff);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wvr[3], VA + 0x40);
	CU_ASSERT_EQUAL(dbg.arch.dbg_wcr[3], 0x6001ff7);

	/* What one slot cannot do. */
	hwdebug_init(&d, 0, 4);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA + 6, 4),
			-EINVAL);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA, 24),
			-EINVAL);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA + 8, 16),
			-EINVAL);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA, 0),
			-EINVAL);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, 0,
				       1ULL << 32), -EINVAL);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, 0,
				       1ULL << 31), 0);
	CU_ASSERT_EQUAL(hwdebug_insert(&d, (enum gdb_point)7, VA, 4), -EINVAL);
	CU_ASSERT_FALSE(hwdebug_remove(&d, GDB_POINT_WATCH_WRITE, 0,
				       1ULL << 31));
	CU_ASSERT_EQUAL(hwdebug_remove(&d, GDB_POINT_WATCH_READ, 0,
				       1ULL << 31), -ENOENT);
	CU_ASSERT_FALSE(hwdebug_any(&d));
}

static uint64_t esr(unsigned int ec, unsigned int iss)
{
	return (uint64_t)ec << 26 | 1U << 25 | iss;
}

static void test_decode(void)
{
	enum gdb_stop_reason why;
	struct hwdebug d;
	uint64_t addr;

	hwdebug_init(&d, 2, 4);
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x3c, 0x1234), 0, &why, &addr),
			0);
	CU_ASSERT_EQUAL(why, GDB_STOP_SWBREAK);
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x30, 0), 0, &why, &addr), 0);
	CU_ASSERT_EQUAL(why, GDB_STOP_HWBREAK);
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x32, 0), 0, &why, &addr), 0);
	CU_ASSERT_EQUAL(why, GDB_STOP_STEP);
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x33, 0), 0, &why, &addr), 0);
	CU_ASSERT_EQUAL(why, GDB_STOP_STEP);
	/* An SVC or a data abort is no debug event. */
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x15, 0), 0, &why, &addr),
			-EINVAL);
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x24, 0), 0, &why, &addr),
			-EINVAL);

	/* Watchpoints: with none set, the faulting address as it is. */
	CU_ASSERT_EQUAL(hwdebug_decode(&d, esr(0x34, 0x40), VA, &why, &addr),
			0);
	CU_ASSERT_EQUAL(why, GDB_STOP_WATCH);
	CU_ASSERT_EQUAL(addr, VA);
	hwdebug_insert(&d, GDB_POINT_WATCH_WRITE, VA + 4, 4);
	hwdebug_insert(&d, GDB_POINT_WATCH_READ, VA + 0x100, 8);
	hwdebug_insert(&d, GDB_POINT_WATCH_ACCESS, VA + 0x1000, 0x1000);
	/* Inside a range. */
	hwdebug_decode(&d, esr(0x34, 0x40), VA + 6, &why, &addr);
	CU_ASSERT_EQUAL(why, GDB_STOP_WATCH);
	CU_ASSERT_EQUAL(addr, VA + 4);
	hwdebug_decode(&d, esr(0x35, 0), VA + 0x104, &why, &addr);
	CU_ASSERT_EQUAL(why, GDB_STOP_RWATCH);
	CU_ASSERT_EQUAL(addr, VA + 0x100);
	hwdebug_decode(&d, esr(0x34, 0), VA + 0x1fff, &why, &addr);
	CU_ASSERT_EQUAL(why, GDB_STOP_AWATCH);
	CU_ASSERT_EQUAL(addr, VA + 0x1000);
	/* A wide store starting below the watched bytes. */
	hwdebug_decode(&d, esr(0x34, 0x40), VA, &why, &addr);
	CU_ASSERT_EQUAL(why, GDB_STOP_WATCH);
	CU_ASSERT_EQUAL(addr, VA + 4);
	hwdebug_decode(&d, esr(0x34, 0), VA + 0xf8, &why, &addr);
	CU_ASSERT_EQUAL(addr, VA + 0x100);
}

static void test_enter_el1(void)
{
	struct hwdebug_el1_regs r = {
		.pc = 0xffff000010000040ULL,
		.pstate = 0x600003c5ULL | (1ULL << 21),	/* Z, C, SS */
		.vbar = 0xffff000010000800ULL,
		.sctlr = 1ULL << 23,			/* SPAN: PAN stays */
	};
	uint64_t brk = esr(0x3c, 0x800);

	/* From EL1h: the current-EL-with-SP_ELx group, 0x200. */
	CU_ASSERT_EQUAL(hwdebug_enter_el1(&r, brk), 0);
	CU_ASSERT_EQUAL(r.pc, 0xffff000010000a00ULL);
	CU_ASSERT_EQUAL(r.elr, 0xffff000010000040ULL);
	CU_ASSERT_EQUAL(r.spsr, 0x602003c5ULL);
	CU_ASSERT_EQUAL(r.esr, brk);
	CU_ASSERT_EQUAL(r.pstate, 0x600003c5ULL);

	/* From EL0t: the lower-EL group, 0x400; PAN set without SPAN. */
	r.pc = 0x400000;
	r.pstate = 0x80000000ULL;
	r.sctlr = 1ULL << 44;			/* DSSBS */
	CU_ASSERT_EQUAL(hwdebug_enter_el1(&r, brk), 0);
	CU_ASSERT_EQUAL(r.pc, 0xffff000010000c00ULL);
	CU_ASSERT_EQUAL(r.elr, 0x400000);
	CU_ASSERT_EQUAL(r.spsr, 0x80000000ULL);
	CU_ASSERT_EQUAL(r.pstate, 0x80000000ULL | (1ULL << 22) |
			(1ULL << 12) | 0x3c5);

	/* From EL1t: offset 0. */
	r.pstate = 0x3c4;
	r.sctlr = 1ULL << 23;
	CU_ASSERT_EQUAL(hwdebug_enter_el1(&r, brk), 0);
	CU_ASSERT_EQUAL(r.pc, 0xffff000010000800ULL);
	CU_ASSERT_EQUAL(r.pstate, 0x3c5);

	/* Not for AArch32 or EL2: nothing changes. */
	r.pstate = 0x13;
	CU_ASSERT_EQUAL(hwdebug_enter_el1(&r, brk), -EINVAL);
	CU_ASSERT_EQUAL(r.pstate, 0x13);
	r.pstate = 0x9;
	CU_ASSERT_EQUAL(hwdebug_enter_el1(&r, brk), -EINVAL);
}

/* Encodings as aarch64-linux-gnu-as assembles them. */
#define INSN_NOP		0xd503201fU
#define INSN_DAIFSET_2		0xd50342dfU	/* msr daifset, #2 */
#define INSN_DAIFCLR_F		0xd5034fffU	/* msr daifclr, #0xf */
#define INSN_MSR_DAIF_X3	0xd51b4223U
#define INSN_MRS_X7_DAIF	0xd53b4227U
#define INSN_MRS_X0_NZCV	0xd53b4200U
#define INSN_MSR_SPSEL_1	0xd50041bfU
#define INSN_ERET		0xd69f03e0U
#define INSN_ERETAA		0xd69f0bffU
#define INSN_ERETAB		0xd69f0fffU
#define INSN_SVC_0		0xd4000001U

static void test_is_brk(void)
{
	CU_ASSERT(hwdebug_is_brk(0xd4200000U));		/* brk #0 */
	CU_ASSERT(hwdebug_is_brk(0xd4210000U));		/* brk #0x800 */
	CU_ASSERT(hwdebug_is_brk(0xd43fffe0U));		/* brk #0xffff */
	CU_ASSERT_FALSE(hwdebug_is_brk(INSN_SVC_0));
	CU_ASSERT_FALSE(hwdebug_is_brk(0xd4400000U));	/* hlt #0 */
	CU_ASSERT_FALSE(hwdebug_is_brk(INSN_NOP));
}

static void test_step_mask(void)
{
	const uint64_t el1h = 0x5, i = 1U << 7, f = 1U << 6;

	/* Interrupts on: both masked for the step; masked ones stay. */
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_NOP, el1h), i | f);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_NOP, el1h | i), f);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_NOP, el1h | 0x3c0), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_SVC_0, 0), i | f);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_MRS_X0_NZCV, el1h), i | f);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_MSR_SPSEL_1, el1h), i | f);
	/* What reads or writes DAIF, or ERETs, steps as it is. */
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_DAIFSET_2, el1h), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_DAIFCLR_F, el1h), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_MSR_DAIF_X3, el1h), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_MRS_X7_DAIF, el1h), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_ERET, el1h), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_ERETAA, el1h), 0);
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_ERETAB, el1h), 0);
	/* AArch32: not ours to change. */
	CU_ASSERT_EQUAL(hwdebug_step_mask(INSN_NOP, 0x13), 0);
}

static void test_step_unmask(void)
{
	const uint64_t i = 1U << 7, f = 1U << 6, pc = 0xffff000010000100ULL;
	struct hwdebug_el1_regs r = {
		.pc = pc + 4, .pstate = 0x600000c5ULL,
		.vbar = 0xffff000010000800ULL,
		.elr = 0x1234, .spsr = 0x3c5,
	};

	/* An ordinary step: the bits come off PSTATE, nothing else. */
	CU_ASSERT_EQUAL(hwdebug_step_unmask(&r, pc, i | f), 1);
	CU_ASSERT_EQUAL(r.pstate, 0x60000005ULL);
	CU_ASSERT_EQUAL(r.spsr, 0x3c5);
	CU_ASSERT_EQUAL(hwdebug_step_unmask(&r, pc, 0), 0);

	/*
	 * The step took an exception (an SVC, an abort): entry masked
	 * PSTATE itself and saved the stepped PSTATE with our bits in
	 * SPSR_EL1, which the handler's ERET would bring back.
	 */
	r = (struct hwdebug_el1_regs){
		.pc = 0xffff000010000a00ULL, .pstate = 0x3c5,
		.vbar = 0xffff000010000800ULL,
		.elr = pc + 4, .spsr = 0x200000c5ULL,
	};
	CU_ASSERT_EQUAL(hwdebug_step_unmask(&r, pc, i | f), 2);
	CU_ASSERT_EQUAL(r.spsr, 0x20000005ULL);
	CU_ASSERT_EQUAL(r.pstate, 0x3c5);
	/* A data abort: ELR at the stepped instruction itself. */
	r.elr = pc;
	r.spsr = 0xc5;
	CU_ASSERT_EQUAL(hwdebug_step_unmask(&r, pc, i), 2);
	CU_ASSERT_EQUAL(r.spsr, 0x45);
	/* In the vector table but ELR elsewhere: a branch, not an entry. */
	r.elr = 0x1000;
	r.pstate = 0x3c5;
	CU_ASSERT_EQUAL(hwdebug_step_unmask(&r, pc, i | f), 1);
	CU_ASSERT_EQUAL(r.pstate, 0x305);
	/* Past the table's 2K: not an exception entry either. */
	r.pc = 0xffff000010001000ULL;
	r.elr = pc;
	r.spsr = 0xc5;
	r.pstate = 0xc5;
	CU_ASSERT_EQUAL(hwdebug_step_unmask(&r, pc, i | f), 1);
	CU_ASSERT_EQUAL(r.pstate, 0x05);
	CU_ASSERT_EQUAL(r.spsr, 0xc5);
}

static const CU_TestInfo gdb_hwdebug_tests[] = {
	{ "hardware breakpoints", test_breakpoints },
	{ "watchpoints", test_watchpoints },
	{ "debug exits", test_decode },
	{ "a guest's own BRK back to its EL1", test_enter_el1 },
	{ "BRK instructions", test_is_brk },
	{ "single steps with interrupts masked", test_step_mask },
	{ "and unmasked after, also across an exception", test_step_unmask },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(gdb_hwdebug, gdb_hwdebug_tests);
