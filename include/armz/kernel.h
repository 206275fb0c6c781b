/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_KERNEL_H
#define ARMZ_KERNEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/guest-mem.h>
#include <armz/loader.h>
#include <armz/unpack.h>

/*
 * A Linux kernel in any form a developer has, turned into the arm64 Image
 * the boot protocol (Documentation/arch/arm64/booting.rst) wants in guest
 * RAM:
 *
 *   arm64 Image        arch/arm64/boot/Image, Debian's vmlinuz
 *   compressed Image   Image.gz, Image.zst, Image.xz, Image.lzma (Ubuntu's
 *                      vmlinuz is an Image.gz)
 *   EFI zboot          vmlinuz.efi: a PE/COFF stub with "zimg" at offset 4
 *                      and a compressed Image inside (the kernel's
 *                      drivers/firmware/efi/libstub/zboot-header.S)
 *   vmlinux            the ELF of a build tree: its PT_LOAD segments laid
 *                      out by address from the lowest, gaps zero-filled,
 *                      which is what `objcopy -O binary` makes the Image of
 *   raw                only when asked (KERNEL_FORMAT_RAW): a bare binary
 *                      with no header, such as kvm-unit-tests' .flat files,
 *                      loaded at RAM base + 0x80000 and entered at its first
 *                      byte with x0 = the DTB
 *
 * Use, as the machine does:
 *
 *	struct kernel *k;
 *	struct boot_layout layout;
 *	uint64_t entry;
 *
 *	r = kernel_open(path, KERNEL_FORMAT_AUTO, &k);
 *	if (!r)
 *		r = layout_plan(ram_gpa, ram_size, &kernel_info(k)->img,
 *				initrd_size, &layout);
 *	if (!r)
 *		r = kernel_load(k, &mem, &layout, &entry);
 *	kernel_close(k);
 *
 * The file is read with pread, a chunk at a time, and decompressed
 * straight into guest RAM: armz holds no copy of the kernel of its own
 * (liblzma's dictionary, up to the kernel's 32 MiB, lives as long as
 * kernel_load or kernel_release runs). Everything in the file is
 * hostile: nothing is written outside [layout.kernel_gpa,
 * layout.kernel_end), and a kernel that decompresses to more than its
 * header's image_size is refused.
 *
 * Threads: a struct kernel is used by one thread at a time; there is no
 * global state. Ownership: kernel_open allocates it and keeps its own copy
 * of the path; kernel_close frees it with everything it returned.
 */

enum kernel_format {
	KERNEL_FORMAT_AUTO,	/* Image, compressed Image, zboot, vmlinux */
	KERNEL_FORMAT_RAW,	/* a bare binary, whatever it looks like */
};

/* "auto" or "raw" (the command line's --kernel-format); -EINVAL else. */
int kernel_format_parse(const char *name, enum kernel_format *fmt);

enum kernel_kind {
	KERNEL_IMAGE,
	KERNEL_IMAGE_COMPRESSED,
	KERNEL_ZBOOT,
	KERNEL_ELF,
	KERNEL_RAW,
};

/* Where a raw binary goes: RAM base + this, entered at its first byte. */
#define KERNEL_RAW_OFFSET	0x80000ULL

struct kernel_info {
	enum kernel_kind kind;
	/* Of the Image inside a compressed Image or zboot; else NONE. */
	enum unpack_format compression;
	/*
	 * The Image header, for layout_plan. img.file_size is the size of
	 * the Image kernel_load writes; for a compressed kernel it is 0
	 * until known (after kernel_load, kernel_release or kernel_config),
	 * and img.image_size bounds it. A raw binary gets text_offset
	 * KERNEL_RAW_OFFSET and an image_size of its size rounded up to
	 * 2 MiB plus 2 MiB for the bss and stack it does not declare.
	 */
	struct arm64_image img;
	uint64_t file_size;	/* of the file itself */
};

struct kernel;

/*
 * Open the kernel at path and read what it is: its header, decompressed
 * as far as needed. Errors name the file and what is wrong with it:
 * "kernel 'x' is not an arm64 Image, ...", "kernel 'x' is an EFI zboot
 * image compressed with lz4: ...", "kernel 'x': xz data ends early: ...".
 */
int kernel_open(const char *path, enum kernel_format fmt,
		struct kernel **out);
const struct kernel_info *kernel_info(const struct kernel *k);
/* "arm64 Image", "gzip-compressed Image", "EFI zboot image (zstd)", ... */
const char *kernel_describe(const struct kernel *k);

/*
 * Put the Image at layout->kernel_gpa, from layout_plan() with this
 * kernel's img; *entry is where the vCPU starts (the Image's first byte).
 * -EFBIG when a compressed kernel holds more than image_size bytes; no
 * byte goes past layout->kernel_end.
 */
int kernel_load(struct kernel *k, const struct guest_mem *mem,
		const struct boot_layout *layout, uint64_t *entry);

/* Longest release (utsname's 64) plus its NUL. */
#define KERNEL_RELEASE_MAX	65

/*
 * The kernel's release ("6.12.117+deb12-arm64") from its "Linux version "
 * banner, and the .config it carries when built with CONFIG_IKCONFIG
 * (the gzip'd text between "IKCFG_ST" and "IKCFG_ED"). The first call of
 * either reads the whole kernel once, decompressing it through a small
 * window; both answers are kept. -ENOENT when the kernel has none. The
 * strings belong to k and live until kernel_close.
 */
int kernel_release(struct kernel *k, const char **release);
int kernel_config(struct kernel *k, const char **text, size_t *len);

void kernel_close(struct kernel *k);

/*
 * The release from the banner in an Image already in memory; -ENOENT
 * when there is none or it does not fit outlen.
 */
int image_kernel_release(const void *image, size_t len, char *out,
			 size_t outlen);

#endif
