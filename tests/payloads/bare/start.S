/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Entry of the bare test binary: a position-independent image entered at
 * its first byte at EL1, MMU off, with x0 = the device tree (as kvmtool
 * and armz's raw kernel format do). Every address is PC-relative (adr,
 * adrp), so the image runs wherever it was loaded.
 */
#define STACK_SIZE	0x4000
#define MAX_CPUS	8

	.section .text.start, "ax"
	.global _start
_start:
	mov	x19, x0
	/* Zero the bss: the loader does not know where it ends. */
	adrp	x1, bss_start
	add	x1, x1, :lo12:bss_start
	adrp	x2, bss_end
	add	x2, x2, :lo12:bss_end
1:	cmp	x1, x2
	b.hs	2f
	strb	wzr, [x1], #1
	b	1b
2:	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	sp, x1, #STACK_SIZE
	mov	x0, x19
	bl	bare_main
3:	wfi
	b	3b

/* PSCI CPU_ON lands here with x0 = the context id: the CPU's index. */
	.global secondary_entry
secondary_entry:
	cmp	x0, #MAX_CPUS
	b.hs	3b
	adrp	x1, stacks
	add	x1, x1, :lo12:stacks
	add	x2, x0, #1
	mov	x3, #STACK_SIZE
	madd	x1, x2, x3, x1
	mov	sp, x1
	bl	bare_secondary
	b	3b

	.bss
	.balign	16
stacks:
	.space	STACK_SIZE * (MAX_CPUS + 1)
