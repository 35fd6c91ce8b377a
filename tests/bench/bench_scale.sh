#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench_scale.sh: 100M records, through `load` and in the engine.
#
#   bench_scale.sh --daemon XFBTREEFS --engines BENCH_ENGINES
#                  --kvtext KVTEXT [-n RECORDS] [-r RUNS]
#
# load: RECORDS (default 100M) kv records, `KEY VALUE` lines made by
# kvtext (the random keys of bench_engines, in its insert order; 4.1 GB
# of text at 100M) in a file of the temporary directory, written with
# `cat FILE > load` into a new btree (one mount for all runs), timed from the
# start of cat to the return of its close (the close commits: staging,
# sort and bulk build).  Then, so that a wrong run cannot pass, the
# btree must say RECORDS in `stats`, `ok` in `check`, give RECORDS lines
# in `records`, and answer an `eq` query of the first and of the last
# key of the text with its line.  Figures: the load's time, records/s,
# and the bytes of memory the btree's xfile holds (`bytes` in `stats`)
# per record, with the target of 17.
#
# engine: bench_engines -n RECORDS -r RUNS -e xfbtree,lmdb
# -w rand_insert,lookup_hit: the library in-process, RECORDS random
# inserts in transactions of 1000 into an empty structure (the mean from
# 0 to RECORDS), then a lookup of every key in another random order,
# against LMDB on /dev/shm (see bench_engines.c); the ratio is LMDB's
# ns over xfbtree's (> 1: xfbtree faster), with the target 1.2.
# GTree and SQLite are left out, to keep the run near half an hour;
# `scripts/bench.sh engines` compares them at 1M and 10M.
#
# Load figures are the median of RUNS runs (default 1: at 100M one run
# of the script took 30 minutes on 2 shared cores: 20 s making the text,
# 66 s of load, 16 s of checks, the rest bench_engines), each into a new
# btree that is removed afterwards; bench_engines takes its own median
# of RUNS.
# Memory: at 100M, about 7.5 GB at the peak (the text, the staging and
# the new btree; LMDB's 5 GB on /dev/shm later); the script refuses to
# start if MemAvailable is below 80 bytes a record.  The mount is under
# a temporary directory and always unmounted; only the processes the
# script starts are waited for or signalled, by PID.
set -euo pipefail

nrecs=100000000
runs=1
daemon=
engines=
kvtext=
while [ $# -gt 0 ]; do
	case $1 in
	--daemon) daemon=$2; shift 2 ;;
	--engines) engines=$2; shift 2 ;;
	--kvtext) kvtext=$2; shift 2 ;;
	-n) nrecs=$(numfmt --from=si "${2^^}"); shift 2 ;;
	-r) runs=$2; shift 2 ;;
	-h | --help) sed -n '3,39s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench_scale.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
for t in daemon engines kvtext; do
	[ -x "${!t}" ] || { echo "bench_scale.sh: --$t is needed" >&2; exit 2; }
