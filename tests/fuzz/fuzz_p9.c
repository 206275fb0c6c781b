// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the input is a stream of 9P messages from a hostile
 * guest against a read-only share of a small directory tree. Nothing may
 * crash, read outside a buffer, or write to the share.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <armz/le.h>
#include <armz/p9.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct p9_server *server;
static uint8_t resp[P9_MSIZE_MAX];

static void fuzz_setup(void)
{
	static char root[] = "/tmp/armz-fuzz-p9-XXXXXX";
	char path[128];
	FILE *f;

	if (!mkdtemp(root))
		abort();
	snprintf(path, sizeof(path), "%s/dir", root);
	mkdir(path, 0755);
	snprintf(path, sizeof(path), "%s/dir/file", root);
	f = fopen(path, "w");
	if (f) {
		fputs("hello", f);
		fclose(f);
	}
	snprintf(path, sizeof(path), "%s/escape", root);
	if (symlink("/etc", path))
		abort();
	if (p9_server_new(root, true, &server))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (!server)
		fuzz_setup();
	p9_server_reset(server);
	/* Messages back to back, each as long as its own size field says. */
	while (size >= P9_HDR_SIZE) {
		size_t len = le32_read(data);

		if (len < P9_HDR_SIZE || len > size)
			len = size;
		p9_handle(server, data, len, resp, sizeof(resp));
		data += len;
		size -= len;
	}
	return 0;
}
