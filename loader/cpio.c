// SPDX-License-Identifier: GPL-2.0
/*
 * A "newc" cpio writer: ASCII hex headers, names and data padded to four
 * bytes, closed by TRAILER!!! (the kernel's
 * Documentation/driver-api/early-userspace/buffer-format.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/initramfs.h>

#define CPIO_HDR_LEN	110

static int cpio_reserve(struct cpio *c, size_t more)
{
	size_t cap = c->cap ? c->cap : 64 << 10;
	uint8_t *p;

	if (c->len + more <= c->cap)
		return 0;
	while (cap < c->len + more)
		cap *= 2;
	p = realloc(c->buf, cap);
	if (!p)
		return err_set(ENOMEM, "out of memory for the initramfs");
	c->buf = p;
	c->cap = cap;
	return 0;
}

static void cpio_pad(struct cpio *c)
{
	while (c->len & 3)
		c->buf[c->len++] = 0;
}

static int cpio_entry(struct cpio *c, const char *name, uint32_t mode,
		      const void *data, size_t len)
{
	size_t namesize = strlen(name) + 1;
	char hdr[CPIO_HDR_LEN + 1];
	int r;

	if (len > UINT32_MAX)
		return err_set(EFBIG, "'%s' is too large for the initramfs",
			       name);
	r = cpio_reserve(c, CPIO_HDR_LEN + namesize + len + 8);
	if (r)
		return r;
	snprintf(hdr, sizeof(hdr),
		 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X",
		 ++c->ino, mode, 0, 0, (mode & S_IFMT) == S_IFDIR ? 2 : 1, 0,
		 (unsigned int)len, 0, 0, 0, 0, (unsigned int)namesize, 0);
	memcpy(c->buf + c->len, hdr, CPIO_HDR_LEN);
	c->len += CPIO_HDR_LEN;
	memcpy(c->buf + c->len, name, namesize);
	c->len += namesize;
	cpio_pad(c);
	if (len)
		memcpy(c->buf + c->len, data, len);
	c->len += len;
	cpio_pad(c);
	return 0;
}

int cpio_add_dir(struct cpio *c, const char *name, mode_t mode)
{
	return cpio_entry(c, name, S_IFDIR | (mode & 07777), NULL, 0);
}

int cpio_add_file(struct cpio *c, const char *name, mode_t mode,
		  const void *data, size_t len)
{
	return cpio_entry(c, name, S_IFREG | (mode & 07777), data, len);
}

int cpio_add_host_file(struct cpio *c, const char *name, mode_t mode,
		       const char *what, const char *path)
{
	/* A FIFO must not keep us waiting for a writer: see file_open(). */
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	uint8_t *data;
	size_t done = 0;
	int r;

	if (fd < 0)
		return err_set(errno, "cannot open %s '%s': %s", what, path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		return err_set(EINVAL, "%s '%s' is not a regular file", what,
			       path);
	}
	data = malloc((size_t)st.st_size + 1);
	while (data && done < (size_t)st.st_size) {
		ssize_t n = read(fd, data + done, (size_t)st.st_size - done);

		if (n <= 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	if (!data || done != (size_t)st.st_size) {
		free(data);
		return err_set(EIO, "cannot read %s '%s'", what, path);
	}
	r = cpio_add_file(c, name, mode, data, done);
	free(data);
	return r;
}

int cpio_finish(struct cpio *c)
{
	return cpio_entry(c, "TRAILER!!!", 0, NULL, 0);
}

void cpio_free(struct cpio *c)
{
	free(c->buf);
	memset(c, 0, sizeof(*c));
}
