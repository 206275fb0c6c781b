// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/kernel.h>
#include <armz/le.h>
#include <armz/memmap.h>

#include "testfile.h"
#include "unit.h"

/*
 * A fake Image of FAKE_LEN bytes (tf_image): the banner and the IKCONFIG
 * marker straddle the scan's 64 KiB windows, and the pattern around them
 * makes every decompressor run many blocks.
 */
#define FAKE_LEN	300000
#define FAKE_BSS	0x10000
#define RELEASE		"6.99.0-armz-test+"
#define RAM_SIZE	(16u << 20)
#define GUARD		0xa5

static const char fake_config[] =
	"#\n# Linux/arm64 6.99.0 Kernel Configuration\n#\n"
	"CONFIG_ARM64=y\nCONFIG_9P_FS=m\n# CONFIG_OVERLAY_FS is not set\n";

static uint8_t *fake_image(uint64_t image_size, bool config)
{
	return tf_image(FAKE_LEN, image_size, RELEASE,
			config ? fake_config : NULL);
}

static bool msg_has(const char *s)
{
	return strstr(err_msg(), s) != NULL;
}

/* Fake guest RAM, with a guard byte after it. */
struct ram {
	uint8_t *buf;
	struct guest_mem mem;
};

static void ram_new(struct ram *r)
{
	r->buf = malloc(RAM_SIZE + 1);
	memset(r->buf, GUARD, RAM_SIZE + 1);
	r->mem = (struct guest_mem){
		.gpa = MEMMAP_RAM_BASE, .size = RAM_SIZE, .host = r->buf,
	};
}

static uint8_t *ram_at(struct ram *r, uint64_t gpa)
{
	return r->buf + (gpa - MEMMAP_RAM_BASE);
}

/*
 * Opens path, plans and loads it into fresh RAM: 0 or the error of the
 * first step that failed. The caller frees r->buf.
 */
static int open_and_load(const char *path, enum kernel_format fmt,
			 struct ram *r, struct boot_layout *l,
			 uint64_t *entry, struct kernel **kp)
{
	struct kernel *k;
	int ret;

	ram_new(r);
	ret = kernel_open(path, fmt, &k);
	if (ret)
		return ret;
	ret = layout_plan(r->mem.gpa, r->mem.size, &kernel_info(k)->img, 0, l);
	if (!ret)
		ret = kernel_load(k, &r->mem, l, entry);
	if (kp)
		*kp = k;
	else
		kernel_close(k);
	return ret;
}

static void check_scan(struct kernel *k, bool config)
{
	const char *rel = NULL, *text = NULL;
	size_t len = 0;

	CU_ASSERT_EQUAL(kernel_release(k, &rel), 0);
	CU_ASSERT_PTR_NOT_NULL_FATAL(rel);
	CU_ASSERT_STRING_EQUAL(rel, RELEASE);
	if (config) {
		CU_ASSERT_EQUAL_FATAL(kernel_config(k, &text, &len), 0);
		CU_ASSERT_EQUAL(len, sizeof(fake_config) - 1);
		CU_ASSERT_STRING_EQUAL(text, fake_config);
	} else {
		CU_ASSERT_EQUAL(kernel_config(k, &text, &len), -ENOENT);
	}
}

static void test_kernel_image(void)
{
	uint8_t *img = fake_image(FAKE_LEN + FAKE_BSS, true);
	char *path = tf_write(img, FAKE_LEN);
	struct boot_layout l;
	struct kernel *k;
	uint64_t entry = 0;
	struct ram r;

	CU_ASSERT_EQUAL_FATAL(open_and_load(path, KERNEL_FORMAT_AUTO, &r, &l,
					    &entry, &k), 0);
	CU_ASSERT_EQUAL(kernel_info(k)->kind, KERNEL_IMAGE);
	CU_ASSERT_EQUAL(kernel_info(k)->compression, UNPACK_NONE);
	CU_ASSERT_EQUAL(kernel_info(k)->img.image_size, FAKE_LEN + FAKE_BSS);
	CU_ASSERT_EQUAL(kernel_info(k)->img.file_size, FAKE_LEN);
	CU_ASSERT_STRING_EQUAL(kernel_describe(k), "arm64 Image");
	CU_ASSERT_EQUAL(l.kernel_gpa, MEMMAP_RAM_BASE);
	CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE);
	CU_ASSERT_EQUAL(memcmp(ram_at(&r, l.kernel_gpa), img, FAKE_LEN), 0);
	/* Nothing past the file: the bss is the kernel's to clear. */
	CU_ASSERT_EQUAL(*ram_at(&r, l.kernel_gpa + FAKE_LEN), GUARD);
	check_scan(k, true);
	kernel_close(k);
	free(r.buf);
	tf_remove(path);
	free(img);
}

