// SPDX-License-Identifier: GPL-2.0
/*
 * The 9P server's file operations.
 *
 * Nothing here resolves more than one path component or follows a
 * symlink: names are single checked components, used relative to a
 * directory node's descriptor with O_NOFOLLOW or AT_SYMLINK_NOFOLLOW, or
 * AT_EMPTY_PATH on the node itself. A regular file is opened for I/O
 * through its parent and name, and must turn out to be the walked inode.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <armz/le.h>

#include "p9-private.h"

/* fchmodat2(2), Linux 6.6; older libcs do not name it. */
#define NR_FCHMODAT2		452

/*
 * Mode bits the guest may ask for on the host: permissions and sticky,
 * never set-user-ID or set-group-ID. A setuid file made by the guest
 * would run on the host as whoever runs armz, root perhaps; a setgid one
 * as armz's group. (A new directory still inherits set-group-ID from a
 * parent that has it: that is the host's own choice for its tree, and a
 * directory's set-group-ID runs nothing, it only picks new files' group.)
 */
#define GUEST_MODE_BITS		01777
#define SETID_BITS		(S_ISUID | S_ISGID)

/* --- file operations --- */

int p9_fs_stat(struct p9_server *s, struct p9_fid *f, struct stat *st)
{
	int fd = f->io;

	if (fd < 0)
		fd = p9_node_fd(s, f->node);
	if (fd < 0)
		return fd;
	return fstat(fd, st) ? p9_errno() : 0;
}

int p9_fs_statfs(struct p9_server *s, struct p9_fid *f, struct statfs *st)
{
	int fd = p9_node_fd(s, f->node);

	if (fd < 0)
		return fd;
	return fstatfs(fd, st) ? p9_errno() : 0;
}

/* Host open flags for the I/O flags the client may choose. */
static int open_flags(uint32_t fl)
{
	int flags = O_RDONLY;

	if ((fl & P9_DOTL_ACCMODE) == P9_DOTL_WRONLY)
		flags = O_WRONLY;
	else if ((fl & P9_DOTL_ACCMODE) == P9_DOTL_RDWR)
		flags = O_RDWR;
	if (fl & P9_DOTL_APPEND)
		flags |= O_APPEND;
	if (fl & P9_DOTL_DSYNC)
		flags |= O_DSYNC;
	if (fl & P9_DOTL_SYNC)
		flags |= O_SYNC;
	return flags;
}

static bool wants_write(uint32_t fl)
{
	uint32_t acc = fl & P9_DOTL_ACCMODE;

	return acc == P9_DOTL_WRONLY || acc == P9_DOTL_RDWR;
}

/*
 * The host's pseudo file systems are interfaces to the kernel, not
 * storage: their files are knobs (binfmt_misc would run host programs of
 * the guest's choosing), directories made in them are kernel objects (a
 * cgroup, a configfs item), and a file's mode there is access control.
 * Sharing '/' makes them visible. Names and attributes may be read; every
 * open, and every request that creates, removes, renames or changes
 * something, is refused in them.
 *
 * Left out on purpose: tmpfs and devtmpfs (storage; device nodes are
 * never opened nor made), hugetlbfs (files of huge pages, the user's own
 * storage; write(2) is refused there anyway) and ramfs.
 */
