// SPDX-License-Identifier: GPL-2.0
/*
 * Which kernel modules a guest needs, and in which order, from the
 * kernel's own modules.dep in an installed tree:
 * "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/...",
 * or, in a build tree, from modules.order and each module's .modinfo.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/modules.h>
#include <armz/unpack.h>

#define MODULES_MAX	64

/* "kernel/fs/9p/9p.ko.xz" is module "9p"; '-' and '_' are the same. */
static bool module_is(const char *path, size_t len, const char *name)
{
	const char *base = path, *p;
	size_t n;

	for (p = path; p < path + len; p++)
		if (*p == '/')
			base = p + 1;
	p = strstr(base, ".ko");
	/* modules.order of kernels since 6.2 names the objects: "9p.o". */
	if ((!p || p > path + len) && path + len - base > 2 &&
	    !strncmp(path + len - 2, ".o", 2))
		p = path + len - 2;
	if (!p || p > path + len)
		return false;
	n = (size_t)(p - base);
	if (n != strlen(name))
		return false;
	for (size_t i = 0; i < n; i++) {
		char a = base[i] == '-' ? '_' : base[i];
		char b = name[i] == '-' ? '_' : name[i];

		if (a != b)
			return false;
	}
	return true;
}

struct modlist {
	char **dep_lines;	/* modules.dep, one entry a line */
	unsigned int nlines;
	char **out;
	unsigned int nout;
};

static bool modlist_has(const struct modlist *l, const char *path, size_t len)
{
	for (unsigned int i = 0; i < l->nout; i++)
		if (strlen(l->out[i]) == len && !strncmp(l->out[i], path, len))
			return true;
	return false;
}

/* The modules.dep line of the module at path (or named name). */
static const char *modlist_line(const struct modlist *l, const char *path,
				size_t len, const char *name)
{
	for (unsigned int i = 0; i < l->nlines; i++) {
		const char *line = l->dep_lines[i];
		size_t n = strcspn(line, ":");

		if (name ? module_is(line, n, name)
			 : (n == len && !strncmp(line, path, len)))
			return line;
	}
	return NULL;
}

/* Adds the module whose modules.dep line is line, after its deps. */
static int modlist_add(struct modlist *l, const char *line, unsigned int depth)
{
	size_t n = strcspn(line, ":");
	const char *deps = line + n + (line[n] == ':');
	int r;

	if (modlist_has(l, line, n))
		return 0;
	if (depth > MODULES_MAX)
		return err_set(ELOOP, "modules.dep: dependencies too deep");
	while (*deps) {
		size_t len;
		const char *dl;

		deps += strspn(deps, " \t");
		len = strcspn(deps, " \t\n");
		if (!len)
			break;
		dl = modlist_line(l, deps, len, NULL);
		if (dl) {
			r = modlist_add(l, dl, depth + 1);
			if (r)
				return r;
		}
		deps += len;
	}
	/* Checked here, after the dependencies, which take room too. */
	if (l->nout == MODULES_MAX)
		return err_set(E2BIG, "modules.dep: more than %d modules to "
			       "load", MODULES_MAX);
	l->out[l->nout] = strndup(line, n);
	if (!l->out[l->nout])
		return err_set(ENOMEM, "out of memory");
	l->nout++;
	return 0;
}

static int modlist_read(struct modlist *l, const char *moddir)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	f = file_fopen(path);
	if (!f)
		return err_set(errno, "cannot read '%s': %s (run depmod?)",
			       path, strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char **p = realloc(l->dep_lines,
				   (l->nlines + 1) * sizeof(*p));

		if (!p)
			break;
		l->dep_lines = p;
		line[strcspn(line, "\n")] = '\0';
		l->dep_lines[l->nlines++] = line;
		line = NULL;
		cap = 0;
	}
	free(line);
	fclose(f);
	return 0;
}

int modules_resolve(const char *moddir, const char *const *want,
		    unsigned int nwant, char ***paths, unsigned int *npaths)
{
	struct modlist l = { 0 };
	int r;

	l.out = calloc(MODULES_MAX, sizeof(*l.out));
	if (!l.out)
		return err_set(ENOMEM, "out of memory");
	r = modlist_read(&l, moddir);
	for (unsigned int i = 0; !r && i < nwant; i++) {
		const char *line = modlist_line(&l, NULL, 0, want[i]);

		if (line)
			r = modlist_add(&l, line, 0);
	}
	for (unsigned int i = 0; i < l.nlines; i++)
		free(l.dep_lines[i]);
	free(l.dep_lines);
	if (r) {
		modules_free(l.out, l.nout);
		return r;
	}
	*paths = l.out;
	*npaths = l.nout;
	return 0;
}

