/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_CLI_H
#define ARMZ_VMM_CLI_H

#include <stdio.h>

#include <armz/vmm.h>

int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_duration(const char *s, uint64_t *ms);
int cli_parse_run(int argc, char **argv, struct vm_config *cfg);
void cli_usage_run(FILE *f);
void cli_exit_statuses(FILE *f);

#endif