static const enum unpack_format formats[] = {
	UNPACK_GZIP, UNPACK_ZSTD, UNPACK_XZ, UNPACK_LZMA,
};

/* The compressed fake, with the 4-byte size the kernel's build appends. */
static char *compressed_file(enum unpack_format f, const uint8_t *img,
			     size_t len, size_t *file_len)
{
	size_t n = 0;
	uint8_t *z = tf_compress(f, img, len, &n);
	char *path;

	CU_ASSERT_PTR_NOT_NULL_FATAL(z);
	z = realloc(z, n + 4);
	le32_write(z + n, (uint32_t)len);
	path = tf_write(z, n + 4);
	free(z);
	if (file_len)
		*file_len = n;
	return path;
}

static void test_kernel_compressed(void)
{
	uint8_t *img = fake_image(FAKE_LEN + FAKE_BSS, true);

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		char *path = compressed_file(formats[i], img, FAKE_LEN, NULL);
		char desc[64];
		struct boot_layout l;
		struct kernel *k;
		uint64_t entry = 0;
		struct ram r;

		CU_ASSERT_EQUAL_FATAL(open_and_load(path, KERNEL_FORMAT_AUTO,
						    &r, &l, &entry, &k), 0);
		CU_ASSERT_EQUAL(kernel_info(k)->kind, KERNEL_IMAGE_COMPRESSED);
		CU_ASSERT_EQUAL(kernel_info(k)->compression, formats[i]);
		snprintf(desc, sizeof(desc), "%s-compressed Image",
			 unpack_name(formats[i]));
		CU_ASSERT_STRING_EQUAL(kernel_describe(k), desc);
		CU_ASSERT_EQUAL(kernel_info(k)->img.image_size,
				FAKE_LEN + FAKE_BSS);
		CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE);
		CU_ASSERT_EQUAL(memcmp(ram_at(&r, l.kernel_gpa), img,
				       FAKE_LEN), 0);
		/*
		 * The rest of the place (the bss) is the decompressor's
		 * scratch space too (zstd copies in 16-byte strides), but
		 * never a byte past it.
		 */
		CU_ASSERT_EQUAL(*ram_at(&r, l.kernel_end), GUARD);
		CU_ASSERT_EQUAL(kernel_info(k)->img.file_size, FAKE_LEN);
		check_scan(k, true);
		kernel_close(k);

		/* The scan alone, on a kernel never loaded. */
		CU_ASSERT_EQUAL_FATAL(kernel_open(path, KERNEL_FORMAT_AUTO,
						  &k), 0);
		CU_ASSERT_EQUAL(kernel_info(k)->img.file_size, 0);
		check_scan(k, true);
		kernel_close(k);
		free(r.buf);
		tf_remove(path);
	}
	free(img);
}

