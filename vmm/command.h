/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_COMMAND_H
#define ARMZ_VMM_COMMAND_H

#include <armz/initramfs.h>
#include <armz/vmm.h>

/*
 * Run-a-command mode: the initramfs with armz-init, the modules it needs,
 * and the command with its directory and environment (include/armz/
 * command.h says what armz-init reads). Built once per run, before the
 * first boot.
 */
int command_build_initrd(const struct vm_config *cfg, struct cpio *out);
/*
 * The same, also handing back (when plan is not NULL) what was found of
 * the kernel: its release, where its config and modules came from
 * (plan->config_from NULL: no config, nothing was checked) and the
 * modules packed. The caller frees it with modules_plan_free().
 */
struct modules_plan;
int command_build_initrd_plan(const struct vm_config *cfg, struct cpio *out,
			      struct modules_plan **plan);

#endif
