// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/loader.h>
#include <armz/memmap.h>

#include "unit.h"

#define RAM_SIZE	(1U << 20)
#define RAM_END		(MEMMAP_RAM_BASE + RAM_SIZE)
#define FILL		0xaa

#define PHOFF		64
#define PHENT		56
#define SEG0_OFF	0x100
#define SEG0_ADDR	(MEMMAP_RAM_BASE + 0x1000)
#define SEG1_OFF	0x200
#define SEG1_ADDR	(MEMMAP_RAM_BASE + 0x80000)
#define SEG1_MEMSZ	0x100
#define ELF_LEN		0x210

static uint8_t ram[RAM_SIZE];
static const struct guest_mem mem = {
	.gpa = MEMMAP_RAM_BASE, .size = RAM_SIZE, .host = ram,
};
static uint8_t elf[ELF_LEN];

static void phdr(unsigned int i, uint32_t type, uint64_t off, uint64_t paddr,
		 uint64_t filesz, uint64_t memsz)
{
	uint8_t *p = elf + PHOFF + i * PHENT;

	le32_write(p, type);
	le32_write(p + 4, 5);			/* PF_R | PF_X */
	le64_write(p + 8, off);
	le64_write(p + 16, paddr ^ 0xffff000000000000ULL); /* vaddr: unused */
	le64_write(p + 24, paddr);
	le64_write(p + 32, filesz);
	le64_write(p + 40, memsz);
	le64_write(p + 48, 0x1000);
}

/*
 * A little-endian AArch64 executable: text at SEG0, data + bss at SEG1,
 * and a PT_NOTE whose address is nonsense and must be ignored.
 */
static void elf_build(void)
{
	unsigned int i;

	memset(elf, 0, sizeof(elf));
	memcpy(elf, "\177ELF\2\1\1", 7);
	le16_write(elf + 16, 2);		/* ET_EXEC */
	le16_write(elf + 18, 183);		/* EM_AARCH64 */
	le32_write(elf + 20, 1);
	le64_write(elf + 24, SEG0_ADDR + 8);	/* e_entry */
	le64_write(elf + 32, PHOFF);
	le16_write(elf + 52, 64);
	le16_write(elf + 54, PHENT);
	le16_write(elf + 56, 3);
	phdr(0, 1, SEG0_OFF, SEG0_ADDR, 16, 16);
	phdr(1, 4, 0, 0x1234, 8, 8);		/* PT_NOTE */
	phdr(2, 1, SEG1_OFF, SEG1_ADDR, 16, SEG1_MEMSZ);
	for (i = 0; i < 16; i++) {
		elf[SEG0_OFF + i] = (uint8_t)(0x10 + i);
		elf[SEG1_OFF + i] = (uint8_t)(0x40 + i);
	}
}

static void ram_fill(void)
{
	memset(ram, FILL, sizeof(ram));
}

static bool ram_untouched(void)
{
	size_t i;

	for (i = 0; i < sizeof(ram); i++)
		if (ram[i] != FILL)
			return false;
	return true;
}

static uint8_t *at(uint64_t gpa)
{
	return ram + (gpa - MEMMAP_RAM_BASE);
}

static void test_payload_elf(void)
{
	uint64_t entry = 0;
	unsigned int i;

	elf_build();
	ram_fill();
	CU_ASSERT_EQUAL(payload_load(&mem, elf, sizeof(elf), false, 0, &entry),
			0);
	CU_ASSERT_EQUAL(entry, SEG0_ADDR + 8);
	CU_ASSERT_EQUAL(memcmp(at(SEG0_ADDR), elf + SEG0_OFF, 16), 0);
	CU_ASSERT_EQUAL(*at(SEG0_ADDR - 1), FILL);
	CU_ASSERT_EQUAL(*at(SEG0_ADDR + 16), FILL);
	CU_ASSERT_EQUAL(memcmp(at(SEG1_ADDR), elf + SEG1_OFF, 16), 0);
	for (i = 16; i < SEG1_MEMSZ; i++)
		if (*at(SEG1_ADDR + i) != 0)
			break;
	CU_ASSERT_EQUAL(i, SEG1_MEMSZ);		/* bss zeroed */
	CU_ASSERT_EQUAL(*at(SEG1_ADDR + SEG1_MEMSZ), FILL);
	/* The load address option does not apply to ELF. */
	CU_ASSERT_EQUAL(payload_load(&mem, elf, sizeof(elf), true,
				     MEMMAP_RAM_BASE + 0x4000, &entry), 0);
	CU_ASSERT_EQUAL(entry, SEG0_ADDR + 8);
}

