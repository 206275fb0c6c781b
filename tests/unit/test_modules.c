// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/kernel.h>
#include <armz/le.h>
#include <armz/modules.h>

#include "testfile.h"
#include "unit.h"

#define REL		"6.99.0-test"
#define IMAGE_LEN	(300u << 10)

#define CFG_BASE							\
	"#\n# Linux/arm64 6.99.0 Kernel Configuration\n#\n"		\
	"CONFIG_ARM64=y\nCONFIG_BLK_DEV_INITRD=y\nCONFIG_DEVTMPFS=y\n"	\
	"CONFIG_PROC_FS=y\nCONFIG_SYSFS=y\nCONFIG_DEVMEM=y\n"		\
	"CONFIG_TMPFS=y\nCONFIG_VIRTIO_CONSOLE=y\n"
/* Debian's generic kernel, as far as armz-init cares. */
static const char cfg_modular[] = CFG_BASE
	"CONFIG_VIRTIO_MMIO=m\nCONFIG_NET_9P=m\nCONFIG_NET_9P_VIRTIO=m\n"
	"CONFIG_9P_FS=m\nCONFIG_OVERLAY_FS=m\n";
static const char cfg_builtin[] = CFG_BASE
	"CONFIG_VIRTIO_MMIO=y\nCONFIG_NET_9P=y\nCONFIG_NET_9P_VIRTIO=y\n"
	"CONFIG_9P_FS=y\nCONFIG_OVERLAY_FS=y\n";

static bool msg_has(const char *s)
{
	return strstr(err_msg(), s) != NULL;
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/armz-mods-XXXXXX");

	CU_ASSERT_FATAL(d && mkdtemp(d));
	return d;
}

/*
 * A module as modpost leaves it, reduced to what armz reads: an ELF64
 * relocatable whose .modinfo holds NUL-separated "key=value" strings
 * (with the NUL padding the linker puts between them).
 */
static uint8_t *fake_ko(const char *name, const char *depends, size_t *len)
{
	static const char strtab[] = "\0.modinfo\0.shstrtab";
	char info[1024];
	size_t ni, off_info = 64, off_str, off_sh;
	uint8_t *b, *sh;

	ni = (size_t)snprintf(info, sizeof(info), "license=GPL%c%c%c"
			      "depends=%s%cname=%s%cvermagic=6.99.0 SMP",
			      0, 0, 0, depends, 0, name, 0) + 1;
	off_str = off_info + ni;
	off_sh = (off_str + sizeof(strtab) + 7) & ~(size_t)7;
	*len = off_sh + 3 * 64;
	b = calloc(1, *len);
	memcpy(b, "\177ELF\2\1\1", 7);
	le16_write(b + 16, 1);			/* ET_REL */
	le16_write(b + 18, 183);
	le32_write(b + 20, 1);
	le64_write(b + 0x28, off_sh);
	le16_write(b + 0x34, 64);
	le16_write(b + 0x3a, 64);
	le16_write(b + 0x3c, 3);
	le16_write(b + 0x3e, 2);
	memcpy(b + off_info, info, ni);
	memcpy(b + off_str, strtab, sizeof(strtab));
	sh = b + off_sh + 64;
	le32_write(sh, 1);			/* ".modinfo" */
	le32_write(sh + 4, 1);			/* SHT_PROGBITS */
	le64_write(sh + 0x18, off_info);
	le64_write(sh + 0x20, ni);
	sh += 64;
	le32_write(sh, 10);			/* ".shstrtab" */
	le32_write(sh + 4, 3);			/* SHT_STRTAB */
	le64_write(sh + 0x18, off_str);
	le64_write(sh + 0x20, sizeof(strtab));
	return b;
}

/* dir/rel.ko (compressed as f when f is not NONE: rel.ko.xz, ...). */
static void put_ko(const char *dir, const char *rel, const char *name,
		   const char *depends, enum unpack_format f)
{
	static const char *const ext[] = {
		[UNPACK_NONE] = "", [UNPACK_GZIP] = ".gz",
		[UNPACK_ZSTD] = ".zst", [UNPACK_XZ] = ".xz",
	};
	char path[512];
	size_t len, zlen;
	uint8_t *ko = fake_ko(name, depends, &len), *z = NULL;

	if (f != UNPACK_NONE)
		z = tf_compress(f, ko, len, &zlen);
	snprintf(path, sizeof(path), "%s.ko%s", rel, ext[f]);
	CU_ASSERT_EQUAL(tf_put(dir, path, z ? z : ko, z ? zlen : len), 0);
	free(z);
	free(ko);
}

