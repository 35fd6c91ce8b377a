#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench_data.sh: the `data` file under fio, and `load` against `insert`.
#
#   bench_data.sh --daemon XFBTREEFS --discardfs DISCARDFS [-r RUNS]
#                 [-n RECORDS] [-s SIZE] [-t SECONDS]
#
# fio (psync, direct=1, one job) on three files, each run:
#   data     a kv btree's `data` file, laid out first by a sequential
#            write of SIZE (so random writes overwrite values);
#   shm      a file of SIZE in /dev/shm (the kernel's own memory file);
#   discard  discardfs's `sink` (FUSE doing nothing: the ceiling for a
#            FUSE filesystem);
# jobs: 4 KiB random write and random read (IOPS, SECONDS each, time
# based) and 64 KiB sequential write (MB/s); and on `data` only, 4 KiB
# random writes into a fresh (empty) file, one pass over SIZE: every
# write then creates 512 records.
#
# load: RECORDS kv records in random order (random keys), written
# with `cat FILE > load` into one new btree and `cat FILE > insert` into
# another, each timed from the start of cat to the return of its close;
# then the xfile memory per record of the loaded btree (stats bytes /
# records).
#
# Prints the median of RUNS runs of each figure and the ratios the
# README quotes.  Mounts under a temporary directory and always unmounts.
set -euo pipefail

runs=3
nrecs=1000000
size=256m
secs=5
daemon=
discardfs=
while [ $# -gt 0 ]; do
	case $1 in
	--daemon) daemon=$2; shift 2 ;;
	--discardfs) discardfs=$2; shift 2 ;;
	-r) runs=$2; shift 2 ;;
	-n) nrecs=$2; shift 2 ;;
	-s) size=$2; shift 2 ;;
	-t) secs=$2; shift 2 ;;
	-h | --help) sed -n '3,26s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench_data.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -x "$daemon" ] || { echo "bench_data.sh: --daemon is needed" >&2; exit 2; }
[ -x "$discardfs" ] || { echo "bench_data.sh: --discardfs is needed" >&2; exit 2; }
command -v fio >/dev/null || { echo "bench_data.sh: fio is not installed" >&2; exit 2; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-bench-data.XXXXXX")
X=$tmp/x
D=$tmp/d
S=/dev/shm/xfbt-bench-data.$$
mkdir "$X" "$D"
xpid=
dpid=

cleanup()
{
	local p

	for m in "$X" "$D"; do
		if awk -v m="$m" '$2 == m { f = 1 } END { exit !f }' /proc/mounts; then
			fusermount3 -u "$m" 2>/dev/null || fusermount3 -uz "$m" || true
		fi
	done
	for p in $xpid $dpid; do
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$tmp" "$S"
}
trap cleanup EXIT

"$daemon" -f "$X" 2>"$tmp/xfbtreefs.log" &
xpid=$!
"$discardfs" -f "$D" 2>"$tmp/discardfs.log" &
dpid=$!
for i in $(seq 1 100); do
	if awk -v x="$X" -v d="$D" '$2 == x { a = 1 } $2 == d { b = 1 }
	    END { exit !(a && b) }' /proc/mounts; then
		break
	fi
	sleep 0.05
done

# fio one job: RW BS FILE [extra...]; prints IOPS (or KB/s for "bw").
fio_job()
{
	local what=$1 rw=$2 bs=$3 file=$4
	shift 4
	fio --name=bench --filename="$file" --rw="$rw" --bs="$bs" \
	    --size="$size" --ioengine=psync --direct=1 --group_reporting \
	    --output-format=terse "$@" |
	awk -F';' -v w="$what" '{
		if (w == "riops") print $8; else if (w == "wiops") print $49;
		else print $48 }'
}

median()
{
	sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'
}

ns()
{
	date +%s%N
}

# Records for the load benchmark: random keys below 2^52 (exact in awk's
# doubles), no duplicates.
awk -v n="$nrecs" 'BEGIN {
	srand(42)
	while (c < n) {
		k = sprintf("%.0f", int(rand() * 2^26) * 2^26 + int(rand() * 2^26))
		if (!(k in seen)) { seen[k] = 1; print k, c + 0; c++ }
	}
}' >"$tmp/recs"

