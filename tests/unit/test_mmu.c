// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <armz/le.h>
#include <armz/mmu.h>

#include "unit.h"

#define RAM_SIZE	(8ULL << 20)
#define RAM_GPA		0x40000000ULL
#define AF		(1ULL << 10)
/* Attribute bits a walk must ignore: UXN, PXN, nG, SH, AttrIndx 1. */
#define ATTRS		((1ULL << 54) | (1ULL << 53) | (1ULL << 11) | \
			 (3ULL << 8) | (1ULL << 2))

/*
 * Translation tables written by hand into a RAM buffer. The shift each
 * level resolves is spelled out per granule (ARM ARM, "Translation
 * granule"), not computed as the walker does.
 */
static const int shifts_4k[] = { 48, 39, 30, 21, 12 };	/* levels -1..3 */
static const int shifts_16k[] = { -1, 47, 36, 25, 14 };
static const int shifts_64k[] = { -1, -1, 42, 29, 16 };

struct pt {
	struct guest_mem mem;
	uint64_t next;		/* next free table */
	unsigned int granule;	/* log2 page size */
	const int *shifts;	/* indexed by level + 1 */
	unsigned int ia;
	int start;
	bool be, lpa2, oa52;
};

static void pt_init(struct pt *p, uint64_t gpa, unsigned int granule,
		    unsigned int ia)
{
	memset(p, 0, sizeof(*p));
	p->mem.gpa = gpa;
	p->mem.size = RAM_SIZE;
	p->mem.host = calloc(1, RAM_SIZE);
	CU_ASSERT_PTR_NOT_NULL_FATAL(p->mem.host);
	p->next = gpa;
	p->granule = granule;
	p->shifts = granule == 12 ? shifts_4k :
		    granule == 14 ? shifts_16k : shifts_64k;
	p->ia = ia;
	/* The first level that resolves bits below the VA size. */
	for (p->start = -1; p->start < 3; p->start++)
		if (p->shifts[p->start + 1] >= 0 &&
		    (unsigned int)p->shifts[p->start + 1] < ia)
			break;
}

static void pt_free(struct pt *p)
{
	free(p->mem.host);
}

static uint64_t pt_alloc(struct pt *p)
{
	uint64_t pa = p->next;

	p->next += 1ULL << p->granule;
	CU_ASSERT_FATAL(p->next <= p->mem.gpa + p->mem.size);
	return pa;
}

/* An address as a descriptor or TTBR holds it, per format. */
static uint64_t pt_enc(const struct pt *p, uint64_t pa)
{
	if (p->lpa2)
		return (pa & 0x0003fffffffff000ULL) | ((pa >> 50) & 3) << 8;
	if (p->oa52)
		return (pa & 0x0000ffffffff0000ULL) | ((pa >> 48) & 0xf) << 12;
	return pa;
}

static uint64_t pt_ttbr(const struct pt *p, uint64_t pa)
{
	if (p->lpa2 || p->oa52)
		return (pa & 0x0000ffffffffffc0ULL) | ((pa >> 48) & 0xf) << 2;
	return pa;
}

static uint64_t pt_dec(const struct pt *p, uint64_t desc)
{
	if (p->lpa2)
		return (desc & 0x0003fffffffff000ULL) | ((desc >> 8) & 3) << 50;
	if (p->oa52)
		return (desc & 0x0000ffffffff0000ULL) |
		       ((desc >> 12) & 0xf) << 48;
	return desc & 0x0000fffffffff000ULL;
}

static uint8_t *pt_host(struct pt *p, uint64_t pa)
{
	uint8_t *h = guest_mem_at(&p->mem, pa, 8);

	CU_ASSERT_PTR_NOT_NULL_FATAL(h);
	return h;
}

static uint64_t pt_get(struct pt *p, uint64_t pa)
{
	uint8_t *h = pt_host(p, pa);
	uint64_t v = 0;

	if (!p->be)
		return le64_read(h);
	for (int i = 0; i < 8; i++)
		v = v << 8 | h[i];
	return v;
}

