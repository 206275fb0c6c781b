// SPDX-License-Identifier: GPL-2.0
/*
 * A software walk of the guest's stage-1 translation tables for the gdb
 * stub (ARM ARM, "The AArch64 Virtual Memory System Architecture": the
 * VMSAv8-64 translation table format, descriptors, TCR_EL1, TTBRn_EL1).
 * The walk has a fixed number of levels, so hostile tables cannot make
 * it loop; every descriptor is read through guest_mem_at().
 */
#include <errno.h>
#include <stdbool.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/mmu.h>

#define BIT(n)		(1ULL << (n))
#define MASK(hi, lo)	((~0ULL >> (63 - (hi))) & ~(BIT(lo) - 1))

/* Everything about one half of the VA space the walk needs. */
struct mmu_walk {
	const struct guest_mem *mem;
	bool upper;		/* VA bit 55: TTBR1 */
	bool big_endian;	/* SCTLR_EL1.EE */
	bool oa52;		/* 52-bit descriptor and TTBR formats */
	bool lpa2;		/* TCR_EL1.DS with 4K or 16K pages */
	unsigned int granule;	/* log2 of the page size: 12, 14 or 16 */
	unsigned int ia;	/* VA bits translated */
	unsigned int oa;	/* PA bits allowed (TCR_EL1.IPS) */
	int start;		/* first level: -1 to 3 */
	uint64_t table;		/* PA of the first table */
};

static int mmu_fault(struct mmu_xlat *x, enum mmu_fault f, int level,
		     uint64_t va, const char *why, uint64_t what)
{
	x->fault = f;
	x->level = level;
	return err_set(EFAULT, "VA 0x%llx: %s 0x%llx (level %d)",
		       (unsigned long long)va, why, (unsigned long long)what,
		       level);
}

/* TGn's encodings differ between the halves. 0: reserved. */
static unsigned int mmu_granule(uint64_t tcr, bool upper)
{
	if (upper) {
		switch ((tcr >> 30) & 3) {
		case 1:
			return 14;
		case 2:
			return 12;
		case 3:
			return 16;
		}
		return 0;
	}
	switch ((tcr >> 14) & 3) {
	case 0:
		return 12;
	case 1:
		return 16;
	case 2:
		return 14;
	}
	return 0;
}

static unsigned int mmu_ips_bits(uint64_t tcr)
{
	static const unsigned int bits[8] = { 32, 36, 40, 42, 44, 48, 52, 52 };

	return bits[(tcr >> 32) & 7];
}

/*
 * TnSZ outside what the granule allows is taken as the nearest allowed
 * value: 52-bit VAs need 64K pages (FEAT_LVA) or DS (FEAT_LPA2), and at
 * least one level must remain.
 */
static unsigned int mmu_txsz(uint64_t tcr, bool upper, const struct mmu_walk *w)
{
	unsigned int txsz = (unsigned int)(tcr >> (upper ? 16 : 0)) & 0x3f;
	unsigned int min = (w->granule == 16 || w->lpa2) ? 12 : 16;
	unsigned int max = w->granule == 16 ? 47 : 48;

	if (txsz < min)
		return min;
	return txsz > max ? max : txsz;
}

/* Bits of the VA one level resolves, and the first of them. */
static unsigned int mmu_level_shift(const struct mmu_walk *w, int level)
{
	return w->granule + (unsigned int)(3 - level) * (w->granule - 3);
}

static uint64_t mmu_desc_addr(const struct mmu_walk *w, uint64_t desc,
			      unsigned int shift)
{
	if (w->lpa2)
		return (desc & MASK(49, shift)) | ((desc >> 8) & 3) << 50;
	if (w->oa52)
		return (desc & MASK(47, shift)) | ((desc >> 12) & 0xf) << 48;
	return desc & MASK(47, shift);
}