/* The modules armz-init wants, with Debian 12's dependencies. */
struct fake_mod {
	const char *rel, *name, *depends;
};

static const struct fake_mod fake_mods[] = {
	{ "fs/netfs/netfs", "netfs", "" },
	{ "net/9p/9pnet", "9pnet", "netfs" },
	{ "net/9p/9pnet_virtio", "9pnet_virtio", "9pnet,netfs" },
	{ "fs/9p/9p", "9p", "9pnet,netfs" },
	{ "drivers/virtio/virtio_mmio", "virtio_mmio", "" },
	{ "fs/overlayfs/overlay", "overlay", "" },
	{ "fs/nfs/nfs", "nfs", "netfs" },
	{ "fs/fuse/fuse", "fuse", "" },
	{ "fs/fuse/virtiofs", "virtiofs", "fuse" },
};

/*
 * An installed tree: dir/kernel/..., modules.dep, all compressed as f,
 * without the module named skip.
 */
static void put_installed(const char *dir, enum unpack_format f, bool dep,
			  const char *skip)
{
	static const char *const ext[] = {
		[UNPACK_NONE] = "", [UNPACK_GZIP] = ".gz",
		[UNPACK_ZSTD] = ".zst", [UNPACK_XZ] = ".xz",
	};
	char rel[256], *deps = NULL, *order = NULL;
	size_t dlen = 0, olen = 0;
	FILE *fd = open_memstream(&deps, &dlen);
	FILE *fo = open_memstream(&order, &olen);

	for (size_t i = 0; i < sizeof(fake_mods) / sizeof(fake_mods[0]); i++) {
		const struct fake_mod *m = &fake_mods[i];
		char dl[256] = "", *save = NULL, *d, copy[64];

		if (skip && !strcmp(m->name, skip))
			continue;
		snprintf(rel, sizeof(rel), "kernel/%s", m->rel);
		put_ko(dir, rel, m->name, m->depends, f);
		snprintf(copy, sizeof(copy), "%s", m->depends);
		for (d = strtok_r(copy, ",", &save); d;
		     d = strtok_r(NULL, ",", &save))
			for (size_t j = 0; j < i; j++)
				if (!strcmp(fake_mods[j].name, d))
					snprintf(dl + strlen(dl),
						 sizeof(dl) - strlen(dl),
						 " kernel/%s.ko%s",
						 fake_mods[j].rel, ext[f]);
		fprintf(fd, "kernel/%s.ko%s:%s\n", m->rel, ext[f], dl);
		fprintf(fo, "kernel/%s.ko\n", m->rel);
	}
	fclose(fd);
	fclose(fo);
	if (dep)
		CU_ASSERT_EQUAL(tf_put(dir, "modules.dep", deps, dlen), 0);
	CU_ASSERT_EQUAL(tf_put(dir, "modules.order", order, olen), 0);
	free(deps);
	free(order);
}

/* A build tree: .ko beside their objects, modules.order of ".o" lines. */
static void put_build_tree(const char *dir, const char *config)
{
	char *order = NULL;
	size_t olen = 0;
	FILE *fo = open_memstream(&order, &olen);
	uint8_t *img = tf_image(IMAGE_LEN, IMAGE_LEN + 4096, REL, NULL);

	for (size_t i = 0; i < sizeof(fake_mods) / sizeof(fake_mods[0]); i++) {
		put_ko(dir, fake_mods[i].rel, fake_mods[i].name,
		       fake_mods[i].depends, UNPACK_NONE);
		/* Kernels before 6.2 wrote ".ko" lines; both are read. */
		fprintf(fo, "%s.%s\n", fake_mods[i].rel, i % 2 ? "o" : "ko");
	}
	fclose(fo);
	CU_ASSERT_EQUAL(tf_put(dir, "modules.order", order, olen), 0);
	CU_ASSERT_EQUAL(tf_put(dir, "Makefile", "# top\n", 6), 0);
	CU_ASSERT_EQUAL(tf_put(dir, "vmlinux", "\177ELF", 4), 0);
	CU_ASSERT_EQUAL(tf_put(dir, "arch/arm64/boot/Image", img, IMAGE_LEN),
			0);
	if (config)
		CU_ASSERT_EQUAL(tf_put(dir, ".config", config,
				       strlen(config)), 0);
	free(order);
	free(img);
}