static bool host_pseudo_fs(int fd)
{
	static const uint32_t magic[] = {
		0x9fa0,		/* proc: process memory, sysctls, sysrq */
		0x62656572,	/* sysfs: device and kernel knobs */
		0x27e0eb,	/* cgroup: mkdir makes a cgroup, writes */
		0x63677270,	/* cgroup2: move tasks and set limits */
		0x62656570,	/* configfs: mkdir makes kernel objects */
		0x64626720,	/* debugfs: kernel internals */
		0x74726163,	/* tracefs: tracing control */
		0x73636673,	/* securityfs: LSM policy, IMA, ... */
		0xf97cff8c,	/* selinuxfs: SELinux policy */
		0x43415d53,	/* smackfs: Smack policy */
		0xde5e81e4,	/* efivarfs: firmware variables */
		0xcafe4a11,	/* bpf: pinned BPF programs and maps */
		0x6165676c,	/* pstore: crash records kept in firmware */
		0x42494e4d,	/* binfmt_misc: interpreters run by exec */
		0x65735543,	/* fusectl: aborts FUSE connections */
		0x6e667364,	/* nfsd: the NFS server's exports, threads */
		0x67596969,	/* rpc_pipefs: upcalls to gssd, idmapd */
		0x7655821,	/* resctrl: cache and bandwidth groups */
		0x1cd1,		/* devpts: host terminals; mode is access */
		0x19800202,	/* mqueue: files are POSIX message queues */
		0xabba1974,	/* xenfs: xenbus and hypercalls */
		0x6e736673,	/* nsfs: bind-mounted namespaces */
	};
	struct statfs st;
	size_t i;

	if (fstatfs(fd, &st))
		return true;
	for (i = 0; i < sizeof(magic) / sizeof(magic[0]); i++)
		if ((uint32_t)st.f_type == magic[i])
			return true;
	return false;
}

/*
 * May the guest change something through fd (a directory it creates in,
 * removes or renames from; a file it changes or opens)? The share's mode
 * first, then the file system fd is on.
 */
static int fs_may_change(struct p9_server *s, int fd)
{
	if (s->ro)
		return -EROFS;
	return host_pseudo_fs(fd) ? -EACCES : 0;
}

/* A directory's descriptor, for creating or removing names in it. */
static int dir_fd_for_change(struct p9_server *s, struct p9_node *dir)
{
	int dfd, err;

	if (s->ro)
		return -EROFS;
	dfd = p9_node_dir_fd(s, dir);
	if (dfd < 0)
		return dfd;
	err = fs_may_change(s, dfd);
	return err ? err : dfd;
}

/*
 * Opens the node for I/O. Nothing in a host pseudo file system is opened
 * at all (opening some of their files already does something). Regular
 * files are reopened by name, without blocking (a fifo swapped in must
 * not hang the server) and must be the walked inode, hence on the file
 * system checked; anything but files and directories is the client's own
 * business (device nodes, fifos) and never opened on the host.
 */
static int node_open_io(struct p9_server *s, struct p9_node *n, int flags)
{
	struct stat st;
	int fd, pfd;

	if (S_ISLNK(n->type))
		return -ELOOP;
	if (!S_ISDIR(n->type) && !S_ISREG(n->type))
		return -ENXIO;
	fd = p9_node_fd(s, n);
	if (fd < 0)
		return fd;
	if (host_pseudo_fs(fd))
		return -EACCES;
	if (S_ISDIR(n->type)) {
		if ((flags & O_ACCMODE) != O_RDONLY)
			return -EISDIR;
		/* O_NOFOLLOW, like every open here: the 9p workers' filter
		 * asks for it (vmm/sandbox.c), and "." is no symlink. */
		fd = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
			    O_CLOEXEC);
		return fd < 0 ? p9_errno() : fd;
	}
	if (!n->hashed || !n->parent)
		return -ESTALE;
	pfd = p9_node_fd(s, n->parent);
	if (pfd < 0)
		return pfd;
	fd = openat(pfd, n->name, flags | O_NOFOLLOW | O_NOCTTY | O_NONBLOCK |
		    O_CLOEXEC);
	if (fd < 0)
		return p9_errno();
	if (fstat(fd, &st) || st.st_dev != n->dev || st.st_ino != n->ino) {
		close(fd);
		return -ESTALE;
	}
	return fd;
}

int p9_fs_lopen(struct p9_server *s, struct p9_fid *f, uint32_t fl)
{
	bool wr = wants_write(fl);
	int fd;

	if (f->io >= 0 || f->xattr)
		return -EBADF;
	if (s->ro && (wr || (fl & P9_DOTL_TRUNC)))
		return -EROFS;
	if (s->nr_io >= s->io_limit)
		return -EMFILE;
	fd = node_open_io(s, f->node, open_flags(fl));
	if (fd < 0)
		return fd;
	/* After the identity check, so only the walked file is truncated. */
	if (wr && (fl & P9_DOTL_TRUNC) && ftruncate(fd, 0)) {
		int err = p9_errno();

		close(fd);
		return err;
	}
	f->io = fd;
	s->nr_io++;
	return 0;
}

