/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * bench_fuse.c: xfbtreefs through its files, beside the ceilings.
 *
 *	bench_fuse [-n N] [-r RUNS] [-q QUERIES] [--daemon PATH]
 *		   [--discardfs PATH] [--json FILE]
 *
 * What it measures
 *	Two texts are made once, in memory: N kv records, one `KEY VALUE\n`
 *	line each (decimal, the canonical text `records` prints), with
 *	random keys (key(i) = splitmix64_mix(SEED + (i + 1) * GAMMA), i =
 *	0..N-1: a bijection, so N distinct keys, the same as bench_engines)
 *	or sequential keys 0..N-1; value(k) = k ^ VAL_XOR.  Then, for each
 *	run, xfbtreefs (--daemon) and discardfs (--discardfs: a FUSE
 *	filesystem that throws writes away and reads zeros) are mounted
 *	side by side in a fresh temporary directory, and for each text:
 *
 *	shm_write	the text written to a new file on /dev/shm in 64 KiB
 *			write()s: the kernel's write path, no FUSE (ceiling);
 *	discard_write	the same writes to discardfs's `sink`: FUSE and
 *			libfuse, nothing else (the FUSE ceiling);
 *	insert		the same writes to `insert` of a fresh btree
 *			(mkdir), then checked: stats says N records and as
 *			many commits as writes (one transaction per write),
 *			and `check` reads `ok`;
 *	engine		the library in-process (no FUSE, no text): the same
 *			keys in the same order through xbt_insert(), in
 *			transactions of exactly the records each 64 KiB
 *			write completes (so with the same transactions as
 *			the daemon), and again in transactions of 1000.
 *
 *	Each write workload is timed from the first write() to the return
 *	of close() (for insert, close() is the FLUSH that ends the text),
 *	or, for the engine, from the first transaction to the last commit.
 *	Then, for the random text only:
 *
 *	insert_random_2writers	two threads at once, each writing the
 *			whole text to the insert file of a btree of its own
 *			(two btrees, two per-btree locks): records/s of both
 *			together, timed from their start to the later
 *			close(); both btrees are checked as insert's is.
 *			Beside it, the daemon's CPU time (utime + stime
 *			from /proc) over the wall time, in cores, for one
 *			writer (random insert) and for the two.
 *
 *	On the btree of random keys, then:
 *
 *	lookup		QUERIES `eq KEY` queries of keys drawn at random
 *			from the btree, each one write() of the query line
 *			and one read() of the answer on an O_RDWR file,
 *			from one client, then from two threads with a file
 *			each doing half of them at once; every answer is
 *			compared with the record expected;
 *	records_read	`records` read whole in 128 KiB read()s; the byte
 *			count must be the text's and the first and last
 *			lines those of the smallest and largest key;
 *	discard_read	as many bytes read from discardfs's `sink` in
 *			128 KiB read()s (zeros: the FUSE ceiling of reads).
 *
 * How to read the output
 *	Medians of the runs (each run on fresh mounts).  Writes are in
 *	records/s (of the same text, so the rows compare directly), MB/s
 *	of text (10^6 bytes) and microseconds per 64 KiB write (per
 *	transaction for the engine); "vs insert" is the row's rate over
 *	insert's (> 1: faster than insert).  "insert / engine" is the share of
 *	the engine's in-process rate that survives the interface: the
 *	targets are 0.90 for random and 0.70 for sequential keys; two
 *	writers should get 1.3 times one writer's records/s.
 *	discardfs's us/write is the cost of one FUSE request here: insert's
 *	us/write minus it is what the daemon spends on a write (parsing and
 *	the transaction).  Lookups are queries/s, all clients together.
 *	Reads are MB/s; "records / discardfs" has the target 0.50.  Then
 *	one JSON object per line: {"bench":"fuse","workload":...,"n":N,
 *	"value":...,"unit":...}, ratios with unit "ratio" and a "target",
 *	to stdout or to --json FILE.
 *
 * Mounts are always undone: each daemon runs in its own process group
 * (so a terminal's ^C reaches only this program), its PID is kept, and
 * on success, on any error and on SIGINT, SIGTERM or SIGHUP the mounts
 * are unmounted with `fusermount3 -u` (lazily, -z, if a file is still
 * open), the daemons reaped (SIGTERM, then SIGKILL, if one does not exit
 * within seconds) and the temporary files removed.  Signals are taken by
 * a thread of their own, so that cleanup runs even while another thread
 * waits on a daemon that does not answer; when files are open at an
 * error or a signal, the daemons are stopped before the unmount (see
 * cleanup() for why).  Only this program's own children are signalled.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/utsname.h>
#include <sys/wait.h>

#include "btree/btree_kv.h"
#include "btree/xbtree.h"
#include "tests/bench/bench_common.h"
#include "xfile/xfile.h"

#define QUERY_SEED	0x452821e638d01377ULL

#define WRITE_SIZE	(64 * 1024)	/* per write() of text */
#define READ_SIZE	(128 * 1024)	/* per read() of records and sink */
#define TXN_FIXED	1000		/* the engine's other transaction */
#define TAIL_LEN	64		/* bytes kept of a read stream's end */
#define MAX_RUNS	99
#define MOUNT_WAIT_MS	10000
#define EXIT_WAIT_MS	10000
#define KILL_WAIT_MS	3000

/* ---- metrics ------------------------------------------------------------ */

enum metric {
	M_SHM_RANDOM,
	M_DISCARD_W_RANDOM,
	M_INSERT_RANDOM,
	M_ENGINE_RANDOM,
	M_ENGINE_RANDOM_1000,
	M_SHM_SEQ,
	M_DISCARD_W_SEQ,
	M_INSERT_SEQ,
	M_ENGINE_SEQ,
	M_ENGINE_SEQ_1000,
	M_INSERT_2WRITERS,
	M_CORES_1WRITER,
	M_CORES_2WRITERS,
	M_LOOKUP_1,
	M_LOOKUP_2,
	M_RECORDS_READ,
	M_DISCARD_READ,
	NR_METRICS
};

/* The five write workloads of one text, in its metric order. */
enum { W_SHM, W_DISCARD, W_INSERT, W_ENGINE, W_ENGINE_1000, NR_W };

static const struct {
	const char	*name;		/* JSON workload */
	const char	*unit;
} metrics[NR_METRICS] = {
	[M_SHM_RANDOM]		= { "shm_write_random", "records/s" },
	[M_DISCARD_W_RANDOM]	= { "discard_write_random", "records/s" },
	[M_INSERT_RANDOM]	= { "insert_random", "records/s" },
	[M_ENGINE_RANDOM]	= { "engine_random", "records/s" },
	[M_ENGINE_RANDOM_1000]	= { "engine_random_txn1000", "records/s" },
	[M_SHM_SEQ]		= { "shm_write_seq", "records/s" },
	[M_DISCARD_W_SEQ]	= { "discard_write_seq", "records/s" },
	[M_INSERT_SEQ]		= { "insert_seq", "records/s" },
	[M_ENGINE_SEQ]		= { "engine_seq", "records/s" },
	[M_ENGINE_SEQ_1000]	= { "engine_seq_txn1000", "records/s" },
	[M_INSERT_2WRITERS]	= { "insert_random_2writers", "records/s" },
	[M_CORES_1WRITER]	= { "daemon_cores_1writer", "cores" },
	[M_CORES_2WRITERS]	= { "daemon_cores_2writers", "cores" },
	[M_LOOKUP_1]		= { "lookup_1client", "queries/s" },
	[M_LOOKUP_2]		= { "lookup_2clients", "queries/s" },
	[M_RECORDS_READ]	= { "records_read", "MB/s" },
	[M_DISCARD_READ]	= { "discard_read", "MB/s" },
};

#define TARGET_RANDOM	0.90	/* insert / engine, random keys */
#define TARGET_SEQ	0.70	/* insert / engine, sequential keys */
#define TARGET_READ	0.50	/* records / discardfs reads */
#define TARGET_2WRITERS	1.30	/* two writers / one writer */

/* samples[metric][run] */
static double		samples[NR_METRICS][MAX_RUNS];

/* ---- the texts ---------------------------------------------------------- */

struct text {
	const char	*name;		/* "random", "seq" */
	enum metric	first;		/* its M_SHM_* */
	uint64_t	n;
	uint64_t	*keys;		/* in the order of the lines */
	char		*buf;		/* page-aligned */
	size_t		len;
	size_t		nchunks;	/* 64 KiB writes */
	size_t		*chunk_lines;	/* lines each write completes */
	size_t		nfixed;
	size_t		*fixed_lines;	/* TXN_FIXED per transaction */
	uint64_t	kmin, kmax;
};

/* ---- options and global state ------------------------------------------- */

static uint64_t		opt_n = 1000000;
static uint64_t		opt_queries = 100000;
static int		opt_runs = 3;
static char		*opt_daemon;
static char		*opt_discardfs;
static char		fusermount_path[PATH_MAX];

/*
 * What must be undone.  Everything here is changed only under
 * cleanup_lock, so that the signal thread sees it whole.
 */
struct mount {
	const char	*what;		/* "xfbtreefs", "discardfs" */
	char		dir[PATH_MAX];	/* "" none */
	char		log[PATH_MAX];	/* the daemon's stdout and stderr */
	pid_t		pid;		/* 0 none */
};

enum { MNT_XFB, MNT_DISCARD, NR_MNT };

static pthread_mutex_t	cleanup_lock = PTHREAD_MUTEX_INITIALIZER;
static struct mount	mounts[NR_MNT] = {
	[MNT_XFB]	= { .what = "xfbtreefs" },
	[MNT_DISCARD]	= { .what = "discardfs" },
};
static char		tmp_dir[PATH_MAX];	/* "" none */
static char		shm_file[PATH_MAX];	/* "" none */
/* Files open on the mounts (atomic): see cleanup(). */
static int		fuse_fds;
/* Set (atomic) by the first of die() and the signal thread to tear down. */
static int		stopping;

static void cleanup(bool emergency);
static void dump_logs(void);

/* Claim the teardown; false if another thread has it (and will exit). */
static bool
claim_stop(void)
{
	int	none = 0;

	return __atomic_compare_exchange_n(&stopping, &none, 1, false,
					   __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
die(const char *fmt, ...)
{
	va_list	ap;

	/* Another thread tears down (the errors it causes are no news). */
	if (!claim_stop())
		for (;;)
			pause();
	fflush(stdout);
	flockfile(stderr);
	fputs("bench_fuse: FATAL: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	funlockfile(stderr);
	dump_logs();
	cleanup(true);
	exit(EXIT_FAILURE);
}

static void *
xmalloc(size_t len)
{
	void	*p = malloc(len ? len : 1);

	if (!p)
		die("out of memory (%zu bytes)", len);
	return p;
}

/* snprintf() that dies rather than cut a path short; not for cleanup. */
static void __attribute__((format(printf, 3, 4)))
xsnprintf(char *buf, size_t size, const char *fmt, ...)
{
	va_list	ap;
	int	n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= size)
		die("path too long: %s...", buf);
}

static double
now_sec(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void
sleep_ms(int ms)
{
	struct timespec	ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

/* open() and close() of files on the mounts (and the /dev/shm file). */
static int
fuse_open(const char *path, int flags)
{
	int	fd;

	__atomic_add_fetch(&fuse_fds, 1, __ATOMIC_SEQ_CST);
	fd = open(path, flags | O_CLOEXEC, 0600);
	if (fd < 0)
		__atomic_sub_fetch(&fuse_fds, 1, __ATOMIC_SEQ_CST);
	return fd;
}

static int
fuse_close(int fd)
{
	int	ret = close(fd);

	__atomic_sub_fetch(&fuse_fds, 1, __ATOMIC_SEQ_CST);
	return ret;
}

/* ---- keys and text ------------------------------------------------------ */

/* Split @total records into transactions of @per; returns their number. */
static size_t
split_fixed(uint64_t total, size_t per, size_t **linesp)
{
	size_t	n = (total + per - 1) / per, i;
	size_t	*lines = xmalloc(n * sizeof(*lines));

	for (i = 0; i < n; i++)
		lines[i] = total - i * per < per ? total - i * per : per;
	*linesp = lines;
	return n;
}

static void
text_init(struct text *t, const char *name, enum metric first, uint64_t n,
	  bool random)
{
	size_t		cap = n * LINE_MAX_LEN, c, off, end, cnt;
	uint64_t	i, total = 0;
	const char	*p, *q;
	long		page = sysconf(_SC_PAGESIZE);

	t->name = name;
	t->first = first;
	t->n = n;
	t->keys = xmalloc(n * sizeof(*t->keys));
	cap = (cap + page - 1) / page * page;
	/* Page-aligned, as cat's buffers are: one FUSE request per write. */
	if (posix_memalign((void **)&t->buf, page, cap))
		die("out of memory (%zu bytes of text)", cap);
	t->len = 0;
	t->kmin = UINT64_MAX;
	t->kmax = 0;
	for (i = 0; i < n; i++) {
		t->keys[i] = random ? key_of(i) : i;
		t->len += put_line(t->buf + t->len, t->keys[i]);
		if (t->keys[i] < t->kmin)
			t->kmin = t->keys[i];
		if (t->keys[i] > t->kmax)
			t->kmax = t->keys[i];
	}

	/* The lines each 64 KiB write completes: the daemon's transactions. */
	t->nchunks = (t->len + WRITE_SIZE - 1) / WRITE_SIZE;
	t->chunk_lines = xmalloc(t->nchunks * sizeof(*t->chunk_lines));
	for (c = 0; c < t->nchunks; c++) {
		off = c * WRITE_SIZE;
		end = off + WRITE_SIZE < t->len ? off + WRITE_SIZE : t->len;
		cnt = 0;
		for (p = t->buf + off;
		     (q = memchr(p, '\n', t->buf + end - p)); p = q + 1)
			cnt++;
		t->chunk_lines[c] = cnt;
		total += cnt;
	}
	if (total != n)
		die("%s text: %" PRIu64 " lines, expected %" PRIu64, name,
		    total, n);
	t->nfixed = split_fixed(n, TXN_FIXED, &t->fixed_lines);
}

/* ---- mounts and cleanup ------------------------------------------------- */

/* Is @dir a mount point now?  /proc/self/mountinfo, so it never blocks. */
static bool
is_mounted(const char *dir)
{
	FILE	*f = fopen("/proc/self/mountinfo", "re");
	char	line[8192], *tok, *save;
	bool	found = false;
	int	field;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f)) {
		/* ID PARENT MAJ:MIN ROOT MOUNTPOINT ... (our paths need no
		 * octal escapes: mkdtemp names under /tmp) */
		tok = strtok_r(line, " ", &save);
		for (field = 1; tok && field < 5; field++)
			tok = strtok_r(NULL, " ", &save);
		if (tok && !strcmp(tok, dir))
			found = true;
	}
	fclose(f);
	return found;
}

/* After fork(): the child gets no blocked signals and its own group. */
static void
child_setup(int out_fd)
{
	sigset_t	none;
	int		null_fd;

	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	setpgid(0, 0);
	null_fd = open("/dev/null", O_RDWR);
	if (null_fd >= 0)
		dup2(null_fd, STDIN_FILENO);
	if (out_fd < 0)
		out_fd = null_fd;
	if (out_fd >= 0) {
		dup2(out_fd, STDOUT_FILENO);
		dup2(out_fd, STDERR_FILENO);
	}
}

/* Reap @pid, waiting up to @ms (< 0: for ever); true once it is gone. */
static bool
reap(pid_t pid, int ms, int *status)
{
	pid_t	r;
	int	st;

	for (;;) {
		r = waitpid(pid, &st, ms < 0 ? 0 : WNOHANG);
		if (r == pid) {
			if (status)
				*status = st;
			return true;
		}
		if (r < 0 && errno != EINTR)
			return true;		/* not ours any more */
		if (r == 0) {
			if (ms <= 0)
				return false;
			sleep_ms(10);
			ms -= 10;
		}
	}
}

/* fusermount3 -u [-z] DIR; true if it succeeded. */
static bool
fusermount_u(const char *dir, bool lazy, bool quiet)
{
	int	status;
	pid_t	pid;

	fflush(NULL);
	pid = fork();
	if (pid < 0)
		return false;
	if (pid == 0) {
		child_setup(quiet ? -1 : STDERR_FILENO);
		if (lazy)
			execl(fusermount_path, "fusermount3", "-u", "-z", dir,
			      (char *)NULL);
		else
			execl(fusermount_path, "fusermount3", "-u", dir,
			      (char *)NULL);
		_exit(127);
	}
	if (!reap(pid, EXIT_WAIT_MS, &status)) {
		kill(pid, SIGKILL);
		reap(pid, -1, NULL);
		return false;
	}
	return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* Stop @m's daemon with SIGTERM, or SIGKILL if need be; reap it. */
static void
kill_daemon_locked(struct mount *m)
{
	if (!m->pid)
		return;
	kill(m->pid, SIGTERM);
	if (!reap(m->pid, KILL_WAIT_MS, NULL)) {
		kill(m->pid, SIGKILL);
		reap(m->pid, -1, NULL);
	}
	m->pid = 0;
}

/*
 * Unmount @m and reap its daemon; cleanup_lock held.  Unmounted, the
 * daemon exits by itself; if it does not in time, or the unmount failed
 * (a file still open: then the lazy unmount detaches it), it is stopped
 * with a signal.  A daemon that died first leaves a dead mount: the
 * lazy unmount removes that too.
 */
static void
unmount_locked(struct mount *m, bool quiet)
{
	bool	unmounted = false;

	if (m->dir[0] && is_mounted(m->dir)) {
		unmounted = fusermount_u(m->dir, false, quiet);
		if (!unmounted)
			fusermount_u(m->dir, true, quiet);
	}
	if (m->pid && !(unmounted && reap(m->pid, quiet ? KILL_WAIT_MS :
						 EXIT_WAIT_MS, NULL))) {
		if (unmounted)
			fprintf(stderr, "bench_fuse: %s (pid %d) still runs "
				"after its unmount: SIGTERM\n", m->what,
				(int)m->pid);
		kill_daemon_locked(m);
	}
	m->pid = 0;
	if (m->dir[0] && is_mounted(m->dir))
		fusermount_u(m->dir, true, quiet);
}

static void
remove_tmp_locked(void)
{
	int	i;

	if (shm_file[0]) {
		unlink(shm_file);
		shm_file[0] = '\0';
	}
	for (i = 0; i < NR_MNT; i++) {
		if (mounts[i].log[0])
			unlink(mounts[i].log);
		if (mounts[i].dir[0])
			rmdir(mounts[i].dir);
		mounts[i].log[0] = '\0';
		mounts[i].dir[0] = '\0';
	}
	if (tmp_dir[0]) {
		if (rmdir(tmp_dir))
			fprintf(stderr, "bench_fuse: cannot remove %s: %s\n",
				tmp_dir, strerror(errno));
		tmp_dir[0] = '\0';
	}
}

/*
 * Undo everything: every mount, every daemon, every temporary file.
 *
 * @emergency (die(), a signal): if a file on a mount is open, or may be
 * (a thread may be stuck in a request), the daemons are stopped first,
 * before anything is forked: a child inherits our open files until its
 * exec closes them, and each such close is a FLUSH that waits,
 * unkillably, for a daemon that may never answer (a stopped one; it
 * hangs even ps).  With the daemons gone, the kernel fails those
 * requests at once, and fusermount3 then removes the dead mounts.
 */
static void
cleanup(bool emergency)
{
	int	i;

	pthread_mutex_lock(&cleanup_lock);
	if (emergency && __atomic_load_n(&fuse_fds, __ATOMIC_SEQ_CST))
		for (i = 0; i < NR_MNT; i++)
			kill_daemon_locked(&mounts[i]);
	for (i = 0; i < NR_MNT; i++)
		unmount_locked(&mounts[i], emergency);
	remove_tmp_locked();
	pthread_mutex_unlock(&cleanup_lock);
}

/* The end of each live daemon's log, after an error. */
static void
dump_logs(void)
{
	char	buf[2048];
	ssize_t	r;
	off_t	size;
	int	i, fd;

	for (i = 0; i < NR_MNT; i++) {
		if (!mounts[i].log[0])
			continue;
		fd = open(mounts[i].log, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		size = lseek(fd, 0, SEEK_END);
		if (size > 0) {
			lseek(fd, size > (off_t)sizeof(buf) - 1 ?
				  size - (off_t)sizeof(buf) + 1 : 0, SEEK_SET);
			r = read(fd, buf, sizeof(buf) - 1);
			if (r > 0) {
				buf[r] = '\0';
				fprintf(stderr, "bench_fuse: %s's log "
					"ends:\n%s%s", mounts[i].what, buf,
					buf[r - 1] == '\n' ? "" : "\n");
			}
		}
		close(fd);
	}
}

/* The signal thread: every other thread has the signals blocked. */
static void *
signal_thread(void *arg)
{
	sigset_t	*set = arg;
	int		sig;

	while (sigwait(set, &sig))
		;
	if (!claim_stop())
		return NULL;		/* die() is at it and exits */
	fprintf(stderr, "bench_fuse: %s: unmounting and stopping\n",
		strsignal(sig));
	cleanup(true);
	signal(sig, SIG_DFL);
	pthread_sigmask(SIG_UNBLOCK, set, NULL);
	raise(sig);
	_exit(128 + sig);
}

/* Start @prog -f DIR and wait until DIR is a mount point. */
static void
start_daemon(struct mount *m, const char *prog)
{
	int	fd, waited, status;
	pid_t	pid;

	fd = open(m->log, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0)
		die("%s: %s", m->log, strerror(errno));
	fflush(NULL);
	pthread_mutex_lock(&cleanup_lock);
	pid = fork();
	if (pid == 0) {
		child_setup(fd);
		execl(prog, prog, "-f", m->dir, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", prog, strerror(errno));
		_exit(127);
	}
	if (pid > 0)
		m->pid = pid;
	pthread_mutex_unlock(&cleanup_lock);
	close(fd);
	if (pid < 0)
		die("fork: %s", strerror(errno));

	for (waited = 0; !is_mounted(m->dir); waited += 10) {
		if (waitpid(pid, &status, WNOHANG) == pid) {
			pthread_mutex_lock(&cleanup_lock);
			m->pid = 0;
			pthread_mutex_unlock(&cleanup_lock);
			die("%s exited before mounting %s (status %#x)",
			    prog, m->dir, status);
		}
		if (waited >= MOUNT_WAIT_MS)
			die("%s: %s not mounted after %d s", prog, m->dir,
			    MOUNT_WAIT_MS / 1000);
		sleep_ms(10);
	}
}

static void
stop_daemon(struct mount *m)
{
	pthread_mutex_lock(&cleanup_lock);
	unmount_locked(m, false);
	pthread_mutex_unlock(&cleanup_lock);
}

/* A fresh temporary directory with the two mount points; both mounted. */
static void
mount_both(void)
{
	char	tmpl[] = "/tmp/bench_fuse.XXXXXX";
	char	dir[PATH_MAX], log[PATH_MAX];
	char	*real;
	int	i;

	if (!mkdtemp(tmpl))
		die("mkdtemp %s: %s", tmpl, strerror(errno));
	real = realpath(tmpl, NULL);
	pthread_mutex_lock(&cleanup_lock);
	snprintf(tmp_dir, sizeof(tmp_dir), "%s", real ? real : tmpl);
	pthread_mutex_unlock(&cleanup_lock);
	free(real);
	for (i = 0; i < NR_MNT; i++) {
		xsnprintf(dir, sizeof(dir), "%s/%s", tmp_dir,
			  i == MNT_XFB ? "xfb" : "discard");
		xsnprintf(log, sizeof(log), "%s/%s.log", tmp_dir,
			  mounts[i].what);
		pthread_mutex_lock(&cleanup_lock);
		memcpy(mounts[i].dir, dir, sizeof(dir));
		memcpy(mounts[i].log, log, sizeof(log));
		pthread_mutex_unlock(&cleanup_lock);
	}
	for (i = 0; i < NR_MNT; i++)
		if (mkdir(mounts[i].dir, 0700))
			die("mkdir %s: %s", mounts[i].dir, strerror(errno));
	start_daemon(&mounts[MNT_XFB], opt_daemon);
	start_daemon(&mounts[MNT_DISCARD], opt_discardfs);
}

/* ---- small file helpers ------------------------------------------------- */

/* A small file read whole, NUL-terminated; NULL with errno on failure. */
static char *
slurp(const char *path)
{
	size_t	cap = 4096, len = 0;
	char	*buf = xmalloc(cap);
	ssize_t	r;
	int	fd = fuse_open(path, O_RDONLY), saved;

	if (fd < 0) {
		saved = errno;
		free(buf);
		errno = saved;
		return NULL;
	}
	for (;;) {
		if (cap - len < 4096) {
			cap *= 2;
			buf = realloc(buf, cap);
			if (!buf)
				die("out of memory");
		}
		r = read(fd, buf + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += r;
	}
	saved = errno;
	fuse_close(fd);
	if (r < 0) {
		free(buf);
		errno = saved;
		return NULL;
	}
	buf[len] = '\0';
	return buf;
}

/* The number after "NAME " at the start of a line of @text. */
static bool
stat_field(const char *text, const char *name, uint64_t *v)
{
	size_t		len = strlen(name);
	const char	*p = text;

	while (p && *p) {
		if (!strncmp(p, name, len) && p[len] == ' ') {
			*v = strtoull(p + len + 1, NULL, 10);
			return true;
		}
		p = strchr(p, '\n');
		if (p)
			p++;
	}
	return false;
}

/* ---- the write workloads ------------------------------------------------ */

/*
 * Write @t to @path in 64 KiB write()s; seconds from the first write to
 * the return of close().  @errors: the btree's errors file, shown if a
 * write fails.
 */
static double
write_text(const char *path, int oflags, const struct text *t,
	   const char *errors)
{
	size_t	off, len;
	double	t0;
	ssize_t	r;
	int	fd = fuse_open(path, O_WRONLY | oflags);
	char	*msg;

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	t0 = now_sec();
	for (off = 0; off < t->len; off += len) {
		len = t->len - off < WRITE_SIZE ? t->len - off : WRITE_SIZE;
		r = write(fd, t->buf + off, len);
		if (r == (ssize_t)len)
			continue;
		if (r < 0 && errno == EINTR) {
			len = 0;
			continue;
		}
		msg = errors ? slurp(errors) : NULL;
		die("write %s at byte %zu: %s%s%s", path, off,
		    r < 0 ? strerror(errno) : "short write",
		    msg ? "; errors:\n" : "", msg ? msg : "");
	}
	if (fuse_close(fd)) {
		msg = errors ? slurp(errors) : NULL;
		die("close %s: %s%s%s", path, strerror(errno),
		    msg ? "; errors:\n" : "", msg ? msg : "");
	}
	return now_sec() - t0;
}

static double
shm_write(const struct text *t)
{
	char	name[] = "/dev/shm/bench_fuse.XXXXXX";
	double	sec;
	int	fd;

	pthread_mutex_lock(&cleanup_lock);
	fd = mkostemp(name, O_CLOEXEC);
	if (fd >= 0)
		snprintf(shm_file, sizeof(shm_file), "%s", name);
	pthread_mutex_unlock(&cleanup_lock);
	if (fd < 0)
		die("mkstemp %s: %s", name, strerror(errno));
	close(fd);
	sec = write_text(name, O_TRUNC, t, NULL);
	pthread_mutex_lock(&cleanup_lock);
	unlink(shm_file);
	shm_file[0] = '\0';
	pthread_mutex_unlock(&cleanup_lock);
	return sec;
}

/* Write @t to the insert file of @btree; returns seconds. */
static double
insert_text(const struct text *t, const char *btree)
{
	char	path[PATH_MAX + 32], errors[PATH_MAX + 32];

	xsnprintf(path, sizeof(path), "%s/insert", btree);
	xsnprintf(errors, sizeof(errors), "%s/errors", btree);
	return write_text(path, 0, t, errors);
}

/* After insert_text(): @btree holds @t's records and checks ok. */
static void
insert_verify(const struct text *t, const char *btree)
{
	char	path[PATH_MAX + 32], *text;
	uint64_t records = 0, commits = 0;

	xsnprintf(path, sizeof(path), "%s/stats", btree);
	text = slurp(path);
	if (!text)
		die("read %s: %s", path, strerror(errno));
	if (!stat_field(text, "records", &records) || records != t->n)
		die("%s: records %" PRIu64 " after inserting %" PRIu64,
		    path, records, t->n);
	if (stat_field(text, "commits", &commits) && commits != t->nchunks)
		fprintf(stderr, "bench_fuse: warning: %s: %" PRIu64
			" commits for %zu writes: the writes were not one "
			"transaction each\n", path, commits, t->nchunks);
	free(text);

	xsnprintf(path, sizeof(path), "%s/check", btree);
	text = slurp(path);
	if (!text)
		die("read %s: %s", path, strerror(errno));
	if (strcmp(text, "ok\n"))
		die("%s: %s", path, text);
	free(text);
}

/*
 * CPU seconds (user and system, all threads) the xfbtreefs daemon has
 * used so far, from /proc/PID/stat: utime and stime are its 14th and 15th
 * fields, the 12th and 13th after the command name's ")".
 */
static double
daemon_cpu(void)
{
	char		path[64], buf[1024], *p;
	unsigned long	ut, st;
	FILE		*f;
	size_t		n;
	int		i;

	xsnprintf(path, sizeof(path), "/proc/%d/stat",
		  (int)mounts[MNT_XFB].pid);
	f = fopen(path, "r");
	if (!f)
		die("%s: %s", path, strerror(errno));
	n = fread(buf, 1, sizeof(buf) - 1, f);
	fclose(f);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	for (i = 0; p && i < 12; i++)
		p = strchr(p + 1, ' ');
	if (!p || sscanf(p, "%lu %lu", &ut, &st) != 2)
		die("%s: cannot read utime and stime", path);
	return (double)(ut + st) / sysconf(_SC_CLK_TCK);
}

/*
 * mkdir a btree, write @t to its insert, check it; returns seconds, and
 * in *@cores the daemon's CPU time over them.
 */
static double
fuse_insert(const struct text *t, const char *btree, double *cores)
{
	double	sec, cpu;

	if (mkdir(btree, 0755))
		die("mkdir %s: %s", btree, strerror(errno));
	cpu = daemon_cpu();
	sec = insert_text(t, btree);
	*cores = (daemon_cpu() - cpu) / sec;
	insert_verify(t, btree);
	return sec;
}

struct writer {
	pthread_t		thread;
	const struct text	*t;
	char			btree[PATH_MAX + 32];
	pthread_barrier_t	*start;
};

static void *
writer_run(void *arg)
{
	struct writer	*w = arg;

	pthread_barrier_wait(w->start);
	insert_text(w->t, w->btree);
	return NULL;
}

/*
 * Two writers at once, each writing all of @t to a btree of its own
 * (two btrees under @mnt); records/s of both together, from their start
 * to the later close().  Both btrees are checked, then removed.
 */
static double
fuse_insert_2writers(const struct text *t, const char *mnt, double *cores)
{
	struct writer		w[2];
	pthread_barrier_t	start;
	double			t0, sec, cpu;
	int			i, error;

	pthread_barrier_init(&start, NULL, 3);
	for (i = 0; i < 2; i++) {
		w[i].t = t;
		w[i].start = &start;
		xsnprintf(w[i].btree, sizeof(w[i].btree), "%s/writer%d", mnt,
			  i);
		if (mkdir(w[i].btree, 0755))
			die("mkdir %s: %s", w[i].btree, strerror(errno));
		error = pthread_create(&w[i].thread, NULL, writer_run, &w[i]);
		if (error)
			die("pthread_create: %s", strerror(error));
	}
	cpu = daemon_cpu();
	pthread_barrier_wait(&start);
	t0 = now_sec();
	for (i = 0; i < 2; i++)
		pthread_join(w[i].thread, NULL);
	sec = now_sec() - t0;
	*cores = (daemon_cpu() - cpu) / sec;
	pthread_barrier_destroy(&start);
	for (i = 0; i < 2; i++) {
		insert_verify(t, w[i].btree);
		if (rmdir(w[i].btree))
			die("rmdir %s: %s", w[i].btree, strerror(errno));
	}
	return 2 * t->n / sec;
}

static void
engine_check(int error, const char *what, struct xbtree *bt)
{
	char	why[256];

	if (!error)
		return;
	xbtree_last_error(bt, why, sizeof(why));
	die("engine: %s: %s%s%s", what, strerror(-error), why[0] ? ": " : "",
	    why);
}

/*
 * The engine in-process: @t's keys in its order, in @ntxn transactions of
 * @txn_lines[i] records; seconds from the first transaction to the last
 * commit.  The btree is made like the daemon makes one (page-sized
 * blocks, memfd).
 */
static double
engine_insert(const struct text *t, const size_t *txn_lines, size_t ntxn)
{
	struct xbtree	*bt = NULL;
	struct xbt_trans *tp;
	uint8_t		rec[KVBT_REC_LEN];
	const uint64_t	*k = t->keys;
	size_t		i, j;
	double		t0, sec;
	int		error, stat;

	error = xbtree_create(&kvbt_ops, &(struct xbtree_params){
				.blocksize = 0, .owner = 1 }, &bt);
	if (error)
		die("engine: xbtree_create: %s", strerror(-error));
	t0 = now_sec();
	for (i = 0; i < ntxn; i++) {
		engine_check(xbt_trans_alloc(bt, &tp), "xbt_trans_alloc", bt);
		for (j = 0; j < txn_lines[i]; j++, k++) {
			kvbt_rec_init(rec, *k, val_of(*k));
			error = xbt_insert(tp, rec, &stat);
			if (error) {
				xbt_trans_cancel(tp);
				engine_check(error, "xbt_insert", bt);
			}
			if (stat != 1)
				die("engine: key %" PRIu64 " reported as a "
				    "duplicate", *k);
		}
		engine_check(xbt_trans_commit(tp), "xbt_trans_commit", bt);
	}
	sec = now_sec() - t0;
	if (xbtree_nrecords(bt) != t->n)
		die("engine: %" PRIu64 " records after inserting %" PRIu64,
		    xbtree_nrecords(bt), t->n);
	xbtree_destroy(bt);
	return sec;
}

/* ---- lookups ------------------------------------------------------------ */

struct client {
	pthread_t		thread;
	int			fd;
	const uint64_t		*keys;
	size_t			nq;
	pthread_barrier_t	*start;
	const char		*path;
};

static void *
client_run(void *arg)
{
	struct client	*c = arg;
	char		q[64], want[64], got[256];
	size_t		i, qlen, wlen;
	ssize_t		r;

	pthread_barrier_wait(c->start);
	for (i = 0; i < c->nq; i++) {
		memcpy(q, "eq ", 3);
		qlen = 3 + put_u64(q + 3, c->keys[i]);
		q[qlen++] = '\n';
		r = write(c->fd, q, qlen);
		if (r != (ssize_t)qlen)
			die("write %s: %.*s: %s", c->path, (int)qlen - 1, q,
			    r < 0 ? strerror(errno) : "short write");
		r = read(c->fd, got, sizeof(got));
		if (r < 0)
			die("read %s after %.*s: %s", c->path, (int)qlen - 1,
			    q, strerror(errno));
		wlen = put_line(want, c->keys[i]);
		if ((size_t)r != wlen || memcmp(got, want, wlen))
			die("%s: %.*s answered \"%.*s\", expected \"%.*s\"",
			    c->path, (int)qlen - 1, q, (int)r, got,
			    (int)wlen - 1, want);
	}
	return NULL;
}

/* @nclients clients share @nq queries of @keys; returns queries/s. */
static double
lookups(const char *btree, const uint64_t *keys, size_t nq, int nclients)
{
	struct client		c[2];
	pthread_barrier_t	start;
	char			path[PATH_MAX + 32];
	double			t0, sec;
	size_t			per = nq / nclients, done = 0;
	int			i, error;

	xsnprintf(path, sizeof(path), "%s/lookup", btree);
	pthread_barrier_init(&start, NULL, nclients + 1);
	for (i = 0; i < nclients; i++) {
		c[i].fd = fuse_open(path, O_RDWR);
		if (c[i].fd < 0)
			die("open %s: %s", path, strerror(errno));
		c[i].keys = keys + done;
		c[i].nq = i == nclients - 1 ? nq - done : per;
		c[i].start = &start;
		c[i].path = path;
		done += c[i].nq;
		error = pthread_create(&c[i].thread, NULL, client_run, &c[i]);
		if (error)
			die("pthread_create: %s", strerror(error));
	}
	pthread_barrier_wait(&start);
	t0 = now_sec();
	for (i = 0; i < nclients; i++)
		pthread_join(c[i].thread, NULL);
	sec = now_sec() - t0;
	for (i = 0; i < nclients; i++)
		fuse_close(c[i].fd);
	pthread_barrier_destroy(&start);
	return nq / sec;
}

/* ---- reads -------------------------------------------------------------- */

struct stream {
	uint64_t	bytes;
	char		head[TAIL_LEN];
	size_t		head_len;
	char		tail[TAIL_LEN];
	size_t		tail_len;
};

/*
 * Read @path in 128 KiB read()s, to its end or @limit bytes; seconds from
 * the first read to the return of close().  Keeps the first and last
 * TAIL_LEN bytes.
 */
static double
read_stream(const char *path, uint64_t limit, char *buf, struct stream *s)
{
	size_t	want, keep;
	double	t0;
	ssize_t	r;
	int	fd = fuse_open(path, O_RDONLY);

	if (fd < 0)
		die("open %s: %s", path, strerror(errno));
	memset(s, 0, sizeof(*s));
	t0 = now_sec();
	for (;;) {
		want = READ_SIZE;
		if (limit && limit - s->bytes < want)
			want = limit - s->bytes;
		if (!want)
			break;
		r = read(fd, buf, want);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			die("read %s at byte %" PRIu64 ": %s", path, s->bytes,
			    strerror(errno));
		if (r == 0)
			break;
		if (s->head_len < TAIL_LEN) {
			keep = TAIL_LEN - s->head_len < (size_t)r ?
			       TAIL_LEN - s->head_len : (size_t)r;
			memcpy(s->head + s->head_len, buf, keep);
			s->head_len += keep;
		}
		if ((size_t)r >= TAIL_LEN) {
			memcpy(s->tail, buf + r - TAIL_LEN, TAIL_LEN);
			s->tail_len = TAIL_LEN;
		} else {
			keep = s->tail_len < TAIL_LEN - (size_t)r ?
			       s->tail_len : TAIL_LEN - (size_t)r;
			memmove(s->tail, s->tail + s->tail_len - keep, keep);
			memcpy(s->tail + keep, buf, r);
			s->tail_len = keep + r;
		}
		s->bytes += r;
	}
	if (fuse_close(fd))
		die("close %s: %s", path, strerror(errno));
	return now_sec() - t0;
}

/* records of the random btree, checked; then as much of sink. */
static void
reads(const char *btree, const struct text *t, int run)
{
	char		path[PATH_MAX + 32], want[LINE_MAX_LEN];
	char		*buf = xmalloc(READ_SIZE);
	struct stream	s;
	size_t		wlen, i;
	double		sec;

	xsnprintf(path, sizeof(path), "%s/records", btree);
	sec = read_stream(path, 0, buf, &s);
	if (s.bytes != t->len)
		die("%s: %" PRIu64 " bytes, expected %zu", path, s.bytes,
		    t->len);
	wlen = put_line(want, t->kmin);
	if (s.head_len < wlen || memcmp(s.head, want, wlen))
		die("%s: does not start with \"%.*s\"", path, (int)wlen - 1,
		    want);
	wlen = put_line(want, t->kmax);
	if (s.tail_len < wlen ||
	    memcmp(s.tail + s.tail_len - wlen, want, wlen) ||
	    (s.tail_len > wlen && s.tail[s.tail_len - wlen - 1] != '\n'))
		die("%s: does not end with \"%.*s\"", path, (int)wlen - 1,
		    want);
	samples[M_RECORDS_READ][run] = s.bytes / 1e6 / sec;

	xsnprintf(path, sizeof(path), "%s/sink", mounts[MNT_DISCARD].dir);
	sec = read_stream(path, t->len, buf, &s);
	if (s.bytes != t->len)
		die("%s: %" PRIu64 " bytes, expected %zu", path, s.bytes,
		    t->len);
	for (i = 0; i < s.head_len || i < s.tail_len; i++)
		if ((i < s.head_len && s.head[i]) ||
		    (i < s.tail_len && s.tail[i]))
			die("%s: reads something other than zeros", path);
	samples[M_DISCARD_READ][run] = s.bytes / 1e6 / sec;
	free(buf);
}

/* ---- one run ------------------------------------------------------------ */

static void
run_text(const struct text *t, int run, char *btree, size_t btree_len)
{
	char	sink[PATH_MAX + 8];
	double	*w[NR_W], cores;
	int	i;

	for (i = 0; i < NR_W; i++)
		w[i] = &samples[t->first + i][run];
	xsnprintf(sink, sizeof(sink), "%s/sink", mounts[MNT_DISCARD].dir);
	xsnprintf(btree, btree_len, "%s/%s", mounts[MNT_XFB].dir, t->name);

	*w[W_SHM] = t->n / shm_write(t);
	*w[W_DISCARD] = t->n / write_text(sink, 0, t, NULL);
	*w[W_INSERT] = t->n / fuse_insert(t, btree, &cores);
	if (t->first == M_SHM_RANDOM)
		samples[M_CORES_1WRITER][run] = cores;
	*w[W_ENGINE] = t->n / engine_insert(t, t->chunk_lines, t->nchunks);
	*w[W_ENGINE_1000] = t->n / engine_insert(t, t->fixed_lines,
						 t->nfixed);
}

/* The daemon's own first line ("mounted: max_write ..."), if any. */
static void
print_log_line(const struct mount *m)
{
	char	*text = slurp(m->log), *nl;

	if (!text)
		return;
	nl = strchr(text, '\n');
	if (nl)
		*nl = '\0';
	if (text[0])
		printf("# %s -f: \"%s\"\n", m->what, text);
	free(text);
}

static void
run_once(int run, const struct text *rnd, const struct text *seq,
	 const uint64_t *qkeys)
{
	char	rbtree[PATH_MAX + 32], sbtree[PATH_MAX + 32];
	struct stat st;

	mount_both();
	if (run == 0) {
		/* Both have answered INIT once stat() returns. */
		stat(mounts[MNT_XFB].dir, &st);
		stat(mounts[MNT_DISCARD].dir, &st);
		print_log_line(&mounts[MNT_XFB]);
		print_log_line(&mounts[MNT_DISCARD]);
		fflush(stdout);
	}
	run_text(rnd, run, rbtree, sizeof(rbtree));
	run_text(seq, run, sbtree, sizeof(sbtree));
	if (rmdir(sbtree))
		die("rmdir %s: %s", sbtree, strerror(errno));
	samples[M_INSERT_2WRITERS][run] =
		fuse_insert_2writers(rnd, mounts[MNT_XFB].dir,
				     &samples[M_CORES_2WRITERS][run]);

	samples[M_LOOKUP_1][run] = lookups(rbtree, qkeys, opt_queries, 1);
	samples[M_LOOKUP_2][run] = lookups(rbtree, qkeys, opt_queries, 2);
	reads(rbtree, rnd, run);
	if (rmdir(rbtree))
		die("rmdir %s: %s", rbtree, strerror(errno));

	stop_daemon(&mounts[MNT_XFB]);
	stop_daemon(&mounts[MNT_DISCARD]);
	pthread_mutex_lock(&cleanup_lock);
	remove_tmp_locked();
	pthread_mutex_unlock(&cleanup_lock);
}

/* ---- output ------------------------------------------------------------- */

static int
cmp_double(const void *a, const void *b)
{
	double	x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double
median(enum metric m)
{
	double	v[MAX_RUNS];
	int	n = opt_runs;

	memcpy(v, samples[m], n * sizeof(v[0]));
	qsort(v, n, sizeof(v[0]), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

static void
print_machine(void)
{
	printf("# bench_fuse: xfbtreefs through its files, beside /dev/shm, "
	       "discardfs and the engine\n");
	bench_print_machine();
	printf("# daemon %s\n# discardfs %s\n", opt_daemon, opt_discardfs);
	printf("# n = %" PRIu64 " records, %" PRIu64 " lookups, median of "
	       "%d run%s; writes of %d KiB, reads of %d KiB\n", opt_n,
	       opt_queries, opt_runs, opt_runs == 1 ? "" : "s",
	       WRITE_SIZE / 1024, READ_SIZE / 1024);
#if !defined(__OPTIMIZE__) || defined(XFB_DEBUG)
	printf("# WARNING: not a release build (no optimisation or "
	       "XFB_DEBUG on): figures are not representative\n");
#endif
	fflush(stdout);
}

static const char *
verdict(double ratio, double target)
{
	return ratio >= target ? "met" : "MISSED";
}

static void
print_writes(const struct text *t)
{
	static const char *const rows[NR_W] = {
		[W_SHM]		= "/dev/shm file",
		[W_DISCARD]	= "discardfs sink",
		[W_INSERT]	= "xfbtreefs insert",
		[W_ENGINE]	= "engine, txn = 1 write",
		[W_ENGINE_1000]	= "engine, txn = 1000",
	};
	double	rate, per, target = t->first == M_SHM_RANDOM ? TARGET_RANDOM :
							       TARGET_SEQ;
	double	ins = median(t->first + W_INSERT);
	double	eng = median(t->first + W_ENGINE);
	int	i;

	printf("\n## insert, %s keys: %.1f MB of text, %zu writes of "
	       "64 KiB (%.0f records each)\n", t->name, t->len / 1e6,
	       t->nchunks, (double)t->n / t->nchunks);
	printf("%-24s %12s %9s %10s %10s\n", "", "records/s", "MB/s",
	       "us/write", "vs insert");
	for (i = 0; i < NR_W; i++) {
		rate = median(t->first + i);
		per = i == W_ENGINE_1000 ? (double)t->n / t->nfixed :
					   (double)t->n / t->nchunks;
		printf("%-24s %12.0f %9.1f %10.1f %9.2fx\n", rows[i], rate,
		       rate * t->len / t->n / 1e6, per / rate * 1e6,
		       rate / ins);
	}
	printf("insert / engine = %.3f (target %.2f: %s); insert / discardfs "
	       "= %.3f\n", ins / eng, target, verdict(ins / eng, target),
	       ins / median(t->first + W_DISCARD));
}

static void
print_tables(const struct text *rnd, const struct text *seq)
{
	double	rec = median(M_RECORDS_READ), dis = median(M_DISCARD_READ);

	print_writes(rnd);
	print_writes(seq);
	printf("\n## two writers at once, each all of the random text into "
	       "a btree of its own\n");
	printf("%-24s %12s %13s\n", "", "records/s", "daemon cores");
	printf("%-24s %12.0f %13.2f\n", "1 writer", median(M_INSERT_RANDOM),
	       median(M_CORES_1WRITER));
	printf("%-24s %12.0f %13.2f\n", "2 writers (total)",
	       median(M_INSERT_2WRITERS), median(M_CORES_2WRITERS));
	printf("2 writers / 1 writer = %.3f (target %.2f: %s)\n",
	       median(M_INSERT_2WRITERS) / median(M_INSERT_RANDOM),
	       TARGET_2WRITERS,
	       verdict(median(M_INSERT_2WRITERS) / median(M_INSERT_RANDOM),
		       TARGET_2WRITERS));
	printf("\n## lookup: `eq KEY` write + answer read, %" PRIu64
	       " queries over the random btree\n", opt_queries);
	printf("%-24s %12s %10s\n", "", "queries/s", "us/query");
	printf("%-24s %12.0f %10.1f\n", "1 client", median(M_LOOKUP_1),
	       1e6 / median(M_LOOKUP_1));
	printf("%-24s %12.0f %10.1f\n", "2 clients (total)",
	       median(M_LOOKUP_2), 1e6 / median(M_LOOKUP_2));
	printf("\n## reads of %d KiB: %.1f MB (the random btree's records)\n",
	       READ_SIZE / 1024, rnd->len / 1e6);
	printf("%-24s %12s %10s\n", "", "MB/s", "us/read");
	printf("%-24s %12.1f %10.1f\n", "xfbtreefs records", rec,
	       READ_SIZE / 1e6 / rec * 1e6);
	printf("%-24s %12.1f %10.1f\n", "discardfs sink", dis,
	       READ_SIZE / 1e6 / dis * 1e6);
	printf("records / discardfs = %.3f (target %.2f: %s)\n", rec / dis,
	       TARGET_READ, verdict(rec / dis, TARGET_READ));
	fflush(stdout);
}

static void
print_json(FILE *out)
{
	int	m;

	for (m = 0; m < NR_METRICS; m++)
		fprintf(out, "{\"bench\":\"fuse\",\"workload\":\"%s\","
			"\"n\":%" PRIu64 ",\"value\":%.3f,\"unit\":\"%s\"}\n",
			metrics[m].name, opt_n, median(m), metrics[m].unit);
	fprintf(out, "{\"bench\":\"fuse\",\"workload\":\"insert_vs_engine_"
		"random\",\"n\":%" PRIu64 ",\"value\":%.3f,\"unit\":\"ratio\","
		"\"target\":%.2f}\n", opt_n,
		median(M_INSERT_RANDOM) / median(M_ENGINE_RANDOM),
		TARGET_RANDOM);
	fprintf(out, "{\"bench\":\"fuse\",\"workload\":\"insert_vs_engine_"
		"seq\",\"n\":%" PRIu64 ",\"value\":%.3f,\"unit\":\"ratio\","
		"\"target\":%.2f}\n", opt_n,
		median(M_INSERT_SEQ) / median(M_ENGINE_SEQ), TARGET_SEQ);
	fprintf(out, "{\"bench\":\"fuse\",\"workload\":\"two_writers_vs_"
		"one\",\"n\":%" PRIu64 ",\"value\":%.3f,\"unit\":\"ratio\","
		"\"target\":%.2f}\n", opt_n,
		median(M_INSERT_2WRITERS) / median(M_INSERT_RANDOM),
		TARGET_2WRITERS);
	fprintf(out, "{\"bench\":\"fuse\",\"workload\":\"records_vs_discard_"
		"read\",\"n\":%" PRIu64 ",\"value\":%.3f,\"unit\":\"ratio\","
		"\"target\":%.2f}\n", opt_n,
		median(M_RECORDS_READ) / median(M_DISCARD_READ), TARGET_READ);
	fflush(out);
}

/* ---- command line ------------------------------------------------------- */

static void __attribute__((noreturn))
usage(int status)
{
	fprintf(status ? stderr : stdout,
		"usage: bench_fuse [-n N] [-r RUNS] [-q QUERIES] "
		"[--daemon PATH] [--discardfs PATH] [--json FILE]\n"
		"  -n N             records (k and M suffixes; default "
		"1000000)\n"
		"  -r RUNS          runs, each on fresh mounts; medians "
		"(1..%d, default 3)\n"
		"  -q QUERIES       lookups, in all, with one client and "
		"again with two\n"
		"                   (default 100000)\n"
		"  --daemon PATH    xfbtreefs (default: ../../fusefs/xfbtreefs "
		"from this program)\n"
		"  --discardfs PATH discardfs (default: next to this "
		"program)\n"
		"  --json FILE      JSON lines to FILE instead of stdout\n"
		"Needs /dev/fuse and fusermount3; mounts under /tmp.\n",
		MAX_RUNS);
	exit(status);
}

static uint64_t
parse_count(const char *s, const char *what)
{
	uint64_t	v;

	if (!bench_parse_count(s, 1ULL << 32, &v))
		die("bad %s '%s'", what, s);
	return v;
}

/* @name next to this program (via /proc/self/exe), or NULL. */
static char *
beside_self(const char *name)
{
	char	exe[PATH_MAX], *slash, *path;
	ssize_t	len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);

	if (len <= 0)
		return NULL;
	exe[len] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return NULL;
	*slash = '\0';
	if (asprintf(&path, "%s/%s", exe, name) < 0)
		return NULL;
	return path;
}

static void
find_program(char **path, const char *name, const char *option)
{
	char	*real;

	if (!*path)
		*path = beside_self(name);
	if (!*path || access(*path, X_OK))
		die("cannot run %s (%s); give it with %s", name,
		    *path ? *path : "not found", option);
	real = realpath(*path, NULL);
	if (real) {
		free(*path);
		*path = real;
	}
}

static void
find_fusermount(void)
{
	const char	*env = getenv("PATH");
	char		*copy, *dir, *save = NULL;

	copy = strdup(env && *env ? env : "/usr/bin:/bin");
	if (!copy)
		die("out of memory");
	for (dir = strtok_r(copy, ":", &save); dir;
	     dir = strtok_r(NULL, ":", &save)) {
		xsnprintf(fusermount_path, sizeof(fusermount_path),
			 "%s/fusermount3", dir);
		if (!access(fusermount_path, X_OK))
			break;
	}
	free(copy);
	if (!dir)
		die("fusermount3 not found in PATH (Debian: apt-get install "
		    "fuse3)");
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "daemon", required_argument, NULL, 'D' },
		{ "discardfs", required_argument, NULL, 'S' },
		{ "json", required_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static sigset_t	sigs;
	struct text	rnd, seq;
	const char	*json_path = NULL;
	FILE		*json = stdout;
	uint64_t	*qkeys, state = QUERY_SEED, i;
	pthread_t	sigthr;
	char		*end;
	int		opt, run, error;

	while ((opt = getopt_long(argc, argv, "n:r:q:h", longopts,
				  NULL)) != -1) {
		switch (opt) {
		case 'n':
			opt_n = parse_count(optarg, "record count");
			break;
		case 'q':
			opt_queries = parse_count(optarg, "query count");
			break;
		case 'r':
			opt_runs = (int)strtol(optarg, &end, 10);
			if (*end || opt_runs < 1 || opt_runs > MAX_RUNS)
				die("bad run count '%s' (1..%d)", optarg,
				    MAX_RUNS);
			break;
		case 'D':
			opt_daemon = strdup(optarg);
			break;
		case 'S':
			opt_discardfs = strdup(optarg);
			break;
		case 'j':
			json_path = optarg;
			break;
		case 'h':
			usage(0);
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);
	find_program(&opt_daemon, "../../fusefs/xfbtreefs", "--daemon");
	find_program(&opt_discardfs, "discardfs", "--discardfs");
	find_fusermount();
	if (access("/dev/fuse", R_OK | W_OK))
		die("/dev/fuse: %s", strerror(errno));
	if (json_path) {
		json = fopen(json_path, "we");
		if (!json)
			die("%s: %s", json_path, strerror(errno));
	}

	/* Signals go to one thread, which cleans up (see the header). */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGINT);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	error = pthread_create(&sigthr, NULL, signal_thread, &sigs);
	if (error)
		die("pthread_create: %s", strerror(error));

	/* The daemon caps its xfiles at half of RAM: so does the engine. */
	xfile_set_memory_cap((uint64_t)sysconf(_SC_PHYS_PAGES) *
			     sysconf(_SC_PAGESIZE) / 2);

	print_machine();
	text_init(&rnd, "random", M_SHM_RANDOM, opt_n, true);
	text_init(&seq, "seq", M_SHM_SEQ, opt_n, false);
	qkeys = xmalloc(opt_queries * sizeof(*qkeys));
	for (i = 0; i < opt_queries; i++) {
		state += GAMMA;
		qkeys[i] = rnd.keys[((unsigned __int128)mix64(state) *
				     opt_n) >> 64];
	}

	for (run = 0; run < opt_runs; run++) {
		fprintf(stderr, "# run %d/%d\n", run + 1, opt_runs);
		run_once(run, &rnd, &seq, qkeys);
	}
	print_tables(&rnd, &seq);
	print_json(json);
	if (json != stdout && fclose(json))
		die("%s: %s", json_path, strerror(errno));
	return 0;
}
