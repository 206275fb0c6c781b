/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_GUEST_MEM_H
#define ARMZ_GUEST_MEM_H

#include <stddef.h>
#include <stdint.h>

/* Guest RAM as devices and the loader see it: one contiguous range. */
struct guest_mem {
	uint64_t gpa;		/* guest physical address of the first byte */
	uint64_t size;
	uint8_t *host;
};

/*
 * The host address of [gpa, gpa + len) or NULL when any byte of it lies
 * outside RAM. Every guest-supplied address goes through here exactly once.
 */
static inline void *guest_mem_at(const struct guest_mem *mem, uint64_t gpa,
				 uint64_t len)
{
	uint64_t off;

	if (gpa < mem->gpa)
		return NULL;
	off = gpa - mem->gpa;
	if (off > mem->size || len > mem->size - off)
		return NULL;
	return mem->host + off;
}

static inline uint64_t guest_mem_end(const struct guest_mem *mem)
{
	return mem->gpa + mem->size;
}

#endif
