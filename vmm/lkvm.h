/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_LKVM_H
#define ARMZ_VMM_LKVM_H

#include <stdbool.h>
#include <stdio.h>

#include <armz/vmm.h>

/*
 * kvmtool's command line, spoken when armz is started as lkvm, lkvm-static
 * or vm (the links `make install` makes): a translator into the same
 * struct vm_config that `armz run` fills, so both dialects share the
 * machine. It exists for tools written against kvmtool, kvm-unit-tests'
 * runner first:
 *
 *	lkvm run --kernel T.flat --cpus N --params "..." --nodefaults \
 *		--network mode=none --loglevel=warning [--pmu] \
 *		[--irqchip=gicv3-its] --initrd ENVFILE
 *
 * An option of kvmtool's that armz does not have is refused with one line
 * that names it; nothing is silently dropped but the log and debug
 * switches, which change no guest-visible behaviour.
 */

enum lkvm_cmd {
	LKVM_HELP,		/* lkvm, lkvm --help, lkvm help */
	LKVM_RUN,
	LKVM_RUN_HELP,		/* lkvm run --help */
	LKVM_LIST,
	LKVM_STOP,
	LKVM_PAUSE,
	LKVM_RESUME,
	LKVM_VERSION,
};

struct lkvm_args {
	enum lkvm_cmd cmd;
	const char *name;	/* stop, pause, resume: --name NAME */
};

/* Whether argv[0] asks for kvmtool's command line: lkvm, lkvm-static, vm. */
bool lkvm_dialect(const char *argv0);

/*
 * argv[0] is the program, argv[1] the command. Fills cfg for run. Returns
 * 0, or -EINVAL for a usage error, err_msg() naming the option and why.
 * Pointers in cfg point into argv.
 */
int lkvm_parse(int argc, char **argv, struct vm_config *cfg,
	       struct lkvm_args *args);

/*
 * kvmtool loads whatever --kernel names: an arm64 Image where it has the
 * header, a bare binary otherwise. cfg->kernel_format from the file's
 * first bytes: AUTO for an Image in any form armz knows, RAW else. A file
 * that cannot be opened is an error in kvmtool's words, "Fatal: Unable
 * to open kernel PATH", which tools match (kvm-unit-tests probes with a
 * kernel that does not exist and skips every test without that line).
 */
int lkvm_pick_kernel_format(struct vm_config *cfg);

/* The commands; kvm-unit-tests finds kvmtool by its first lines. */
void lkvm_usage(FILE *f);
void lkvm_usage_run(FILE *f);

#endif
