// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: a kernel file as loader/ reads it (include/armz/
 * kernel.h: arm64 Image, gzip/zstd/xz/lzma Image, EFI zboot, vmlinux ELF,
 * raw), the boot layout for it, the release and config found in it, and
 * the same bytes as a bare-metal payload (payload_load(), ELF or raw).
 *
 * The input: one byte of options, then the file, written to a memfd that
 * kernel_open() opens by its /proc/self/fd path.
 *   1     --kernel-format raw
 *   2     load it (when its image_size is at most LOAD_MAX)
 *   4     look for its release and config
 *   8     plan an initrd of 0x10000 << (bits 4-7) bytes too
 *   16-   the payload's load address, in 4 KiB steps (0: RAM base)
 *
 * Decompression is bounded by the Image header's image_size, and the
 * harness loads and scans only images of at most LOAD_MAX bytes; a
 * header without a size (before Linux 3.17) makes kernel_open() count
 * the whole stream, which the input's size bounds.
 *
 * Checked, besides ASan and UBSan (the loaded Image has a buffer of
 * exactly image_size bytes): the layout lies in RAM, its parts apart; an
 * Image or raw file loads as itself; the release and config found by the
 * streaming scan are those found in the loaded Image by plain search
 * (and zlib, for the config); a payload lands where it says.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <zlib.h>

#include <armz/err.h>
#include <armz/kernel.h>
#include <armz/loader.h>
#include <armz/memmap.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LOAD_MAX	(16u << 20)
#define RAM_SIZE	(1ULL << 30)
#define PAYLOAD_RAM	(64u << 10)
#define CONFIG_MAX	(16u << 20)

static int file = -1;
static char path[64];

static void check_layout(const struct kernel_info *info, uint64_t initrd,
			 const struct boot_layout *l)
{
	uint64_t end = MEMMAP_RAM_BASE + RAM_SIZE;

	if (l->kernel_gpa % LOADER_ALIGN_2M != info->img.text_offset ||
	    l->kernel_gpa < MEMMAP_RAM_BASE ||
	    l->kernel_end - l->kernel_gpa != info->img.image_size ||
	    l->kernel_end > l->dtb_gpa || l->dtb_gpa % LOADER_ALIGN_2M ||
	    l->dtb_gpa + l->dtb_max > end)
		fz_fail("layout: kernel 0x%llx-0x%llx, dtb 0x%llx",
			(unsigned long long)l->kernel_gpa,
			(unsigned long long)l->kernel_end,
			(unsigned long long)l->dtb_gpa);
	if (initrd && (l->initrd_size != initrd ||
		       l->initrd_gpa < l->kernel_end ||
		       l->initrd_gpa + initrd > l->dtb_gpa))
		fz_fail("layout: initrd 0x%llx +0x%llx",
			(unsigned long long)l->initrd_gpa,
			(unsigned long long)initrd);
}

/* What the scan must have found, from the whole Image in memory. */
static void check_release(struct kernel *k, const uint8_t *img, size_t len)
{
	const char *rel = NULL;
	char want[KERNEL_RELEASE_MAX];
	int r = kernel_release(k, &rel);
	int w = image_kernel_release(img, len, want, sizeof(want));

	/* The same stream loaded whole: reading it again cannot fail. */
	if (r && r != -ENOENT)
		fz_fail("release: the scan failed after a load: %s",
			err_msg());
	if (!r != !w || (!r && strcmp(rel, want)))
		fz_fail("release: the scan says %s, the Image %s",
			r ? "none" : rel, w ? "none" : want);
}

static void check_config(struct kernel *k, const uint8_t *img, size_t len)
{
	const uint8_t *p = memmem(img, len, "IKCFG_ST", 8);
	static char *want;
	const char *text = NULL;
	size_t text_len = 0;
	z_stream z = { 0 };
	int r = kernel_config(k, &text, &text_len), zr = Z_DATA_ERROR;

	if (r && r != -ENOENT)
		fz_fail("config: the scan failed after a load: %s", err_msg());
	if (!r && text[text_len])
		fz_fail("config: not NUL-terminated");
	if (!want && !(want = malloc(CONFIG_MAX)))
		abort();
	if (p && inflateInit2(&z, 16 + MAX_WBITS) == Z_OK) {
		z.next_in = (Bytef *)p + 8;
		z.avail_in = (uInt)(img + len - (p + 8));
		z.next_out = (Bytef *)want;
		z.avail_out = CONFIG_MAX;
		zr = inflate(&z, Z_FINISH);
		inflateEnd(&z);
	}
	/* Exactly CONFIG_MAX bytes is where the two may differ: skip it. */
	if (zr == Z_STREAM_END && z.total_out == CONFIG_MAX)
		return;
	if ((zr == Z_STREAM_END) != !r ||
	    (!r && (z.total_out != text_len || memcmp(text, want, text_len))))
		fz_fail("config: the scan says %s, zlib %d", r ? "none" :
			"found", zr);
}