int p9_fs_lcreate(struct p9_server *s, struct p9_fid *f, const char *name,
		  uint32_t fl, uint32_t mode)
{
	struct p9_node *n;
	struct stat st;
	int dfd, fd, err;

	if (f->io >= 0 || f->xattr)
		return -EBADF;
	if (s->ro)
		return -EROFS;
	if (s->nr_io >= s->io_limit)
		return -EMFILE;
	dfd = dir_fd_for_change(s, f->node);
	if (dfd < 0)
		return dfd;
	/*
	 * The client only creates names it saw missing; O_EXCL makes sure
	 * nothing that exists (a symlink, a device) is ever opened here.
	 */
	fd = openat(dfd, name, open_flags(fl) | O_CREAT | O_EXCL | O_NOFOLLOW |
		    O_NOCTTY | O_CLOEXEC, mode & GUEST_MODE_BITS);
	if (fd < 0)
		return p9_errno();
	err = fstat(fd, &st) ? p9_errno() : 0;
	if (!err)
		err = p9_node_new(s, f->node, name, &st, &n);
	if (err) {
		close(fd);
		unlinkat(dfd, name, 0);
		return err;
	}
	p9_fid_set_node(s, f, n);
	p9_node_put(s, n);
	f->io = fd;
	s->nr_io++;
	return 0;
}

static int stat_new(int dfd, const char *name, struct stat *st)
{
	return fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) ? p9_errno() : 0;
}

int p9_fs_mkdir(struct p9_server *s, struct p9_fid *dir, const char *name,
		uint32_t mode, struct stat *st)
{
	int dfd;

	dfd = dir_fd_for_change(s, dir->node);
	if (dfd < 0)
		return dfd;
	if (mkdirat(dfd, name, mode & GUEST_MODE_BITS))
		return p9_errno();
	return stat_new(dfd, name, st);
}

int p9_fs_symlink(struct p9_server *s, struct p9_fid *dir, const char *name,
		  const char *target, struct stat *st)
{
	int dfd;

	dfd = dir_fd_for_change(s, dir->node);
	if (dfd < 0)
		return dfd;
	if (symlinkat(target, dfd, name))
		return p9_errno();
	return stat_new(dfd, name, st);
}

int p9_fs_mknod(struct p9_server *s, struct p9_fid *dir, const char *name,
		uint32_t mode, uint32_t major, uint32_t minor,
		struct stat *st)
{
	mode_t type = mode & S_IFMT;
	int dfd;

	if (s->ro)
		return -EROFS;
	/* Device nodes on the host would be a way out of the share. */
	if (S_ISCHR(type) || S_ISBLK(type))
		return -EPERM;
	if (type == 0)
		type = S_IFREG;
	if (!S_ISREG(type) && !S_ISFIFO(type) && !S_ISSOCK(type))
		return -EINVAL;
	dfd = dir_fd_for_change(s, dir->node);
	if (dfd < 0)
		return dfd;
	if (mknodat(dfd, name, type | (mode & GUEST_MODE_BITS), 0))
		return p9_errno();
	return stat_new(dfd, name, st);
}

int p9_fs_link(struct p9_server *s, struct p9_fid *dir, struct p9_fid *f,
	       const char *name)
{
	int dfd, fd, pfd, err;

	if (s->ro)
		return -EROFS;
	if (S_ISDIR(f->node->type))
		return -EPERM;
	dfd = dir_fd_for_change(s, dir->node);
	if (dfd < 0)
		return dfd;
	/* A new name for a file of a pseudo file system is a change there. */
	fd = p9_node_fd(s, f->node);
	if (fd < 0)
		return fd;
	err = fs_may_change(s, fd);
	if (err)
		return err;
	pfd = p9_node_parent_fd(s, f->node);
	if (pfd < 0)
		return pfd;
	/* Flags 0: linkat() never follows a symlink at the old name. */
	if (linkat(pfd, f->node->name, dfd, name, 0))
		return p9_errno();
	return 0;
}

