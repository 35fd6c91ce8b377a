#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# stress.sh: a bounded stress run against a mount of its own.
#
# Usage: scripts/stress.sh [-t SECONDS] [-s SIZE] [-n RECORDS] [-b BLOCKSIZE]
#                          [-m MOUNTPOINT] [--soak | --ranges]
#   -t SECONDS   how long to run (default 60)
#   -s SIZE      fio's file size per job, as fio takes it (default 8m)
#   -n RECORDS   the largest bulk load (default 100000)
#   -b BLOCKSIZE the mount's block size (default: the page size; 512
#                with --ranges)
#   -m MOUNTPOINT  mount there, an empty directory (default: a new
#                directory under $TMPDIR or /tmp)
#   --soak       the memory soak instead (described below)
#   --ranges     only the range-answer checker, for long runs (below)
# Environment:
#   XFBTREEFS    the daemon to run (default: build it in build-stress)
#   XFBT_DECODE  xfbt-decode, to decode the pages read (default: next to
#                the daemon's build tree, if there)
#   XFBT_RANGES  the range-answer checker, tests/integration/xfbt_ranges
#                (default: next to the daemon's build tree, else built
#                here with cc)
#   XFB_STRESS_SEED  seed of the generated records (default: random)
#
# The stress run mounts xfbtreefs with a daemon of its own and, in
# parallel until the time is up:
#
#   fio        the job files of scripts/fio/ (randwrite-verify, seqwrite-
#              verify, randrw, multi), each in a loop on kv btrees' `data`
#              files, every block verified (a non-zero fio exit fails);
#   kv, rmap, refcount
#              two writers each on one btree of each type: every round
#              inserts a batch of new records in one write, looks them up
#              (eq, ge, le, range), checks that duplicates, overlapping
#              extents, bad lines and deletes of missing records fail with
#              exactly EEXIST, EINVAL or ENOENT and change nothing (a write
#              with a good line before the bad one inserts neither), then
#              deletes the batch by key or whole record, keeping every
#              tenth record;
#   readers    stream `records` of those btrees (in key order, no
#              duplicates, never failing) and read random `pages/*` (one
#              whole block; ENOENT only for a block freed since the
#              listing), decoded with xfbt-decode when it is there;
#   loader     reloads one kv btree again and again with `cat FILE > load`
#              (RECORDS/10 to RECORDS records, unsorted, some loads in two
#              parts, some with a duplicate key that must fail the close
#              with EEXIST and change nothing); after each, `records` must
#              equal the sorted input; a reader checks meanwhile that the
#              records every input shares are always there;
#   checker    reads `check` of every btree every 3 s: exactly "ok";
#   ranges     xfbt_ranges on an rmap and a refcount btree of their own:
#              writers churn overlapping extents and log when each write
#              began and ended, a reloader bulk loads what they hold
#              every few seconds, readers read `range` answers in small
#              reads (so each answer resumes many times), and every
#              answer must hold exactly what was there throughout the
#              read, in key order, and nothing that was never there
#              (the checker's header comment says it all).
#
# Every second it checks that the daemon is alive and mounted; it samples
# the daemon's VmRSS.  At the end the writers' btrees must hold exactly the
# records they kept.  It prints a summary (duration, fio bytes, operations
# of each loop, loads, checks, memory) and exits 1 with what failed on an
# unexpected error, a fio verify failure, a check other than ok, a daemon
# that died or hung, a daemon exit status other than 0 after the unmount,
# or a sanitizer report in its log.  After a failure it checks every
# btree once more and keeps its temporary directory (the daemon's log, the
# workers' last batches) and says where.  A wrong lookup answer also
# keeps, in a miss.* directory there: the query, the answer, the same
# query asked again at once, check, stats, records, errors and the
# pages (every page of a small btree, else the nodes and the leaves
# around the record that was missed), decoded with xfbt-decode;
# xfbt_ranges keeps the same in ranges-miss.N/.
#
# --ranges: only the ranges worker, with more records (40,000 slots per
# btree, three writers and three readers each), on a mount of 512-byte
# blocks by default (deep trees, many splits and joins), a new pair of
# btrees every 10 minutes: long runs to catch a rare miss.  The summary
# says how many answers and records were checked.
#
# --soak: for the time given, rounds of: make four btrees, bulk load them
# (RECORDS records each), write one's `data` with fio, insert into
# another, check them, remove them all, and read VmRSS at rest (the least
# of five samples over 2.5 s; with its anon, file and shmem parts, the
# daemon's threads and open files).  The daemon calls malloc_trim when it
# frees a btree.  Before the first round, a warm-up (16 writers of 1 MiB
# requests of comment lines, each on a btree of its own) brings up
# libfuse's workers and touches their request buffers (1 MiB each, kept
# for the daemon's life).  It passes if the median of the figure over
# the last quarter of the rounds is within 10 % of its median over the
# first quarter (round 1, which takes malloc to its working size, aside):
# single figures move by a few percent with what the workers touched
# last; a leak grows.
#
# It unmounts in every case and stops only the processes it started.
# shellcheck disable=SC2317	# functions run in the background or by trap
set -uo pipefail
export LC_ALL=C

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"

usage()
{
	sed -n '/^# Usage:/,/^# Environment:/s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" |
		sed '$d'
}

DURATION=60
SIZE=8m
NREC=100000
MNT=
SOAK=false
RANGES_ONLY=false
BLOCKSIZE=
while [ $# -gt 0 ]; do
	case $1 in
	-t) DURATION=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-s) SIZE=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-n) NREC=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-b) BLOCKSIZE=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	-m) MNT=${2:-}; shift 2 || { usage >&2; exit 2; } ;;
	--soak) SOAK=true; shift ;;
	--ranges) RANGES_ONLY=true; shift ;;
	-h | --help) usage; exit 0 ;;
	*) echo "stress.sh: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
	esac
done
{ [[ $DURATION =~ ^[0-9]+$ ]] && [ "$DURATION" -gt 0 ]; } ||
	{ echo "stress.sh: -t takes a number of seconds" >&2; exit 2; }
[[ $SIZE =~ ^[0-9]+[kKmMgG]?$ ]] ||
	{ echo "stress.sh: -s takes a size such as 8m" >&2; exit 2; }
{ [[ $NREC =~ ^[0-9]+$ ]] && [ "$NREC" -ge 1000 ]; } ||
	{ echo "stress.sh: -n takes a number of records, at least 1000" >&2; exit 2; }
! $SOAK || ! $RANGES_ONLY ||
	{ echo "stress.sh: --soak or --ranges, not both" >&2; exit 2; }
! $RANGES_ONLY || BLOCKSIZE=${BLOCKSIZE:-512}
[ -z "$BLOCKSIZE" ] || [[ $BLOCKSIZE =~ ^[0-9]+$ ]] ||
	{ echo "stress.sh: -b takes a block size in bytes" >&2; exit 2; }

# ---- the daemon ---------------------------------------------------------