static void pt_put(struct pt *p, uint64_t pa, uint64_t v)
{
	uint8_t *h = pt_host(p, pa);

	if (!p->be) {
		le64_write(h, v);
		return;
	}
	for (int i = 7; i >= 0; i--, v >>= 8)
		h[i] = (uint8_t)v;
}

static uint64_t pt_index(const struct pt *p, int level, uint64_t va)
{
	int shift = p->shifts[level + 1];
	unsigned int bits = p->granule - 3;

	if (level == p->start)
		bits = p->ia - (unsigned int)shift;
	return (va >> shift) & ((1ULL << bits) - 1);
}

/* Maps va to oa with a leaf at level (3: page, else block). */
static void pt_map(struct pt *p, uint64_t root, uint64_t va, uint64_t oa,
		   int level)
{
	uint64_t table = root;

	for (int l = p->start; l < level; l++) {
		uint64_t slot = table + 8 * pt_index(p, l, va);
		uint64_t desc = pt_get(p, slot);

		if (!(desc & 1)) {
			desc = pt_enc(p, pt_alloc(p)) | 3;
			pt_put(p, slot, desc);
		}
		table = pt_dec(p, desc);
	}
	/* Under DS, bits 9:8 carry the address instead of SH. */
	pt_put(p, table + 8 * pt_index(p, level, va),
	       pt_enc(p, oa) | (level == 3 ? 3 : 1) | AF |
	       (p->lpa2 ? ATTRS & ~(3ULL << 8) : ATTRS));
}

static struct mmu_xlat xlat(struct pt *p, const struct mmu_regs *r,
			    uint64_t va, int want_ret)
{
	struct mmu_xlat x;

	CU_ASSERT_EQUAL(mmu_translate(&p->mem, r, va, &x), want_ret);
	return x;
}

static void test_mmu_off(void)
{
	struct pt p;
	struct mmu_regs r = { .sctlr = 0, .tcr = ~0ULL };
	struct mmu_xlat x;
	uint8_t buf[16];

	pt_init(&p, RAM_GPA, 12, 48);
	memcpy(p.mem.host + 0x1ff8, "abcdefghijklmnop", 16);
	x = xlat(&p, &r, RAM_GPA + 0x1234, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA + 0x1234);
	CU_ASSERT_EQUAL(x.len, 0x1000 - 0x234);
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, RAM_GPA + 0x1ff8, buf, 16), 16);
	CU_ASSERT_EQUAL(memcmp(buf, "abcdefghijklmnop", 16), 0);
	/* Outside RAM: nothing, or up to its end. */
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, 0x09000000, buf, 4), -EFAULT);
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, RAM_GPA + RAM_SIZE - 4, buf, 16),
			4);
	CU_ASSERT_EQUAL(mmu_write(&p.mem, &r, RAM_GPA + RAM_SIZE - 4, buf, 16),
			-EFAULT);
	xlat(&p, &r, 1ULL << 60, -EFAULT);
	pt_free(&p);
}

/* 4K, 48 bits: indices 1, 1, 1, 1 and offset 0x123, entries by hand. */
static void literal_4k(bool be)
{
	struct pt p;
	uint64_t l0 = RAM_GPA, l1 = RAM_GPA + 0x1000, l2 = RAM_GPA + 0x2000,
		 l3 = RAM_GPA + 0x3000, page = RAM_GPA + 0x100000;
	struct mmu_regs r = {
		.sctlr = MMU_SCTLR_M | (be ? MMU_SCTLR_EE : 0),
		.tcr = MMU_TCR_T0SZ(16) | MMU_TCR_TG0_4K | MMU_TCR_IPS(5),
		.ttbr0 = l0 | (0x42ULL << 48),	/* an ASID, ignored */
	};
	struct mmu_xlat x;

	pt_init(&p, RAM_GPA, 12, 48);
	p.be = be;
	pt_put(&p, l0 + 8, l1 | 3);
	pt_put(&p, l1 + 8, l2 | 3);
	pt_put(&p, l2 + 8, l3 | 3);
	pt_put(&p, l3 + 8, page | 3 | AF);
	x = xlat(&p, &r, 0x0000008040201123ULL, 0);
	CU_ASSERT_EQUAL(x.pa, page + 0x123);
	CU_ASSERT_EQUAL(x.len, 0x1000 - 0x123);
	CU_ASSERT_EQUAL(x.level, 3);
	CU_ASSERT_EQUAL(x.shift, 12);
	/* The neighbouring page has no entry. */
	x = xlat(&p, &r, 0x0000008040202000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_TRANSLATION);
	CU_ASSERT_EQUAL(x.level, 3);
	/* Tables read in the other byte order do not translate. */
	r.sctlr ^= MMU_SCTLR_EE;
	x = xlat(&p, &r, 0x0000008040201123ULL, -EFAULT);
	pt_free(&p);
}

