/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * xfbt_probe: run a few system calls exactly as written and print what
 * each one returned, so that integration tests can check exact errnos
 * without depending on the wording (or locale) of a shell's messages.
 *
 *	xfbt_probe [-o FILE] STEP...
 *	xfbt_probe --serve	run requests from standard input, each
 *				a command line of its own (helper_serve.h)
 *
 * Each STEP is an operation name followed by its arguments.  For every
 * step one token is printed, space separated, all on one line: "OK" when
 * the call succeeded, otherwise the errno's symbolic name ("EINVAL").  A
 * write that moves fewer bytes than asked prints "SHORT:<n>".  Steps run
 * in order whatever earlier steps returned; the probe exits 0 unless its
 * arguments make no sense (usage: exit 2).
 *
 * Steps that work on a file descriptor use the "current" one: the last
 * one opened, one opened earlier and chosen again with "sel I", or one
 * inherited from the shell and chosen with "fd N".  Bytes read are
 * appended to the file given with -o or "out" (or dropped).
 *
 *	open PATH MODE		MODE: r, w or rw, then any of t (O_TRUNC),
 *				a (O_APPEND), c (O_CREAT), x (O_EXCL),
 *				d (O_DIRECTORY)
 *	sel I			use the I-th descriptor opened (from 0)
 *	fd N			use inherited descriptor N
 *	out FILE		append what later steps read to FILE
 *	write STRING		one write() of STRING's bytes (no escapes:
 *				use the shell's $'..' quoting)
 *	writex HEX		one write() of the bytes HEX spells, two
 *				hex digits a byte (NULs too)
 *	writefile FILE		one write() of the whole contents of FILE
 *	writechunks FILE N	FILE's contents in write()s of N bytes each,
 *				going on after errors; one token: OK if every
 *				write succeeded, else the results in order,
 *				runs counted: "OK*4,EINVAL,OK*4,EINVAL"
 *	read			read() until end of file
 *	read1 N			one read() of up to N bytes
 *	pread N OFF		one pread() of up to N bytes at OFF
 *	seek OFF		lseek(OFF, SEEK_SET)
 *	seekdata OFF		lseek(OFF, SEEK_DATA): "AT:<offset>" or the
 *				errno's name
 *	seekhole OFF		lseek(OFF, SEEK_HOLE), printed the same way
 *	mmap LEN		mmap(LEN, MAP_SHARED) at 0, then munmap
 *	ftruncate LEN		ftruncate()
 *	fsync			fsync()
 *	close			close(): its error is FLUSH's error
 *	sleep MS		pause (for races the test sets up)
 *	sum PATH		open PATH, read it to the end, close: its
 *				bytes' FNV-1a hash as "SUM:<16 hex digits>",
 *				or the errno's name (to compare files and
 *				whole btrees without a process each)
 *	mkdir PATH | rmdir PATH | unlink PATH | stat PATH | utimens PATH
 *	rename OLD NEW | link OLD NEW | symlink TARGET PATH
 *	rename2 OLD NEW FLAG	renameat2() with FLAG noreplace or exchange
 *	mknod PATH		a regular file, mode 0644
 *	mkfifo PATH
 *	chmod PATH OCTAL | chown PATH UID GID | truncate PATH LEN
 *	setxattr PATH NAME VALUE | getxattr PATH NAME | listxattr PATH
 *	removexattr PATH NAME
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include "helper_serve.h"

#define PROBE_BUF_LEN	(1U << 20)
#define PROBE_MAX_OPEN	16384

static int cur_fd = -1;
static int opened[PROBE_MAX_OPEN];
static unsigned int nr_opened;
static FILE *out_file;
static char *buf;

static void
usage(void)
{
	fprintf(stderr, "usage: xfbt_probe [-o FILE] STEP...\n"
			"  (see the comment at the top of xfbt_probe.c)\n");
	helper_exit(2);
}

/* The errno's name, or E<n>. */
static const char *
errno_name(int error)
{
	static char unknown[16];
	const char *name = strerrorname_np(error);

	if (name)
		return name;
	snprintf(unknown, sizeof(unknown), "E%d", error);
	return unknown;
}

/* Print one step's result: OK for 0, else the errno's name. */
static void
token(int error)
{
	if (!error)
		fputs("OK ", stdout);
	else
		printf("%s ", errno_name(error));
	fflush(stdout);
}

/* Print a system call's result: negative means errno holds the error. */
static void
sys_token(long ret)
{
	token(ret < 0 ? errno : 0);
}

static unsigned long long
number(const char *s)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (errno || end == s || *end)
		usage();
	return v;
}

