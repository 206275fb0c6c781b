/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_P9_H
#define ARMZ_P9_H

#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * A 9P2000.L file server exporting one host directory, as Linux's v9fs
 * client (trans=virtio) expects it. The server knows nothing of virtio:
 * it turns one whole request message into one whole response message.
 *
 * The client is the guest and is hostile. Every name is resolved one
 * component at a time relative to directory descriptors, symlinks are
 * never followed on the host ('..' at the root stays at the root), and
 * every length in a message is checked against the message before use.
 *
 * What a writable share lets the guest change on the host is limited too.
 * Set-user-ID and set-group-ID bits are never created or set (Tlcreate,
 * Tmkdir, Tmknod, Tsetattr): the guest may keep or clear those a file
 * already has, not add one, and a file whose owner it changes loses them.
 * The share's root keeps the mode and owner the host gave it (EPERM).
 * The host's pseudo file systems (proc, sysfs, cgroup, debugfs, ... as
 * sharing '/' shows them) are seen but not touched: nothing in them is
 * opened, created, removed, renamed, linked or changed (EACCES).
 *
 * A server is not thread-safe: one thread at a time calls p9_handle().
 * Servers of different shares may run on different threads: all they
 * share is the descriptor budget (p9_server_new()), kept atomically.
 */

/* Wire layout: size[4] type[1] tag[2], then the body; all little-endian. */
#define P9_HDR_SIZE		7
#define P9_NOTAG		0xffff
#define P9_NOFID		0xffffffffu
#define P9_MAXWELEM		16
#define P9_QID_SIZE		13

/* Largest msize agreed on: the transport's request/response buffers. */
#define P9_MSIZE_MAX		(512 * 1024)
/* Smallest msize accepted: room for every fixed-size response. */
#define P9_MSIZE_MIN		512
/* Fids one client may hold at once; EMFILE past it. */
#define P9_FIDS_MAX		65536

/* Message types (request; the response is type + 1). */
#define P9_TLERROR		6	/* Rlerror: ecode[4] */
#define P9_RLERROR		7
#define P9_TSTATFS		8
#define P9_TLOPEN		12
#define P9_TLCREATE		14
#define P9_TSYMLINK		16
#define P9_TMKNOD		18
#define P9_TRENAME		20
#define P9_TREADLINK		22
#define P9_TGETATTR		24
#define P9_TSETATTR		26
#define P9_TXATTRWALK		30
#define P9_TXATTRCREATE		32
#define P9_TREADDIR		40
#define P9_TFSYNC		50
#define P9_TLOCK		52
#define P9_TGETLOCK		54
#define P9_TLINK		70
#define P9_TMKDIR		72
#define P9_TRENAMEAT		74
#define P9_TUNLINKAT		76
#define P9_TVERSION		100
#define P9_TAUTH		102
#define P9_TATTACH		104
#define P9_TFLUSH		108
#define P9_TWALK		110
#define P9_TREAD		116
#define P9_TWRITE		118
#define P9_TCLUNK		120
#define P9_TREMOVE		122

/* qid.type */
#define P9_QTDIR		0x80
#define P9_QTSYMLINK		0x02
#define P9_QTFILE		0x00

/* Tlopen/Tlcreate flags (Linux's generic O_* values, fixed by the wire). */
#define P9_DOTL_ACCMODE		00000003
#define P9_DOTL_RDONLY		00000000
#define P9_DOTL_WRONLY		00000001
#define P9_DOTL_RDWR		00000002
#define P9_DOTL_CREATE		00000100
#define P9_DOTL_EXCL		00000200
#define P9_DOTL_NOCTTY		00000400
#define P9_DOTL_TRUNC		00001000
#define P9_DOTL_APPEND		00002000
#define P9_DOTL_NONBLOCK	00004000
#define P9_DOTL_DSYNC		00010000
#define P9_DOTL_DIRECT		00040000
#define P9_DOTL_DIRECTORY	00200000
#define P9_DOTL_NOFOLLOW	00400000
#define P9_DOTL_NOATIME		01000000
#define P9_DOTL_SYNC		04000000

#define P9_DOTL_AT_REMOVEDIR	0x200

/* Tgetattr request_mask / Rgetattr valid */
#define P9_GETATTR_BASIC	0x7ffull

/* Tsetattr valid */
#define P9_SETATTR_MODE		0x001
#define P9_SETATTR_UID		0x002
#define P9_SETATTR_GID		0x004
#define P9_SETATTR_SIZE		0x008
#define P9_SETATTR_ATIME	0x010
#define P9_SETATTR_MTIME	0x020
#define P9_SETATTR_CTIME	0x040
#define P9_SETATTR_ATIME_SET	0x080
#define P9_SETATTR_MTIME_SET	0x100

/* Tlock type / Rlock status */
#define P9_LOCK_TYPE_RDLCK	0
#define P9_LOCK_TYPE_WRLCK	1
#define P9_LOCK_TYPE_UNLCK	2
#define P9_LOCK_SUCCESS		0

struct p9_server;

/*
 * Serves the host directory root; ro refuses every modifying request with
 * EROFS. On failure returns a negative errno with err_msg() saying
 * "9p share 'root': reason".
 *
 * Descriptors are the process's: all servers together keep to half of
 * RLIMIT_NOFILE (as it is when the newest is made), in equal parts that
 * change as servers come and go. Of its part a server keeps a third for
 * the files the guest walked to and two thirds for files it opens; past
 * that, Tlopen and Tlcreate fail with EMFILE. Walked-to files cost no
 * descriptor while idle, unlinked ones included.
 */
int p9_server_new(const char *root, bool ro, struct p9_server **out);
void p9_server_free(struct p9_server *s);

/* Forgets every fid, as a new Tversion does (device reset). */
void p9_server_reset(struct p9_server *s);

/*
 * Handles one request (req, req_len: a whole message, size[4] type[1]
 * tag[2] ...) and writes the response into resp, at most cap bytes and
 * at most the negotiated msize. Returns the response length; protocol
 * and file system errors become Rlerror. Returns 0 only when cap cannot
 * hold even an Rlerror (11 bytes).
 */
size_t p9_handle(struct p9_server *s, const uint8_t *req, size_t req_len,
		 uint8_t *resp, size_t cap);

/* Mount tags longer than this are refused (the guest's limit). */
#define P9_TAG_MAX		31

/* One --9p HOSTDIR,TAG[,ro] share. */
struct p9_share {
	char dir[PATH_MAX];
	char tag[P9_TAG_MAX + 1];
	bool ro;
};

/*
 * Parses a --9p option value "HOSTDIR,TAG[,ro]" into *share. -EINVAL
 * (err_msg() says why) when a part is missing or empty, a part is too
 * long, or an option is unknown.
 */
int p9_parse_share(const char *arg, struct p9_share *share);

/* virtio-9p: device id 9, feature bit 0 = the config space has a tag. */
#define VIRTIO_ID_9P		9
#define VIRTIO_9P_F_MOUNT_TAG	0

struct virtio_device;

/*
 * A virtio-9p device serving share->dir to the guest as mount tag
 * share->tag; hand it to virtio_mmio_new(), which then owns it. 0 and
 * *out, or a negative errno with err_msg() set.
 */
int virtio_9p_new(const struct p9_share *share, struct virtio_device **out);

#endif
