// SPDX-License-Identifier: GPL-2.0
/*
 * The 9P server's nodes and fids.
 *
 * A node is a name the client walked to: its parent node and one path
 * component. The node tree is the server's only way to the host's files:
 * a node's O_PATH descriptor is opened as openat(parent, name, O_PATH |
 * O_NOFOLLOW) and must be the inode seen when the client walked there,
 * else ESTALE. '..' never reaches the host: it is the parent node, and
 * the root's parent is the root.
 *
 * Descriptors of nodes no request is using are closed, least recently
 * used first, when more than fd_limit are open, and reopened the same way
 * on demand; the fids a client holds cost memory, not descriptors.
 * Renames and unlinks done through the server update the tree so that
 * moved nodes stay reachable and replaced ones go stale. A node whose
 * name is gone (unlinked, renamed over) keeps its descriptor only while
 * it stays on the LRU like any other: once closed it cannot come back,
 * and requests on it fail with ESTALE rather than pin a descriptor each.
 *
 * Descriptors are a budget of the whole process, shared by every server
 * (see p9_node_budget()).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/le.h>

#include "p9-private.h"

/* O_PATH descriptors kept open for idle nodes, whatever RLIMIT_NOFILE. */
#define FD_LIMIT_MIN		8
#define FD_LIMIT_MAX		1024
/* Files open for I/O at once, whatever RLIMIT_NOFILE. */
#define IO_LIMIT_MIN		8
#define IO_LIMIT_MAX		65536
/*
 * Descriptors one request may hold beyond the limits until the trim that
 * follows it: the root's, a walk's new nodes (P9_MAXWELEM), and the few
 * a handler holds at once (two directories and a file, a reopen's
 * parent, a file opened to truncate it).
 */
#define FD_SLACK		(1 + P9_MAXWELEM + 8)

/*
 * The process-wide budget. All servers together keep to half of
 * RLIMIT_NOFILE (as it was when the newest one was made; main() raises
 * it to the hard limit first), leaving the other half to the rest of
 * armz: disk images, every queue's eventfds, KVM, sockets. Each live
 * server gets an equal part; a server made or freed changes the others'
 * parts from their next request on. Atomics: servers run on their
 * devices' own threads.
 */
static unsigned int budget_servers;
static unsigned long budget_nofile;

/* --- node LRU: nodes whose descriptor may be closed when idle --- */

static void lru_del(struct p9_server *s, struct p9_node *n)
{
	if (!n->on_lru)
		return;
	if (n->lru_prev)
		n->lru_prev->lru_next = n->lru_next;
	else
		s->lru_head = n->lru_next;
	if (n->lru_next)
		n->lru_next->lru_prev = n->lru_prev;
	else
		s->lru_tail = n->lru_prev;
	n->lru_prev = n->lru_next = NULL;
	n->on_lru = false;
	s->nr_lru--;
}

static void lru_add(struct p9_server *s, struct p9_node *n)
{
	n->lru_prev = NULL;
	n->lru_next = s->lru_head;
	if (s->lru_head)
		s->lru_head->lru_prev = n;
	else
		s->lru_tail = n;
	s->lru_head = n;
	n->on_lru = true;
	s->nr_lru++;
}

static void node_close(struct p9_server *s, struct p9_node *n)
{
	lru_del(s, n);
	close(n->fd);
	n->fd = -1;
}

/* Only between requests: a handler may hold several nodes' fds. */
void p9_node_trim(struct p9_server *s)
{
	while (s->nr_lru > s->fd_limit)
		node_close(s, s->lru_tail);
}

/*
 * This server's part of the budget: a third for idle nodes, two thirds
 * for open files, once FD_SLACK is set aside. With so low a limit that
 * the part cannot hold the minimums, the minimums win.
 */
