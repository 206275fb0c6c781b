// SPDX-License-Identifier: GPL-2.0
/*
 * gdb's aarch64 register numbering, the ONE_REG id behind each register
 * and the target description that tells gdb about them (gdb manual,
 * "Target Descriptions", "AArch64 Features": core needs x0..x30, sp, pc
 * and cpsr; fpu needs v0..v31, fpsr and fpcr). The ids come from
 * kvm-arm64-abi.h, which vmm/abi-check.c proves against <asm/kvm.h>.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <armz/gdb-regs.h>
#include <armz/kvm-arm64-abi.h>
#include <armz/util.h>

#define X(n)	{ "x" #n, 8, AZ_REG_X(n), GDB_FEATURE_CORE, "uint64" }
#define V(n)	{ "v" #n, 16, AZ_REG_V(n), GDB_FEATURE_FPU, "aarch64v" }
#define SYS(name, id, type) \
	{ name, 8, id, GDB_FEATURE_SYSREGS, type }

static const struct gdb_reg gdb_regs[GDB_NR_REGS] = {
	X(0), X(1), X(2), X(3), X(4), X(5), X(6), X(7), X(8), X(9),
	X(10), X(11), X(12), X(13), X(14), X(15), X(16), X(17), X(18),
	X(19), X(20), X(21), X(22), X(23), X(24), X(25), X(26), X(27),
	X(28), X(29), X(30),
	[GDB_REG_SP] = { "sp", 8, 0, GDB_FEATURE_CORE, "data_ptr" },
	[GDB_REG_PC] = { "pc", 8, AZ_REG_PC, GDB_FEATURE_CORE, "code_ptr" },
	[GDB_REG_CPSR] = { "cpsr", 4, AZ_REG_PSTATE, GDB_FEATURE_CORE,
			   "armz_cpsr" },
	V(0), V(1), V(2), V(3), V(4), V(5), V(6), V(7), V(8), V(9),
	V(10), V(11), V(12), V(13), V(14), V(15), V(16), V(17), V(18),
	V(19), V(20), V(21), V(22), V(23), V(24), V(25), V(26), V(27),
	V(28), V(29), V(30), V(31),
	[GDB_REG_FPSR] = { "fpsr", 4, AZ_REG_FPSR, GDB_FEATURE_FPU, "int" },
	[GDB_REG_FPCR] = { "fpcr", 4, AZ_REG_FPCR, GDB_FEATURE_FPU, "int" },
	[GDB_REG_SCTLR_EL1] = SYS("sctlr_el1", AZ_REG_SCTLR_EL1, "uint64"),
	[GDB_REG_TCR_EL1] = SYS("tcr_el1", AZ_REG_TCR_EL1, "uint64"),
	[GDB_REG_TTBR0_EL1] = SYS("ttbr0_el1", AZ_REG_TTBR0_EL1, "uint64"),
	[GDB_REG_TTBR1_EL1] = SYS("ttbr1_el1", AZ_REG_TTBR1_EL1, "uint64"),
	[GDB_REG_MAIR_EL1] = SYS("mair_el1", AZ_REG_MAIR_EL1, "uint64"),
	[GDB_REG_VBAR_EL1] = SYS("vbar_el1", AZ_REG_VBAR_EL1, "code_ptr"),
	[GDB_REG_ESR_EL1] = SYS("esr_el1", AZ_REG_ESR_EL1, "uint64"),
	[GDB_REG_FAR_EL1] = SYS("far_el1", AZ_REG_FAR_EL1, "data_ptr"),
	/* In struct kvm_regs on arm64, not among the sysreg ids. */
	[GDB_REG_ELR_EL1] = SYS("elr_el1", AZ_REG_ELR_EL1, "code_ptr"),
	[GDB_REG_SPSR_EL1] = SYS("spsr_el1", AZ_REG_SPSR_EL1, "uint64"),
	[GDB_REG_SP_EL0] = SYS("sp_el0", AZ_REG_SP_EL0, "data_ptr"),
	[GDB_REG_SP_EL1] = SYS("sp_el1", AZ_REG_SP_EL1, "data_ptr"),
};

const struct gdb_reg *gdb_reg_get(unsigned int regno)
{
	return regno < GDB_NR_REGS ? &gdb_regs[regno] : NULL;
}

