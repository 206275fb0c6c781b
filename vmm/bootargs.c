// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel command line armz gives a Linux guest: the user's --params
 * with armz's own around them (bootargs.h).
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <armz/memmap.h>
#include "bootargs.h"

/* The kernel splits its command line at white space (lib/cmdline.c). */
static bool bootargs_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n';
}

/*
 * Where the kernel's part of a command line ends: at its first "--"
 * word outside quotes (what follows is init's), or at its end.
 */
static size_t bootargs_kernel_part(const char *s)
{
	bool quoted = false;

	for (size_t i = 0; s[i]; i++) {
		if (s[i] == '"')
			quoted = !quoted;
		if (!quoted && s[i] == '-' && s[i + 1] == '-' &&
		    (!i || bootargs_space(s[i - 1])) &&
		    (!s[i + 2] || bootargs_space(s[i + 2])))
			return i;
	}
	return strlen(s);
}

/* Whether the first len bytes of s name a console= of their own. */
static bool bootargs_names_console(const char *s, size_t len)
{
	static const char word[] = "console=";

	for (size_t i = 0; i + sizeof(word) - 1 <= len; i++)
		if ((!i || bootargs_space(s[i - 1])) &&
		    !strncmp(s + i, word, sizeof(word) - 1))
			return true;
	return false;
}

/* One more word (or words) of s, trimmed, after a space. */
static void bootargs_add(FILE *f, const char *s, size_t len)
{
	while (len && bootargs_space(s[len - 1]))
		len--;
	while (len && bootargs_space(*s)) {
		s++;
		len--;
	}
	if (!len)
		return;
	if (ftell(f) > 0)
		fputc(' ', f);
	fwrite(s, 1, len, f);
}

/*
 * The user's parameters with armz's around them. A command's guest boots
 * quietly (its console is a log) and gives up at once if it panics; those
 * go first, so that the user's own say wins (the last of a parameter
 * does). The console a user expects unless they chose their own goes
 * last: the early console replays the boot log the moment it is set up,
 * and only a quiet or loglevel= parsed before it keeps that replay to what
 * they asked for. Whatever follows the user's "--" is init's, so armz's
 * parameters go before it.
 */
char *bootargs_make(const struct vm_config *cfg)
{
	const char *user = cfg->params ? cfg->params : "";
	const char *pre = "", *console = "ttyS0";
	size_t klen = bootargs_kernel_part(user), len = 0;
	char *args = NULL, con[96];
	FILE *f;

	/*
	 * --nodefaults (lkvm mode) and a raw kernel get exactly --params: a
	 * bare test binary reads its arguments from there.
	 */
	if (cfg->nodefaults || cfg->kernel_format == KERNEL_FORMAT_RAW)
		return strdup(user);
	f = open_memstream(&args, &len);
	if (!f)
		return NULL;
	if (cfg->command)
		pre = cfg->verbose ? "panic=-1" : "quiet panic=-1";
	if (cfg->console == VM_CONSOLE_VIRTIO)
		console = "hvc0";
	snprintf(con, sizeof(con), "console=%s earlycon=uart8250,mmio,0x%llx",
		 console, (unsigned long long)MEMMAP_UART_BASE);
	bootargs_add(f, pre, strlen(pre));
	bootargs_add(f, user, klen);
	if (!bootargs_names_console(user, klen))
		bootargs_add(f, con, strlen(con));
	bootargs_add(f, user + klen, strlen(user + klen));
	if (fclose(f)) {
		free(args);
		return NULL;
	}
	return args;
}
