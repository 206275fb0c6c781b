// SPDX-License-Identifier: GPL-2.0
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include <armz/err.h>

static __thread char err_line[512];

int err_set(int errnum, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err_line, sizeof(err_line), fmt, ap);
	va_end(ap);
	return errnum > 0 ? -errnum : (errnum ? errnum : -EIO);
}

const char *err_msg(void)
{
	return err_line[0] ? err_line : "unknown error";
}

void err_clear(void)
{
	err_line[0] = '\0';
}
