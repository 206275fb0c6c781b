// SPDX-License-Identifier: GPL-2.0
/*
 * Where a kernel's modules and config are, for run-a-command mode: an
 * installed tree (the root's /lib/modules/RELEASE, or one made by
 * `make modules_install INSTALL_MOD_PATH=DIR`), or the build tree the
 * kernel was built in; then which modules to pack, and whether the
 * kernel can run armz-init at all.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/modules.h>

#define WANT_MAX	16

enum tree_kind {
	TREE_NONE,
	TREE_DEP,		/* modules.dep: an installed tree */
	TREE_ORDER,		/* modules.order: a build tree */
};

static char *path_join(const char *dir, const char *rest)
{
	char *p;
	size_t n = strlen(dir);

	/* "/" + "lib/modules" is "/lib/modules", not "//lib/modules". */
	while (n > 1 && dir[n - 1] == '/')
		n--;
	if (asprintf(&p, "%.*s%s%s", (int)n, dir,
		     n == 1 && dir[0] == '/' ? "" : "/", rest) < 0)
		return NULL;
	return p;
}

static bool is_file(const char *dir, const char *name)
{
	char *p = path_join(dir, name);
	struct stat st;
	bool ok = p && !stat(p, &st) && S_ISREG(st.st_mode);

	free(p);
	return ok;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return !stat(path, &st) && S_ISDIR(st.st_mode);
}

static enum tree_kind tree_kind(const char *dir)
{
	if (is_file(dir, "modules.dep"))
		return TREE_DEP;
	if (is_file(dir, "modules.order"))
		return TREE_ORDER;
	return TREE_NONE;
}

/*
 * The build tree the kernel at path was built in: .../arch/arm64/boot/
 * Image is three levels down, .../vmlinux at the top. NULL when it is
 * not in one (no Makefile with a vmlinux, modules.order or .config).
 */
static char *build_tree_of(const char *kernel_path)
{
	char real[PATH_MAX], *slash;
	static const char boot[] = "/arch/arm64/boot";
	size_t n;

	if (!realpath(kernel_path, real))
		return NULL;
	slash = strrchr(real, '/');
	if (!slash)
		return NULL;
	if (!strcmp(slash + 1, "vmlinux")) {
		*slash = '\0';
	} else {
		*slash = '\0';
		n = strlen(real);
		if (n < sizeof(boot) || strcmp(real + n - (sizeof(boot) - 1),
					       boot))
			return NULL;
		real[n - (sizeof(boot) - 1)] = '\0';
	}
	if (!*real)
		strcpy(real, "/");
	if (!is_file(real, "Makefile") ||
	    !(is_file(real, "vmlinux") || is_file(real, "modules.order") ||
	      is_file(real, ".config")))
		return NULL;
	return strdup(real);
}

/* Appends "place (note)" to the plan's list of places looked at. */
static void plan_looked(struct modules_plan *p, const char *place,
			const char *note)
{
	char *s;

	if (asprintf(&s, "%s%s%s%s%s%s", p->looked ? p->looked : "",
		     p->looked ? ", " : "", place, note ? " (" : "",
		     note ? note : "", note ? ")" : "") < 0)
		return;
	free(p->looked);
	p->looked = s;
}

/* dir as a module tree: taken into p when it is one. */
static bool plan_try_tree(struct modules_plan *p, const char *dir,
			  enum tree_kind *kind)
{
	if (!is_dir(dir)) {
		plan_looked(p, dir, "missing");
		return false;
	}
	*kind = tree_kind(dir);
	if (*kind == TREE_NONE) {
		plan_looked(p, dir, "no modules.dep or modules.order");
		return false;
	}
	plan_looked(p, dir, NULL);
	p->modules_from = strdup(dir);
	return p->modules_from != NULL;
}