unsigned int gdb_reg_size(unsigned int regno)
{
	return regno < GDB_NR_REGS ? gdb_regs[regno].bytes : 0;
}

uint64_t gdb_reg_kvm_id(unsigned int regno, uint64_t pstate)
{
	if (regno >= GDB_NR_REGS)
		return 0;
	if (regno != GDB_REG_SP)
		return gdb_regs[regno].kvm_id;
	if (pstate & AZ_PSR_MODE_32BIT)
		return 0;
	switch (pstate & AZ_PSR_MODE_MASK) {
	case AZ_PSR_MODE_EL0T:
	case AZ_PSR_MODE_EL1T:
		return AZ_REG_SP_EL0;
	case AZ_PSR_MODE_EL1H:
		return AZ_REG_SP_EL1;
	default:
		return 0;	/* EL2 and up: not ours to show */
	}
}

unsigned int gdb_kvm_reg_bytes(uint64_t kvm_id)
{
	return 1U << ((kvm_id & AZ_KVM_REG_SIZE_MASK) >> AZ_KVM_REG_SIZE_SHIFT);
}

/*
 * KVM's value as a number: the integer types of the host read the
 * buffer in its own byte order, and shifts then give the bytes in the
 * order gdb wants on any host.
 */
void gdb_reg_from_kvm(unsigned int regno, uint64_t kvm_id, const void *kvm,
		      uint8_t *gdb)
{
	unsigned int n = gdb_reg_size(regno);
	unsigned __int128 v = 0;

	switch (gdb_kvm_reg_bytes(kvm_id)) {
	case 4: {
		uint32_t w;

		memcpy(&w, kvm, sizeof(w));
		v = w;
		break;
	}
	case 8: {
		uint64_t d;

		memcpy(&d, kvm, sizeof(d));
		v = d;
		break;
	}
	case 16:
		memcpy(&v, kvm, sizeof(v));
		break;
	}
	for (unsigned int i = 0; i < n; i++)
		gdb[i] = (uint8_t)(v >> (8 * i));
}

void gdb_reg_to_kvm(unsigned int regno, uint64_t kvm_id, const uint8_t *gdb,
		    void *kvm)
{
	unsigned int n = gdb_reg_size(regno);
	unsigned int kn = gdb_kvm_reg_bytes(kvm_id);
	unsigned __int128 v = 0, old = 0;

	if (kn == 8) {
		uint64_t d;

		memcpy(&d, kvm, sizeof(d));
		old = d;
	}
	for (unsigned int i = 0; i < n; i++)
		v |= (unsigned __int128)gdb[i] << (8 * i);
	/* Bits gdb does not see (PSTATE's upper half) stay as they were. */
	if (n < kn && kn == 8)
		v |= old & ~(((unsigned __int128)1 << (8 * n)) - 1);
	switch (kn) {
	case 4: {
		uint32_t w = (uint32_t)v;

		memcpy(kvm, &w, sizeof(w));
		break;
	}
	case 8: {
		uint64_t d = (uint64_t)v;

		memcpy(kvm, &d, sizeof(d));
		break;
	}
	case 16:
		memcpy(kvm, &v, sizeof(v));
		break;
	}
}

/* snprintf that keeps counting past the end of buf. */
struct xml_out {
	char *buf;
	size_t cap;
	size_t len;
};

