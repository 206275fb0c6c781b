// SPDX-License-Identifier: GPL-2.0
/*
 * A kernel's .config and what run-a-command mode needs from it. The
 * needs follow what armz-init does (vmm/guest/armz-init.c): unpack the
 * initramfs, mount devtmpfs, proc and sysfs, reach the host over
 * virtio-mmio, a virtio console and 9p, put an overlay on a tmpfs over
 * the read-only root, and write the exit status through /dev/mem.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/err.h>
#include <armz/modules.h>

struct kconfig_opt {
	char *name;
	char value;
};

struct kconfig {
	struct kconfig_opt *opts;
	size_t n, cap;
};

static int kconfig_add(struct kconfig *c, const char *name, size_t len,
		       char value)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 1024;
		struct kconfig_opt *o = realloc(c->opts, cap * sizeof(*o));

		if (!o)
			return err_set(ENOMEM, "out of memory");
		c->opts = o;
		c->cap = cap;
	}
	c->opts[c->n].name = strndup(name, len);
	if (!c->opts[c->n].name)
		return err_set(ENOMEM, "out of memory");
	c->opts[c->n++].value = value;
	return 0;
}

static bool starts(const char *line, size_t len, const char *prefix)
{
	size_t n = strlen(prefix);

	return len >= n && !memcmp(line, prefix, n);
}

/*
 * "CONFIG_X=v" or "# CONFIG_X is not set"; anything else is a comment.
 * line is not NUL-terminated: nothing here reads past len.
 */
static int kconfig_line(struct kconfig *c, const char *line, size_t len)
{
	static const char unset[] = " is not set";
	const char *eq, *sp, *end = line + len;
	size_t n;

	if (starts(line, len, "# CONFIG_")) {
		sp = memchr(line + 2, ' ', len - 2);
		if (sp && (size_t)(end - sp) == strlen(unset) &&
		    !memcmp(sp, unset, strlen(unset)))
			return kconfig_add(c, line + 2,
					   (size_t)(sp - (line + 2)), 0);
		return 0;
	}
	if (!starts(line, len, "CONFIG_"))
		return 0;
	eq = memchr(line, '=', len);
	if (!eq || eq + 1 == end)
		return 0;
	n = (size_t)(eq - line);
	if (eq + 2 == end && (eq[1] == 'y' || eq[1] == 'm'))
		return kconfig_add(c, line, n, eq[1]);
	if (eq + 2 == end && eq[1] == 'n')
		return kconfig_add(c, line, n, 0);
	return kconfig_add(c, line, n, 'v');
}

int kconfig_parse(const char *text, size_t len, struct kconfig **out)
{
	struct kconfig *c = calloc(1, sizeof(*c));
	size_t i = 0;
	int r = 0;

	*out = NULL;
	if (!c)
		return err_set(ENOMEM, "out of memory");
	while (!r && i < len) {
		const char *nl = memchr(text + i, '\n', len - i);
		size_t n = nl ? (size_t)(nl - (text + i)) : len - i;

		if (n && text[i + n - 1] == '\r')
			n--;
		r = kconfig_line(c, text + i, n);
		i += (nl ? (size_t)(nl - (text + i)) + 1 : len - i);
	}
	if (r) {
		kconfig_free(c);
		return r;
	}
	*out = c;
	return 0;
}

int kconfig_read(const char *path, struct kconfig **out)
{
	char *buf = NULL;
	size_t cap = 0, len = 0;
	FILE *f = file_fopen(path);
	int r;

	*out = NULL;
	if (!f)
		return err_set(errno, "cannot read kernel config '%s': %s",
			       path, strerror(errno));
	for (;;) {
		if (len + 4096 > cap) {
			char *p;

			/* A config is a few hundred KiB; 16 MiB is not one. */
			if (cap >= (16u << 20)) {
				free(buf);
				fclose(f);
				return err_set(EFBIG, "kernel config '%s' "
					       "is too large", path);
			}
			p = realloc(buf, cap = cap ? cap * 2 : 256 << 10);
			if (!p) {
				free(buf);
				fclose(f);
				return err_set(ENOMEM, "out of memory");
			}
			buf = p;
		}
		size_t n = fread(buf + len, 1, cap - len, f);

		if (!n)
			break;
		len += n;
	}
	fclose(f);
	r = kconfig_parse(buf ? buf : "", len, out);
	free(buf);
	return r;
}