/* The names in p, in order, joined by spaces. */
static const char *plan_names(const struct modules_plan *p)
{
	static char buf[512];

	buf[0] = '\0';
	for (unsigned int i = 0; i < p->nmods; i++)
		snprintf(buf + strlen(buf), sizeof(buf) - strlen(buf), "%s%s",
			 i ? " " : "", p->mods[i].name);
	return buf;
}

static void test_modinfo_depends(void)
{
	char deps[64];
	size_t len;
	uint8_t *ko = fake_ko("9p", "9pnet,netfs", &len);

	CU_ASSERT_EQUAL(modinfo_depends(ko, len, deps, sizeof(deps)), 0);
	CU_ASSERT_STRING_EQUAL(deps, "9pnet,netfs");
	/* Too small a buffer is no depends=, not an overflow. */
	CU_ASSERT_EQUAL(modinfo_depends(ko, len, deps, 5), 0);
	CU_ASSERT_STRING_EQUAL(deps, "");
	/* Section headers cut off. */
	CU_ASSERT_EQUAL(modinfo_depends(ko, len - 1, deps, sizeof(deps)),
			-EINVAL);
	/* .modinfo's data pointing past the end. */
	le64_write(ko + le64_read(ko + 0x28) + 64 + 0x20, len);
	CU_ASSERT_EQUAL(modinfo_depends(ko, len, deps, sizeof(deps)), -EINVAL);
	CU_ASSERT(msg_has("no .modinfo"));
	free(ko);

	ko = fake_ko("netfs", "", &len);
	CU_ASSERT_EQUAL(modinfo_depends(ko, len, deps, sizeof(deps)), 0);
	CU_ASSERT_STRING_EQUAL(deps, "");
	CU_ASSERT_EQUAL(modinfo_depends("#!/bin/sh\n", 10, deps, sizeof(deps)),
			-EINVAL);
	free(ko);
}

static void test_modules_build_tree(void)
{
	const char *want[] = { "9p", "virtio-mmio", "overlay", "not_there" };
	char *dir = tmpdir(), **paths = NULL;
	unsigned int n = 0;

	put_build_tree(dir, NULL);
	CU_ASSERT_EQUAL_FATAL(modules_resolve_order(dir, want, 4, &paths, &n),
			      0);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(paths[0], "fs/netfs/netfs.ko");
	CU_ASSERT_STRING_EQUAL(paths[1], "net/9p/9pnet.ko");
	CU_ASSERT_STRING_EQUAL(paths[2], "fs/9p/9p.ko");
	CU_ASSERT_STRING_EQUAL(paths[3], "drivers/virtio/virtio_mmio.ko");
	CU_ASSERT_STRING_EQUAL(paths[4], "fs/overlayfs/overlay.ko");
	modules_free(paths, n);
	tf_rmtree(dir);
}

static void test_modules_compressed(void)
{
	static const enum unpack_format fmts[] = {
		UNPACK_GZIP, UNPACK_ZSTD, UNPACK_XZ,
	};
	const char *want[] = { "9pnet_virtio" };

	for (size_t i = 0; i < sizeof(fmts) / sizeof(fmts[0]); i++) {
		char *dir = tmpdir(), **paths = NULL, path[512];
		unsigned int n = 0;
		size_t len, want_len;
		void *data;
		uint8_t *ko;

		/* Installed, but never depmod'ed: modules.order only. */
		put_installed(dir, fmts[i], false, NULL);
		CU_ASSERT_EQUAL_FATAL(modules_resolve_order(dir, want, 1,
							    &paths, &n), 0);
		CU_ASSERT_EQUAL_FATAL(n, 3);
		snprintf(path, sizeof(path), "kernel/net/9p/9pnet_virtio.ko.%s",
			 fmts[i] == UNPACK_GZIP ? "gz" :
			 fmts[i] == UNPACK_ZSTD ? "zst" : "xz");
		CU_ASSERT_STRING_EQUAL(paths[2], path);

		/* Packed decompressed, byte for byte. */
		snprintf(path, sizeof(path), "%s/%s", dir, paths[2]);
		CU_ASSERT_EQUAL_FATAL(unpack_read_file("kernel module", path,
						       MODULE_MAX_SIZE, &data,
						       &len), 0);
		ko = fake_ko("9pnet_virtio", "9pnet,netfs", &want_len);
		CU_ASSERT_EQUAL(len, want_len);
		CU_ASSERT_EQUAL(memcmp(data, ko, len), 0);
		free(data);
		CU_ASSERT_EQUAL(unpack_read_file("kernel module", path, 100,
						 &data, &len), -EFBIG);
		CU_ASSERT(msg_has("decompresses to more than 100 bytes"));

		/* A corrupt one is named, with the library's reason. */
		CU_ASSERT_EQUAL(tf_write_at(path, "\xfd" "7zXZ\0garbage", 13),
				0);
		CU_ASSERT_EQUAL(modules_resolve_order(dir, want, 1, &paths, &n),
				-EINVAL);
		CU_ASSERT(msg_has(path));
		modules_free(paths, 3);
		free(ko);
		tf_rmtree(dir);
	}
}