void modules_free(char **paths, unsigned int npaths)
{
	for (unsigned int i = 0; paths && i < npaths; i++)
		free(paths[i]);
	free(paths);
}

/* Elf64_Ehdr and Elf64_Shdr offsets (System V ABI). */
#define EH_SHOFF	0x28
#define EH_SHENTSIZE	0x3a
#define EH_SHNUM	0x3c
#define EH_SHSTRNDX	0x3e
#define SH_NAME		0x00
#define SH_OFFSET	0x18
#define SH_SIZE		0x20
#define SHDR_SIZE	0x40
#define MODINFO		".modinfo"
#define DEPENDS		"depends="

/* Section i's bytes, bounds-checked. */
static const uint8_t *elf_section(const uint8_t *b, size_t len, uint64_t shoff,
				  uint64_t ent, uint64_t i, uint64_t *size)
{
	const uint8_t *sh = b + shoff + i * ent;
	uint64_t off = le64_read(sh + SH_OFFSET);

	*size = le64_read(sh + SH_SIZE);
	if (off > len || *size > len - off)
		return NULL;
	return b + off;
}

int modinfo_depends(const void *ko, size_t len, char *out, size_t outlen)
{
	const uint8_t *b = ko, *strtab, *info = NULL;
	uint64_t shoff, ent, num, strsize, infosize = 0;

	if (len < 64 || memcmp(b, "\177ELF\2\1", 6))
		return err_set(EINVAL, "not a little-endian 64-bit ELF");
	shoff = le64_read(b + EH_SHOFF);
	ent = le16_read(b + EH_SHENTSIZE);
	num = le16_read(b + EH_SHNUM);
	if (ent < SHDR_SIZE || shoff > len || num * ent > len - shoff ||
	    le16_read(b + EH_SHSTRNDX) >= num)
		return err_set(EINVAL, "corrupt ELF section headers");
	strtab = elf_section(b, len, shoff, ent, le16_read(b + EH_SHSTRNDX),
			     &strsize);
	for (uint64_t i = 0; strtab && !info && i < num; i++) {
		uint64_t name = le32_read(b + shoff + i * ent + SH_NAME);

		if (name < strsize &&
		    strsize - name > strlen(MODINFO) &&
		    !memcmp(strtab + name, MODINFO, strlen(MODINFO) + 1))
			info = elf_section(b, len, shoff, ent, i, &infosize);
	}
	if (!info)
		return err_set(EINVAL, "no .modinfo section: not a kernel "
			       "module");
	*out = '\0';
	/* NUL-separated "key=value" strings, NUL padding between. */
	for (uint64_t i = 0; i < infosize; i++) {
		size_t n;

		if (info[i] == '\0')
			continue;
		n = strnlen((const char *)info + i, infosize - i);
		if (n >= strlen(DEPENDS) && n - strlen(DEPENDS) < outlen &&
		    !memcmp(info + i, DEPENDS, strlen(DEPENDS))) {
			memcpy(out, info + i + strlen(DEPENDS),
			       n - strlen(DEPENDS));
			out[n - strlen(DEPENDS)] = '\0';
			return 0;
		}
		i += n;
	}
	return 0;
}

/* A build tree's modules.order, and the modules picked from it. */
struct order {
	const char *dir;
	char **lines;
	unsigned int nlines;
	char **out;
	unsigned int nout;
};

/* The file of a modules.order line as it is on disk, relative to dir. */
static char *order_file(const char *dir, const char *line)
{
	static const char *const sfx[] = { ".ko", ".ko.xz", ".ko.zst",
					   ".ko.gz" };
	size_t stem = strlen(line);
	char path[4096], rel[2048];
	bool kernel = !strncmp(line, "kernel/", 7);

	if (stem > 3 && !strcmp(line + stem - 3, ".ko"))
		stem -= 3;
	else if (stem > 2 && !strcmp(line + stem - 2, ".o"))
		stem -= 2;
	/* Installed trees put everything under kernel/, build trees not. */
	for (int alt = 0; alt < 2; alt++) {
		const char *pre = alt ? (kernel ? "" : "kernel/") : "";
		const char *l = alt && kernel ? line + 7 : line;
		size_t n = alt && kernel ? stem - 7 : stem;

		for (size_t i = 0; i < sizeof(sfx) / sizeof(sfx[0]); i++) {
			snprintf(rel, sizeof(rel), "%s%.*s%s", pre, (int)n, l,
				 sfx[i]);
			snprintf(path, sizeof(path), "%s/%s", dir, rel);
			if (!access(path, R_OK))
				return strdup(rel);
		}
	}
	return NULL;
}

