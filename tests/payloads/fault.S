/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Reads from a hole in the memory map: armz must report the address and
 * the PC and exit with its guest-fault status.
 */
#include "payload.h"

#define HOLE	0x00001230

	.text
	.global _start
_start:
	puts	msg
	ldr	x1, =HOLE
	ldr	w0, [x1]
	puts	survived
	test_exit 6

	.section .rodata
msg:	.asciz	"payload: reading unmapped memory\n"
survived: .asciz "payload: the read of unmapped memory returned\n"