if [ -z "${XFBTREEFS:-}" ]; then
	# shellcheck disable=SC2086
	xfb_need_packages $XFB_BUILD_PACKAGES $XFB_TEST_PACKAGES || exit 1
	builddir=$src/build-stress
	if [ ! -f "$builddir/build.ninja" ]; then
		meson setup "$builddir" "$src" -Dbuildtype=debugoptimized \
			-Dtests=false >/dev/null || exit 1
	fi
	ninja -C "$builddir" >/dev/null || exit 1
	XFBTREEFS=$builddir/fusefs/xfbtreefs
fi
[ -x "$XFBTREEFS" ] || { echo "stress.sh: no daemon at $XFBTREEFS" >&2; exit 1; }
command -v fio >/dev/null ||
	{ echo "stress.sh: fio is missing (apt-get install fio)" >&2; exit 1; }
command -v fusermount3 >/dev/null ||
	{ echo "stress.sh: fusermount3 is missing (apt-get install fuse3)" >&2; exit 1; }
DECODE=${XFBT_DECODE:-$(dirname "$XFBTREEFS")/../tools/xfbt-decode}
[ -x "$DECODE" ] || DECODE=
SEED=${XFB_STRESS_SEED:-$((RANDOM * 32768 + RANDOM))}

TMP=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-stress.XXXXXX") || exit 1
# The range-answer checker: given, next to the daemon, or built here.
RANGES=${XFBT_RANGES:-$(dirname "$XFBTREEFS")/../tests/integration/xfbt_ranges}
if [ ! -x "$RANGES" ]; then
	RANGES=$TMP/xfbt_ranges
	"${CC:-cc}" -O2 -g -pthread -Wall -o "$RANGES" \
		"$src/tests/integration/xfbt_ranges.c" \
		"$src/tests/integration/xfbt_ranges_rec.c" ||
		{ echo "stress.sh: cannot build xfbt_ranges" >&2; rm -rf "$TMP"; exit 1; }
fi
LOG=$TMP/daemon.log
STOP=$TMP/stop
FAILS=$TMP/failures
if [ -z "$MNT" ]; then
	MNT=$TMP/mnt
	mkdir "$MNT"
fi
MNT=$(cd "$MNT" && pwd) || exit 1
DPID=
WORKERS=()
declare -A WNAME=()
CLEANING=

is_mounted()
{
	awk -v m="$MNT" '$2 == m { found = 1 } END { exit !found }' /proc/mounts
}

