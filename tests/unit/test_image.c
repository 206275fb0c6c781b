// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/loader.h>

#include "unit.h"

#define FILE_LEN	8192

static uint8_t image[FILE_LEN];

/* A header as the kernel's head.S lays it out, byte by byte. */
static void image_hdr(uint64_t text_offset, uint64_t image_size,
		      uint64_t flags)
{
	memset(image, 0, sizeof(image));
	le32_write(image, 0xfa405a4d);		/* "MZ", as EFI kernels */
	le32_write(image + 4, 0x14000000);	/* b . */
	le64_write(image + 0x08, text_offset);
	le64_write(image + 0x10, image_size);
	le64_write(image + 0x18, flags);
	memcpy(image + 0x38, "ARM\x64", 4);
}

static bool msg_has(const char *s)
{
	return strstr(err_msg(), s) != NULL;
}

static void test_image_valid(void)
{
	struct arm64_image img;

	/* LE, 4 KiB pages, placement anywhere: a typical v5+ kernel. */
	image_hdr(0, 30ULL << 20, 1 << 1 | 1 << 3);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);
	CU_ASSERT_EQUAL(img.text_offset, 0);
	CU_ASSERT_EQUAL(img.image_size, 30ULL << 20);
	CU_ASSERT_EQUAL(img.flags, 0xa);
	CU_ASSERT_EQUAL(img.file_size, FILE_LEN);
	CU_ASSERT_EQUAL(img.page_size, 4096);

	/* Fields wider than a byte must be read little-endian. */
	image_hdr(0x80000, 0x01234000, 3 << 1);
	CU_ASSERT_EQUAL(image[0x0a], 0x08);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);
	CU_ASSERT_EQUAL(img.text_offset, 0x80000);
	CU_ASSERT_EQUAL(img.image_size, 0x01234000);
	CU_ASSERT_EQUAL(img.page_size, 65536);

	image_hdr(0, FILE_LEN, 2 << 1);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);
	CU_ASSERT_EQUAL(img.page_size, 16384);
	image_hdr(0, FILE_LEN, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);
	CU_ASSERT_EQUAL(img.page_size, 0);
}

static void test_image_legacy(void)
{
	struct arm64_image img;

	/* Before v3.17: no size; text_offset in the kernel's byte order. */
	image_hdr(0x0008000000000000ULL, 0, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);
	CU_ASSERT_EQUAL(img.text_offset, 0x80000);
	CU_ASSERT(img.image_size >= (2ULL << 20) + FILE_LEN);
	CU_ASSERT_EQUAL(img.image_size % (2ULL << 20), 0);
	CU_ASSERT_EQUAL(img.file_size, FILE_LEN);
}

static void test_image_bad_magic(void)
{
	struct arm64_image img;

	image_hdr(0, 1 << 20, 0);
	image[0x3b] = 0x65;
	err_clear();
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	CU_ASSERT(msg_has("magic"));

	/* The magic written as a host-order integer is wrong on s390x. */
	image_hdr(0, 1 << 20, 0);
	memcpy(image + 0x38, "\x64MRA", 4);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);

	memset(image, 0, sizeof(image));
	image[0] = 0x1f;
	image[1] = 0x8b;
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	CU_ASSERT(msg_has("gzip"));

	memset(image, 0, sizeof(image));
	memcpy(image, "\177ELF", 4);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	CU_ASSERT(msg_has("ELF"));
}

static void test_image_big_endian(void)
{
	struct arm64_image img;

	image_hdr(0, 1 << 20, 1 | 1 << 1);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	CU_ASSERT_STRING_EQUAL(err_msg(), "big-endian Image: armz boots "
			       "little-endian kernels");
}

static void test_image_truncated(void)
{
	struct arm64_image img;

	image_hdr(0, 1 << 20, 0);
	CU_ASSERT_EQUAL(image_parse(image, ARM64_IMAGE_HDR_SIZE - 1, &img),
			-EINVAL);
	CU_ASSERT(msg_has("too short"));
	CU_ASSERT_EQUAL(image_parse(image, 0, &img), -EINVAL);
	CU_ASSERT_EQUAL(image_parse(image, ARM64_IMAGE_HDR_SIZE, &img), 0);
}

static void test_image_bad_sizes(void)
{
	struct arm64_image img;

	/* A kernel is never smaller in memory than on disk. */
	image_hdr(0, FILE_LEN - 1, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	CU_ASSERT(msg_has("image_size"));
	image_hdr(0, FILE_LEN, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);

	image_hdr(0, 1ULL << 60, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);

	image_hdr(2ULL << 20, 1 << 20, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	CU_ASSERT(msg_has("text_offset"));
	image_hdr(0x80100, 1 << 20, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), -EINVAL);
	image_hdr(0x1ff000, 1 << 20, 0);
	CU_ASSERT_EQUAL(image_parse(image, FILE_LEN, &img), 0);
}

static void test_file_map(void)
{
	char path[] = "/tmp/armz-unit-XXXXXX";
	struct file_buf fb = { 0 };
	char want[64];
	int fd;

	fd = mkstemp(path);
	CU_ASSERT_FATAL(fd >= 0);

	CU_ASSERT_EQUAL(file_map("initrd", path, &fb), -EINVAL);
	snprintf(want, sizeof(want), "initrd '%s' is empty", path);
	CU_ASSERT_STRING_EQUAL(err_msg(), want);
	CU_ASSERT_PTR_NULL(fb.data);

	CU_ASSERT_EQUAL(write(fd, "armz", 4), 4);
	close(fd);
	CU_ASSERT_EQUAL(file_map("kernel", path, &fb), 0);
	CU_ASSERT_EQUAL(fb.size, 4);
	CU_ASSERT_FATAL(fb.data != NULL);
	CU_ASSERT_EQUAL(memcmp(fb.data, "armz", 4), 0);
	memset(want, 0, sizeof(want));
	CU_ASSERT_EQUAL(file_copy(&fb, want), 0);
	CU_ASSERT_EQUAL(memcmp(want, "armz\0", 5), 0);
	file_unmap(&fb);
	CU_ASSERT_PTR_NULL(fb.data);
	file_unmap(&fb);

	unlink(path);
	CU_ASSERT_EQUAL(file_map("kernel", path, &fb), -ENOENT);
	CU_ASSERT(msg_has("cannot open kernel '/tmp/armz-unit-"));
	CU_ASSERT(msg_has("': No such file or directory"));

	CU_ASSERT_EQUAL(file_map("kernel", "/tmp", &fb), -EISDIR);
	CU_ASSERT_STRING_EQUAL(err_msg(), "kernel '/tmp' is a directory");
}

static const CU_TestInfo image_tests[] = {
	{ "valid header", test_image_valid },
	{ "pre-3.17 header", test_image_legacy },
	{ "bad magic", test_image_bad_magic },
	{ "big-endian refused", test_image_big_endian },
	{ "truncated", test_image_truncated },
	{ "bad sizes", test_image_bad_sizes },
	{ "file_map", test_file_map },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(image, image_tests)
