// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>
#include <string.h>

#include <CUnit/Basic.h>

#include "unit.h"

static struct unit_suite *suites;

void unit_register(struct unit_suite *suite)
{
	suite->next = suites;
	suites = suite;
}

/* armz-unit [SUITE]: run every suite, or the one named. */
int main(int argc, char **argv)
{
	struct unit_suite *s;
	unsigned int failed;

	if (CU_initialize_registry() != CUE_SUCCESS)
		return 1;
	for (s = suites; s; s = s->next) {
		CU_pSuite cs;
		const CU_TestInfo *t;

		if (argc > 1 && strcmp(argv[1], s->name))
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
	return failed ? 1 : 0;
}