# Record a failure (from any process) and ask everyone to stop.
fail()
{
	local msg="FAIL: ${WHO:-main}: $*"

	msg=${msg//$'\n'/ | }
	echo "$msg" >>"$FAILS"
	echo "$msg" >&2
	: >"$STOP"
	exit 1
}

running()
{
	[ ! -e "$STOP" ] && [ "$SECONDS" -lt "$DEADLINE" ]
}

# The daemon's memory by kind, and its open files (kB, kB, kB, count).
rss_detail()
{
	awk '$1 == "RssAnon:" { a = $2 } $1 == "RssFile:" { f = $2 }
	     $1 == "RssShmem:" { s = $2 }
	     $1 == "Threads:" { t = $2 }
	     END { printf "anon %s kB, file %s kB, shmem %s kB, %s threads", a, f, s, t }' \
		"/proc/$DPID/status" 2>/dev/null
	echo ", $(find "/proc/$DPID/fd" -mindepth 1 2>/dev/null | wc -l) open files"
}

# VmRSS at rest: the least of five samples half a second apart (idle
# workers exit and give their request buffers back within them).
rss_at_rest()
{
	local i v least=

	for i in 1 2 3 4 5; do
		v=$(rss)
		[ -z "$least" ] || [ "$v" -lt "$least" ] && least=$v
		sleep 0.5
	done
	echo "$least"
}

rss()
{
	awk '$1 == "VmRSS:" { print $2; found = 1 } END { if (!found) print "?" }' \
		"/proc/$DPID/status" 2>/dev/null || echo "?"
}

# Stop the workers (by PID) and the children they left running.
stop_workers()
{
	local pid f i

	: >"$STOP"
	for ((i = 0; i < 30; i++)); do
		for pid in "${WORKERS[@]}"; do
			kill -0 "$pid" 2>/dev/null && break
			pid=
		done
		[ -n "${pid:-}" ] || break
		sleep 1
	done
	for pid in "${WORKERS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for f in "$TMP"/child.*; do
		[ -e "$f" ] || continue
		kill "$(cat "$f")" 2>/dev/null || true
	done
}

# Unmount, wait for the daemon (10 s), kill only its PID if it hangs.
# Fails (return 1) if it did not exit 0 or logged a sanitizer report.
DSTATUS=
umount_daemon()
{
	local i problem=

	[ -n "$DPID" ] || return 0
	if is_mounted; then
		if ! fusermount3 -u "$MNT" 2>>"$LOG"; then
			sleep 1
			fusermount3 -u "$MNT" 2>>"$LOG" ||
				fusermount3 -uz "$MNT" 2>>"$LOG" || true
		fi
	fi
	for ((i = 0; i < 100; i++)); do
		kill -0 "$DPID" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$DPID" 2>/dev/null; then
		problem="daemon $DPID still running 10 s after the unmount"
		kill -TERM "$DPID" 2>/dev/null || true
		sleep 2
		kill -KILL "$DPID" 2>/dev/null || true
	fi
	DSTATUS=0
	wait "$DPID" || DSTATUS=$?
	DPID=
	if is_mounted; then
		fusermount3 -uz "$MNT" 2>>"$LOG" || true
	fi
	[ -n "$problem" ] || [ "$DSTATUS" -eq 0 ] ||
		problem="daemon exited with status $DSTATUS after the unmount"
	if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:|Assertion .* failed' \
			"$LOG"; then
		problem=${problem:-"sanitizer or assertion report in the daemon's log"}
	fi
	if [ -n "$problem" ]; then
		echo "FAIL: $problem" >>"$FAILS"
		echo "FAIL: $problem" >&2
		return 1
	fi
}

show_log()
{
	if [ -s "$LOG" ]; then
		echo "---- daemon log (last 40 lines) ----" >&2
		tail -n 40 "$LOG" >&2
		echo "------------------------------------" >&2
	fi
}

cleanup()
{
	local status=$?

	[ -z "$CLEANING" ] || return 0
	CLEANING=1
	trap - INT TERM
	stop_workers
	umount_daemon || status=1
	[ ! -s "$FAILS" ] || [ "$status" -ne 0 ] || status=1
	[ "$status" -eq 0 ] || show_log
	if grep -q " $TMP/" /proc/mounts; then
		echo "stress.sh: leaving $TMP: still mounted" >&2
	elif [ "$status" -ne 0 ] && [ "$status" -ne 130 ] && [ "$status" -ne 143 ]; then
		rm -f "$TMP"/load.* "$TMP"/kv.* "$TMP"/rmap.* "$TMP"/refcount.* \
			"$TMP"/xfbt_ranges
		echo "stress.sh: the daemon's log and the workers' files are in $TMP" >&2
	else
		rm -rf --one-file-system "$TMP"
	fi
	exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mountpoint -q "$MNT" 2>/dev/null && { echo "stress.sh: $MNT is a mount point already" >&2; exit 1; }
[ -z "$(ls -A "$MNT")" ] || { echo "stress.sh: $MNT is not empty" >&2; exit 1; }
: >"$FAILS"
"$XFBTREEFS" -f ${BLOCKSIZE:+-o "blocksize=$BLOCKSIZE"} "$MNT" >>"$LOG" 2>&1 &
DPID=$!
echo "stress.sh: $XFBTREEFS (PID $DPID) on $MNT, $DURATION s, fio size $SIZE," \
	"loads up to $NREC records, seed $SEED${BLOCKSIZE:+, blocksize $BLOCKSIZE}$(
	$SOAK && echo ", soak"; $RANGES_ONLY && echo ", ranges only")"
for ((i = 0; i < 100; i++)); do
	is_mounted && break
	kill -0 "$DPID" 2>/dev/null || { wait "$DPID"; DPID=; fail "the daemon exited before mounting"; }
	sleep 0.1
done
is_mounted || fail "$MNT not mounted after 10 s"

# ---- helpers for the workers --------------------------------------------

# The last errors line of a btree, for messages.
last_error()
{
	tail -n 1 "$1/errors" 2>/dev/null | cut -c1-200
}

# ok_write FILE TEXT: one write of TEXT must succeed.
ok_write()
{
	local err

	err=$({ printf '%s' "$2" >"$1"; } 2>&1) ||
		fail "writing $(head -c 60 <<<"$2" | tr '\n' '|') to ${1#"$MNT"/}: $err ($(last_error "${1%/*}"))"
}

# ok_cat SRC FILE: cat SRC > FILE (one write when SRC < 128 KiB) must succeed.
ok_cat()
{
	local err

	err=$(cat "$1" 2>&1 >"$2") ||
		fail "cat ${1##*/} > ${2#"$MNT"/}: $err ($(last_error "${2%/*}"))"
}

# bad_write ERRNO-TEXT FILE TEXT: one write of TEXT must fail with that
# message (strerror of the errno: "File exists", "Invalid argument", ...).
bad_write()
{
	local err

	if err=$({ printf '%s' "$3" >"$2"; } 2>&1); then
		fail "writing '$(tr '\n' '|' <<<"$3")' to ${2#"$MNT"/} succeeded; expected: $1"
	fi
	[[ $err == *"$1"* ]] ||
		fail "writing '$(tr '\n' '|' <<<"$3")' to ${2#"$MNT"/}: '$err'; expected: $1"
}

# refuse DIR QUERY CASE...: each CASE, "ERRNO-TEXT|TEXT", is a write of
# TEXT to DIR/insert that must fail so (bad_write); then QUERY must find
# nothing, as the refused writes changed nothing.  Counted in the
# writer's experr and look.
refuse()
{
	local d=$1 q=$2 c

	shift 2
	for c; do
		bad_write "${c%%|*}" "$d/insert" "${c#*|}"
		experr=$((experr + 1))
	done
	expect_lookup "$d" "$q" ""
	look=$((look + 1))
}

# lookup DIR QUERY: the answer (fails on any error).
lookup()
{
	local fd ans

	exec {fd}<>"$1/lookup" || fail "open ${1#"$MNT"/}/lookup"
	printf '%s\n' "$2" 1>&"$fd" 2>/dev/null ||
		fail "lookup '$2' on ${1#"$MNT"/}: write failed ($(last_error "$1"))"
	ans=$(cat <&"$fd") || fail "lookup '$2' on ${1#"$MNT"/}: read failed"
	exec {fd}>&-
	printf '%s' "$ans"
}

# expect_lookup DIR QUERY WANT: the answer must be WANT exactly.
expect_lookup()
{
	local got

	got=$(lookup "$1" "$2") || exit 1
	[ "$got" = "$3" ] ||
		fail "lookup '$2' on ${1#"$MNT"/}: got '$(head -c 200 <<<"$got" | tr '\n' '|')', expected '$(head -c 200 <<<"$3" | tr '\n' '|')'; $(keep_miss "$1" "$2" "$got" "$3" exact)"
}

# answer_right GOT WANT exact|has: GOT is WANT, or GOT holds WANT's line.
answer_right()
{
	if [ "$3" = exact ]; then
		[ "$1" = "$2" ]
	else
		grep -qxF "$2" <<<"$1"
	fi
}

# keep_miss DIR QUERY GOT WANT exact|has: after a wrong answer GOT (WANT
# was expected, or a line WANT in it), ask again and check the btree at
# once, to tell a passing race from lasting damage, and keep in a new
# $TMP/miss.* what may explain it: the query, the answer, the second
# try, check, stats, records, errors and the pages (all of a small
# btree, else the nodes and the leaves around WANT's first record),
# decoded.  Prints what the second try and check said, and where.
keep_miss()
{
	local d=$1 q=$2 got=$3 want=$4 how=$5 out again

	out=$(mktemp -d "$TMP/miss.XXXXXX")
	printf '%s\n' "$q" >"$out/query.txt"
	printf '%s\n' "$got" >"$out/answer.txt"
	printf '%s\n' "$want" >"$out/want.txt"
	again=$(lookup "$d" "$q")
	printf '%s\n' "$again" >"$out/again.txt"
	"$RANGES" dump "$d" "$out" ${want:+"$(head -n 1 <<<"$want")"} \
		>"$out/dump.log" 2>&1
	decode_pages "$out/pages"
	if answer_right "$again" "$want" "$how"; then
		echo -n "asked again: right this time"
	else
		echo -n "asked again: wrong again"
	fi
	echo -n "; check now: $(head -n 3 "$out/check.txt" | tr '\n' '|'); kept in $out"
}

# decode_pages DIR...: xfbt-decode's text beside every page kept in DIRs.
decode_pages()
{
	local d p

	[ -n "$DECODE" ] || return 0
	for d in "$@"; do
		for p in "$d"/*; do
			[ -f "$p" ] && [[ $p != *.txt ]] &&
				"$DECODE" "$p" >"$p.txt" 2>&1
		done
	done
	return 0
}

# run_child NAME CMD...: run CMD where stop_workers can stop it (by PID);
# its exit status.
run_child()
{
	local name=$1 rc=0

	shift
	"$@" &
	echo $! >"$TMP/child.$name"
	wait $! || rc=$?
	rm -f "$TMP/child.$name"
	return "$rc"
}

# counters NAME KEY=VALUE...: what a worker did so far (for the summary).
counters()
{
	local f=$TMP/count.$1

	shift
	printf '%s\n' "$@" >"$f.new" && mv "$f.new" "$f"
}

# ---- fio ----------------------------------------------------------------

# fio_loop NAME JOBFILE VAR=VALUE...: run the job file until the time is up.
fio_loop()
{
	local name=$1 job=$2 n=0 rkb=0 wkb=0 rc out=$TMP/fio.$1 r w e
	WHO="fio $name"
	shift 2
	while running; do
		rc=0
		run_child "$name" env "$@" XFB_SIZE="$SIZE" fio \
			--output-format=terse --output="$out.out" \
			"$src/scripts/fio/$job" >"$out.err" 2>&1 || rc=$?
		[ ! -e "$STOP" ] || [ "$rc" -eq 0 ] || break
		if [ "$rc" -ne 0 ]; then
			cp "$out.out" "$TMP/fio-failed.$name.out" 2>/dev/null
			fail "fio $job (run $((n + 1))) exited $rc: $(grep -v '^3;' "$out.out" "$out.err" | grep -m 6 . | cut -c1-200 | tr '\n' '|')"
		fi
		read -r r w e < <(awk -F';' '$1 == "3" { r += $6; w += $47
			if ($5 != 0) e = $5 } END { print r + 0, w + 0, e + 0 }' "$out.out")
		[ "$e" = 0 ] || fail "fio $job (run $((n + 1))): a job reports error $e"
		n=$((n + 1))
		rkb=$((rkb + r))
		wkb=$((wkb + w))
		counters "$name" "runs=$n" "read_kib=$rkb" "write_kib=$wkb"
	done
}

# ---- kv, rmap and refcount writers --------------------------------------

# writer TYPE DIR W: writer W's rounds on the TYPE btree at DIR until the
# run ends.  TYPE_round does one round i with the writer's locals (bash
# scoping): it writes its files under $b, adds to the counts ins, del,
# look and experr, appends what it keeps to $TMP/keep.TYPE.W, and fails
# to skip a round without counting it.
writer()
{
	local type=$1 d=$2 w=$3 i=0 b=$TMP/$1.$3 ins=0 del=0 look=0 experr=0
	WHO="$type writer $w"
	: >"$TMP/keep.$type.$w"
	while running; do
		"${type}_round" || continue
		i=$((i + 1))
		counters "$type.$w" "rounds=$i" "inserted=$ins" "deleted=$del" \
			"lookups=$look" "expected_errors=$experr"
	done
}

# kv_round: keys W * 2^40 + round * 1000 + 5j (j < 200).
kv_round()
{
	local base k v

	base=$((w * (1 << 40) + i * 1000))
	awk -v base="$base" -v seed="$((SEED + w * 1000003 + i))" 'BEGIN {
		srand(seed)
		for (j = 0; j < 200; j++)
			printf "%.0f %.0f\n", base + 5 * j,
				1 + int(rand() * 4294967295) * 65536 + j
	}' >"$b.all"
	ok_cat "$b.all" "$d/insert"
	ins=$((ins + 200))

	expect_lookup "$d" "range $base $((base + 999))" "$(cat "$b.all")"
	k=$((base + 5 * (i % 199)))	# not the last: ge must find one
	expect_lookup "$d" "eq $k" "$(awk -v k="$k" '$1 == k' "$b.all")"
	expect_lookup "$d" "ge $((k + 1))" "$(awk -v k="$k" '$1 > k' "$b.all" | head -n 1)"
	expect_lookup "$d" "le $((base + 999))" "$(tail -n 1 "$b.all")"
	expect_lookup "$d" "eq $((k + 1))" ""
	look=$((look + 5))

	# Refused writes change nothing: a new key before a duplicate,
	# a new key before a bad line.
	v=$(awk -v k="$k" '$1 == k { print $2 }' "$b.all")
	refuse "$d" "range $((k + 1)) $((k + 3))" \
		"File exists|$((k + 1)) 1"$'\n'"$k $v"$'\n' \
		"Invalid argument|$((k + 2)) 1"$'\n'"$k x"$'\n' \
		"Invalid argument|$((k + 3)) 18446744073709551616"$'\n'

	# Delete: odd j by key, even j by whole record, keep j % 10 == 0.
	awk 'NR % 2 == 0 { print $1 }' "$b.all" >"$b.del1"
	awk 'NR % 2 == 1 && NR % 10 != 1' "$b.all" >"$b.del2"
	awk 'NR % 10 == 1' "$b.all" >"$b.keep"
	ok_cat "$b.del1" "$d/delete"
	ok_cat "$b.del2" "$d/delete"
	del=$((del + 180))
	cat "$b.keep" >>"$TMP/keep.kv.$w"

	# Deleting what is gone: ENOENT, and a whole record whose value
	# differs: ENOENT too.
	bad_write "No such file or directory" "$d/delete" "$((base + 5))"$'\n'
	bad_write "No such file or directory" "$d/delete" "$base 0"$'\n'
	experr=$((experr + 2))
	expect_lookup "$d" "range $base $((base + 999))" "$(cat "$b.keep")"
	look=$((look + 1))
}

# rmap_round: owners 128 + W * 10^7 + round (a new inode each round), 48
# mappings at blocks j * 2^20 + round (mod 2^20), every flag combination;
# plus a special owner's extent.
rmap_round()
{
	local owner s c o off fl rec got q j

	owner=$((128 + w * 10000000 + i))
	awk -v owner="$owner" -v r="$((i % 1048576))" \
		-v seed="$((SEED + w * 1000003 + i))" 'BEGIN {
		srand(seed)
		for (j = 0; j < 48; j++) {
			s = j * 1048576 + r
			c = 1 + int(rand() * 1000)
			f = j % 4
			if (f == 0) printf "%.0f %d %.0f %d\n", s, c, owner, j * 4096
			if (f == 1) printf "%.0f %d %.0f %d unwritten\n", s, c, owner, j * 4096
			if (f == 2) printf "%.0f %d %.0f %d attr\n", s, c, owner, j * 4096
			if (f == 3) printf "%.0f %d %.0f 0 bmbt\n", s, c, owner
		}
	}' >"$b.all"
	# A special owner's extent near the top of the block space.
	s=$((4294967295 - 100 - w * 100000 - i % 50000))
	echo "$s 100 $(
		case $((i % 4)) in 0) echo ag ;; 1) echo inobt ;; 2) echo refc ;; *) echo log ;; esac) 0" >>"$b.all"
	ok_cat "$b.all" "$d/insert"
	ins=$((ins + 49))

	# eq on each flag kind, a range that must include record 5.
	for j in 0 1 2 3; do
		rec=$(sed -n "$((j + 5))p" "$b.all")
		read -r s _ _ off fl <<<"$rec"
		expect_lookup "$d" "eq $s $owner $off ${fl:-}" "$rec"
	done
	rec=$(sed -n 6p "$b.all")
	read -r s c _ <<<"$rec"
	q="range $((s + c - 1)) $((s + c - 1))"
	got=$(lookup "$d" "$q") || exit 1
	answer_right "$got" "$rec" has ||
		fail "$q misses '$rec' (answer: '$(head -c 200 <<<"$got" | tr '\n' '|')'); $(keep_miss "$d" "$q" "$got" "$rec" has)"
	look=$((look + 5))

	# Refused: a duplicate (after a new record), a bmbt with an
	# offset, a special owner with an offset, unwritten attr.
	refuse "$d" "eq 7 $owner 8" \
		"File exists|7 1 $owner 8"$'\n'"$(head -n 1 "$b.all")"$'\n' \
		"Invalid argument|7 1 $owner 8 bmbt"$'\n' \
		"Invalid argument|7 1 ag 8"$'\n' \
		"Invalid argument|7 1 $owner 8 attr,unwritten"$'\n'

	# Delete (whole records), keeping every tenth; then a delete of
	# a gone record and one with the wrong length: ENOENT.
	awk 'NR % 10 != 1' "$b.all" >"$b.del"
	ok_cat "$b.del" "$d/delete"
	del=$((del + $(wc -l <"$b.del")))
	awk 'NR % 10 == 1' "$b.all" >>"$TMP/keep.rmap.$w"
	bad_write "No such file or directory" "$d/delete" "$(sed -n 2p "$b.all")"$'\n'
	read -r s c o off fl < <(head -n 1 "$b.all")
	bad_write "No such file or directory" "$d/delete" "$s $((c + 1)) $o $off ${fl:-}"$'\n'
	experr=$((experr + 2))
}

# refcount_round: extents in W * 2^29 + round * 2^12, 40 of them 64
# blocks apart (shared), and every fifth in the CoW domain too.
refcount_round()
{
	local base s c

	# Its blocks used up: no more rounds.
	[ "$i" -lt 131072 ] || { sleep 1; return 1; }
	base=$((w * (1 << 29) + i * 4096))
	awk -v base="$base" -v seed="$((SEED + w * 1000003 + i))" 'BEGIN {
		srand(seed)
		for (j = 0; j < 40; j++)
			printf "%.0f %d %d\n", base + 64 * j,
				1 + int(rand() * 63), 2 + int(rand() * 1000)
		for (j = 4; j < 40; j += 5)
			printf "%.0f %d 1 cow\n", base + 64 * j, 1 + int(rand() * 63)
	}' >"$b.all"
	ok_cat "$b.all" "$d/insert"
	ins=$((ins + $(wc -l <"$b.all")))

	expect_lookup "$d" "range $base $((base + 4095))" "$(cat "$b.all")"
	read -r s c _ < <(sed -n 5p "$b.all")
	expect_lookup "$d" "eq $s" "$(sed -n 5p "$b.all")"
	expect_lookup "$d" "eq $s cow" "$(grep -m 1 "^$s .* cow$" "$b.all")"
	expect_lookup "$d" "eq $((s + 1))" ""
	expect_lookup "$d" "ge $((s + 1))" "$(sed -n 6p "$b.all")"
	look=$((look + 5))

	# Refused: an overlapping extent after a good one, refcount 1
	# outside the CoW domain, 2 inside it, a zero length.
	refuse "$d" "eq $((s + 63))" \
		"File exists|$((s + 63)) 1 2"$'\n'"$((s + c - 1)) 1 5"$'\n' \
		"Invalid argument|$((s + 63)) 1 1"$'\n' \
		"Invalid argument|$((s + 63)) 1 2 cow"$'\n' \
		"Invalid argument|$((s + 63)) 0 2"$'\n'

	# Delete by key, keeping every tenth shared extent and all but
	# the first CoW one; then ENOENT for a key gone.
	awk '$4 != "cow" && NR % 10 != 1 { print $1 }' "$b.all" >"$b.del"
	awk '$4 == "cow" { print $1, "cow"; exit }' "$b.all" >>"$b.del"
	ok_cat "$b.del" "$d/delete"
	del=$((del + $(wc -l <"$b.del")))
	awk '($4 != "cow" && NR % 10 == 1) || $4 == "cow"' "$b.all" |
		awk '$4 != "cow" || seen++' >>"$TMP/keep.refcount.$w"
	bad_write "No such file or directory" "$d/delete" "$s"$'\n'
	bad_write "No such file or directory" "$d/delete" "$(head -n 1 "$b.del")"$'\n'
	experr=$((experr + 2))
}

# ---- readers ------------------------------------------------------------

# records_reader NAME DIR KIND: stream `records`, check the order.
records_reader()
{
	local name=$1 d=$2 kind=$3 n=0 f=$TMP/records.$1 msg
	WHO="records reader $name"
	while running; do
		cat "$d/records" >"$f" 2>"$f.err" ||
			fail "cat ${d#"$MNT"/}/records: $(cat "$f.err")"
		msg=$(awk -v kind="$kind" -v base="$LOAD_BASE" '
		function bad(why) { print why ": line " NR ": " $0; exit 1 }
		kind == "kv" || kind == "load" {
			if (NF != 2) bad("not a kv record")
			if (NR > 1 && $1 <= prev) bad("out of order")
			prev = $1
			if (kind == "load" && $1 < base) {
				if ($2 != 3 * $1) bad("shared record changed")
				shared++
			}
		}
		kind == "rmap" {
			if (NF < 4 || NF > 5) bad("not an rmap record")
			if (NR > 1 && $1 < prev) bad("out of order")
			prev = $1
		}
		kind == "refcount" {
			cow = ($4 == "cow")
			if (NF != 3 + cow) bad("not a refcount record")
			if (cow < pcow) bad("shared after cow")
			if (NR > 1 && cow == pcow && $1 <= prev) bad("out of order")
			prev = $1; pcow = cow
		}
		END {
			if (kind == "load" && shared != base)
				print shared + 0 " of the " base " records every load holds"
		}' "$f") || fail "records of ${d#"$MNT"/}: $msg"
		[ -z "$msg" ] || fail "records of ${d#"$MNT"/}: $msg"
		n=$((n + 1))
		counters "records.$name" "reads=$n" "last_lines=$(wc -l <"$f")"
	done
}

# pages_reader NAME DIR...: read up to 16 random pages of each btree.
pages_reader()
{
	local name=$1 n=0 pages=0 gone=0 d p f=$TMP/page.$1 bs size err
	WHO="pages reader $name"
	shift
	bs=$(awk '$1 == "blocksize" { print $2 }' "$1/stats")
	while running; do
		for d in "$@"; do
			# shellcheck disable=SC2012	# names are block numbers
			for p in $(ls "$d/pages" | shuf -n 16); do
				if ! cat "$d/pages/$p" >"$f" 2>"$f.err"; then
					err=$(cat "$f.err")
					[[ $err == *"No such file or directory"* ]] ||
						fail "cat ${d#"$MNT"/}/pages/$p: $err"
					gone=$((gone + 1))
					continue
				fi
				size=$(stat -c %s "$f")
				[ "$size" = "$bs" ] ||
					fail "${d#"$MNT"/}/pages/$p: $size bytes, not $bs"
				if [ -n "$DECODE" ] && [ "$p" != 0 ] &&
						! "$DECODE" "$f" >"$f.dec" 2>&1; then
					cp "$f" "$TMP/page-failed.$name"
					fail "xfbt-decode ${d#"$MNT"/}/pages/$p: $(grep -m 3 -i 'warn\|bad\|error' "$f.dec" | tr '\n' '|')"
				fi
				pages=$((pages + 1))
			done
		done
		n=$((n + 1))
		counters "pages.$name" "sweeps=$n" "pages=$pages" "freed_meanwhile=$gone"
	done
}

# lookup_reader DIR: the records every load holds are always found.
lookup_reader()
{
	local d=$1 n=0 k
	WHO="load lookup reader"
	while running; do
		k=$(( (n * 7919) % LOAD_BASE ))
		expect_lookup "$d" "eq $k" "$k $((3 * k))"
		n=$((n + 1))
		[ $((n % 50)) -ne 0 ] || counters "lookups.load" "lookups=$n"
	done
	counters "lookups.load" "lookups=$n"
}

# ---- loader -------------------------------------------------------------

# Keys 0..LOAD_BASE-1 are in every load (the first half of each too).
LOAD_BASE=$((NREC / 20 < 1000 ? NREC / 20 : 1000))

# gen_load FILE N SEED: N records in no order: keys LOAD_BASE-1..0 (value
# 3k) and then N - LOAD_BASE distinct others at random.
gen_load()
{
	awk -v n="$2" -v base="$LOAD_BASE" -v seed="$3" 'BEGIN {
		srand(seed)
		p = 2147483629	# prime
		off = int(rand() * p)
		m = 1 + int(rand() * (p - 1))
		for (k = base - 1; k >= 0; k--)
			printf "%d %d\n", k, 3 * k
		for (j = base; j < n; j++)
			printf "%.0f %.0f\n", base + (off + j * m) % p,
				int(rand() * 1e15)
	}' >"$1"
	sort -n -k1,1 "$1" >"$1.sorted"
}

loader()
{
	local d=$1 n=0 fails=0 recs=0 in err sizes i
	WHO="loader"
	sizes=("$((NREC / 10))" "$((NREC / 2))" "$NREC" "$((NREC / 4))")
	for i in 0 1 2 3; do
		gen_load "$TMP/load.$i" "${sizes[i]}" "$((SEED + i))"
	done
	# A bad one: a duplicate key in the middle.
	{ head -n "$((NREC / 20))" "$TMP/load.0"; head -n 1 "$TMP/load.0"
	  tail -n +"$((NREC / 20 + 1))" "$TMP/load.0"; } >"$TMP/load.bad"
	while running; do
		i=$((n % 4))
		in=$TMP/load.$i
		if [ $((n % 5)) -eq 3 ]; then
			# In two parts on one open file: a FLUSH after each.
			if ! err=$({ head -n "$((sizes[i] / 2))" "$in" &&
				     tail -n +"$((sizes[i] / 2 + 1))" "$in"; } 2>&1 >"$d/load"); then
				fail "two-part load of ${sizes[i]} records: $err ($(last_error "$d"))"
			fi
		else
			err=$(cat "$in" 2>&1 >"$d/load") ||
				fail "cat load.$i (${sizes[i]} records) > load: $err ($(last_error "$d"))"
		fi
		cmp -s "$in.sorted" <(cat "$d/records") ||
			fail "after loading load.$i (${sizes[i]} records) records differ from the sorted input"
		n=$((n + 1))
		recs=$((recs + sizes[i]))
		if [ $((n % 4)) -eq 2 ]; then
			# The duplicate fails the close: cat reports it.
			if err=$(cat "$TMP/load.bad" 2>&1 >"$d/load"); then
				fail "a load with a duplicate key succeeded"
			fi
			[[ $err == *"File exists"* ]] ||
				fail "a load with a duplicate key: '$err', expected File exists"
			cmp -s "$in.sorted" <(cat "$d/records") ||
				fail "a refused load (duplicate key) changed the btree"
			fails=$((fails + 1))
		fi
		counters loader "loads=$n" "records_loaded=$recs" "refused_loads=$fails"
	done
}

# ---- checker ------------------------------------------------------------

checker()
{
	local n=0 d got i
	WHO="checker"
	while running; do
		for d in "$@"; do
			got=$(timeout 120 cat "$MNT/$d/check" 2>&1)
			case $? in
			0) ;;
			124) fail "check of $d took more than 120 s (hung?)" ;;
			*) fail "reading $d/check: $got" ;;
			esac
			[ "$got" = ok ] || fail "check of $d says: $(head -n 5 <<<"$got" | tr '\n' '|')"
			got=$(awk '$1 == "health" { print $2 }' "$MNT/$d/stats")
			[ "$got" = ok ] || fail "stats of $d: health $got"
			n=$((n + 1))
		done
		counters checker "checks=$n"
		for ((i = 0; i < 30; i++)); do
			running || break
			sleep 0.1
		done
	done
}

# ---- ranges -------------------------------------------------------------

# ranges_loop PER SLOTS NW NR: xfbt_ranges runs of up to PER seconds, each
# on a new rmap and refcount btree pair with SLOTS slots, NW writers and
# NR readers per btree, until the time is up; their totals added up.
ranges_loop()
{
	local per=$1 slots=$2 nw=$3 nr=$4 n=0 left rc out keep d line
	local -A tot=()
	WHO="ranges"
	while running; do
		left=$((DEADLINE - SECONDS))
		[ "$left" -le "$per" ] || left=$per
		[ "$left" -ge 3 ] || break
		n=$((n + 1))
		d=$MNT/ranges$n
		keep=$TMP/ranges-miss.$n
		out=$TMP/ranges.$n.out
		mkdir "$d.rmap" "$d.refcount" || fail "mkdir ranges$n.*"
		rc=0
		run_child ranges "$RANGES" -t "$left" -n "$slots" -w "$nw" \
			-r "$nr" -s "$((SEED + n))" -k "$keep" "rmap:$d.rmap" \
			"refcount:$d.refcount" >"$out" 2>&1 || rc=$?
		[ ! -e "$STOP" ] || [ "$rc" -eq 0 ] || break
		if [ "$rc" -ne 0 ]; then
			decode_pages "$keep"/miss.*/pages
			fail "xfbt_ranges run $n exited $rc: $(grep -m 4 -e MISS -e differ -e 'check says' -e 'xfbt_ranges: [a-z]' "$out" | cut -c1-300 | tr '\n' '|') (all of it in $out; kept in $keep)"
		fi
		# "xfbt_ranges: totals TYPE answers N records N ...": add up.
		while read -r _ _ _ line; do
			set -- $line
			while [ $# -ge 2 ]; do
				tot[$1]=$(( ${tot[$1]:-0} + $2 ))
				shift 2
			done
		done < <(grep '^xfbt_ranges: totals ' "$out")
		rmdir "$d.rmap" "$d.refcount" || fail "rmdir ranges$n.*"
		counters ranges "runs=$n" "answers=${tot[answers]:-0}" \
			"records=${tot[records]:-0}" "required=${tot[required]:-0}" \
			"windows=${tot[windows]:-0}" "reads=${tot[reads]:-0}" \
			"writes=${tot[writes]:-0}" "loads=${tot[loads]:-0}"
	done
}

# ---- soak ---------------------------------------------------------------

soak()
{
	local n=0 d i err rss_removed=() start first last q
	WHO="soak"
	gen_load "$TMP/load.soak" "$NREC" "$SEED"
	echo "VmRSS before any btree and the warm-up: $(rss) kB ($(rss_detail))"
	awk 'BEGIN { while (n < 1048576) { print "# warm-up, a comment line of sixty-four bytes, taken and ignored"; n += 64 } }' \
		>"$TMP/warm.txt"
	for i in $(seq 1 16); do
		mkdir "$MNT/warm$i" || fail "mkdir warm$i"
	done
	for i in $(seq 1 16); do
		(for j in 1 2 3 4 5 6 7 8; do
			dd if="$TMP/warm.txt" of="$MNT/warm$i/insert" bs=1M \
				count=1 status=none || exit 1
			cat "$MNT/warm$i/stats" >/dev/null
		done) &
	done
	wait
	for i in $(seq 1 16); do
		rmdir "$MNT/warm$i" || fail "rmdir warm$i"
	done
	sleep 1
	start=$(rss)
	echo "VmRSS after the warm-up, before any btree: $start kB ($(rss_detail))"
	while running; do
		for i in 0 1 2 3; do
			d=$MNT/soak$i
			mkdir "$d" || fail "mkdir soak$i"
			err=$(cat "$TMP/load.soak" 2>&1 >"$d/load") ||
				fail "load of soak$i: $err"
		done
		err=$(XFB_DIR=$MNT/soak0 XFB_SIZE="$SIZE" fio --output-format=terse \
			--output="$TMP/fio.soak" "$src/scripts/fio/randwrite-verify.fio" 2>&1) ||
			fail "fio randwrite-verify on soak0: $err $(grep -v '^3;' "$TMP/fio.soak" | head -n 3)"
		seq 1 1000 | awk '{ printf "%.0f %d\n", 2^50 + $1, $1 }' >"$MNT/soak1/insert" ||
			fail "insert into soak1"
		for i in 0 1 2 3; do
			[ "$(cat "$MNT/soak$i/check")" = ok ] || fail "check of soak$i"
		done
		rss_loaded=$(rss)
		for i in 0 1 2 3; do
			rmdir "$MNT/soak$i" || fail "rmdir soak$i"
		done
		sleep 1
		n=$((n + 1))
		rss_removed+=("$(rss_at_rest)")
		printf 'round %d: VmRSS %s kB loaded, %s kB after removing the btrees (%s)\n' \
			"$n" "$rss_loaded" "${rss_removed[-1]}" "$(rss_detail)"
		counters soak "rounds=$n"
	done
	[ "$n" -ge 8 ] ||
		fail "only $n round(s) in $DURATION s: too few to compare (8 at least)"
	# The first and the last quarter of the rounds (round 1 aside), each
	# by its median.
	q=$(( (n - 1) / 4 ))
	first=$(printf '%s\n' "${rss_removed[@]:1:q}" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	last=$(printf '%s\n' "${rss_removed[@]: -q}" | sort -n |
		awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
	echo "VmRSS with no btree: $start kB after the warm-up, ${rss_removed[0]} kB" \
		"after round 1; median $first kB over rounds 2-$((q + 1)), median" \
		"$last kB over rounds $((n - q + 1))-$n"
	if [ "$last" -gt $((first + first / 10)) ]; then
		fail "VmRSS after removing every btree: median $last kB over the last rounds, $(( (last - first) * 100 / first )) % above the median $first kB of the first ones (more than 10 %)"
	fi
	echo "VmRSS after removing every btree: median $last kB over the last rounds, within 10 % of the median $first kB of the first ones"
}

# ---- run ----------------------------------------------------------------

START=$SECONDS
DEADLINE=$((SECONDS + DURATION))
RSS_START=$(rss)
RSS_SAMPLES=("0s:${RSS_START}kB")
RSS_EVERY=$(( DURATION / 10 < 5 ? 5 : DURATION / 10 ))

spawn()
{
	local name=$1

	shift
	"$@" &
	WORKERS+=($!)
	WNAME[$!]=$name
}

if $SOAK; then
	spawn soak soak
	BTREES=()
elif $RANGES_ONLY; then
	spawn ranges ranges_loop 600 40000 3 3
	BTREES=()
else
	BTREES=(kv rmap refcount load fio-rw fio-seq fio-rrw fio-m0 fio-m1 fio-m2 fio-shared)
	for d in "${BTREES[@]}"; do
		mkdir "$MNT/$d" || fail "mkdir $d"
	done
	echo rmap >"$MNT/rmap/type" || fail "type rmap"
	echo refcount >"$MNT/refcount/type" || fail "type refcount"
	# The loader's first load, so that the readers find the shared records.
	gen_load "$TMP/load.first" "$LOAD_BASE" "$SEED"
	cat "$TMP/load.first" >"$MNT/load/load" || fail "first load"

	spawn "fio randwrite-verify" fio_loop rw randwrite-verify.fio XFB_DIR="$MNT/fio-rw"
	spawn "fio seqwrite-verify" fio_loop seq seqwrite-verify.fio XFB_DIR="$MNT/fio-seq"
	spawn "fio randrw" fio_loop rrw randrw.fio XFB_DIR="$MNT/fio-rrw"
	spawn "fio multi" fio_loop multi multi.fio XFB_MNT="$MNT"
	for w in 0 1; do
		spawn "kv writer $w" writer kv "$MNT/kv" "$w"
		spawn "rmap writer $w" writer rmap "$MNT/rmap" "$w"
		spawn "refcount writer $w" writer refcount "$MNT/refcount" "$w"
	done
	spawn "loader" loader "$MNT/load"
	spawn "records reader kv" records_reader kv "$MNT/kv" kv
	spawn "records reader rmap" records_reader rmap "$MNT/rmap" rmap
	spawn "records reader refcount" records_reader refcount "$MNT/refcount" refcount
	spawn "records reader load" records_reader load "$MNT/load" load
	spawn "lookup reader load" lookup_reader "$MNT/load"
	spawn "pages reader 1" pages_reader a "$MNT/kv" "$MNT/rmap" "$MNT/refcount"
	spawn "pages reader 2" pages_reader b "$MNT/load" "$MNT/fio-rw" "$MNT/fio-shared"
	spawn "checker" checker "${BTREES[@]}"
	spawn ranges ranges_loop "$DURATION" 10000 2 2
fi

# Watch: the daemon alive and mounted, failures, memory.
DIED=
daemon_alive()
{
	if ! kill -0 "$DPID" 2>/dev/null; then
		DIED="the daemon (PID $DPID) died"
	elif ! is_mounted; then
		DIED="$MNT is no longer mounted"
	else
		return 0
	fi
	DIED="$DIED (seen $((SECONDS - START)) s into the run)"
	echo "FAIL: $DIED" >&2
	return 1
}
next_rss=$((SECONDS + RSS_EVERY))
while [ "$SECONDS" -lt "$DEADLINE" ] && [ ! -s "$FAILS" ]; do
	daemon_alive || break
	if [ "$SECONDS" -ge "$next_rss" ]; then
		RSS_SAMPLES+=("$((SECONDS - START))s:$(rss)kB")
		next_rss=$((SECONDS + RSS_EVERY))
	fi
	sleep 1
done
: >"$STOP"

[ -n "$DIED" ] || sleep 0.5	# a failure may come from the daemon's death
[ -n "$DIED" ] || daemon_alive

# Let the workers finish their round (fio's included); a worker still
# running 120 s later is stuck in the daemon.
grace=$((SECONDS + 120))
for pid in "${WORKERS[@]}"; do
	while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$grace" ]; do
		sleep 0.2
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "FAIL: ${WNAME[$pid]} still running 120 s after the stop (hung in the daemon?)" >>"$FAILS"
		echo "FAIL: ${WNAME[$pid]} still running 120 s after the stop (hung in the daemon?)" >&2
		if [ -n "$DPID" ]; then
			for t in /proc/"$DPID"/task/*; do
				echo "  daemon thread ${t##*/}: $(cat "$t/wchan" 2>/dev/null)" >&2
			done
		fi
		break
	fi
	wait "$pid" || [ -s "$FAILS" ] ||
		echo "FAIL: ${WNAME[$pid]} exited non-zero" >>"$FAILS"
done
ELAPSED=$((SECONDS - START))

# The writers' btrees hold exactly what they kept.
final_check()
{
	local t got w

	WHO="final"
	for t in kv rmap refcount; do
		for w in 0 1; do cat "$TMP/keep.$t.$w"; done | sort >"$TMP/want.$t"
		sort <"$MNT/$t/records" >"$TMP/got.$t"
		cmp -s "$TMP/want.$t" "$TMP/got.$t" ||
			fail "$t holds $(wc -l <"$TMP/got.$t") records, not the $(wc -l <"$TMP/want.$t") its writers kept: $(diff "$TMP/want.$t" "$TMP/got.$t" | head -n 4 | tr '\n' '|')"
	done
	for t in "${BTREES[@]}"; do
		got=$(cat "$MNT/$t/check" 2>&1)
		[ "$got" = ok ] || fail "final check of $t: $(head -n 3 <<<"$got" | tr '\n' '|')"
	done
}
if [ ! -s "$FAILS" ] && [ "${#BTREES[@]}" -gt 0 ]; then
	(final_check)
elif [ -z "$DIED" ] && [ "${#BTREES[@]}" -gt 0 ]; then
	# After a failure: is any btree damaged now?
	for t in "${BTREES[@]}"; do
		got=$(timeout 120 cat "$MNT/$t/check" 2>&1)
		[ "$got" = ok ] ||
			echo "FAIL: after the failure, check of $t: $(head -n 3 <<<"$got" | tr '\n' '|')" >>"$FAILS"
	done
fi
RSS_END=$(rss)
RSS_SAMPLES+=("${ELAPSED}s:${RSS_END}kB")
HWM=$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$DPID/status" 2>/dev/null)

# ---- summary ------------------------------------------------------------

stop_workers
umount_daemon

val()
{
	awk -F= -v k="$2" '$1 == k { print $2; found = 1 } END { if (!found) print 0 }' \
		"$TMP/count.$1" 2>/dev/null || echo 0
}

mib()
{
	awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'
}

echo
echo "==== stress summary ===="
echo "duration: ${ELAPSED} s ($DURATION s asked), seed $SEED, fio size $SIZE"
if [ -e "$TMP/count.ranges" ]; then
	echo "ranges: $(val ranges runs) run(s) of xfbt_ranges, $(val ranges answers) range answers checked ($(val ranges windows) answer windows resumed, $(val ranges reads) reads), $(val ranges records) records in them checked, $(val ranges required) of them there throughout their read and found; $(val ranges writes) writes, $(val ranges loads) bulk loads"
fi
if $RANGES_ONLY; then
	:
elif ! $SOAK; then
	tw=0 tr=0
	for f in rw seq rrw multi; do
		[ -e "$TMP/count.$f" ] || continue
		w=$(val "$f" write_kib); r=$(val "$f" read_kib)
		tw=$((tw + w)); tr=$((tr + r))
		printf '  fio %-6s %4s runs, written %s, read back %s\n' "$f" \
			"$(val "$f" runs)" "$(mib "$w")" "$(mib "$r")"
	done
	echo "fio total: written $(mib $tw), read back $(mib $tr) (verify reads, and randrw's own reads)"
	for t in kv rmap refcount; do
		for w in 0 1; do
			[ -e "$TMP/count.$t.$w" ] || continue
			printf '  %-8s writer %s: %5s rounds, %7s inserted, %7s deleted, %6s lookups, %5s expected errors\n' \
				"$t" "$w" "$(val "$t.$w" rounds)" "$(val "$t.$w" inserted)" \
				"$(val "$t.$w" deleted)" "$(val "$t.$w" lookups)" \
				"$(val "$t.$w" expected_errors)"
		done
	done
	for t in kv rmap refcount load; do
		[ -e "$TMP/count.records.$t" ] &&
			printf '  records reader %-8s %6s reads (last %s lines)\n' "$t" \
				"$(val "records.$t" reads)" "$(val "records.$t" last_lines)"
	done
	for t in a b; do
		[ -e "$TMP/count.pages.$t" ] &&
			printf '  pages reader %s: %s sweeps, %s pages read, %s freed meanwhile\n' \
				"$t" "$(val "pages.$t" sweeps)" "$(val "pages.$t" pages)" \
				"$(val "pages.$t" freed_meanwhile)"
	done
	echo "  load lookups: $(val lookups.load lookups)"
	echo "loads: $(val loader loads) ($(val loader records_loaded) records), $(val loader refused_loads) refused as they must be"
	echo "checks: $(val checker checks), every one ok"
else
	echo "soak rounds: $(val soak rounds)"
fi
echo "daemon VmRSS: ${RSS_SAMPLES[*]}; peak (VmHWM) ${HWM:-?} kB"
[ -z "$DSTATUS" ] || echo "daemon exit status: $DSTATUS"
if [ -n "$DIED" ] || [ -s "$FAILS" ]; then
	echo "RESULT: FAILED"
	[ -z "$DIED" ] || echo "  FAIL: $DIED; what the workers saw follows"
	awk '!seen[$0]++' "$FAILS" | head -n 20 | sed 's/^/  /'
	exit 1
fi
echo "RESULT: passed"
exit 0