int p9_fs_rename(struct p9_server *s, struct p9_node *olddir,
		 const char *oldname, struct p9_node *newdir,
		 const char *newname)
{
	struct p9_node *moved, *victim;
	int ofd, nfd, err;

	if (s->ro)
		return -EROFS;
	if (!S_ISDIR(olddir->type) || !S_ISDIR(newdir->type))
		return -ENOTDIR;
	ofd = p9_node_fd(s, olddir);
	if (ofd < 0)
		return ofd;
	nfd = p9_node_fd(s, newdir);
	if (nfd < 0)
		return nfd;
	err = fs_may_change(s, ofd);
	if (!err)
		err = fs_may_change(s, nfd);
	if (err)
		return err;
	if (renameat(ofd, oldname, nfd, newname))
		return p9_errno();
	if (olddir == newdir && !strcmp(oldname, newname))
		return 0;
	moved = p9_node_lookup(s, olddir, oldname);
	victim = p9_node_lookup(s, newdir, newname);
	if (victim)
		p9_node_unhash(s, victim);
	if (moved)
		p9_node_move(s, moved, newdir, newname);
	return 0;
}

int p9_fs_rename_fid(struct p9_server *s, struct p9_fid *f,
		     struct p9_fid *newdir, const char *newname)
{
	struct p9_node *n = f->node;
	char oldname[P9_NAME_MAX + 1];

	if (!n->parent)
		return -EBUSY;
	if (!n->hashed)
		return -ESTALE;
	/* Copied: the node's own name is replaced on the way. */
	snprintf(oldname, sizeof(oldname), "%s", n->name);
	return p9_fs_rename(s, n->parent, oldname, newdir->node, newname);
}

int p9_fs_unlinkat(struct p9_server *s, struct p9_fid *dir, const char *name,
		   uint32_t flags)
{
	struct p9_node *n;
	int dfd;

	dfd = dir_fd_for_change(s, dir->node);
	if (dfd < 0)
		return dfd;
	if (unlinkat(dfd, name,
		     flags & P9_DOTL_AT_REMOVEDIR ? AT_REMOVEDIR : 0))
		return p9_errno();
	n = p9_node_lookup(s, dir->node, name);
	if (n)
		p9_node_unhash(s, n);
	return 0;
}

int p9_fs_remove(struct p9_server *s, struct p9_fid *f)
{
	struct p9_node *n = f->node;
	int pfd, err;

	if (s->ro)
		return -EROFS;
	pfd = p9_node_parent_fd(s, n);
	if (pfd < 0)
		return pfd;
	err = fs_may_change(s, pfd);
	if (err)
		return err;
	if (unlinkat(pfd, n->name, S_ISDIR(n->type) ? AT_REMOVEDIR : 0))
		return p9_errno();
	p9_node_unhash(s, n);
	return 0;
}

int p9_fs_readlink(struct p9_server *s, struct p9_fid *f, char *buf,
		   size_t size)
{
	ssize_t len;
	int fd;

	if (!S_ISLNK(f->node->type))
		return -EINVAL;
	fd = p9_node_fd(s, f->node);
	if (fd < 0)
		return fd;
	len = readlinkat(fd, "", buf, size);
	if (len < 0)
		return p9_errno();
	if ((size_t)len >= size)
		return -ENAMETOOLONG;
	buf[len] = '\0';
	return (int)len;
}

/* chmod of the node itself, never through a symlink. */
static int setattr_mode(struct p9_server *s, struct p9_fid *f, mode_t mode)
{
	struct p9_node *n = f->node;
	int fd, pfd;

	if (f->io >= 0)
		return fchmod(f->io, mode) ? p9_errno() : 0;
	fd = p9_node_fd(s, n);
	if (fd < 0)
		return fd;
	if (!syscall(NR_FCHMODAT2, fd, "", mode, AT_EMPTY_PATH))
		return 0;
	if (errno != ENOSYS && errno != EINVAL)
		return p9_errno();
	/* Older kernels: '.' of a directory, or the name, never followed. */
	if (S_ISDIR(n->type))
		return fchmodat(fd, ".", mode, 0) ? p9_errno() : 0;
	pfd = p9_node_parent_fd(s, n);
	if (pfd < 0)
		return pfd;
	if (fchmodat(pfd, n->name, mode, AT_SYMLINK_NOFOLLOW))
		return p9_errno();
	return 0;
}