static void load(struct kernel *k, const uint8_t *file_data, size_t file_len,
		 const struct boot_layout *l, bool scan)
{
	const struct kernel_info *info = kernel_info(k);
	struct guest_mem mem;
	uint64_t entry = 0;
	size_t room = (size_t)(l->kernel_end - l->kernel_gpa);

	/* Exactly the room image_size gives: ASan sees a byte past it. */
	mem = (struct guest_mem){ .gpa = l->kernel_gpa, .size = room,
				  .host = malloc(room) };
	if (!mem.host)
		abort();
	if (kernel_load(k, &mem, l, &entry)) {
		free(mem.host);
		return;
	}
	if (entry != l->kernel_gpa || info->img.file_size > room)
		fz_fail("load: entry 0x%llx, %llu bytes",
			(unsigned long long)entry,
			(unsigned long long)info->img.file_size);
	if ((info->kind == KERNEL_IMAGE || info->kind == KERNEL_RAW) &&
	    (info->img.file_size != file_len ||
	     memcmp(mem.host, file_data, file_len)))
		fz_fail("load: the Image is not the file");
	if (scan) {
		check_release(k, mem.host, (size_t)info->img.file_size);
		check_config(k, mem.host, (size_t)info->img.file_size);
	}
	free(mem.host);
}

static void payload(const uint8_t *p, size_t len, uint8_t opts)
{
	static uint8_t *ram;
	struct guest_mem mem;
	uint64_t at = MEMMAP_RAM_BASE + ((uint64_t)(opts >> 4) << 12), entry;
	bool has = opts >> 4;

	if (!ram)
		ram = malloc(PAYLOAD_RAM);
	mem = (struct guest_mem){ .gpa = MEMMAP_RAM_BASE, .size = PAYLOAD_RAM,
				  .host = ram };
	memset(ram, 0, PAYLOAD_RAM);
	if (payload_load(&mem, p, len, has, at, &entry))
		return;
	if (!guest_mem_at(&mem, entry, 4) || entry % 4)
		fz_fail("payload: entry 0x%llx", (unsigned long long)entry);
	if ((len < 4 || memcmp(p, "\177ELF", 4)) &&
	    (entry != (has ? at : MEMMAP_RAM_BASE) ||
	     memcmp(ram + (entry - MEMMAP_RAM_BASE), p, len)))
		fz_fail("payload: a raw binary is not where it says");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const struct kernel_info *info;
	struct boot_layout layout;
	struct arm64_image img;
	struct kernel *k;
	uint64_t initrd;
	uint8_t opts;
	char rel[KERNEL_RELEASE_MAX];

	if (!size)
		return 0;
	opts = data[0];
	data++;
	size--;
	if (file < 0) {
		file = memfd_create("armz-fuzz-kernel", MFD_CLOEXEC);
		if (file < 0)
			abort();
		snprintf(path, sizeof(path), "/proc/self/fd/%d", file);
	}
	if (ftruncate(file, 0) ||
	    pwrite(file, data, size, 0) != (ssize_t)size)
		abort();

	/* The in-memory parsers on the same bytes. */
	image_parse(data, size, &img);
	image_kernel_release(data, size, rel, sizeof(rel));
	payload(data, size, opts);

	if (kernel_open(path, opts & 1 ? KERNEL_FORMAT_RAW : KERNEL_FORMAT_AUTO,
			&k)) {
		fz_check_fds();
		return 0;
	}
	info = kernel_info(k);
	if (info->file_size != size || strlen(kernel_describe(k)) >= 64 ||
	    ((opts & 1) != (info->kind == KERNEL_RAW)))
		fz_fail("open: %s of %llu bytes", kernel_describe(k),
			(unsigned long long)info->file_size);
	initrd = opts & 8 ? 0x10000ULL << (opts >> 4) : 0;
	if (!layout_plan(MEMMAP_RAM_BASE, RAM_SIZE, &info->img, initrd,
			 &layout)) {
		check_layout(info, initrd, &layout);
		if ((opts & 2) && info->img.image_size <= LOAD_MAX)
			load(k, data, size, &layout, opts & 4);
	}
	if ((opts & 4) && info->img.image_size <= LOAD_MAX) {
		const char *s;
		size_t n;

		kernel_release(k, &s);
		kernel_config(k, &s, &n);
	}
	kernel_close(k);
	fz_check_fds();
	return 0;
}