static void test_kconfig(void)
{
	static const char text[] =
		"CONFIG_A=y\r\nCONFIG_B=m\n# CONFIG_C is not set\n"
		"CONFIG_D=\"x y\"\nCONFIG_E=64\nCONFIG_F=n\n"
		"# CONFIG_G is not set, really\nCONFIG_A=m\nCONFIG_H=";
	struct kconfig *c;

	CU_ASSERT_EQUAL_FATAL(kconfig_parse(text, sizeof(text) - 1, &c), 0);
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_A"), 'm');	/* last wins */
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_B"), 'm');
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_C"), 0);
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_D"), 'v');
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_E"), 'v');
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_F"), 0);
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_G"), 0);
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_H"), 0);
	CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_NOPE"), 0);
	kconfig_free(c);
	CU_ASSERT_EQUAL(kconfig_read("/nonexistent/.config", &c), -ENOENT);

	/* The text need not end in NUL or newline: nothing reads past it. */
	for (size_t n = 1; n <= 24; n++) {
		static const char tail[] = "CONFIG_A=y\n# CONFIG_B is no";
		char *exact = malloc(n);

		memcpy(exact, tail, n);
		CU_ASSERT_EQUAL_FATAL(kconfig_parse(exact, n, &c), 0);
		CU_ASSERT_EQUAL(kconfig_get(c, "CONFIG_A"), n >= 10 ? 'y' : 0);
		kconfig_free(c);
		free(exact);
	}
}

static void test_modules_check(void)
{
	const char *found[] = { "virtio-mmio", "9pnet", "9pnet_virtio", "9p",
				"overlay" };
	struct kconfig *c;
	char text[1024];

	CU_ASSERT_EQUAL_FATAL(kconfig_parse(cfg_modular,
					    strlen(cfg_modular), &c), 0);
	CU_ASSERT_EQUAL(modules_check(c, "X", REL, false, found, 5, "L"), 0);
	/* overlay missing: fatal unless --rw, which needs none. */
	err_clear();
	CU_ASSERT_EQUAL(modules_check(c, "X", REL, false, found, 4,
				      "/lib/modules/" REL " (missing)"),
			-ENOENT);
	CU_ASSERT_STRING_EQUAL(err_msg(), "kernel " REL " needs modules armz "
			       "did not find: overlay (CONFIG_OVERLAY_FS=m); "
			       "looked in /lib/modules/" REL " (missing) "
			       "(--modules DIR names a modules_install tree or "
			       "the build tree)");
	CU_ASSERT_EQUAL(modules_check(c, "X", REL, true, found, 4, "L"), 0);
	CU_ASSERT_EQUAL(modules_check(c, "X", REL, true, found + 1, 3, "L"),
			-ENOENT);
	CU_ASSERT(msg_has("virtio_mmio (CONFIG_VIRTIO_MMIO=m)"));
	kconfig_free(c);

	/* Not set at all: named, with where the config came from. */
	snprintf(text, sizeof(text), "%s", cfg_modular);
	*strstr(text, "CONFIG_9P_FS=m") = '#';
	*strstr(text, "CONFIG_NET_9P_VIRTIO=m") = '#';
	CU_ASSERT_EQUAL_FATAL(kconfig_parse(text, strlen(text), &c), 0);
	CU_ASSERT_EQUAL(modules_check(c, "/boot/config-" REL, REL, false,
				      found, 5, "L"), -ENOENT);
	CU_ASSERT_STRING_EQUAL(err_msg(), "kernel " REL " lacks what running "
			       "a command needs: CONFIG_NET_9P_VIRTIO (9p over "
			       "virtio), CONFIG_9P_FS (9p filesystem) are not "
			       "set in its config (/boot/config-" REL ")");
	kconfig_free(c);

	CU_ASSERT_EQUAL_FATAL(kconfig_parse(CFG_BASE, strlen(CFG_BASE), &c),
			      0);
	CU_ASSERT_EQUAL(modules_check(c, "C", REL, false, NULL, 0, NULL),
			-ENOENT);
	CU_ASSERT(msg_has("CONFIG_VIRTIO_MMIO (virtio-mmio), "));
	CU_ASSERT(msg_has("CONFIG_OVERLAY_FS (overlayfs) are not set"));
	kconfig_free(c);

	CU_ASSERT_EQUAL_FATAL(kconfig_parse(cfg_builtin, strlen(cfg_builtin),
					    &c), 0);
	CU_ASSERT_EQUAL(modules_check(c, "C", REL, false, NULL, 0, NULL), 0);
	kconfig_free(c);
}