static void test_4k_literal(void)
{
	literal_4k(false);
}

static void test_4k_big_endian_tables(void)
{
	literal_4k(true);
}

static void test_4k_blocks(void)
{
	struct pt p;
	uint64_t root;
	struct mmu_regs r = {
		.sctlr = MMU_SCTLR_M,
		.tcr = MMU_TCR_T0SZ(16) | MMU_TCR_TG0_4K | MMU_TCR_IPS(5),
	};
	struct mmu_xlat x;
	uint8_t buf[16];

	pt_init(&p, RAM_GPA, 12, 48);
	root = pt_alloc(&p);
	r.ttbr0 = root;
	pt_map(&p, root, 0x40000000ULL, 0x40000000ULL, 1);	/* 1G */
	pt_map(&p, root, 0x0000123400200000ULL, RAM_GPA + 0x600000, 2);
	x = xlat(&p, &r, 0x40123456ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x40123456ULL);
	CU_ASSERT_EQUAL(x.level, 1);
	CU_ASSERT_EQUAL(x.shift, 30);
	CU_ASSERT_EQUAL(x.len, (1ULL << 30) - 0x123456);
	/* The block runs past the end of RAM: reads stop there. */
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, RAM_GPA + RAM_SIZE - 8, buf, 16),
			8);
	x = xlat(&p, &r, 0x00001234002abcdeULL, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA + 0x6abcde);
	CU_ASSERT_EQUAL(x.level, 2);
	CU_ASSERT_EQUAL(x.len, 0x200000 - 0xabcde);
	/* No block at level 0 with 4K pages (without DS). */
	pt_put(&p, root + 8 * 5, (5ULL << 39) | 1 | AF);
	x = xlat(&p, &r, 5ULL << 39, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_TRANSLATION);
	CU_ASSERT_EQUAL(x.level, 0);
	pt_free(&p);
}

static uint64_t lcg(uint64_t *s)
{
	*s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
	return *s ^ (*s >> 29);
}

static uint64_t tcr_for(unsigned int granule, unsigned int txsz, bool upper)
{
	if (upper)
		return MMU_TCR_T1SZ(txsz) | MMU_TCR_EPD0 |
		       (granule == 12 ? MMU_TCR_TG1_4K :
			granule == 14 ? MMU_TCR_TG1_16K : MMU_TCR_TG1_64K);
	return MMU_TCR_T0SZ(txsz) | MMU_TCR_EPD1 |
	       (granule == 12 ? MMU_TCR_TG0_4K :
		granule == 14 ? MMU_TCR_TG0_16K : MMU_TCR_TG0_64K);
}

/*
 * Pages scattered over the whole VA range of each granule and size,
 * TTBR0 and TTBR1, each mapped to its own RAM page.
 */
