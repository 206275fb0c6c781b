/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_KVM_ARM64_ABI_H
#define ARMZ_KVM_ARM64_ABI_H

/*
 * The arm64 KVM ABI, as far as armz uses it, defined here rather than taken
 * from <linux/kvm.h>: s390 hosts install no arm64 KVM headers, and their
 * own struct kvm_run carries s390 fields (psw_mask, psw_addr) that the
 * arm64 ABI of /dev/kvm-arm64 does not have. On aarch64 builds
 * vmm/abi-check.c compares every definition here with the system headers.
 *
 * Only fixed-width types: the same layout on every host.
 */

#include <stdint.h>

/* ioctl encoding shared by arm64, s390x and x86_64 (asm-generic). */
#define AZ_IOC(dir, nr, size) \
	(((unsigned long)(dir) << 30) | ((unsigned long)(size) << 16) | \
	 (0xAEUL << 8) | (unsigned long)(nr))
#define AZ_IO(nr)		AZ_IOC(0, nr, 0)
#define AZ_IOW(nr, type)	AZ_IOC(1, nr, sizeof(type))
#define AZ_IOR(nr, type)	AZ_IOC(2, nr, sizeof(type))
#define AZ_IOWR(nr, type)	AZ_IOC(3, nr, sizeof(type))

struct az_kvm_userspace_memory_region {
	uint32_t slot;
	uint32_t flags;
	uint64_t guest_phys_addr;
	uint64_t memory_size;
	uint64_t userspace_addr;
};

struct az_kvm_vcpu_init {
	uint32_t target;
	uint32_t features[7];
};

struct az_kvm_one_reg {
	uint64_t id;
	uint64_t addr;
};

struct az_kvm_irq_level {
	uint32_t irq;
	int32_t level;
};

struct az_kvm_irqfd {
	uint32_t fd;
	uint32_t gsi;
	uint32_t flags;
	uint32_t resamplefd;
	uint8_t pad[16];
};

struct az_kvm_ioeventfd {
	uint64_t datamatch;
	uint64_t addr;
	uint32_t len;
	int32_t fd;
	uint32_t flags;
	uint8_t pad[36];
};

struct az_kvm_create_device {
	uint32_t type;
	uint32_t fd;
	uint32_t flags;
};

struct az_kvm_device_attr {
	uint32_t flags;
	uint32_t group;
	uint64_t attr;
	uint64_t addr;
};

/* The part of struct kvm_run armz reads; the kernel maps more behind it. */
struct az_kvm_run {
	uint8_t request_interrupt_window;
	uint8_t immediate_exit;
	uint8_t padding1[6];
	uint32_t exit_reason;
	uint8_t ready_for_interrupt_injection;
	uint8_t if_flag;
	uint16_t flags;
	uint64_t cr8;
	uint64_t apic_base;
	union {
		struct {
			uint64_t hardware_exit_reason;
		} hw;
		struct {
			uint64_t hardware_entry_failure_reason;
			uint32_t cpu;
		} fail_entry;
		struct {
			uint64_t phys_addr;
			uint8_t data[8];
			uint32_t len;
			uint8_t is_write;
		} mmio;
		struct {
			uint32_t suberror;
			uint32_t ndata;
			uint64_t data[16];
		} internal;
		struct {
			uint32_t type;
			uint32_t ndata;
			uint64_t data[16];
		} system_event;
		struct {
			uint64_t esr_iss;
			uint64_t fault_ipa;
		} arm_nisv;
		struct {
			uint32_t hsr;		/* the guest's ESR */
			uint32_t hsr_high;	/* ESR[61:32] */
			uint64_t far;		/* watchpoints */
		} debug;
		char padding[256];
	};
};

#define AZ_KVM_API_VERSION		12

/* System ioctls */
#define AZ_KVM_GET_API_VERSION		AZ_IO(0x00)
#define AZ_KVM_CREATE_VM		AZ_IO(0x01)
#define AZ_KVM_CHECK_EXTENSION		AZ_IO(0x03)
#define AZ_KVM_GET_VCPU_MMAP_SIZE	AZ_IO(0x04)