/* A kernel file outside any tree, with or without an IKCONFIG. */
static struct kernel *kernel_at(const char *dir, const char *rel,
				const char *ikconfig, char **path)
{
	uint8_t *img = tf_image(IMAGE_LEN, IMAGE_LEN + 4096, REL, ikconfig);
	struct kernel *k = NULL;

	CU_ASSERT_EQUAL(tf_put(dir, rel, img, IMAGE_LEN), 0);
	free(img);
	CU_ASSERT_FATAL(asprintf(path, "%s/%s", dir, rel) > 0);
	CU_ASSERT_EQUAL_FATAL(kernel_open(*path, KERNEL_FORMAT_AUTO, &k), 0);
	return k;
}

static int plan(struct kernel *k, const char *kpath, const char *root,
		const char *mods, bool rw, struct modules_plan **p)
{
	struct modules_req req = {
		.kernel_path = kpath, .kernel = k, .root = root,
		.modules_dir = mods, .rw = rw,
	};

	return modules_plan_new(&req, p);
}

/* The root's /lib/modules/RELEASE and /boot/config-RELEASE. */
static void test_modules_plan_root(void)
{
	char *root = tmpdir(), *kdir = tmpdir(), *kpath, moddir[512];
	char want[600];
	struct modules_plan *p;
	struct kernel *k = kernel_at(kdir, "vmlinuz", NULL, &kpath);

	snprintf(moddir, sizeof(moddir), "%s/lib/modules/" REL, root);
	put_installed(moddir, UNPACK_XZ, true, NULL);

	/* No config anywhere: pack what is found, say nothing was checked. */
	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, root, NULL, false, &p), 0);
	CU_ASSERT_STRING_EQUAL(p->release, REL);
	CU_ASSERT_PTR_NULL(p->config_from);
	CU_ASSERT_STRING_EQUAL(p->modules_from, moddir);
	CU_ASSERT_STRING_EQUAL(plan_names(p), "virtio_mmio netfs 9pnet "
			       "9pnet_virtio 9p overlay");
	snprintf(want, sizeof(want), "%s/kernel/fs/9p/9p.ko.xz", moddir);
	CU_ASSERT_STRING_EQUAL(p->mods[4].path, want);
	modules_plan_free(p);

	CU_ASSERT_EQUAL(tf_put(root, "boot/config-" REL, cfg_modular,
			       strlen(cfg_modular)), 0);
	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, root, NULL, true, &p), 0);
	snprintf(want, sizeof(want), "%s/boot/config-" REL, root);
	CU_ASSERT_STRING_EQUAL(p->config_from, want);
	CU_ASSERT_STRING_EQUAL(plan_names(p), "virtio_mmio netfs 9pnet "
			       "9pnet_virtio 9p");
	modules_plan_free(p);

	/* A file modules.dep lists is gone: the tree is broken. */
	snprintf(want, sizeof(want), "%s/kernel/fs/overlayfs/overlay.ko.xz",
		 moddir);
	unlink(want);
	err_clear();
	CU_ASSERT_EQUAL(plan(k, kpath, root, NULL, false, &p), -ENOENT);
	CU_ASSERT(msg_has(want));
	CU_ASSERT(msg_has("modules.dep lists it"));

	/* The config says overlay is a module; the tree has none. */
	put_installed(moddir, UNPACK_XZ, true, "overlay");
	err_clear();
	CU_ASSERT_EQUAL(plan(k, kpath, root, NULL, false, &p), -ENOENT);
	CU_ASSERT(msg_has("overlay (CONFIG_OVERLAY_FS=m)"));
	CU_ASSERT(msg_has(moddir));

	/* A config beside the kernel comes before the root's. */
	CU_ASSERT_EQUAL(tf_put(kdir, "config-" REL, cfg_builtin,
			       strlen(cfg_builtin)), 0);
	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, root, NULL, false, &p), 0);
	snprintf(want, sizeof(want), "%s/config-" REL, kdir);
	CU_ASSERT_STRING_EQUAL(p->config_from, want);
	CU_ASSERT_EQUAL(p->nmods, 0);
	modules_plan_free(p);

	/* A config that is not an arm64 kernel's is passed over. */
	CU_ASSERT_EQUAL(tf_put(kdir, "config-" REL, "CONFIG_X86_64=y\n", 16),
			0);
	CU_ASSERT_EQUAL(plan(k, kpath, root, NULL, false, &p), -ENOENT);
	CU_ASSERT(msg_has("(CONFIG_OVERLAY_FS=m)"));

	kernel_close(k);
	free(kpath);
	tf_rmtree(kdir);
	tf_rmtree(root);
}