static void test_granules_and_sizes(void)
{
	static const struct {
		unsigned int granule, txsz;
		int start;		/* expected first level */
	} cfg[] = {
		{ 12, 16, 0 }, { 12, 20, 0 }, { 12, 24, 0 }, { 12, 25, 1 },
		{ 12, 28, 1 },
		{ 14, 16, 0 }, { 14, 17, 1 }, { 14, 22, 1 }, { 14, 25, 1 },
		{ 16, 16, 1 }, { 16, 21, 1 }, { 16, 22, 2 }, { 16, 25, 2 },
	};
	uint64_t seed = 1;

	for (size_t c = 0; c < sizeof(cfg) / sizeof(cfg[0]); c++)
		for (int upper = 0; upper < 2; upper++) {
			unsigned int g = cfg[c].granule, ia = 64 - cfg[c].txsz;
			uint64_t root, vas[8], pas[8];
			struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
			struct pt p;

			pt_init(&p, RAM_GPA, g, ia);
			CU_ASSERT_EQUAL(p.start, cfg[c].start);
			root = pt_alloc(&p);
			r.tcr = tcr_for(g, cfg[c].txsz, upper) | MMU_TCR_IPS(5);
			if (upper)
				r.ttbr1 = root;
			else
				r.ttbr0 = root;
			for (int i = 0; i < 8; i++) {
				uint64_t va = lcg(&seed) & ((1ULL << ia) - 1);

				if (upper)
					va |= ~0ULL << ia;
				vas[i] = va;
				pas[i] = RAM_GPA + RAM_SIZE / 2 +
					 ((uint64_t)i << g);
				pt_map(&p, root, va, pas[i], 3);
			}
			for (int i = 0; i < 8; i++) {
				uint64_t off = vas[i] & ((1ULL << g) - 1);
				struct mmu_xlat x = xlat(&p, &r, vas[i], 0);

				/* Two random VAs may share a page. */
				if (x.pa != pas[i] + off) {
					int j;

					for (j = i + 1; j < 8; j++)
						if (!((vas[i] ^ vas[j]) >> g))
							break;
					CU_ASSERT(j < 8);
					continue;
				}
				CU_ASSERT_EQUAL(x.level, 3);
				CU_ASSERT_EQUAL(x.shift, g);
				CU_ASSERT_EQUAL(x.len, (1ULL << g) - off);
			}
			/* The other half is disabled. */
			xlat(&p, &r, upper ? 0x1000 : ~0ULL << ia, -EFAULT);
			pt_free(&p);
		}
}

static void test_16k_64k_blocks(void)
{
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	struct mmu_xlat x;
	uint64_t root;
	struct pt p;

	/* 16K: 32M blocks at level 2; none at level 1 without DS. */
	pt_init(&p, RAM_GPA, 14, 48);
	root = pt_alloc(&p);
	r.tcr = tcr_for(14, 16, false) | MMU_TCR_IPS(5);
	r.ttbr0 = root;
	pt_map(&p, root, 0x0000700002000000ULL, 0x80000000ULL, 2);
	x = xlat(&p, &r, 0x0000700003234567ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x81234567ULL);
	CU_ASSERT_EQUAL(x.level, 2);
	CU_ASSERT_EQUAL(x.shift, 25);
	pt_map(&p, root, 0x0000100000000000ULL, 0x1000000000ULL, 1);
	x = xlat(&p, &r, 0x0000100000000000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_TRANSLATION);
	CU_ASSERT_EQUAL(x.level, 1);
	pt_free(&p);

	/* 64K: 512M blocks at level 2, upper half, 42 bits. */
	pt_init(&p, RAM_GPA, 16, 42);
	root = pt_alloc(&p);
	r.tcr = tcr_for(16, 22, true) | MMU_TCR_IPS(5);
	r.ttbr1 = root;
	pt_map(&p, root, 0xfffffe0020000000ULL, 0x20000000ULL, 2);
	x = xlat(&p, &r, 0xfffffe002fedcba9ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x2fedcba9ULL);
	CU_ASSERT_EQUAL(x.level, 2);
	CU_ASSERT_EQUAL(x.shift, 29);
	CU_ASSERT_EQUAL(x.len, 0x20000000ULL - 0xfedcba9ULL);
	pt_free(&p);
}