void p9_node_budget(struct p9_server *s)
{
	unsigned long nofile = __atomic_load_n(&budget_nofile,
					       __ATOMIC_RELAXED);
	unsigned int n = __atomic_load_n(&budget_servers, __ATOMIC_RELAXED);
	unsigned long part = nofile / 2 / (n ? n : 1);

	part = part > FD_SLACK ? part - FD_SLACK : 0;
	s->fd_limit = part / 3 < FD_LIMIT_MAX ? part / 3 : FD_LIMIT_MAX;
	s->io_limit = part - part / 3 < IO_LIMIT_MAX ? part - part / 3 :
						       IO_LIMIT_MAX;
	if (s->fd_limit < FD_LIMIT_MIN)
		s->fd_limit = FD_LIMIT_MIN;
	if (s->io_limit < IO_LIMIT_MIN)
		s->io_limit = IO_LIMIT_MIN;
}

/* --- node hash: (parent node, name) -> node --- */

static unsigned int node_bucket(const struct p9_node *parent, const char *name)
{
	uint32_t h = (uint32_t)((uintptr_t)parent >> 4) * 2654435761u;

	while (*name)
		h = (h ^ (uint8_t)*name++) * 16777619u;
	return h % P9_NODE_BUCKETS;
}

struct p9_node *p9_node_lookup(struct p9_server *s,
			       const struct p9_node *parent, const char *name)
{
	struct p9_node *n = s->nodes[node_bucket(parent, name)];

	for (; n; n = n->hnext)
		if (n->parent == parent && !strcmp(n->name, name))
			return n;
	return NULL;
}

static void node_hash(struct p9_server *s, struct p9_node *n)
{
	unsigned int b = node_bucket(n->parent, n->name);

	n->hnext = s->nodes[b];
	s->nodes[b] = n;
	n->hashed = true;
	if (n->fd >= 0 && !n->on_lru)
		lru_add(s, n);
}

/*
 * The name no longer leads to this file (unlinked, renamed over). An open
 * descriptor stays and keeps working while it is on the LRU, and counts
 * there like any other; once trimmed it cannot come back.
 */
void p9_node_unhash(struct p9_server *s, struct p9_node *n)
{
	struct p9_node **pp;

	if (!n->hashed)
		return;
	pp = &s->nodes[node_bucket(n->parent, n->name)];
	while (*pp != n)
		pp = &(*pp)->hnext;
	*pp = n->hnext;
	n->hnext = NULL;
	n->hashed = false;
}

struct p9_node *p9_node_get(struct p9_node *n)
{
	n->refs++;
	return n;
}

void p9_node_put(struct p9_server *s, struct p9_node *n)
{
	/* A loop, not recursion: chains can be as deep as the tree. */
	while (n && --n->refs == 0) {
		struct p9_node *parent = n->parent;

		p9_node_unhash(s, n);
		if (n->fd >= 0)
			node_close(s, n);
		free(n->name);
		free(n);
		s->nr_nodes--;
		n = parent;
	}
}

/* A new node for parent/name holding one reference for the caller. */
int p9_node_new(struct p9_server *s, struct p9_node *parent,
		const char *name, const struct stat *st, struct p9_node **out)
{
	struct p9_node *n, *old;

	if (s->nr_nodes >= P9_NODES_MAX)
		return -ENFILE;
	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->name = strdup(name);
	if (!n->name) {
		free(n);
		return -ENOMEM;
	}
	old = p9_node_lookup(s, parent, name);
	if (old)
		p9_node_unhash(s, old);
	n->parent = p9_node_get(parent);
	n->refs = 1;
	n->fd = -1;
	n->dev = st->st_dev;
	n->ino = st->st_ino;
	n->type = st->st_mode & S_IFMT;
	node_hash(s, n);
	s->nr_nodes++;
	*out = n;
	return 0;
}

