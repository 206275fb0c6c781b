// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/err.h>
#include "../../vmm/kvm.h"

#include "unit.h"

/* The arm64 KVM on s390 as first posted: 1 vCPU, no vGIC, no PSCI 0.2. */
static const struct kvm s390_kvm = {
	.path = "/dev/kvm-arm64",
	.caps = { .max_vcpus = 1, .ipa_bits = 40, .ioeventfd = true },
};

static const struct kvm arm64_kvm = {
	.path = "/dev/kvm",
	.caps = { .max_vcpus = 512, .ipa_bits = 40, .ioeventfd = true,
		  .irqfd = true, .psci_0_2 = true, .gic_version = 3 },
};

static struct vm_config linux_cfg(unsigned int cpus)
{
	return (struct vm_config){
		.kernel = "Image", .cpus = cpus, .mem_size = 256ULL << 20,
	};
}

static bool msg_has(const char *s)
{
	return strstr(err_msg(), s) != NULL;
}

static void test_caps_s390(void)
{
	struct vm_config cfg = linux_cfg(1);

	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("no in-kernel interrupt controller on /dev/kvm-arm64"));
	/* The bring-up message says what runs there today. */
	CU_ASSERT(msg_has("use --payload"));
	CU_ASSERT(msg_has("bare test binaries"));
	CU_ASSERT(msg_has("--kernel-format raw"));

	cfg = linux_cfg(2);
	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("this arm64 KVM offers 1 vCPU; use --cpus 1"));

	cfg = (struct vm_config){ .payload = "p.elf", .cpus = 1,
				  .mem_size = 256ULL << 20 };
	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), 0);

	/* A bare test binary runs without interrupts, on 1 vCPU. */
	cfg = linux_cfg(1);
	cfg.kernel_format = KERNEL_FORMAT_RAW;
	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), 0);
	cfg.cpus = 2;
	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), -ENOTSUP);
	cfg.cpus = 1;
	cfg.pmu = true;
	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("--pmu"));
	cfg.pmu = false;
	cfg.irqchip = VM_IRQCHIP_GICV3;
	CU_ASSERT_EQUAL(kvm_check_request(&s390_kvm, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("--irqchip: no in-kernel interrupt controller"));
}

/* ARMZ_FEATURES=s390 on a full arm64 KVM: the s390 device's feature set. */
static void test_caps_restrict(void)
{
	struct kvm k = arm64_kvm;
	struct vm_config cfg = linux_cfg(1);

	k.caps.gicv2 = k.caps.its = k.caps.pmu_v3 = k.caps.mte = true;
	k.caps.guest_debug = k.caps.sysregs = true;
	k.caps.hw_bps = k.caps.hw_wps = 2;
	CU_ASSERT_EQUAL(kvm_caps_restrict(&k.caps, NULL), 0);
	CU_ASSERT_EQUAL(kvm_caps_restrict(&k.caps, ""), 0);
	CU_ASSERT_EQUAL(k.caps.gic_version, 3);
	CU_ASSERT_PTR_NULL(k.caps.restricted);
	CU_ASSERT_EQUAL(kvm_caps_restrict(&k.caps, "s390x"), -EINVAL);
	CU_ASSERT(msg_has("ARMZ_FEATURES='s390x'"));
	CU_ASSERT_EQUAL(k.caps.gic_version, 3);
	CU_ASSERT_EQUAL(kvm_caps_restrict(&k.caps, "no-coalesced-mmio,x"),
			-EINVAL);

	/* One capability taken away, the rest as probed. */
	k.caps.coalesced_mmio_page = 1;
	CU_ASSERT_EQUAL(kvm_caps_restrict(&k.caps, "no-coalesced-mmio"), 0);
	CU_ASSERT_EQUAL(k.caps.coalesced_mmio_page, 0);
	CU_ASSERT_EQUAL(k.caps.gic_version, 3);
	CU_ASSERT_PTR_NULL(k.caps.restricted);
	k.caps.coalesced_mmio_page = 1;

	CU_ASSERT_EQUAL(kvm_caps_restrict(&k.caps, "s390"), 0);
	CU_ASSERT_EQUAL(k.caps.max_vcpus, 1);
	CU_ASSERT_EQUAL(k.caps.gic_version, 0);
	CU_ASSERT_FALSE(k.caps.gicv2);
	CU_ASSERT_FALSE(k.caps.its);
	CU_ASSERT_FALSE(k.caps.irqfd);
	CU_ASSERT_FALSE(k.caps.psci_0_2);
	CU_ASSERT_FALSE(k.caps.pmu_v3);
	CU_ASSERT_FALSE(k.caps.mte);
	/* Core registers only, no guest debugging: gdb keeps to them. */
	CU_ASSERT_FALSE(k.caps.sysregs);
	CU_ASSERT_FALSE(k.caps.guest_debug);
	CU_ASSERT_EQUAL(k.caps.hw_bps + k.caps.hw_wps, 0);
	CU_ASSERT_EQUAL(k.caps.coalesced_mmio_page, 0);
	/* What the probe found and the device as posted also has. */
	CU_ASSERT_TRUE(k.caps.ioeventfd);
	CU_ASSERT_EQUAL(k.caps.ipa_bits, 40);
	CU_ASSERT_STRING_EQUAL(k.caps.restricted, "s390");

	/* Linux is refused as on s390, and the message says why. */
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("no in-kernel interrupt controller on /dev/kvm (ARMZ_FEATURES=s390)"));
	cfg.kernel_format = KERNEL_FORMAT_RAW;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), 0);
	cfg.cpus = 2;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("(ARMZ_FEATURES=s390) offers 1 vCPU"));
	cfg.cpus = 1;
	cfg.rng = true;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("no virtio devices"));
}

