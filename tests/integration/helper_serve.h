/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper_serve: one helper process for a whole test, not one a call.
 *
 * The integration tests call xfbt_probe and xfbt_page thousands of times;
 * on these machines a fork and exec costs a shell 3-5 ms, and a helper
 * built with AddressSanitizer about 30 ms more to start.  Run as
 * "PROGRAM --serve", a helper reads requests on its standard input and
 * runs each as if started with those arguments:
 *
 *	request	 DIR \0 N \0 ARG1 \0 ... ARGN \0
 *		 DIR, the caller's working directory, in which the run's
 *		 relative paths are taken; N in decimal; no ARG holds a NUL
 *	reply	 what the run printed on standard output \0 STATUS \n
 *		 STATUS, the run's exit status in decimal
 *
 * Between requests the server's working directory is "/" and it holds
 * nothing open but its standard streams (each helper's cleanup closes
 * what a run opened), so that a served run leaves the mount as a run
 * of its own process would: nothing open, nothing blocking an unmount.
 * The server ends at the end of its input.  tests/lib/common.sh starts
 * the servers and falls back to a process per call where a server
 * cannot stand in for one (a background job, a step naming an inherited
 * descriptor).
 */
#ifndef XFBT_HELPER_SERVE_H
#define XFBT_HELPER_SERVE_H

/*
 * main(argc, argv) for a helper: with "--serve" as the only argument,
 * serve requests, else run once.  run() returns the exit status;
 * cleanup(), if not NULL, undoes what a run left behind, after every
 * run, finished or ended by helper_exit().
 */
int helper_main(int argc, char **argv, int (*run)(int argc, char **argv),
		void (*cleanup)(void));

/* End the current run with STATUS: exit() when running once. */
_Noreturn void helper_exit(int status);

#endif /* XFBT_HELPER_SERVE_H */
