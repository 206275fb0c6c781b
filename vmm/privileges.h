/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_PRIVILEGES_H
#define ARMZ_VMM_PRIVILEGES_H

#include <stdbool.h>
#include <sys/types.h>

/* Who armz is after privileges_drop(). */
struct privileges {
	bool changed;		/* it became another user */
	uid_t uid;
	gid_t gid;
};

/*
 * After main opened what needs root: no new privileges, no capabilities
 * (bounding set too, securebits locked), and as root the user given
 * (--user, NAME or UID; NULL: sudo's caller, if any). Checks that the
 * switch took. 0, or a negative errno with err_msg() set; armz must not
 * go on then.
 */
int privileges_drop(const char *user, struct privileges *out);

/* Who privileges_drop() will make armz, changing nothing yet. */
int privileges_target(const char *user, struct privileges *out);

#endif
