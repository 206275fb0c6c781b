// SPDX-License-Identifier: GPL-2.0
/*
 * Where the kernel, initrd and DTB go in guest RAM, following the rules of
 * Documentation/arch/arm64/booting.rst:
 *  - the kernel at text_offset above a 2 MiB aligned base, as low as
 *    possible (older kernels cannot use memory below their own base);
 *  - the DTB 8-byte aligned, at most 2 MiB, and alone in its 2 MiB block
 *    because the kernel maps that block cacheably as a whole;
 *  - the initrd inside a 1 GiB aligned window of at most 32 GiB that also
 *    covers the kernel.
 * The DTB takes the top 2 MiB block, the initrd sits right below it, so the
 * kernel's bss and early allocations grow into free memory.
 */
#include <errno.h>

#include <armz/err.h>
#include <armz/loader.h>

#define SZ_1M			(1ULL << 20)
#define SZ_1G			(1ULL << 30)
#define INITRD_WINDOW		(32ULL << 30)
/* A page for any granule the kernel may use. */
#define INITRD_ALIGN		(64ULL << 10)

static uint64_t align_down(uint64_t v, uint64_t a)
{
	return v & ~(a - 1);
}

static unsigned long long mib(uint64_t v)
{
	return v / SZ_1M + !!(v % SZ_1M);
}

static int layout_no_room(uint64_t ram_size, const struct arm64_image *img,
			  uint64_t initrd_size, bool windowed)
{
	if (!initrd_size)
		return err_set(ENOSPC, "kernel (%llu MiB) does not fit in "
			       "%llu MiB of RAM (the top 2 MiB block is the "
			       "device tree's)", mib(img->image_size),
			       (unsigned long long)(ram_size / SZ_1M));
	if (windowed)
		return err_set(ENOSPC, "kernel (%llu MiB) and initrd "
			       "(%llu MiB) do not fit in the 32 GiB window the "
			       "kernel requires them to share",
			       mib(img->image_size), mib(initrd_size));
	return err_set(ENOSPC, "kernel (%llu MiB) and initrd (%llu MiB) do "
		       "not fit in %llu MiB of RAM", mib(img->image_size),
		       mib(initrd_size),
		       (unsigned long long)(ram_size / SZ_1M));
}

int layout_plan(uint64_t ram_base, uint64_t ram_size,
		const struct arm64_image *img, uint64_t initrd_size,
		struct boot_layout *out)
{
	uint64_t ram_end, base, top, window_end, dtb_gpa, kernel_gpa;
	uint64_t kernel_end, initrd_gpa = 0;
	bool windowed = false;

	if (!img->image_size || img->text_offset >= LOADER_ALIGN_2M)
		return err_set(EINVAL, "kernel image size 0x%llx or "
			       "text_offset 0x%llx is invalid",
			       (unsigned long long)img->image_size,
			       (unsigned long long)img->text_offset);
	if (!ram_size || ram_base > UINT64_MAX - ram_size ||
	    ram_base > UINT64_MAX - LOADER_ALIGN_2M)
		return err_set(EINVAL, "RAM 0x%llx +0x%llx is invalid",
			       (unsigned long long)ram_base,
			       (unsigned long long)ram_size);
	ram_end = ram_base + ram_size;
	base = align_down(ram_base + LOADER_ALIGN_2M - 1, LOADER_ALIGN_2M);
	kernel_gpa = base + img->text_offset;

	top = ram_end;
	window_end = align_down(kernel_gpa, SZ_1G) + INITRD_WINDOW;
	if (initrd_size && window_end < top) {
		top = window_end;
		windowed = true;
	}
	top = align_down(top, LOADER_ALIGN_2M);
	if (top < base + LOADER_ALIGN_2M)
		return err_set(ENOSPC, "%llu MiB of RAM is too small to boot "
			       "a kernel",
			       (unsigned long long)(ram_size / SZ_1M));
	dtb_gpa = top - LOADER_ALIGN_2M;

	if (kernel_gpa > dtb_gpa || img->image_size > dtb_gpa - kernel_gpa)
		return layout_no_room(ram_size, img, 0, false);
	kernel_end = kernel_gpa + img->image_size;

	if (initrd_size) {
		if (initrd_size > dtb_gpa - kernel_end)
			return layout_no_room(ram_size, img, initrd_size,
					      windowed);
		initrd_gpa = align_down(dtb_gpa - initrd_size, INITRD_ALIGN);
		if (initrd_gpa < kernel_end)
			return layout_no_room(ram_size, img, initrd_size,
					      windowed);
	}

	out->kernel_gpa = kernel_gpa;
	out->kernel_end = kernel_end;
	out->initrd_gpa = initrd_gpa;
	out->initrd_size = initrd_size;
	out->dtb_gpa = dtb_gpa;
	out->dtb_max = LOADER_DTB_MAX;
	return 0;
}
