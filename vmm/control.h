/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_CONTROL_H
#define ARMZ_VMM_CONTROL_H

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

/*
 * The control socket of a running VM and the commands that talk to it:
 * `armz list`, `armz status|stop|pause|resume NAME`. The serving side
 * knows no machine: it answers through these callbacks, on main's
 * thread.
 */
struct control_ops {
	void (*stop)(void *ctx);
	void (*pause)(void *ctx, bool pause);
	void (*status)(void *ctx, FILE *f);	/* the report's JSON */
};

#define CONTROL_NAME_MAX	64

/* A VM name: 1 to 64 letters, digits, '.', '_' or '-', not a leading '.'. */
static inline bool control_name_ok(const char *name)
{
	size_t len = strlen(name);

	if (!len || len > CONTROL_NAME_MAX || name[0] == '.')
		return false;
	return strspn(name, "abcdefghijklmnopqrstuvwxyz"
			    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-") == len;
}

/* Listens on NAME's socket; *path is malloc'd for unlinking at exit. */
int control_listen(const char *name, char **path);
/* Answers one client of listen_fd. */
void control_serve(int listen_fd, const struct control_ops *ops, void *ctx);
/* armz list | armz status|stop|pause|resume NAME */
int control_command(int argc, char **argv);

#endif
