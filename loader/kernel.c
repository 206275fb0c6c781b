// SPDX-License-Identifier: GPL-2.0
/*
 * Every kind of kernel file becomes one stream of Image bytes, produced
 * by kernel_emit() into a window (include/armz/unpack.h's unpack_out):
 * the file itself for an Image or a raw binary, the decompressor for a
 * compressed Image or zboot payload, the PT_LOAD segments and the zeros
 * between them for a vmlinux. Reading the header, loading into guest RAM
 * and looking for the release and the embedded config are that stream
 * poured into different windows.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zlib.h>

#include <armz/err.h>
#include <armz/kernel.h>
#include <armz/le.h>
#include <armz/memmap.h>

#define IMAGE_MAGIC		0x644d5241	/* "ARM\x64" */
#define HDR_IMAGE_SIZE		0x10

/* zboot-header.S: "MZ", "zimg", payload offset and size, the name. */
#define ZBOOT_TYPE		4
#define ZBOOT_PAYLOAD_OFF	8
#define ZBOOT_PAYLOAD_SIZE	12
#define ZBOOT_COMP_NAME		24
#define ZBOOT_COMP_NAME_MAX	(ARM64_IMAGE_MAGIC_OFFSET - ZBOOT_COMP_NAME)

/* Elf64_Ehdr and Elf64_Phdr offsets (System V ABI). */
#define EI_CLASS		4
#define EI_DATA			5
#define ELFCLASS64		2
#define ELFDATA2LSB		1
#define EH_TYPE			16
#define EH_MACHINE		18
#define EH_PHOFF		32
#define EH_PHENTSIZE		54
#define EH_PHNUM		56
#define EHDR_SIZE		64
#define ET_EXEC			2
#define ET_DYN			3	/* a relocatable arm64 vmlinux */
#define EM_AARCH64		183
#define PH_TYPE			0
#define PH_OFFSET		8
#define PH_PADDR		24
#define PH_FILESZ		32
#define PH_MEMSZ		40
#define PHDR_SIZE		56
#define PT_LOAD			1
#define ELF_MAX_LOADS		64
/* A kernel spans tens of MiB; a vmlinux spanning more is not one. */
#define ELF_SPAN_MAX		(4ULL << 30)

#define RAW_SLACK		(2ULL << 20)

#define BANNER			"Linux version "
#define BANNER_LEN		(sizeof(BANNER) - 1)
#define IKCFG_ST		"IKCFG_ST"
#define IKCFG_LEN		(sizeof(IKCFG_ST) - 1)
/* A distribution's .config is ~300 KiB; more is not a config. */
#define CONFIG_MAX		(16u << 20)

#define SCAN_WINDOW		(64u << 10)
/* Enough to hold a banner and release, or a marker, across windows. */
#define SCAN_CARRY		128

struct kernel_seg {
	uint64_t offset;
	uint64_t addr;
	uint64_t filesz;
};

struct kernel {
	char *path;
	struct file_buf fb;
	struct kernel_info info;
	char desc[64];
	uint64_t payload_off;		/* the compressed stream */
	uint64_t payload_len;
	struct kernel_seg segs[ELF_MAX_LOADS];
	unsigned int nsegs;
	bool scanned;
	bool has_release;
	char release[KERNEL_RELEASE_MAX];
	char *config;
	size_t config_len;
};

int kernel_format_parse(const char *name, enum kernel_format *fmt)
{
	if (!strcmp(name, "auto"))
		*fmt = KERNEL_FORMAT_AUTO;
	else if (!strcmp(name, "raw"))
		*fmt = KERNEL_FORMAT_RAW;
	else
		return err_set(EINVAL, "kernel format '%s': auto or raw", name);
	return 0;
}

/* Puts "kernel 'path': " before a reason that does not name the file. */
static int kernel_fail(const struct kernel *k, int r)
{
	char why[400];

	snprintf(why, sizeof(why), "%s", err_msg());
	return err_set(-r, "kernel '%s' (%s): %s", k->path, k->desc, why);
}

/*
 * n bytes of the file from off, or n zeros when fb is NULL, into the
 * window. 0, UNPACK_STOP from the window's flush, or an error.
 */
