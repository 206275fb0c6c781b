/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Something for gdb to work on (tests/e2e, the gdb_payload cases): a
 * loop that calls tick(), which counts in `counter` and copies the
 * count to `watched` every 16th time, until a debugger sets `command`:
 *
 *   1  say whether x20 holds 0x5a5a (a register gdb wrote) and whether
 *      `crossing`, which spans a page boundary, holds what gdb wrote
 *      there; then exit with the status in `exit_code`
 *   2  PSCI SYSTEM_RESET: armz boots the payload again
 *
 * Its .elf has the symbols gdb breaks on and reads.
 */
#include "payload.h"

#define PSCI_SYSTEM_RESET	0x84000009

	.text
	.global _start
_start:
	puts	hello
	mov	x20, #0
loop:
	bl	tick
	ldr	x1, =command
	ldr	w2, [x1]
	cmp	w2, #1
	b.eq	finish
	cmp	w2, #2
	b.eq	reset
	b	loop

finish:
	mov	x1, #0x5a5a
	cmp	x20, x1
	b.ne	check_crossing
	puts	reg_ok
check_crossing:
	ldr	x1, =crossing
	ldr	x2, [x1, #4]
	ldr	x3, =0x1122334455667788
	cmp	x2, x3
	b.ne	done
	puts	mem_ok
done:
	ldr	x9, =MEMMAP_TEST_EXIT_BASE
	ldr	x1, =exit_code
	ldr	w10, [x1]
	str	w10, [x9]
halt:	wfi
	b	halt

reset:
	puts	resetting
	ldr	w0, =PSCI_SYSTEM_RESET
	hvc	#0
	test_exit 6

	.global	tick
	.type	tick, %function
tick:
	ldr	x0, =counter
	ldr	x1, [x0]
	add	x1, x1, #1
	str	x1, [x0]
	tst	x1, #0xf
	b.ne	tick_done
	ldr	x0, =watched
	str	x1, [x0]
tick_done:
	ret
	.size	tick, . - tick

	.data
	.balign	8
	.global	counter, watched, command, exit_code, crossing
	.type	counter, %object
counter:	.quad	0
	.size	counter, 8
	.type	watched, %object
watched:	.quad	0
	.size	watched, 8
	.type	command, %object
command:	.word	0
	.size	command, 4
	.type	exit_code, %object
exit_code:	.word	3
	.size	exit_code, 4
	/* 16 bytes, 8 on each side of a page boundary. */
	.balign	4096
	.skip	4096 - 8
	.type	crossing, %object
crossing:	.quad	0, 0
	.size	crossing, 16

	.section .rodata
hello:		.asciz	"payload-gdb: running\n"
reg_ok:		.asciz	"payload-gdb: x20 is 0x5a5a\n"
mem_ok:		.asciz	"payload-gdb: crossing holds 0x1122334455667788\n"
resetting:	.asciz	"payload-gdb: resetting\n"
