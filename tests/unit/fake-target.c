// SPDX-License-Identifier: GPL-2.0
/* A KVM-free machine behind the gdb stub: see fake-target.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <armz/gdb-regs.h>
#include <armz/kvm-arm64-abi.h>
#include <armz/le.h>

#include "fake-target.h"

#define PT_TABLE	3ULL
#define PT_PAGE		3ULL
#define PT_BLOCK	1ULL
#define PT_AF		(1ULL << 10)

/* Where the fake's translation tables live in RAM. */
#define T1_L0		(FAKE_RAM_GPA + 0x1000)
#define T1_L1		(FAKE_RAM_GPA + 0x2000)
#define T1_L2		(FAKE_RAM_GPA + 0x3000)
#define T1_L3_CODE	(FAKE_RAM_GPA + 0x4000)
#define T1_L3_DATA	(FAKE_RAM_GPA + 0x5000)
#define T0_L0		(FAKE_RAM_GPA + 0x6000)
#define T0_L1		(FAKE_RAM_GPA + 0x7000)
#define T0_L2		(FAKE_RAM_GPA + 0x8000)

uint8_t *fake_ram(struct fake_target *t, uint64_t gpa)
{
	return guest_mem_at(&t->mem, gpa, 1);
}

static void pt_set(struct fake_target *t, uint64_t table, unsigned int idx,
		   uint64_t desc)
{
	le64_write(fake_ram(t, table + 8 * idx), desc);
}

/* 4K pages, 48-bit VAs: level shifts 39, 30, 21, 12. */
static void fake_build_tables(struct fake_target *t)
{
	pt_set(t, T1_L0, 0, T1_L1 | PT_TABLE);
	pt_set(t, T1_L1, 0, T1_L2 | PT_TABLE);
	pt_set(t, T1_L2, (FAKE_CODE_VA >> 21) & 511, T1_L3_CODE | PT_TABLE);
	pt_set(t, T1_L2, (FAKE_DATA_VA >> 21) & 511, T1_L3_DATA | PT_TABLE);
	pt_set(t, T1_L3_CODE, 0, FAKE_CODE_PA | PT_PAGE | PT_AF);
	pt_set(t, T1_L3_DATA, 0, (FAKE_DATA_PA + 0x1000) | PT_PAGE | PT_AF);
	pt_set(t, T1_L3_DATA, 1, FAKE_DATA_PA | PT_PAGE | PT_AF);

	pt_set(t, T0_L0, 0, T0_L1 | PT_TABLE);
	pt_set(t, T0_L1, FAKE_RAM_GPA >> 30, T0_L2 | PT_TABLE);
	pt_set(t, T0_L2, 0, FAKE_RAM_GPA | PT_BLOCK | PT_AF);
	pt_set(t, T0_L2, 1, (FAKE_RAM_GPA + 0x200000) | PT_BLOCK | PT_AF);
}

static uint8_t *fake_slot(struct fake_target *t, unsigned int vcpu,
			  uint64_t id)
{
	struct fake_vcpu *c = &t->cpu[vcpu];

	for (unsigned int i = 0; i < c->nregs; i++)
		if (c->ids[i] == id)
			return c->raw[i];
	return NULL;
}

static void fake_add(struct fake_vcpu *c, uint64_t id)
{
	c->ids[c->nregs++] = id;
}

uint64_t fake_get(struct fake_target *t, unsigned int vcpu, uint64_t id)
{
	uint8_t *raw = fake_slot(t, vcpu, id);
	uint64_t d;
	uint32_t w;

	if (gdb_kvm_reg_bytes(id) == 4) {
		memcpy(&w, raw, 4);
		return w;
	}
	memcpy(&d, raw, 8);
	return d;
}

void fake_set(struct fake_target *t, unsigned int vcpu, uint64_t id,
	      uint64_t v)
{
	uint8_t *raw = fake_slot(t, vcpu, id);
	uint32_t w = (uint32_t)v;

	if (gdb_kvm_reg_bytes(id) == 4)
		memcpy(raw, &w, 4);
	else
		memcpy(raw, &v, 8);
}

unsigned __int128 fake_get128(struct fake_target *t, unsigned int vcpu,
			      uint64_t id)
{
	unsigned __int128 v;

	memcpy(&v, fake_slot(t, vcpu, id), 16);
	return v;
}

void fake_set128(struct fake_target *t, unsigned int vcpu, uint64_t id,
		 unsigned __int128 v)
{
	memcpy(fake_slot(t, vcpu, id), &v, 16);
}

struct mmu_regs fake_mmu(struct fake_target *t, unsigned int vcpu)
{
	return (struct mmu_regs){
		.sctlr = fake_get(t, vcpu, AZ_REG_SCTLR_EL1),
		.tcr = fake_get(t, vcpu, AZ_REG_TCR_EL1),
		.ttbr0 = fake_get(t, vcpu, AZ_REG_TTBR0_EL1),
		.ttbr1 = fake_get(t, vcpu, AZ_REG_TTBR1_EL1),
	};
}

