// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a stream of 9P messages from a hostile
 * guest against a writable share, so that every request a guest can make
 * (create, write, rename, unlink, setattr, link, xattrs, locks) reaches
 * the host. Each run gets a fresh temporary tree:
 *
 *   base/canary           beside the share: must never change
 *   base/share/           the shared root, refilled after any input
 *                         that may have changed it
 *   base/share/dir/file   "hello"
 *   base/share/big        8 KiB, more than a lowered msize holds
 *   base/share/escape ->  /etc
 *   base/share/up     ->  ..  (base itself)
 *   base/share/canary ->  ../canary
 *
 * Nothing may crash or read or write outside a buffer, and nothing
 * outside the share may change: base and the canary are compared with
 * how they were before every input. As far as ASan knows, the response
 * buffer ends after the negotiated msize, while the server is told the
 * transport has room for P9_MSIZE_MAX: a response that ignores a lowered
 * msize runs off the end of it and ASan says so.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <armz/le.h>
#include <armz/p9.h>

#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#include <sanitizer/asan_interface.h>
#define HAVE_SANITIZER_DEATH_CALLBACK
#endif
#endif
#ifndef ASAN_POISON_MEMORY_REGION
#define ASAN_POISON_MEMORY_REGION(addr, size)	((void)(addr), (void)(size))
#define ASAN_UNPOISON_MEMORY_REGION(addr, size)	((void)(addr), (void)(size))
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CANARY		"canary: nothing outside the share may change\n"
#define BIG_SIZE	8192

static struct p9_server *server;
/* In memory where there is a tmpfs: refilling the share is much cheaper. */
static char base_shm[] = "/dev/shm/armz-fuzz-p9-XXXXXX";
static char base_tmp[] = "/tmp/armz-fuzz-p9-XXXXXX";
static char *base = base_tmp;
static char share[64];
static char canary[64];
static struct stat base_st, canary_st;
static DIR *share_dir;		/* the share's root, to see it is empty */

/*
 * One buffer of the transport's full size, its bytes past the msize
 * poisoned for ASan: reallocating it at every change of msize made
 * ASan's allocator the slowest part of a run.
 */
static uint8_t resp[P9_MSIZE_MAX];
static size_t resp_size = P9_MSIZE_MAX;

static void cleanup(void);

/* The input that got here reproduces it: the tree need not stay. */
static void die(const char *what)
{
	fprintf(stderr, "fuzz_p9: %s (%s)\n", what, base);
	cleanup();
	abort();
}

static void put_file(const char *rel, const void *data, size_t len)
{
	int fd = openat(dirfd(share_dir), rel,
			O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);

	if (fd < 0 || write(fd, data, len) != (ssize_t)len || close(fd))
		die("cannot write the share's files");
}

static void put_link(const char *target, const char *rel)
{
	if (symlinkat(target, dirfd(share_dir), rel))
		die("cannot make the share's links");
}

/*
 * Removes the tree's own entries by name, a few system calls where a walk
 * takes dozens; false when anything else is left (the input made more).
 */
static bool share_empty_fast(void)
{
	static const char *const names[] = {
		"dir/file", "dir", "big", "escape", "up", "canary",
	};
	struct dirent *d;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (unlinkat(dirfd(share_dir), names[i],
			     strcmp(names[i], "dir") ? 0 : AT_REMOVEDIR) &&
		    errno != ENOENT)
			return false;
	rewinddir(share_dir);
	while ((d = readdir(share_dir)))
		if (strcmp(d->d_name, ".") && strcmp(d->d_name, ".."))
			return false;
	return true;
}

