/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_INITRAMFS_H
#define ARMZ_INITRAMFS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/*
 * An initramfs built in memory, for run-a-command mode: a "newc" cpio
 * archive (the format the kernel unpacks) holding armz's guest init, the
 * kernel modules it needs and the command to run.
 */
struct cpio {
	uint8_t *buf;
	size_t len;
	size_t cap;
	unsigned int ino;
};

int cpio_add_dir(struct cpio *c, const char *name, mode_t mode);
int cpio_add_file(struct cpio *c, const char *name, mode_t mode,
		  const void *data, size_t len);
/* Adds the host file at path under name; what names it in messages. */
int cpio_add_host_file(struct cpio *c, const char *name, mode_t mode,
		       const char *what, const char *path);
int cpio_finish(struct cpio *c);
void cpio_free(struct cpio *c);

/*
 * The modules named in want (e.g. "9p", "virtio_mmio") and everything
 * they depend on, as paths relative to moddir, dependencies first, each
 * once, read from moddir/modules.dep. A name the kernel does not have as
 * a module is skipped: it is built in, or the guest will say what is
 * missing. The caller frees the list with modules_free().
 */
int modules_resolve(const char *moddir, const char *const *want,
		    unsigned int nwant, char ***paths, unsigned int *npaths);
void modules_free(char **paths, unsigned int npaths);

#endif
