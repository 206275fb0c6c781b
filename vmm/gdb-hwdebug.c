// SPDX-License-Identifier: GPL-2.0
/*
 * Hardware breakpoint and watchpoint slots for KVM_SET_GUEST_DEBUG, the
 * meaning of a KVM_EXIT_DEBUG, and the exception entry that gives a
 * guest its own BRK back. Register layouts from the ARM ARM: DBGBCR,
 * DBGWCR, ESR_EL1, SPSR_EL1, and "Exception entry" for the vector
 * offsets and the PSTATE an exception to EL1 leaves.
 */
#include <errno.h>
#include <string.h>

#include <armz/gdb-hwdebug.h>

/* DBGBCR/DBGWCR fields. */
#define DBG_E			(1ULL << 0)
#define DBG_EL1_EL0		(3ULL << 1)	/* PMC/PAC: EL1 and EL0 */
#define DBGB_BAS_A64		(0xfULL << 5)	/* any A64 insn */
#define DBGW_LSC(n)		((uint64_t)(n) << 3)
#define DBGW_LSC_LOAD		1
#define DBGW_LSC_STORE		2
#define DBGW_BAS(b)		((uint64_t)(b) << 5)
#define DBGW_MASK(n)		((uint64_t)(n) << 24)
#define DBGW_MASK_MAX		31		/* 2 GiB */

/* PSTATE/SPSR bits an exception entry keeps or sets. */
#define PSR_NZCV		0xf0000000ULL
#define PSR_DIT			(1ULL << 24)
#define PSR_PAN			(1ULL << 22)
#define PSR_SSBS		(1ULL << 12)
#define PSR_I			(1ULL << 7)
#define PSR_F			(1ULL << 6)
#define SCTLR_SPAN		(1ULL << 23)
#define SCTLR_DSSBS		(1ULL << 44)

void hwdebug_init(struct hwdebug *d, unsigned int nr_bps, unsigned int nr_wps)
{
	memset(d, 0, sizeof(*d));
	d->nr_bps = nr_bps < AZ_KVM_ARM_MAX_DBG_REGS ? nr_bps :
		    AZ_KVM_ARM_MAX_DBG_REGS;
	d->nr_wps = nr_wps < AZ_KVM_ARM_MAX_DBG_REGS ? nr_wps :
		    AZ_KVM_ARM_MAX_DBG_REGS;
}

/*
 * How the hardware watches [addr, addr + len): byte lanes of one aligned
 * doubleword, or an aligned power-of-two region with all lanes on.
 */
static int hwdebug_watch_encode(enum gdb_point type, uint64_t addr,
				uint64_t len, uint64_t *wvr, uint64_t *wcr)
{
	unsigned int lsc = type == GDB_POINT_WATCH_WRITE ? DBGW_LSC_STORE :
			   type == GDB_POINT_WATCH_READ ? DBGW_LSC_LOAD :
			   DBGW_LSC_LOAD | DBGW_LSC_STORE;
	unsigned int off = (unsigned int)(addr & 7), mask;

	*wcr = DBG_E | DBG_EL1_EL0 | DBGW_LSC(lsc);
	if (len && off + len <= 8) {
		*wvr = addr & ~7ULL;
		*wcr |= DBGW_BAS(((1U << len) - 1) << off);
		return 0;
	}
	if (len < 8 || (len & (len - 1)) || (addr & (len - 1)))
		return -EINVAL;
	mask = (unsigned int)__builtin_ctzll(len);
	if (mask > DBGW_MASK_MAX)
		return -EINVAL;
	*wvr = addr;
	*wcr |= DBGW_BAS(0xff) | DBGW_MASK(mask);
	return 0;
}

static struct hwdebug_wp *hwdebug_find_wp(struct hwdebug *d,
					  enum gdb_point type, uint64_t addr,
					  uint64_t len)
{
	for (unsigned int i = 0; i < d->nr_wps; i++) {
		struct hwdebug_wp *w = &d->wp[i];

		if (w->used && w->type == type && w->addr == addr &&
		    w->len == len)
			return w;
	}
	return NULL;
}

static struct hwdebug_bp *hwdebug_find_bp(struct hwdebug *d, uint64_t addr)
{
	for (unsigned int i = 0; i < d->nr_bps; i++)
		if (d->bp[i].used && d->bp[i].addr == addr)
			return &d->bp[i];
	return NULL;
}

