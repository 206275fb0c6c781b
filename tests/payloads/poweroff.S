/* SPDX-License-Identifier: GPL-2.0 */
/* Powers the machine off through PSCI SYSTEM_OFF: armz exits 0. */
#include "payload.h"

	.text
	.global _start
_start:
	puts	msg
	ldr	w0, =PSCI_SYSTEM_OFF
	hvc	#0
	/* Still here: SYSTEM_OFF was refused. */
	puts	refused
	test_exit 5

	.section .rodata
msg:	.asciz	"payload: powering off\n"
refused: .asciz	"payload: PSCI SYSTEM_OFF returned\n"
