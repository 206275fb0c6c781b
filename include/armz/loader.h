/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_LOADER_H
#define ARMZ_LOADER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>

#include <armz/guest-mem.h>

/*
 * What goes into guest RAM before the first vCPU runs: a kernel Image (with
 * optional initrd and a device tree) or a bare-metal payload. Nothing here
 * knows about KVM; every failure returns a negative errno with a reason
 * recorded through err_set().
 */

/* A whole file mapped read-only. */
struct file_buf {
	void *data;
	size_t size;
	int fd;
	const char *what;
	const char *path;
};

/*
 * Map the file at path. "what" names it in messages ("kernel", "initrd"):
 * "cannot open kernel 'x': No such file or directory", "kernel 'x' is
 * empty", "kernel 'x' is a directory".
 */
int file_map(const char *what, const char *path, struct file_buf *fb);
/* Read the whole file into dst (fb->size bytes), bypassing the mapping. */
int file_copy(const struct file_buf *fb, void *dst);
/* Safe on a zeroed or already unmapped file_buf. */
void file_unmap(struct file_buf *fb);

/*
 * Open and check the file as file_map() does, without mapping it
 * (fb->data stays NULL): for files read piece by piece with file_read(),
 * which keeps their pages out of armz's resident set. Close it with
 * file_close(), which also unmaps a file_map()ed one; on failure fb->fd
 * is -1 and file_close() is a no-op.
 */
int file_open(const char *what, const char *path, struct file_buf *fb);
/*
 * A text file for reading line by line, as fopen(path, "r") but never
 * waiting on a FIFO: NULL with errno set, EINVAL for anything that is not
 * a regular file.
 */
FILE *file_fopen(const char *path);
/* len bytes at off; -EIO naming the file when they are not all there. */
int file_read(const struct file_buf *fb, uint64_t off, void *dst,
	      size_t len);
void file_close(struct file_buf *fb);

/* Size of the arm64 Image header (Documentation/arch/arm64/booting.rst). */
#define ARM64_IMAGE_HDR_SIZE		64
#define ARM64_IMAGE_MAGIC_OFFSET	0x38

/* The kernel's own 2 MiB alignment for its base and the DTB block size. */
#define LOADER_ALIGN_2M			(2ULL << 20)
#define LOADER_DTB_MAX			(2ULL << 20)

struct arm64_image {
	uint64_t text_offset;	/* load offset from a 2 MiB aligned base */
	uint64_t image_size;	/* bytes the kernel occupies, bss too */
	uint64_t flags;
	uint64_t file_size;
	unsigned int page_size;	/* bytes; 0 = unspecified */
};

/* Validate the header of a little-endian arm64 Image; -EINVAL otherwise. */
int image_parse(const void *buf, size_t len, struct arm64_image *img);
/*
 * The same from the first hdr_len bytes of an Image of len bytes, which
 * need not be in memory; len 0 means not known yet (then it is not
 * checked against image_size, and a pre-3.17 header, which has no size
 * of its own, is refused).
 */
int image_parse_header(const void *hdr, size_t hdr_len, uint64_t len,
		       struct arm64_image *img);

/* Where each part of a Linux boot goes, as guest physical addresses. */
struct boot_layout {
	uint64_t kernel_gpa;	/* 2 MiB aligned RAM base + text_offset */
	uint64_t kernel_end;	/* kernel_gpa + image_size */
	uint64_t initrd_gpa;	/* 0 when there is no initrd */
	uint64_t initrd_size;
	uint64_t dtb_gpa;	/* 2 MiB block of its own near the top */
	uint64_t dtb_max;	/* room for the DTB at dtb_gpa */
};

/*
 * Plan a boot: the kernel at the bottom of RAM, the DTB at the top, the
 * initrd just below the DTB. initrd_size 0 means no initrd. -ENOSPC with
 * the sizes in MiB when the parts do not fit.
 */
int layout_plan(uint64_t ram_base, uint64_t ram_size,
		const struct arm64_image *img, uint64_t initrd_size,
		struct boot_layout *out);

/*
 * Copy a bare-metal payload into guest RAM. buf is either a little-endian
 * ELF64 for EM_AARCH64, whose PT_LOAD segments go to their p_paddr with the
 * bss zeroed, or a raw binary copied to load_addr (the RAM base when
 * has_load_addr is false). *entry receives e_entry or the load address.
 * Nothing is written to RAM unless the whole payload fits.
 */
int payload_load(const struct guest_mem *mem, const void *buf, size_t len,
		 bool has_load_addr, uint64_t load_addr, uint64_t *entry);

#endif