/* Compressed Images that hold more than their image_size says. */
static void test_kernel_oversize(void)
{
	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		/* Exactly image_size bytes fit; one more does not. */
		uint8_t *fit = fake_image(FAKE_LEN, false);
		uint8_t *over = fake_image(FAKE_LEN - 1, false);
		char *p_fit = compressed_file(formats[i], fit, FAKE_LEN, NULL);
		char *p_over = compressed_file(formats[i], over, FAKE_LEN,
					       NULL);
		const char *rel;
		struct boot_layout l;
		struct kernel *k;
		uint64_t entry;
		struct ram r;

		CU_ASSERT_EQUAL(open_and_load(p_fit, KERNEL_FORMAT_AUTO, &r, &l,
					      &entry, NULL), 0);
		CU_ASSERT_EQUAL(memcmp(ram_at(&r, l.kernel_gpa), fit,
				       FAKE_LEN), 0);
		free(r.buf);

		err_clear();
		CU_ASSERT_EQUAL(open_and_load(p_over, KERNEL_FORMAT_AUTO, &r,
					      &l, &entry, NULL), -EFBIG);
		CU_ASSERT(msg_has(p_over));
		CU_ASSERT(msg_has("larger than the 299999 bytes"));
		/* Not one byte past the place the layout gave it. */
		CU_ASSERT_EQUAL(l.kernel_end, l.kernel_gpa + FAKE_LEN - 1);
		CU_ASSERT_EQUAL(*ram_at(&r, l.kernel_end), GUARD);
		free(r.buf);

		CU_ASSERT_EQUAL_FATAL(kernel_open(p_over, KERNEL_FORMAT_AUTO,
						  &k), 0);
		CU_ASSERT_EQUAL(kernel_release(k, &rel), -EFBIG);
		kernel_close(k);
		tf_remove(p_fit);
		tf_remove(p_over);
		free(fit);
		free(over);
	}
}

/* What the kernel's zboot-header.S lays out, then the payload. */
static char *zboot_file(const char *comp, const uint8_t *payload,
			size_t len, uint32_t off_field, uint32_t size_field)
{
	const size_t off = 0x1000;
	uint8_t *b = calloc(1, off + len + 4);
	char *path;

	memcpy(b, "MZ\0\0zimg", 8);
	le32_write(b + 8, off_field ? off_field : off);
	le32_write(b + 12, size_field ? size_field : (uint32_t)len);
	strcpy((char *)b + 24, comp);
	memcpy(b + 0x38, "\xcd\x23\x82\x81", 4);	/* LINUX_PE_MAGIC */
	le32_write(b + 0x3c, 0x40);		/* PE header offset */
	memcpy(b + 0x40, "PE\0\0", 4);
	memcpy(b + off, payload, len);
	le32_write(b + off + len, 0x12345678);	/* the appended size */
	path = tf_write(b, off + len + 4);
	free(b);
	return path;
}

static void test_kernel_zboot(void)
{
	static const struct {
		const char *name;
		enum unpack_format f;
	} comps[] = {
		{ "gzip", UNPACK_GZIP }, { "zstd22", UNPACK_ZSTD },
		{ "zstd", UNPACK_ZSTD }, { "xzkern", UNPACK_XZ },
		{ "lzma", UNPACK_LZMA },
	};
	uint8_t *img = fake_image(FAKE_LEN + FAKE_BSS, false);
	struct boot_layout l;
	struct kernel *k;
	uint64_t entry;
	struct ram r;
	char *path;

	for (size_t i = 0; i < sizeof(comps) / sizeof(comps[0]); i++) {
		size_t n;
		uint8_t *z = tf_compress(comps[i].f, img, FAKE_LEN, &n);
		char desc[64];

		path = zboot_file(comps[i].name, z, n, 0, 0);
		CU_ASSERT_EQUAL_FATAL(open_and_load(path, KERNEL_FORMAT_AUTO,
						    &r, &l, &entry, &k), 0);
		CU_ASSERT_EQUAL(kernel_info(k)->kind, KERNEL_ZBOOT);
		CU_ASSERT_EQUAL(kernel_info(k)->compression, comps[i].f);
		snprintf(desc, sizeof(desc), "EFI zboot image, %s",
			 unpack_name(comps[i].f));
		CU_ASSERT_STRING_EQUAL(kernel_describe(k), desc);
		CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE);
		CU_ASSERT_EQUAL(memcmp(ram_at(&r, l.kernel_gpa), img,
				       FAKE_LEN), 0);
		check_scan(k, false);
		kernel_close(k);
		free(r.buf);
		tf_remove(path);

		/* A payload that runs past the end of the file. */
		path = zboot_file(comps[i].name, z, n, 0, (uint32_t)n + 5);
		err_clear();
		CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k),
				-EINVAL);
		CU_ASSERT(msg_has("outside the file"));
		CU_ASSERT(msg_has(path));
		tf_remove(path);

		/* The payload size cuts the stream short. */
		path = zboot_file(comps[i].name, z, n, 0, (uint32_t)n / 2);
		CU_ASSERT_EQUAL(open_and_load(path, KERNEL_FORMAT_AUTO, &r, &l,
					      &entry, NULL), -EINVAL);
		CU_ASSERT(msg_has("ends early"));
		free(r.buf);
		tf_remove(path);
		free(z);
	}

	/* A compression armz has no library for is named. */
	path = zboot_file("lz4", img, 4096, 0, 0);
	err_clear();
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("EFI zboot image compressed with 'lz4'"));
	CU_ASSERT(msg_has(path));
	tf_remove(path);

	/* A payload that is no compressed data at all. */
	path = zboot_file("gzip", img, 4096, 0, 0);
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("gzip data is corrupt"));
	tf_remove(path);
	free(img);
}