static void test_payload_raw(void)
{
	/* b .; nop */
	static const uint8_t code[] = {
		0x00, 0x00, 0x00, 0x14, 0x1f, 0x20, 0x03, 0xd5,
	};
	uint64_t entry = 0;

	ram_fill();
	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), true,
				     MEMMAP_RAM_BASE + 0x10000, &entry), 0);
	CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE + 0x10000);
	CU_ASSERT_EQUAL(memcmp(at(entry), code, sizeof(code)), 0);
	CU_ASSERT_EQUAL(*at(entry + sizeof(code)), FILL);

	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), false, 0x1234,
				     &entry), 0);
	CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE);
	CU_ASSERT_EQUAL(memcmp(ram, code, sizeof(code)), 0);

	/* Exactly at the end of RAM fits; one word further does not. */
	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), true,
				     RAM_END - sizeof(code), &entry), 0);
	ram_fill();
	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), true,
				     RAM_END - 4, &entry), -EINVAL);
	CU_ASSERT(strstr(err_msg(), "outside RAM") != NULL);
	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), true,
				     MEMMAP_RAM_BASE - 8, &entry), -EINVAL);
	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), true,
				     UINT64_MAX - 3, &entry), -EINVAL);
	CU_ASSERT_EQUAL(payload_load(&mem, code, sizeof(code), true,
				     MEMMAP_RAM_BASE + 2, &entry), -EINVAL);
	CU_ASSERT_EQUAL(payload_load(&mem, code, 0, false, 0, &entry),
			-EINVAL);
	CU_ASSERT(ram_untouched());
}

static void expect_rejected(size_t len)
{
	uint64_t entry = 0x5555;

	ram_fill();
	CU_ASSERT_EQUAL(payload_load(&mem, elf, len, false, 0, &entry),
			-EINVAL);
	CU_ASSERT_EQUAL(entry, 0x5555);
	CU_ASSERT(ram_untouched());
}

static void test_payload_outside_ram(void)
{
	char want[128];

	/* The second segment is bad: the first must not be written either. */
	elf_build();
	phdr(2, 1, SEG1_OFF, RAM_END - 0x80, 16, SEG1_MEMSZ);
	expect_rejected(sizeof(elf));
	snprintf(want, sizeof(want), "payload segment 0x%llx +0x%x lies "
		 "outside RAM 0x%llx-0x%llx", RAM_END - 0x80, SEG1_MEMSZ,
		 MEMMAP_RAM_BASE, RAM_END);
	CU_ASSERT_STRING_EQUAL(err_msg(), want);

	elf_build();
	phdr(0, 1, SEG0_OFF, 0x1000, 16, 16);
	expect_rejected(sizeof(elf));
	elf_build();
	phdr(0, 1, SEG0_OFF, UINT64_MAX - 8, 16, 16);
	expect_rejected(sizeof(elf));

	elf_build();
	le64_write(elf + 24, RAM_END);		/* entry */
	expect_rejected(sizeof(elf));
	elf_build();
	le64_write(elf + 24, SEG0_ADDR + 2);
	expect_rejected(sizeof(elf));
}

static void test_payload_truncated(void)
{
	elf_build();
	expect_rejected(40);			/* inside the ELF header */
	expect_rejected(PHOFF + 2 * PHENT);	/* inside the phdrs */
	expect_rejected(SEG1_OFF + 8);		/* inside segment data */

	elf_build();
	le64_write(elf + 32, UINT64_MAX - 16);	/* e_phoff */
	expect_rejected(sizeof(elf));
	elf_build();
	le16_write(elf + 56, 0xffff);		/* e_phnum = PN_XNUM */
	expect_rejected(sizeof(elf));
	elf_build();
	le16_write(elf + 54, 32);		/* e_phentsize too small */
	expect_rejected(sizeof(elf));
	elf_build();
	phdr(0, 1, UINT64_MAX - 4, SEG0_ADDR, 16, 16);
	expect_rejected(sizeof(elf));
	elf_build();
	phdr(0, 1, SEG0_OFF, SEG0_ADDR, 32, 16);	/* filesz > memsz */
	expect_rejected(sizeof(elf));
}

static void test_payload_wrong_elf(void)
{
	elf_build();
	elf[4] = 1;				/* ELFCLASS32 */
	expect_rejected(sizeof(elf));
	elf_build();
	elf[5] = 2;				/* ELFDATA2MSB */
	expect_rejected(sizeof(elf));
	elf_build();
	le16_write(elf + 18, 62);		/* EM_X86_64 */
	expect_rejected(sizeof(elf));
	CU_ASSERT(strstr(err_msg(), "machine 62") != NULL);
	elf_build();
	le16_write(elf + 16, 1);		/* ET_REL */
	expect_rejected(sizeof(elf));
	elf_build();
	le16_write(elf + 56, 0);
	expect_rejected(sizeof(elf));
	elf_build();
	phdr(0, 4, 0, 0, 0, 0);
	phdr(2, 1, 0, 0, 0, 0);			/* empty PT_LOAD only */
	expect_rejected(sizeof(elf));
}

static const CU_TestInfo payload_tests[] = {
	{ "ELF segments and bss", test_payload_elf },
	{ "raw binary", test_payload_raw },
	{ "ELF outside RAM", test_payload_outside_ram },
	{ "truncated ELF", test_payload_truncated },
	{ "wrong ELF", test_payload_wrong_elf },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(payload, payload_tests)
