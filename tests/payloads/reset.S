/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Resets the machine through PSCI SYSTEM_RESET as soon as it runs, after
 * checking that x0 points at a device tree: a kernel that never gets as
 * far as userspace, for armz's boot-loop check. Booted as a raw kernel
 * (--kernel --kernel-format raw), it runs on a machine with PSCI.
 */
#include "payload.h"

#define PSCI_SYSTEM_RESET	0x84000009

	.text
	.global _start
_start:
	mov	x19, x0
	/* The DTB magic 0xd00dfeed is big-endian: LE load gives 0xedfe0dd0. */
	ldr	w1, [x19]
	ldr	w2, =0xedfe0dd0
	cmp	w1, w2
	b.ne	no_dtb
	puts	msg
	ldr	w0, =PSCI_SYSTEM_RESET
	hvc	#0
	/* Still here: SYSTEM_RESET was refused. */
	puts	refused
	test_exit 5
no_dtb:
	puts	nodtb
	test_exit 3

	.section .rodata
msg:	.asciz	"payload: resetting\n"
refused: .asciz	"payload: PSCI SYSTEM_RESET returned\n"
nodtb:	.asciz	"payload: x0 does not point at a device tree\n"