/* A plan that may put the root on virtio-fs, with the root's config. */
static int plan_vfs(struct kernel *k, const char *kpath, const char *root,
		    const char *config, struct modules_plan **p)
{
	struct modules_req req = {
		.kernel_path = kpath, .kernel = k, .root = root,
		.virtiofs = true,
	};
	char path[512];

	snprintf(path, sizeof(path), "%s/boot/config-" REL, root);
	unlink(path);
	if (config)
		CU_ASSERT_EQUAL(tf_put(root, "boot/config-" REL, config,
				       strlen(config)), 0);
	return modules_plan_new(&req, p);
}

/*
 * virtiofs is packed when the kernel has it as a module, and never
 * required: a kernel without it leaves the root to 9p.
 */
static void test_modules_plan_virtiofs(void)
{
	static const char vfs_m[] = CFG_BASE "CONFIG_VIRTIO_MMIO=m\n"
		"CONFIG_NET_9P=m\nCONFIG_NET_9P_VIRTIO=m\nCONFIG_9P_FS=m\n"
		"CONFIG_OVERLAY_FS=m\nCONFIG_VIRTIO_FS=m\n";
	static const char vfs_y[] = CFG_BASE "CONFIG_VIRTIO_MMIO=y\n"
		"CONFIG_NET_9P=y\nCONFIG_NET_9P_VIRTIO=y\nCONFIG_9P_FS=y\n"
		"CONFIG_OVERLAY_FS=y\nCONFIG_VIRTIO_FS=y\n";
	char *root = tmpdir(), *kdir = tmpdir(), *kpath, moddir[512];
	struct modules_plan *p;
	struct kernel *k = kernel_at(kdir, "vmlinuz", NULL, &kpath);

	snprintf(moddir, sizeof(moddir), "%s/lib/modules/" REL, root);
	put_installed(moddir, UNPACK_NONE, true, NULL);

	/* No config: the module found says so. */
	CU_ASSERT_EQUAL_FATAL(plan_vfs(k, kpath, root, NULL, &p), 0);
	CU_ASSERT(p->virtiofs);
	CU_ASSERT_STRING_EQUAL(plan_names(p), "virtio_mmio netfs 9pnet "
			       "9pnet_virtio 9p overlay fuse virtiofs");
	modules_plan_free(p);

	CU_ASSERT_EQUAL_FATAL(plan_vfs(k, kpath, root, vfs_m, &p), 0);
	CU_ASSERT(p->virtiofs);
	CU_ASSERT_STRING_EQUAL(plan_names(p), "virtio_mmio netfs 9pnet "
			       "9pnet_virtio 9p overlay fuse virtiofs");
	modules_plan_free(p);

	/* Not in the config: not packed, and no error. */
	CU_ASSERT_EQUAL_FATAL(plan_vfs(k, kpath, root, cfg_modular, &p), 0);
	CU_ASSERT_FALSE(p->virtiofs);
	CU_ASSERT_STRING_EQUAL(plan_names(p), "virtio_mmio netfs 9pnet "
			       "9pnet_virtio 9p overlay");
	modules_plan_free(p);

	/* Built in. */
	CU_ASSERT_EQUAL_FATAL(plan_vfs(k, kpath, root, vfs_y, &p), 0);
	CU_ASSERT(p->virtiofs);
	CU_ASSERT_EQUAL(p->nmods, 0);
	modules_plan_free(p);

	/* A module the config promises but the tree lacks: 9p, no error. */
	put_installed(moddir, UNPACK_NONE, true, "virtiofs");
	CU_ASSERT_EQUAL_FATAL(plan_vfs(k, kpath, root, vfs_m, &p), 0);
	CU_ASSERT_FALSE(p->virtiofs);
	modules_plan_free(p);

	kernel_close(k);
	free(kpath);
	tf_rmtree(kdir);
	tf_rmtree(root);
}