static void test_tbi_and_range(void)
{
	struct pt p;
	uint64_t root0, root1;
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	struct mmu_xlat x;

	pt_init(&p, RAM_GPA, 12, 39);
	root0 = pt_alloc(&p);
	root1 = pt_alloc(&p);
	r.ttbr0 = root0;
	r.ttbr1 = root1;
	r.tcr = MMU_TCR_T0SZ(25) | MMU_TCR_TG0_4K | MMU_TCR_T1SZ(25) |
		MMU_TCR_TG1_4K | MMU_TCR_IPS(5);
	pt_map(&p, root0, 0x0000004000123000ULL, RAM_GPA + 0x400000, 3);
	pt_map(&p, root1, 0xffffffc000456000ULL, RAM_GPA + 0x401000, 3);

	x = xlat(&p, &r, 0x0000004000123abcULL, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA + 0x400abc);
	x = xlat(&p, &r, 0xffffffc000456def, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA + 0x401def);

	/* A tag in the top byte: a fault until TBI says to ignore it. */
	x = xlat(&p, &r, 0x5a00004000123abcULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_RANGE);
	x = xlat(&p, &r, 0x5affffc000456defULL, -EFAULT);
	r.tcr |= MMU_TCR_TBI0;
	x = xlat(&p, &r, 0x5a00004000123abcULL, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA + 0x400abc);
	/* TBI0 does not cover the upper half. */
	x = xlat(&p, &r, 0x5affffc000456defULL, -EFAULT);
	r.tcr |= MMU_TCR_TBI1;
	x = xlat(&p, &r, 0x5affffc000456defULL, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA + 0x401def);

	/* Beyond 39 bits, in either half. */
	x = xlat(&p, &r, 0x0000008000000000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_RANGE);
	x = xlat(&p, &r, 0xffffff0000000000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_RANGE);
	/* EPD0 turns the lower half off. */
	r.tcr |= MMU_TCR_EPD0;
	x = xlat(&p, &r, 0x0000004000123abcULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_RANGE);
	/* A reserved TG1 encoding. */
	r.tcr &= ~(3ULL << 30);
	x = xlat(&p, &r, 0xffffffc000456def, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_CONFIG);
	pt_free(&p);
}

/* 52-bit VAs and PAs with 64K pages: FEAT_LVA and FEAT_LPA. */
static void test_64k_52bit(void)
{
	uint64_t high = 0x000a000000000000ULL;	/* PA bits 51 and 49 */
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	uint64_t root, va = 0xfff8123456789abcULL;
	struct mmu_xlat x;
	struct pt p;

	pt_init(&p, high, 16, 52);
	p.oa52 = true;
	CU_ASSERT_EQUAL(p.start, 1);
	root = pt_alloc(&p);
	r.tcr = tcr_for(16, 12, true) | MMU_TCR_IPS(6);
	r.ttbr1 = pt_ttbr(&p, root);
	pt_map(&p, root, va, high + 0x700000, 3);
	x = xlat(&p, &r, va, 0);
	CU_ASSERT_EQUAL(x.pa, high + 0x709abc);
	CU_ASSERT_EQUAL(x.level, 3);
	/* Level 1 blocks (4T) exist with 52-bit PAs. */
	pt_map(&p, root, 0xfff4000000000000ULL, 0x000b040000000000ULL, 1);
	x = xlat(&p, &r, 0xfff4012345678000ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x000b040000000000ULL + 0x12345678000ULL);
	CU_ASSERT_EQUAL(x.level, 1);
	CU_ASSERT_EQUAL(x.shift, 42);
	/* With 48-bit PAs the same tables are out of reach. */
	r.tcr = tcr_for(16, 12, true) | MMU_TCR_IPS(5);
	xlat(&p, &r, va, -EFAULT);
	/* And 52-bit VAs need every bit above them set. */
	r.tcr = tcr_for(16, 12, true) | MMU_TCR_IPS(6);
	x = xlat(&p, &r, 0xffe8123456789abcULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_RANGE);
	pt_free(&p);

	/*
	 * 43 bits: a first table of two entries, still 64-byte aligned,
	 * so TTBR bits 5:2 are PA bits 51:48 and not part of the base.
	 */
	pt_init(&p, high, 16, 43);
	p.oa52 = true;
	root = pt_alloc(&p);
	r.tcr = tcr_for(16, 21, false) | MMU_TCR_IPS(6);
	r.ttbr0 = pt_ttbr(&p, root);
	CU_ASSERT_EQUAL(r.ttbr0 & 0x3c, 0x28);
	va = 0x0000041234567000ULL;
	pt_map(&p, root, va, high + 0x7f0000, 3);
	x = xlat(&p, &r, va, 0);
	CU_ASSERT_EQUAL(x.pa, high + 0x7f7000);
	pt_free(&p);
}