done
[[ $nrecs =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench_scale.sh: bad -n" >&2; exit 2; }
[[ $runs =~ ^[1-9][0-9]*$ ]] ||
	{ echo "bench_scale.sh: bad -r" >&2; exit 2; }
avail=$(($(awk '$1 == "MemAvailable:" { print $2 }' /proc/meminfo) * 1024))
if [ "$avail" -lt $((nrecs * 80)) ]; then
	echo "bench_scale.sh: $((avail >> 20)) MiB available, $nrecs" \
		"records need about $((nrecs * 80 >> 20)) MiB" >&2
	exit 2
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-bench-scale.XXXXXX")
X=$tmp/x
mkdir "$X"
xpid=

mounted()
{
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

# Unmount (lazily if busy) and reap the daemon; SIGTERM, by its PID, if
# it has not gone within 10 s.
unmount()
{
	local i

	if mounted "$X"; then
		fusermount3 -u "$X" 2>/dev/null || fusermount3 -uz "$X" || true
	fi
	[ -n "$xpid" ] || return 0
	for ((i = 0; i < 100; i++)); do
		kill -0 "$xpid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$xpid" 2>/dev/null || true
	wait "$xpid" 2>/dev/null || true
	xpid=
}

cleanup()
{
	unmount
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ns()
{
	date +%s%N
}

say()
{
	echo "# $(date +%T) $*" >&2
}

median()
{
	sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

stat_of()
{
	awk -v k="$2" '$1 == k { print $2 }' "$1/stats"
}

fail()
{
	echo "bench_scale.sh: $*" >&2
	exit 1
}

say "making the text of $nrecs records"
"$kvtext" "$nrecs" >"$tmp/recs"
first=$(head -n 1 "$tmp/recs")
last=$(tail -n 1 "$tmp/recs")
say "text: $(stat -c %s "$tmp/recs") bytes"

"$daemon" -f "$X" 2>"$tmp/xfbtreefs.log" &
xpid=$!
for ((i = 0; i < 100; i++)); do
	mounted "$X" && break
	sleep 0.1
done
mounted "$X" || fail "the daemon did not mount"

load_s=()
bpr=()
for ((r = 1; r <= runs; r++)); do
	T=$X/t$r
	mkdir "$T"
	say "load run $r of $runs"
	t0=$(ns)
	cat "$tmp/recs" >"$T/load"
	t1=$(ns)
	load_s+=("$(awk -v d=$((t1 - t0)) 'BEGIN { printf "%.3f", d / 1e9 }')")
	recs=$(stat_of "$T" records)
	bytes=$(stat_of "$T" bytes)
	say "loaded in ${load_s[-1]} s: $recs records, $bytes bytes," \
		"height $(stat_of "$T" height); checking"
	[ "$recs" = "$nrecs" ] || fail "stats says $recs records, not $nrecs"
	bpr+=("$(awk -v b="$bytes" -v n="$recs" 'BEGIN { printf "%.6f", b / n }')")
	[ "$(cat "$T/check")" = ok ] || fail "check: $(head -c 300 "$T/check")"
	lines=$(wc -l <"$T/records")
	[ "$lines" = "$nrecs" ] || fail "records has $lines lines, not $nrecs"
	for l in "$first" "$last"; do
		exec 3<>"$T/lookup"
		printf 'eq %s\n' "${l%% *}" >&3
		ans=$(cat <&3)
		exec 3>&-
		[ "$ans" = "$l" ] || fail "eq ${l%% *}: '$ans', expected '$l'"
	done
	rmdir "$T"
done
unmount
rm -f "$tmp/recs"

say "engine: bench_engines -n $nrecs -r $runs (xfbtree, lmdb)"
"$engines" -n "$nrecs" -r "$runs" -e xfbtree,lmdb \
	-w rand_insert,lookup_hit --json "$tmp/engines.json"

# FIELD (ns_per_op, bytes_per_record) of ENGINE WORKLOAD from the JSON.
eng()
{
	awk -v e="\"engine\":\"$1\"" -v w="\"workload\":\"$2\"" \
	    -v f="\"$3\":" '
		index($0, e) && index($0, w) && index($0, f) {
			sub(".*" f, ""); sub(/[,}].*/, ""); print
		}' "$tmp/engines.json"
}

verdict()
{
	awk -v v="$1" -v op="$2" -v t="$3" 'BEGIN {
		ok = op == "<=" ? v <= t : v >= t
		print ok ? "met" : "missed"
	}'
}

row()
{
	printf '%-34s %22s %8s %8s %s\n' "$@"
}

load=$(printf '%s\n' "${load_s[@]}" | median)
b=$(printf '%s\n' "${bpr[@]}" | median)
rate=$(awk -v n="$nrecs" -v s="$load" 'BEGIN { printf "%.0f", n / s }')
printf '\n## scale: %s records; load: median of %s run(s); engine:' \
	"$nrecs" "$runs"
printf ' bench_engines -r %s\n' "$runs"
printf '## ratio: value / target for bytes, lmdb ns / xfbtree ns for the'
printf ' engine (> 1: xfbtree faster)\n'
row measure value ratio target verdict
row "load, cat to close" "$load s" - - -
row "load rate" "$rate records/s" - - -
# (Verdicts on the unrounded figures: 17.004 bytes misses 17.)
row "load, xfile bytes per record" \
	"$(awk -v b="$b" 'BEGIN { printf "%.2f", b }')" \
	"$(awk -v b="$b" 'BEGIN { printf "%.3f", b / 17 }')" "<= 17" \
	"$(verdict "$b" "<=" 17)"
for w in rand_insert lookup_hit; do
	x=$(eng xfbtree $w ns_per_op)
	l=$(eng lmdb $w ns_per_op)
	ratio=$(awk -v x="$x" -v l="$l" 'BEGIN { printf "%.6f", l / x }')
	row "$w ns: xfbtree | lmdb" "$x | $l" \
		"$(awk -v r="$ratio" 'BEGIN { printf "%.2f", r }')" ">= 1.2" \
		"$(verdict "$ratio" ">=" 1.2)"
done
row "rand_insert bytes/rec: xfbtree | lmdb" \
	"$(eng xfbtree rand_insert bytes_per_record) | $(eng lmdb rand_insert bytes_per_record)" \
	- - -
