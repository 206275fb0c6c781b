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

/*
 * A fake arm64 Image of len (>= 256 KiB) bytes: a valid header with
 * image_size, a "Linux version RELEASE ..." banner cut in two by the
 * first 64 KiB boundary and, when config is not NULL, that text gzip'd
 * between "IKCFG_ST" and "IKCFG_ED" across the third; a pattern that
 * compresses a little everywhere else. malloc()ed.
 */
#define TF_BANNER_AT	(65536 - 6)
#define TF_IKCFG_AT	(3 * 65536 - 3)
uint8_t *tf_image(size_t len, uint64_t image_size, const char *release,
		  const char *config);

/* A new file under /tmp holding data; its malloc()ed path, or NULL. */
char *tf_write(const void *data, size_t len);
/* Writes data to path (created or truncated); 0 or -1. */
int tf_write_at(const char *path, const void *data, size_t len);
/* Removes the file at path and frees path. */
void tf_remove(char *path);
/* Creates dir/rel, with its parent directories, holding data. */
int tf_put(const char *dir, const char *rel, const void *data, size_t len);
/* rm -rf dir, then frees it. */
void tf_rmtree(char *dir);

#endif
