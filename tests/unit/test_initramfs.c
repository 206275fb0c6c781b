// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <armz/command.h>
#include <armz/err.h>
#include <armz/initramfs.h>
#include <armz/kernel.h>
#include <armz/modules.h>
#include <armz/unpack.h>
#include <armz/util.h>

#include "unit.h"

/* One field of a newc header: 8 hex digits at field index i. */
static unsigned long hdr_field(const uint8_t *h, unsigned int i)
{
	char hex[9];

	memcpy(hex, h + 6 + 8 * i, 8);
	hex[8] = '\0';
	return strtoul(hex, NULL, 16);
}

static size_t pad4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

static void test_cpio_layout(void)
{
	struct cpio c = { 0 };
	const uint8_t *p;
	size_t off, namesize, filesize;

	CU_ASSERT_EQUAL(cpio_add_dir(&c, "armz", 0755), 0);
	CU_ASSERT_EQUAL(cpio_add_file(&c, "armz/cmd", 0644, "echo\0hi", 7), 0);
	CU_ASSERT_EQUAL(cpio_finish(&c), 0);
	CU_ASSERT_EQUAL(c.len % 4, 0);

	p = c.buf;
	CU_ASSERT_EQUAL(memcmp(p, "070701", 6), 0);
	CU_ASSERT_EQUAL(hdr_field(p, 1), S_IFDIR | 0755);
	namesize = hdr_field(p, 11);
	CU_ASSERT_EQUAL(namesize, 5);
	CU_ASSERT_STRING_EQUAL((const char *)p + 110, "armz");
	off = pad4(110 + namesize);

	p = c.buf + off;
	CU_ASSERT_EQUAL(memcmp(p, "070701", 6), 0);
	CU_ASSERT_EQUAL(hdr_field(p, 1), S_IFREG | 0644);
	filesize = hdr_field(p, 6);
	namesize = hdr_field(p, 11);
	CU_ASSERT_EQUAL(filesize, 7);
	CU_ASSERT_STRING_EQUAL((const char *)p + 110, "armz/cmd");
	off += pad4(110 + namesize);
	CU_ASSERT_EQUAL(memcmp(c.buf + off, "echo\0hi", 7), 0);
	off += pad4(filesize);

	CU_ASSERT_STRING_EQUAL((const char *)c.buf + off + 110, "TRAILER!!!");
	cpio_free(&c);
}

/* The host's cpio must read the archive back, names and bytes intact. */
static void test_cpio_host_tool(void)
{
	char dir[] = "/tmp/armz-cpio-XXXXXX", cmd[256], buf[64];
	struct cpio c = { 0 };
	FILE *f;

	if (system("command -v cpio >/dev/null 2>&1") != 0 &&
	    UNIT_ENV_MISSING("no cpio in PATH: the archive is not read back"))
		return;
	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	CU_ASSERT_EQUAL(cpio_add_dir(&c, "d", 0700), 0);
	CU_ASSERT_EQUAL(cpio_add_file(&c, "d/f", 0600, "payload", 7), 0);
	CU_ASSERT_EQUAL(cpio_finish(&c), 0);
	snprintf(cmd, sizeof(cmd), "cd %s && cpio -idm --quiet", dir);
	f = popen(cmd, "w");
	CU_ASSERT_FATAL(f != NULL);
	CU_ASSERT_EQUAL(fwrite(c.buf, 1, c.len, f), c.len);
	CU_ASSERT_EQUAL(pclose(f), 0);
	snprintf(cmd, sizeof(cmd), "%s/d/f", dir);
	f = fopen(cmd, "r");
	CU_ASSERT_FATAL(f != NULL);
	memset(buf, 0, sizeof(buf));
	CU_ASSERT_EQUAL(fread(buf, 1, sizeof(buf), f), 7);
	CU_ASSERT_STRING_EQUAL(buf, "payload");
	fclose(f);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	CU_ASSERT_EQUAL(system(cmd), 0);
	cpio_free(&c);
}

static void test_kernel_release(void)
{
	static const char image[] = "\x01\x02junk Linux version "
		"6.12.117+deb12-arm64 (debian-kernel@lists) #1 SMP";
	char rel[64];

	CU_ASSERT_EQUAL(image_kernel_release(image, sizeof(image), rel,
					     sizeof(rel)), 0);
	CU_ASSERT_STRING_EQUAL(rel, "6.12.117+deb12-arm64");
	CU_ASSERT_EQUAL(image_kernel_release("no banner", 9, rel, sizeof(rel)),
			-ENOENT);
	/* A release longer than the buffer is refused, not cut. */
	CU_ASSERT_EQUAL(image_kernel_release(image, sizeof(image), rel, 8),
			-ENOENT);
}