/* lkvm's --irqchip and --pmu against what the host can make. */
static void test_caps_irqchip(void)
{
	struct kvm k = arm64_kvm;
	struct vm_config cfg = linux_cfg(4);

	cfg.irqchip = VM_IRQCHIP_GICV2;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("cannot make a GICv2"));
	k.caps.gicv2 = true;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), 0);
	cfg.cpus = 9;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("at most 8 vCPUs"));
	cfg.cpus = 4;
	cfg.irqchip = VM_IRQCHIP_GICV3_ITS;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("no ITS"));
	k.caps.its = true;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), 0);
	cfg.pmu = true;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("KVM_CAP_ARM_PMU_V3"));
	k.caps.pmu_v3 = true;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), 0);
	k.caps.gic_version = 2;
	cfg.irqchip = VM_IRQCHIP_GICV3;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("GICv2 only"));
}

/* When the s390 device grows a vGIC, Linux guests need nothing else. */
static void test_caps_s390_with_gic(void)
{
	struct kvm k = s390_kvm;
	struct vm_config cfg = linux_cfg(1);

	k.caps.gic_version = 3;
	CU_ASSERT_EQUAL(kvm_check_request(&k, &cfg), 0);
}

static void test_caps_arm64(void)
{
	struct vm_config cfg = linux_cfg(64);
	struct kvm v2 = arm64_kvm;

	CU_ASSERT_EQUAL(kvm_check_request(&arm64_kvm, &cfg), 0);
	v2.caps.gic_version = 2;
	CU_ASSERT_EQUAL(kvm_check_request(&v2, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("GICv2 only"));
	cfg = linux_cfg(8);
	CU_ASSERT_EQUAL(kvm_check_request(&v2, &cfg), 0);
}

static void test_caps_ipa(void)
{
	struct kvm small = arm64_kvm;
	struct vm_config cfg = linux_cfg(1);

	small.caps.ipa_bits = 32;
	cfg.mem_size = 2ULL << 30;	/* ends at 3 GiB: fits 32 bits */
	CU_ASSERT_EQUAL(kvm_check_request(&small, &cfg), 0);
	cfg.mem_size = 4ULL << 30;	/* ends at 5 GiB */
	CU_ASSERT_EQUAL(kvm_check_request(&small, &cfg), -ENOTSUP);
	CU_ASSERT(msg_has("32-bit physical address space"));

	CU_ASSERT_EQUAL(kvm_vm_type(&small, 0x50000000ULL), 32);
	CU_ASSERT_EQUAL(kvm_vm_type(&small, 0x140000000ULL), 33);
	small.caps.ipa_bits = 0;	/* no KVM_CAP_ARM_VM_IPA_SIZE */
	CU_ASSERT_EQUAL(kvm_vm_type(&small, 0x140000000ULL), 0);
}

/* --gdb says which capability is missing and what still works. */
static void test_caps_gdb(void)
{
	struct kvm k = arm64_kvm;
	char buf[512];

	k.caps.guest_debug = true;
	k.caps.hw_bps = 6;
	k.caps.hw_wps = 4;
	CU_ASSERT_EQUAL(kvm_gdb_limits(&k, buf, sizeof(buf)), 0);

	/* The s390 device as posted: no guest debugging at all. */
	CU_ASSERT(kvm_gdb_limits(&s390_kvm, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "/dev/kvm-arm64 has no guest debugging (KVM_CAP_SET_GUEST_DEBUG) and core registers only"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "memory by physical address"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "core registers, memory, continue and Ctrl-C work"));
	k.caps.guest_debug = false;
	k.caps.sysregs = true;
	CU_ASSERT(kvm_gdb_limits(&k, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NULL(strstr(buf, "core registers only"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "; registers, memory, continue and Ctrl-C work"));
	k.caps.guest_debug = true;

	k.caps.hw_wps = 0;
	CU_ASSERT(kvm_gdb_limits(&k, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "KVM_CAP_GUEST_DEBUG_HW_WPS is 0"));
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "break, hbreak and stepi work"));
	k.caps.hw_bps = 0;
	CU_ASSERT(kvm_gdb_limits(&k, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "_HW_BPS and _HW_WPS are 0"));
	k.caps.hw_wps = 2;
	CU_ASSERT(kvm_gdb_limits(&k, buf, sizeof(buf)) > 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(buf, "hbreak is refused; break, watch and stepi work"));
}

static const CU_TestInfo caps_tests[] = {
	{ "s390 as posted: payload only, 1 vCPU", test_caps_s390 },
	{ "s390 with a vGIC runs Linux", test_caps_s390_with_gic },
	{ "ARMZ_FEATURES=s390", test_caps_restrict },
	{ "--irqchip and --pmu", test_caps_irqchip },
	{ "arm64 with GICv3 and GICv2", test_caps_arm64 },
	{ "IPA size", test_caps_ipa },
	{ "--gdb: what is missing, what still works", test_caps_gdb },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(caps, caps_tests)
