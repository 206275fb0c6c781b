/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_FS_BACKEND_H
#define ARMZ_VMM_FS_BACKEND_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include <armz/vhost-user.h>
#include <armz/virtio-fs.h>

/*
 * The backends of virtio-fs shares: the real virtiofsd, started by armz
 * for a directory, or a vhost-user-fs socket someone else serves. Either
 * way the connection is made once per run, before armz drops its
 * capabilities, and lasts across guest resets (virtiofsd takes a new
 * FUSE session from a rebooted guest).
 *
 * Two daemons speak the same protocol with different command lines:
 * QEMU's C virtiofsd (Debian 12: /usr/lib/qemu/virtiofsd in
 * qemu-system-common), which must run as root, and the Rust one (the
 * virtiofsd package of newer Debian: /usr/libexec/virtiofsd), which also
 * runs unprivileged. $ARMZ_VIRTIOFSD names another, or "none".
 *
 * As root, armz starts the daemon in a mount namespace of its own where
 * the shared tree is a bind mount that is nosuid and nodev (the guest
 * opens no host device through it), read-only for a read-only share, and
 * whose pseudo file systems (proc, sysfs, ...) are read-only always.
 */
enum fsd_kind {
	FSD_QEMU,		/* QEMU's C virtiofsd: -o source=DIR */
	FSD_RUST,		/* the Rust virtiofsd: --shared-dir DIR */
};

struct fs_backend {
	pid_t pid;			/* the daemon we started, or 0 */
	struct vhost_user *vu;
	char name[16 + VIRTIO_FS_TAG_MAX];	/* "virtio-fs 'tag'" */
};

/*
 * The daemon this user can start: 0 with its path and kind, or -ENOENT
 * (none installed, $ARMZ_VIRTIOFSD=none) or -EPERM (only QEMU's, and not
 * root), with err_msg() saying which.
 */
int virtiofsd_find(char *path, size_t len, enum fsd_kind *kind);

/*
 * Connects share s: starts virtiofsd on s->dir, or connects to s->socket.
 * verbose: the daemon's own messages go to stderr (else nowhere). 0 and
 * *b, or a negative errno with err_msg() set.
 */
int fs_backend_open(const struct fs_share *s, bool verbose,
		    struct fs_backend *b);
/* Hangs up; a daemon of ours then ends, or is made to. */
void fs_backend_close(struct fs_backend *b);

#endif