/* A release is a path component of lib/modules/: nothing that leaves it. */
static void test_kernel_release_path(void)
{
	static const char *const bad[] = {
		"Linux version ../../etc #1", "Linux version .. #1",
		"Linux version . #1", "Linux version 6.1/../x #1",
	};
	static const char good[] = "Linux version 6.1..rc1 #1";
	char rel[64];
	size_t i;

	for (i = 0; i < ARRAY_SIZE(bad); i++)
		CU_ASSERT_EQUAL(image_kernel_release(bad[i], strlen(bad[i]),
						     rel, sizeof(rel)), -ENOENT);
	CU_ASSERT_EQUAL(image_kernel_release(good, strlen(good), rel,
					     sizeof(rel)), 0);
	CU_ASSERT_STRING_EQUAL(rel, "6.1..rc1");
}

static void test_modules_resolve(void)
{
	char dir[] = "/tmp/armz-mod-XXXXXX", path[128];
	char **mods = NULL;
	unsigned int n = 0;
	const char *want[] = { "9p", "virtio-mmio", "overlay", "not_there",
			       "9pnet" };
	FILE *f;

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	f = fopen(path, "w");
	CU_ASSERT_FATAL(f != NULL);
	fputs("kernel/fs/9p/9p.ko.xz: kernel/net/9p/9pnet.ko.xz "
	      "kernel/fs/netfs/netfs.ko.xz\n"
	      "kernel/net/9p/9pnet.ko.xz:\n"
	      "kernel/fs/netfs/netfs.ko.xz:\n"
	      "kernel/drivers/virtio/virtio_mmio.ko.xz:\n"
	      "kernel/fs/overlayfs/overlay.ko.xz:\n", f);
	fclose(f);

	CU_ASSERT_EQUAL_FATAL(modules_resolve(dir, want, 5, &mods, &n), 0);
	CU_ASSERT_EQUAL_FATAL(n, 5);
	CU_ASSERT_STRING_EQUAL(mods[0], "kernel/net/9p/9pnet.ko.xz");
	CU_ASSERT_STRING_EQUAL(mods[1], "kernel/fs/netfs/netfs.ko.xz");
	CU_ASSERT_STRING_EQUAL(mods[2], "kernel/fs/9p/9p.ko.xz");
	CU_ASSERT_STRING_EQUAL(mods[3],
			       "kernel/drivers/virtio/virtio_mmio.ko.xz");
	CU_ASSERT_STRING_EQUAL(mods[4], "kernel/fs/overlayfs/overlay.ko.xz");
	modules_free(mods, n);
	unlink(path);

	CU_ASSERT_EQUAL(modules_resolve(dir, want, 1, &mods, &n), -ENOENT);
	rmdir(dir);
}

static enum command_init_kind init_line(const char *line, const char **text,
				       size_t *len)
{
	*text = NULL;
	*len = 0;
	return command_init_line(line, strlen(line), text, len);
}

/* The host's reading of armz-init's lines (include/armz/command.h). */
static void test_init_lines(void)
{
	static const char msg[] = "armz-init: cannot load module 9p "
		"(/armz/mod/04-9p.ko): Unknown symbol in module (errno 2)";
	char line[256];
	const char *text;
	size_t len;

	snprintf(line, sizeof(line), "[    2.417532] %s\r", msg);
	CU_ASSERT_EQUAL(init_line(line, &text, &len), COMMAND_INIT_MESSAGE);
	CU_ASSERT_EQUAL(len, strlen(msg));
	CU_ASSERT_PTR_EQUAL(text, line + 15);
	CU_ASSERT_EQUAL(memcmp(text, msg, len), 0);

	/* Undecorated (hvc1, or a kernel without printk times). */
	CU_ASSERT_EQUAL(init_line(msg, &text, &len), COMMAND_INIT_MESSAGE);
	CU_ASSERT_PTR_EQUAL(text, msg);

	/* Time stamp and caller id; the markers. */
	CU_ASSERT_EQUAL(init_line("[    0.912000][    T1] armz-init: started",
				  &text, &len), COMMAND_INIT_MARK_STARTED);
	CU_ASSERT_PTR_NULL(text);
	CU_ASSERT_EQUAL(init_line("[ 1.0] armz-init: reporting on hvc1\r",
				  &text, &len), COMMAND_INIT_MARK_HVC1);
	/* A marker's text with more after it is a message. */
	CU_ASSERT_EQUAL(init_line("armz-init: started twice", &text, &len),
			COMMAND_INIT_MESSAGE);

	/* Not armz-init's. */
	CU_ASSERT_EQUAL(init_line("[    1.1] Run /init as init process", &text,
				  &len), COMMAND_INIT_NONE);
	CU_ASSERT_EQUAL(init_line("armz-init:no space", &text, &len),
			COMMAND_INIT_NONE);
	CU_ASSERT_EQUAL(init_line("x armz-init: later in the line", &text,
				  &len), COMMAND_INIT_NONE);
	CU_ASSERT_EQUAL(init_line("[    2.4 armz-init: unclosed", &text,
				  &len), COMMAND_INIT_NONE);
	CU_ASSERT_EQUAL(init_line("", &text, &len), COMMAND_INIT_NONE);
	CU_ASSERT_EQUAL(init_line("armz-init", &text, &len),
			COMMAND_INIT_NONE);
}