/* 52 bits with 4K and 16K pages under TCR_EL1.DS: FEAT_LPA2. */
static void test_lpa2(void)
{
	uint64_t high = 0x000c000040000000ULL;	/* PA bits 51 and 50 */
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	uint64_t root, va = 0x000f812345678abcULL;
	struct mmu_xlat x;
	struct pt p;

	/* 4K: a level -1 table resolves VA bits 51:48. */
	pt_init(&p, high, 12, 52);
	p.lpa2 = true;
	CU_ASSERT_EQUAL(p.start, -1);
	root = pt_alloc(&p);
	r.tcr = tcr_for(12, 12, false) | MMU_TCR_IPS(6) | MMU_TCR_DS;
	r.ttbr0 = pt_ttbr(&p, root);
	pt_map(&p, root, va, high + 0x345000, 3);
	x = xlat(&p, &r, va, 0);
	CU_ASSERT_EQUAL(x.pa, high + 0x345abc);
	CU_ASSERT_EQUAL(x.level, 3);
	/* Level 0 blocks (512G) exist under DS. */
	pt_map(&p, root, 0x0001008000000000ULL, 0x000c008000000000ULL, 0);
	x = xlat(&p, &r, 0x0001008012345678ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x000c008012345678ULL);
	CU_ASSERT_EQUAL(x.level, 0);
	CU_ASSERT_EQUAL(x.shift, 39);
	pt_free(&p);

	/* 16K: five bits at level 0, 64G blocks at level 1. */
	pt_init(&p, high, 14, 52);
	p.lpa2 = true;
	CU_ASSERT_EQUAL(p.start, 0);
	root = pt_alloc(&p);
	r.tcr = tcr_for(14, 12, true) | MMU_TCR_IPS(6) | MMU_TCR_DS;
	r.ttbr1 = pt_ttbr(&p, root);
	va = 0xfff7123456789abcULL;
	pt_map(&p, root, va, high + 0x348000, 3);
	x = xlat(&p, &r, va, 0);
	CU_ASSERT_EQUAL(x.pa, high + 0x349abc);
	pt_map(&p, root, 0xfff0001000000000ULL, 0x000c001000000000ULL, 1);
	x = xlat(&p, &r, 0xfff0001234567890ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x000c001234567890ULL);
	CU_ASSERT_EQUAL(x.level, 1);
	CU_ASSERT_EQUAL(x.shift, 36);
	/* Without DS, 16K VAs stop at 48 bits. */
	r.tcr &= ~MMU_TCR_DS;
	xlat(&p, &r, va, -EFAULT);
	pt_free(&p);
}

static void test_address_size(void)
{
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	struct mmu_xlat x;
	uint64_t root;
	struct pt p;

	/* IPS = 32 bits: a page at 4G is beyond it. */
	pt_init(&p, RAM_GPA, 12, 48);
	root = pt_alloc(&p);
	r.tcr = tcr_for(12, 16, false) | MMU_TCR_IPS(0);
	r.ttbr0 = root;
	pt_map(&p, root, 0x1000, 0x100000000ULL, 3);
	pt_map(&p, root, 0x2000, RAM_GPA, 3);
	x = xlat(&p, &r, 0x1000, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_ADDRESS_SIZE);
	CU_ASSERT_EQUAL(x.level, 3);
	x = xlat(&p, &r, 0x2000, 0);
	CU_ASSERT_EQUAL(x.pa, RAM_GPA);
	/* A next-level table beyond it, before it is even looked for. */
	pt_put(&p, root + 8, 0x100000000ULL | 3);
	x = xlat(&p, &r, 0x0000008000000000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_ADDRESS_SIZE);
	CU_ASSERT_EQUAL(x.level, 0);
	pt_free(&p);

	/* Tables themselves beyond it, though in RAM. */
	pt_init(&p, 0x140000000ULL, 12, 48);
	root = pt_alloc(&p);
	r.ttbr0 = root;
	pt_map(&p, root, 0x2000, 0x140000000ULL, 3);
	x = xlat(&p, &r, 0x2000, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_ADDRESS_SIZE);
	/* The TTBR is refused before any entry is read. */
	x = xlat(&p, &r, 0x0000008000000000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_ADDRESS_SIZE);
	r.tcr = tcr_for(12, 16, false) | MMU_TCR_IPS(1);	/* 36 bits */
	x = xlat(&p, &r, 0x2000, 0);
	CU_ASSERT_EQUAL(x.pa, 0x140000000ULL);
	pt_free(&p);
}

