/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_BOOTARGS_H
#define ARMZ_VMM_BOOTARGS_H

#include <armz/vmm.h>

/*
 * The guest's command line (/chosen/bootargs), malloc()ed, or NULL when
 * out of memory:
 *
 *	[quiet] [panic=-1] USER [console=ttyS0 earlycon=...] [-- INIT ARGS]
 *
 * quiet and panic=-1 in run-a-command mode (quiet not with --verbose);
 * the console unless the user names a console= (hvc0 with --console
 * virtio); what follows the user's "--" stays last, it is init's.
 */
char *bootargs_make(const struct vm_config *cfg);

#endif
