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

#endif
