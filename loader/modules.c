// SPDX-License-Identifier: GPL-2.0
/*
 * Which kernel modules a guest needs, from the kernel's own modules.dep:
 * "kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz kernel/fs/netfs/...".
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/initramfs.h>

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
	if (depth > MODULES_MAX || l->nout == MODULES_MAX)
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
	f = fopen(path, "r");
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
