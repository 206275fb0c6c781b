/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_UNPACK_H
#define ARMZ_UNPACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <armz/loader.h>

/*
 * Decompression of kernels and kernel modules through the libraries that
 * own the formats: gzip (zlib), zstd (libzstd), xz and lzma (liblzma).
 *
 * The input is hostile. A stream is read from a byte range of a file and
 * never past it; the output goes into a window the caller owns and never
 * past its end; bytes after the end of the first stream (the size the
 * kernel's build appends, padding) are ignored. Corrupt or truncated data
 * is an error naming the file and the library's reason.
 *
 * Threads: nothing is shared between calls; each call uses only what it
 * is given, so calls on different threads are independent.
 */

enum unpack_format {
	UNPACK_NONE,		/* not compressed, or in no format here */
	UNPACK_GZIP,
	UNPACK_ZSTD,
	UNPACK_XZ,
	UNPACK_LZMA,		/* the legacy .lzma ("lzma_alone") format */
};

/* The format whose magic buf starts with, or UNPACK_NONE. */
enum unpack_format unpack_detect(const void *buf, size_t len);
/* "gzip", "zstd", "xz", "lzma"; "none" for UNPACK_NONE. */
const char *unpack_name(enum unpack_format f);
/*
 * The format an EFI zboot header names: the kernel's build writes
 * "gzip", "zstd", "zstd22", "xzkern", "lzma", "lz4", "lzo", ...;
 * UNPACK_NONE for those armz has no library for.
 */
enum unpack_format unpack_by_name(const char *name);

/* unpack_out.flush's "enough, stop here" (a success). */
#define UNPACK_STOP	1

/*
 * Where the output goes: the library writes at buf + used, up to size.
 * When it can go no further without more room, flush(o, false) runs; at
 * the end of the stream flush(o, true) runs once. flush consumes what it
 * wants of buf[0, used) and makes room: resets used, or points buf and
 * size at a bigger or other window (keeping used bytes that must stay).
 * It returns 0 to go on, UNPACK_STOP to end early, or a negative errno
 * after err_set(). total counts every byte produced.
 *
 * stable promises that buf and size never change during the stream and
 * that running out of room is the end (an error from flush): zstd then
 * writes straight into buf instead of through a window of its own.
 */
struct unpack_out {
	uint8_t *buf;
	size_t size;
	size_t used;
	uint64_t total;
	bool stable;
	int (*flush)(struct unpack_out *o, bool end);
	void *ctx;
};

/*
 * Decompress the f stream that starts at off in fb (opened with file_open
 * or file_map), reading at most len bytes of it. Returns 0 at the end of
 * the stream or when flush said UNPACK_STOP.
 */
int unpack_file(enum unpack_format f, const struct file_buf *fb,
		uint64_t off, uint64_t len, struct unpack_out *out);

/*
 * Decompress into dst, never writing more than cap bytes: -EFBIG when the
 * stream holds more (what is in dst then is a prefix). *out_len is the
 * stream's size.
 */
int unpack_to_buffer(enum unpack_format f, const struct file_buf *fb,
		     uint64_t off, uint64_t len, void *dst, size_t cap,
		     size_t *out_len);

/*
 * The whole file at path in a malloc()ed buffer, decompressed when it
 * starts with the magic of a format above; -EFBIG past max bytes. The
 * caller frees *data. what names the file in messages ("kernel module").
 */
int unpack_read_file(const char *what, const char *path, size_t max,
		     void **data, size_t *len);

#endif
