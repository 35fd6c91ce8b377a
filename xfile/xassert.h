/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xassert.h: ASSERT(), the check of a programmer's contract.
 *
 * ASSERT(cond) states a precondition or an invariant the code relies on:
 * a transaction used with its own tree, a cursor with its transaction, a
 * buffer state the caller promised.  In builds with XFB_DEBUG (every
 * build type but release, sanitizer builds included) a false condition
 * prints the file, line and condition to stderr and aborts; in release
 * builds the condition is not evaluated (only type-checked) and costs
 * nothing.
 *
 * Never ASSERT on bytes read from a block, a page written from outside or
 * a user's input: those are data, and bad data gets an error return
 * (-EUCLEAN, -EINVAL), never an abort.
 */
#ifndef XFILE_XASSERT_H
#define XFILE_XASSERT_H

#ifdef XFB_DEBUG
void xassert_fail(const char *cond, const char *file, int line)
	__attribute__((noreturn, cold));
#define ASSERT(cond)							\
	do {								\
		if (__builtin_expect(!(cond), 0))			\
			xassert_fail(#cond, __FILE__, __LINE__);	\
	} while (0)
#else
#define ASSERT(cond)	((void)sizeof(!(cond)))
#endif

#endif /* XFILE_XASSERT_H */
