/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * helper_serve.c: the request loop of "PROGRAM --serve" (helper_serve.h
 * has the protocol).  A run that ends early through helper_exit() comes
 * back to the loop by longjmp(); the loop itself is single-threaded and
 * keeps no state between requests but its buffers.
 */
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "helper_serve.h"

static int serving;
static jmp_buf run_end;
static int run_status;

void
helper_exit(int status)
{
	if (!serving)
		exit(status);
	run_status = status;
	longjmp(run_end, 1);
}

/* One NUL-terminated field of a request, malloc'd; NULL at end of input. */
static char *
field(void)
{
	char *s = NULL;
	size_t cap = 0;

	if (getdelim(&s, &cap, '\0', stdin) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/*
 * Read one request into *argvp (argv[0] is PROG, argv[argc] NULL) and
 * *dirp.  Returns argc, 0 at a clean end of input, -1 on a malformed or
 * cut-off request.
 */
static int
read_request(const char *prog, char **dirp, char ***argvp)
{
	char *dir, *count, *end, **argv;
	unsigned long n, i;

	dir = field();
	if (!dir)
		return 0;
	count = field();
	if (!count)
		goto out_dir;
	errno = 0;
	n = strtoul(count, &end, 10);
	if (errno || end == count || *end || n > INT_MAX - 2)
		goto out_count;
	argv = calloc(n + 2, sizeof(*argv));
	if (!argv)
		goto out_count;
	argv[0] = strdup(prog);
	for (i = 1; i <= n; i++) {
		argv[i] = field();
		if (!argv[i])
			goto out_argv;
	}
	free(count);
	*dirp = dir;
	*argvp = argv;
	return (int)n + 1;
out_argv:
	while (i-- > 0)
		free(argv[i]);
	free(argv);
out_count:
	free(count);
out_dir:
	free(dir);
	return -1;
}

static int
serve(const char *prog, int (*run)(int, char **), void (*cleanup)(void))
{
	char *dir = NULL, **argv = NULL;
	int argc, i;

	serving = 1;
	if (chdir("/"))
		return 2;
	while ((argc = read_request(prog, &dir, &argv)) > 0) {
		if (chdir(dir)) {
			fprintf(stderr, "%s --serve: %s: %s\n", prog, dir,
				strerror(errno));
			run_status = 2;
		} else if (!setjmp(run_end)) {
			run_status = run(argc, argv);
		}
		if (cleanup)
			cleanup();
		if (chdir("/"))
			return 2;
		putchar('\0');
		printf("%d\n", run_status);
		fflush(stdout);
		for (i = 0; i < argc; i++)
			free(argv[i]);
		free(argv);
		free(dir);
	}
	if (argc < 0) {
		fprintf(stderr, "%s --serve: a request cut short\n", prog);
		return 2;
	}
	return 0;
}

int
helper_main(int argc, char **argv, int (*run)(int, char **),
	    void (*cleanup)(void))
{
	if (argc == 2 && !strcmp(argv[1], "--serve"))
		return serve(argv[0], run, cleanup);
	return run(argc, argv);
}