static int open_up(const char *path, const struct stat *st, int flag,
		   struct FTW *ftw)
{
	if (flag == FTW_D || flag == FTW_DNR)
		chmod(path, 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int flag,
		      struct FTW *ftw)
{
	return ftw->level > 0 && remove(path) ? -1 : 0;
}

/* The share as the comment above draws it, whatever the last input did. */
static void share_fill(void)
{
	static uint8_t big[BIG_SIZE];
	char names[4096], *name;
	ssize_t len;
	size_t i;

	/* The guest may have taken every permission away, even the root's. */
	if (chmod(share, 0755) || lchown(share, getuid(), getgid()))
		die("cannot restore the share's root");
	/* Nor may one input's xattrs on the root reach the next. */
	len = llistxattr(share, names, sizeof(names));
	for (name = names; len > 0 && name < names + len;
	     name += strlen(name) + 1)
		lremovexattr(share, name);
	if (!share_empty_fast() &&
	    nftw(share, remove_one, 16, FTW_PHYS | FTW_DEPTH)) {
		nftw(share, open_up, 16, FTW_PHYS);
		if (nftw(share, remove_one, 16, FTW_PHYS | FTW_DEPTH))
			die("cannot empty the share");
	}
	if (mkdirat(dirfd(share_dir), "dir", 0755))
		die("cannot make the share's directory");
	put_file("dir/file", "hello", 5);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (uint8_t)(i * 7);
	put_file("big", big, sizeof(big));
	put_link("/etc", "escape");
	put_link("..", "up");
	put_link("../canary", "canary");
}

static void cleanup(void)
{
	if (server)
		p9_server_free(server);
	server = NULL;
	if (share_dir)
		closedir(share_dir);
	share_dir = NULL;
	if (share[0]) {
		chmod(share, 0755);
		nftw(share, open_up, 16, FTW_PHYS);
		nftw(base, remove_one, 16, FTW_PHYS | FTW_DEPTH);
		rmdir(base);
	}
}

static void fuzz_setup(void)
{
	int fd;

	if (!access("/dev/shm", W_OK))
		base = base_shm;
	if (!mkdtemp(base))
		die("mkdtemp");
	/* Not mkdtemp's 0700, which the escape seed sets through "up". */
	if (chmod(base, 0751))
		die("chmod");
	snprintf(share, sizeof(share), "%s/share", base);
	snprintf(canary, sizeof(canary), "%s/canary", base);
	if (mkdir(share, 0755) || !(share_dir = opendir(share)))
		die("cannot make the share");
	fd = open(canary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 ||
	    write(fd, CANARY, strlen(CANARY)) != (ssize_t)strlen(CANARY) ||
	    close(fd))
		die("cannot write the canary");
	atexit(cleanup);
#ifdef HAVE_SANITIZER_DEATH_CALLBACK
	/* And when a sanitizer ends the run: the input is kept, not the tree. */
	__sanitizer_set_death_callback(cleanup);
#endif
	if (p9_server_new(share, false, &server))
		die("p9_server_new");
}

static bool same_stat(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_mode == b->st_mode &&
	       a->st_nlink == b->st_nlink && a->st_uid == b->st_uid &&
	       a->st_gid == b->st_gid && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec &&
	       a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
	       a->st_ctim.tv_sec == b->st_ctim.tv_sec &&
	       a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

/* Outside the share: base (the share's parent) and the canary beside it. */
static void outside_check(void)
{
	char buf[sizeof(CANARY) + 1];
	struct stat st;
	ssize_t n;
	int fd;

	if (lstat(base, &st) || !same_stat(&st, &base_st))
		die("the share's parent changed");
	if (lstat(canary, &st) || !same_stat(&st, &canary_st))
		die("the canary beside the share changed");
	fd = open(canary, O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf));
	if (fd >= 0)
		close(fd);
	if (n != (ssize_t)strlen(CANARY) || memcmp(buf, CANARY, (size_t)n))
		die("the canary's contents changed");
}

/*
 * Whether a request may have changed the share, seen its response: one
 * that failed did not, except Tsetattr, which sets one attribute after
 * another. An input with no such request leaves the share as it was and
 * the next one need not pay for refilling it. A clunk commits what a
 * Txattrcreate began.
 */
static bool may_have_written(uint8_t type, const uint8_t *resp, size_t n,
			     bool *xattr)
{
	bool ok = n >= P9_HDR_SIZE && resp[4] != P9_RLERROR;

	switch (type) {
	case P9_TSETATTR:
		return true;
	case P9_TXATTRCREATE:
		*xattr |= ok;
		return false;
	case P9_TCLUNK:
		return ok && *xattr;
	case P9_TLOPEN: case P9_TLCREATE: case P9_TSYMLINK: case P9_TMKNOD:
	case P9_TRENAME: case P9_TLINK: case P9_TMKDIR: case P9_TRENAMEAT:
	case P9_TUNLINKAT: case P9_TWRITE: case P9_TREMOVE:
		return ok;
	}
	return false;
}

/* The response buffer ends, as far as ASan knows, after msize bytes. */
static void resp_resize(size_t msize)
{
	if (msize == resp_size)
		return;
	ASAN_UNPOISON_MEMORY_REGION(resp, sizeof(resp));
	ASAN_POISON_MEMORY_REGION(resp + msize, sizeof(resp) - msize);
	resp_size = msize;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool dirty = true;
	bool xattr = false;

	if (!server)
		fuzz_setup();
	p9_server_reset(server);
	if (dirty) {
		share_fill();
		if (lstat(base, &base_st) || lstat(canary, &canary_st))
			die("cannot stat outside the share");
		dirty = false;
	}
	resp_resize(P9_MSIZE_MAX);
	/* Messages back to back, each as long as its own size field says. */
	while (size >= P9_HDR_SIZE) {
		size_t len = le32_read(data), n;

		if (len < P9_HDR_SIZE || len > size)
			len = size;
		n = p9_handle(server, data, len, resp, P9_MSIZE_MAX);
		if (n > resp_size)
			die("a response longer than msize");
		dirty |= may_have_written(data[4], resp, n, &xattr);
		/* Rversion: the msize from now on. */
		if (n >= P9_HDR_SIZE + 4 && resp[4] == P9_TVERSION + 1)
			resp_resize(le32_read(resp + P9_HDR_SIZE));
		data += len;
		size -= len;
	}
	outside_check();
	return 0;
}
