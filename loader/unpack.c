// SPDX-License-Identifier: GPL-2.0
/*
 * One loop drives every library: read the input in chunks with pread
 * (the compressed file never sits whole in memory), let the library fill
 * the caller's window, and call the window's flush when the library is
 * stuck for room. A library that stops making progress with input left
 * has met corrupt data; one that stops with the input used up has met a
 * truncated file.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include <lzma.h>
#include <zlib.h>
#define ZSTD_STATIC_LINKING_ONLY	/* ZSTD_d_stableOutBuffer */
#include <zstd.h>
#include <zstd_errors.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/unpack.h>

#define UNPACK_CHUNK		(128u << 10)
/* One call's output for zlib, whose counters are 32-bit. */
#define UNPACK_ZLIB_STEP	(1u << 30)
/*
 * What liblzma may allocate: the kernel's xz uses a 32 MiB dictionary,
 * "lzma -9" 64 MiB. A hostile header asking for more is refused.
 */
#define UNPACK_LZMA_MEMLIMIT	(256ULL << 20)

/*
 * zstd's window and liblzma's dictionary are as large as the kernel's
 * compressor chose (8 to 128 MiB). Taken with malloc they would stay in
 * armz's heap, and in its resident set, for the rest of the run; mapped
 * and unmapped here they leave with the decompressor.
 */
struct unpack_block {
	size_t size;
	max_align_t align[];
};