/* VM ioctls */
#define AZ_KVM_CREATE_VCPU		AZ_IO(0x41)
#define AZ_KVM_SET_USER_MEMORY_REGION \
	AZ_IOW(0x46, struct az_kvm_userspace_memory_region)
#define AZ_KVM_IRQ_LINE			AZ_IOW(0x61, struct az_kvm_irq_level)
#define AZ_KVM_IRQFD			AZ_IOW(0x76, struct az_kvm_irqfd)
#define AZ_KVM_IOEVENTFD		AZ_IOW(0x79, struct az_kvm_ioeventfd)
#define AZ_KVM_ARM_PREFERRED_TARGET	AZ_IOR(0xaf, struct az_kvm_vcpu_init)
#define AZ_KVM_CREATE_DEVICE		AZ_IOWR(0xe0, struct az_kvm_create_device)

/* vCPU ioctls */
#define AZ_KVM_RUN			AZ_IO(0x80)
#define AZ_KVM_GET_ONE_REG		AZ_IOW(0xab, struct az_kvm_one_reg)
#define AZ_KVM_SET_ONE_REG		AZ_IOW(0xac, struct az_kvm_one_reg)
#define AZ_KVM_ARM_VCPU_INIT		AZ_IOW(0xae, struct az_kvm_vcpu_init)

/* Device ioctls */
#define AZ_KVM_SET_DEVICE_ATTR		AZ_IOW(0xe1, struct az_kvm_device_attr)
#define AZ_KVM_HAS_DEVICE_ATTR		AZ_IOW(0xe3, struct az_kvm_device_attr)

/* Capabilities */
#define AZ_KVM_CAP_IRQCHIP		0
#define AZ_KVM_CAP_USER_MEMORY		3
#define AZ_KVM_CAP_NR_VCPUS		9
#define AZ_KVM_CAP_IRQFD		32
#define AZ_KVM_CAP_IOEVENTFD		36
#define AZ_KVM_CAP_MAX_VCPUS		66
#define AZ_KVM_CAP_ONE_REG		70
#define AZ_KVM_CAP_ARM_PSCI		87
#define AZ_KVM_CAP_DEVICE_CTRL		89
#define AZ_KVM_CAP_ARM_PSCI_0_2		102
#define AZ_KVM_CAP_IMMEDIATE_EXIT	136
#define AZ_KVM_CAP_ARM_VM_IPA_SIZE	165
#define AZ_KVM_CAP_ARM_SVE		170
#define AZ_KVM_CAP_ARM_PTRAUTH_ADDRESS	171
#define AZ_KVM_CAP_ARM_PTRAUTH_GENERIC	172

#define AZ_KVM_VM_TYPE_ARM_IPA_SIZE(bits)	((bits) & 0xffUL)

#define AZ_KVM_MEM_LOG_DIRTY_PAGES	(1U << 0)
#define AZ_KVM_IOEVENTFD_FLAG_DATAMATCH	(1U << 0)

/* Exit reasons */
#define AZ_KVM_EXIT_UNKNOWN		0
#define AZ_KVM_EXIT_EXCEPTION		1
#define AZ_KVM_EXIT_HYPERCALL		3
#define AZ_KVM_EXIT_DEBUG		4
#define AZ_KVM_EXIT_MMIO		6
#define AZ_KVM_EXIT_SHUTDOWN		8
#define AZ_KVM_EXIT_FAIL_ENTRY		9
#define AZ_KVM_EXIT_INTR		10
#define AZ_KVM_EXIT_INTERNAL_ERROR	17
#define AZ_KVM_EXIT_SYSTEM_EVENT	24
#define AZ_KVM_EXIT_ARM_NISV		28

#define AZ_KVM_SYSTEM_EVENT_SHUTDOWN	1
#define AZ_KVM_SYSTEM_EVENT_RESET	2
#define AZ_KVM_SYSTEM_EVENT_CRASH	3

/* KVM_ARM_VCPU_INIT */
#define AZ_KVM_ARM_TARGET_GENERIC_V8	5
#define AZ_KVM_ARM_VCPU_POWER_OFF	0
#define AZ_KVM_ARM_VCPU_EL1_32BIT	1
#define AZ_KVM_ARM_VCPU_PSCI_0_2	2
#define AZ_KVM_ARM_VCPU_PMU_V3		3
#define AZ_KVM_ARM_VCPU_SVE		4
#define AZ_KVM_ARM_VCPU_PTRAUTH_ADDRESS	5
#define AZ_KVM_ARM_VCPU_PTRAUTH_GENERIC	6