static int fifo_pack(const char *path)
{
	struct cpio c = { 0 };
	int r = cpio_add_host_file(&c, "init", 0755, "armz-init", path);

	cpio_free(&c);
	return r;
}

static int fifo_module(const char *path)
{
	void *data = NULL;
	size_t len;

	return unpack_read_file("kernel module", path, 1 << 20, &data, &len);
}

static int fifo_kernel(const char *path)
{
	struct kernel *k;

	return kernel_open(path, KERNEL_FORMAT_AUTO, &k);
}

/* The kernel's config, and modules.dep in the directory of path. */
static int fifo_config(const char *path)
{
	struct kconfig *c = NULL;
	int r = kconfig_read(path, &c);

	kconfig_free(c);
	return r;
}

static int fifo_moddep(const char *path)
{
	static const char *const want[] = { "9p" };
	char dir[64], **paths = NULL;
	unsigned int n = 0;
	int r;

	snprintf(dir, sizeof(dir), "%.*s", (int)(strrchr(path, '/') - path),
		 path);
	r = modules_resolve(dir, want, 1, &paths, &n);
	modules_free(paths, n);
	return r;
}

/*
 * fn(path) in a child given 2 s: 0 when it gave -EINVAL (naming the file
 * as no regular file, when named), 1 for anything else, -1 when it had
 * to be stopped.
 */
static int fifo_refused_as(int (*fn)(const char *), const char *path,
			   bool named)
{
	pid_t pid = fork();
	int st;

	if (!pid) {
		alarm(2);
		_exit(fn(path) == -EINVAL && (!named ||
		      strstr(err_msg(), "is not a regular file")) ? 0 : 1);
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return 1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int fifo_refused(int (*fn)(const char *), const char *path)
{
	return fifo_refused_as(fn, path, true);
}

/*
 * A FIFO where a file should be (ARMZ_INIT, a module, the kernel, its
 * config, modules.dep) is refused at once: opening one waits for a
 * writer that never comes.
 */
static void test_fifo_refused(void)
{
	char dir[] = "/tmp/armz-fifo-XXXXXX", path[64];

	CU_ASSERT_FATAL(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0644) == 0);
	CU_ASSERT_EQUAL(fifo_refused(fifo_pack, path), 0);
	CU_ASSERT_EQUAL(fifo_refused(fifo_module, path), 0);
	CU_ASSERT_EQUAL(fifo_refused(fifo_kernel, path), 0);
	CU_ASSERT_EQUAL(fifo_refused_as(fifo_config, path, false), 0);
	unlink(path);
	snprintf(path, sizeof(path), "%s/modules.dep", dir);
	CU_ASSERT_FATAL(mkfifo(path, 0644) == 0);
	CU_ASSERT_EQUAL(fifo_refused_as(fifo_moddep, path, false), 0);
	unlink(path);
	rmdir(dir);
}

static const CU_TestInfo initramfs_tests[] = {
	{ "cpio layout", test_cpio_layout },
	{ "cpio read by the host's cpio", test_cpio_host_tool },
	{ "kernel release from the banner", test_kernel_release },
	{ "a release that is not one path component", test_kernel_release_path },
	{ "modules and their dependencies", test_modules_resolve },
	{ "armz-init's lines on the console", test_init_lines },
	{ "a FIFO is no file to read", test_fifo_refused },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(initramfs, initramfs_tests)