/* The kernel's own IKCONFIG wins: everything built in, nothing packed. */
static void test_modules_plan_ikconfig(void)
{
	char *root = tmpdir(), *kpath, moddir[512];
	struct modules_plan *p;
	struct kernel *k = kernel_at(root, "Image.gz.plain", cfg_builtin,
				     &kpath);

	snprintf(moddir, sizeof(moddir), "%s/lib/modules/" REL, root);
	put_installed(moddir, UNPACK_NONE, true, NULL);
	CU_ASSERT_EQUAL(tf_put(root, "boot/config-" REL, cfg_modular,
			       strlen(cfg_modular)), 0);
	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, root, NULL, false, &p), 0);
	CU_ASSERT(strstr(p->config_from, "IKCONFIG") != NULL);
	CU_ASSERT_EQUAL(p->nmods, 0);
	modules_plan_free(p);
	kernel_close(k);
	free(kpath);

	/* IKCONFIG without 9p: refused before any boot. */
	k = kernel_at(root, "Image2", CFG_BASE "CONFIG_VIRTIO_MMIO=y\n"
		      "CONFIG_OVERLAY_FS=y\n", &kpath);
	err_clear();
	CU_ASSERT_EQUAL(plan(k, kpath, root, NULL, false, &p), -ENOENT);
	CU_ASSERT(msg_has("CONFIG_NET_9P (9p), CONFIG_NET_9P_VIRTIO"));
	CU_ASSERT(msg_has("CONFIG_IKCONFIG"));
	kernel_close(k);
	free(kpath);
	tf_rmtree(root);
}

/* arch/arm64/boot/Image in a build tree: its modules and .config. */
static void test_modules_plan_build_tree(void)
{
	char *tree = tmpdir(), *root = tmpdir(), kpath[512], *copy;
	struct modules_plan *p;
	struct kernel *k;

	put_build_tree(tree, cfg_modular);
	snprintf(kpath, sizeof(kpath), "%s/arch/arm64/boot/Image", tree);
	CU_ASSERT_EQUAL_FATAL(kernel_open(kpath, KERNEL_FORMAT_AUTO, &k), 0);
	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, root, NULL, false, &p), 0);
	CU_ASSERT(strstr(p->config_from, "/.config") != NULL);
	CU_ASSERT_STRING_EQUAL(p->modules_from, tree);
	CU_ASSERT(strstr(p->looked, "/lib/modules/" REL " (missing)") != NULL);
	CU_ASSERT_STRING_EQUAL(plan_names(p), "virtio_mmio netfs 9pnet "
			       "9pnet_virtio 9p overlay");
	modules_plan_free(p);

	/* --modules pointing at the tree itself, from a copied kernel. */
	kernel_close(k);
	k = kernel_at(root, "Image", NULL, &copy);
	free(copy);
	CU_ASSERT_EQUAL_FATAL(plan(k, "elsewhere/Image", root, tree, false, &p),
			      0);
	CU_ASSERT_STRING_EQUAL(p->modules_from, tree);
	CU_ASSERT(strstr(p->config_from, "/.config") != NULL);
	modules_plan_free(p);
	kernel_close(k);
	tf_rmtree(tree);
	tf_rmtree(root);
}

