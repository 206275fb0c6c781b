/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Shared pieces of the bare-metal test payloads: they run at EL1 with the
 * MMU off, straight from armz's loader, with x0 holding the DTB address.
 */
#include <armz/memmap.h>

#define PSCI_SYSTEM_OFF		0x84000008

/* Print the NUL-terminated string at label over the UART; clobbers x9-x11. */
.macro puts label
	ldr	x9, =MEMMAP_UART_BASE
	adr	x10, \label
1:	ldrb	w11, [x10], #1
	cbz	w11, 2f
	strb	w11, [x9]
	b	1b
2:
.endm

/* End the run with an exit status through the test-exit register. */
.macro test_exit status
	ldr	x9, =MEMMAP_TEST_EXIT_BASE
	mov	w10, #\status
	str	w10, [x9]
3:	wfi
	b	3b
.endm