/*
 * A vmlinux: segment one holds the Image's first 100000 bytes at
 * LINK_ADDR, segment two the bytes from 150000 on at LINK_ADDR + 150000,
 * listed in the other order; a bss-only segment comes last. The Image
 * made from it has zeros in the gap, as objcopy -O binary gives.
 */
#define LINK_ADDR	0xffff800080000000ULL
#define SEG1_LEN	100000
#define SEG2_AT		150000

static void elf_phdr(uint8_t *ph, uint64_t off, uint64_t addr, uint64_t filesz,
		     uint64_t memsz)
{
	le32_write(ph, 1);		/* PT_LOAD */
	le32_write(ph + 4, 5);		/* R+X */
	le64_write(ph + 8, off);
	le64_write(ph + 16, addr);
	le64_write(ph + 24, addr);
	le64_write(ph + 32, filesz);
	le64_write(ph + 40, memsz);
	le64_write(ph + 48, 0x10000);
}

static uint8_t *elf_file(const uint8_t *img, bool one_seg, uint16_t machine,
			 size_t *len)
{
	const size_t data = 0x1000;
	uint8_t *b = calloc(1, data + FAKE_LEN);
	uint8_t *ph = b + 64;

	memcpy(b, "\177ELF\2\1\1", 7);
	le16_write(b + 16, 3);			/* ET_DYN, as arm64's */
	le16_write(b + 18, machine);
	le32_write(b + 20, 1);
	le64_write(b + 24, LINK_ADDR);
	le64_write(b + 32, 64);			/* e_phoff */
	le16_write(b + 52, 64);
	le16_write(b + 54, 56);
	if (one_seg) {
		le16_write(b + 56, 1);
		elf_phdr(ph, data, LINK_ADDR, FAKE_LEN, FAKE_LEN + FAKE_BSS);
		memcpy(b + data, img, FAKE_LEN);
		*len = data + FAKE_LEN;
		return b;
	}
	le16_write(b + 56, 4);
	elf_phdr(ph, data + SEG1_LEN, LINK_ADDR + SEG2_AT, FAKE_LEN - SEG2_AT,
		 FAKE_LEN - SEG2_AT);
	le32_write(ph + 56, 4);			/* PT_NOTE: ignored */
	elf_phdr(ph + 112, data, LINK_ADDR, SEG1_LEN, SEG1_LEN);
	elf_phdr(ph + 168, 0, LINK_ADDR + FAKE_LEN, 0, FAKE_BSS);
	memcpy(b + data, img, SEG1_LEN);
	memcpy(b + data + SEG1_LEN, img + SEG2_AT, FAKE_LEN - SEG2_AT);
	*len = data + SEG1_LEN + FAKE_LEN - SEG2_AT;
	return b;
}