static int emit_bytes(struct unpack_out *o, const struct file_buf *fb,
		      uint64_t off, uint64_t n)
{
	while (n) {
		size_t room = o->size - o->used, take;
		int r;

		if (!room) {
			r = o->flush(o, false);
			if (r)
				return r;
			continue;
		}
		take = n < room ? (size_t)n : room;
		if (fb) {
			r = file_read(fb, off, o->buf + o->used, take);
			if (r)
				return r;
			off += take;
		} else {
			memset(o->buf + o->used, 0, take);
		}
		o->used += take;
		o->total += take;
		n -= take;
	}
	return 0;
}

/* The vmlinux segments in address order, the gaps between them zeros. */
static int emit_elf(const struct kernel *k, struct unpack_out *o)
{
	uint64_t at = k->segs[0].addr;
	int r = 0;

	for (unsigned int i = 0; !r && i < k->nsegs; i++) {
		const struct kernel_seg *s = &k->segs[i];

		r = emit_bytes(o, NULL, 0, s->addr - at);
		if (!r)
			r = emit_bytes(o, &k->fb, s->offset, s->filesz);
		at = s->addr + s->filesz;
	}
	return r;
}

/* The whole Image, into o; 0 also when o's flush stopped it early. */
static int kernel_emit(const struct kernel *k, struct unpack_out *o)
{
	int r;

	switch (k->info.kind) {
	case KERNEL_IMAGE_COMPRESSED:
	case KERNEL_ZBOOT:
		return unpack_file(k->info.compression, &k->fb, k->payload_off,
				   k->payload_len, o);
	case KERNEL_ELF:
		r = emit_elf(k, o);
		break;
	default:
		r = emit_bytes(o, &k->fb, 0, k->fb.size);
		break;
	}
	if (r == UNPACK_STOP)
		return 0;
	if (r)
		return r;
	r = o->flush(o, true);
	return r < 0 ? r : 0;
}

static int stop_flush(struct unpack_out *o, bool end)
{
	return end ? 0 : UNPACK_STOP;
}

static int discard_flush(struct unpack_out *o, bool end)
{
	o->used = 0;
	return 0;
}

/* The Image's size, for a pre-3.17 header that does not say. */
static int kernel_count(struct kernel *k, uint64_t *size)
{
	struct unpack_out o = {
		.size = SCAN_WINDOW, .flush = discard_flush,
	};
	int r;

	o.buf = malloc(o.size);
	if (!o.buf)
		return err_set(ENOMEM, "out of memory");
	r = kernel_emit(k, &o);
	free(o.buf);
	*size = o.total;
	return r;
}

static int kernel_not_image(const struct kernel *k, const uint8_t *hdr,
			    size_t len)
{
	return err_set(EINVAL, "kernel '%s' (%s) holds no arm64 Image: %s",
		       k->path, k->desc,
		       len < ARM64_IMAGE_HDR_SIZE ? "it is shorter than the "
		       "Image header" : "no \"ARM\\x64\" magic at offset 0x38");
}

/* The Image header, from whatever form the kernel is in. */
static int kernel_read_header(struct kernel *k)
{
	uint8_t hdr[ARM64_IMAGE_HDR_SIZE];
	struct unpack_out o = {
		.buf = hdr, .size = sizeof(hdr), .flush = stop_flush,
	};
	uint64_t size = 0;
	int r;

	r = kernel_emit(k, &o);
	if (r)
		return r;
	if (o.used < sizeof(hdr) ||
	    le32_read(hdr + ARM64_IMAGE_MAGIC_OFFSET) != IMAGE_MAGIC)
		return kernel_not_image(k, hdr, o.used);
	if (k->info.kind == KERNEL_IMAGE)
		size = k->fb.size;
	else if (k->info.kind == KERNEL_ELF)
		size = k->segs[k->nsegs - 1].addr +
		       k->segs[k->nsegs - 1].filesz - k->segs[0].addr;
	else if (!le64_read(hdr + HDR_IMAGE_SIZE)) {
		r = kernel_count(k, &size);
		if (r)
			return r;
	}
	r = image_parse_header(hdr, sizeof(hdr), size, &k->info.img);
	return r ? kernel_fail(k, r) : 0;
}

static int kernel_open_raw(struct kernel *k)
{
	struct arm64_image *img = &k->info.img;
	uint64_t size = k->fb.size;

	k->info.kind = KERNEL_RAW;
	snprintf(k->desc, sizeof(k->desc), "raw binary");
	img->text_offset = KERNEL_RAW_OFFSET;
	img->image_size = (size + LOADER_ALIGN_2M - 1) & ~(LOADER_ALIGN_2M - 1);
	img->image_size += RAW_SLACK;
	img->file_size = size;
	if (size > MEMMAP_RAM_MAX)
		return err_set(EFBIG, "kernel '%s' (raw binary) is larger "
			       "than any guest RAM", k->path);
	return 0;
}

