// SPDX-License-Identifier: GPL-2.0
/*
 * 9P2000.L server: the wire protocol. Decodes one request, checks every
 * field against the message it came in, calls the host side (p9-fs.c)
 * and encodes the response. Requests are handled one at a time and to
 * completion, so Tflush has nothing to cancel.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/le.h>
#include <armz/p9.h>

#include "p9-private.h"
#include "p9-wire.h"

/* The fid a request names, which must exist and not be an xattr list. */
static int get_fid(struct p9_server *s, uint32_t id, struct p9_fid **out)
{
	struct p9_fid *f = p9_fid_find(s, id);

	if (!f)
		return -EBADF;
	if (f->xattr)
		return -EINVAL;
	*out = f;
	return 0;
}

/*
 * The end of a request's fixed fields: a message that ran short is a
 * protocol error, else the fid it names must exist.
 */
static int in_done_get_fid(struct p9_server *s, struct p9_in *in,
			   uint32_t id, struct p9_fid **out)
{
	return in->bad ? -EPROTO : get_fid(s, id, out);
}

/* --- session --- */

static int p9_version(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	static const char dotl[] = "9P2000.L";
	uint32_t msize = in_u32(in);
	uint16_t len;
	const char *ver = in_str(in, &len);

	if (in->bad)
		return -EPROTO;
	if (msize < P9_MSIZE_MIN)
		return -EINVAL;
	/* A new session: everything the old one held goes. */
	p9_fid_remove_all(s);
	s->msize = msize < P9_MSIZE_MAX ? msize : P9_MSIZE_MAX;
	out_u32(out, s->msize);
	if (len >= sizeof(dotl) - 1 && !memcmp(ver, dotl, sizeof(dotl) - 1))
		out_str(out, dotl, sizeof(dotl) - 1);
	else
		out_str(out, "unknown", 7);
	return 0;
}

static int p9_attach(struct p9_server *s, struct p9_in *in,
		     struct p9_out *out)
{
	uint32_t fid = in_u32(in);
	uint16_t len;
	int err;

	in_u32(in);		/* afid: no authentication */
	in_str(in, &len);	/* uname */
	in_str(in, &len);	/* aname: there is one tree only */
	in_u32(in);		/* n_uname */
	if (in->bad)
		return -EPROTO;
	err = p9_fid_add(s, fid, s->root, NULL);
	if (err)
		return err;
	out_node_qid(s, out, s->root);
	return 0;
}

static int p9_flush(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	in_u16(in);		/* oldtag: already answered */
	return in->bad ? -EPROTO : 0;
}

static int p9_clunk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in);

	if (in->bad)
		return -EPROTO;
	if (!p9_fid_find(s, fid))
		return -EBADF;
	p9_fid_remove(s, fid);
	return 0;
}

/* --- walking --- */

static int walk_bind(struct p9_server *s, struct p9_fid *f, uint32_t newfid,
		     struct p9_node *n)
{
	if (newfid == f->id) {
		p9_fid_set_node(s, f, n);
		return 0;
	}
	return p9_fid_add(s, newfid, n, NULL);
}

static int p9_walk(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char names[P9_MAXWELEM][P9_NAME_MAX + 1];
	uint8_t qids[P9_MAXWELEM][P9_QID_SIZE];
	uint32_t fid = in_u32(in), newfid = in_u32(in);
	uint16_t nwname = in_u16(in), i, nq;
	struct p9_node *cur;
	struct p9_fid *f;
	int err = 0;

	if (in->bad)
		return -EPROTO;
	if (nwname > P9_MAXWELEM)
		return -EINVAL;
	for (i = 0; i < nwname; i++) {
		err = in_name(in, names[i], true);
		if (err)
			return err;
	}
	err = get_fid(s, fid, &f);
	if (err)
		return err;
	if (newfid != fid && p9_fid_find(s, newfid))
		return -EEXIST;
	if (newfid == fid && nwname && f->io >= 0)
		return -EBUSY;

	cur = p9_node_get(f->node);
	for (nq = 0; nq < nwname; nq++) {
		struct p9_node *next;

		err = p9_node_walk(s, cur, names[nq], &next);
		if (err)
			break;
		p9_node_put(s, cur);
		cur = next;
		p9_node_qid(s, cur, qids[nq]);
	}
	/* Only a complete walk makes newfid; a partial one reports how far. */
	if (nq == nwname)
		err = walk_bind(s, f, newfid, cur);
	else if (nq)
		err = 0;
	p9_node_put(s, cur);
	if (err)
		return err;
	out_u16(out, nq);
	for (i = 0; i < nq; i++)
		memcpy(out_take(out, P9_QID_SIZE), qids[i], P9_QID_SIZE);
	return 0;
}

