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

#endif