static int kernel_open_zboot(struct kernel *k, const uint8_t *head,
			     size_t len)
{
	char name[ZBOOT_COMP_NAME_MAX + 1];
	uint64_t off, size;

	k->info.kind = KERNEL_ZBOOT;
	snprintf(k->desc, sizeof(k->desc), "EFI zboot image");
	if (len < ARM64_IMAGE_MAGIC_OFFSET)
		return err_set(EINVAL, "kernel '%s' (EFI zboot image) is "
			       "truncated: %zu bytes, less than its header",
			       k->path, len);
	memcpy(name, head + ZBOOT_COMP_NAME, ZBOOT_COMP_NAME_MAX);
	name[ZBOOT_COMP_NAME_MAX] = '\0';
	/* The field ends with a NUL, and a name is printable. */
	for (size_t i = 0; name[i]; i++)
		if (name[i] <= ' ' || name[i] >= 0x7f ||
		    i == ZBOOT_COMP_NAME_MAX - 1)
			return err_set(EINVAL, "kernel '%s' (EFI zboot image) "
				       "has a corrupt header: its compression "
				       "type is not a name", k->path);
	k->info.compression = unpack_by_name(name);
	if (k->info.compression == UNPACK_NONE)
		return err_set(EINVAL, "kernel '%s' is an EFI zboot image "
			       "compressed with '%s': armz decompresses gzip, "
			       "zstd, xz and lzma", k->path, name);
	snprintf(k->desc, sizeof(k->desc), "EFI zboot image, %s",
		 unpack_name(k->info.compression));
	off = le32_read(head + ZBOOT_PAYLOAD_OFF);
	size = le32_read(head + ZBOOT_PAYLOAD_SIZE);
	if (!size || off > k->fb.size || size > k->fb.size - off)
		return err_set(EINVAL, "kernel '%s' (%s): its header puts the "
			       "payload at 0x%llx +0x%llx, outside the file "
			       "(%zu bytes)", k->path, k->desc,
			       (unsigned long long)off,
			       (unsigned long long)size, k->fb.size);
	k->payload_off = off;
	k->payload_len = size;
	return 0;
}

static int elf_bad(const struct kernel *k, const char *why)
{
	return err_set(EINVAL, "kernel '%s' is an ELF file but not an arm64 "
		       "vmlinux: %s", k->path, why);
}

/* Segment s goes in address order; segments must not overlap. */
static int elf_add_seg(struct kernel *k, const struct kernel_seg *s)
{
	unsigned int i = k->nsegs;

	if (i == ELF_MAX_LOADS)
		return elf_bad(k, "too many loadable segments");
	while (i && k->segs[i - 1].addr > s->addr) {
		k->segs[i] = k->segs[i - 1];
		i--;
	}
	k->segs[i] = *s;
	k->nsegs++;
	return 0;
}

static int elf_read_segs(struct kernel *k, const uint8_t *eh)
{
	uint64_t phoff = le64_read(eh + EH_PHOFF);
	uint64_t n = le16_read(eh + EH_PHNUM);
	uint64_t ent = le16_read(eh + EH_PHENTSIZE);
	uint8_t ph[PHDR_SIZE];
	int r;

	if (!n || ent < PHDR_SIZE)
		return elf_bad(k, "no program headers");
	if (phoff > k->fb.size || n * ent > k->fb.size - phoff)
		return elf_bad(k, "its program headers lie beyond the end of "
			       "the file");
	for (uint64_t i = 0; i < n; i++) {
		struct kernel_seg s;

		r = file_read(&k->fb, phoff + i * ent, ph, sizeof(ph));
		if (r)
			return r;
		if (le32_read(ph + PH_TYPE) != PT_LOAD)
			continue;
		s.offset = le64_read(ph + PH_OFFSET);
		s.addr = le64_read(ph + PH_PADDR);
		s.filesz = le64_read(ph + PH_FILESZ);
		/* Only file contents make the Image, as for objcopy. */
		if (!s.filesz)
			continue;
		if (s.filesz > le64_read(ph + PH_MEMSZ))
			return elf_bad(k, "a segment has more file data than "
				       "memory");
		if (s.offset > k->fb.size || s.filesz > k->fb.size - s.offset)
			return elf_bad(k, "a segment's data lies beyond the "
				       "end of the file (truncated?)");
		if (s.addr > UINT64_MAX - s.filesz)
			return elf_bad(k, "a segment wraps around the address "
				       "space");
		r = elf_add_seg(k, &s);
		if (r)
			return r;
	}
	return 0;
}