/* --- attributes --- */

/* Linux's dev_t encoding, which the client decodes, whatever the libc. */
static uint64_t wire_dev(dev_t dev)
{
	uint64_t maj = major(dev), min = minor(dev);

	return (min & 0xff) | (maj & 0xfff) << 8 | (min & ~0xffull) << 12;
}

static int p9_getattr(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	uint32_t fid = in_u32(in);
	struct p9_fid *f;
	struct stat st;
	int err;

	in_u64(in);		/* request_mask: the basic set is cheap */
	err = in_done_get_fid(s, in, fid, &f);
	if (!err)
		err = p9_fs_stat(s, f, &st);
	if (err)
		return err;
	out_u64(out, P9_GETATTR_BASIC);
	out_stat_qid(s, out, &st);
	out_u32(out, st.st_mode);
	out_u32(out, st.st_uid);
	out_u32(out, st.st_gid);
	out_u64(out, st.st_nlink);
	out_u64(out, wire_dev(st.st_rdev));
	out_u64(out, st.st_size);
	out_u64(out, st.st_blksize);
	out_u64(out, st.st_blocks);
	out_u64(out, st.st_atim.tv_sec);
	out_u64(out, st.st_atim.tv_nsec);
	out_u64(out, st.st_mtim.tv_sec);
	out_u64(out, st.st_mtim.tv_nsec);
	out_u64(out, st.st_ctim.tv_sec);
	out_u64(out, st.st_ctim.tv_nsec);
	out_u64(out, 0);	/* btime, gen, data_version: not offered */
	out_u64(out, 0);
	out_u64(out, 0);
	out_u64(out, 0);
	return 0;
}

static int p9_setattr(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	uint32_t fid = in_u32(in);
	struct p9_setattr a;
	struct p9_fid *f;
	int err;

	a.valid = in_u32(in);
	a.mode = in_u32(in);
	a.uid = in_u32(in);
	a.gid = in_u32(in);
	a.size = in_u64(in);
	a.atime_sec = in_u64(in);
	a.atime_nsec = in_u64(in);
	a.mtime_sec = in_u64(in);
	a.mtime_nsec = in_u64(in);
	err = in_done_get_fid(s, in, fid, &f);
	return err ? err : p9_fs_setattr(s, f, &a);
}

static int p9_statfs(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in);
	struct statfs st;
	struct p9_fid *f;
	uint64_t fsid;
	int err;

	err = in_done_get_fid(s, in, fid, &f);
	if (!err)
		err = p9_fs_statfs(s, f, &st);
	if (err)
		return err;
	fsid = (uint32_t)st.f_fsid.__val[0] |
	       (uint64_t)(uint32_t)st.f_fsid.__val[1] << 32;
	out_u32(out, (uint32_t)st.f_type);
	out_u32(out, (uint32_t)st.f_bsize);
	out_u64(out, st.f_blocks);
	out_u64(out, st.f_bfree);
	out_u64(out, st.f_bavail);
	out_u64(out, st.f_files);
	out_u64(out, st.f_ffree);
	out_u64(out, fsid);
	out_u32(out, (uint32_t)st.f_namelen);
	return 0;
}

/* The client keeps an empty xattr list; named attributes do not exist. */
static int p9_xattrwalk(struct p9_server *s, struct p9_in *in,
			struct p9_out *out)
{
	uint32_t fid = in_u32(in), newfid = in_u32(in);
	struct p9_fid *f, *nf;
	uint16_t len;
	int err;

	in_str(in, &len);
	err = in_done_get_fid(s, in, fid, &f);
	if (err)
		return err;
	if (len)
		return -ENODATA;
	if (newfid == fid)
		return -EINVAL;
	err = p9_fid_add(s, newfid, f->node, &nf);
	if (err)
		return err;
	nf->xattr = true;
	out_u64(out, 0);
	return 0;
}

/* --- opening and I/O --- */

static int p9_lopen(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in), flags = in_u32(in);
	struct p9_fid *f;
	int err;

	err = in_done_get_fid(s, in, fid, &f);
	if (!err)
		err = p9_fs_lopen(s, f, flags);
	if (err)
		return err;
	out_node_qid(s, out, f->node);
	out_u32(out, 0);	/* iounit: msize decides */
	return 0;
}

