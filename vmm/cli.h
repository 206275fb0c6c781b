/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_CLI_H
#define ARMZ_VMM_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <armz/vmm.h>

/*
 * One option of `armz run`: a row of cli_options[]. How its value is kept
 * is one of: set() (parse and check), str (a const char * field of
 * vm_config), flag (a bool field); count makes it repeatable, up to max.
 * Field offsets are stored plus one, so 0 means "none".
 */
struct cli_option {
	const char *name;		/* --name */
	char short_name;		/* -n, or 0 */
	const char *arg;		/* the argument in the help; NULL: none */
	const char *help;		/* lines separated by '\n' */
	int (*set)(struct vm_config *cfg, const char *arg);
	size_t str, flag, count;
	unsigned int max;
	/* Why it cannot be used in a mode; NULL where it can. */
	const char *not_linux;		/* a plain boot */
	const char *not_payload;	/* --payload */
	const char *not_command;	/* -- CMD */
};

/* Ends with a row whose name is NULL. */
extern const struct cli_option cli_options[];

int cli_parse_size(const char *s, uint64_t *out);
int cli_parse_duration(const char *s, uint64_t *ms);
int cli_parse_u64(const char *s, uint64_t *out);
/* --cpus N into cfg, 1 to MEMMAP_MAX_CPUS; both command lines use it. */
int cli_set_cpus(struct vm_config *cfg, const char *arg);
/*
 * argv starts after "run". Returns 0, 1 when help was asked for, or a
 * negative errno for a usage error (err_msg() says which option and why).
 */
int cli_parse_run(int argc, char **argv, struct vm_config *cfg);
void cli_usage_run(FILE *f);
void cli_exit_statuses(FILE *f);

#endif
