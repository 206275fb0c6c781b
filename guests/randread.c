// SPDX-License-Identifier: GPL-2.0
/*
 * randread DEVICE SECONDS: 4 KiB reads at random aligned offsets, O_DIRECT,
 * one at a time, for SECONDS; prints the rate. busybox has no fio, and a
 * shell loop of dd would time fork and exec rather than the disk.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/fs.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#define BLOCK	4096

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* xorshift64: any spread will do, it only has to defeat readahead. */
static uint64_t next(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

int main(int argc, char **argv)
{
	uint64_t size, blocks, seed, n = 0;
	double secs, t0, t;
	void *buf;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: randread DEVICE SECONDS\n");
		return 2;
	}
	secs = atof(argv[2]);
	fd = open(argv[1], O_RDONLY | O_DIRECT);
	if (fd < 0 || ioctl(fd, BLKGETSIZE64, &size) < 0) {
		perror(argv[1]);
		return 1;
	}
	blocks = size / BLOCK;
	if (!blocks || posix_memalign(&buf, BLOCK, BLOCK)) {
		fprintf(stderr, "randread: %s is empty or no memory\n",
			argv[1]);
		return 1;
	}
	seed = (uint64_t)time(NULL) | 1;
	t0 = now();
	do {
		off_t off = (off_t)(next(&seed) % blocks) * BLOCK;

		if (pread(fd, buf, BLOCK, off) != BLOCK) {
			perror("pread");
			return 1;
		}
		n++;
		t = now() - t0;
	} while (t < secs);
	printf("bench-randread-iops=%.0f (%llu reads of 4 KiB in %.1f s)\n",
	       n / t, (unsigned long long)n, t);
	return 0;
}
