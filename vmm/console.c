// SPDX-License-Identifier: GPL-2.0
/*
 * The guest console on the host's terminal: guest output to stdout, stdin
 * to the guest. Input runs in its own thread that waits for room in the
 * UART rather than dropping bytes. When stdin is a terminal it is put in
 * raw mode and Ctrl-A x ends the VM; raw mode is undone on every way out.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <termios.h>
#include <unistd.h>

#include <armz/err.h>
#include <armz/thread.h>
#include "console.h"

#define CONSOLE_ESCAPE 0x01	/* Ctrl-A */

/*
 * Output waits for a slow reader (back-pressure: the guest's output is
 * never dropped while armz runs), but not once the machine is stopping:
 * then cut_fd is readable, and a writer that finds its descriptor full
 * drops what is left instead of waiting. A reader that stopped reading
 * cannot keep `armz stop` from ending armz.
 */
#define CONSOLE_WRITE_MAX	4096	/* PIPE_BUF: a pipe takes it all */

static struct {
	int log_fd;
	int cut_fd;
	enum console_out out;
	const struct console_input *in;
	_Atomic uint64_t *in_bytes;
	void (*stop)(void *ctx);
	void *stop_ctx;
	pthread_t thread;
	bool running;
	int stop_fd;
	int room_fd;
	bool escape;		/* the last byte was the escape */
} console = {
	.log_fd = -1,
	.cut_fd = -1,
	.stop_fd = -1,
	.room_fd = -1,
};

static struct termios term_saved;
static volatile sig_atomic_t term_is_raw;

void term_raw_leave(void)
{
	if (term_is_raw) {
		tcsetattr(STDIN_FILENO, TCSADRAIN, &term_saved);
		term_is_raw = 0;
	}
}

static void term_fatal_signal(int sig)
{
	term_raw_leave();
	signal(sig, SIG_DFL);
	raise(sig);
}

int term_raw_enter(void)
{
	static const int fatal[] = { SIGSEGV, SIGBUS, SIGABRT, SIGFPE, SIGILL };
	struct termios raw;

	if (!isatty(STDIN_FILENO) || tcgetattr(STDIN_FILENO, &term_saved))
		return 0;
	raw = term_saved;
	cfmakeraw(&raw);
	/* Keep output post-processing: the guest's \n still needs no \r. */
	raw.c_oflag |= OPOST;
	if (tcsetattr(STDIN_FILENO, TCSADRAIN, &raw))
		return err_set(errno, "cannot put the terminal in raw mode: %s",
			       strerror(errno));
	term_is_raw = 1;
	atexit(term_raw_leave);
	for (size_t i = 0; i < sizeof(fatal) / sizeof(fatal[0]); i++)
		signal(fatal[i], term_fatal_signal);
	return 0;
}

