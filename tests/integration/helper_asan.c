/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper_asan.c: linked into the integration tests' helper programs
 * (xfbt_probe, xfbt_page, xfbt_data, xfbt_ranges).
 *
 * In the sanitizer build, LeakSanitizer's scan at exit costs a process
 * about a tenth of a second, and the tests run these helpers thousands
 * of times; a helper's own leak would be no bug of xfbtreefs.  So the
 * helpers ask AddressSanitizer for no leak scan by default (ASAN_OPTIONS
 * still overrides it).  The daemon, the unit suites and the tools keep
 * the scan.  In other builds the function is never called.
 */
const char *__asan_default_options(void);

const char *
__asan_default_options(void)
{
	return "detect_leaks=0";
}