char kconfig_get(const struct kconfig *c, const char *option)
{
	/* The last assignment wins, as in the kernel's own tools. */
	for (size_t i = c->n; i > 0; i--)
		if (!strcmp(c->opts[i - 1].name, option))
			return c->opts[i - 1].value;
	return 0;
}

void kconfig_free(struct kconfig *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->opts[i].name);
	free(c->opts);
	free(c);
}

/* One thing armz-init relies on. */
struct kernel_need {
	const char *option;
	const char *what;
	const char *module;		/* NULL: a bool option */
	bool overlay;			/* only for the root's overlay */
};

static const struct kernel_need kernel_needs[] = {
	{ "CONFIG_BLK_DEV_INITRD", "initramfs", NULL, false },
	{ "CONFIG_DEVTMPFS", "devtmpfs", NULL, false },
	{ "CONFIG_PROC_FS", "/proc", NULL, false },
	{ "CONFIG_SYSFS", "/sys", NULL, false },
	{ "CONFIG_DEVMEM", "/dev/mem, for the exit status", NULL, false },
	{ "CONFIG_VIRTIO_MMIO", "virtio-mmio", "virtio_mmio", false },
	{ "CONFIG_VIRTIO_CONSOLE", "virtio console", "virtio_console", false },
	{ "CONFIG_NET_9P", "9p", "9pnet", false },
	{ "CONFIG_NET_9P_VIRTIO", "9p over virtio", "9pnet_virtio", false },
	{ "CONFIG_9P_FS", "9p filesystem", "9p", false },
	{ "CONFIG_OVERLAY_FS", "overlayfs", "overlay", true },
	{ "CONFIG_TMPFS", "tmpfs", NULL, true },
};

/* Module names are the same with '-' or '_'. */
static bool module_name_eq(const char *a, const char *b)
{
	for (; *a && *b; a++, b++)
		if (*a != *b && !((*a == '-' || *a == '_') &&
				  (*b == '-' || *b == '_')))
			return false;
	return *a == *b;
}

unsigned int kconfig_modules(const struct kconfig *c, bool rw,
			     const char **names, unsigned int max)
{
	unsigned int n = 0;

	for (size_t i = 0; i < sizeof(kernel_needs) / sizeof(kernel_needs[0]);
	     i++) {
		const struct kernel_need *k = &kernel_needs[i];

		if (!k->module || (rw && k->overlay) || n == max)
			continue;
		if (!c || kconfig_get(c, k->option) == 'm')
			names[n++] = k->module;
	}
	return n;
}

static bool found_has(const char *const *found, unsigned int n,
		      const char *name)
{
	for (unsigned int i = 0; i < n; i++)
		if (module_name_eq(found[i], name))
			return true;
	return false;
}

/* Appends ", " (unless first) and the formatted text, cut at the end. */
static void list_add(char *buf, size_t size, const char *fmt, const char *a,
		     const char *b)
{
	size_t n = strlen(buf);

	if (n + 1 >= size)
		return;
	snprintf(buf + n, size - n, "%s", n ? ", " : "");
	n = strlen(buf);
	snprintf(buf + n, size - n, fmt, a, b);
}

int modules_check(const struct kconfig *c, const char *config_from,
		  const char *release, bool rw, const char *const *found,
		  unsigned int nfound, const char *looked)
{
	char unset[400] = "", missing[400] = "";

	for (size_t i = 0; i < sizeof(kernel_needs) / sizeof(kernel_needs[0]);
	     i++) {
		const struct kernel_need *k = &kernel_needs[i];
		char v = kconfig_get(c, k->option);

		if (rw && k->overlay)
			continue;
		if (v == 'y' || (v == 'm' && k->module &&
				 found_has(found, nfound, k->module)))
			continue;
		if (v == 'm' && k->module)
			list_add(missing, sizeof(missing), "%s (%s=m)",
				 k->module, k->option);
		else
			list_add(unset, sizeof(unset), "%s (%s)", k->option,
				 k->what);
	}
	if (*unset)
		return err_set(ENOENT, "kernel %s lacks what running a command "
			       "needs: %s %s not set in its config (%s)",
			       release && *release ? release : "(unknown)",
			       unset, strchr(unset, ',') ? "are" : "is",
			       config_from);
	if (*missing)
		return err_set(ENOENT, "kernel %s needs modules armz did not "
			       "find: %s; looked in %s (--modules DIR names "
			       "a modules_install tree or the build tree)",
			       release && *release ? release : "(unknown)",
			       missing, looked && *looked ? looked : "nowhere");
	return 0;
}