static int plan_find_tree(struct modules_plan *p, const struct modules_req *req,
			  const char *build_tree, enum tree_kind *kind)
{
	char *dir = NULL, rel[KERNEL_RELEASE_MAX + 16];
	bool found = false;

	snprintf(rel, sizeof(rel), "lib/modules/%s", p->release);
	if (req->modules_dir) {
		if (*p->release) {
			dir = path_join(req->modules_dir, rel);
			found = dir && plan_try_tree(p, dir, kind);
			free(dir);
		}
		if (!found && !plan_try_tree(p, req->modules_dir, kind))
			return err_set(ENOENT, "--modules '%s' holds no modules "
				       "for kernel %s: looked in %s",
				       req->modules_dir,
				       *p->release ? p->release : "(unknown)",
				       p->looked);
		return 0;
	}
	if (*p->release) {
		dir = path_join(req->root ? req->root : "/", rel);
		found = dir && plan_try_tree(p, dir, kind);
		free(dir);
	}
	else if (!build_tree)
		plan_looked(p, "nowhere", "the kernel has no release banner to "
			    "find lib/modules/RELEASE by");
	if (!found && build_tree)
		plan_try_tree(p, build_tree, kind);
	return 0;
}

/* The config at path when it is an arm64 kernel's; NULL otherwise. */
static struct kconfig *config_try(const char *path)
{
	struct kconfig *c = NULL;

	if (!path || access(path, R_OK) || kconfig_read(path, &c))
		return NULL;
	if (kconfig_get(c, "CONFIG_ARM64") != 'y') {
		kconfig_free(c);
		return NULL;
	}
	return c;
}

static struct kconfig *plan_config_file(struct modules_plan *p,
					char *path)
{
	struct kconfig *c = config_try(path);

	if (c)
		p->config_from = path;
	else
		free(path);
	return c;
}

/* The first of the places kernel.h's modules_plan_new lists. */
static struct kconfig *plan_find_config(struct modules_plan *p,
					const struct modules_req *req,
					const char *build_tree)
{
	char name[KERNEL_RELEASE_MAX + 32], *dir, *slash, *s;
	struct kconfig *c = NULL;
	const char *text;
	size_t len;

	if (!kernel_config(req->kernel, &text, &len) &&
	    !kconfig_parse(text, len, &c)) {
		p->config_from = strdup("the kernel's own, CONFIG_IKCONFIG");
		return c;
	}
	snprintf(name, sizeof(name), "config-%s", p->release);
	if (build_tree && (c = plan_config_file(p, path_join(build_tree,
							      ".config"))))
		return c;
	dir = strdup(req->kernel_path);
	slash = dir ? strrchr(dir, '/') : NULL;
	if (slash)
		*slash = '\0';
	if (dir && (*p->release &&
		    (c = plan_config_file(p, path_join(slash ? dir : ".",
							name))))) {
		free(dir);
		return c;
	}
	if (dir && (c = plan_config_file(p, path_join(slash ? dir : ".",
						       "config")))) {
		free(dir);
		return c;
	}
	free(dir);
	/* X/lib/modules/RELEASE: X/boot/config-RELEASE; a tree: .config. */
	if (p->modules_from) {
		s = strstr(p->modules_from, "/lib/modules/");
		if (s && *p->release && asprintf(&dir, "%.*s/boot/%s",
						 (int)(s - p->modules_from),
						 p->modules_from, name) >= 0 &&
		    (c = plan_config_file(p, dir)))
			return c;
		if ((c = plan_config_file(p, path_join(p->modules_from,
						       ".config"))))
			return c;
	}
	if (*p->release && asprintf(&dir, "boot/%s", name) >= 0) {
		s = path_join(req->root ? req->root : "/", dir);
		free(dir);
		if ((c = plan_config_file(p, s)))
			return c;
	}
	return NULL;
}

