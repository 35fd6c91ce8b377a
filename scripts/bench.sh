#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench.sh: build the benchmarks with optimisation and run them.
#
#   engines  tests/bench/bench_engines: xfbtree against GLib GTree, LMDB
#            and SQLite (ns/op per workload, median of the runs, and
#            bytes/record; see the header of tests/bench/bench_engines.c).
#   fuse     tests/bench/bench_fuse: the mount's interface (records/s
#            through `insert`, queries/s through `lookup`, MB/s reading
#            `records`) beside a file on /dev/shm, tests/bench/discardfs
#            (a FUSE filesystem that discards writes: the FUSE ceiling)
#            and the engine in-process; see the header of
#            tests/bench/bench_fuse.c.  Needs /dev/fuse and fusermount3;
#            it mounts under /tmp and always unmounts.
#   data     tests/bench/bench_data.sh: fio IOPS and MB/s on a btree's
#            `data` file beside /dev/shm and discardfs, and `load` against
#            `insert` for a million random records (see its header).
#   scan     tests/bench/bench_scan.sh: `xfbt scan --compare` on an XFS
#            image of 100,000 files: inodes and extents scanned per
#            second, load and compare times (see its header).  Needs
#            root and a loop device, so it is not part of the default run.
#   scale    tests/bench/bench_scale.sh: 100M random kv records through
#            `load` on a mount (time, records/s, xfile bytes a record)
#            and bench_engines at 100M, xfbtree against LMDB, random
#            inserts and lookups (see its header).  Minutes, and about
#            8 GB of memory, so it is not part of the default run.
#
# Run as root, it first installs the Debian packages the build needs if any
# is missing (scripts/lib/deps.sh).
#
# Usage: scripts/bench.sh                   # both, with their defaults
#	scripts/bench.sh engines [bench_engines options]
#	scripts/bench.sh fuse [bench_fuse options]
#	scripts/bench.sh data [bench_data.sh options]
#	scripts/bench.sh scan [bench_scan.sh options]
#	scripts/bench.sh scale [bench_scale.sh options]
# For example:
#	scripts/bench.sh engines -n 100000 -r 1    # a quick pass
#	scripts/bench.sh engines -e xfbtree,lmdb --json results.json
#	scripts/bench.sh fuse -n 100000 -r 1 --json fuse.json
#	scripts/bench.sh data -r 5 -s 256m -t 5
#	scripts/bench.sh scan -n 200000 -r 3
#	scripts/bench.sh scale -n 1M             # a quick pass; 100M by default
# Environment: BENCH_BUILD_DIR (default: build-bench in the source tree).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${BENCH_BUILD_DIR:-$src/build-bench}
# shellcheck source=scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"

usage()
{
	sed -n '/^# Usage:/,/^# Environment:/s/^#//p' "${BASH_SOURCE[0]}"
}

run_engines=false
run_fuse=false
run_data=false
run_scan=false
run_scale=false
case ${1:-} in
'')
	run_engines=true
	run_fuse=true
	run_data=true
	;;
engines)
	run_engines=true
	shift
	;;
fuse)
	run_fuse=true
	shift
	;;
data)
	run_data=true
	shift
	;;
scan)
	run_scan=true
	shift
	;;
scale)
	run_scale=true
	shift
	;;
-h | --help | help)
	usage
	exit 0
	;;
*)
	echo "bench.sh: unknown subcommand '$1' (engines, fuse, data," \
		"scan or scale, or none for the first three)" >&2
	usage >&2
	exit 2
	;;
esac

pkgs=(gcc meson ninja-build pkg-config libglib2.0-dev liblmdb-dev
	libsqlite3-dev xfslibs-dev)
targets=(tests/bench/bench_engines)
opts=(-Dbuildtype=release -Dbench=true -Dtests=false)
if $run_scan; then
	pkgs+=(fuse3 libfuse3-dev xfsprogs)
	targets=(fusefs/xfbtreefs tools/xfbt)
	opts+=(-Dfuse=true)
elif $run_scale; then
	pkgs+=(fuse3 libfuse3-dev)
	targets+=(fusefs/xfbtreefs tests/bench/kvtext)
	opts+=(-Dfuse=true)
elif $run_fuse || $run_data; then
	pkgs+=(fuse3 libfuse3-dev fio)
	targets+=(fusefs/xfbtreefs tests/bench/discardfs tests/bench/bench_fuse)
	opts+=(-Dfuse=true)
else
	opts+=(-Dfuse=false)
fi
if ! xfb_need_packages "${pkgs[@]}"; then
	echo "bench.sh: trying anyway" >&2
fi

if [[ -f $builddir/build.ninja ]]; then
	meson configure "$builddir" "${opts[@]}"
else
	meson setup "$builddir" "$src" "${opts[@]}"
fi
ninja -C "$builddir" "${targets[@]}"

engines=$builddir/tests/bench/bench_engines
fuse=("$builddir/tests/bench/bench_fuse"
	--daemon "$builddir/fusefs/xfbtreefs"
	--discardfs "$builddir/tests/bench/discardfs")

data=("$src/tests/bench/bench_data.sh"
	--daemon "$builddir/fusefs/xfbtreefs"
	--discardfs "$builddir/tests/bench/discardfs")

if $run_scan; then
	exec "$src/tests/bench/bench_scan.sh" --xfbt "$builddir/tools/xfbt" \
		--daemon "$builddir/fusefs/xfbtreefs" "$@"
elif $run_scale; then
	exec "$src/tests/bench/bench_scale.sh" \
		--daemon "$builddir/fusefs/xfbtreefs" --engines "$engines" \
		--kvtext "$builddir/tests/bench/kvtext" "$@"
elif $run_engines && $run_fuse && $run_data; then
	"$engines"
	echo
	"${fuse[@]}"
	echo
	exec "${data[@]}"
elif $run_engines; then
	exec "$engines" "$@"
elif $run_fuse; then
	exec "${fuse[@]}" "$@"
else
	exec "${data[@]}" "$@"
fi
