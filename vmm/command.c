// SPDX-License-Identifier: GPL-2.0
/*
 * Run-a-command mode: `armz run -k IMAGE -- CMD ARGS...`. armz shares the
 * root directory over 9p and boots the kernel with an initramfs of its
 * own: armz-init as /init, the modules that init needs to reach the root
 * (when the kernel has them as modules), and the command with its working
 * directory and the caller's environment essentials.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <armz/command.h>
#include <armz/err.h>
#include <armz/loader.h>
#include <armz/p9.h>
#include <armz/util.h>
#include "command.h"

/* What armz-init needs before the root exists; built-ins are skipped. */
static const char *const command_modules[] = {
	"virtio_mmio", "virtio_console", "9pnet_virtio", "9p", "overlay",
	"virtiofs",	/* last: only with a virtio-fs root */
};

/* Passed through to the command; everything else stays on the host. */
static const char *const command_env[] = {
	"PATH", "HOME", "USER", "LOGNAME", "TERM", "LANG", "LC_ALL",
	"LC_CTYPE", "TZ", "SHELL",
};

static bool command_init_at(char *path, size_t len, const char *dir,
			    const char *rest)
{
	int n = snprintf(path, len, "%s%s", dir, rest);

	return n > 0 && (size_t)n < len && !access(path, R_OK);
}

/* armz-init: $ARMZ_INIT, beside armz, or in PREFIX/libexec/armz. */
static int command_find_init(char *path, size_t len)
{
	const char *env = getenv("ARMZ_INIT");
	char self[PATH_MAX], *slash;
	ssize_t n;

	if (env) {
		snprintf(path, len, "%s", env);
		return access(path, R_OK) ? err_set(errno, "ARMZ_INIT '%s': %s",
						    env, strerror(errno)) : 0;
	}
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n < 0)
		return err_set(errno, "cannot find armz itself: %s",
			       strerror(errno));
	self[n] = '\0';
	slash = strrchr(self, '/');
	if (slash)
		*slash = '\0';
	if (command_init_at(path, len, self, "/armz-init") ||
	    command_init_at(path, len, self, "/../libexec/armz/armz-init"))
		return 0;
	return err_set(ENOENT, "cannot find armz-init, the guest's init for run-a-command mode, beside %s or in its ../libexec/armz (or set ARMZ_INIT)",
		       self);
}

/*
 * The modules' directory of the kernel's release under the root; "" when
 * the kernel names no release. An error only when the kernel cannot be
 * read.
 */
static int command_moddir(const struct vm_config *cfg, char *moddir,
			  size_t len, bool *image_has_virtiofs)
{
	struct file_buf kernel = { 0 };
	char rel[128];
	int r;

	r = file_map("kernel", cfg->kernel, &kernel);
	if (r)
		return r;
	moddir[0] = '\0';
	if (!image_kernel_release(kernel.data, kernel.size, rel, sizeof(rel)))
		snprintf(moddir, len, "%s/lib/modules/%s", cfg->rootfs, rel);
	if (image_has_virtiofs)
		*image_has_virtiofs = memmem(kernel.data, kernel.size,
					     "virtiofs", 9) != NULL;
	file_unmap(&kernel);
	return 0;
}

static bool command_listed(const char *path, const char *entry)
{
	char line[512];
	bool found = false;
	FILE *f = fopen(path, "r");

	while (f && !found && fgets(line, sizeof(line), f))
		found = strstr(line, entry) != NULL;
	if (f)
		fclose(f);
	return found;
}

bool command_kernel_has_virtiofs(const struct vm_config *cfg)
{
	char moddir[PATH_MAX], path[PATH_MAX + 32];
	bool in_image = false;

	if (command_moddir(cfg, moddir, sizeof(moddir), &in_image) ||
	    !moddir[0] || access(moddir, R_OK))
		return in_image;
	snprintf(path, sizeof(path), "%s/modules.builtin", moddir);
	if (command_listed(path, "/virtiofs.ko"))
		return true;
	snprintf(path, sizeof(path), "%s/modules.dep", moddir);
	return command_listed(path, "/virtiofs.ko");
}

static int command_add_modules(const struct vm_config *cfg, bool virtiofs,
			       struct cpio *c)
{
	char moddir[PATH_MAX], host[PATH_MAX + 256], name[64];
	char *list = NULL, **mods = NULL;
	size_t list_len = 0;
	unsigned int n = 0;
	FILE *f;
	int r;

