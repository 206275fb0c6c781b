// SPDX-License-Identifier: GPL-2.0
#include <stdlib.h>
#include <string.h>

#include <armz/gdb-regs.h>
#include <armz/kvm-arm64-abi.h>

#include "unit.h"

static void test_numbering(void)
{
	unsigned int g = 0;

	/* gdb's aarch64 numbering, which its tdep code relies on. */
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(0)->name, "x0");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(30)->name, "x30");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(31)->name, "sp");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(32)->name, "pc");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(33)->name, "cpsr");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(34)->name, "v0");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(65)->name, "v31");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(66)->name, "fpsr");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(67)->name, "fpcr");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(68)->name, "sctlr_el1");
	CU_ASSERT_STRING_EQUAL(gdb_reg_get(GDB_NR_REGS - 1)->name, "sp_el1");
	CU_ASSERT_PTR_NULL(gdb_reg_get(GDB_NR_REGS));
	CU_ASSERT_EQUAL(gdb_reg_size(0), 8);
	CU_ASSERT_EQUAL(gdb_reg_size(33), 4);
	CU_ASSERT_EQUAL(gdb_reg_size(34), 16);
	CU_ASSERT_EQUAL(gdb_reg_size(66), 4);
	CU_ASSERT_EQUAL(gdb_reg_size(GDB_REG_TTBR1_EL1), 8);
	CU_ASSERT_EQUAL(gdb_reg_size(GDB_NR_REGS), 0);
	for (unsigned int i = 0; i < GDB_NR_G_REGS; i++)
		g += gdb_reg_size(i);
	CU_ASSERT_EQUAL(g, GDB_G_BYTES);
	for (unsigned int i = 0; i < GDB_NR_REGS; i++)
		CU_ASSERT(gdb_reg_size(i) <= GDB_REG_MAX_BYTES);
}

/*
 * The ids spelled out, as the KVM API document lists them for arm64
 * ("0x6030 0000 0010 <index into struct kvm_regs>"; sysregs 0x6030 0000
 * 0013 <op0:2 op1:3 CRn:4 CRm:4 op2:3>), independent of the macros.
 */
static void test_kvm_ids(void)
{
	static const struct {
		unsigned int regno;
		uint64_t id;
	} want[] = {
		{ 0, 0x6030000000100000ULL },
		{ 1, 0x6030000000100002ULL },
		{ 30, 0x603000000010003cULL },
		{ GDB_REG_PC, 0x6030000000100040ULL },
		{ GDB_REG_CPSR, 0x6030000000100042ULL },
		{ GDB_REG_V0, 0x6040000000100054ULL },
		{ GDB_REG_V0 + 31, 0x60400000001000d0ULL },
		{ GDB_REG_FPSR, 0x60200000001000d4ULL },
		{ GDB_REG_FPCR, 0x60200000001000d5ULL },
		{ GDB_REG_SP_EL0, 0x603000000010003eULL },
		{ GDB_REG_SP_EL1, 0x6030000000100044ULL },
		{ GDB_REG_ELR_EL1, 0x6030000000100046ULL },
		{ GDB_REG_SPSR_EL1, 0x6030000000100048ULL },
		{ GDB_REG_SCTLR_EL1, 0x603000000013c080ULL },
		{ GDB_REG_TTBR0_EL1, 0x603000000013c100ULL },
		{ GDB_REG_TTBR1_EL1, 0x603000000013c101ULL },
		{ GDB_REG_TCR_EL1, 0x603000000013c102ULL },
		{ GDB_REG_ESR_EL1, 0x603000000013c290ULL },
		{ GDB_REG_FAR_EL1, 0x603000000013c300ULL },
		{ GDB_REG_MAIR_EL1, 0x603000000013c510ULL },
		{ GDB_REG_VBAR_EL1, 0x603000000013c600ULL },
	};

	for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		CU_ASSERT_EQUAL(gdb_reg_kvm_id(want[i].regno, AZ_PSR_MODE_EL1H),
				want[i].id);
	CU_ASSERT_EQUAL(gdb_kvm_reg_bytes(0x6040000000100054ULL), 16);
	CU_ASSERT_EQUAL(gdb_kvm_reg_bytes(0x60200000001000d4ULL), 4);
	CU_ASSERT_EQUAL(gdb_kvm_reg_bytes(0x603000000013c080ULL), 8);
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_NR_REGS, 0), 0);
}

static void test_sp_follows_mode(void)
{
	/* sp is the SP the CPU uses now: PSTATE.M picks it. */
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_REG_SP, 0x3c5), AZ_REG_SP_EL1);
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_REG_SP, 0x3c4), AZ_REG_SP_EL0);
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_REG_SP, 0x0), AZ_REG_SP_EL0);
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_REG_SP, 0x9), 0);	/* EL2h */
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_REG_SP, 0x13), 0);	/* AArch32 */
	/* The named ones do not move. */
	CU_ASSERT_EQUAL(gdb_reg_kvm_id(GDB_REG_SP_EL1, 0), AZ_REG_SP_EL1);
}

