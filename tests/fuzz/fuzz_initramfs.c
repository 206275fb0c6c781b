// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the initramfs armz builds for run-a-command mode
 * (include/armz/initramfs.h, loader/cpio.c) from what it is given:
 * names, modes and contents, host files it reads (armz-init), and
 * modules it decompresses first (unpack_read_file(), as vmm/command.c
 * packs them).
 *
 * The input is records, a byte and its fields each:
 *   0  a directory: blob name, u32 mode
 *   1  a file: blob name, u32 mode, blob content
 *   2  a host file: blob name, u32 mode, u8 kind, blob content; kind 0
 *      a regular file of that content, 1 a directory, 2 nothing, 3 a
 *      symbolic link to a regular file, 4 /dev/null, 5 a FIFO
 *   3  a module: blob content in a file (empty: a FIFO instead),
 *      decompressed (gzip, zstd, xz, lzma by its magic, at most
 *      MODULE_MAX bytes) and packed
 * then the archive is closed and read back by a newc reader of the
 * harness's own.
 *
 * Checked: the archive is what the kernel's unpacker reads: 110-byte
 * headers of hex fields, inode numbers in order, names NUL-terminated
 * and padded to 4 bytes with zeros, each entry's type, permissions,
 * link count, size and bytes as added, TRAILER!!! last and nothing
 * after it. An entry that could not be added is not in it. Nothing
 * waits: reading a FIFO (no writer) is refused at once; one that waited
 * would hang for good, which run.sh's -timeout reports with its input
 * (a clock here would only measure how busy the machine is).
 */
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/initramfs.h>
#include <armz/unpack.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ENTRIES_MAX	64
#define MODULE_MAX	(1u << 20)
#define HDR_LEN		110

static char base_shm[] = "/dev/shm/armz-fuzz-initramfs-XXXXXX";
static char base_tmp[] = "/tmp/armz-fuzz-initramfs-XXXXXX";
static char *base;

/* What the archive must hold, in order. */
static struct entry {
	char *name;
	uint32_t mode;		/* with the type */
	const uint8_t *data;
	size_t len;
	void *owned;		/* data to free */
} entries[ENTRIES_MAX];
static unsigned int nentries;

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	if (ftw->level)
		remove(p);
	return 0;
}

static void expect(const uint8_t *name, size_t name_len, uint32_t mode,
		   const uint8_t *data, size_t len, void *owned)
{
	struct entry *e;

	if (nentries == ENTRIES_MAX)
		abort();
	e = &entries[nentries++];
	e->name = strndup((const char *)name, name_len);
	e->mode = mode;
	e->data = data;
	e->len = len;
	e->owned = owned;
}

static char *host_path(unsigned int i)
{
	static char path[128];

	snprintf(path, sizeof(path), "%s/h%u", base, i);
	return path;
}

static void write_file(const char *path, const uint8_t *data, size_t len)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd))
		abort();
}

/* A host file of the kind asked for; its path. */
static const char *make_host(unsigned int i, uint8_t kind,
			     const uint8_t *data, size_t len)
{
	char *path = host_path(i), target[160];

	switch (kind % 6) {
	case 0:
		write_file(path, data, len);
		break;
	case 1:
		mkdir(path, 0755);
		break;
	case 2:
		break;
	case 3:
		snprintf(target, sizeof(target), "%s.target", path);
		write_file(target, data, len);
		if (symlink(target, path))
			abort();
		break;
	case 4:
		return "/dev/null";
	case 5:
		if (mkfifo(path, 0644))
			abort();
		break;
	}
	return path;
}

static unsigned long hex8(const uint8_t *p)
{
	unsigned long v = 0;

	for (int i = 0; i < 8; i++) {
		if (p[i] >= '0' && p[i] <= '9')
			v = v << 4 | (unsigned long)(p[i] - '0');
		else if (p[i] >= 'A' && p[i] <= 'F')
			v = v << 4 | (unsigned long)(p[i] - 'A' + 10);
		else
			fz_fail("cpio: header field '%.8s'", (const char *)p);
	}
	return v;
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void check_zeros(const uint8_t *p, size_t n, const char *what)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			fz_fail("cpio: %s padding not zero", what);
}

