/*
 * unit.h -- what every Check test program shares: run one suite with
 * Check's normal report and turn the failure count into the exit status.
 */
#ifndef PY_UNIT_H
#define PY_UNIT_H

#include <check.h>

static inline int
unit_run(Suite *s)
{
	SRunner	*sr;
	int	 failed;

	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? 0 : 1;
}

#endif