static void module_name_of(const char *rel, char *name, size_t len)
{
	const char *base = strrchr(rel, '/');
	size_t n;

	base = base ? base + 1 : rel;
	n = strcspn(base, ".");
	snprintf(name, len, "%.*s", (int)n, base);
}

static int plan_modules(struct modules_plan *p, enum tree_kind kind,
			const char **want, unsigned int nwant)
{
	char **rel = NULL, name[256];
	unsigned int n = 0;
	int r;

	if (!p->modules_from || !nwant)
		return 0;
	if (kind == TREE_DEP)
		r = modules_resolve(p->modules_from, want, nwant, &rel, &n);
	else
		r = modules_resolve_order(p->modules_from, want, nwant, &rel,
					  &n);
	if (r)
		return r;
	p->mods = calloc(n ? n : 1, sizeof(*p->mods));
	if (!p->mods)
		r = err_set(ENOMEM, "out of memory");
	for (unsigned int i = 0; !r && i < n; i++) {
		module_name_of(rel[i], name, sizeof(name));
		p->mods[i].name = strdup(name);
		p->mods[i].path = path_join(p->modules_from, rel[i]);
		p->nmods++;
		if (!p->mods[i].name || !p->mods[i].path)
			r = err_set(ENOMEM, "out of memory");
		else if (access(p->mods[i].path, R_OK))
			r = err_set(ENOENT, "cannot read kernel module '%s' "
				    "(%s/modules.dep lists it): %s",
				    p->mods[i].path, p->modules_from,
				    strerror(errno));
	}
	modules_free(rel, n);
	return r;
}

int modules_plan_new(const struct modules_req *req,
		     struct modules_plan **out)
{
	struct modules_plan *p = calloc(1, sizeof(*p));
	const char *want[WANT_MAX], *found[WANT_MAX * 4];
	struct kconfig *config = NULL;
	enum tree_kind kind = TREE_NONE;
	char *build_tree = NULL;
	const char *rel;
	unsigned int nwant, nfound = 0;
	char vfs = 0;		/* CONFIG_VIRTIO_FS, as far as it matters */
	int r;

	*out = NULL;
	if (!p)
		return err_set(ENOMEM, "out of memory");
	r = kernel_release(req->kernel, &rel);
	if (!r)
		snprintf(p->release, sizeof(p->release), "%s", rel);
	else if (r == -ENOENT)
		r = 0;		/* no banner: no lib/modules/RELEASE */
	if (!r) {
		build_tree = build_tree_of(req->kernel_path);
		r = plan_find_tree(p, req, build_tree, &kind);
	}
	if (!r) {
		config = plan_find_config(p, req, build_tree);
		nwant = kconfig_modules(config, req->rw, want, WANT_MAX);
		vfs = req->virtiofs ? (config ? kconfig_get(config,
							    "CONFIG_VIRTIO_FS") :
						'm') : 0;
		if (vfs == 'm' && nwant < WANT_MAX)
			want[nwant++] = "virtiofs";
		r = plan_modules(p, kind, want, nwant);
	}
	for (unsigned int i = 0; i < p->nmods && i < WANT_MAX * 4; i++) {
		found[nfound++] = p->mods[i].name;
		if (vfs == 'm' && !strcmp(p->mods[i].name, "virtiofs"))
			p->virtiofs = true;
	}
	if (vfs == 'y')
		p->virtiofs = true;
	if (!r && config)
		r = modules_check(config, p->config_from, p->release, req->rw,
				  found, nfound, p->looked);
	kconfig_free(config);
	free(build_tree);
	if (r) {
		modules_plan_free(p);
		return r;
	}
	*out = p;
	return 0;
}

void modules_plan_free(struct modules_plan *p)
{
	if (!p)
		return;
	for (unsigned int i = 0; i < p->nmods; i++) {
		free(p->mods[i].name);
		free(p->mods[i].path);
	}
	free(p->mods);
	free(p->config_from);
	free(p->modules_from);
	free(p->looked);
	free(p);
}