static void test_value_conversion(void)
{
	uint8_t gdb[16], kvm[16];
	uint64_t d = 0x1122334455667788ULL;
	uint32_t w = 0x08000010;
	unsigned __int128 q = (unsigned __int128)0x0f0e0d0c0b0a0908ULL << 64 |
			      0x0706050403020100ULL;

	/* 64-bit: little-endian bytes whatever the host. */
	memcpy(kvm, &d, 8);
	gdb_reg_from_kvm(0, AZ_REG_X(0), kvm, gdb);
	CU_ASSERT_EQUAL(gdb[0], 0x88);
	CU_ASSERT_EQUAL(gdb[7], 0x11);

	/* 128-bit: v0's byte i is bits 8i..8i+7. */
	memcpy(kvm, &q, 16);
	gdb_reg_from_kvm(GDB_REG_V0, AZ_REG_V(0), kvm, gdb);
	for (unsigned int i = 0; i < 16; i++)
		CU_ASSERT_EQUAL(gdb[i], i);
	memset(kvm, 0, sizeof(kvm));
	gdb_reg_to_kvm(GDB_REG_V0, AZ_REG_V(0), gdb, kvm);
	CU_ASSERT(memcmp(kvm, &q, 16) == 0);

	/* 32-bit fpsr. */
	memcpy(kvm, &w, 4);
	gdb_reg_from_kvm(GDB_REG_FPSR, AZ_REG_FPSR, kvm, gdb);
	CU_ASSERT_EQUAL(gdb[0], 0x10);
	CU_ASSERT_EQUAL(gdb[3], 0x08);

	/* cpsr: 32 bits in gdb, PSTATE's upper half kept on write. */
	d = 0x00000001600003c5ULL;
	memcpy(kvm, &d, 8);
	gdb_reg_from_kvm(GDB_REG_CPSR, AZ_REG_PSTATE, kvm, gdb);
	CU_ASSERT_EQUAL(gdb[0], 0xc5);
	CU_ASSERT_EQUAL(gdb[3], 0x60);
	gdb[3] = 0x20;		/* clear Z */
	gdb_reg_to_kvm(GDB_REG_CPSR, AZ_REG_PSTATE, gdb, kvm);
	memcpy(&d, kvm, 8);
	CU_ASSERT_EQUAL(d, 0x00000001200003c5ULL);
}

static size_t count(const char *s, const char *what)
{
	size_t n = 0;

	while ((s = strstr(s, what))) {
		n++;
		s += strlen(what);
	}
	return n;
}

static void test_target_xml(void)
{
	size_t need = gdb_target_xml(NULL, 0);
	char *xml = malloc(need), small[16];
	char probe[64];

	CU_ASSERT_PTR_NOT_NULL_FATAL(xml);
	CU_ASSERT_EQUAL(gdb_target_xml(xml, need), need);
	CU_ASSERT_EQUAL(strlen(xml), need - 1);
	CU_ASSERT(strstr(xml, "<architecture>aarch64</architecture>") != NULL);
	CU_ASSERT(strstr(xml, "<feature name=\"org.gnu.gdb.aarch64.core\">") != NULL);
	CU_ASSERT(strstr(xml, "<feature name=\"org.gnu.gdb.aarch64.fpu\">") != NULL);
	CU_ASSERT(strstr(xml, "<feature name=\"org.armz.aarch64.sysregs\">") != NULL);
	CU_ASSERT_EQUAL(count(xml, "<reg "), GDB_NR_REGS);
	CU_ASSERT_EQUAL(count(xml, "<feature "), 3);
	CU_ASSERT_EQUAL(count(xml, "</feature>"), 3);
	CU_ASSERT_EQUAL(count(xml, "<union "), count(xml, "</union>"));
	/* Each register under its number, with its size. */
	for (unsigned int i = 0; i < GDB_NR_REGS; i++) {
		snprintf(probe, sizeof(probe),
			 "<reg name=\"%s\" bitsize=\"%u\"",
			 gdb_reg_get(i)->name, gdb_reg_size(i) * 8);
		CU_ASSERT(strstr(xml, probe) != NULL);
		snprintf(probe, sizeof(probe), "regnum=\"%u\"", i);
		CU_ASSERT_EQUAL(count(xml, probe), 1);
	}
	/* The V registers' type is defined before use. */
	CU_ASSERT(strstr(xml, "<union id=\"aarch64v\">") <
		  strstr(xml, "<reg name=\"v0\""));
	/* Truncates like snprintf. */
	CU_ASSERT_EQUAL(gdb_target_xml(small, sizeof(small)), need);
	CU_ASSERT_EQUAL(strlen(small), sizeof(small) - 1);
	CU_ASSERT_NSTRING_EQUAL(small, xml, sizeof(small) - 1);
	free(xml);
}

static const CU_TestInfo gdb_regs_tests[] = {
	{ "gdb numbering", test_numbering },
	{ "KVM ONE_REG ids", test_kvm_ids },
	{ "sp follows PSTATE.M", test_sp_follows_mode },
	{ "value conversion", test_value_conversion },
	{ "target.xml", test_target_xml },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(gdb_regs, gdb_regs_tests);
