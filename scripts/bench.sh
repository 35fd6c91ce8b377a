#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench.sh: build tests/bench/bench_engines with optimisation and run it.
#
# It measures xfbtree against GLib GTree, LMDB and SQLite (ns/op per
# workload, median of the runs, and bytes/record; see the header of
# tests/bench/bench_engines.c for how to read the table).  Run as root,
# it first installs the Debian packages the build needs if any is missing.
#
# Usage: scripts/bench.sh [bench_engines options]
#	scripts/bench.sh                      # n = 1M and 10M, 3 runs each
#	scripts/bench.sh -n 100000 -r 1       # a quick pass
#	scripts/bench.sh -e xfbtree,lmdb --json results.json
# Environment: BENCH_BUILD_DIR (default: build-bench in the source tree).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${BENCH_BUILD_DIR:-$src/build-bench}

pkgs=(meson ninja-build gcc pkg-config libglib2.0-dev liblmdb-dev
	libsqlite3-dev)
missing=()
for p in "${pkgs[@]}"; do
	dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if ((${#missing[@]})); then
	if [[ $(id -u) -eq 0 ]]; then
		echo "bench.sh: installing ${missing[*]}" >&2
		export DEBIAN_FRONTEND=noninteractive
		apt-get update
		apt-get install -y "${missing[@]}"
	else
		echo "bench.sh: missing packages: ${missing[*]}" \
			"(run as root to install them); trying anyway" >&2
	fi
fi

opts=(-Dbuildtype=release -Dbench=true -Dfuse=false -Dtests=false)
if [[ -f $builddir/build.ninja ]]; then
	meson configure "$builddir" "${opts[@]}"
else
	meson setup "$builddir" "$src" "${opts[@]}"
fi
ninja -C "$builddir" tests/bench/bench_engines

exec "$builddir/tests/bench/bench_engines" "$@"
