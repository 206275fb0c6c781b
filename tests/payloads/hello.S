/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Says hello, proves it was handed a device tree and can find the
 * test-exit device by its ID register, then exits with status 42.
 */
#include "payload.h"

	.text
	.global _start
_start:
	mov	x19, x0
	puts	hello
	/* The DTB magic 0xd00dfeed is big-endian: LE load gives 0xedfe0dd0. */
	ldr	w1, [x19]
	ldr	w2, =0xedfe0dd0
	cmp	w1, w2
	b.ne	no_dtb
	ldr	x1, =MEMMAP_TEST_EXIT_BASE
	ldr	w1, [x1, #4]
	ldr	w2, =0x5a4d5241		/* "ARMZ" */
	cmp	w1, w2
	b.ne	no_id
	puts	bye
	test_exit 42
no_dtb:
	puts	nodtb
	test_exit 3
no_id:
	puts	noid
	test_exit 4

	.section .rodata
hello:	.asciz	"payload: hello from EL1\n"
bye:	.asciz	"payload: device tree and test-exit found\n"
nodtb:	.asciz	"payload: x0 does not point at a device tree\n"
noid:	.asciz	"payload: test-exit ID register is wrong\n"
