/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_DEVICES_NET_BACKENDS_H
#define ARMZ_DEVICES_NET_BACKENDS_H

#include <armz/net-backend.h>

/*
 * The backends' own constructors, for net_backend_new() alone: nothing
 * outside devices/net-*.c chooses a backend by name.
 */
int net_slirp_new(const struct net_config *cfg, struct net_backend **out);
int net_tap_new(const struct net_config *cfg, int tap_fd, int vhost_fd,
		struct net_backend **out);

#endif
