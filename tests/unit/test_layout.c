// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <string.h>

#include <armz/err.h>
#include <armz/loader.h>
#include <armz/memmap.h>

#include "unit.h"

#define MiB(x)		((uint64_t)(x) << 20)
#define GiB(x)		((uint64_t)(x) << 30)

static const struct arm64_image kernel30 = {
	.text_offset = 0, .image_size = MiB(30), .file_size = MiB(25),
};

/* The invariants every plan must satisfy, whatever the sizes. */
static void layout_assert_sane(const struct boot_layout *l,
			       const struct arm64_image *img, uint64_t base,
			       uint64_t size)
{
	uint64_t end = base + size;

	CU_ASSERT_EQUAL((l->kernel_gpa - img->text_offset) % MiB(2), 0);
	CU_ASSERT(l->kernel_gpa - img->text_offset >= base);
	CU_ASSERT_EQUAL(l->kernel_end, l->kernel_gpa + img->image_size);
	CU_ASSERT_EQUAL(l->dtb_gpa % MiB(2), 0);
	CU_ASSERT_EQUAL(l->dtb_max, MiB(2));
	CU_ASSERT(l->dtb_gpa >= l->kernel_end);
	CU_ASSERT(l->dtb_gpa + l->dtb_max <= end);
	if (l->initrd_size) {
		CU_ASSERT_EQUAL(l->initrd_gpa % 4096, 0);
		CU_ASSERT(l->initrd_gpa >= l->kernel_end);
		CU_ASSERT(l->initrd_gpa + l->initrd_size <= l->dtb_gpa);
	}
}

static void test_layout_defaults(void)
{
	struct boot_layout l;

	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &kernel30,
				    MiB(10), &l), 0);
	layout_assert_sane(&l, &kernel30, MEMMAP_RAM_BASE, MiB(256));
	CU_ASSERT_EQUAL(l.kernel_gpa, MEMMAP_RAM_BASE);
	CU_ASSERT_EQUAL(l.kernel_end, MEMMAP_RAM_BASE + MiB(30));
	CU_ASSERT_EQUAL(l.dtb_gpa, MEMMAP_RAM_BASE + MiB(254));
	CU_ASSERT_EQUAL(l.initrd_size, MiB(10));
	CU_ASSERT_EQUAL(l.initrd_gpa, MEMMAP_RAM_BASE + MiB(244));
}

static void test_layout_text_offset(void)
{
	struct arm64_image img = kernel30;
	struct boot_layout l;

	img.text_offset = 0x80000;
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &img, 0, &l),
			0);
	CU_ASSERT_EQUAL(l.kernel_gpa, MEMMAP_RAM_BASE + 0x80000);
	CU_ASSERT_EQUAL(l.kernel_end, MEMMAP_RAM_BASE + 0x80000 + MiB(30));
	CU_ASSERT_EQUAL(l.initrd_gpa, 0);
	CU_ASSERT_EQUAL(l.initrd_size, 0);
	layout_assert_sane(&l, &img, MEMMAP_RAM_BASE, MiB(256));

	/* A base off the 2 MiB grid moves the kernel up to the next one. */
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE + MiB(1), MiB(64), &img,
				    MiB(3), &l), 0);
	CU_ASSERT_EQUAL(l.kernel_gpa, MEMMAP_RAM_BASE + MiB(2) + 0x80000);
	layout_assert_sane(&l, &img, MEMMAP_RAM_BASE + MiB(1),
			   MiB(64));
}

static void test_layout_unaligned_sizes(void)
{
	struct boot_layout l;
	uint64_t size = MiB(100) + 12345;

	/* Odd initrd sizes still start on a page; odd RAM ends are cut. */
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, size, &kernel30,
				    MiB(7) + 1, &l), 0);
	layout_assert_sane(&l, &kernel30, MEMMAP_RAM_BASE, size);
	CU_ASSERT_EQUAL(l.dtb_gpa, MEMMAP_RAM_BASE + MiB(98));
}

static void test_layout_exact_fit(void)
{
	struct boot_layout l;

	/* 30 + 224 + 2 (DTB) = 256: fits exactly, one byte more does not. */
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &kernel30,
				    MiB(224), &l), 0);
	CU_ASSERT_EQUAL(l.initrd_gpa, l.kernel_end);
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &kernel30,
				    MiB(224) + 1, &l), -ENOSPC);
}

static void test_layout_too_big(void)
{
	struct arm64_image img = kernel30;
	struct boot_layout l;

	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &kernel30,
				    MiB(300), &l), -ENOSPC);
	CU_ASSERT_STRING_EQUAL(err_msg(), "kernel (30 MiB) and initrd "
			       "(300 MiB) do not fit in 256 MiB of RAM");

	img.image_size = MiB(255);
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &img, 0, &l),
			-ENOSPC);
	CU_ASSERT(strstr(err_msg(), "kernel (255 MiB)") != NULL);
	img.image_size = MiB(254);
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &img, 0, &l),
			0);

	img.image_size = UINT64_MAX - MiB(1);
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &img, 0, &l),
			-ENOSPC);
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(256), &kernel30,
				    UINT64_MAX, &l), -ENOSPC);
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, MiB(2), &kernel30, 0,
				    &l), -ENOSPC);
	CU_ASSERT_EQUAL(layout_plan(UINT64_MAX - MiB(1), MiB(1), &kernel30, 0,
				    &l), -EINVAL);
}

static void test_layout_large_ram(void)
{
	struct boot_layout l;

	/* The initrd must stay within 32 GiB of the kernel's 1 GiB block. */
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, GiB(64), &kernel30,
				    MiB(10), &l), 0);
	layout_assert_sane(&l, &kernel30, MEMMAP_RAM_BASE, GiB(64));
	CU_ASSERT(l.initrd_gpa + l.initrd_size <= MEMMAP_RAM_BASE + GiB(32));
	CU_ASSERT(l.initrd_gpa >= MEMMAP_RAM_BASE + GiB(31));

	/* Without an initrd the DTB goes to the very top. */
	CU_ASSERT_EQUAL(layout_plan(MEMMAP_RAM_BASE, GiB(64), &kernel30, 0,
				    &l), 0);
	CU_ASSERT_EQUAL(l.dtb_gpa, MEMMAP_RAM_BASE + GiB(64) - MiB(2));
}

static const CU_TestInfo layout_tests[] = {
	{ "defaults", test_layout_defaults },
	{ "text_offset and base alignment", test_layout_text_offset },
	{ "unaligned sizes", test_layout_unaligned_sizes },
	{ "exact fit", test_layout_exact_fit },
	{ "too big", test_layout_too_big },
	{ "large RAM", test_layout_large_ram },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(layout, layout_tests)