/* Opens n's O_PATH fd; its parent's is open. */
static int node_open_one(struct p9_server *s, struct p9_node *n)
{
	struct stat st;
	int fd;

	if (!n->hashed)
		return -ESTALE;
	fd = openat(n->parent->fd, n->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return p9_errno();
	if (fstat(fd, &st) || st.st_dev != n->dev || st.st_ino != n->ino) {
		close(fd);
		return -ESTALE;
	}
	n->fd = fd;
	lru_add(s, n);
	return 0;
}

/*
 * Reopens n and its closed ancestors, top down, from the nearest open
 * one. The chain can be as deep as the tree, so it is gathered once
 * (not searched again per level), and an ancestor opened here only to
 * reach the next is closed again once that is open if the server is
 * over its limit: a deep path costs two descriptors at a time, not one
 * per level. Nothing open before the call is closed, so descriptors a
 * handler already holds stay valid.
 */
static int node_reopen(struct p9_server *s, struct p9_node *n)
{
	struct p9_node *stack[64], **chain = stack, *a;
	size_t depth = 0, i;
	int err = 0;

	for (a = n; a->fd < 0; a = a->parent)
		depth++;
	if (depth > sizeof(stack) / sizeof(stack[0])) {
		chain = malloc(depth * sizeof(*chain));
		if (!chain)
			return -ENOMEM;
	}
	for (a = n, i = depth; i; a = a->parent)
		chain[--i] = a;
	for (i = 0; i < depth && !err; i++) {
		err = node_open_one(s, chain[i]);
		if (!err && i && s->nr_lru > s->fd_limit)
			node_close(s, chain[i - 1]);
	}
	if (chain != stack)
		free(chain);
	return err;
}

/* n's O_PATH descriptor, reopened from the nearest open ancestor. */
int p9_node_fd(struct p9_server *s, struct p9_node *n)
{
	if (n->fd < 0) {
		int err = node_reopen(s, n);

		if (err)
			return err;
	}
	if (n->on_lru && s->lru_head != n) {
		lru_del(s, n);
		lru_add(s, n);
	}
	return n->fd;
}

/* The directory's fd; creating or removing names needs a directory. */
int p9_node_dir_fd(struct p9_server *s, struct p9_node *dir)
{
	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	return p9_node_fd(s, dir);
}

/* The parent's fd, after checking parent/name still is this node. */
int p9_node_parent_fd(struct p9_server *s, struct p9_node *n)
{
	struct stat st;
	int pfd;

	if (!n->parent)
		return -EBUSY;
	if (!n->hashed)
		return -ESTALE;
	pfd = p9_node_fd(s, n->parent);
	if (pfd < 0)
		return pfd;
	if (fstatat(pfd, n->name, &st, AT_SYMLINK_NOFOLLOW))
		return p9_errno();
	if (st.st_dev != n->dev || st.st_ino != n->ino)
		return -ESTALE;
	return pfd;
}

int p9_node_walk(struct p9_server *s, struct p9_node *dir, const char *name,
		 struct p9_node **out)
{
	struct p9_node *n;
	struct stat st;
	int dfd;

	if (!S_ISDIR(dir->type))
		return -ENOTDIR;
	if (!strcmp(name, ".")) {
		*out = p9_node_get(dir);
		return 0;
	}
	if (!strcmp(name, "..")) {
		*out = p9_node_get(dir->parent ? dir->parent : dir);
		return 0;
	}
	dfd = p9_node_fd(s, dir);
	if (dfd < 0)
		return dfd;
	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW))
		return p9_errno();
	n = p9_node_lookup(s, dir, name);
	if (n && n->dev == st.st_dev && n->ino == st.st_ino) {
		*out = p9_node_get(n);
		return 0;
	}
	return p9_node_new(s, dir, name, &st, out);
}

/* --- qids --- */

static unsigned int dev_index(struct p9_server *s, dev_t dev)
{
	unsigned int i;

	for (i = 0; i < s->nr_devs; i++)
		if (s->devs[i] == dev)
			return i;
	if (s->nr_devs == P9_DEVS_MAX)
		return P9_DEVS_MAX;
	s->devs[s->nr_devs] = dev;
	return s->nr_devs++;
}

/*
 * The share may span several file systems (sharing '/' does); inode
 * numbers repeat across them, so the device's index goes into the top
 * byte. The share's own device is index 0: qid.path is the inode there.
 */
void p9_qid_put(struct p9_server *s, uint8_t *buf, dev_t dev, ino_t ino,
		mode_t type)
{
	uint64_t path = (uint64_t)ino ^ (uint64_t)dev_index(s, dev) << 56;

	if (S_ISDIR(type))
		buf[0] = P9_QTDIR;
	else if (S_ISLNK(type))
		buf[0] = P9_QTSYMLINK;
	else
		buf[0] = P9_QTFILE;
	le32_write(buf + 1, 0);
	le64_write(buf + 5, path);
}