static int p9_lcreate(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	char name[P9_NAME_MAX + 1];
	uint32_t fid = in_u32(in), flags, mode;
	struct p9_fid *f;
	int err;

	err = in_name(in, name, false);
	flags = in_u32(in);
	mode = in_u32(in);
	in_u32(in);		/* gid: files belong to whoever runs armz */
	if (in->bad)
		return -EPROTO;
	if (!err)
		err = get_fid(s, fid, &f);
	if (!err)
		err = p9_fs_lcreate(s, f, name, flags, mode);
	if (err)
		return err;
	out_node_qid(s, out, f->node);
	out_u32(out, 0);
	return 0;
}

static int p9_read(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in), count, got = 0;
	uint64_t offset = in_u64(in);
	struct p9_fid *f;
	uint8_t *data;

	count = in_u32(in);
	if (in->bad)
		return -EPROTO;
	f = p9_fid_find(s, fid);
	if (!f)
		return -EBADF;
	if (f->xattr) {
		out_u32(out, 0);
		return 0;
	}
	if (f->io < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	if (count > out_room(out, 4))
		count = (uint32_t)out_room(out, 4);
	data = out->p + out->off + 4;
	while (got < count) {
		ssize_t n = pread(f->io, data + got, count - got,
				  (off_t)(offset + got));

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && !got)
			return -errno;
		if (n <= 0)
			break;
		got += (uint32_t)n;
	}
	out_u32(out, got);
	out->off += got;
	return 0;
}

static int p9_write(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in), count;
	uint64_t offset = in_u64(in);
	const uint8_t *data;
	struct p9_fid *f;
	ssize_t n;
	int err;

	count = in_u32(in);
	data = in_take(in, count);
	err = in_done_get_fid(s, in, fid, &f);
	if (err)
		return err;
	if (f->io < 0)
		return -EBADF;
	if (offset > INT64_MAX)
		return -EINVAL;
	do {
		n = pwrite(f->io, data, count, (off_t)offset);
	} while (n < 0 && errno == EINTR);
	if (n < 0)
		return -errno;
	out_u32(out, (uint32_t)n);
	return 0;
}

static int p9_readdir(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	uint32_t fid = in_u32(in), count;
	uint64_t offset = in_u64(in);
	struct p9_fid *f;
	long n;
	int err;

	count = in_u32(in);
	err = in_done_get_fid(s, in, fid, &f);
	if (err)
		return err;
	if (count > out_room(out, 4))
		count = (uint32_t)out_room(out, 4);
	n = p9_fs_readdir(s, f, offset, out->p + out->off + 4, count);
	if (n < 0)
		return (int)n;
	out_u32(out, (uint32_t)n);
	out->off += (size_t)n;
	return 0;
}

static int p9_fsync(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in), datasync = 0;
	struct p9_fid *f;
	int err;

	if (in->len - in->off >= 4)	/* older clients omit it */
		datasync = in_u32(in);
	err = in_done_get_fid(s, in, fid, &f);
	if (err)
		return err;
	if (f->io < 0)
		return -EBADF;
	if (datasync ? fdatasync(f->io) : fsync(f->io))
		return -errno;
	return 0;
}

/* POSIX locks are the guest kernel's business: every request succeeds. */
static int p9_lock(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in);
	struct p9_fid *f;
	uint16_t len;
	int err;

	in_u8(in);		/* type */
	in_u32(in);		/* flags */
	in_u64(in);		/* start */
	in_u64(in);		/* length */
	in_u32(in);		/* proc_id */
	in_str(in, &len);	/* client_id */
	err = in_done_get_fid(s, in, fid, &f);
	if (err)
		return err;
	out_u8(out, P9_LOCK_SUCCESS);
	return 0;
}

static int p9_getlock(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	uint32_t fid = in_u32(in), proc_id;
	uint64_t start, length;
	const char *client;
	struct p9_fid *f;
	uint16_t len;
	int err;

	in_u8(in);		/* type */
	start = in_u64(in);
	length = in_u64(in);
	proc_id = in_u32(in);
	client = in_str(in, &len);
	err = in_done_get_fid(s, in, fid, &f);
	if (err)
		return err;
	out_u8(out, P9_LOCK_TYPE_UNLCK);
	out_u64(out, start);
	out_u64(out, length);
	out_u32(out, proc_id);
	out_str(out, client, len);
	return 0;
}

/* --- names --- */