static void fake_vcpu_init(struct fake_target *t, unsigned int n)
{
	static const uint64_t sys[] = {
		AZ_REG_SCTLR_EL1, AZ_REG_TCR_EL1, AZ_REG_TTBR0_EL1,
		AZ_REG_TTBR1_EL1, AZ_REG_MAIR_EL1, AZ_REG_VBAR_EL1,
		AZ_REG_ESR_EL1, AZ_REG_FAR_EL1, AZ_REG_ELR_EL1,
		AZ_REG_SPSR_EL1, AZ_REG_SP_EL0, AZ_REG_SP_EL1,
	};
	struct fake_vcpu *c = &t->cpu[n];

	for (unsigned int i = 0; i < 31; i++)
		fake_add(c, AZ_REG_X(i));
	fake_add(c, AZ_REG_PC);
	fake_add(c, AZ_REG_PSTATE);
	for (unsigned int i = 0; i < 32; i++)
		fake_add(c, AZ_REG_V(i));
	fake_add(c, AZ_REG_FPSR);
	fake_add(c, AZ_REG_FPCR);
	for (unsigned int i = 0; i < sizeof(sys) / sizeof(sys[0]); i++)
		fake_add(c, sys[i]);

	for (unsigned int i = 0; i < 31; i++)
		fake_set(t, n, AZ_REG_X(i), 0x0101010101010101ULL * i + n);
	fake_set(t, n, AZ_REG_X(0), 0x1122334455667788ULL + n);
	fake_set(t, n, AZ_REG_PC, FAKE_CODE_VA);
	fake_set(t, n, AZ_REG_PSTATE, AZ_PSR_MODE_EL1H | AZ_PSR_DAIF);
	for (unsigned int i = 0; i < 32; i++)
		fake_set128(t, n, AZ_REG_V(i),
			    (unsigned __int128)0x0f0e0d0c0b0a0908ULL << 64 |
			    (0x0706050403020100ULL + i));
	fake_set(t, n, AZ_REG_FPSR, 0x08000010);
	fake_set(t, n, AZ_REG_FPCR, 0x00c00000);
	fake_set(t, n, AZ_REG_SCTLR_EL1, MMU_SCTLR_M | 0x30d00800);
	fake_set(t, n, AZ_REG_TCR_EL1, MMU_TCR_T0SZ(16) | MMU_TCR_TG0_4K |
		 MMU_TCR_T1SZ(16) | MMU_TCR_TG1_4K | MMU_TCR_IPS(5));
	fake_set(t, n, AZ_REG_TTBR0_EL1, T0_L0);
	fake_set(t, n, AZ_REG_TTBR1_EL1, T1_L0);
	fake_set(t, n, AZ_REG_SP_EL0, 0x1000);
	fake_set(t, n, AZ_REG_SP_EL1, FAKE_DATA_VA + 0x2000);
	fake_set(t, n, AZ_REG_VBAR_EL1, FAKE_CODE_VA + 0x800);
}

