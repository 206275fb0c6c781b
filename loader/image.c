// SPDX-License-Identifier: GPL-2.0
/*
 * The arm64 Image header, as Documentation/arch/arm64/booting.rst lays it
 * out: every field little-endian whatever the host.
 */
#include <errno.h>
#include <string.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/loader.h>
#include <armz/memmap.h>

#define HDR_TEXT_OFFSET		0x08
#define HDR_IMAGE_SIZE		0x10
#define HDR_FLAGS		0x18
#define IMAGE_MAGIC		0x644d5241	/* "ARM\x64" */

#define FLAG_BE			(1ULL << 0)
#define FLAG_PAGE_SHIFT		1
#define FLAG_PAGE_MASK		3ULL

/* What kernels before v3.17 (image_size 0) were all linked at. */
#define LEGACY_TEXT_OFFSET	0x80000ULL
/*
 * Those kernels do not say how much room their bss and early page tables
 * take beyond the file. Their bss is a few MiB at most; reserving 16 MiB
 * past the file keeps the initrd and DTB well clear of it.
 */
#define LEGACY_SLACK		(16ULL << 20)

static const unsigned int page_sizes[] = { 0, 4096, 16384, 65536 };

/* Name the usual wrong files instead of just "bad magic". */
static int image_bad_magic(const uint8_t *b)
{
	if (b[0] == 0x1f && b[1] == 0x8b)
		return err_set(EINVAL, "kernel is gzip-compressed: armz needs "
			       "the uncompressed arm64 Image (gunzip it)");
	if (!memcmp(b, "\177ELF", 4))
		return err_set(EINVAL, "kernel is an ELF file (vmlinux?): "
			       "armz needs arch/arm64/boot/Image");
	if (b[0] == 'M' && b[1] == 'Z' && !memcmp(b + 4, "zimg", 4))
		return err_set(EINVAL, "kernel is a compressed EFI zboot "
			       "image: armz needs the uncompressed Image");
	return err_set(EINVAL, "kernel is not an arm64 Image: no \"ARM\\x64\" "
		       "magic at offset 0x%x", ARM64_IMAGE_MAGIC_OFFSET);
}

static uint64_t round_up_2m(uint64_t v)
{
	return (v + LOADER_ALIGN_2M - 1) & ~(LOADER_ALIGN_2M - 1);
}

int image_parse(const void *buf, size_t len, struct arm64_image *img)
{
	return image_parse_header(buf, len, len, img);
}

int image_parse_header(const void *hdr, size_t hdr_len, uint64_t len,
		       struct arm64_image *img)
{
	const uint8_t *b = hdr;
	uint64_t text_offset, image_size, flags;

	if (hdr_len < ARM64_IMAGE_HDR_SIZE)
		return err_set(EINVAL, "kernel is too short for an arm64 Image "
			       "(%zu bytes, the header alone is %d)",
			       hdr_len, ARM64_IMAGE_HDR_SIZE);
	if (le32_read(b + ARM64_IMAGE_MAGIC_OFFSET) != IMAGE_MAGIC)
		return image_bad_magic(b);

	text_offset = le64_read(b + HDR_TEXT_OFFSET);
	image_size = le64_read(b + HDR_IMAGE_SIZE);
	flags = le64_read(b + HDR_FLAGS);

	memset(img, 0, sizeof(*img));
	img->file_size = len;

	if (image_size == 0 && !len)
		return err_set(EINVAL, "kernel Image has no image_size and its "
			       "size is unknown");
	if (image_size == 0) {
		/*
		 * Pre-3.17: text_offset is in the kernel's own byte order
		 * and the flags field did not exist yet. The size is a
		 * guess: the file, 2 MiB rounded, plus LEGACY_SLACK.
		 */
		img->text_offset = LEGACY_TEXT_OFFSET;
		img->image_size = round_up_2m(len) + LEGACY_SLACK;
		return 0;
	}

	if (flags & FLAG_BE)
		return err_set(EINVAL, "big-endian Image: armz boots "
			       "little-endian kernels");
	/* The kernel itself insists on a 4 KiB aligned offset below 2 MiB. */
	if (text_offset >= LOADER_ALIGN_2M || (text_offset & 0xfff))
		return err_set(EINVAL, "kernel Image has an invalid "
			       "text_offset 0x%llx (must be 4 KiB aligned, "
			       "below 2 MiB)",
			       (unsigned long long)text_offset);
	if (image_size < len)
		return err_set(EINVAL, "kernel Image header says image_size is "
			       "%llu bytes, less than the file's %llu: "
			       "corrupt or not an Image",
			       (unsigned long long)image_size,
			       (unsigned long long)len);
	if (image_size > MEMMAP_RAM_MAX)
		return err_set(EINVAL, "kernel Image header says image_size is "
			       "0x%llx bytes, more than any guest RAM",
			       (unsigned long long)image_size);

	img->text_offset = text_offset;
	img->image_size = image_size;
	img->flags = flags;
	img->page_size = page_sizes[(flags >> FLAG_PAGE_SHIFT) &
				    FLAG_PAGE_MASK];
	return 0;
}
