/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * check_quiet.h: Check's assertions, silent while they hold.
 *
 * Check's ck_assert_msg(), on which every ck_assert_*() macro is built,
 * calls _mark_point() when its assertion holds: a malloc, a write(2) to
 * the test's message file and a free, so that a test that crashes can
 * name the last assertion passed.  The suites assert inside loops over
 * millions of records, and under AddressSanitizer those marks were most
 * of a suite's time.  Included instead of <check.h>, this header keeps
 * every macro but has ck_assert_msg() call into Check only on failure.
 * What is lost: a test killed by a signal is reported at its last
 * explicit mark_point(), not at its last assertion.
 */
#ifndef TESTS_LIB_CHECK_QUIET_H
#define TESTS_LIB_CHECK_QUIET_H

#include <check.h>

#undef ck_assert_msg
#define ck_assert_msg(expr, ...)					\
	((expr) ? (void)0 :						\
	 _ck_assert_failed(__FILE__, __LINE__,				\
			   "Assertion '" #expr "' failed", ## __VA_ARGS__))

#endif /* TESTS_LIB_CHECK_QUIET_H */