/* Tables a hostile guest may write: faults, never a stray access. */
static void test_hostile_tables(void)
{
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	struct mmu_xlat x;
	uint64_t root, l3;
	uint8_t buf[8];
	struct pt p;

	pt_init(&p, RAM_GPA, 12, 48);
	root = pt_alloc(&p);
	r.tcr = tcr_for(12, 16, false) | MMU_TCR_IPS(5);
	r.ttbr0 = root;

	/* A next-level table in a hole, and just past the end of RAM. */
	pt_put(&p, root, 0x1000 | 3);
	x = xlat(&p, &r, 0x1000, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_NOT_RAM);
	CU_ASSERT_EQUAL(x.level, 1);
	pt_put(&p, root, (RAM_GPA + RAM_SIZE) | 3);
	x = xlat(&p, &r, 0x1000, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_NOT_RAM);
	/* A TTBR outside RAM. */
	r.ttbr0 = 0x08000000;
	x = xlat(&p, &r, 0x1000, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_NOT_RAM);
	CU_ASSERT_EQUAL(x.level, 0);
	r.ttbr0 = root;

	/* A table that points at itself: four levels, then done. */
	pt_put(&p, root, root | 3);
	x = xlat(&p, &r, 0x0000000000000abcULL, 0);
	CU_ASSERT_EQUAL(x.pa, root + 0xabc);
	CU_ASSERT_EQUAL(x.level, 3);

	/* A leaf on a device: translated, but not read or written. */
	pt_put(&p, root + 8, pt_alloc(&p) | 3);
	pt_map(&p, root, 0x0000008000000000ULL, 0x09000000, 2);
	x = xlat(&p, &r, 0x0000008000000010ULL, 0);
	CU_ASSERT_EQUAL(x.pa, 0x09000010);
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, 0x0000008000000010ULL, buf, 8),
			-EFAULT);
	CU_ASSERT_EQUAL(mmu_write(&p.mem, &r, 0x0000008000000010ULL, buf, 8),
			-EFAULT);

	/* Level 3's 0b01 is reserved. */
	pt_map(&p, root, 0x0000010000000000ULL, RAM_GPA, 3);
	x = xlat(&p, &r, 0x0000010000000000ULL, 0);
	l3 = p.next - 0x1000;	/* the last table pt_map() made */
	pt_put(&p, l3, pt_get(&p, l3) & ~2ULL);
	x = xlat(&p, &r, 0x0000010000000000ULL, -EFAULT);
	CU_ASSERT_EQUAL(x.fault, MMU_FAULT_TRANSLATION);
	CU_ASSERT_EQUAL(x.level, 3);
	pt_free(&p);
}

/* Random tables and addresses: ASan and UBSan watch every access. */
static void test_garbage_tables(void)
{
	static const unsigned int granules[] = { 12, 14, 16 };
	uint64_t seed = 42;

	for (size_t g = 0; g < 3; g++) {
		struct pt p;
		uint8_t buf[64];

		pt_init(&p, RAM_GPA, granules[g], 48);
		for (size_t i = 0; i < RAM_SIZE; i += 8) {
			/* Mostly pointers into RAM or just outside it. */
			uint64_t v = lcg(&seed);

			v = (RAM_GPA - 0x10000 + (v % (RAM_SIZE + 0x20000))) |
			    (v >> 62) | (lcg(&seed) & (3ULL << 62));
			le64_write(p.mem.host + i, v);
		}
		for (int i = 0; i < 4000; i++) {
			struct mmu_regs r = {
				.sctlr = MMU_SCTLR_M | (lcg(&seed) & MMU_SCTLR_EE),
				.tcr = lcg(&seed) & ~MMU_TCR_EPD0 & ~MMU_TCR_EPD1,
				.ttbr0 = RAM_GPA + lcg(&seed) % RAM_SIZE,
				.ttbr1 = RAM_GPA + lcg(&seed) % RAM_SIZE,
			};
			uint64_t va = lcg(&seed);
			struct mmu_xlat x;
			ssize_t n;

			if (!mmu_translate(&p.mem, &r, va, &x)) {
				CU_ASSERT(x.len > 0);
				CU_ASSERT(x.fault == MMU_OK);
			} else {
				CU_ASSERT(x.fault != MMU_OK);
			}
			n = mmu_read(&p.mem, &r, va, buf, sizeof(buf));
			CU_ASSERT(n == -EFAULT || (n > 0 && n <= 64));
		}
		pt_free(&p);
	}
}

