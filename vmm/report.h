/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_REPORT_H
#define ARMZ_VMM_REPORT_H

#include <stdio.h>

/*
 * The run report: JSON for --report at exit and for `armz status` while
 * the guest runs, from the machine's state and the run's stats.
 */
struct machine;

void report_write(FILE *f, const struct machine *m, const char *name);
int report_save(const char *path, const struct machine *m, const char *name);

#endif