static int
open_flags(const char *mode)
{
	int flags;
	const char *p = mode;

	if (!strncmp(p, "rw", 2)) {
		flags = O_RDWR;
		p += 2;
	} else if (*p == 'r') {
		flags = O_RDONLY;
		p++;
	} else if (*p == 'w') {
		flags = O_WRONLY;
		p++;
	} else {
		usage();
	}
	for (; *p; p++) {
		switch (*p) {
		case 't':
			flags |= O_TRUNC;
			break;
		case 'a':
			flags |= O_APPEND;
			break;
		case 'c':
			flags |= O_CREAT;
			break;
		case 'x':
			flags |= O_EXCL;
			break;
		case 'd':
			flags |= O_DIRECTORY;
			break;
		default:
			usage();
		}
	}
	return flags;
}

/* Later reads append to PATH; NULL only closes the current output. */
static void
set_output(const char *path)
{
	FILE *old = out_file;

	out_file = NULL;	/* closed whatever fclose() says */
	if (old && fclose(old)) {
		perror("output");
		helper_exit(2);
	}
	if (!path)
		return;
	out_file = fopen(path, "a");
	if (!out_file) {
		perror(path);
		helper_exit(2);
	}
}

static void
keep(const char *data, size_t len)
{
	if (out_file && len)
		fwrite(data, 1, len, out_file);
}

static void
do_write(const char *data, size_t len)
{
	ssize_t ret = write(cur_fd, data, len);

	if (ret >= 0 && (size_t)ret != len) {
		printf("SHORT:%zd ", ret);
		fflush(stdout);
		return;
	}
	sys_token(ret);
}

/*
 * The whole contents of FILE, in a page-aligned buffer to free: the
 * kernel cuts a large write() into max_write requests at page boundaries
 * of the buffer, so an aligned one makes them exact.
 */
static char *
slurp(const char *path, size_t *lenp)
{
	size_t len = 0, cap;
	struct stat st;
	char *data, *more;
	ssize_t n;
	int fd = open(path, O_RDONLY);

	if (fd < 0 || fstat(fd, &st)) {
		perror(path);
		helper_exit(2);
	}
	cap = st.st_size + 65536;	/* a hint: read to the end */
	if (posix_memalign((void **)&data, 4096, cap))
		goto out_nomem;
	for (;;) {
		if (len == cap) {
			if (posix_memalign((void **)&more, 4096, 2 * cap))
				goto out_nomem;
			memcpy(more, data, len);
			free(data);
			data = more;
			cap *= 2;
		}
		n = read(fd, data + len, cap - len);
		if (n < 0) {
			perror(path);
			helper_exit(2);
		}
		if (!n)
			break;
		len += n;
	}
	close(fd);
	*lenp = len;
	return data;
out_nomem:
	fprintf(stderr, "xfbt_probe: out of memory for %s\n", path);
	helper_exit(2);
}

static void
do_writefile(const char *path)
{
	size_t len;
	char *data = slurp(path, &len);

	do_write(data, len);
	free(data);
}

/* One result of writechunks: 0, an errno, or -1 for a short write. */
static void
run_flush(int result, unsigned long count, int *first)
{
	if (!count)
		return;
	fputs(*first ? "" : ",", stdout);
	*first = 0;
	if (result < 0)
		fputs("SHORT", stdout);
	else
		fputs(result ? errno_name(result) : "OK", stdout);
	if (count > 1)
		printf("*%lu", count);
}

static void
do_writechunks(const char *path, size_t chunk)
{
	size_t len, off, n;
	char *data = slurp(path, &len);
	unsigned long count = 0;
	int result = 0, prev = 0, all_ok = 1, first = 1;
	ssize_t ret;

	if (!chunk)
		usage();
	for (off = 0; off < len; off += n) {
		n = len - off < chunk ? len - off : chunk;
		ret = write(cur_fd, data + off, n);
		result = ret < 0 ? errno : (size_t)ret != n ? -1 : 0;
		if (result)
			all_ok = 0;
		if (count && result != prev) {
			run_flush(prev, count, &first);
			count = 0;
		}
		prev = result;
		count++;
	}
	if (all_ok) {
		token(0);	/* no runs printed: OK alone */
	} else {
		run_flush(prev, count, &first);
		fputc(' ', stdout);
		fflush(stdout);
	}
	free(data);
}

static void
do_read_all(void)
{
	ssize_t n;

	for (;;) {
		n = read(cur_fd, buf, PROBE_BUF_LEN);
		if (n <= 0)
			break;
		keep(buf, n);
	}
	sys_token(n);
}

static void
do_read1(size_t len, off_t off, int positional)
{
	ssize_t n;

	if (len > PROBE_BUF_LEN)
		len = PROBE_BUF_LEN;
	if (positional)
		n = pread(cur_fd, buf, len, off);
	else
		n = read(cur_fd, buf, len);
	if (n > 0)
		keep(buf, n);
	sys_token(n);
}

