/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_COMMAND_H
#define ARMZ_VMM_COMMAND_H

#include <stdbool.h>

#include <armz/initramfs.h>
#include <armz/vmm.h>

/*
 * Run-a-command mode: the initramfs with armz-init, the modules it needs,
 * and the command with its directory and environment (include/armz/
 * command.h says what armz-init reads). Built once per run, before the
 * first boot, in two steps.
 *
 * command_plan() finds armz-init and what the kernel has and needs
 * (loader's modules_plan_new(): its release, where its config and modules
 * came from, config_from NULL when nothing could be checked, and whether
 * it can mount virtiofs). It touches neither KVM nor the guest's root:
 * what is missing of armz's own installation is said first. The caller
 * frees the plan with modules_plan_free().
 */
struct modules_plan;
int command_plan(const struct vm_config *cfg, struct modules_plan **plan);

/* Then the initramfs, the root going over virtiofs or over 9p. */
int command_build_initrd(const struct vm_config *cfg,
			 const struct modules_plan *plan, bool virtiofs_root,
			 struct cpio *out);

#endif
