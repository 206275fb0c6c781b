/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_ERR_H
#define ARMZ_ERR_H

/*
 * Library code never exits: it returns a negative errno and leaves one line
 * saying what failed and why. Only main() turns that into a message and an
 * exit status. The line is per thread, so vCPU and device threads do not
 * overwrite each other's reasons.
 */

int err_set(int errnum, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
const char *err_msg(void);
void err_clear(void);

#endif