static const char *order_line(const struct order *o, const char *name)
{
	for (unsigned int i = 0; i < o->nlines; i++)
		if (module_is(o->lines[i], strlen(o->lines[i]), name))
			return o->lines[i];
	return NULL;
}

static bool order_has(const struct order *o, const char *rel)
{
	for (unsigned int i = 0; i < o->nout; i++)
		if (!strcmp(o->out[i], rel))
			return true;
	return false;
}

static int order_add(struct order *o, const char *name, unsigned int depth);

static int order_add_deps(struct order *o, const char *rel,
			  unsigned int depth)
{
	char path[4096], deps[1024], *save = NULL, *d;
	size_t len;
	void *ko;
	int r;

	snprintf(path, sizeof(path), "%s/%s", o->dir, rel);
	r = unpack_read_file("kernel module", path, MODULE_MAX_SIZE, &ko,
			     &len);
	if (r)
		return r;
	r = modinfo_depends(ko, len, deps, sizeof(deps));
	free(ko);
	if (r) {
		char why[256];

		snprintf(why, sizeof(why), "%s", err_msg());
		return err_set(EINVAL, "kernel module '%s': %s", path, why);
	}
	for (d = strtok_r(deps, ",", &save); !r && d;
	     d = strtok_r(NULL, ",", &save))
		r = order_add(o, d, depth + 1);
	return r;
}

static int order_add(struct order *o, const char *name, unsigned int depth)
{
	const char *line = order_line(o, name);
	char *rel;
	int r;

	if (!line)
		return 0;	/* built in, or not there: the check knows */
	rel = order_file(o->dir, line);
	if (!rel || order_has(o, rel)) {
		free(rel);
		return 0;
	}
	if (depth > MODULES_MAX) {
		free(rel);
		return err_set(ELOOP, "%s/modules.order: module dependencies "
			       "too deep", o->dir);
	}
	r = order_add_deps(o, rel, depth);
	/* Checked here, after the dependencies, which take room too. */
	if (!r && !order_has(o, rel) && o->nout == MODULES_MAX)
		r = err_set(E2BIG, "%s/modules.order: more than %d modules "
			    "to load", o->dir, MODULES_MAX);
	if (!r && !order_has(o, rel)) {
		o->out[o->nout++] = rel;
		rel = NULL;
	}
	free(rel);
	return r;
}

static int order_read(struct order *o)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	FILE *f;

	snprintf(path, sizeof(path), "%s/modules.order", o->dir);
	f = file_fopen(path);
	if (!f)
		return err_set(errno, "cannot read '%s': %s", path,
			       strerror(errno));
	while (getline(&line, &cap, f) > 0) {
		char **p;

		line[strcspn(line, "\r\n")] = '\0';
		if (!*line)
			continue;
		p = realloc(o->lines, (o->nlines + 1) * sizeof(*p));
		if (!p)
			break;
		o->lines = p;
		o->lines[o->nlines++] = line;
		line = NULL;
		cap = 0;
	}
	free(line);
	fclose(f);
	return 0;
}

int modules_resolve_order(const char *dir, const char *const *want,
			  unsigned int nwant, char ***paths,
			  unsigned int *npaths)
{
	struct order o = { .dir = dir };
	int r;

	o.out = calloc(MODULES_MAX, sizeof(*o.out));
	if (!o.out)
		return err_set(ENOMEM, "out of memory");
	r = order_read(&o);
	for (unsigned int i = 0; !r && i < nwant; i++)
		r = order_add(&o, want[i], 0);
	for (unsigned int i = 0; i < o.nlines; i++)
		free(o.lines[i]);
	free(o.lines);
	if (r) {
		modules_free(o.out, o.nout);
		return r;
	}
	*paths = o.out;
	*npaths = o.nout;
	return 0;
}