static int mmu_setup(struct mmu_walk *w, const struct guest_mem *mem,
		     const struct mmu_regs *r, uint64_t va, struct mmu_xlat *x)
{
	uint64_t tcr = r->tcr, ttbr, range;
	unsigned int top, first, align;

	memset(w, 0, sizeof(*w));
	w->mem = mem;
	w->upper = va & BIT(55);
	w->big_endian = r->sctlr & MMU_SCTLR_EE;
	w->granule = mmu_granule(tcr, w->upper);
	if (!w->granule)
		return mmu_fault(x, MMU_FAULT_CONFIG, 0, va,
				 "reserved granule in TCR_EL1", tcr);
	w->lpa2 = (tcr & MMU_TCR_DS) && w->granule != 16;
	w->oa = mmu_ips_bits(tcr);
	w->oa52 = w->oa == 52 && (w->granule == 16 || w->lpa2);
	if (!w->oa52 && w->oa > 48)
		w->oa = 48;
	w->ia = 64 - mmu_txsz(tcr, w->upper, w);
	if (tcr & (w->upper ? MMU_TCR_EPD1 : MMU_TCR_EPD0))
		return mmu_fault(x, MMU_FAULT_RANGE, 0, va,
				 "walks disabled by TCR_EL1", tcr);

	/* Bits above the VA size must all equal bit 55 (TBI: up to 55). */
	top = (tcr & (w->upper ? MMU_TCR_TBI1 : MMU_TCR_TBI0)) ? 55 : 63;
	range = MASK(top, w->ia);
	if ((va & range) != (w->upper ? range : 0))
		return mmu_fault(x, MMU_FAULT_RANGE, 0, va,
				 "outside the VA range, TCR_EL1", tcr);

	w->start = 3 - (int)((w->ia - 1 - w->granule) / (w->granule - 3));
	first = mmu_level_shift(w, w->start);
	/* The first table is aligned to its size, at least 64 bytes. */
	align = w->ia - first + 3;
	ttbr = w->upper ? r->ttbr1 : r->ttbr0;
	if (w->oa52) {
		if (align < 6)
			align = 6;
		w->table = (ttbr & MASK(47, align)) | ((ttbr >> 2) & 0xf) << 48;
	} else {
		w->table = ttbr & MASK(47, align);
	}
	if (w->table >> w->oa)
		return mmu_fault(x, MMU_FAULT_ADDRESS_SIZE, w->start, va,
				 "TTBR beyond TCR_EL1.IPS", ttbr);
	return 0;
}

static bool mmu_block_allowed(const struct mmu_walk *w, int level)
{
	switch (level) {
	case 2:
		return true;
	case 1:
		return w->granule == 12 || w->lpa2 ||
		       (w->granule == 16 && w->oa52);
	case 0:
		return w->granule == 12 && w->lpa2;
	default:
		return false;
	}
}

static uint64_t mmu_read_desc(const struct mmu_walk *w, const void *p)
{
	const uint8_t *b = p;
	uint64_t v = 0;

	if (!w->big_endian)
		return le64_read(p);
	for (int i = 0; i < 8; i++)
		v = v << 8 | b[i];
	return v;
}