static int kernel_open_elf(struct kernel *k)
{
	uint8_t eh[EHDR_SIZE];
	int r;

	k->info.kind = KERNEL_ELF;
	snprintf(k->desc, sizeof(k->desc), "vmlinux ELF");
	if (k->fb.size < EHDR_SIZE)
		return elf_bad(k, "truncated ELF header");
	r = file_read(&k->fb, 0, eh, sizeof(eh));
	if (r)
		return r;
	if (eh[EI_CLASS] != ELFCLASS64 || eh[EI_DATA] != ELFDATA2LSB)
		return elf_bad(k, "not a little-endian 64-bit ELF");
	if (le16_read(eh + EH_MACHINE) != EM_AARCH64)
		return elf_bad(k, "not for AArch64");
	if (le16_read(eh + EH_TYPE) != ET_EXEC &&
	    le16_read(eh + EH_TYPE) != ET_DYN)
		return elf_bad(k, "not an executable (a module or object "
			       "file?)");
	r = elf_read_segs(k, eh);
	if (r)
		return r;
	if (!k->nsegs)
		return elf_bad(k, "it has no loadable data");
	for (unsigned int i = 1; i < k->nsegs; i++)
		if (k->segs[i].addr <
		    k->segs[i - 1].addr + k->segs[i - 1].filesz)
			return elf_bad(k, "its segments overlap");
	if (k->segs[k->nsegs - 1].addr + k->segs[k->nsegs - 1].filesz -
	    k->segs[0].addr > ELF_SPAN_MAX)
		return elf_bad(k, "its segments span more than 4 GiB");
	return 0;
}

static int kernel_open_auto(struct kernel *k)
{
	uint8_t head[ARM64_IMAGE_HDR_SIZE] = { 0 };
	size_t n = k->fb.size < sizeof(head) ? k->fb.size : sizeof(head);
	int r;

	r = file_read(&k->fb, 0, head, n);
	if (r)
		return r;
	k->info.kind = KERNEL_IMAGE;
	snprintf(k->desc, sizeof(k->desc), "arm64 Image");
	if (n == sizeof(head) &&
	    le32_read(head + ARM64_IMAGE_MAGIC_OFFSET) == IMAGE_MAGIC)
		return 0;
	if (n >= 8 && head[0] == 'M' && head[1] == 'Z' &&
	    !memcmp(head + ZBOOT_TYPE, "zimg", 4))
		return kernel_open_zboot(k, head, n);
	if (n >= 4 && !memcmp(head, "\177ELF", 4))
		return kernel_open_elf(k);
	k->info.compression = unpack_detect(head, n);
	if (k->info.compression != UNPACK_NONE) {
		k->info.kind = KERNEL_IMAGE_COMPRESSED;
		snprintf(k->desc, sizeof(k->desc), "%s-compressed Image",
			 unpack_name(k->info.compression));
		k->payload_off = 0;
		k->payload_len = k->fb.size;
		return 0;
	}
	if (n < sizeof(head))
		return err_set(EINVAL, "kernel '%s' is not an arm64 Image: it "
			       "is %zu bytes, the Image header alone is %d",
			       k->path, n, ARM64_IMAGE_HDR_SIZE);
	return err_set(EINVAL, "kernel '%s' is not an arm64 Image (no "
		       "\"ARM\\x64\" magic at offset 0x38), nor a gzip, zstd, "
		       "xz or lzma compressed one, an EFI zboot image or a "
		       "vmlinux ELF; a bare binary needs the raw kernel "
		       "format", k->path);
}

int kernel_open(const char *path, enum kernel_format fmt,
		struct kernel **out)
{
	struct kernel *k = calloc(1, sizeof(*k));
	int r;

	*out = NULL;
	if (!k)
		return err_set(ENOMEM, "out of memory");
	k->fb.fd = -1;
	k->path = strdup(path);
	if (!k->path) {
		free(k);
		return err_set(ENOMEM, "out of memory");
	}
	r = file_open("kernel", k->path, &k->fb);
	if (!r)
		r = fmt == KERNEL_FORMAT_RAW ? kernel_open_raw(k)
					     : kernel_open_auto(k);
	if (!r)
		k->info.file_size = k->fb.size;
	if (!r && fmt != KERNEL_FORMAT_RAW)
		r = kernel_read_header(k);
	if (r) {
		kernel_close(k);
		return r;
	}
	*out = k;
	return 0;
}

