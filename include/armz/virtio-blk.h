/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VIRTIO_BLK_H
#define ARMZ_VIRTIO_BLK_H

#include <limits.h>
#include <stdbool.h>
#include <stdint.h>

/*
 * virtio-blk (virtio 1.2, 5.2) backed by a raw image file or a block
 * device. Each request queue has its own worker thread doing synchronous
 * preadv/pwritev, so requests on different queues (one per vCPU with
 * VIRTIO_BLK_F_MQ) proceed in parallel.
 *
 * What one request costs is bounded. An O_DIRECT disk given guest
 * buffers it cannot take as they are goes through one buffer of
 * VIRTIO_BLK_BOUNCE_SIZE per queue, made on first use, however large the
 * request; any read or write larger than that goes that much at a time
 * too. Discard and write zeroes ranges (up to 2 GiB each, 32 of them)
 * go VIRTIO_BLK_ZERO_STEP at a time. Between such steps the worker looks
 * at virtio_dev_stopping(): a reset waits for one step, not a request,
 * and the request stopped part way fails (IOERR).
 */

#define VIRTIO_ID_BLOCK			2	/* device ID (virtio 1.2, 5) */

#define VIRTIO_BLK_F_SIZE_MAX		1
#define VIRTIO_BLK_F_SEG_MAX		2
#define VIRTIO_BLK_F_GEOMETRY		4
#define VIRTIO_BLK_F_RO			5
#define VIRTIO_BLK_F_BLK_SIZE		6
#define VIRTIO_BLK_F_FLUSH		9
#define VIRTIO_BLK_F_TOPOLOGY		10
#define VIRTIO_BLK_F_CONFIG_WCE		11
#define VIRTIO_BLK_F_MQ			12
#define VIRTIO_BLK_F_DISCARD		13
#define VIRTIO_BLK_F_WRITE_ZEROES	14

#define VIRTIO_BLK_T_IN			0
#define VIRTIO_BLK_T_OUT		1
#define VIRTIO_BLK_T_FLUSH		4
#define VIRTIO_BLK_T_GET_ID		8
#define VIRTIO_BLK_T_DISCARD		11
#define VIRTIO_BLK_T_WRITE_ZEROES	13

#define VIRTIO_BLK_S_OK			0
#define VIRTIO_BLK_S_IOERR		1
#define VIRTIO_BLK_S_UNSUPP		2

/* Discard / write zeroes segment flags. */
#define VIRTIO_BLK_WRITE_ZEROES_UNMAP	1

#define VIRTIO_BLK_SECTOR_SIZE		512
#define VIRTIO_BLK_HDR_SIZE		16	/* request header */
#define VIRTIO_BLK_SEG_SIZE		16	/* one discard range */
#define VIRTIO_BLK_ID_BYTES		20

/* Config space offsets (5.2.4), all little-endian. */
#define VIRTIO_BLK_CFG_CAPACITY		0	/* le64, sectors */
#define VIRTIO_BLK_CFG_SIZE_MAX		8
#define VIRTIO_BLK_CFG_SEG_MAX		12
#define VIRTIO_BLK_CFG_BLK_SIZE		20
#define VIRTIO_BLK_CFG_NUM_QUEUES	34	/* le16 */
#define VIRTIO_BLK_CFG_MAX_DISCARD_SECTORS	36
#define VIRTIO_BLK_CFG_MAX_DISCARD_SEG		40
#define VIRTIO_BLK_CFG_DISCARD_ALIGN		44
#define VIRTIO_BLK_CFG_MAX_WZ_SECTORS		48
#define VIRTIO_BLK_CFG_MAX_WZ_SEG		52
#define VIRTIO_BLK_CFG_WZ_MAY_UNMAP		56	/* u8 */
#define VIRTIO_BLK_CFG_SIZE			60

#define VIRTIO_BLK_BOUNCE_SIZE		(1u << 20)
#define VIRTIO_BLK_ZERO_STEP		(16u << 20)

/* Limits armz advertises. */
#define VIRTIO_BLK_MAX_DISCARD_SECTORS	(1u << 22)	/* 2 GiB */
#define VIRTIO_BLK_MAX_DISCARD_SEG	32

/* What --disk PATH[,ro][,direct][,serial=ID] asks for. */
struct blk_config {
	char path[PATH_MAX];
	bool ro;
	bool direct;		/* O_DIRECT: bypass the host page cache */
	char serial[VIRTIO_BLK_ID_BYTES + 1];
};

/*
 * Parses the option value into *cfg. -EINVAL with err_msg() set for an
 * empty path, an unknown option ("unknown disk option 'x'") or a serial
 * longer than VIRTIO_BLK_ID_BYTES.
 */
int blk_parse(const char *arg, struct blk_config *cfg);

struct virtio_device;
struct virtq_chain;

/*
 * Opens the image and makes the device, with nqueues request queues
 * (1 .. VIRTIO_QUEUES_MAX, e.g. the vCPU count). A writable image is
 * locked (OFD write lock) and a read-only one share-locked, so a second
 * armz that would write to it is refused. 0 and *out, or a negative
 * errno with err_msg() set.
 */
int virtio_blk_new(const struct blk_config *cfg, unsigned int nqueues,
		   struct virtio_device **out);

/* Capacity in 512-byte sectors. */
uint64_t virtio_blk_capacity(const struct virtio_device *dev);

/* A request header, decoded and checked. */
struct blk_req {
	uint32_t type;
	uint64_t sector;
	uint64_t data_len;	/* bytes between header and status byte */
};

/*
 * Decodes the header of a popped chain and checks it against a disk of
 * capacity sectors: VIRTIO_BLK_S_OK if the request may go ahead, or the
 * status to report (IOERR for a short header, a range past the end, a
 * partial sector, a write to a read-only disk; UNSUPP for unknown types).
 */
uint8_t blk_req_parse(const struct virtq_chain *chain, uint64_t capacity,
		      bool ro, struct blk_req *req);

/*
 * Carries out one request chain of queue q (its worker thread only): the
 * I/O, then the status byte into the last writable byte. *used_len is
 * what a device thread pushes. A chain with no writable byte cannot be
 * answered and is returned empty.
 */
void virtio_blk_handle(struct virtio_device *dev, unsigned int q,
		       const struct virtq_chain *chain, uint32_t *used_len);

/*
 * For tests: the steps of long work taken so far (bounced transfers,
 * discard and write zeroes), and a smaller write zeroes and discard step
 * (whole sectors, at most VIRTIO_BLK_ZERO_STEP), so that one request is
 * many steps.
 */
uint64_t virtio_blk_steps(const struct virtio_device *dev);
void virtio_blk_set_zero_step(struct virtio_device *dev, uint32_t bytes);

#endif
