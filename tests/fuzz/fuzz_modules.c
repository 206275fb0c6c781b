// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: what run-a-command mode reads of a kernel's module
 * tree and config (include/armz/modules.h): modules.dep, modules.order
 * and each module's .modinfo (plain or compressed), a .config, and the
 * plan made from all of them for a kernel (modules_plan_new()).
 *
 * The input is records, each a byte and its fields, that make a fresh
 * tree in a temporary directory:
 *   0  a file: blob path (made safe: no "..", no leading '/', only
 *      [A-Za-z0-9._+-/]), blob content
 *   1  a wanted module name: blob
 *   2  a config: blob (kconfig_parse() and the checks on it)
 *   3  the plan's options: u8 (1 rw, 2 virtiofs, 4 --modules DIR,
 *      8 DIR is the tree's lib/modules/RELEASE), blob kernel path (made
 *      safe as above; the kernel is a file of the tree)
 * then modules_resolve() and modules_resolve_order() run on the tree's
 * root with the wanted names, modinfo_depends() on every file named
 * *.ko, and the plan when option record 3 came.
 *
 * Checked: resolved lists have each module once, at most 64, and a
 * module listed after every module it depends on (modules.dep) or as a
 * file of the tree (modules.order); depends= is found as it is in the
 * .modinfo; kconfig_get() gives each option its last assignment; the
 * plan's modules are readable files.
 */
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/kernel.h>
#include <armz/modules.h>

#include "harness.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define WANT_MAX	16
#define FILES_MAX	64
#define PATH_LEN	200
#define MODULES_MAX	64

static char base_shm[] = "/dev/shm/armz-fuzz-modules-XXXXXX";
static char base_tmp[] = "/tmp/armz-fuzz-modules-XXXXXX";
static char *base;

static char want_buf[WANT_MAX][64];
static const char *want[WANT_MAX];
static unsigned int nwant;
static char files[FILES_MAX][PATH_LEN + 1];
static unsigned int nfiles;

static int rm_one(const char *p, const struct stat *st, int flag,
		  struct FTW *ftw)
{
	if (ftw->level)
		remove(p);
	return 0;
}

static void tree_clear(void)
{
	nftw(base, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

/* The input's path made one of the tree: false when nothing is left. */
static bool safe_path(const uint8_t *p, size_t len, char *out)
{
	size_t n = 0, comp = 0;

	for (size_t i = 0; i < len && n < PATH_LEN; i++) {
		char c = (char)p[i];

		if (c == '/') {
			/* Empty, "." and ".." components go. */
			if (!comp || (comp == 1 && out[n - 1] == '.') ||
			    (comp == 2 && out[n - 1] == '.' &&
			     out[n - 2] == '.')) {
				n -= comp;
				comp = 0;
				continue;
			}
			out[n++] = '/';
			comp = 0;
			continue;
		}
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '+'))
			c = '_';
		out[n++] = c;
		comp++;
	}
	if ((comp == 1 && out[n - 1] == '.') ||
	    (comp == 2 && out[n - 1] == '.' && out[n - 2] == '.'))
		n -= comp;
	while (n && out[n - 1] == '/')
		n--;
	out[n] = '\0';
	return n != 0;
}

static void put_file(const char *rel, const uint8_t *data, size_t len)
{
	char path[PATH_LEN + 64], *slash;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	for (slash = path + strlen(base) + 1; (slash = strchr(slash, '/'));
	     slash++) {
		*slash = '\0';
		mkdir(path, 0755);
		*slash = '/';
	}
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		return;		/* a directory of that name, say */
	if (write(fd, data, len) != (ssize_t)len)
		abort();
	close(fd);
	if (nfiles < FILES_MAX)
		strcpy(files[nfiles++], rel);
}

static const uint8_t *read_rel(const char *rel, size_t *len)
{
	static uint8_t buf[65536];
	char path[PATH_LEN + 64];
	ssize_t n;
	int fd;

	snprintf(path, sizeof(path), "%s/%s", base, rel);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 0)
		return NULL;
	*len = (size_t)n;
	return buf;
}

/* --- modules.dep --- */

/* Line key of line number i of modules.dep as armz splits it. */
static const char *dep_line_of(const char *text, size_t textlen,
			       const char *key)
{
	size_t at = 0, klen = strlen(key);

	while (at < textlen) {
		const char *line = text + at;
		size_t n = strcspn(line, "\n");	/* a NUL ends it too */

		if (strcspn(line, ":") >= klen && !strncmp(line, key, klen) &&
		    (line[klen] == ':' || line[klen] == '\0' ||
		     line[klen] == '\n'))
			return line;
		at += n + 1;
		while (at < textlen && text[at - 1] != '\n')
			at++;
	}
	return NULL;
}