const struct kernel_info *kernel_info(const struct kernel *k)
{
	return &k->info;
}

const char *kernel_describe(const struct kernel *k)
{
	return k->desc;
}

/* Guest RAM as the window: running out of it is the error. */
static int load_flush(struct unpack_out *o, bool end)
{
	const struct kernel *k = o->ctx;

	if (end)
		return 0;
	return err_set(EFBIG, "kernel '%s' (%s): the Image inside is larger "
		       "than the %zu bytes its header's image_size reserves",
		       k->path, k->desc, o->size);
}

int kernel_load(struct kernel *k, const struct guest_mem *mem,
		const struct boot_layout *layout, uint64_t *entry)
{
	uint64_t room = layout->kernel_end - layout->kernel_gpa;
	struct unpack_out o = {
		.stable = true, .flush = load_flush, .ctx = k,
	};
	int r;

	if (layout->kernel_end < layout->kernel_gpa || room > SIZE_MAX ||
	    !(o.buf = guest_mem_at(mem, layout->kernel_gpa, room)))
		return err_set(EINVAL, "kernel '%s': its place 0x%llx-0x%llx "
			       "is not in guest RAM", k->path,
			       (unsigned long long)layout->kernel_gpa,
			       (unsigned long long)layout->kernel_end);
	o.size = (size_t)room;
	r = kernel_emit(k, &o);
	if (r)
		return r;
	k->info.img.file_size = o.total;
	*entry = layout->kernel_gpa;
	return 0;
}

/*
 * The release after a banner at p: printable, up to outlen - 1 bytes.
 * 1 when the data ends before the release does and more may come.
 * It names a directory (lib/modules/RELEASE, boot/config-RELEASE), so a
 * file that makes it '.', '..' or anything with a '/' has no release.
 */
static int release_parse(const char *p, const char *end, bool more,
			 char *out, size_t outlen)
{
	size_t n = 0;

	while (p + n < end && n < outlen - 1 && p[n] > ' ' && p[n] < 0x7f)
		n++;
	if (p + n == end && more)
		return 1;
	if (!n || n == outlen - 1 || memchr(p, '/', n) ||
	    (n <= 2 && !strncmp(p, "..", n)))
		return err_set(ENOENT, "kernel's version banner is malformed");
	memcpy(out, p, n);
	out[n] = '\0';
	return 0;
}

int image_kernel_release(const void *image, size_t len, char *out,
			 size_t outlen)
{
	const char *p = memmem(image, len, BANNER, BANNER_LEN);

	if (!p)
		return err_set(ENOENT, "kernel has no 'Linux version' banner");
	return release_parse(p + BANNER_LEN, (const char *)image + len, false,
			     out, outlen);
}

enum scan_config_state {
	CONFIG_SEARCHING,
	CONFIG_INFLATING,
	CONFIG_DONE,
	CONFIG_FAILED,
};

/*
 * The window of the scan: SCAN_CARRY bytes of the previous window's end
 * kept in front of it, so that a banner or marker cut in two is seen
 * whole.
 */
struct kernel_scan {
	struct kernel *k;
	uint8_t *mem;			/* SCAN_CARRY + SCAN_WINDOW */
	size_t carry;			/* ends at mem + SCAN_CARRY */
	bool release_done;
	enum scan_config_state cfg;
	z_stream z;
	char *text;
	size_t text_len, text_cap;
};

static void scan_release(struct kernel_scan *s, const uint8_t *data,
			 size_t len, bool end)
{
	const char *p = memmem(data, len, BANNER, BANNER_LEN);
	int r;

	if (!p)
		return;
	r = release_parse(p + BANNER_LEN, (const char *)data + len, !end,
			  s->k->release, sizeof(s->k->release));
	if (r == 1)
		return;		/* in the carry, whole next time */
	s->release_done = true;
	s->k->has_release = !r;
}

