// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/loader.h>

static int file_check(const char *what, const char *path,
		      const struct stat *st)
{
	if (S_ISDIR(st->st_mode))
		return err_set(EISDIR, "%s '%s' is a directory", what, path);
	/* Pipes and devices have no size to map. */
	if (!S_ISREG(st->st_mode))
		return err_set(EINVAL, "%s '%s' is not a regular file",
			       what, path);
	if (st->st_size == 0)
		return err_set(EINVAL, "%s '%s' is empty", what, path);
	if ((uint64_t)st->st_size > SIZE_MAX)
		return err_set(EFBIG, "%s '%s' is too large to map",
			       what, path);
	return 0;
}

FILE *file_fopen(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK), e;
	struct stat st;
	FILE *f;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		e = S_ISREG(st.st_mode) ? errno : EINVAL;
		close(fd);
		errno = e;
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		e = errno;
		close(fd);
		errno = e;
	}
	return f;
}

int file_open(const char *what, const char *path, struct file_buf *fb)
{
	struct stat st;
	int fd, ret, e;

	memset(fb, 0, sizeof(*fb));
	fb->fd = -1;
	/*
	 * Without O_NONBLOCK a FIFO would keep armz waiting for a writer
	 * here; it is not a regular file, which file_check() says. Reads of
	 * a regular file do not block either way.
	 */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		e = errno;
		return err_set(e, "cannot open %s '%s': %s", what, path,
			       strerror(e));
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		return err_set(e, "cannot stat %s '%s': %s", what, path,
			       strerror(e));
	}
	ret = file_check(what, path, &st);
	if (ret) {
		close(fd);
		return ret;
	}
	fb->size = (size_t)st.st_size;
	fb->fd = fd;
	fb->what = what;
	fb->path = path;
	return 0;
}

int file_map(const char *what, const char *path, struct file_buf *fb)
{
	void *p;
	int ret, e;

	ret = file_open(what, path, fb);
	if (ret)
		return ret;
	p = mmap(NULL, fb->size, PROT_READ, MAP_PRIVATE, fb->fd, 0);
	e = errno;
	if (p == MAP_FAILED) {
		file_close(fb);
		return err_set(e, "cannot map %s '%s': %s", what, path,
			       strerror(e));
	}
	fb->data = p;
	return 0;
}

int file_read(const struct file_buf *fb, uint64_t off, void *dst, size_t len)
{
	uint8_t *p = dst;
	size_t done = 0;

	if (off > fb->size || len > fb->size - off)
		return err_set(EIO, "cannot read %s '%s': %zu bytes at 0x%llx "
			       "lie beyond its end (%zu bytes)", fb->what,
			       fb->path, len, (unsigned long long)off,
			       fb->size);
	while (done < len) {
		ssize_t n = pread(fb->fd, p + done, len - done,
				  (off_t)(off + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return err_set(n ? errno : EIO, "cannot read %s '%s': %s",
				       fb->what, fb->path,
				       n ? strerror(errno) : "file shrank");
		done += (size_t)n;
	}
	return 0;
}

/*
 * Reading straight into guest RAM, rather than copying from the mapping,
 * keeps the file's pages out of armz's own resident set.
 */
int file_copy(const struct file_buf *fb, void *dst)
{
	return file_read(fb, 0, dst, fb->size);
}

void file_close(struct file_buf *fb)
{
	if (fb->data)
		munmap(fb->data, fb->size);
	if (fb->fd >= 0)
		close(fb->fd);
	fb->data = NULL;
	fb->size = 0;
	fb->fd = -1;
}

void file_unmap(struct file_buf *fb)
{
	if (fb->data)
		file_close(fb);
	fb->data = NULL;
	fb->size = 0;
}