int mmu_translate(const struct guest_mem *mem, const struct mmu_regs *r,
		  uint64_t va, struct mmu_xlat *x)
{
	struct mmu_walk w;
	uint64_t table;
	int level, ret;

	memset(x, 0, sizeof(*x));
	if (!(r->sctlr & MMU_SCTLR_M)) {
		/* Stage 1 off: flat, in 4K steps like the smallest page. */
		if (va >> 52)
			return mmu_fault(x, MMU_FAULT_ADDRESS_SIZE, 0, va,
					 "beyond the PA range with the MMU off",
					 va);
		x->pa = va;
		x->shift = 12;
		x->len = BIT(12) - (va & (BIT(12) - 1));
		return 0;
	}
	ret = mmu_setup(&w, mem, r, va, x);
	if (ret)
		return ret;
	table = w.table;
	for (level = w.start; level <= 3; level++) {
		unsigned int shift = mmu_level_shift(&w, level);
		unsigned int bits = w.ia - shift;
		uint64_t idx, desc, oa;
		const void *p;

		if (bits > w.granule - 3)
			bits = w.granule - 3;
		idx = (va >> shift) & (BIT(bits) - 1);
		p = guest_mem_at(mem, table + idx * 8, 8);
		if (!p)
			return mmu_fault(x, MMU_FAULT_NOT_RAM, level, va,
					 "translation table outside guest RAM at",
					 table + idx * 8);
		desc = mmu_read_desc(&w, p);
		if (!(desc & 1))
			return mmu_fault(x, MMU_FAULT_TRANSLATION, level, va,
					 "invalid descriptor", desc);
		if (level < 3 && (desc & 2)) {
			table = mmu_desc_addr(&w, desc, w.granule);
			if (table >> w.oa)
				return mmu_fault(x, MMU_FAULT_ADDRESS_SIZE,
						 level, va,
						 "table beyond TCR_EL1.IPS",
						 desc);
			continue;
		}
		if (level == 3 ? !(desc & 2) : !mmu_block_allowed(&w, level))
			return mmu_fault(x, MMU_FAULT_TRANSLATION, level, va,
					 "reserved descriptor", desc);
		oa = mmu_desc_addr(&w, desc, shift);
		if (oa >> w.oa)
			return mmu_fault(x, MMU_FAULT_ADDRESS_SIZE, level, va,
					 "output address beyond TCR_EL1.IPS",
					 desc);
		x->pa = oa | (va & (BIT(shift) - 1));
		x->len = BIT(shift) - (va & (BIT(shift) - 1));
		x->level = level;
		x->shift = shift;
		return 0;
	}
	/* Not reached: level 3 always ends the walk. */
	return mmu_fault(x, MMU_FAULT_TRANSLATION, 3, va, "walk ran out", 0);
}

/*
 * The host bytes of the next piece of [va, va + len): one page or block,
 * and within it as much as lies in RAM. NULL with err_msg() set when its
 * first byte is not mapped or not RAM.
 */
static uint8_t *mmu_piece(const struct guest_mem *mem,
			  const struct mmu_regs *r, uint64_t va, size_t len,
			  size_t *n)
{
	struct mmu_xlat x;
	uint64_t want;
	uint8_t *host;

	if (mmu_translate(mem, r, va, &x))
		return NULL;
	want = x.len < len ? x.len : len;
	if (x.pa >= mem->gpa && x.pa < guest_mem_end(mem) &&
	    want > guest_mem_end(mem) - x.pa)
		want = guest_mem_end(mem) - x.pa;
	host = guest_mem_at(mem, x.pa, want);
	if (!host) {
		err_set(EFAULT, "VA 0x%llx: PA 0x%llx is not guest RAM",
			(unsigned long long)va, (unsigned long long)x.pa);
		return NULL;
	}
	*n = (size_t)want;
	return host;
}

ssize_t mmu_read(const struct guest_mem *mem, const struct mmu_regs *r,
		 uint64_t va, void *buf, size_t len)
{
	size_t done = 0, n;

	while (done < len) {
		const uint8_t *host = mmu_piece(mem, r, va + done, len - done,
						&n);

		if (!host)
			break;
		memcpy((uint8_t *)buf + done, host, n);
		done += n;
	}
	if (!done && len)
		return -EFAULT;
	return (ssize_t)done;
}

int mmu_write(const struct guest_mem *mem, const struct mmu_regs *r,
	      uint64_t va, const void *buf, size_t len)
{
	size_t done, n;

	/* Every page first, so a fault half-way writes nothing. */
	for (done = 0; done < len; done += n)
		if (!mmu_piece(mem, r, va + done, len - done, &n))
			return -EFAULT;
	for (done = 0; done < len; done += n) {
		uint8_t *host = mmu_piece(mem, r, va + done, len - done, &n);

		memcpy(host, (const uint8_t *)buf + done, n);
	}
	return 0;
}
