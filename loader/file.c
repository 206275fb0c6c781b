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

int file_map(const char *what, const char *path, struct file_buf *fb)
{
	struct stat st;
	void *p;
	int fd, ret, e;

	fb->data = NULL;
	fb->size = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
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
	p = mmap(NULL, (size_t)st.st_size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	if (p == MAP_FAILED) {
		close(fd);
		return err_set(e, "cannot map %s '%s': %s", what, path,
			       strerror(e));
	}
	fb->data = p;
	fb->size = (size_t)st.st_size;
	fb->fd = fd;
	fb->what = what;
	fb->path = path;
	return 0;
}

/*
 * Reading straight into guest RAM, rather than copying from the mapping,
 * keeps the file's pages out of armz's own resident set.
 */
int file_copy(const struct file_buf *fb, void *dst)
{
	uint8_t *p = dst;
	size_t done = 0;

	while (done < fb->size) {
		ssize_t n = pread(fb->fd, p + done, fb->size - done,
				  (off_t)done);

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

void file_unmap(struct file_buf *fb)
{
	if (fb->data) {
		munmap(fb->data, fb->size);
		close(fb->fd);
	}
	fb->data = NULL;
	fb->size = 0;
}
