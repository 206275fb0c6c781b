// SPDX-License-Identifier: GPL-2.0
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/le.h>
#include <armz/loader.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#include "testfile.h"

static uint8_t *tf_gzip(const void *in, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	uint8_t *out;
	size_t cap;

	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, len) + 64;
	out = malloc(cap);
	z.next_in = (Bytef *)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	if (!out || deflate(&z, Z_FINISH) != Z_STREAM_END) {
		free(out);
		out = NULL;
	}
	*out_len = z.total_out;
	deflateEnd(&z);
	return out;
}

static uint8_t *tf_zstd(const void *in, size_t len, size_t *out_len)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len), left;
	uint8_t *out = malloc(cap);
	ZSTD_inBuffer ib = { in, len, 0 };
	ZSTD_outBuffer ob = { out, cap, 0 };

	if (!c || !out)
		goto fail;
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 19);
	ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
	do {
		left = ZSTD_compressStream2(c, &ob, &ib, ZSTD_e_end);
		if (ZSTD_isError(left))
			goto fail;
	} while (left);
	ZSTD_freeCCtx(c);
	*out_len = ob.pos;
	return out;
fail:
	ZSTD_freeCCtx(c);
	free(out);
	return NULL;
}

static uint8_t *tf_lzma(enum unpack_format f, const void *in, size_t len,
			size_t *out_len)
{
	lzma_stream s = LZMA_STREAM_INIT;
	lzma_options_lzma opt;
	size_t cap = len + len / 2 + 4096;
	uint8_t *out = malloc(cap);
	lzma_ret ret;

	if (!out || lzma_lzma_preset(&opt, 6))
		goto fail;
	if (f == UNPACK_XZ)
		ret = lzma_easy_encoder(&s, 6, LZMA_CHECK_CRC32);
	else
		ret = lzma_alone_encoder(&s, &opt);
	if (ret != LZMA_OK)
		goto fail;
	s.next_in = in;
	s.avail_in = len;
	s.next_out = out;
	s.avail_out = cap;
	ret = lzma_code(&s, LZMA_FINISH);
	*out_len = (size_t)s.total_out;
	lzma_end(&s);
	if (ret == LZMA_STREAM_END)
		return out;
fail:
	free(out);
	return NULL;
}

uint8_t *tf_compress(enum unpack_format f, const void *in, size_t len,
		     size_t *out_len)
{
	switch (f) {
	case UNPACK_GZIP:
		return tf_gzip(in, len, out_len);
	case UNPACK_ZSTD:
		return tf_zstd(in, len, out_len);
	case UNPACK_XZ:
	case UNPACK_LZMA:
		return tf_lzma(f, in, len, out_len);
	default:
		return NULL;
	}
}

int tf_write_at(const char *path, const void *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	ssize_t n = fd < 0 ? -1 : write(fd, data, len);

	if (fd >= 0)
		close(fd);
	return n == (ssize_t)len ? 0 : -1;
}

char *tf_write(const void *data, size_t len)
{
	char *path = strdup("/tmp/armz-unit-XXXXXX");
	int fd = path ? mkstemp(path) : -1;

	if (fd < 0) {
		free(path);
		return NULL;
	}
	close(fd);
	if (tf_write_at(path, data, len)) {
		tf_remove(path);
		return NULL;
	}
	return path;
}

void tf_remove(char *path)
{
	if (path)
		unlink(path);
	free(path);
}

uint8_t *tf_image(size_t len, uint64_t image_size, const char *release,
		  const char *config)
{
	uint8_t *b = malloc(len), *gz;
	char banner[256];
	size_t n, gz_len;

	if (!b || len < 4 * 65536)
		return NULL;
	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)((i >> 3) * 29 + (i % 5));
	memset(b, 0, ARM64_IMAGE_HDR_SIZE);
	le32_write(b, 0xfa405a4d);
	le64_write(b + 0x10, image_size);
	le64_write(b + 0x18, 0xa);
	memcpy(b + 0x38, "ARM\x64", 4);
	n = (size_t)snprintf(banner, sizeof(banner), "Linux version %s "
			     "(builder@host) (gcc 12) #1 SMP PREEMPT\n",
			     release);
	memcpy(b + TF_BANNER_AT, banner, n);
	if (config) {
		gz = tf_compress(UNPACK_GZIP, config, strlen(config), &gz_len);
		if (!gz || TF_IKCFG_AT + 16 + gz_len > len) {
			free(gz);
			free(b);
			return NULL;
		}
		memcpy(b + TF_IKCFG_AT, "IKCFG_ST", 8);
		memcpy(b + TF_IKCFG_AT + 8, gz, gz_len);
		memcpy(b + TF_IKCFG_AT + 8 + gz_len, "IKCFG_ED", 8);
		free(gz);
	}
	return b;
}

int tf_put(const char *dir, const char *rel, const void *data, size_t len)
{
	char path[4096];

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	for (char *p = path + 1; (p = strchr(p, '/')); p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	return tf_write_at(path, data, len);
}

void tf_rmtree(char *dir)
{
	char cmd[4200];

	if (dir && !strncmp(dir, "/tmp/armz-", 10)) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
		if (system(cmd))
			fprintf(stderr, "cannot remove %s\n", dir);
	}
	free(dir);
}