/*
 * ONE_REG ids of the core registers: offsets in 32-bit words into
 * struct kvm_regs, whose first member is x0..x30, sp, pc, pstate.
 */
#define AZ_KVM_REG_ARM64		0x6000000000000000ULL
#define AZ_KVM_REG_SIZE_U64		0x0030000000000000ULL
#define AZ_KVM_REG_ARM_CORE		(0x0010ULL << 16)
#define AZ_KVM_REG_ARM_COPROC_MASK	(0xffffULL << 16)
/* Whether a ONE_REG id is one of struct kvm_regs (all the s390 device has). */
#define AZ_KVM_REG_IS_CORE(id) \
	(((id) & AZ_KVM_REG_ARM_COPROC_MASK) == AZ_KVM_REG_ARM_CORE)
#define AZ_KVM_REG_CORE(word) \
	(AZ_KVM_REG_ARM64 | AZ_KVM_REG_SIZE_U64 | AZ_KVM_REG_ARM_CORE | \
	 (uint64_t)(word))
#define AZ_REG_X(n)			AZ_KVM_REG_CORE((n) * 2)
#define AZ_REG_SP			AZ_KVM_REG_CORE(31 * 2)
#define AZ_REG_PC			AZ_KVM_REG_CORE(32 * 2)
#define AZ_REG_PSTATE			AZ_KVM_REG_CORE(33 * 2)

/*
 * The rest of struct kvm_regs: after user_pt_regs (x0..x30, sp = SP_EL0,
 * pc, pstate: words 0..67) come sp_el1 (68), elr_el1 (70), spsr[5] (72,
 * EL1's first), then user_fpsimd_state, 16-byte aligned at word 84:
 * vregs[32] as 128-bit registers, then fpsr and fpcr as 32-bit ones.
 */
#define AZ_KVM_REG_SIZE_U32		0x0020000000000000ULL
#define AZ_KVM_REG_SIZE_U128		0x0040000000000000ULL
#define AZ_KVM_REG_SIZE_MASK		0x00f0000000000000ULL
#define AZ_KVM_REG_SIZE_SHIFT		52
#define AZ_KVM_REG_CORE_SIZED(size, word) \
	(AZ_KVM_REG_ARM64 | (size) | AZ_KVM_REG_ARM_CORE | (uint64_t)(word))
#define AZ_REG_SP_EL0			AZ_REG_SP
#define AZ_REG_SP_EL1			AZ_KVM_REG_CORE(68)
#define AZ_REG_ELR_EL1			AZ_KVM_REG_CORE(70)
#define AZ_REG_SPSR_EL1			AZ_KVM_REG_CORE(72)
#define AZ_REG_V(n) \
	AZ_KVM_REG_CORE_SIZED(AZ_KVM_REG_SIZE_U128, 84 + (n) * 4)
#define AZ_REG_FPSR \
	AZ_KVM_REG_CORE_SIZED(AZ_KVM_REG_SIZE_U32, 84 + 32 * 4)
#define AZ_REG_FPCR \
	AZ_KVM_REG_CORE_SIZED(AZ_KVM_REG_SIZE_U32, 84 + 32 * 4 + 1)

/*
 * System registers by their MRS/MSR encoding (ARM ARM, "System register
 * encoding"): op0, op1, CRn, CRm, op2 packed into the low 16 bits.
 */
#define AZ_KVM_REG_ARM64_SYSREG		(0x0013ULL << 16)
#define AZ_SYSREG(op0, op1, crn, crm, op2) \
	(AZ_KVM_REG_ARM64 | AZ_KVM_REG_SIZE_U64 | AZ_KVM_REG_ARM64_SYSREG | \
	 ((uint64_t)(op0) << 14) | ((uint64_t)(op1) << 11) | \
	 ((uint64_t)(crn) << 7) | ((uint64_t)(crm) << 3) | (uint64_t)(op2))