static void test_kernel_elf(void)
{
	uint8_t *img = fake_image(FAKE_LEN + FAKE_BSS, true);
	struct boot_layout l;
	struct kernel *k;
	uint64_t entry;
	struct ram r;
	size_t len;
	uint8_t *elf;
	char *path;

	/* One PT_LOAD: the Image is its data. */
	elf = elf_file(img, true, 183, &len);
	path = tf_write(elf, len);
	CU_ASSERT_EQUAL_FATAL(open_and_load(path, KERNEL_FORMAT_AUTO, &r, &l,
					    &entry, &k), 0);
	CU_ASSERT_EQUAL(kernel_info(k)->kind, KERNEL_ELF);
	CU_ASSERT_EQUAL(kernel_info(k)->img.file_size, FAKE_LEN);
	CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE);
	CU_ASSERT_EQUAL(memcmp(ram_at(&r, l.kernel_gpa), img, FAKE_LEN), 0);
	check_scan(k, true);
	kernel_close(k);
	free(r.buf);
	tf_remove(path);
	free(elf);

	/* Two, out of order, with a gap. */
	elf = elf_file(img, false, 183, &len);
	path = tf_write(elf, len);
	CU_ASSERT_EQUAL_FATAL(open_and_load(path, KERNEL_FORMAT_AUTO, &r, &l,
					    &entry, &k), 0);
	CU_ASSERT_EQUAL(kernel_info(k)->img.file_size, FAKE_LEN);
	memset(img + SEG1_LEN, 0, SEG2_AT - SEG1_LEN);
	CU_ASSERT_EQUAL(memcmp(ram_at(&r, l.kernel_gpa), img, FAKE_LEN), 0);
	check_scan(k, true);
	kernel_close(k);
	free(r.buf);

	/* Cut short: the second segment's data is not all there. */
	CU_ASSERT_EQUAL(tf_write_at(path, elf, len - 10), 0);
	err_clear();
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("beyond the end of the file"));
	CU_ASSERT(msg_has(path));
	tf_remove(path);
	free(elf);

	/* An x86-64 vmlinux. */
	elf = elf_file(img, true, 62, &len);
	path = tf_write(elf, len);
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("not for AArch64"));
	tf_remove(path);
	free(elf);
	free(img);
}

static void test_kernel_raw(void)
{
	uint8_t bin[5000];
	struct boot_layout l;
	struct kernel *k;
	uint64_t entry = 0;
	struct ram r;
	char *path;

	for (size_t i = 0; i < sizeof(bin); i++)
		bin[i] = (uint8_t)(i * 13 + 7);
	path = tf_write(bin, sizeof(bin));
	CU_ASSERT_EQUAL_FATAL(open_and_load(path, KERNEL_FORMAT_RAW, &r, &l,
					    &entry, &k), 0);
	CU_ASSERT_EQUAL(kernel_info(k)->kind, KERNEL_RAW);
	CU_ASSERT_STRING_EQUAL(kernel_describe(k), "raw binary");
	CU_ASSERT_EQUAL(l.kernel_gpa, MEMMAP_RAM_BASE + 0x80000);
	CU_ASSERT_EQUAL(entry, MEMMAP_RAM_BASE + 0x80000);
	CU_ASSERT(kernel_info(k)->img.image_size >= (2u << 20) + sizeof(bin));
	CU_ASSERT_EQUAL(memcmp(ram_at(&r, entry), bin, sizeof(bin)), 0);
	CU_ASSERT_EQUAL(*ram_at(&r, entry - 1), GUARD);
	CU_ASSERT_EQUAL(*ram_at(&r, entry + sizeof(bin)), GUARD);
	kernel_close(k);
	free(r.buf);

	/* Without being asked for raw, the same file is refused. */
	err_clear();
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("is not an arm64 Image"));
	CU_ASSERT(msg_has("raw kernel format"));
	CU_ASSERT(msg_has(path));
	tf_remove(path);
}