static void *unpack_alloc(void *opaque, size_t size)
{
	struct unpack_block *b;

	if (size > SIZE_MAX - sizeof(*b))
		return NULL;
	b = mmap(NULL, sizeof(*b) + size, PROT_READ | PROT_WRITE,
		 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (b == MAP_FAILED)
		return NULL;
	b->size = sizeof(*b) + size;
	return b->align;
}

static void unpack_free(void *opaque, void *p)
{
	struct unpack_block *b;

	if (!p)
		return;
	b = (struct unpack_block *)((char *)p - sizeof(*b));
	munmap(b, b->size);
}

static void *unpack_lzma_alloc(void *opaque, size_t nmemb, size_t size)
{
	if (size && nmemb > SIZE_MAX / size)
		return NULL;
	return unpack_alloc(opaque, nmemb * size);
}

static const ZSTD_customMem unpack_zstd_mem = {
	.customAlloc = unpack_alloc, .customFree = unpack_free,
};

static const lzma_allocator unpack_lzma_mem = {
	.alloc = unpack_lzma_alloc, .free = unpack_free,
};

enum unpack_format unpack_detect(const void *buf, size_t len)
{
	const uint8_t *b = buf;

	if (len >= 3 && b[0] == 0x1f && b[1] == 0x8b && b[2] == 8)
		return UNPACK_GZIP;
	if (len >= 4 && le32_read(b) == 0xfd2fb528)
		return UNPACK_ZSTD;
	if (len >= 6 && !memcmp(b, "\xfd" "7zXZ\0", 6))
		return UNPACK_XZ;
	/*
	 * .lzma has no magic: properties 0x5d (what every lzma tool writes
	 * by default), a dictionary size and a 64-bit size, unknown (all
	 * ones) when compressed from a pipe as the kernel's build does.
	 */
	if (len >= 13 && b[0] == 0x5d && le64_read(b + 5) == UINT64_MAX)
		return UNPACK_LZMA;
	return UNPACK_NONE;
}

const char *unpack_name(enum unpack_format f)
{
	switch (f) {
	case UNPACK_GZIP:
		return "gzip";
	case UNPACK_ZSTD:
		return "zstd";
	case UNPACK_XZ:
		return "xz";
	case UNPACK_LZMA:
		return "lzma";
	default:
		return "none";
	}
}

enum unpack_format unpack_by_name(const char *name)
{
	static const struct {
		const char *name;
		enum unpack_format f;
	} names[] = {
		{ "gzip", UNPACK_GZIP }, { "zstd", UNPACK_ZSTD },
		{ "zstd22", UNPACK_ZSTD }, { "xz", UNPACK_XZ },
		{ "xzkern", UNPACK_XZ }, { "lzma", UNPACK_LZMA },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(name, names[i].name))
			return names[i].f;
	return UNPACK_NONE;
}

/* One decompression: the input position and the library's state. */
struct unpack_job {
	enum unpack_format f;
	const struct file_buf *fb;
	uint64_t off, end;	/* input still in the file */
	uint8_t *in;
	size_t in_len, in_pos;	/* the chunk in memory */
	struct unpack_out *out;
	bool end_seen;
	bool want_room;		/* the library said it needs more room */
	union {
		z_stream z;
		ZSTD_DCtx *zd;
		lzma_stream xz;
	} s;
};

static int job_corrupt(const struct unpack_job *j, const char *why)
{
	return err_set(EINVAL, "%s '%s': %s data is corrupt: %s", j->fb->what,
		       j->fb->path, unpack_name(j->f), why);
}

static int job_truncated(const struct unpack_job *j)
{
	return err_set(EINVAL, "%s '%s': %s data ends early: the file is "
		       "truncated or corrupt", j->fb->what, j->fb->path,
		       unpack_name(j->f));
}

static int job_refill(struct unpack_job *j)
{
	size_t n;
	int r;

	if (j->in_pos < j->in_len || j->off == j->end)
		return 0;
	n = j->end - j->off < UNPACK_CHUNK ? (size_t)(j->end - j->off)
					   : UNPACK_CHUNK;
	r = file_read(j->fb, j->off, j->in, n);
	if (r)
		return r;
	j->off += n;
	j->in_len = n;
	j->in_pos = 0;
	return 0;
}

static int gzip_init(struct unpack_job *j)
{
	/* 16 + window bits: a gzip wrapper, nothing else. */
	if (inflateInit2(&j->s.z, 16 + MAX_WBITS) != Z_OK)
		return err_set(ENOMEM, "out of memory for zlib");
	return 0;
}

static int gzip_step(struct unpack_job *j)
{
	struct unpack_out *o = j->out;
	size_t room = o->size - o->used;
	z_stream *z = &j->s.z;
	int ret;

	z->next_in = j->in + j->in_pos;
	z->avail_in = (uInt)(j->in_len - j->in_pos);
	z->next_out = o->buf + o->used;
	z->avail_out = (uInt)(room < UNPACK_ZLIB_STEP ? room
						      : UNPACK_ZLIB_STEP);
	ret = inflate(z, Z_NO_FLUSH);
	j->in_pos = j->in_len - z->avail_in;
	o->used = (size_t)(z->next_out - o->buf);
	if (ret == Z_STREAM_END)
		j->end_seen = true;
	else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT)
		return job_corrupt(j, z->msg ? z->msg : "bad deflate data");
	else if (ret == Z_MEM_ERROR)
		return err_set(ENOMEM, "out of memory for zlib");
	else if (ret != Z_OK && ret != Z_BUF_ERROR)
		return job_corrupt(j, z->msg ? z->msg : "zlib failed");
	return 0;
}

static int zstd_init(struct unpack_job *j)
{
	j->s.zd = ZSTD_createDCtx_advanced(unpack_zstd_mem);
	if (!j->s.zd)
		return err_set(ENOMEM, "out of memory for zstd");
	if (j->out->stable &&
	    ZSTD_isError(ZSTD_DCtx_setParameter(j->s.zd,
						ZSTD_d_stableOutBuffer, 1)))
		return err_set(EINVAL, "zstd: cannot decompress in place");
	return 0;
}

static int zstd_step(struct unpack_job *j)
{
	struct unpack_out *o = j->out;
	ZSTD_inBuffer in = {
		.src = j->in, .size = j->in_len, .pos = j->in_pos,
	};
	ZSTD_outBuffer out = { .dst = o->buf, .size = o->size, .pos = o->used };
	size_t ret = ZSTD_decompressStream(j->s.zd, &out, &in);

	if (ZSTD_isError(ret)) {
		/* In place, a block that does not fit is a full window. */
		if (o->stable &&
		    ZSTD_getErrorCode(ret) == ZSTD_error_dstSize_tooSmall) {
			j->want_room = true;
			return 0;
		}
		return job_corrupt(j, ZSTD_getErrorName(ret));
	}
	j->in_pos = in.pos;
	o->used = out.pos;
	/* 0: the frame is decoded and flushed; what follows is not ours. */
	if (ret == 0)
		j->end_seen = true;
	return 0;
}