static void check_resolved(char **paths, unsigned int n)
{
	const uint8_t *dep;
	size_t deplen;
	static char text[65537];

	if (n > MODULES_MAX)
		fz_fail("resolve: %u modules", n);
	for (unsigned int i = 0; i < n; i++)
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(paths[i], paths[j]))
				fz_fail("resolve: %s twice", paths[i]);
	dep = read_rel("modules.dep", &deplen);
	if (!dep)
		return;
	memcpy(text, dep, deplen);
	text[deplen] = '\0';
	/* A dependency that has a line of its own comes first. */
	for (unsigned int i = 0; i < n; i++) {
		const char *line = dep_line_of(text, deplen, paths[i]);
		const char *d;

		if (!line)
			fz_fail("resolve: %s has no line", paths[i]);
		d = line + strlen(paths[i]);
		d += *d == ':';
		while (*d && *d != '\n') {
			char name[PATH_LEN + 1];
			size_t len;
			unsigned int j;

			d += strspn(d, " \t");
			len = strcspn(d, " \t\n");
			if (!len)
				break;
			d += len;
			if (len > PATH_LEN)
				continue;
			memcpy(name, d - len, len);
			name[len] = '\0';
			if (!dep_line_of(text, deplen, name))
				continue;
			for (j = 0; j < i && strcmp(paths[j], name); j++)
				;
			if (j == i)
				fz_fail("resolve: %s before its dependency %s",
					paths[i], name);
		}
	}
}

static void check_order(char **paths, unsigned int n)
{
	char path[PATH_LEN + 4096];

	if (n > MODULES_MAX)
		fz_fail("resolve_order: %u modules", n);
	for (unsigned int i = 0; i < n; i++) {
		for (unsigned int j = 0; j < i; j++)
			if (!strcmp(paths[i], paths[j]))
				fz_fail("resolve_order: %s twice", paths[i]);
		snprintf(path, sizeof(path), "%s/%s", base, paths[i]);
		if (access(path, R_OK))
			fz_fail("resolve_order: %s is no file", paths[i]);
	}
}

/* --- .modinfo --- */

static void check_modinfo(const uint8_t *ko, size_t len)
{
	char small[8], big[1024];
	int r = modinfo_depends(ko, len, big, sizeof(big));

	memset(small, 'x', sizeof(small));
	modinfo_depends(ko, len, small, sizeof(small));
	if (!memchr(small, '\0', sizeof(small)) && small[0] != 'x')
		fz_fail("modinfo: no NUL in a small buffer");
	if (r)
		return;
	if (strlen(big) >= sizeof(big))
		fz_fail("modinfo: too long");
	/* What it gives is in the module, after a depends=. */
	if (*big) {
		char needle[1100];
		size_t n = (size_t)snprintf(needle, sizeof(needle),
					    "depends=%s", big);

		if (!memmem(ko, len, needle, n))
			fz_fail("modinfo: depends=%s is not in the module",
				big);
	}
}

/* --- .config --- */

static void check_config(const uint8_t *text, size_t len)
{
	static const char *const opts[] = {
		"CONFIG_ARM64", "CONFIG_VIRTIO_MMIO", "CONFIG_9P_FS",
		"CONFIG_NET_9P", "CONFIG_TMPFS", "CONFIG_OVERLAY_FS",
	};
	const char *names[WANT_MAX];
	struct kconfig *c;
	unsigned int n;

	if (kconfig_parse((const char *)text, len, &c))
		return;
	/* Each option's last assignment, read plainly. */
	for (size_t o = 0; o < sizeof(opts) / sizeof(opts[0]); o++) {
		size_t olen = strlen(opts[o]), at = 0;
		char want_v = 0;

		if (memchr(text, '\0', len))
			break;
		while (at < len) {
			const char *l = (const char *)text + at;
			const char *nl = memchr(l, '\n', len - at);
			size_t ll = nl ? (size_t)(nl - l) : len - at;

			if (ll && l[ll - 1] == '\r')
				ll--;
			if (ll > olen && !memcmp(l, opts[o], olen) &&
			    l[olen] == '=') {
				if (ll == olen + 2 && (l[olen + 1] == 'y' ||
						       l[olen + 1] == 'm'))
					want_v = l[olen + 1];
				else if (ll == olen + 2 && l[olen + 1] == 'n')
					want_v = 0;
				else if (ll == olen + 1)
					;	/* "X=": not an assignment */
				else
					want_v = 'v';
			} else if (ll == olen + 2 + 11 && !memcmp(l, "# ", 2) &&
				   !memcmp(l + 2, opts[o], olen) &&
				   !memcmp(l + 2 + olen, " is not set", 11)) {
				want_v = 0;
			}
			at += nl ? (size_t)(nl - l) + 1 : len - at;
		}
		if (kconfig_get(c, opts[o]) != want_v)
			fz_fail("config: %s is '%c', the text says '%c'",
				opts[o], kconfig_get(c, opts[o]) ?: '0',
				want_v ?: '0');
	}
	n = kconfig_modules(c, false, names, WANT_MAX);
	if (n > WANT_MAX)
		fz_fail("config: %u modules", n);
	modules_check(c, "the input", "6.1.0", false, names, n, "here");
	modules_check(c, "the input", NULL, true, NULL, 0, NULL);
	kconfig_free(c);
}

