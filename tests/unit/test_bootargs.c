// SPDX-License-Identifier: GPL-2.0
/*
 * The kernel command line: the user's parameters first, armz's console
 * after them (so that quiet governs the early console), init's part
 * after a "--" left last.
 */
#include <stdlib.h>
#include <string.h>

#include "../../vmm/bootargs.h"

#include "unit.h"

#define CON	"console=ttyS0 earlycon=uart8250,mmio,0x9000000"

static char *args(const char *params, bool command, bool verbose,
		  enum vm_console console)
{
	static char *argv[] = { "true", NULL };
	struct vm_config cfg = {
		.params = params, .console = console, .verbose = verbose,
		.command = command ? argv : NULL,
	};

	return bootargs_make(&cfg);
}

static void expect(const char *params, bool command, bool verbose,
		   enum vm_console console, const char *want)
{
	char *got = args(params, command, verbose, console);

	CU_ASSERT_PTR_NOT_NULL_FATAL(got);
	if (strcmp(got, want)) {
		fprintf(stderr, "\n'%s': got '%s', want '%s'\n",
			params ? params : "(none)", got, want);
		CU_FAIL("wrong bootargs");
	}
	free(got);
}

static void test_bootargs_order(void)
{
	expect(NULL, false, false, VM_CONSOLE_SERIAL, CON);
	expect("", false, false, VM_CONSOLE_SERIAL, CON);
	/* quiet and loglevel= before earlycon: they govern its replay. */
	expect("quiet", false, false, VM_CONSOLE_SERIAL, "quiet " CON);
	expect("root=/dev/vda loglevel=3", false, false, VM_CONSOLE_SERIAL,
	       "root=/dev/vda loglevel=3 " CON);
	expect("  a=1   b=2 ", false, false, VM_CONSOLE_SERIAL,
	       "a=1   b=2 " CON);
	expect("quiet", false, false, VM_CONSOLE_VIRTIO,
	       "quiet console=hvc0 earlycon=uart8250,mmio,0x9000000");
}

static void test_bootargs_console(void)
{
	/* The user's own console: armz adds none. */
	expect("console=hvc0 quiet", false, false, VM_CONSOLE_SERIAL,
	       "console=hvc0 quiet");
	expect("quiet\tconsole=ttyAMA0", false, false, VM_CONSOLE_SERIAL,
	       "quiet\tconsole=ttyAMA0");
	/* netconsole= and xconsole= are not console=. */
	expect("netconsole=@/,@10.0.0.1/", false, false, VM_CONSOLE_SERIAL,
	       "netconsole=@/,@10.0.0.1/ " CON);
	/* A console= among init's arguments is not the kernel's. */
	expect("quiet -- console=x", false, false, VM_CONSOLE_SERIAL,
	       "quiet " CON " -- console=x");
}

static void test_bootargs_init_part(void)
{
	expect("quiet -- single", false, false, VM_CONSOLE_SERIAL,
	       "quiet " CON " -- single");
	expect("-- a b", false, false, VM_CONSOLE_SERIAL, CON " -- a b");
	expect("quiet --", false, false, VM_CONSOLE_SERIAL,
	       "quiet " CON " --");
	/* Not a "--" word: inside quotes, or part of a longer word. */
	expect("x=\"a -- b\" y", false, false, VM_CONSOLE_SERIAL,
	       "x=\"a -- b\" y " CON);
	expect("--x a--", false, false, VM_CONSOLE_SERIAL, "--x a-- " CON);
}

static void test_bootargs_command(void)
{
	expect(NULL, true, false, VM_CONSOLE_SERIAL, "quiet panic=-1 " CON);
	expect(NULL, true, true, VM_CONSOLE_SERIAL, "panic=-1 " CON);
	/* The user's come after armz's: the last of a parameter wins. */
	expect("loglevel=7 panic=5", true, false, VM_CONSOLE_SERIAL,
	       "quiet panic=-1 loglevel=7 panic=5 " CON);
}

static const CU_TestInfo bootargs_tests[] = {
	{ "user's parameters before the console", test_bootargs_order },
	{ "the user's console=", test_bootargs_console },
	{ "init's part stays last", test_bootargs_init_part },
	{ "run-a-command mode", test_bootargs_command },
	CU_TEST_INFO_NULL,
};

UNIT_SUITE(bootargs, bootargs_tests)