int hwdebug_insert(struct hwdebug *d, enum gdb_point type, uint64_t addr,
		   uint64_t len)
{
	uint64_t wvr, wcr;
	int r;

	if (type == GDB_POINT_HW_BREAK) {
		if (len != GDB_BRK_KIND || (addr & 3))
			return -EINVAL;
		if (hwdebug_find_bp(d, addr))
			return 0;
		for (unsigned int i = 0; i < d->nr_bps; i++) {
			if (d->bp[i].used)
				continue;
			d->bp[i] = (struct hwdebug_bp){ true, addr };
			return 0;
		}
		return -ENOSPC;
	}
	if (type < GDB_POINT_WATCH_WRITE || type > GDB_POINT_WATCH_ACCESS)
		return -EINVAL;
	r = hwdebug_watch_encode(type, addr, len, &wvr, &wcr);
	if (r)
		return r;
	if (hwdebug_find_wp(d, type, addr, len))
		return 0;
	for (unsigned int i = 0; i < d->nr_wps; i++) {
		if (d->wp[i].used)
			continue;
		d->wp[i] = (struct hwdebug_wp){
			.used = true, .type = type, .addr = addr, .len = len,
			.wvr = wvr, .wcr = wcr,
		};
		return 0;
	}
	return -ENOSPC;
}

int hwdebug_remove(struct hwdebug *d, enum gdb_point type, uint64_t addr,
		   uint64_t len)
{
	struct hwdebug_bp *b;
	struct hwdebug_wp *w;

	if (type == GDB_POINT_HW_BREAK) {
		b = hwdebug_find_bp(d, addr);
		if (!b)
			return -ENOENT;
		b->used = false;
		return 0;
	}
	w = hwdebug_find_wp(d, type, addr, len);
	if (!w)
		return -ENOENT;
	w->used = false;
	return 0;
}

bool hwdebug_any(const struct hwdebug *d)
{
	for (unsigned int i = 0; i < d->nr_bps; i++)
		if (d->bp[i].used)
			return true;
	for (unsigned int i = 0; i < d->nr_wps; i++)
		if (d->wp[i].used)
			return true;
	return false;
}

void hwdebug_fill(const struct hwdebug *d, bool step,
		  struct az_kvm_guest_debug *dbg)
{
	memset(dbg, 0, sizeof(*dbg));
	dbg->control = AZ_KVM_GUESTDBG_ENABLE | AZ_KVM_GUESTDBG_USE_SW_BP;
	if (hwdebug_any(d))
		dbg->control |= AZ_KVM_GUESTDBG_USE_HW;
	if (step)
		dbg->control |= AZ_KVM_GUESTDBG_SINGLESTEP;
	for (unsigned int i = 0; i < d->nr_bps; i++) {
		if (!d->bp[i].used)
			continue;
		dbg->arch.dbg_bcr[i] = DBG_E | DBG_EL1_EL0 | DBGB_BAS_A64;
		dbg->arch.dbg_bvr[i] = d->bp[i].addr;
	}
	for (unsigned int i = 0; i < d->nr_wps; i++) {
		if (!d->wp[i].used)
			continue;
		dbg->arch.dbg_wcr[i] = d->wp[i].wcr;
		dbg->arch.dbg_wvr[i] = d->wp[i].wvr;
	}
}

/*
 * The watchpoint behind a hit at far. The hardware may report any
 * address the access touched, even below the watched bytes (a store
 * pair that overlaps them), so: the range that holds far, else the
 * slot whose hardware range does, else the nearest.
 */
static const struct hwdebug_wp *hwdebug_watch_hit(const struct hwdebug *d,
						  uint64_t far)
{
	const struct hwdebug_wp *best = NULL;
	uint64_t best_dist = ~0ULL;

	for (unsigned int i = 0; i < d->nr_wps; i++) {
		const struct hwdebug_wp *w = &d->wp[i];
		uint64_t size, dist;

		if (!w->used)
			continue;
		if (far - w->addr < w->len)
			return w;
		size = (w->wcr >> 24) & 0x1f ? 1ULL << ((w->wcr >> 24) & 0x1f) :
					       8;
		dist = far - w->wvr < size ? 0 :
		       far < w->addr ? w->addr - far : far - w->addr;
		if (dist < best_dist) {
			best = w;
			best_dist = dist;
		}
	}
	return best;
}