static int lzma_init(struct unpack_job *j)
{
	lzma_ret ret;

	j->s.xz = (lzma_stream)LZMA_STREAM_INIT;
	j->s.xz.allocator = &unpack_lzma_mem;
	/* No LZMA_CONCATENATED: the first stream is the kernel. */
	if (j->f == UNPACK_XZ)
		ret = lzma_stream_decoder(&j->s.xz, UNPACK_LZMA_MEMLIMIT, 0);
	else
		ret = lzma_alone_decoder(&j->s.xz, UNPACK_LZMA_MEMLIMIT);
	if (ret != LZMA_OK)
		return err_set(ENOMEM, "out of memory for liblzma");
	return 0;
}

static const char *lzma_why(lzma_ret ret)
{
	switch (ret) {
	case LZMA_FORMAT_ERROR:
		return "not in the expected format";
	case LZMA_OPTIONS_ERROR:
		return "unsupported compression options";
	case LZMA_DATA_ERROR:
		return "compressed data is corrupt";
	case LZMA_MEMLIMIT_ERROR:
		return "it would need more than 256 MiB to decompress";
	case LZMA_UNSUPPORTED_CHECK:
		return "unsupported integrity check";
	default:
		return "liblzma failed";
	}
}

static int lzma_step(struct unpack_job *j)
{
	struct unpack_out *o = j->out;
	lzma_stream *s = &j->s.xz;
	lzma_ret ret;

	s->next_in = j->in + j->in_pos;
	s->avail_in = j->in_len - j->in_pos;
	s->next_out = o->buf + o->used;
	s->avail_out = o->size - o->used;
	ret = lzma_code(s, LZMA_RUN);
	j->in_pos = j->in_len - s->avail_in;
	o->used = (size_t)(s->next_out - o->buf);
	if (ret == LZMA_STREAM_END)
		j->end_seen = true;
	else if (ret == LZMA_MEM_ERROR)
		return err_set(ENOMEM, "out of memory for liblzma");
	/* LZMA_BUF_ERROR is "no progress": the loop decides what it means. */
	else if (ret != LZMA_OK && ret != LZMA_BUF_ERROR)
		return job_corrupt(j, lzma_why(ret));
	return 0;
}

static void job_end(struct unpack_job *j)
{
	switch (j->f) {
	case UNPACK_GZIP:
		inflateEnd(&j->s.z);
		break;
	case UNPACK_ZSTD:
		ZSTD_freeDCtx(j->s.zd);
		break;
	case UNPACK_XZ:
	case UNPACK_LZMA:
		lzma_end(&j->s.xz);
		break;
	default:
		break;
	}
	free(j->in);
}

static int job_step(struct unpack_job *j)
{
	switch (j->f) {
	case UNPACK_GZIP:
		return gzip_step(j);
	case UNPACK_ZSTD:
		return zstd_step(j);
	default:
		return lzma_step(j);
	}
}

static int job_run(struct unpack_job *j)
{
	struct unpack_out *o = j->out;
	int r;

	for (;;) {
		size_t in_before, out_before;

		r = job_refill(j);
		if (r)
			return r;
		in_before = j->in_pos;
		out_before = o->used;
		j->want_room = false;
		r = job_step(j);
		if (r)
			return r;
		o->total += o->used - out_before;
		if (j->end_seen) {
			r = o->flush(o, true);
			return r < 0 ? r : 0;
		}
		if (j->in_pos != in_before || o->used != out_before)
			continue;
		/* No progress: out of room, or out of input. */
		if (o->used == o->size || j->want_room) {
			r = o->flush(o, false);
			if (r)
				return r == UNPACK_STOP ? 0 : r;
			continue;
		}
		if (j->in_pos == j->in_len && j->off == j->end)
			return job_truncated(j);
		return job_corrupt(j, "the decompressor makes no progress");
	}
}

