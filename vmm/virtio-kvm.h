/* SPDX-License-Identifier: GPL-2.0 */
#ifndef ARMZ_VMM_VIRTIO_KVM_H
#define ARMZ_VMM_VIRTIO_KVM_H

#include <armz/bus.h>
#include <armz/guest-mem.h>
#include "kvm.h"

struct virtio_device;

/*
 * Puts dev on the bus behind a virtio-mmio transport in memory map slot
 * slot, wired to KVM: the queues' notify register through KVM_IOEVENTFD
 * to the device's kick eventfds, the interrupt through KVM_IRQFD (or
 * KVM_IRQ_LINE). The GIC must be initialised. Takes ownership of dev,
 * also on failure; the bus frees it.
 */
int virtio_kvm_add(struct kvm *kvm, const struct guest_mem *mem,
		   struct mmio_bus *bus, unsigned int slot,
		   struct virtio_device *dev);

#endif
