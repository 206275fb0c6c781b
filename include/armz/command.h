/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_COMMAND_H
#define ARMZ_COMMAND_H

/*
 * What armz (vmm/command.c) and armz-init, the guest's PID 1 in
 * run-a-command mode (vmm/guest/armz-init.c), agree on: the tag of the
 * root filesystem (virtio-fs or 9p) and the files in the initramfs that
 * carry the command.
 */
#define COMMAND_ROOT_TAG	"armzroot"

#define COMMAND_DIR		"armz"
#define COMMAND_ARGV		"/armz/argv"	/* NUL-separated */
#define COMMAND_ENV		"/armz/env"	/* NUL-separated KEY=VALUE */
#define COMMAND_CWD		"/armz/cwd"
#define COMMAND_MODULES		"/armz/modules"	/* one path a line */
/* "rw", "tty", "root virtiofs", "share T P" (9p), "fs T P" (virtio-fs) */
#define COMMAND_CONFIG		"/armz/config"
#define COMMAND_MOD_DIR		"/armz/mod"

#endif