#define AZ_REG_SCTLR_EL1		AZ_SYSREG(3, 0, 1, 0, 0)
#define AZ_REG_TTBR0_EL1		AZ_SYSREG(3, 0, 2, 0, 0)
#define AZ_REG_TTBR1_EL1		AZ_SYSREG(3, 0, 2, 0, 1)
#define AZ_REG_TCR_EL1			AZ_SYSREG(3, 0, 2, 0, 2)
#define AZ_REG_ESR_EL1			AZ_SYSREG(3, 0, 5, 2, 0)
#define AZ_REG_FAR_EL1			AZ_SYSREG(3, 0, 6, 0, 0)
#define AZ_REG_MAIR_EL1			AZ_SYSREG(3, 0, 10, 2, 0)
#define AZ_REG_VBAR_EL1			AZ_SYSREG(3, 0, 12, 0, 0)

/* PSTATE for the boot CPU: EL1h, D, A, I and F masked. */
#define AZ_PSR_MODE_EL1H		0x5ULL
#define AZ_PSR_DAIF			0x3c0ULL
#define AZ_PSR_MODE_MASK		0xfULL	/* M[3:0]: EL and SP select */
#define AZ_PSR_MODE_EL0T		0x0ULL
#define AZ_PSR_MODE_EL1T		0x4ULL
#define AZ_PSR_MODE_32BIT		0x10ULL	/* M[4]: AArch32 */

/*
 * Guest debugging (KVM_SET_GUEST_DEBUG, KVM_CAP_SET_GUEST_DEBUG): the
 * control word enables it, single-steps, traps the guest's BRKs to
 * userspace and loads the hardware breakpoint and watchpoint registers
 * from arch. A stop comes back as KVM_EXIT_DEBUG with the guest's ESR
 * (hsr, and hsr_high when run->flags has HSR_HIGH_VALID) and, for a
 * watchpoint, the faulting address. KVM_CAP_GUEST_DEBUG_HW_BPS/_WPS
 * say how many of the 16 slots of each kind the hardware has.
 */
#define AZ_KVM_ARM_MAX_DBG_REGS		16

struct az_kvm_guest_debug_arch {
	uint64_t dbg_bcr[AZ_KVM_ARM_MAX_DBG_REGS];
	uint64_t dbg_bvr[AZ_KVM_ARM_MAX_DBG_REGS];
	uint64_t dbg_wcr[AZ_KVM_ARM_MAX_DBG_REGS];
	uint64_t dbg_wvr[AZ_KVM_ARM_MAX_DBG_REGS];
};

struct az_kvm_guest_debug {
	uint32_t control;
	uint32_t pad;
	struct az_kvm_guest_debug_arch arch;
};

#define AZ_KVM_SET_GUEST_DEBUG		AZ_IOW(0x9b, struct az_kvm_guest_debug)
#define AZ_KVM_GUESTDBG_ENABLE		0x00000001U
#define AZ_KVM_GUESTDBG_SINGLESTEP	0x00000002U
#define AZ_KVM_GUESTDBG_USE_SW_BP	(1U << 16)
#define AZ_KVM_GUESTDBG_USE_HW		(1U << 17)
#define AZ_KVM_DEBUG_ARCH_HSR_HIGH_VALID	(1U << 0)
#define AZ_KVM_CAP_SET_GUEST_DEBUG	23
#define AZ_KVM_CAP_GUEST_DEBUG_HW_BPS	119
#define AZ_KVM_CAP_GUEST_DEBUG_HW_WPS	120

/*
 * Coalesced MMIO (KVM_CAP_COALESCED_MMIO): writes inside a registered zone
 * do not exit; KVM appends them to a ring shared by all vCPUs of the VM,
 * in the page KVM_CHECK_EXTENSION(KVM_CAP_COALESCED_MMIO) names (an offset
 * in host pages into every vCPU's mapping). KVM fills entry `last`,
 * userspace consumes from `first`; one entry always stays free, and a
 * write that finds the ring full exits as ordinary MMIO. The ring's
 * indexes and lengths are host-endian; data is as the guest wrote it, the
 * same bytes as a KVM_EXIT_MMIO's mmio.data.
 */
