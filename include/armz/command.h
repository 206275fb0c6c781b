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

/*
 * How armz-init speaks to the user, who does not see the kernel's
 * console unless asked (--console-log, --verbose).
 *
 * Every line armz-init has for the user is
 *
 *	COMMAND_INIT_PREFIX TEXT "\n"
 *
 * TEXT being one sentence with no control characters. armz-init writes
 * each line to /dev/kmsg at KERN_ERR ("<3>" before the prefix), so the
 * kernel console shows it even under "quiet" and before hvc1 exists;
 * there it comes after printk's own decorations, e.g.
 *
 *	"[    2.417532] armz-init: cannot load module 9p (/armz/mod/04-9p.ko): Unknown symbol in module (errno 2)\r\n"
 *
 * Once armz-init has hvc1 (the command's stderr, which armz passes to
 * its own stderr) it writes every line there too, undecorated.
 *
 * Two lines are markers, not failures, and go to /dev/kmsg only:
 *
 *   COMMAND_INIT_STARTED  the first thing armz-init does; it writes
 *                         test-exit's BOOTED register at the same time.
 *                         A guest that stops without either never ran
 *                         armz-init: the kernel failed before it.
 *   COMMAND_INIT_HVC1     from here on, every line also reaches hvc1.
 *
 * So the host side, reading the kernel console a line at a time: drop a
 * "\r" before the "\n" and any leading "[...]" groups (time stamp,
 * caller id) and the blanks after them; a line that then starts with
 * COMMAND_INIT_PREFIX is armz-init's. Forward it to stderr unless it is a
 * marker, or COMMAND_INIT_HVC1 came before it (hvc1 brought it already).
 */
#define COMMAND_INIT_PREFIX	"armz-init: "
#define COMMAND_INIT_STARTED	COMMAND_INIT_PREFIX "started"
#define COMMAND_INIT_HVC1	COMMAND_INIT_PREFIX "reporting on hvc1"

#ifndef ARMZ_INIT
#include <stddef.h>

enum command_init_kind {
	COMMAND_INIT_NONE,		/* not armz-init's */
	COMMAND_INIT_MESSAGE,		/* a line for the user */
	COMMAND_INIT_MARK_STARTED,
	COMMAND_INIT_MARK_HVC1,
};

/*
 * The host side of the above (loader/init-log.c), for one line of the
 * kernel console without its "\n": what it is, and for a message, where
 * its "armz-init: ..." text is in line and how long it is.
 */
enum command_init_kind command_init_line(const char *line, size_t len,
					 const char **text,
					 size_t *text_len);
#endif

#endif