int unpack_file(enum unpack_format f, const struct file_buf *fb,
		uint64_t off, uint64_t len, struct unpack_out *out)
{
	struct unpack_job j = {
		.f = f, .fb = fb, .off = off, .out = out,
	};
	int r;

	if (off > fb->size || len > fb->size - off)
		return err_set(EINVAL, "%s '%s': compressed data at 0x%llx "
			       "+0x%llx lies beyond the end of the file",
			       fb->what, fb->path, (unsigned long long)off,
			       (unsigned long long)len);
	j.end = off + len;
	j.in = malloc(UNPACK_CHUNK);
	if (!j.in)
		return err_set(ENOMEM, "out of memory");
	switch (f) {
	case UNPACK_GZIP:
		r = gzip_init(&j);
		break;
	case UNPACK_ZSTD:
		r = zstd_init(&j);
		break;
	case UNPACK_XZ:
	case UNPACK_LZMA:
		r = lzma_init(&j);
		break;
	default:
		free(j.in);
		return err_set(EINVAL, "%s '%s': no decompressor for format %d",
			       fb->what, fb->path, (int)f);
	}
	if (!r)
		r = job_run(&j);
	job_end(&j);
	return r;
}

/* A window that is the whole destination: full means too big. */
static int buffer_flush(struct unpack_out *o, bool end)
{
	if (end)
		return 0;
	return err_set(EFBIG, "decompressed data is larger than %zu bytes",
		       o->size);
}

int unpack_to_buffer(enum unpack_format f, const struct file_buf *fb,
		     uint64_t off, uint64_t len, void *dst, size_t cap,
		     size_t *out_len)
{
	struct unpack_out o = {
		.buf = dst, .size = cap, .stable = true, .flush = buffer_flush,
	};
	int r = unpack_file(f, fb, off, len, &o);

	*out_len = o.used;
	return r;
}

/* A heap buffer that doubles up to its limit (in ctx). */
static int heap_flush(struct unpack_out *o, bool end)
{
	size_t max = *(const size_t *)o->ctx, cap;
	uint8_t *p;

	if (end)
		return 0;
	if (o->size >= max)
		return err_set(EFBIG, "decompressed data is larger than %zu "
			       "bytes", max);
	cap = o->size > max / 2 ? max : o->size * 2;
	p = realloc(o->buf, cap);
	if (!p)
		return err_set(ENOMEM, "out of memory");
	o->buf = p;
	o->size = cap;
	return 0;
}

int unpack_read_file(const char *what, const char *path, size_t max,
		     void **data, size_t *len)
{
	struct file_buf fb;
	uint8_t magic[16] = { 0 };
	struct unpack_out o = { .flush = heap_flush, .ctx = &max };
	enum unpack_format f;
	int r;

	*data = NULL;
	*len = 0;
	r = file_open(what, path, &fb);
	if (r)
		return r;
	r = file_read(&fb, 0, magic,
		      fb.size < sizeof(magic) ? fb.size : sizeof(magic));
	f = r ? UNPACK_NONE : unpack_detect(magic, sizeof(magic));
	if (!r && f == UNPACK_NONE && fb.size > max)
		r = err_set(EFBIG, "%s '%s' is larger than %zu bytes", what,
			    path, max);
	o.size = f == UNPACK_NONE ? fb.size : fb.size * 4;
	if (o.size > max)
		o.size = max;
	if (!r) {
		o.buf = malloc(o.size ? o.size : 1);
		if (!o.buf)
			r = err_set(ENOMEM, "out of memory for %s '%s'", what,
				    path);
	}
	if (!r && f == UNPACK_NONE) {
		r = file_read(&fb, 0, o.buf, fb.size);
		o.used = fb.size;
	} else if (!r) {
		r = unpack_file(f, &fb, 0, fb.size, &o);
		if (r == -EFBIG)
			r = err_set(EFBIG, "%s '%s' decompresses to more than "
				    "%zu bytes", what, path, max);
	}
	file_close(&fb);
	if (r) {
		free(o.buf);
		return r;
	}
	*data = o.buf;
	*len = o.used;
	return 0;
}
