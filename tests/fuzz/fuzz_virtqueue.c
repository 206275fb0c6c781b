// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a guest's RAM with split rings in it,
 * laid out however the fuzzer likes. armz pops and pushes every chain it
 * will accept; ASan catches any access outside the RAM buffer.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <armz/guest-mem.h>
#include <armz/le.h>
#include <armz/virtqueue.h>

#define RAM_SIZE	(64 << 10)
#define RAM_GPA		0x40000000ULL

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct virtq_chain chain;
	struct guest_mem mem;
	struct virtq vq;
	uint8_t *ram;
	uint64_t features;
	unsigned int num;
	uint8_t scratch[512];

	if (size < 16)
		return 0;
	/* A header picks the queue; the rest of the input is RAM. */
	num = 1u << (data[0] % 9);
	features = (uint64_t)(data[1] & 3) << 28;
	ram = calloc(1, RAM_SIZE);
	if (!ram)
		return 0;
	memcpy(ram, data + 16, size - 16 < RAM_SIZE ? size - 16 : RAM_SIZE);
	mem = (struct guest_mem){ .gpa = RAM_GPA, .size = RAM_SIZE, .host = ram };
	if (virtq_init(&vq, &mem, num, RAM_GPA + le16_read(data + 2),
		       RAM_GPA + le16_read(data + 4),
		       RAM_GPA + le16_read(data + 6), features) == 0) {
		for (int i = 0; i < 4 * VIRTQ_NUM_MAX; i++) {
			if (virtq_pop(&vq, &chain) <= 0)
				break;
			virtq_chain_read(&chain, data[8], scratch,
					 sizeof(scratch));
			virtq_chain_write(&chain, data[9], scratch,
					  sizeof(scratch));
			virtq_push(&vq, chain.head, (uint32_t)chain.write_len);
			virtq_should_notify(&vq);
		}
		virtq_enable_notify(&vq);
	}
	free(ram);
	return 0;
}