int console_open(const char *log_path, enum console_out out)
{
	console.out = out;
	console.cut_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (console.cut_fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	if (!log_path)
		return 0;
	console.log_fd = open(log_path, O_WRONLY | O_CREAT | O_TRUNC |
			      O_APPEND | O_CLOEXEC, 0644);
	if (console.log_fd < 0)
		return err_set(errno, "cannot write console log '%s': %s",
			       log_path, strerror(errno));
	return 0;
}

void console_close(void)
{
	if (console.log_fd >= 0)
		close(console.log_fd);
	if (console.cut_fd >= 0)
		close(console.cut_fd);
	console.log_fd = console.cut_fd = -1;
}

void console_cut(bool cut)
{
	uint64_t v = 1;

	if (console.cut_fd < 0)
		return;
	if (cut)
		(void)!write(console.cut_fd, &v, sizeof(v));
	else
		(void)!read(console.cut_fd, &v, sizeof(v));
}

/*
 * Waits until fd takes bytes, then writes at most CONSOLE_WRITE_MAX:
 * a blocking pipe that polled writable takes that much without blocking
 * again. -ECANCELED when the console is cut and fd is still full.
 */
static int write_all(int fd, const uint8_t *buf, size_t len)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLOUT },
		{ .fd = console.cut_fd, .events = POLLIN },
	};

	while (len) {
		ssize_t n;

		if (poll(p, console.cut_fd >= 0 ? 2 : 1, -1) < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!(p[0].revents &
		      (POLLOUT | POLLERR | POLLHUP | POLLNVAL))) {
			if (p[1].revents & POLLIN)
				return -ECANCELED;
			continue;
		}
		n = write(fd, buf, len < CONSOLE_WRITE_MAX ? len :
						      CONSOLE_WRITE_MAX);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

/*
 * The kernel's console: to stdout (a stdout that is gone drops output,
 * like a cut serial wire), or in run-a-command mode, where stdout belongs
 * to the command, only to the log (or to stderr with --verbose); and to
 * the log. The machine serialises its callers.
 */
int console_write(void *ctx, const uint8_t *buf, size_t len)
{
	int r = 0;

	if (console.out == CONSOLE_TO_STDOUT)
		r = write_all(STDOUT_FILENO, buf, len);
	else if (console.out == CONSOLE_TO_STDERR)
		r = write_all(STDERR_FILENO, buf, len);
	if (console.log_fd >= 0)
		write_all(console.log_fd, buf, len);
	return r;
}

/* The command's own stdout and stderr (hvc0 and hvc1). */
int console_write_stdout(void *ctx, const uint8_t *buf, size_t len)
{
	return write_all(STDOUT_FILENO, buf, len);
}

int console_write_stderr(void *ctx, const uint8_t *buf, size_t len)
{
	return write_all(STDERR_FILENO, buf, len);
}

static void console_room(void *ctx)
{
	uint64_t one = 1;

	if (write(console.room_fd, &one, sizeof(one)) < 0)
		return;		/* the counter is already non-zero */
}

/* Waits for fd or the stop request; false when it is time to stop. */
static bool console_wait(int fd)
{
	struct pollfd p[2] = {
		{ .fd = fd, .events = POLLIN },
		{ .fd = console.stop_fd, .events = POLLIN },
	};
	uint64_t v;

	while (poll(p, 2, -1) < 0)
		if (errno != EINTR)
			return false;
	if (p[1].revents)
		return false;
	/* Consume the wakeup; an empty counter (EAGAIN) is fine too. */
	if (fd == console.room_fd)
		(void)!read(fd, &v, sizeof(v));
	return true;
}

/* Strips the escape sequence; returns false when the user asked to quit. */
static bool console_filter(uint8_t *buf, size_t *len)
{
	size_t out = 0;

	for (size_t i = 0; i < *len; i++) {
		if (console.escape) {
			console.escape = false;
			if (buf[i] == 'x' || buf[i] == 'X')
				return false;
			if (buf[i] != CONSOLE_ESCAPE)
				continue;
		} else if (buf[i] == CONSOLE_ESCAPE && term_is_raw) {
			console.escape = true;
			continue;
		}
		buf[out++] = buf[i];
	}
	*len = out;
	return true;
}

static void console_push(const uint8_t *buf, size_t len)
{
	const struct console_input *in = console.in;

	while (len) {
		size_t n = in->receive(in->dev, buf, len);

		buf += n;
		len -= n;
		if (len && !in->room(in->dev) && !console_wait(console.room_fd))
			return;
	}
}

static void *console_thread(void *arg)
{
	uint8_t buf[256];

	while (console_wait(STDIN_FILENO)) {
		ssize_t n = read(STDIN_FILENO, buf, sizeof(buf));
		size_t len;

		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			break;		/* EOF: the guest just gets no input */
		len = (size_t)n;
		if (!console_filter(buf, &len)) {
			console.stop(console.stop_ctx);
			break;
		}
		atomic_fetch_add_explicit(console.in_bytes, len,
					  memory_order_relaxed);
		console_push(buf, len);
	}
	return NULL;
}

int console_start(const struct console_input *in, _Atomic uint64_t *in_bytes,
		  void (*stop)(void *ctx), void *ctx)
{
	int r;

	/* No stdin at all (a CI job's closed descriptor) means no input. */
	if (fcntl(STDIN_FILENO, F_GETFD) < 0)
		return 0;
	console.in = in;
	console.in_bytes = in_bytes;
	console.stop = stop;
	console.stop_ctx = ctx;
	console.stop_fd = eventfd(0, EFD_CLOEXEC);
	console.room_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (console.stop_fd < 0 || console.room_fd < 0)
		return err_set(errno, "eventfd: %s", strerror(errno));
	in->set_notify(in->dev, console_room, NULL);
	r = thread_spawn(&console.thread, THREAD_CONSOLE, console_thread, NULL);
	if (r)
		return r;
	console.running = true;
	return 0;
}

void console_stop(void)
{
	uint64_t one = 1;

	if (console.running) {
		if (write(console.stop_fd, &one, sizeof(one)) < 0)
			abort();
		pthread_join(console.thread, NULL);
		console.running = false;
	}
	if (console.in)
		console.in->set_notify(console.in->dev, NULL, NULL);
	if (console.stop_fd >= 0)
		close(console.stop_fd);
	if (console.room_fd >= 0)
		close(console.room_fd);
	console.stop_fd = console.room_fd = -1;
	console.in = NULL;
}