/* writex: HEX's bytes, two digits each; usage error if HEX is not that. */
static void
do_writex(const char *hex)
{
	size_t len = strlen(hex), i;
	char *data, pair[3] = "";
	char *end;

	if (len % 2 || len / 2 > PROBE_BUF_LEN)
		usage();
	data = buf;
	for (i = 0; i < len / 2; i++) {
		pair[0] = hex[2 * i];
		pair[1] = hex[2 * i + 1];
		data[i] = (char)strtoul(pair, &end, 16);
		if (end != pair + 2)
			usage();
	}
	do_write(data, len / 2);
}

/* sum: FNV-1a (64-bit) over PATH's bytes. */
static void
do_sum(const char *path)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	ssize_t n, i;
	int fd = open(path, O_RDONLY);

	if (fd < 0) {
		sys_token(-1);
		return;
	}
	while ((n = read(fd, buf, PROBE_BUF_LEN)) > 0) {
		for (i = 0; i < n; i++) {
			h ^= (unsigned char)buf[i];
			h *= 0x100000001b3ULL;
		}
	}
	if (n < 0) {
		sys_token(-1);
		close(fd);
		return;
	}
	if (close(fd)) {
		sys_token(-1);
		return;
	}
	printf("SUM:%016" PRIx64 " ", h);
	fflush(stdout);
}

static void
do_sleep(unsigned long long ms)
{
	struct timespec ts = {
		.tv_sec = ms / 1000,
		.tv_nsec = (ms % 1000) * 1000000,
	};

	nanosleep(&ts, NULL);
	token(0);
}

