// SPDX-License-Identifier: GPL-2.0
/*
 * What armz gives up before it builds a machine. Root (or a capability)
 * is needed only to open what main opens first: /dev/kvm where its mode
 * asks for it, taps, /dev/vhost-net. After that:
 *
 *   - no new privileges: nothing armz could ever execute gains any;
 *   - no capabilities, the bounding set emptied, and the securebits
 *     locked (libcap-ng's capng_lock()), so that uid 0 means nothing
 *     special either;
 *   - when armz runs as root, the user it becomes: --user, or whoever
 *     started it through sudo (SUDO_UID, SUDO_GID; their groups when
 *     SUDO_USER names them). setgroups, setresgid, setresuid, then a
 *     check that all three ids of each took and that setuid(0) fails.
 *
 * Everything the guest's machines open from here on, on every boot, is
 * opened as that user: the kernel, initrd, disks, shares and the root of
 * a command, the console log and the report. /dev/kvm, taps and vhost
 * stay open in main for every boot.
 */
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <cap-ng.h>

#include <armz/err.h>
#include "privileges.h"

#define GROUPS_MAX	256

struct target {
	bool change;
	uid_t uid;
	gid_t gid;
	char name[64];		/* "" when only the ids are known */
};

static int parse_id(const char *s, unsigned long *v)
{
	char *end;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 10);
	return errno || *end || *v >= (uid_t)-1 ? -1 : 0;
}

/* --user NAME or UID: its ids and name from the user database. */
static int target_of_user(const char *user, struct target *t)
{
	struct passwd *pw;
	unsigned long id;

	errno = 0;
	pw = parse_id(user, &id) ? getpwnam(user) : getpwuid((uid_t)id);
	if (!pw)
		return err_set(ENOENT, "--user %s: no such user%s%s", user,
			       errno ? ": " : "", errno ? strerror(errno) : "");
	t->uid = pw->pw_uid;
	t->gid = pw->pw_gid;
	snprintf(t->name, sizeof(t->name), "%s", pw->pw_name);
	return 0;
}

/* sudo's caller, when root came through sudo. */
static int target_of_sudo(struct target *t)
{
	const char *su = getenv("SUDO_UID"), *sg = getenv("SUDO_GID");
	const char *name = getenv("SUDO_USER");
	unsigned long uid, gid;

	if (!su || !sg)
		return 0;
	if (parse_id(su, &uid) || parse_id(sg, &gid))
		return err_set(EINVAL, "SUDO_UID '%s' or SUDO_GID '%s' is not a number; use --user",
			       su, sg);
	t->uid = (uid_t)uid;
	t->gid = (gid_t)gid;
	if (name)
		snprintf(t->name, sizeof(t->name), "%s", name);
	return 0;
}

static int target_find(const char *user, struct target *t)
{
	int r;

	memset(t, 0, sizeof(*t));
	t->uid = getuid();
	t->gid = getgid();
	if (user)
		r = target_of_user(user, t);
	else if (getuid() == 0)
		r = target_of_sudo(t);
	else
		r = 0;
	t->change = !r && (t->uid != getuid() || t->uid != geteuid() ||
			   t->gid != getgid() || t->gid != getegid());
	return r;
}

/* The empty bounding set and locked securebits need CAP_SETPCAP. */
static int drop_bounds(void)
{
	bool setpcap;

	capng_get_caps_process();
	setpcap = capng_have_capability(CAPNG_EFFECTIVE, CAP_SETPCAP);
	capng_clear(CAPNG_SELECT_BOUNDS);
	if (capng_apply(CAPNG_SELECT_BOUNDS) < 0 && setpcap)
		return err_set(EPERM, "cannot empty the capability bounding set");
	if (setpcap && capng_lock() < 0)
		return err_set(EPERM, "cannot lock the securebits (capng_lock)");
	return 0;
}

static int change_ids(const struct target *t)
{
	gid_t groups[GROUPS_MAX];
	int n = GROUPS_MAX;

	if (!t->name[0] || getgrouplist(t->name, t->gid, groups, &n) < 0) {
		groups[0] = t->gid;
		n = 1;
	}
	if (setgroups((size_t)n, groups))
		return err_set(errno, "setgroups: %s", strerror(errno));
	if (setresgid(t->gid, t->gid, t->gid))
		return err_set(errno, "setresgid(%u): %s", (unsigned int)t->gid,
			       strerror(errno));
	if (setresuid(t->uid, t->uid, t->uid))
		return err_set(errno, "setresuid(%u): %s", (unsigned int)t->uid,
			       strerror(errno));
	return 0;
}

/* Trust, but verify: every id, and no way back to root. */
static int check_ids(const struct target *t)
{
	uid_t ru, eu, su;
	gid_t rg, eg, sg;

	if (getresuid(&ru, &eu, &su) || getresgid(&rg, &eg, &sg))
		return err_set(errno, "getresuid: %s", strerror(errno));
	if (ru != t->uid || eu != t->uid || su != t->uid ||
	    rg != t->gid || eg != t->gid || sg != t->gid)
		return err_set(EPERM, "the switch to uid %u gid %u did not take (uids %u %u %u, gids %u %u %u)",
			       (unsigned int)t->uid, (unsigned int)t->gid,
			       (unsigned int)ru, (unsigned int)eu,
			       (unsigned int)su, (unsigned int)rg,
			       (unsigned int)eg, (unsigned int)sg);
	if (t->uid != 0 && setuid(0) == 0)
		return err_set(EPERM, "armz could become root again after the switch to uid %u",
			       (unsigned int)t->uid);
	return 0;
}

int privileges_target(const char *user, struct privileges *out)
{
	struct target t;
	int r = target_find(user, &t);

	if (!r)
		*out = (struct privileges){
			.changed = t.change, .uid = t.uid, .gid = t.gid,
		};
	return r;
}

int privileges_drop(const char *user, struct privileges *out)
{
	struct target t;
	int r;

	r = target_find(user, &t);
	if (r)
		return r;
	if (t.change && geteuid() != 0)
		return err_set(EPERM, "--user %s: only root can become another user",
			       user ? user : t.name);
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		return err_set(errno, "PR_SET_NO_NEW_PRIVS: %s",
			       strerror(errno));
	r = drop_bounds();
	if (!r && t.change)
		r = change_ids(&t);
	if (r)
		return r;
	capng_clear(CAPNG_SELECT_CAPS);
	if (capng_apply(CAPNG_SELECT_CAPS) < 0 && geteuid() == 0)
		return err_set(EPERM, "cannot drop capabilities");
	capng_get_caps_process();
	if (capng_have_capabilities(CAPNG_SELECT_CAPS) != CAPNG_NONE)
		return err_set(EPERM, "capabilities are left after dropping them");
	r = check_ids(&t);
	if (!r && out)
		*out = (struct privileges){
			.changed = t.change, .uid = t.uid, .gid = t.gid,
		};
	return r;
}
