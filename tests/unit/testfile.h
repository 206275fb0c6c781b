/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_TESTS_TESTFILE_H
#define ARMZ_TESTS_TESTFILE_H

#include <stddef.h>
#include <stdint.h>

#include <armz/unpack.h>

/*
 * Files the tests make at run time: compressed with the same libraries
 * armz reads them with, written under /tmp, removed by the test.
 */

/*
 * in compressed as f, in a malloc()ed buffer; NULL on failure. zstd
 * frames leave out the content size and lzma has the "unknown size"
 * header, as the kernel's build makes them from a pipe.
 */
uint8_t *tf_compress(enum unpack_format f, const void *in, size_t len,
		     size_t *out_len);

/* A new file under /tmp holding data; its malloc()ed path, or NULL. */
char *tf_write(const void *data, size_t len);
/* Writes data to path (created or truncated); 0 or -1. */
int tf_write_at(const char *path, const void *data, size_t len);
/* Removes the file at path and frees path. */
void tf_remove(char *path);

#endif