/* Run the step at argv[0]; returns how many arguments it used. */
static int
step(int argc, char **argv)
{
	const char *op = argv[0];

#define NEED(n)                         \
	do {                            \
		if (argc < (n) + 1)     \
			usage();        \
	} while (0)
	if (!strcmp(op, "open")) {
		NEED(2);
		if (nr_opened == PROBE_MAX_OPEN)
			usage();
		cur_fd = open(argv[1], open_flags(argv[2]), 0644);
		opened[nr_opened++] = cur_fd;
		sys_token(cur_fd);
		return 3;
	}
	if (!strcmp(op, "sel")) {
		NEED(1);
		if (number(argv[1]) >= nr_opened)
			usage();
		cur_fd = opened[number(argv[1])];
		token(0);
		return 2;
	}
	if (!strcmp(op, "out")) {
		NEED(1);
		set_output(argv[1]);
		token(0);
		return 2;
	}
	if (!strcmp(op, "fd")) {
		NEED(1);
		cur_fd = number(argv[1]);
		token(0);
		return 2;
	}
	if (!strcmp(op, "write")) {
		NEED(1);
		do_write(argv[1], strlen(argv[1]));
		return 2;
	}
	if (!strcmp(op, "writex")) {
		NEED(1);
		do_writex(argv[1]);
		return 2;
	}
	if (!strcmp(op, "sum")) {
		NEED(1);
		do_sum(argv[1]);
		return 2;
	}
	if (!strcmp(op, "writefile")) {
		NEED(1);
		do_writefile(argv[1]);
		return 2;
	}
	if (!strcmp(op, "writechunks")) {
		NEED(2);
		do_writechunks(argv[1], number(argv[2]));
		return 3;
	}
	if (!strcmp(op, "read")) {
		do_read_all();
		return 1;
	}
	if (!strcmp(op, "read1")) {
		NEED(1);
		do_read1(number(argv[1]), 0, 0);
		return 2;
	}
	if (!strcmp(op, "pread")) {
		NEED(2);
		do_read1(number(argv[1]), number(argv[2]), 1);
		return 3;
	}
	if (!strcmp(op, "seek")) {
		NEED(1);
		sys_token(lseek(cur_fd, number(argv[1]), SEEK_SET));
		return 2;
	}
	if (!strcmp(op, "seekdata") || !strcmp(op, "seekhole")) {
		off_t	at;

		NEED(1);
		at = lseek(cur_fd, number(argv[1]),
			   op[4] == 'd' ? SEEK_DATA : SEEK_HOLE);
		if (at < 0)
			sys_token(-1);
		else
			printf("AT:%lld ", (long long)at);
		return 2;
	}
	if (!strcmp(op, "mmap")) {
		void	*map;

		NEED(1);
		map = mmap(NULL, number(argv[1]), PROT_READ, MAP_SHARED,
			   cur_fd, 0);
		if (map != MAP_FAILED)
			munmap(map, number(argv[1]));
		sys_token(map == MAP_FAILED ? -1 : 0);
		return 2;
	}
	if (!strcmp(op, "ftruncate")) {
		NEED(1);
		sys_token(ftruncate(cur_fd, number(argv[1])));
		return 2;
	}
	if (!strcmp(op, "fsync")) {
		sys_token(fsync(cur_fd));
		return 1;
	}
	if (!strcmp(op, "close")) {
		sys_token(close(cur_fd));
		cur_fd = -1;
		return 1;
	}
	if (!strcmp(op, "sleep")) {
		NEED(1);
		do_sleep(number(argv[1]));
		return 2;
	}
	if (!strcmp(op, "mkdir")) {
		NEED(1);
		sys_token(mkdir(argv[1], 0755));
		return 2;
	}
	if (!strcmp(op, "rmdir")) {
		NEED(1);
		sys_token(rmdir(argv[1]));
		return 2;
	}
	if (!strcmp(op, "unlink")) {
		NEED(1);
		sys_token(unlink(argv[1]));
		return 2;
	}
	if (!strcmp(op, "stat")) {
		struct stat st;

		NEED(1);
		sys_token(stat(argv[1], &st));
		return 2;
	}
	if (!strcmp(op, "utimens")) {
		NEED(1);
		sys_token(utimensat(AT_FDCWD, argv[1], NULL, 0));
		return 2;
	}
	if (!strcmp(op, "rename")) {
		NEED(2);
		sys_token(rename(argv[1], argv[2]));
		return 3;
	}
	if (!strcmp(op, "rename2")) {
		unsigned int flags;

		NEED(3);
		if (!strcmp(argv[3], "noreplace"))
			flags = RENAME_NOREPLACE;
		else if (!strcmp(argv[3], "exchange"))
			flags = RENAME_EXCHANGE;
		else
			usage();
		sys_token(renameat2(AT_FDCWD, argv[1], AT_FDCWD, argv[2],
				    flags));
		return 4;
	}
	if (!strcmp(op, "link")) {
		NEED(2);
		sys_token(link(argv[1], argv[2]));
		return 3;
	}
	if (!strcmp(op, "symlink")) {
		NEED(2);
		sys_token(symlink(argv[1], argv[2]));
		return 3;
	}
	if (!strcmp(op, "mknod")) {
		NEED(1);
		sys_token(mknod(argv[1], S_IFREG | 0644, 0));
		return 2;
	}
	if (!strcmp(op, "mkfifo")) {
		NEED(1);
		sys_token(mkfifo(argv[1], 0644));
		return 2;
	}
	if (!strcmp(op, "chmod")) {
		NEED(2);
		sys_token(chmod(argv[1], number(argv[2])));
		return 3;
	}
	if (!strcmp(op, "chown")) {
		NEED(3);
		sys_token(chown(argv[1], number(argv[2]), number(argv[3])));
		return 4;
	}
	if (!strcmp(op, "truncate")) {
		NEED(2);
		sys_token(truncate(argv[1], number(argv[2])));
		return 3;
	}
	if (!strcmp(op, "setxattr")) {
		NEED(3);
		sys_token(setxattr(argv[1], argv[2], argv[3], strlen(argv[3]),
				   0));
		return 4;
	}
	if (!strcmp(op, "getxattr")) {
		NEED(2);
		sys_token(getxattr(argv[1], argv[2], buf, PROBE_BUF_LEN));
		return 3;
	}
	if (!strcmp(op, "listxattr")) {
		NEED(1);
		sys_token(listxattr(argv[1], buf, PROBE_BUF_LEN));
		return 2;
	}
	if (!strcmp(op, "removexattr")) {
		NEED(2);
		sys_token(removexattr(argv[1], argv[2]));
		return 3;
	}
#undef NEED
	fprintf(stderr, "xfbt_probe: unknown step '%s'\n", op);
	usage();
	return 0;
}

static int
run(int argc, char **argv)
{
	int i = 1;

	if (argc > 2 && !strcmp(argv[1], "-o")) {
		set_output(argv[2]);
		i = 3;
	}
	if (i >= argc)
		usage();
	if (!buf)
		buf = malloc(PROBE_BUF_LEN);
	if (!buf) {
		perror("malloc");
		return 2;
	}
	while (i < argc)
		i += step(argc - i, argv + i);
	putchar('\n');
	set_output(NULL);
	return 0;
}

/*
 * After a served run: close what it opened, as its exit would have (a
 * descriptor closed by a step and reused by a later open is closed
 * once more, harmlessly: EBADF).
 */
static void
cleanup(void)
{
	unsigned int i;

	if (out_file)
		fclose(out_file);
	out_file = NULL;
	for (i = 0; i < nr_opened; i++)
		if (opened[i] >= 0)
			close(opened[i]);
	nr_opened = 0;
	cur_fd = -1;
}

int
main(int argc, char **argv)
{
	return helper_main(argc, argv, run, cleanup);
}
