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
#include <armz/kernel.h>
#include <armz/loader.h>
#include <armz/modules.h>
#include <armz/p9.h>
#include <armz/unpack.h>
#include <armz/util.h>
#include "command.h"

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
 * One module, decompressed when it is a .ko.xz, .ko.zst or .ko.gz: the
 * guest kernel needs no module decompression support then.
 */
static int command_add_module(struct cpio *c, unsigned int i,
			      const struct guest_module *mod, FILE *list)
{
	char name[128];
	size_t len;
	void *data;
	int r;

	snprintf(name, sizeof(name), "%s/%02u-%s.ko", COMMAND_MOD_DIR + 1, i,
		 mod->name);
	r = unpack_read_file("kernel module", mod->path, MODULE_MAX_SIZE,
			     &data, &len);
	if (r)
		return r;
	r = cpio_add_file(c, name, 0644, data, len);
	free(data);
	fprintf(list, "/%s\n", name);
	return r;
}

static int command_add_modules(const struct modules_plan *plan,
			       struct cpio *c)
{
	char *list = NULL;
	size_t list_len = 0;
	FILE *f = open_memstream(&list, &list_len);
	int r = f ? 0 : err_set(ENOMEM, "out of memory");

	for (unsigned int i = 0; !r && i < plan->nmods; i++)
		r = command_add_module(c, i, &plan->mods[i], f);
	if (f)
		fclose(f);
	if (!r)
		r = cpio_add_file(c, COMMAND_MODULES + 1, 0644, list, list_len);
	free(list);
	return r;
}

int command_plan(const struct vm_config *cfg, struct modules_plan **plan)
{
	struct modules_req req = {
		.kernel_path = cfg->kernel, .root = cfg->rootfs,
		.modules_dir = cfg->modules_dir, .rw = cfg->rw,
		.virtiofs = true,
	};
	char init[PATH_MAX];
	int r;

	*plan = NULL;
	r = command_find_init(init, sizeof(init)) ?:
	    kernel_open(cfg->kernel, cfg->kernel_format, &req.kernel);
	if (!r)
		r = modules_plan_new(&req, plan);
	kernel_close(req.kernel);
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

int command_build_initrd(const struct vm_config *cfg,
			 const struct modules_plan *plan, bool virtiofs_root,
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
		 command_add_modules(plan, c) ?: cpio_finish(c);
	if (r)
		cpio_free(c);
	return r;
}