static void test_kernel_refusals(void)
{
	uint8_t *img = fake_image(FAKE_LEN + FAKE_BSS, false);
	struct boot_layout l;
	struct kernel *k;
	uint64_t entry;
	struct ram r;
	size_t n;
	uint8_t *z;
	char *path;

	/* Magic one byte off. */
	img[0x3b] = 0x65;
	path = tf_write(img, FAKE_LEN);
	err_clear();
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("not an arm64 Image"));
	CU_ASSERT(msg_has(path));
	tf_remove(path);

	/* A compressed file that is no Image. */
	z = tf_compress(UNPACK_XZ, img, FAKE_LEN, &n);
	path = tf_write(z, n);
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("(xz-compressed Image) holds no arm64 Image"));
	tf_remove(path);
	free(z);
	img[0x3b] = 0x64;

	/* Tiny files. */
	path = tf_write("MZ", 2);
	CU_ASSERT_EQUAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), -EINVAL);
	CU_ASSERT(msg_has("is 2 bytes"));
	tf_remove(path);

	for (size_t i = 0; i < sizeof(formats) / sizeof(formats[0]); i++) {
		z = tf_compress(formats[i], img, FAKE_LEN, &n);

		/* Truncated: the header still reads, the rest does not. */
		path = tf_write(z, n / 2);
		err_clear();
		CU_ASSERT_EQUAL(open_and_load(path, KERNEL_FORMAT_AUTO, &r, &l,
					      &entry, NULL), -EINVAL);
		CU_ASSERT(msg_has("data ends early"));
		CU_ASSERT(msg_has(unpack_name(formats[i])));
		CU_ASSERT(msg_has(path));
		free(r.buf);
		tf_remove(path);

		/* Corrupt in the middle. */
		for (size_t j = n / 3; j < n / 3 + 64; j++)
			z[j] ^= 0x5a;
		path = tf_write(z, n);
		err_clear();
		CU_ASSERT_EQUAL(open_and_load(path, KERNEL_FORMAT_AUTO, &r, &l,
					      &entry, NULL), -EINVAL);
		CU_ASSERT(msg_has("data is corrupt") ||
			  msg_has("data ends early"));
		CU_ASSERT(msg_has(path));
		free(r.buf);
		tf_remove(path);
		free(z);
	}
	free(img);
}

/* A pre-3.17 header has no image_size: a compressed one is measured. */
static void test_kernel_legacy_compressed(void)
{
	uint8_t *img = fake_image(0, false);
	char *path;
	struct kernel *k;

	le64_write(img + 8, 0x80000);
	path = compressed_file(UNPACK_GZIP, img, FAKE_LEN, NULL);
	CU_ASSERT_EQUAL_FATAL(kernel_open(path, KERNEL_FORMAT_AUTO, &k), 0);
	CU_ASSERT_EQUAL(kernel_info(k)->img.text_offset, 0x80000);
	CU_ASSERT_EQUAL(kernel_info(k)->img.file_size, FAKE_LEN);
	CU_ASSERT_EQUAL(kernel_info(k)->img.image_size % (2u << 20), 0);
	CU_ASSERT(kernel_info(k)->img.image_size > FAKE_LEN);
	kernel_close(k);
	tf_remove(path);
	free(img);
}

static void test_kernel_format_parse(void)
{
	enum kernel_format f = KERNEL_FORMAT_RAW;

	CU_ASSERT_EQUAL(kernel_format_parse("auto", &f), 0);
	CU_ASSERT_EQUAL(f, KERNEL_FORMAT_AUTO);
	CU_ASSERT_EQUAL(kernel_format_parse("raw", &f), 0);
	CU_ASSERT_EQUAL(f, KERNEL_FORMAT_RAW);
	CU_ASSERT_EQUAL(kernel_format_parse("elf", &f), -EINVAL);
	CU_ASSERT(msg_has("auto or raw"));
}

static void test_kernel_missing(void)
{
	struct kernel *k = (struct kernel *)1;

	CU_ASSERT_EQUAL(kernel_open("/nonexistent/Image", KERNEL_FORMAT_AUTO,
				    &k), -ENOENT);
	CU_ASSERT_PTR_NULL(k);
	CU_ASSERT(msg_has("cannot open kernel '/nonexistent/Image'"));
}

static const CU_TestInfo kernel_tests[] = {
	{ "arm64 Image", test_kernel_image },
	{ "gzip, zstd, xz and lzma Images", test_kernel_compressed },
	{ "more than image_size refused", test_kernel_oversize },
	{ "EFI zboot", test_kernel_zboot },
	{ "vmlinux ELF", test_kernel_elf },
	{ "raw binary", test_kernel_raw },
	{ "refusals", test_kernel_refusals },
	{ "pre-3.17 compressed", test_kernel_legacy_compressed },
	{ "format names", test_kernel_format_parse },
	{ "missing file", test_kernel_missing },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(kernel, kernel_tests)
