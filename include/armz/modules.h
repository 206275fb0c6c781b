/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_MODULES_H
#define ARMZ_MODULES_H

#include <stdbool.h>
#include <stddef.h>

#include <armz/kernel.h>

/*
 * What a kernel must have for run-a-command mode, and where its modules
 * are. armz-init (vmm/guest/armz-init.c) mounts the host's directory over
 * virtio-9p under an overlay, talks through a virtio console and reads
 * the exit status register through /dev/mem; each of those is a kernel
 * option, built in (=y), a module (=m) that must be packed into the
 * initramfs, or missing, which armz says before it boots anything.
 *
 * Threads: no shared state. Ownership: each _new allocates what its
 * _free releases; strings returned belong to their struct.
 */

/* A kernel's .config, as the kernel's build writes it. */
struct kconfig;

int kconfig_parse(const char *text, size_t len, struct kconfig **out);
/* The file at path; -ENOENT when it is missing. */
int kconfig_read(const char *path, struct kconfig **out);
/*
 * 'y', 'm', 0 for an option that is not set ("# CONFIG_X is not set",
 * "=n" or absent), 'v' for one with a value ("=64", "=\"x\"").
 */
char kconfig_get(const struct kconfig *c, const char *option);
void kconfig_free(struct kconfig *c);

/*
 * The modules armz-init may need ("virtio_mmio", "9p", ...), at most max
 * into names: those c has as =m, or all of them when c is NULL (nothing
 * known). rw leaves out the overlay's. Returns how many.
 */
unsigned int kconfig_modules(const struct kconfig *c, bool rw,
			     const char **names, unsigned int max);

/*
 * The modules named in want (e.g. "9p", "virtio_mmio") and everything
 * they depend on, as paths relative to moddir, dependencies first, each
 * once, read from moddir/modules.dep. A name the kernel does not have as
 * a module is skipped: it is built in, or missing, which the config check
 * tells apart. The caller frees the list with modules_free().
 */
int modules_resolve(const char *moddir, const char *const *want,
		    unsigned int nwant, char ***paths, unsigned int *npaths);
void modules_free(char **paths, unsigned int npaths);

/*
 * The same for a kernel build tree (or an installed tree without
 * modules.dep): modules found through dir/modules.order ("fs/9p/9p.o",
 * or ".ko" lines from older kernels), their dependencies read from the
 * "depends=" of each module's .modinfo section. Paths are relative to
 * dir and name the file as it is: "fs/9p/9p.ko", "kernel/fs/9p/9p.ko.xz".
 */
int modules_resolve_order(const char *dir, const char *const *want,
			  unsigned int nwant, char ***paths,
			  unsigned int *npaths);

/*
 * The "depends=" of a module (.ko, uncompressed) as a NUL-terminated
 * comma-separated list ("9pnet,netfs"; "" for none); -EINVAL when the
 * file is not an ELF with a .modinfo section.
 */
int modinfo_depends(const void *ko, size_t len, char *out, size_t outlen);

/* Modules are at most this big, decompressed (the largest are ~10 MiB). */
#define MODULE_MAX_SIZE		(64u << 20)

/* What the modules plan is made from. */
struct modules_req {
	const char *kernel_path;
	struct kernel *kernel;		/* the caller's, opened */
	const char *root;		/* the guest's root on the host */
	const char *modules_dir;	/* --modules DIR, or NULL */
	bool rw;			/* --rw: no overlay, no tmpfs */
	/*
	 * Pack virtiofs too, when the kernel has it as a module: the root
	 * may go over virtio-fs. It is never required (9p is the fallback).
	 */
	bool virtiofs;
};

struct guest_module {
	char *name;			/* "9pnet_virtio" */
	char *path;			/* on the host: ".../9p.ko.xz" */
};

struct modules_plan {
	char release[KERNEL_RELEASE_MAX];	/* "" when unknown */
	/* Where the config came from; NULL when none was found. */
	char *config_from;
	/* The module tree used; NULL when none was found. */
	char *modules_from;
	/* Every place looked at for modules, for messages. */
	char *looked;
	/* To load in this order. */
	struct guest_module *mods;
	unsigned int nmods;
	/*
	 * With req->virtiofs: the kernel can mount virtiofs, built in
	 * (its config says =y) or as a module that was found. Without a
	 * config, only the module found says so.
	 */
	bool virtiofs;
};

/*
 * Find the kernel's config and modules and decide what to pack:
 *
 * The config: the kernel's own IKCONFIG; the build tree's .config when
 * the kernel is in one (.../arch/arm64/boot/Image, .../vmlinux);
 * config-RELEASE (or "config") beside the kernel; X/boot/config-RELEASE
 * beside modules in X/lib/modules/RELEASE; the root's
 * /boot/config-RELEASE. A file without CONFIG_ARM64=y is not this
 * kernel's and is passed over.
 *
 * The modules: with modules_dir, only there: DIR/lib/modules/RELEASE,
 * or DIR itself as lib/modules/RELEASE or as a build tree; otherwise the
 * root's /lib/modules/RELEASE, then the kernel's build tree.
 *
 * With a config, every option armz-init needs must be =y, or =m with the
 * module found: -ENOENT naming the options that are not set, or the
 * modules not found and where armz looked. Without one, the modules found
 * are packed as they are and config_from stays NULL: the caller can say
 * that nothing was checked.
 */
int modules_plan_new(const struct modules_req *req,
		     struct modules_plan **out);
void modules_plan_free(struct modules_plan *p);

/*
 * The check alone, for a config and the names of the modules found
 * (with '-' and '_' the same): 0, or -ENOENT with the message above.
 */
int modules_check(const struct kconfig *c, const char *config_from,
		  const char *release, bool rw, const char *const *found,
		  unsigned int nfound, const char *looked);

#endif
