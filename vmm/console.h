/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_CONSOLE_H
#define ARMZ_VMM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The host side of the guest's consoles: the terminal (raw mode, the
 * Ctrl-A x escape), where the guest's output goes (stdout, stderr, the
 * --console-log file), and the input thread that feeds the guest. It
 * knows no machine: it writes bytes, reads stdin into a console_input,
 * and asks for a stop through a callback.
 */

/* Where the kernel's console output goes besides the log. */
enum console_out {
	CONSOLE_TO_STDOUT,	/* a plain boot: the console is ours */
	CONSOLE_TO_STDERR,	/* run-a-command mode with --verbose */
	CONSOLE_TO_LOG,		/* run-a-command mode: stdout is the command's */
};

/* Opens the log (may be NULL) and says where console_write() goes. */
int console_open(const char *log_path, enum console_out out);
void console_close(void);

/*
 * While cut (the machine is stopping), output that finds its reader
 * full is dropped instead of waited for; any thread may cut, main lets
 * the next boot's output flow again.
 */
void console_cut(bool cut);

/*
 * Output writers, all of the console_out_fn shape (0 or -errno):
 * console_write() takes the kernel's console (the UART, or hvc0), one
 * caller at a time; the other two are a command's stdout and stderr.
 */
typedef int (*console_out_fn)(void *ctx, const uint8_t *buf, size_t len);
int console_write(void *ctx, const uint8_t *buf, size_t len);
int console_write_stdout(void *ctx, const uint8_t *buf, size_t len);
int console_write_stderr(void *ctx, const uint8_t *buf, size_t len);

/*
 * Where the host's input goes (the UART, or hvc0): receive() takes what
 * fits, room() says whether it would take a byte now, and set_notify()
 * arranges a call once there is room again (see uart.h).
 */
struct console_input {
	size_t (*receive)(void *dev, const uint8_t *buf, size_t len);
	bool (*room)(void *dev);
	void (*set_notify)(void *dev, void (*notify)(void *ctx), void *ctx);
	void *dev;
};

/*
 * Starts the input thread, which feeds stdin to in and counts the bytes
 * in *in_bytes; on the escape it calls stop(ctx). Nothing to do without
 * a stdin. console_stop() joins the thread.
 */
int console_start(const struct console_input *in, _Atomic uint64_t *in_bytes,
		  void (*stop)(void *ctx), void *ctx);
void console_stop(void);

/* Raw mode for a terminal stdin, undone on every way out. */
int term_raw_enter(void);
void term_raw_leave(void);

#endif
