// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * xfbt.c: TEMPORARY minimal driver, so that `xfbt scan` can be built and
 * tested before the real xfbt command (its own dispatch table) exists.
 * It knows one subcommand, scan, and hands it argv from "scan" on.
 *
 * Exit status: that of the subcommand; 2 for usage errors.
 */
#include <stdio.h>
#include <string.h>

#include "tools/scan.h"

int
main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "scan"))
		return xfbt_scan_main(argc - 1, argv + 1);
	fprintf(stderr, "usage: xfbt scan [OPTIONS] NAME PATH\n");
	return 2;
}