/* One entry at *off: checked against e (NULL: the trailer). */
static void check_entry(const struct cpio *c, size_t *off, unsigned int i,
			const struct entry *e)
{
	static const char trailer[] = "TRAILER!!!";
	const uint8_t *h = c->buf + *off;
	const char *name = e ? e->name : trailer;
	unsigned long f[13];
	size_t namesize = strlen(name) + 1, at;

	if (*off > c->len || c->len - *off < HDR_LEN)
		fz_fail("cpio: entry %u past the end", i);
	if (memcmp(h, "070701", 6))
		fz_fail("cpio: entry %u has no magic", i);
	for (int k = 0; k < 13; k++)
		f[k] = hex8(h + 6 + 8 * k);
	if (f[0] != i + 1 || f[2] || f[3] || f[5] || f[7] || f[8] || f[9] ||
	    f[10] || f[12])
		fz_fail("cpio: entry %u: ino %lu or a field not 0", i, f[0]);
	if (f[1] != (e ? e->mode : 0) ||
	    f[4] != (e && S_ISDIR(e->mode) ? 2u : 1u) ||
	    f[6] != (e ? e->len : 0) || f[11] != namesize)
		fz_fail("cpio: entry %u '%s': mode %lo links %lu size %lu "
			"namesize %lu", i, name, f[1], f[4], f[6], f[11]);
	at = *off + HDR_LEN;
	if (c->len - at < pad4(HDR_LEN + namesize) - HDR_LEN ||
	    memcmp(c->buf + at, name, namesize))
		fz_fail("cpio: entry %u: the name differs", i);
	check_zeros(c->buf + at + namesize,
		    pad4(HDR_LEN + namesize) - HDR_LEN - namesize, "name");
	at = *off + pad4(HDR_LEN + namesize);
	if (e && e->len) {
		if (c->len - at < pad4(e->len) || memcmp(c->buf + at, e->data,
							 e->len))
			fz_fail("cpio: entry %u '%s': the data differs", i,
				name);
		check_zeros(c->buf + at + e->len, pad4(e->len) - e->len,
			    "data");
	}
	*off = at + (e ? pad4(e->len) : 0);
}

static void check_archive(const struct cpio *c)
{
	size_t off = 0;

	for (unsigned int i = 0; i < nentries; i++)
		check_entry(c, &off, i, &entries[i]);
	check_entry(c, &off, nentries, NULL);
	if (off != c->len || c->len % 4)
		fz_fail("cpio: %zu bytes after the trailer", c->len - off);
}

/* An empty module is a FIFO instead; any other, a file. */
static unsigned int kind_of_module(const uint8_t *p, size_t len)
{
	return len ? 0 : 5;
}

/*
 * One record. What the builder refuses leaves the archive as it was
 * (armz would stop there; the harness goes on with the next record).
 */
static bool record(struct cpio *c, struct fz *f, unsigned int *hosts)
{
	static char name[4097];
	uint8_t op = fz_u8(f) % 4, kind;
	const uint8_t *p;
	const char *path;
	size_t len;
	uint32_t mode;
	void *mod;
	int r;

	p = fz_blob(f, sizeof(name) - 1, &len);
	len = strnlen((const char *)p, len);
	memcpy(name, p, len);
	name[len] = '\0';
	switch (op) {
	case 0:
		mode = fz_u32(f);
		r = cpio_add_dir(c, name, mode);
		if (!r)
			expect((uint8_t *)name, len, S_IFDIR | (mode & 07777),
			       NULL, 0, NULL);
		return !r;
	case 1:
		mode = fz_u32(f);
		p = fz_blob(f, 65536, &len);
		r = cpio_add_file(c, name, mode, p, len);
		if (!r)
			expect((uint8_t *)name, strlen(name),
			       S_IFREG | (mode & 07777), p, len, NULL);
		return !r;
	case 2:
		mode = fz_u32(f);
		kind = fz_u8(f);
		p = fz_blob(f, 65536, &len);
		path = make_host((*hosts)++, kind, p, len);
		/* A FIFO has no writer: waiting on it would hang. */
		r = cpio_add_host_file(c, name, mode, "armz-init", path);
		/* Only regular files, and links to them, can be packed. */
		if (!r != (kind % 6 == 0 || kind % 6 == 3))
			fz_fail("host file of kind %u: %d", kind % 6, r);
		if (!r)
			expect((uint8_t *)name, strlen(name),
			       S_IFREG | (mode & 07777), p, len, NULL);
		return !r;
	default:
		p = fz_blob(f, 65536, &len);
		path = host_path((*hosts)++);
		if (kind_of_module(p, len) == 5) {
			/* A module path that is a FIFO. */
			if (mkfifo(path, 0644))
				abort();
		} else {
			write_file(path, p, len);
		}
		r = unpack_read_file("kernel module", path, MODULE_MAX, &mod,
				     &len);
		if (r)
			return true;
		r = cpio_add_file(c, name, 0644, mod, len);
		if (!r)
			expect((uint8_t *)name, strlen(name), S_IFREG | 0644,
			       mod, len, mod);
		else
			free(mod);
		return !r;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	struct cpio c = { 0 };
	unsigned int hosts = 0;

	if (!base) {
		base = mkdtemp(base_shm);
		if (!base)
			base = mkdtemp(base_tmp);
		if (!base)
			abort();
	}
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	nentries = 0;
	while (fz_more(&f) && nentries < ENTRIES_MAX)
		record(&c, &f, &hosts);
	if (!cpio_finish(&c))
		check_archive(&c);
	for (unsigned int i = 0; i < nentries; i++) {
		free(entries[i].name);
		free(entries[i].owned);
	}
	cpio_free(&c);
	fz_check_fds();
	return 0;
}