static int p9_mkdir(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[P9_NAME_MAX + 1];
	uint32_t dfid = in_u32(in), mode;
	struct p9_fid *d;
	struct stat st;
	int err;

	err = in_name(in, name, false);
	mode = in_u32(in);
	in_u32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	if (!err)
		err = get_fid(s, dfid, &d);
	if (!err)
		err = p9_fs_mkdir(s, d, name, mode, &st);
	if (err)
		return err;
	out_stat_qid(s, out, &st);
	return 0;
}

static int p9_symlink(struct p9_server *s, struct p9_in *in,
		      struct p9_out *out)
{
	char name[P9_NAME_MAX + 1], target[PATH_MAX];
	uint32_t dfid = in_u32(in);
	const char *tgt;
	struct p9_fid *d;
	struct stat st;
	uint16_t len;
	int err;

	err = in_name(in, name, false);
	tgt = in_str(in, &len);
	in_u32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	if (err)
		return err;
	/* The target is only stored, never resolved on the host. */
	if (!len || memchr(tgt, '\0', len))
		return -EINVAL;
	if (len >= sizeof(target))
		return -ENAMETOOLONG;
	memcpy(target, tgt, len);
	target[len] = '\0';
	err = get_fid(s, dfid, &d);
	if (!err)
		err = p9_fs_symlink(s, d, name, target, &st);
	if (err)
		return err;
	out_stat_qid(s, out, &st);
	return 0;
}

static int p9_mknod(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[P9_NAME_MAX + 1];
	uint32_t dfid = in_u32(in), mode, major, minor;
	struct p9_fid *d;
	struct stat st;
	int err;

	err = in_name(in, name, false);
	mode = in_u32(in);
	major = in_u32(in);
	minor = in_u32(in);
	in_u32(in);		/* gid */
	if (in->bad)
		return -EPROTO;
	if (!err)
		err = get_fid(s, dfid, &d);
	if (!err)
		err = p9_fs_mknod(s, d, name, mode, major, minor, &st);
	if (err)
		return err;
	out_stat_qid(s, out, &st);
	return 0;
}

/* Tlink and Trename: fid[4] fid[4] name[s], in the message's order. */
static int in_two_fids_name(struct p9_server *s, struct p9_in *in,
			    struct p9_fid **a, struct p9_fid **b, char *name)
{
	uint32_t fa = in_u32(in), fb = in_u32(in);
	int err = in_name(in, name, false);

	if (in->bad)
		return -EPROTO;
	if (!err)
		err = get_fid(s, fa, a);
	if (!err)
		err = get_fid(s, fb, b);
	return err;
}

static int p9_link(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[P9_NAME_MAX + 1];
	struct p9_fid *d, *f;
	int err = in_two_fids_name(s, in, &d, &f, name);

	return err ? err : p9_fs_link(s, d, f, name);
}

static int p9_rename(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	char name[P9_NAME_MAX + 1];
	struct p9_fid *f, *d;
	int err = in_two_fids_name(s, in, &f, &d, name);

	return err ? err : p9_fs_rename_fid(s, f, d, name);
}

static int p9_renameat(struct p9_server *s, struct p9_in *in,
		       struct p9_out *out)
{
	char oldname[P9_NAME_MAX + 1], newname[P9_NAME_MAX + 1];
	uint32_t ofid, nfid;
	struct p9_fid *od, *nd;
	int err, err2;

	ofid = in_u32(in);
	err = in_name(in, oldname, false);
	nfid = in_u32(in);
	err2 = in_name(in, newname, false);
	if (in->bad)
		return -EPROTO;
	if (!err)
		err = err2;
	if (!err)
		err = get_fid(s, ofid, &od);
	if (!err)
		err = get_fid(s, nfid, &nd);
	return err ? err : p9_fs_rename(s, od->node, oldname, nd->node,
					 newname);
}

static int p9_unlinkat(struct p9_server *s, struct p9_in *in,
		       struct p9_out *out)
{
	char name[P9_NAME_MAX + 1];
	uint32_t dfid = in_u32(in), flags;
	struct p9_fid *d;
	int err;

	err = in_name(in, name, false);
	flags = in_u32(in);
	if (in->bad)
		return -EPROTO;
	if (!err)
		err = get_fid(s, dfid, &d);
	return err ? err : p9_fs_unlinkat(s, d, name, flags);
}

/* Tremove clunks the fid whether or not the file goes. */
static int p9_remove(struct p9_server *s, struct p9_in *in, struct p9_out *out)
{
	uint32_t fid = in_u32(in);
	struct p9_fid *f;
	int err;

	if (in->bad)
		return -EPROTO;
	err = get_fid(s, fid, &f);
	if (!err)
		err = p9_fs_remove(s, f);
	p9_fid_remove(s, fid);
	return err;
}