/* --modules: DIR/lib/modules/RELEASE, or DIR being that, or nothing. */
static void test_modules_plan_dir(void)
{
	char *inst = tmpdir(), *empty = tmpdir(), *kdir = tmpdir(), *kpath;
	char moddir[512], want[512];
	struct modules_plan *p;
	struct kernel *k = kernel_at(kdir, "Image", NULL, &kpath);

	snprintf(moddir, sizeof(moddir), "%s/lib/modules/" REL, inst);
	put_installed(moddir, UNPACK_ZSTD, true, NULL);
	CU_ASSERT_EQUAL(tf_put(inst, "boot/config-" REL, cfg_modular,
			       strlen(cfg_modular)), 0);

	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, "/", inst, false, &p), 0);
	CU_ASSERT_STRING_EQUAL(p->modules_from, moddir);
	snprintf(want, sizeof(want), "%s/boot/config-" REL, inst);
	CU_ASSERT_STRING_EQUAL(p->config_from, want);
	CU_ASSERT_EQUAL(p->nmods, 6);
	modules_plan_free(p);

	CU_ASSERT_EQUAL_FATAL(plan(k, kpath, "/", moddir, false, &p), 0);
	CU_ASSERT_STRING_EQUAL(p->modules_from, moddir);
	CU_ASSERT_EQUAL(p->nmods, 6);
	modules_plan_free(p);

	err_clear();
	CU_ASSERT_EQUAL(plan(k, kpath, "/", empty, false, &p), -ENOENT);
	snprintf(want, sizeof(want), "--modules '%s' holds no modules for "
		 "kernel " REL ": looked in %s/lib/modules/" REL " (missing), "
		 "%s (no modules.dep or modules.order)", empty, empty, empty);
	CU_ASSERT_STRING_EQUAL(err_msg(), want);

	kernel_close(k);
	free(kpath);
	tf_rmtree(kdir);
	tf_rmtree(empty);
	tf_rmtree(inst);
}

/*
 * One module that needs n others: in modules.dep (installed) or through
 * modules.order and depends= (build tree). The list holds 64 modules:
 * 64 resolve, 65 are refused, and the last never lands past the list.
 */
static int resolve_fan_out(unsigned int n, bool dep, unsigned int *count)
{
	char *dir = tmpdir(), **paths = NULL, *text = NULL, name[32];
	char depends[1024] = "";
	const char *want[] = { "top" };
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	int r;

	*count = 0;
	fprintf(f, dep ? "top.ko:" : "top.o\n");
	for (unsigned int i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "m%u", i);
		fprintf(f, dep ? " %s.ko" : "%s.o\n", name);
		snprintf(depends + strlen(depends),
			 sizeof(depends) - strlen(depends), "%s%s",
			 i ? "," : "", name);
		if (!dep)
			put_ko(dir, name, name, "", UNPACK_NONE);
	}
	if (dep)
		for (unsigned int i = 0; i < n; i++)
			fprintf(f, "\nm%u.ko:", i);
	fprintf(f, "\n");
	fclose(f);
	CU_ASSERT_EQUAL(tf_put(dir, dep ? "modules.dep" : "modules.order",
			       text, len), 0);
	if (!dep)
		put_ko(dir, "top", "top", depends, UNPACK_NONE);
	r = dep ? modules_resolve(dir, want, 1, &paths, count) :
		  modules_resolve_order(dir, want, 1, &paths, count);
	if (!r)
		modules_free(paths, *count);
	free(text);
	tf_rmtree(dir);
	return r;
}

static void test_modules_many(void)
{
	for (int dep = 0; dep < 2; dep++) {
		unsigned int n;

		CU_ASSERT_EQUAL(resolve_fan_out(63, dep, &n), 0);
		CU_ASSERT_EQUAL(n, 64);
		CU_ASSERT_NOT_EQUAL(resolve_fan_out(64, dep, &n), 0);
		CU_ASSERT(msg_has("more than 64 modules"));
	}
}

static const CU_TestInfo modules_tests[] = {
	{ ".modinfo depends", test_modinfo_depends },
	{ "build tree: modules.order and .modinfo", test_modules_build_tree },
	{ "compressed modules", test_modules_compressed },
	{ "kernel config", test_kconfig },
	{ "config check messages", test_modules_check },
	{ "plan: root's lib/modules and boot/config", test_modules_plan_root },
	{ "plan: IKCONFIG", test_modules_plan_ikconfig },
	{ "plan: virtiofs when the kernel has it", test_modules_plan_virtiofs },
	{ "plan: build tree", test_modules_plan_build_tree },
	{ "plan: --modules DIR", test_modules_plan_dir },
	{ "more modules than the list holds", test_modules_many },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(modules, modules_tests)