int fake_target_init(struct fake_target *t, unsigned int nr_vcpus)
{
	memset(t, 0, sizeof(*t));
	t->mem.gpa = FAKE_RAM_GPA;
	t->mem.size = FAKE_RAM_SIZE;
	/* Zero pages from the kernel: the fuzzer makes one per input. */
	t->mem.host = mmap(NULL, FAKE_RAM_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (t->mem.host == MAP_FAILED) {
		t->mem.host = NULL;
		return -ENOMEM;
	}
	t->nr_vcpus = nr_vcpus;
	for (unsigned int i = 0; i < nr_vcpus; i++)
		fake_vcpu_init(t, i);
	fake_build_tables(t);
	/* Code: NOPs. Data: each byte its offset's low byte, per page. */
	for (unsigned int i = 0; i < 0x1000; i += 4)
		le32_write(fake_ram(t, FAKE_CODE_PA + i), 0xd503201f);
	for (unsigned int i = 0; i < 0x2000; i++)
		*fake_ram(t, FAKE_DATA_PA + i) = (uint8_t)(i ^ (i >> 12));
	return 0;
}

void fake_target_free(struct fake_target *t)
{
	if (t->mem.host)
		munmap(t->mem.host, FAKE_RAM_SIZE);
	t->mem.host = NULL;
}

static unsigned int fake_nr_vcpus(void *ctx)
{
	struct fake_target *t = ctx;

	return t->nr_vcpus;
}

/* What a KVM target does: pick the id by PSTATE, convert the value. */
static int fake_read_reg(void *ctx, unsigned int vcpu, unsigned int regno,
			 uint8_t *val)
{
	struct fake_target *t = ctx;
	uint64_t id = gdb_reg_kvm_id(regno,
				     fake_get(t, vcpu, AZ_REG_PSTATE));
	uint8_t *raw = id ? fake_slot(t, vcpu, id) : NULL;

	if (!raw)
		return -ENOENT;
	gdb_reg_from_kvm(regno, id, raw, val);
	return 0;
}

static int fake_write_reg(void *ctx, unsigned int vcpu, unsigned int regno,
			  const uint8_t *val)
{
	struct fake_target *t = ctx;
	uint64_t id = gdb_reg_kvm_id(regno,
				     fake_get(t, vcpu, AZ_REG_PSTATE));
	uint8_t *raw = id ? fake_slot(t, vcpu, id) : NULL;

	if (!raw)
		return -ENOENT;
	gdb_reg_to_kvm(regno, id, val, raw);
	return 0;
}

static ssize_t fake_read_mem(void *ctx, unsigned int vcpu, uint64_t addr,
			     void *buf, size_t len)
{
	struct fake_target *t = ctx;
	struct mmu_regs r = fake_mmu(t, vcpu);

	return mmu_read(&t->mem, &r, addr, buf, len);
}

static int fake_write_mem(void *ctx, unsigned int vcpu, uint64_t addr,
			  const void *buf, size_t len)
{
	struct fake_target *t = ctx;
	struct mmu_regs r = fake_mmu(t, vcpu);

	return mmu_write(&t->mem, &r, addr, buf, len);
}

static int fake_insert_point(void *ctx, enum gdb_point type, uint64_t addr,
			     uint64_t len)
{
	struct fake_target *t = ctx;

	if (type == GDB_POINT_SW_BREAK) {
		t->sw_asks++;
		return t->sw_ret;
	}
	if (t->point_ret)
		return t->point_ret;
	if (t->npoints == FAKE_MAX_POINTS)
		return -ENOSPC;
	t->points[t->npoints++] = (struct fake_point){ type, addr, len };
	return 0;
}

static int fake_remove_point(void *ctx, enum gdb_point type, uint64_t addr,
			     uint64_t len)
{
	struct fake_target *t = ctx;

	for (unsigned int i = 0; i < t->npoints; i++) {
		struct fake_point *p = &t->points[i];

		if (p->type == type && p->addr == addr && p->len == len) {
			*p = t->points[--t->npoints];
			return 0;
		}
	}
	return -ENOENT;
}

static int fake_resume(void *ctx, const enum gdb_resume *actions)
{
	struct fake_target *t = ctx;

	memcpy(t->actions, actions, t->nr_vcpus * sizeof(*actions));
	t->resumes++;
	t->running = true;
	return 0;
}

static void fake_interrupt(void *ctx)
{
	struct fake_target *t = ctx;

	t->interrupts++;
}

static void fake_detach(void *ctx)
{
	struct fake_target *t = ctx;

	t->detaches++;
	t->running = true;
}

static void fake_kill(void *ctx)
{
	struct fake_target *t = ctx;

	t->kills++;
	t->running = false;
}

const struct gdb_target_ops fake_target_ops = {
	.nr_vcpus = fake_nr_vcpus,
	.read_reg = fake_read_reg,
	.write_reg = fake_write_reg,
	.read_mem = fake_read_mem,
	.write_mem = fake_write_mem,
	.insert_point = fake_insert_point,
	.remove_point = fake_remove_point,
	.resume = fake_resume,
	.interrupt = fake_interrupt,
	.detach = fake_detach,
	.kill = fake_kill,
};

const struct gdb_target_ops fake_target_ops_no_hw = {
	.nr_vcpus = fake_nr_vcpus,
	.read_reg = fake_read_reg,
	.write_reg = fake_write_reg,
	.read_mem = fake_read_mem,
	.write_mem = fake_write_mem,
	.resume = fake_resume,
	.interrupt = fake_interrupt,
	.detach = fake_detach,
	.kill = fake_kill,
};

unsigned int fake_target_run(struct fake_target *t, unsigned int max_insns,
			     enum gdb_stop_reason *why)
{
	unsigned int v, first = t->nr_vcpus;

	t->running = false;
	for (v = 0; v < t->nr_vcpus; v++) {
		if (t->actions[v] == GDB_RESUME_STEP) {
			fake_set(t, v, AZ_REG_PC,
				 fake_get(t, v, AZ_REG_PC) + 4);
			*why = GDB_STOP_STEP;
			return v;
		}
		if (t->actions[v] == GDB_RESUME_CONT && first == t->nr_vcpus)
			first = v;
	}
	v = first < t->nr_vcpus ? first : 0;
	for (unsigned int i = 0; i < max_insns; i++) {
		uint64_t pc = fake_get(t, v, AZ_REG_PC);
		uint8_t insn[4];

		if (fake_read_mem(t, v, pc, insn, 4) == 4 &&
		    le32_read(insn) == GDB_BRK_INSN) {
			*why = GDB_STOP_SWBREAK;
			return v;
		}
		fake_set(t, v, AZ_REG_PC, pc + 4);
	}
	*why = GDB_STOP_INTERRUPT;
	return v;
}