static int p9_readlink(struct p9_server *s, struct p9_in *in,
		       struct p9_out *out)
{
	char target[PATH_MAX];
	uint32_t fid = in_u32(in);
	struct p9_fid *f;
	int err;

	err = in_done_get_fid(s, in, fid, &f);
	if (!err)
		err = p9_fs_readlink(s, f, target, sizeof(target));
	if (err < 0)
		return err;
	out_str(out, target, (size_t)err);
	return 0;
}

typedef int (*p9_op_fn)(struct p9_server *s, struct p9_in *in,
			struct p9_out *out);

/* Unlisted types (Tauth, Txattrcreate, 9P2000/.u messages) get EOPNOTSUPP. */
static const p9_op_fn p9_ops[256] = {
	[P9_TSTATFS] = p9_statfs,
	[P9_TLOPEN] = p9_lopen,
	[P9_TLCREATE] = p9_lcreate,
	[P9_TSYMLINK] = p9_symlink,
	[P9_TMKNOD] = p9_mknod,
	[P9_TRENAME] = p9_rename,
	[P9_TREADLINK] = p9_readlink,
	[P9_TGETATTR] = p9_getattr,
	[P9_TSETATTR] = p9_setattr,
	[P9_TXATTRWALK] = p9_xattrwalk,
	[P9_TREADDIR] = p9_readdir,
	[P9_TFSYNC] = p9_fsync,
	[P9_TLOCK] = p9_lock,
	[P9_TGETLOCK] = p9_getlock,
	[P9_TLINK] = p9_link,
	[P9_TMKDIR] = p9_mkdir,
	[P9_TRENAMEAT] = p9_renameat,
	[P9_TUNLINKAT] = p9_unlinkat,
	[P9_TVERSION] = p9_version,
	[P9_TATTACH] = p9_attach,
	[P9_TFLUSH] = p9_flush,
	[P9_TWALK] = p9_walk,
	[P9_TREAD] = p9_read,
	[P9_TWRITE] = p9_write,
	[P9_TCLUNK] = p9_clunk,
	[P9_TREMOVE] = p9_remove,
};

size_t p9_handle(struct p9_server *s, const uint8_t *req, size_t req_len,
		 uint8_t *resp, size_t cap)
{
	struct p9_out out = { .p = resp, .off = P9_HDR_SIZE };
	uint16_t tag = P9_NOTAG;
	uint8_t type = P9_TLERROR;
	uint32_t size = 0;
	int err;

	if (cap < RLERROR_SIZE)
		return 0;
	p9_node_budget(s);
	out.cap = cap < s->msize ? cap : s->msize;
	if (req_len >= P9_HDR_SIZE) {
		size = le32_read(req);
		type = req[4];
		tag = le16_read(req + 5);
	}
	if (req_len < P9_HDR_SIZE || size < P9_HDR_SIZE || size > req_len) {
		err = -EINVAL;
	} else if (!p9_ops[type]) {
		err = -EOPNOTSUPP;
	} else {
		struct p9_in in = { .p = req, .len = size, .off = P9_HDR_SIZE };

		err = p9_ops[type](s, &in, &out);
		if (!err && out.full)
			err = -ENOBUFS;
	}
	if (err) {
		type = P9_TLERROR;
		out.off = P9_HDR_SIZE;
		out.full = false;
		out_u32(&out, (uint32_t)-err);
	}
	le32_write(resp, (uint32_t)out.off);
	resp[4] = type + 1;
	le16_write(resp + 5, tag);
	p9_node_trim(s);
	return out.off;
}

/* --- server --- */

int p9_server_new(const char *root, bool ro, struct p9_server **out)
{
	struct p9_server *s = calloc(1, sizeof(*s));
	int err;

	if (!s)
		return err_set(ENOMEM, "9p share '%s': %s", root,
			       strerror(ENOMEM));
	s->ro = ro;
	s->msize = P9_MSIZE_MAX;
	err = p9_node_init(s, root);
	if (err) {
		free(s);
		return err_set(-err, "9p share '%s': %s", root,
			       strerror(-err));
	}
	*out = s;
	return 0;
}

void p9_server_free(struct p9_server *s)
{
	if (!s)
		return;
	p9_node_fini(s);
	free(s);
}

void p9_server_reset(struct p9_server *s)
{
	p9_fid_remove_all(s);
	s->msize = P9_MSIZE_MAX;
	p9_node_budget(s);
	p9_node_trim(s);
}