struct az_kvm_coalesced_mmio_zone {
	uint64_t addr;
	uint32_t size;
	uint32_t pio;		/* 0: MMIO */
};

struct az_kvm_coalesced_mmio {
	uint64_t phys_addr;
	uint32_t len;
	uint32_t pio;
	uint8_t data[8];
};

struct az_kvm_coalesced_mmio_ring {
	uint32_t first;
	uint32_t last;
	struct az_kvm_coalesced_mmio entries[];
};

#define AZ_KVM_CAP_COALESCED_MMIO	15
#define AZ_KVM_REGISTER_COALESCED_MMIO \
	AZ_IOW(0x67, struct az_kvm_coalesced_mmio_zone)
#define AZ_KVM_UNREGISTER_COALESCED_MMIO \
	AZ_IOW(0x68, struct az_kvm_coalesced_mmio_zone)

/* Entries in a ring of one host page (KVM_COALESCED_MMIO_MAX). */
#define AZ_KVM_COALESCED_MMIO_MAX(page_size) \
	(((page_size) - sizeof(struct az_kvm_coalesced_mmio_ring)) / \
	 sizeof(struct az_kvm_coalesced_mmio))

/* In-kernel interrupt controllers */
#define AZ_KVM_DEV_TYPE_ARM_VGIC_V2	5
#define AZ_KVM_DEV_TYPE_ARM_VGIC_V3	7
#define AZ_KVM_CREATE_DEVICE_TEST	1
#define AZ_KVM_DEV_ARM_VGIC_GRP_ADDR	0
#define AZ_KVM_DEV_ARM_VGIC_GRP_NR_IRQS	3
#define AZ_KVM_DEV_ARM_VGIC_GRP_CTRL	4
#define AZ_KVM_DEV_ARM_VGIC_CTRL_INIT	0
#define AZ_KVM_VGIC_V2_ADDR_TYPE_DIST	0
#define AZ_KVM_VGIC_V2_ADDR_TYPE_CPU	1
#define AZ_KVM_VGIC_V3_ADDR_TYPE_DIST	2
#define AZ_KVM_VGIC_V3_ADDR_TYPE_REDIST	3
/* The GICv3 ITS: its own device, one 128 KiB frame, initialised at once. */
#define AZ_KVM_DEV_TYPE_ARM_VGIC_ITS	8
#define AZ_KVM_VGIC_ITS_ADDR_TYPE	4

/*
 * The guest's PMU (Documentation/virt/kvm/devices/vcpu.rst): the
 * KVM_ARM_VCPU_PMU_V3 feature at VCPU_INIT, then per vCPU, once the vGIC
 * is initialised, its overflow interrupt (an INTID, a PPI) and INIT.
 */
#define AZ_KVM_CAP_ARM_PMU_V3		126
#define AZ_KVM_ARM_VCPU_PMU_V3_CTRL	0
#define AZ_KVM_ARM_VCPU_PMU_V3_IRQ	0
#define AZ_KVM_ARM_VCPU_PMU_V3_INIT	1

/*
 * Memory tagging: KVM_ENABLE_CAP(KVM_CAP_ARM_MTE) on the VM before any
 * vCPU exists; every memory slot must then be MTE-capable memory, which
 * anonymous private mappings are.
 */
#define AZ_KVM_CAP_ARM_MTE		205

struct az_kvm_enable_cap {
	uint32_t cap;
	uint32_t flags;
	uint64_t args[4];
	uint8_t pad[64];
};

#define AZ_KVM_ENABLE_CAP		AZ_IOW(0xa3, struct az_kvm_enable_cap)

/* KVM_IRQ_LINE numbering: type, vCPU and interrupt id in one word. */
#define AZ_KVM_ARM_IRQ_TYPE_SHIFT	24
#define AZ_KVM_ARM_IRQ_TYPE_SPI		1
#define AZ_GIC_SPI_BASE			32
#define AZ_GIC_PPI_BASE			16

/* PSCI function ids armz names in messages. */
#define AZ_PSCI_0_2_FN64_CPU_ON		0xc4000003U
#define AZ_PSCI_0_2_FN_SYSTEM_OFF	0x84000008U
#define AZ_PSCI_0_2_FN_SYSTEM_RESET	0x84000009U

#endif
