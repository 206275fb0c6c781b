/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_DEVICES_P9_PRIVATE_H
#define ARMZ_DEVICES_P9_PRIVATE_H

/*
 * The 9P server's insides, private to it: shared only by p9.c (wire
 * protocol), p9-node.c (nodes and fids), p9-fs.c (file operations) and
 * p9-wire.h. Everything else sees include/armz/p9.h.
 * Functions return 0 (or a count) on success, -errno on failure.
 */

#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/vfs.h>

#include <armz/p9.h>

#define P9_NAME_MAX		255
#define P9_NODES_MAX		(256 * 1024)
#define P9_FID_BUCKETS		1024
#define P9_NODE_BUCKETS		4096
#define P9_DEVS_MAX		255

struct p9_node {
	struct p9_node *parent;		/* NULL only for the root */
	char *name;			/* component in parent */
	struct p9_node *hnext;		/* (parent, name) hash chain */
	struct p9_node *lru_prev;	/* nodes whose fd may be closed */
	struct p9_node *lru_next;
	unsigned int refs;		/* fids and child nodes */
	int fd;				/* O_PATH, or -1 while closed */
	bool hashed;			/* name still leads to this file */
	bool on_lru;
	dev_t dev;			/* identity, checked on every reopen */
	ino_t ino;
	mode_t type;			/* S_IFMT bits */
};

struct p9_fid {
	uint32_t id;
	struct p9_fid *next;
	struct p9_node *node;
	int io;				/* from Tlopen/Tlcreate, or -1 */
	bool xattr;			/* Txattrwalk list: reads as empty */
};

struct p9_server {
	bool ro;
	uint32_t msize;
	struct p9_node *root;
	struct p9_node *nodes[P9_NODE_BUCKETS];
	unsigned int nr_nodes;
	struct p9_node *lru_head;	/* most recently used */
	struct p9_node *lru_tail;
	unsigned int nr_lru;		/* open fds on the LRU list */
	unsigned int fd_limit;		/* ... at most, between requests */
	struct p9_fid *fids[P9_FID_BUCKETS];
	unsigned int nr_fids;
	unsigned int nr_io;		/* fids open for I/O ... */
	unsigned int io_limit;		/* ... at most this many: EMFILE */
	dev_t devs[P9_DEVS_MAX];	/* devices seen, for qid.path */
	unsigned int nr_devs;
};

static inline int p9_errno(void)
{
	return errno ? -errno : -EIO;
}

/* Server lifetime (p9-node.c). */
int p9_node_init(struct p9_server *s, const char *root);
void p9_node_fini(struct p9_server *s);
/* Closes idle descriptors past fd_limit; only between requests. */
void p9_node_trim(struct p9_server *s);
/* Sets fd_limit and io_limit to this server's part of the process's. */
void p9_node_budget(struct p9_server *s);

/* Fids (p9-node.c). */
struct p9_fid *p9_fid_find(struct p9_server *s, uint32_t id);
/* Binds a new fid to node, taking its own reference. */
int p9_fid_add(struct p9_server *s, uint32_t id, struct p9_node *node,
	       struct p9_fid **out);
void p9_fid_remove(struct p9_server *s, uint32_t id);
void p9_fid_remove_all(struct p9_server *s);
void p9_fid_set_node(struct p9_server *s, struct p9_fid *f,
		     struct p9_node *node);

/* Nodes (p9-node.c). */
struct p9_node *p9_node_get(struct p9_node *n);
void p9_node_put(struct p9_server *s, struct p9_node *n);
/* dir's child name ('.' and '..' included), with a reference. */
int p9_node_walk(struct p9_server *s, struct p9_node *dir, const char *name,
		 struct p9_node **out);
/* A node for parent/name, replacing any old one of that name. */
int p9_node_new(struct p9_server *s, struct p9_node *parent,
		const char *name, const struct stat *st,
		struct p9_node **out);
struct p9_node *p9_node_lookup(struct p9_server *s,
			       const struct p9_node *parent, const char *name);
/* The name no longer leads to this node's file. */
void p9_node_unhash(struct p9_server *s, struct p9_node *n);
/* The node's file was renamed to newdir/newname. */
void p9_node_move(struct p9_server *s, struct p9_node *n,
		  struct p9_node *newdir, const char *newname);
/* The node's O_PATH descriptor, reopened if it was closed. */
int p9_node_fd(struct p9_server *s, struct p9_node *n);
/* The same for a directory, -ENOTDIR for anything else. */
int p9_node_dir_fd(struct p9_server *s, struct p9_node *dir);
/* The parent's descriptor, once parent/name is checked to be n. */
int p9_node_parent_fd(struct p9_server *s, struct p9_node *n);

/* qid[13] of a file; qid.path keeps files of different devices apart. */
void p9_qid_put(struct p9_server *s, uint8_t *buf, dev_t dev, ino_t ino,
		mode_t type);
void p9_node_qid(struct p9_server *s, const struct p9_node *n, uint8_t *buf);

/* File operations (p9-fs.c); names are single checked components. */
int p9_fs_stat(struct p9_server *s, struct p9_fid *f, struct stat *st);
int p9_fs_statfs(struct p9_server *s, struct p9_fid *f, struct statfs *st);
int p9_fs_lopen(struct p9_server *s, struct p9_fid *f, uint32_t flags);
int p9_fs_lcreate(struct p9_server *s, struct p9_fid *f, const char *name,
		  uint32_t flags, uint32_t mode);
int p9_fs_mkdir(struct p9_server *s, struct p9_fid *dir, const char *name,
		uint32_t mode, struct stat *st);
int p9_fs_symlink(struct p9_server *s, struct p9_fid *dir, const char *name,
		  const char *target, struct stat *st);
int p9_fs_mknod(struct p9_server *s, struct p9_fid *dir, const char *name,
		uint32_t mode, uint32_t major, uint32_t minor,
		struct stat *st);
int p9_fs_link(struct p9_server *s, struct p9_fid *dir, struct p9_fid *f,
	       const char *name);
int p9_fs_rename(struct p9_server *s, struct p9_node *olddir,
		 const char *oldname, struct p9_node *newdir,
		 const char *newname);
int p9_fs_rename_fid(struct p9_server *s, struct p9_fid *f,
		     struct p9_fid *newdir, const char *newname);
int p9_fs_unlinkat(struct p9_server *s, struct p9_fid *dir, const char *name,
		   uint32_t flags);
int p9_fs_remove(struct p9_server *s, struct p9_fid *f);
int p9_fs_readlink(struct p9_server *s, struct p9_fid *f, char *buf,
		   size_t size);

struct p9_setattr {
	uint32_t valid;
	uint32_t mode;
	uint32_t uid;
	uint32_t gid;
	uint64_t size;
	uint64_t atime_sec, atime_nsec;
	uint64_t mtime_sec, mtime_nsec;
};

int p9_fs_setattr(struct p9_server *s, struct p9_fid *f,
		  const struct p9_setattr *a);

/* Fills buf with Rreaddir entries from offset; returns the bytes used. */
long p9_fs_readdir(struct p9_server *s, struct p9_fid *f, uint64_t offset,
		   uint8_t *buf, uint32_t size);

#endif