static void xml_add(struct xml_out *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void xml_add(struct xml_out *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(x->len < x->cap ? x->buf + x->len : NULL,
		      x->len < x->cap ? x->cap - x->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		x->len += (size_t)n;
}

/* PSTATE as SPSR_EL1 lays it out (ARM ARM, "SPSR_EL1"). */
static const struct {
	const char *name;
	unsigned int start, end;
} cpsr_fields[] = {
	{ "SP", 0, 0 }, { "EL", 2, 3 }, { "nRW", 4, 4 }, { "F", 6, 6 },
	{ "I", 7, 7 }, { "A", 8, 8 }, { "D", 9, 9 }, { "BTYPE", 10, 11 },
	{ "SSBS", 12, 12 }, { "IL", 20, 20 }, { "SS", 21, 21 },
	{ "PAN", 22, 22 }, { "UAO", 23, 23 }, { "TCO", 25, 25 },
	{ "V", 28, 28 }, { "C", 29, 29 }, { "Z", 30, 30 }, { "N", 31, 31 },
};

/* The views gdb offers of a 128-bit V register: lane type and count. */
static const struct {
	const char *view;	/* union member of aarch64v */
	const char *lanes[3];	/* float, unsigned, signed (NULL: none) */
	unsigned int count;
} vreg_views[] = {
	{ "d", { "ieee_double", "uint64", "int64" }, 2 },
	{ "s", { "ieee_single", "uint32", "int32" }, 4 },
	{ "h", { NULL, "uint16", "int16" }, 8 },
	{ "b", { NULL, "uint8", "int8" }, 16 },
	{ "q", { NULL, "uint128", "int128" }, 1 },
};

static void xml_fpu_types(struct xml_out *x)
{
	static const char *const kinds[] = { "f", "u", "s" };

	for (size_t v = 0; v < ARRAY_SIZE(vreg_views); v++) {
		for (size_t k = 0; k < 3; k++) {
			if (vreg_views[v].lanes[k])
				xml_add(x, "<vector id=\"armz_v%s%s\" type=\"%s\" count=\"%u\"/>\n",
					vreg_views[v].view, kinds[k],
					vreg_views[v].lanes[k],
					vreg_views[v].count);
		}
		xml_add(x, "<union id=\"armz_vn%s\">\n", vreg_views[v].view);
		for (size_t k = 0; k < 3; k++) {
			if (vreg_views[v].lanes[k])
				xml_add(x, "  <field name=\"%s\" type=\"armz_v%s%s\"/>\n",
					kinds[k], vreg_views[v].view,
					kinds[k]);
		}
		xml_add(x, "</union>\n");
	}
	xml_add(x, "<union id=\"aarch64v\">\n");
	for (size_t v = 0; v < ARRAY_SIZE(vreg_views); v++)
		xml_add(x, "  <field name=\"%s\" type=\"armz_vn%s\"/>\n",
			vreg_views[v].view, vreg_views[v].view);
	xml_add(x, "</union>\n");
}

static void xml_regs(struct xml_out *x, enum gdb_feature f)
{
	for (unsigned int i = 0; i < GDB_NR_REGS; i++) {
		const struct gdb_reg *r = &gdb_regs[i];

		if (r->feature != f)
			continue;
		/* regnum pins gdb's remote numbering to armz's. */
		xml_add(x, "<reg name=\"%s\" bitsize=\"%u\" type=\"%s\" regnum=\"%u\"%s/>\n",
			r->name, r->bytes * 8, r->type, i,
			f == GDB_FEATURE_SYSREGS ? " group=\"system\"" : "");
	}
}

size_t gdb_target_xml(char *buf, size_t cap)
{
	struct xml_out x = { .buf = buf, .cap = cap };

	if (cap)
		buf[0] = '\0';
	xml_add(&x, "<?xml version=\"1.0\"?>\n"
		    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
		    "<target version=\"1.0\">\n"
		    "<architecture>aarch64</architecture>\n"
		    "<feature name=\"org.gnu.gdb.aarch64.core\">\n"
		    "<flags id=\"armz_cpsr\" size=\"4\">\n");
	for (size_t i = 0; i < ARRAY_SIZE(cpsr_fields); i++)
		xml_add(&x, "  <field name=\"%s\" start=\"%u\" end=\"%u\"/>\n",
			cpsr_fields[i].name, cpsr_fields[i].start,
			cpsr_fields[i].end);
	xml_add(&x, "</flags>\n");
	xml_regs(&x, GDB_FEATURE_CORE);
	xml_add(&x, "</feature>\n<feature name=\"org.gnu.gdb.aarch64.fpu\">\n");
	xml_fpu_types(&x);
	xml_regs(&x, GDB_FEATURE_FPU);
	xml_add(&x, "</feature>\n"
		    "<feature name=\"org.armz.aarch64.sysregs\">\n");
	xml_regs(&x, GDB_FEATURE_SYSREGS);
	xml_add(&x, "</feature>\n</target>\n");
	return x.len + 1;
}