/* Two VA pages backwards in RAM, then an unmapped one. */
static void test_read_write_across_pages(void)
{
	struct mmu_regs r = { .sctlr = MMU_SCTLR_M };
	uint64_t root, va = 0xffff800000010000ULL;
	uint64_t pa0 = RAM_GPA + 0x300000, pa1 = RAM_GPA + 0x200000;
	uint8_t buf[32], want[32];
	struct pt p;

	pt_init(&p, RAM_GPA, 12, 48);
	root = pt_alloc(&p);
	r.tcr = tcr_for(12, 16, true) | MMU_TCR_IPS(5);
	r.ttbr1 = root;
	pt_map(&p, root, va, pa0, 3);
	pt_map(&p, root, va + 0x1000, pa1, 3);
	memset(p.mem.host + (pa0 - RAM_GPA) + 0xff0, 0xaa, 16);
	memset(p.mem.host + (pa1 - RAM_GPA), 0xbb, 16);

	/* Read across: the second half comes from the other page. */
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, va + 0xff0, buf, 32), 32);
	memset(want, 0xaa, 16);
	memset(want + 16, 0xbb, 16);
	CU_ASSERT_EQUAL(memcmp(buf, want, 32), 0);

	/* Write across. */
	for (int i = 0; i < 32; i++)
		buf[i] = (uint8_t)i;
	CU_ASSERT_EQUAL(mmu_write(&p.mem, &r, va + 0xff0, buf, 32), 0);
	CU_ASSERT_EQUAL(memcmp(p.mem.host + (pa0 - RAM_GPA) + 0xff0, buf, 16),
			0);
	CU_ASSERT_EQUAL(memcmp(p.mem.host + (pa1 - RAM_GPA), buf + 16, 16), 0);

	/* Into the unmapped third page: a short read, no write at all. */
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, va + 0x1ff8, buf, 32), 8);
	memset(buf, 0xee, sizeof(buf));
	CU_ASSERT_EQUAL(mmu_write(&p.mem, &r, va + 0x1ff8, buf, 32), -EFAULT);
	CU_ASSERT_EQUAL(p.mem.host[(pa1 - RAM_GPA) + 0xff8], 0);
	CU_ASSERT_EQUAL(mmu_read(&p.mem, &r, va + 0x2000, buf, 4), -EFAULT);
	pt_free(&p);
}

static const CU_TestInfo mmu_tests[] = {
	{ "MMU off", test_mmu_off },
	{ "4K, 48 bits, by hand", test_4k_literal },
	{ "big-endian tables (SCTLR_EL1.EE)", test_4k_big_endian_tables },
	{ "4K blocks", test_4k_blocks },
	{ "every granule, 36 to 48 bits, both halves", test_granules_and_sizes },
	{ "16K and 64K blocks", test_16k_64k_blocks },
	{ "TBI, VA range, EPD, reserved TG", test_tbi_and_range },
	{ "64K, 52-bit VA and PA", test_64k_52bit },
	{ "LPA2: 4K and 16K, 52 bits", test_lpa2 },
	{ "address size", test_address_size },
	{ "hostile tables", test_hostile_tables },
	{ "garbage tables", test_garbage_tables },
	{ "read and write across pages", test_read_write_across_pages },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(mmu, mmu_tests);