/* --- The plan --- */

static void plan(uint8_t opts, const char *kernel_rel)
{
	char kpath[PATH_LEN + 64], mdir[PATH_LEN + 128];
	struct modules_req req = {
		.kernel_path = kpath, .root = base, .rw = opts & 1,
		.virtiofs = opts & 2,
	};
	struct modules_plan *p;
	struct kernel *k;
	const char *rel;

	snprintf(kpath, sizeof(kpath), "%s/%s", base, kernel_rel);
	if (kernel_open(kpath, KERNEL_FORMAT_AUTO, &k))
		return;
	req.kernel = k;
	/*
	 * The release names directories: one with a '/' would take the
	 * plan out of the tree, into the host's own /lib/modules.
	 */
	if (!kernel_release(k, &rel) && strchr(rel, '/')) {
		kernel_close(k);
		return;
	}
	if (opts & 4) {
		if ((opts & 8) && !kernel_release(k, &rel))
			snprintf(mdir, sizeof(mdir), "%s/lib/modules/%s",
				 base, rel);
		else
			snprintf(mdir, sizeof(mdir), "%s", base);
		req.modules_dir = mdir;
	}
	if (!modules_plan_new(&req, &p)) {
		if (p->nmods > MODULES_MAX)
			fz_fail("plan: %u modules", p->nmods);
		for (unsigned int i = 0; i < p->nmods; i++)
			if (!p->mods[i].name || !p->mods[i].path ||
			    access(p->mods[i].path, R_OK))
				fz_fail("plan: module %u unreadable", i);
		modules_plan_free(p);
	}
	kernel_close(k);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz f = { data, size };
	char rel[PATH_LEN + 1], kernel_rel[PATH_LEN + 1];
	const uint8_t *p, *cfg = NULL;
	size_t len, cfg_len = 0;
	bool do_plan = false;
	uint8_t plan_opts = 0;
	char **paths;
	unsigned int n;

	if (!base) {
		base = mkdtemp(base_shm);
		if (!base)
			base = mkdtemp(base_tmp);
		if (!base)
			abort();
	}
	tree_clear();
	nwant = nfiles = 0;
	while (fz_more(&f)) {
		switch (fz_u8(&f) % 4) {
		case 0:
			p = fz_blob(&f, PATH_LEN, &len);
			if (!safe_path(p, len, rel)) {
				fz_blob(&f, 0, &len);
				break;
			}
			p = fz_blob(&f, 65536, &len);
			put_file(rel, p, len);
			break;
		case 1:
			p = fz_blob(&f, sizeof(want_buf[0]) - 1, &len);
			if (nwant < WANT_MAX) {
				memcpy(want_buf[nwant], p, len);
				want_buf[nwant][len] = '\0';
				want[nwant] = want_buf[nwant];
				nwant++;
			}
			break;
		case 2:
			cfg = fz_blob(&f, 65536, &cfg_len);
			check_config(cfg, cfg_len);
			break;
		case 3:
			plan_opts = fz_u8(&f);
			p = fz_blob(&f, PATH_LEN, &len);
			do_plan = safe_path(p, len, kernel_rel);
			break;
		}
	}
	if (!modules_resolve(base, want, nwant, &paths, &n)) {
		check_resolved(paths, n);
		modules_free(paths, n);
	}
	if (!modules_resolve_order(base, want, nwant, &paths, &n)) {
		check_order(paths, n);
		modules_free(paths, n);
	}
	for (unsigned int i = 0; i < nfiles; i++) {
		size_t flen = strlen(files[i]);

		if (flen > 3 && !strcmp(files[i] + flen - 3, ".ko") &&
		    (p = read_rel(files[i], &len)))
			check_modinfo(p, len);
	}
	if (do_plan)
		plan(plan_opts, kernel_rel);
	fz_check_fds();
	return 0;
}