declare -A res
for r in $(seq 1 "$runs"); do
	echo "run $r of $runs" >&2
	# data: lay out, then the jobs; a fresh one for the one-pass job.
	mkdir "$X/f"
	fio_job bw write 1m "$X/f/data" >/dev/null
	res[data_rw]+="$(fio_job wiops randwrite 4k "$X/f/data" --runtime="$secs" --time_based) "
	res[data_rr]+="$(fio_job riops randread 4k "$X/f/data" --runtime="$secs" --time_based) "
	res[data_sw]+="$(fio_job bw write 64k "$X/f/data" --runtime="$secs" --time_based) "
	rm "$X/f/data"
	res[data_fresh]+="$(fio_job wiops randwrite 4k "$X/f/data") "
	grep -qx ok "$X/f/check" || { echo "bench_data.sh: check failed" >&2; exit 1; }
	rmdir "$X/f"
	# The ceilings.
	head -c "$(numfmt --from=iec "${size^^}")" /dev/zero >"$S"
	res[shm_rw]+="$(fio_job wiops randwrite 4k "$S" --runtime="$secs" --time_based) "
	res[shm_rr]+="$(fio_job riops randread 4k "$S" --runtime="$secs" --time_based) "
	res[shm_sw]+="$(fio_job bw write 64k "$S" --runtime="$secs" --time_based) "
	rm -f "$S"
	res[dis_rw]+="$(fio_job wiops randwrite 4k "$D/sink" --runtime="$secs" --time_based) "
	res[dis_rr]+="$(fio_job riops randread 4k "$D/sink" --runtime="$secs" --time_based) "
	res[dis_sw]+="$(fio_job bw write 64k "$D/sink" --runtime="$secs" --time_based) "

	# load against insert.
	mkdir "$X/l" "$X/i"
	t0=$(ns); cat "$tmp/recs" >"$X/l/load"; t1=$(ns)
	cat "$tmp/recs" >"$X/i/insert"; t2=$(ns)
	res[load_ms]+="$(( (t1 - t0) / 1000000 )) "
	res[insert_ms]+="$(( (t2 - t1) / 1000000 )) "
	bytes=$(awk '$1 == "bytes" { print $2 }' "$X/l/stats")
	recs=$(awk '$1 == "records" { print $2 }' "$X/l/stats")
	[ "$recs" = "$nrecs" ] || { echo "bench_data.sh: load lost records" >&2; exit 1; }
	res[bpr]+="$(awk -v b="$bytes" -v n="$recs" 'BEGIN { printf "%.2f", b / n }') "
	cmp -s <(cat "$X/l/records") <(cat "$X/i/records") ||
		{ echo "bench_data.sh: load and insert differ" >&2; exit 1; }
	rmdir "$X/l" "$X/i"
done

m()
{
	tr ' ' '\n' <<<"${res[$1]}" | grep . | median
}

ratio()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b ? a / b : 0 }'
}

printf '\nfio, psync, direct=1, one job, %s, %s s a job; median of %s runs\n' \
	"$size" "$secs" "$runs"
printf '%-28s %12s %12s %12s %10s %10s\n' job data shm discard \
	data/discard data/shm
for j in "rw:4 KiB random write, IOPS" "rr:4 KiB random read, IOPS" \
	 "sw:64 KiB seq. write, KB/s"; do
	k=${j%%:*}
	printf '%-28s %12s %12s %12s %10s %10s\n' "${j#*:}" \
		"$(m "data_$k")" "$(m "shm_$k")" "$(m "dis_$k")" \
		"$(ratio "$(m "data_$k")" "$(m "dis_$k")")" \
		"$(ratio "$(m "data_$k")" "$(m "shm_$k")")"
done
printf '%-28s %12s %12s %12s %10s\n' "4 KiB random write, fresh" \
	"$(m data_fresh)" - "$(m dis_rw)" \
	"$(ratio "$(m data_fresh)" "$(m dis_rw)")"
printf '\n%s kv records in random order, median of %s runs\n' "$nrecs" "$runs"
printf 'load    %8s ms\ninsert  %8s ms\nload is %sx faster; %s bytes of xfile memory per record after load\n' \
	"$(m load_ms)" "$(m insert_ms)" \
	"$(ratio "$(m insert_ms)" "$(m load_ms)")" "$(m bpr)"
