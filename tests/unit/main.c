// SPDX-License-Identifier: GPL-2.0
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "unit.h"

static struct unit_suite *suites;

/* What this host lacked, one line each, for the summary at the end. */
static char **skipped;
static unsigned int nskipped;

void unit_register(struct unit_suite *suite)
{
	suite->next = suites;
	suites = suite;
}

bool unit_in_ci(void)
{
	const char *ci = getenv("CI");

	return ci && !strcmp(ci, "true");
}

bool unit_env_missing_at(const char *file, unsigned int line,
			 const char *fmt, ...)
{
	CU_pTest test = CU_get_current_test();
	CU_pSuite suite = CU_get_current_suite();
	char why[256], *msg;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	if (asprintf(&msg, "%s: %s: %s", suite ? suite->pName : "?",
		     test ? test->pName : "?", why) < 0)
		abort();
	if (unit_in_ci()) {
		fprintf(stderr, "\nFAIL (CI=true, the host must have it): %s\n",
			msg);
		/* CUnit keeps its own copy of the condition text. */
		CU_assertImplementation(CU_FALSE, line, msg, file, "",
					CU_FALSE);
		free(msg);
		return true;
	}
	fprintf(stderr, "\nSKIP: %s\n", msg);
	skipped = realloc(skipped, (nskipped + 1) * sizeof(*skipped));
	if (!skipped)
		abort();
	skipped[nskipped++] = msg;
	return true;
}

static void list_suites(FILE *f)
{
	struct unit_suite *s;

	fprintf(f, "suites:");
	for (s = suites; s; s = s->next)
		fprintf(f, " %s", s->name);
	fprintf(f, "\n");
}

/*
 * armz-unit [SUITE...]: run every suite, or the ones named. A name that
 * is no suite is a usage error (status 2), not an empty, green run.
 */
int main(int argc, char **argv)
{
	struct unit_suite *s;
	unsigned int failed, i;
	int a;

	for (a = 1; a < argc; a++) {
		for (s = suites; s && strcmp(argv[a], s->name); s = s->next)
			;
		if (!s) {
			fprintf(stderr, "armz-unit: no suite '%s'; ", argv[a]);
			list_suites(stderr);
			return 2;
		}
	}
	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (s = suites; s; s = s->next) {
		CU_pSuite cs;
		const CU_TestInfo *t;

		for (a = 1; a < argc && strcmp(argv[a], s->name); a++)
			;
		if (argc > 1 && a == argc)
			continue;
		cs = CU_add_suite(s->name, NULL, NULL);
		for (t = s->tests; cs && t->pName; t++)
			CU_add_test(cs, t->pName, t->pTestFunc);
	}
	CU_basic_set_mode(CU_BRM_NORMAL);
	CU_basic_run_tests();
	failed = CU_get_number_of_failures() +
		 CU_get_number_of_tests_failed();
	CU_cleanup_registry();
	if (nskipped) {
		printf("\narmz-unit: %u check%s skipped for what this host "
		       "lacks (with CI=true each is a failure):\n", nskipped,
		       nskipped == 1 ? "" : "s");
		for (i = 0; i < nskipped; i++) {
			printf("  SKIP %s\n", skipped[i]);
			free(skipped[i]);
		}
	}
	free(skipped);
	return failed ? 1 : 0;
}
