// SPDX-License-Identifier: GPL-2.0
/*
 * mkzboot: wrap an arm64 Image the way an EFI zboot kernel (vmlinuz.efi,
 * CONFIG_EFI_ZBOOT) carries it, for the e2e suite to boot one made from
 * its own test kernel.
 *
 *	mkzboot gzip|zstd|xz IMAGE OUT
 *
 * The header is what a loader reads (the kernel's drivers/firmware/efi/
 * libstub/zboot-header.S): "MZ", "zimg" at 4, the payload's offset and
 * size at 8 and 12, the compression's name from 24, the Linux PE magic
 * at 0x38 and the PE header's offset at 0x3c. The payload is the Image
 * compressed as the kernel's build does it: zstd without the content
 * size, xz with CRC32 checks, and for both its size appended after it
 * (outside the payload's size). It is not an EFI application: there is
 * no PE/COFF stub to run, only its signature.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <lzma.h>
#include <zlib.h>
#include <zstd.h>

#define PAYLOAD_AT	0x1000
#define PE_AT		0x40
#define LINUX_PE_MAGIC	0x818223cdu
#define IMAGE_MAX	(512u << 20)

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	long n;

	if (!f || fseek(f, 0, SEEK_END) || (n = ftell(f)) < 0 ||
	    (size_t)n > IMAGE_MAX || fseek(f, 0, SEEK_SET))
		goto out;
	buf = malloc((size_t)n + 1);
	if (buf && fread(buf, 1, (size_t)n, f) != (size_t)n) {
		free(buf);
		buf = NULL;
	}
	*len = (size_t)n;
out:
	if (f)
		fclose(f);
	return buf;
}

static uint8_t *gzip(const uint8_t *in, size_t len, size_t *out_len)
{
	z_stream z = { 0 };
	uint8_t *out = NULL;
	size_t cap;

	if (deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 8,
			 Z_DEFAULT_STRATEGY) != Z_OK)
		return NULL;
	cap = deflateBound(&z, len);
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

static uint8_t *zstd(const uint8_t *in, size_t len, size_t *out_len)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len), r;
	uint8_t *out = malloc(cap);

	if (!c || !out ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel,
						9)) ||
	    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag,
						0))) {
		free(out);
		out = NULL;
	} else {
		r = ZSTD_compress2(c, out, cap, in, len);
		if (ZSTD_isError(r)) {
			free(out);
			out = NULL;
		}
		*out_len = r;
	}
	ZSTD_freeCCtx(c);
	return out;
}

static uint8_t *xz(const uint8_t *in, size_t len, size_t *out_len)
{
	size_t cap = lzma_stream_buffer_bound(len);
	uint8_t *out = malloc(cap);

	*out_len = 0;
	if (out && lzma_easy_buffer_encode(6, LZMA_CHECK_CRC32, NULL, in, len,
					   out, out_len, cap) != LZMA_OK) {
		free(out);
		out = NULL;
	}
	return out;
}

static int fail(const char *what, const char *path)
{
	fprintf(stderr, "mkzboot: %s '%s': %s\n", what, path,
		errno ? strerror(errno) : "failed");
	return 1;
}

int main(int argc, char **argv)
{
	uint8_t hdr[PAYLOAD_AT] = { 0 }, size[4];
	uint8_t *image, *payload = NULL;
	size_t len = 0, plen = 0;
	const char *name;
	bool sized = true;
	FILE *out;

	if (argc != 4) {
		fprintf(stderr, "usage: mkzboot gzip|zstd|xz IMAGE OUT\n");
		return 2;
	}
	image = slurp(argv[2], &len);
	if (!image)
		return fail("cannot read", argv[2]);
	if (!strcmp(argv[1], "gzip")) {
		name = "gzip";
		sized = false;
		payload = gzip(image, len, &plen);
	} else if (!strcmp(argv[1], "zstd")) {
		name = "zstd22";
		payload = zstd(image, len, &plen);
	} else if (!strcmp(argv[1], "xz")) {
		name = "xzkern";
		payload = xz(image, len, &plen);
	} else {
		fprintf(stderr, "mkzboot: compression '%s': gzip, zstd or xz\n",
			argv[1]);
		return 2;
	}
	if (!payload || plen > UINT32_MAX - PAYLOAD_AT)
		return fail("cannot compress", argv[2]);
	memcpy(hdr, "MZ", 2);
	memcpy(hdr + 4, "zimg", 4);
	put32(hdr + 8, PAYLOAD_AT);
	put32(hdr + 12, (uint32_t)plen);
	strcpy((char *)hdr + 24, name);
	put32(hdr + 0x38, LINUX_PE_MAGIC);
	put32(hdr + 0x3c, PE_AT);
	memcpy(hdr + PE_AT, "PE\0\0", 4);
	hdr[PE_AT + 4] = 0x64;		/* IMAGE_FILE_MACHINE_ARM64 */
	hdr[PE_AT + 5] = 0xaa;
	put32(size, (uint32_t)len);
	out = fopen(argv[3], "wb");
	if (!out || fwrite(hdr, 1, sizeof(hdr), out) != sizeof(hdr) ||
	    fwrite(payload, 1, plen, out) != plen ||
	    (sized && fwrite(size, 1, 4, out) != 4) || fclose(out))
		return fail("cannot write", argv[3]);
	free(payload);
	free(image);
	return 0;
}
