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
 * first boot.
 */
int command_build_initrd(const struct vm_config *cfg, bool virtiofs_root,
			 struct cpio *out);

/*
 * Whether the kernel can mount virtiofs: built in, or a module in the
 * root's /lib/modules/RELEASE; a kernel without that directory is
 * searched for the file system's name.
 */
bool command_kernel_has_virtiofs(const struct vm_config *cfg);

#endif
