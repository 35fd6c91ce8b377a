#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# instructions.sh: count the instructions the engine and the daemon
# spend per record, under valgrind, so that two builds can be compared
# where times move too much to show a few per cent.
#
#	tests/bench/instructions.sh BUILD_DIR [N]
#
# BUILD_DIR is a benchmark build (scripts/bench.sh makes build-bench:
# release, -Dbench=true, -Dfuse=true).  N records, 200000 by default.
# Engine rows: callgrind around one bench_engines function (the
# workload's alone).  Daemon rows: cachegrind around the whole daemon,
# one mount per row: N kv records written to `insert` by one awk (keys
# i * 2654435761 mod 2^32, or 1..N in order), and for `records` the
# same random mount read back three times, less the insert-only count.
# XFBT_INSTR_DAEMON_ONLY=1 leaves the engine rows out.  Needs root (it
# mounts), valgrind and fusermount3.
set -euo pipefail
build=$(cd "${1:?usage: instructions.sh BUILD_DIR [N]}" && pwd)
n=${2:-200000}
engines=$build/tests/bench/bench_engines
daemon=$build/fusefs/xfbtreefs
tmp=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-instr.XXXXXX")
mnt=
pid=
cleanup()
{
	if [ -n "$pid" ]; then
		fusermount3 -u "$mnt" 2>/dev/null ||
			fusermount3 -uz "$mnt" 2>/dev/null || true
		wait "$pid" 2>/dev/null || true
	fi
	# Never into a mount: remove the directory only once nothing is on it.
	if ! grep -qF " $tmp/" /proc/mounts; then
		rm -rf "$tmp"
	fi
}
trap cleanup EXIT

# engine_count WORKLOAD FUNCTION: instructions per record
engine_count()
{
	G_SLICE=always-malloc valgrind --tool=callgrind \
		--callgrind-out-file="$tmp/cl.out" --toggle-collect="$2" \
		"$engines" -n "$n" -r 1 -e xfbtree -w "$1" \
		>"$tmp/cl.txt" 2>&1
	awk -v n="$n" '/Collected :/ { printf "%.0f\n", $NF / n }' \
		"$tmp/cl.txt"
}

# daemon_count ORDER READS: the daemon's instructions for one mount, to
# stdout.  Call it in this shell (not in $(...)), so that the trap sees
# the mount and the daemon if it fails.
daemon_count()
{
	local i

	mnt=$(mktemp -d "$tmp/mnt.XXXXXX")
	G_SLICE=always-malloc valgrind --tool=cachegrind --cache-sim=no \
		--cachegrind-out-file=/dev/null "$daemon" -f "$mnt" \
		>"$tmp/cg.txt" 2>&1 &
	pid=$!
	for ((i = 0; i < 600; i++)); do
		grep -qF " $mnt " /proc/mounts && break
		sleep 0.1
	done
	mkdir "$mnt/t"
	awk -v n="$n" -v order="$1" 'BEGIN {
		for (i = 1; i <= n; i++) {
			k = order == "seq" ? i : (i * 2654435761) % 4294967296
			printf "%.0f %d\n", k, i
		}
	}' >"$mnt/t/insert"
	for ((i = 0; i < $2; i++)); do
		cat "$mnt/t/records" >/dev/null
	done
	[ "$(wc -l <"$mnt/t/records")" = "$n" ] ||
		{ echo "instructions.sh: $n records expected" >&2; exit 1; }
	fusermount3 -u "$mnt"
	wait "$pid"
	pid=
	rmdir "$mnt"
	mnt=
	awk '/I *refs:/ { gsub(",", "", $NF); print $NF }' "$tmp/cg.txt"
}

echo "instructions per record, $n records, $build"
if [ -z "${XFBT_INSTR_DAEMON_ONLY:-}" ]; then
	printf '%-26s %s\n' "engine random insert" "$(engine_count rand_insert xfb_insert)"
	printf '%-26s %s\n' "engine lookup hit" "$(engine_count lookup_hit xfb_lookup_hit)"
	printf '%-26s %s\n' "engine random delete" "$(engine_count rand_delete xfb_remove)"
	printf '%-26s %s\n' "engine sequential insert" "$(engine_count seq_insert xfb_insert)"
	printf '%-26s %s\n' "engine scan" "$(engine_count scan xfb_scan)"
fi
daemon_count random 0 >"$tmp/ins"
daemon_count seq 0 >"$tmp/seq"
daemon_count random 3 >"$tmp/rec"
ins=$(cat "$tmp/ins")
seq=$(cat "$tmp/seq")
rec=$(cat "$tmp/rec")
printf '%-26s %s\n' "daemon random insert" "$((ins / n))"
printf '%-26s %s\n' "daemon sequential insert" "$((seq / n))"
printf '%-26s %s\n' "daemon records read" "$(((rec - ins) / (3 * n)))"