static int setattr_size(struct p9_server *s, struct p9_fid *f, uint64_t size)
{
	int fd = f->io, err = 0;

	if (size > INT64_MAX)
		return -EFBIG;
	if (fd < 0 || (fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDONLY) {
		fd = node_open_io(s, f->node, O_WRONLY);
		if (fd < 0)
			return fd;
	}
	if (ftruncate(fd, (off_t)size))
		err = p9_errno();
	if (fd != f->io)
		close(fd);
	return err;
}

static void setattr_time(struct timespec *ts, bool set, bool given,
			 uint64_t sec, uint64_t nsec)
{
	ts->tv_sec = 0;
	ts->tv_nsec = UTIME_OMIT;
	if (given) {
		ts->tv_sec = (time_t)sec;
		ts->tv_nsec = (long)(nsec < 1000000000 ? nsec : 999999999);
	} else if (set) {
		ts->tv_nsec = UTIME_NOW;
	}
}

static int setattr_times(struct p9_server *s, struct p9_fid *f,
			 const struct p9_setattr *a)
{
	struct p9_node *n = f->node;
	struct timespec ts[2];
	int fd, pfd;

	setattr_time(&ts[0], a->valid & P9_SETATTR_ATIME,
		     a->valid & P9_SETATTR_ATIME_SET,
		     a->atime_sec, a->atime_nsec);
	setattr_time(&ts[1], a->valid & P9_SETATTR_MTIME,
		     a->valid & P9_SETATTR_MTIME_SET,
		     a->mtime_sec, a->mtime_nsec);
	if (f->io >= 0)
		return futimens(f->io, ts) ? p9_errno() : 0;
	fd = p9_node_fd(s, n);
	if (fd < 0)
		return fd;
	if (!utimensat(fd, "", ts, AT_EMPTY_PATH))
		return 0;
	if (errno != EINVAL && errno != ENOENT)
		return p9_errno();
	if (S_ISDIR(n->type))
		return utimensat(fd, ".", ts, 0) ? p9_errno() : 0;
	pfd = p9_node_parent_fd(s, n);
	if (pfd < 0)
		return pfd;
	if (utimensat(pfd, n->name, ts, AT_SYMLINK_NOFOLLOW))
		return p9_errno();
	return 0;
}

static int setattr_stat(struct p9_server *s, struct p9_fid *f,
			struct stat *st)
{
	int fd = f->io >= 0 ? f->io : p9_node_fd(s, f->node);

	if (fd < 0)
		return fd;
	return fstat(fd, st) ? p9_errno() : 0;
}

/*
 * The guest may keep or clear set-id bits the file already has (chmod
 * passes a directory's set-group-ID back unchanged), never add one.
 */
static int setattr_chmod(struct p9_server *s, struct p9_fid *f, mode_t mode)
{
	struct stat st;
	int err = setattr_stat(s, f, &st);

	if (err)
		return err;
	mode = (mode & GUEST_MODE_BITS) | (mode & st.st_mode & SETID_BITS);
	return setattr_mode(s, f, mode);
}

/*
 * Linux clears a file's set-id bits when its owner changes, but keeps
 * set-group-ID for a privileged caller when the file is not group
 * executable, and what it does has changed across versions. A file the
 * host user made setuid must not become setuid to the guest's choice of
 * owner: after a chown, whatever is left of them goes. Directories keep
 * set-group-ID, which runs nothing.
 */
static int setattr_chown(struct p9_server *s, struct p9_fid *f,
			 const struct p9_setattr *a)
{
	uid_t uid = a->valid & P9_SETATTR_UID ? a->uid : (uid_t)-1;
	gid_t gid = a->valid & P9_SETATTR_GID ? a->gid : (gid_t)-1;
	struct stat st;
	int fd, err;

	fd = p9_node_fd(s, f->node);
	if (fd < 0)
		return fd;
	if (fchownat(fd, "", uid, gid, AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW))
		return p9_errno();
	err = setattr_stat(s, f, &st);
	if (err || S_ISDIR(st.st_mode) || S_ISLNK(st.st_mode) ||
	    !(st.st_mode & SETID_BITS))
		return err;
	return setattr_mode(s, f, st.st_mode & GUEST_MODE_BITS);
}

static bool is_share_root(struct p9_server *s, const struct p9_node *n)
{
	return n->dev == s->root->dev && n->ino == s->root->ino;
}

/*
 * Ownership first (it clears set-id bits), then mode, then size, then
 * times last, since truncating moves mtime. Ownership changes need
 * privileges armz may not have; the errno goes back to the client.
 *
 * The share's root is a host directory the user picked, not one the
 * guest made ('/' with --rw): its mode and owner are not the guest's to
 * change, EPERM. Its times are.
 */
int p9_fs_setattr(struct p9_server *s, struct p9_fid *f,
		  const struct p9_setattr *a)
{
	int err, fd;

	if (s->ro)
		return -EROFS;
	if ((a->valid & (P9_SETATTR_MODE | P9_SETATTR_UID | P9_SETATTR_GID)) &&
	    is_share_root(s, f->node))
		return -EPERM;
	fd = f->io >= 0 ? f->io : p9_node_fd(s, f->node);
	if (fd < 0)
		return fd;
	err = fs_may_change(s, fd);
	if (!err && (a->valid & (P9_SETATTR_UID | P9_SETATTR_GID)))
		err = setattr_chown(s, f, a);
	if (!err && (a->valid & P9_SETATTR_MODE))
		err = setattr_chmod(s, f, a->mode);
	if (!err && (a->valid & P9_SETATTR_SIZE))
		err = setattr_size(s, f, a->size);
	if (!err && (a->valid & (P9_SETATTR_ATIME | P9_SETATTR_MTIME)))
		err = setattr_times(s, f, a);
	return err;
}

/* --- directories --- */

/* struct linux_dirent64's fixed part: ino[8] off[8] reclen[2] type[1] */
#define DIRENT_HDR		19

static mode_t dtype_mode(unsigned int dtype)
{
	if (dtype == 4)		/* DT_DIR */
		return S_IFDIR;
	if (dtype == 10)	/* DT_LNK */
		return S_IFLNK;
	return S_IFREG;
}

long p9_fs_readdir(struct p9_server *s, struct p9_fid *f, uint64_t offset,
		   uint8_t *buf, uint32_t size)
{
	uint8_t dents[16384] __attribute__((aligned(8)));
	struct p9_node *dir = f->node;
	uint32_t used = 0;

	if (f->io < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	/* The client's offsets are the d_off cookies we handed out. */
	if (lseek(f->io, (off_t)offset, SEEK_SET) < 0)
		return p9_errno();
	for (;;) {
		long n = syscall(SYS_getdents64, f->io, dents, sizeof(dents));
		long pos;

		if (n < 0)
			return used ? (long)used : p9_errno();
		if (n == 0)
			return used;
		for (pos = 0; pos < n;) {
			const uint8_t *d = dents + pos;
			uint64_t ino, off;
			uint16_t reclen;
			size_t namelen, need;

			if (n - pos < DIRENT_HDR + 1)
				return -EIO;
			memcpy(&ino, d, 8);
			memcpy(&off, d + 8, 8);
			memcpy(&reclen, d + 16, 2);
			if (reclen <= DIRENT_HDR || reclen > n - pos)
				return -EIO;
			namelen = strnlen((const char *)d + DIRENT_HDR,
					  reclen - DIRENT_HDR);
			need = P9_QID_SIZE + 8 + 1 + 2 + namelen;
			if (need > size - used)
				return used ? (long)used : -EINVAL;
			/* '..' of the share must not tell of what is above. */
			if (dir == s->root && namelen == 2 &&
			    !memcmp(d + DIRENT_HDR, "..", 2))
				ino = dir->ino;
			p9_qid_put(s, buf + used, dir->dev, (ino_t)ino,
				   dtype_mode(d[18]));
			le64_write(buf + used + 13, off);
			buf[used + 21] = d[18];
			le16_write(buf + used + 22, (uint16_t)namelen);
			memcpy(buf + used + 24, d + DIRENT_HDR, namelen);
			used += need;
			pos += reclen;
		}
	}
}