int hwdebug_decode(const struct hwdebug *d, uint64_t esr, uint64_t far,
		   enum gdb_stop_reason *why, uint64_t *addr)
{
	const struct hwdebug_wp *w;

	*addr = 0;
	switch (HWDEBUG_ESR_EC(esr)) {
	case HWDEBUG_EC_BRK64:
		*why = GDB_STOP_SWBREAK;
		return 0;
	case HWDEBUG_EC_BREAKPOINT_LOWER:
	case HWDEBUG_EC_BREAKPOINT_CUR:
		*why = GDB_STOP_HWBREAK;
		return 0;
	case HWDEBUG_EC_STEP_LOWER:
	case HWDEBUG_EC_STEP_CUR:
		*why = GDB_STOP_STEP;
		return 0;
	case HWDEBUG_EC_WATCHPOINT_LOWER:
	case HWDEBUG_EC_WATCHPOINT_CUR:
		w = hwdebug_watch_hit(d, far);
		*addr = w ? w->addr : far;
		if (!w || w->type == GDB_POINT_WATCH_WRITE)
			*why = GDB_STOP_WATCH;
		else if (w->type == GDB_POINT_WATCH_READ)
			*why = GDB_STOP_RWATCH;
		else
			*why = GDB_STOP_AWATCH;
		return 0;
	default:
		return -EINVAL;
	}
}

int hwdebug_enter_el1(struct hwdebug_el1_regs *r, uint64_t esr)
{
	uint64_t old = r->pstate, pstate, offset;

	if (old & AZ_PSR_MODE_32BIT)
		return -EINVAL;
	/* The vector table's four groups: where the exception came from. */
	switch (old & AZ_PSR_MODE_MASK) {
	case AZ_PSR_MODE_EL1T:
		offset = 0x000;
		break;
	case AZ_PSR_MODE_EL1H:
		offset = 0x200;
		break;
	case AZ_PSR_MODE_EL0T:
		offset = 0x400;
		break;
	default:
		return -EINVAL;
	}
	pstate = (old & (PSR_NZCV | PSR_DIT | PSR_PAN)) | AZ_PSR_DAIF |
		 AZ_PSR_MODE_EL1H;
	if (!(r->sctlr & SCTLR_SPAN))
		pstate |= PSR_PAN;
	if (r->sctlr & SCTLR_DSSBS)
		pstate |= PSR_SSBS;
	r->elr = r->pc;
	r->spsr = old;
	r->esr = esr;
	r->pc = (r->vbar & ~0x7ffULL) + offset;
	r->pstate = pstate;
	return 0;
}

/* BRK #imm16: 1101 0100 001 imm16 000 00 */
bool hwdebug_is_brk(uint32_t insn)
{
	return (insn & 0xffe0001fU) == 0xd4200000U;
}

/*
 * The instructions that see or set DAIF, from the A64 encodings:
 *   MSR DAIFSet/DAIFClr, #imm   d503 4 CRm 11x 11111
 *   MSR/MRS DAIF, Xt            d51b4220 | Rt, bit 21 for MRS
 *   ERET                        d69f03e0
 *   ERETAA/ERETAB               d69f0bff, d69f0fff
 */
static bool hwdebug_touches_daif(uint32_t insn)
{
	return (insn & 0xfffff0dfU) == 0xd50340dfU ||
	       (insn & 0xffdfffe0U) == 0xd51b4220U ||
	       insn == 0xd69f03e0U ||
	       (insn & 0xfffffbffU) == 0xd69f0bffU;
}

uint64_t hwdebug_step_mask(uint32_t insn, uint64_t pstate)
{
	if ((pstate & AZ_PSR_MODE_32BIT) || hwdebug_touches_daif(insn))
		return 0;
	return (PSR_I | PSR_F) & ~pstate;
}

int hwdebug_step_unmask(struct hwdebug_el1_regs *r, uint64_t step_pc,
			uint64_t mask)
{
	uint64_t table = r->vbar & ~0x7ffULL;

	if (!mask)
		return 0;
	if (r->pc - table < 0x800 &&
	    (r->elr == step_pc || r->elr == step_pc + 4) &&
	    (r->spsr & mask) == mask) {
		r->spsr &= ~mask;
		return 2;
	}
	r->pstate &= ~mask;
	return 1;
}