	r = command_moddir(cfg, moddir, sizeof(moddir), NULL);
	if (r)
		return r;
	/* No modules for this kernel: it has what it needs built in. */
	if (!moddir[0] || access(moddir, R_OK))
		return cpio_add_file(c, COMMAND_MODULES + 1, 0644, "", 0);
	r = modules_resolve(moddir, command_modules,
			    ARRAY_SIZE(command_modules) - !virtiofs,
			    &mods, &n);
	f = r ? NULL : open_memstream(&list, &list_len);
	for (unsigned int i = 0; f && !r && i < n; i++) {
		const char *base = strrchr(mods[i], '/');

		snprintf(name, sizeof(name), "%s/%02u-%s", COMMAND_MOD_DIR + 1,
			 i, base ? base + 1 : mods[i]);
		snprintf(host, sizeof(host), "%s/%s", moddir, mods[i]);
		r = cpio_add_host_file(c, name, 0644, "kernel module", host);
		fprintf(f, "/%s\n", name);
	}
	if (f)
		fclose(f);
	if (!r)
		r = cpio_add_file(c, COMMAND_MODULES + 1, 0644, list, list_len);
	free(list);
	modules_free(mods, n);
	return r;
}

static int command_add_strings(struct cpio *c, const char *name,
			       char *const *strs, unsigned int n)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return err_set(ENOMEM, "out of memory");
	for (unsigned int i = 0; i < n; i++)
		if (strs[i])
			fwrite(strs[i], 1, strlen(strs[i]) + 1, f);
	fclose(f);
	r = cpio_add_file(c, name, 0644, buf, len);
	free(buf);
	return r;
}

static int command_add_env(struct cpio *c)
{
	const unsigned int n = ARRAY_SIZE(command_env);
	char *vars[ARRAY_SIZE(command_env) + 1] = { 0 };
	const char *path = getenv("PATH");
	int r;

	for (unsigned int i = 0; i < n; i++) {
		const char *v = getenv(command_env[i]);

		if (v && asprintf(&vars[i], "%s=%s", command_env[i], v) < 0)
			vars[i] = NULL;
	}
	if (!path && asprintf(&vars[n], "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin") < 0)
		vars[n] = NULL;
	r = command_add_strings(c, COMMAND_ENV + 1, vars, n + 1);
	for (unsigned int i = 0; i <= n; i++)
		free(vars[i]);
	return r;
}

/* The caller's directory as the guest sees it under the shared root. */
static int command_add_cwd(const struct vm_config *cfg, struct cpio *c)
{
	char cwd[PATH_MAX], root[PATH_MAX];
	const char *inside = "/";
	size_t n;

	if (getcwd(cwd, sizeof(cwd)) && realpath(cfg->rootfs, root)) {
		n = strlen(root);
		if (!strcmp(root, "/"))
			inside = cwd;
		else if (!strncmp(cwd, root, n) && (!cwd[n] || cwd[n] == '/'))
			inside = cwd[n] ? cwd + n : "/";
	}
	return cpio_add_file(c, COMMAND_CWD + 1, 0644, inside, strlen(inside));
}

static int command_add_config(const struct vm_config *cfg, bool virtiofs,
			      struct cpio *c)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	int r;

	if (!f)
		return err_set(ENOMEM, "out of memory");
	if (cfg->rw)
		fprintf(f, "rw\n");
	if (isatty(STDIN_FILENO))
		fprintf(f, "tty\n");
	if (virtiofs)
		fprintf(f, "root virtiofs\n");
	/* Extra shares appear in the guest where they are on the host. */
	for (unsigned int i = 0; i < cfg->nshares; i++)
		fprintf(f, "share %s %s\n", cfg->shares[i].tag,
			cfg->shares[i].dir);
	for (unsigned int i = 0; i < cfg->nfs; i++)
		if (cfg->fs[i].dir[0])
			fprintf(f, "fs %s %s\n", cfg->fs[i].tag,
				cfg->fs[i].dir);
	fclose(f);
	r = cpio_add_file(c, COMMAND_CONFIG + 1, 0644, buf, len);
	free(buf);
	return r;
}

int command_build_initrd(const struct vm_config *cfg, bool virtiofs_root,
			 struct cpio *c)
{
	static const char *const dirs[] = {
		COMMAND_DIR, COMMAND_MOD_DIR + 1, "dev", "proc", "sys",
	};
	char init[PATH_MAX];
	unsigned int argc = 0;
	int r;

	memset(c, 0, sizeof(*c));
	r = command_find_init(init, sizeof(init));
	for (size_t i = 0; !r && i < ARRAY_SIZE(dirs); i++)
		r = cpio_add_dir(c, dirs[i], 0755);
	if (!r)
		r = cpio_add_host_file(c, "init", 0755, "armz-init", init);
	while (cfg->command[argc])
		argc++;
	if (!r)
		r = command_add_strings(c, COMMAND_ARGV + 1, cfg->command, argc);
	r = r ?: command_add_env(c) ?: command_add_cwd(cfg, c) ?:
		 command_add_config(cfg, virtiofs_root, c) ?:
		 command_add_modules(cfg, virtiofs_root, c) ?: cpio_finish(c);
	if (r)
		cpio_free(c);
	return r;
}
