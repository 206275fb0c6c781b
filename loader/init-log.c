// SPDX-License-Identifier: GPL-2.0
/*
 * armz-init's lines on the kernel console, as include/armz/command.h lays
 * them down: found after printk's decorations, told from its markers.
 */
#include <string.h>

#include <armz/command.h>

enum command_init_kind command_init_line(const char *line, size_t len,
					 const char **text,
					 size_t *text_len)
{
	const char *p = line, *end = line + len;
	size_t n;

	if (p < end && end[-1] == '\r')
		end--;
	/* "[    2.417532] ", "[    T1] ": time stamp, caller id. */
	while (p < end && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(end - p));

		if (!close)
			return COMMAND_INIT_NONE;
		p = close + 1;
		while (p < end && *p == ' ')
			p++;
	}
	n = (size_t)(end - p);
	if (n < strlen(COMMAND_INIT_PREFIX) ||
	    memcmp(p, COMMAND_INIT_PREFIX, strlen(COMMAND_INIT_PREFIX)))
		return COMMAND_INIT_NONE;
	if (n == strlen(COMMAND_INIT_STARTED) &&
	    !memcmp(p, COMMAND_INIT_STARTED, n))
		return COMMAND_INIT_MARK_STARTED;
	if (n == strlen(COMMAND_INIT_HVC1) && !memcmp(p, COMMAND_INIT_HVC1, n))
		return COMMAND_INIT_MARK_HVC1;
	*text = p;
	*text_len = n;
	return COMMAND_INIT_MESSAGE;
}