void p9_node_qid(struct p9_server *s, const struct p9_node *n, uint8_t *buf)
{
	p9_qid_put(s, buf, n->dev, n->ino, n->type);
}

/* --- fids --- */

static unsigned int fid_bucket(uint32_t id)
{
	return (id * 2654435761u) % P9_FID_BUCKETS;
}

struct p9_fid *p9_fid_find(struct p9_server *s, uint32_t id)
{
	struct p9_fid *f = s->fids[fid_bucket(id)];

	while (f && f->id != id)
		f = f->next;
	return f;
}

/* Binds a new fid to node (taking its own reference). */
int p9_fid_add(struct p9_server *s, uint32_t id, struct p9_node *node,
	       struct p9_fid **out)
{
	unsigned int b = fid_bucket(id);
	struct p9_fid *f;

	if (id == P9_NOFID)
		return -EINVAL;
	if (p9_fid_find(s, id))
		return -EEXIST;
	if (s->nr_fids >= P9_FIDS_MAX)
		return -EMFILE;
	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->id = id;
	f->node = p9_node_get(node);
	f->io = -1;
	f->next = s->fids[b];
	s->fids[b] = f;
	s->nr_fids++;
	if (out)
		*out = f;
	return 0;
}

void p9_fid_set_node(struct p9_server *s, struct p9_fid *f,
		     struct p9_node *node)
{
	struct p9_node *old = f->node;

	f->node = p9_node_get(node);
	p9_node_put(s, old);
}

void p9_fid_remove(struct p9_server *s, uint32_t id)
{
	struct p9_fid **pp = &s->fids[fid_bucket(id)];
	struct p9_fid *f;

	while (*pp && (*pp)->id != id)
		pp = &(*pp)->next;
	f = *pp;
	if (!f)
		return;
	*pp = f->next;
	if (f->io >= 0) {
		close(f->io);
		s->nr_io--;
	}
	p9_node_put(s, f->node);
	free(f);
	s->nr_fids--;
}

void p9_fid_remove_all(struct p9_server *s)
{
	unsigned int b;

	for (b = 0; b < P9_FID_BUCKETS; b++)
		while (s->fids[b])
			p9_fid_remove(s, s->fids[b]->id);
}

/* --- server lifetime --- */

int p9_node_init(struct p9_server *s, const char *root)
{
	struct p9_node *n;
	struct rlimit rl;
	struct stat st;

	n = calloc(1, sizeof(*n));
	if (!n)
		return -ENOMEM;
	n->fd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (n->fd < 0 || fstat(n->fd, &st)) {
		int err = p9_errno();

		if (n->fd >= 0)
			close(n->fd);
		free(n);
		return err;
	}
	n->refs = 1;
	n->dev = st.st_dev;
	n->ino = st.st_ino;
	n->type = S_IFDIR;
	s->root = n;
	s->nr_nodes = 1;
	dev_index(s, st.st_dev);

	if (!getrlimit(RLIMIT_NOFILE, &rl))
		__atomic_store_n(&budget_nofile, (unsigned long)rl.rlim_cur,
				 __ATOMIC_RELAXED);
	__atomic_fetch_add(&budget_servers, 1, __ATOMIC_RELAXED);
	p9_node_budget(s);
	return 0;
}

void p9_node_fini(struct p9_server *s)
{
	p9_fid_remove_all(s);
	if (s->root) {
		close(s->root->fd);
		free(s->root);
		s->root = NULL;
		__atomic_fetch_sub(&budget_servers, 1, __ATOMIC_RELAXED);
	}
}

/* The node moved: same file, new parent and name. */
void p9_node_move(struct p9_server *s, struct p9_node *n,
		  struct p9_node *newdir, const char *newname)
{
	char *name = strdup(newname);
	struct p9_node *old = n->parent;

	p9_node_unhash(s, n);
	if (!name)
		return;		/* unhashed: ESTALE when reopened */
	free(n->name);
	n->name = name;
	n->parent = p9_node_get(newdir);
	node_hash(s, n);
	p9_node_put(s, old);
}
