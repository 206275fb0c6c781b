/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_UTIL_H
#define ARMZ_UTIL_H

#include <stddef.h>

/* Number of elements of an array (not a pointer). */
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))

/*
 * The struct that embeds member at ptr: how a device gets from the
 * struct virtio_device the transport hands it back to its own state.
 */
#define container_of(ptr, type, member)					\
	((type *)(void *)((char *)(ptr) - offsetof(type, member)))

#endif