static void scan_config_feed(struct kernel_scan *s, const uint8_t *in,
			     size_t len)
{
	int ret = Z_OK;

	s->z.next_in = (Bytef *)in;
	s->z.avail_in = (uInt)len;
	while (ret == Z_OK && s->z.avail_in) {
		if (s->text_len == s->text_cap) {
			size_t cap = s->text_cap ? s->text_cap * 2 : 64 << 10;
			char *t = cap <= CONFIG_MAX ? realloc(s->text, cap + 1)
						   : NULL;

			if (!t) {
				s->cfg = CONFIG_FAILED;
				return;
			}
			s->text = t;
			s->text_cap = cap;
		}
		s->z.next_out = (Bytef *)s->text + s->text_len;
		s->z.avail_out = (uInt)(s->text_cap - s->text_len);
		ret = inflate(&s->z, Z_NO_FLUSH);
		s->text_len = (size_t)((char *)s->z.next_out - s->text);
	}
	if (ret == Z_STREAM_END)
		s->cfg = CONFIG_DONE;
	else if (ret != Z_OK && ret != Z_BUF_ERROR)
		s->cfg = CONFIG_FAILED;
}

static void scan_config(struct kernel_scan *s, const uint8_t *data,
			size_t len, size_t fresh)
{
	const uint8_t *p;

	if (s->cfg == CONFIG_INFLATING) {
		scan_config_feed(s, data + fresh, len - fresh);
		return;
	}
	if (s->cfg != CONFIG_SEARCHING)
		return;
	p = memmem(data, len, IKCFG_ST, IKCFG_LEN);
	if (!p)
		return;
	if (inflateInit2(&s->z, 16 + MAX_WBITS) != Z_OK) {
		s->cfg = CONFIG_FAILED;
		return;
	}
	s->cfg = CONFIG_INFLATING;
	p += IKCFG_LEN;
	scan_config_feed(s, p, (size_t)(data + len - p));
}

static int scan_flush(struct unpack_out *o, bool end)
{
	struct kernel_scan *s = o->ctx;
	uint8_t *data = o->buf - s->carry;
	size_t len = s->carry + o->used, keep;

	if (o->total > s->k->info.img.image_size)
		return err_set(EFBIG, "kernel '%s' (%s): the Image inside is "
			       "larger than its header's image_size (%llu "
			       "bytes)", s->k->path, s->k->desc,
			       (unsigned long long)s->k->info.img.image_size);
	if (!s->release_done)
		scan_release(s, data, len, end);
	scan_config(s, data, len, s->carry);
	keep = len < SCAN_CARRY ? len : SCAN_CARRY;
	memmove(s->mem + SCAN_CARRY - keep, data + len - keep, keep);
	s->carry = keep;
	o->used = 0;
	/* Both found: the rest of the kernel has nothing more to say. */
	if (s->release_done && s->cfg >= CONFIG_DONE && !end)
		return UNPACK_STOP;
	return 0;
}

static int kernel_scan(struct kernel *k)
{
	struct kernel_scan s = { .k = k };
	struct unpack_out o = {
		.size = SCAN_WINDOW, .flush = scan_flush, .ctx = &s,
	};
	int r;

	s.mem = malloc(SCAN_CARRY + SCAN_WINDOW);
	if (!s.mem)
		return err_set(ENOMEM, "out of memory");
	o.buf = s.mem + SCAN_CARRY;
	r = kernel_emit(k, &o);
	if (s.cfg != CONFIG_SEARCHING)
		inflateEnd(&s.z);
	free(s.mem);
	if (r) {
		free(s.text);
		k->has_release = false;
		return r;
	}
	if (s.cfg == CONFIG_DONE) {
		s.text[s.text_len] = '\0';
		k->config = s.text;
		k->config_len = s.text_len;
	} else {
		free(s.text);
	}
	if (!s.release_done || s.cfg != CONFIG_DONE)
		k->info.img.file_size = o.total;
	k->scanned = true;
	return 0;
}

int kernel_release(struct kernel *k, const char **release)
{
	int r = k->scanned ? 0 : kernel_scan(k);

	if (r)
		return r;
	if (!k->has_release)
		return err_set(ENOENT, "kernel '%s' (%s) has no 'Linux "
			       "version' banner", k->path, k->desc);
	*release = k->release;
	return 0;
}

int kernel_config(struct kernel *k, const char **text, size_t *len)
{
	int r = k->scanned ? 0 : kernel_scan(k);

	if (r)
		return r;
	if (!k->config)
		return err_set(ENOENT, "kernel '%s' carries no config "
			       "(CONFIG_IKCONFIG)", k->path);
	*text = k->config;
	*len = k->config_len;
	return 0;
}

void kernel_close(struct kernel *k)
{
	if (!k)
		return;
	file_close(&k->fb);
	free(k->config);
	free(k->path);
	free(k);
}
