#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fuzz.sh: build the libFuzzer targets (tests/fuzz) with clang, AddressSanitizer
# and UndefinedBehaviorSanitizer in build-fuzz, and run each for a while.
#
# Usage: scripts/fuzz.sh [-t SECONDS] [-j JOBS] [TARGET...]
#	-t SECONDS  how long each target runs (default 60)
#	-j JOBS     how many targets run at the same time (default: the
#	            number of CPUs)
#	TARGET      fuzz_text, fuzz_decode, fuzz_verify, fuzz_ops (or text,
#	            decode, verify, ops); default: all of them
# For example:
#	scripts/fuzz.sh -t 600 ops verify
#
# Each target keeps its corpus in build-fuzz/corpus/TARGET, seeded from
# tests/fuzz/corpus/TARGET (the seeds in the source tree are only read),
# so a second run goes on where the first stopped.  What crashes, leaks
# or hangs is written to build-fuzz/findings/TARGET/, the log of the run
# to build-fuzz/logs/TARGET.log.  A finding replays with
#	build-fuzz/tests/fuzz/TARGET build-fuzz/findings/TARGET/crash-...
# At the end, a line per target: the inputs run and what was found.
# Exits 1 if anything was found.
#
# Run as root, it first installs the Debian packages it needs if any is
# missing (scripts/lib/deps.sh).
# Environment: FUZZ_BUILD_DIR (default: build-fuzz in the source tree).
set -euo pipefail

src=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
builddir=${FUZZ_BUILD_DIR:-$src/build-fuzz}
# shellcheck source=scripts/lib/deps.sh
. "$src/scripts/lib/deps.sh"

all_targets=(fuzz_text fuzz_decode fuzz_verify fuzz_ops)

usage()
{
	sed -n '/^# Usage:/,/^# For example:/s/^#//p' "${BASH_SOURCE[0]}" |
		sed '$d' >&2
	exit 2
}

seconds=60
jobs=$(nproc 2>/dev/null || echo 1)
while getopts "t:j:h" opt; do
	case $opt in
	t) seconds=$OPTARG ;;
	j) jobs=$OPTARG ;;
	*) usage ;;
	esac
done
shift $((OPTIND - 1))
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage
[[ $jobs =~ ^[1-9][0-9]*$ ]] || usage

targets=()
for t in "$@"; do
	t=fuzz_${t#fuzz_}
	case " ${all_targets[*]} " in
	*" $t "*) targets+=("$t") ;;
	*) echo "fuzz.sh: unknown target $t (${all_targets[*]})" >&2; exit 2 ;;
	esac
done
[ ${#targets[@]} -gt 0 ] || targets=("${all_targets[@]}")

# shellcheck disable=SC2086
xfb_need_packages $XFB_BUILD_PACKAGES $XFB_FUZZ_PACKAGES

# The fuzz targets and the library only: no FUSE, no Check suites.
opts=(-Dfuzz=true -Dfuse=false -Dtests=false
      "-Db_sanitize=address,undefined" -Db_lundef=false
      -Dbuildtype=debugoptimized)
if [ -d "$builddir/meson-private" ]; then
	meson setup --reconfigure "$builddir" "${opts[@]}" >/dev/null
else
	CC=clang meson setup "${opts[@]}" "$builddir" "$src" >/dev/null
fi
ninja -C "$builddir" "${targets[@]/#/tests/fuzz/}" >/dev/null

mkdir -p "$builddir/logs"
run_one()
{
	local t=$1 corpus=$builddir/corpus/$1 findings=$builddir/findings/$1

	mkdir -p "$corpus" "$findings"
	# New seeds join the working corpus; what it found stays.
	cp -n "$src/tests/fuzz/corpus/$t"/* "$corpus"/ 2>/dev/null || true
	"$builddir/tests/fuzz/$t" -max_total_time="$seconds" -timeout=30 \
		-print_final_stats=1 -artifact_prefix="$findings/" \
		"$corpus" >"$builddir/logs/$t.log" 2>&1
}

echo "== fuzzing ${targets[*]}, ${seconds} s each, $jobs at a time"
declare -A before
for t in "${targets[@]}"; do
	mkdir -p "$builddir/findings/$t"
	before[$t]=$(find "$builddir/findings/$t" -type f | sort)
done
running=0
for t in "${targets[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n || true
		running=$((running - 1))
	fi
	run_one "$t" &
	running=$((running + 1))
done
wait || true

found=0
printf '%-12s %14s  %s\n' target executions result
for t in "${targets[@]}"; do
	log=$builddir/logs/$t.log
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
		tail -n 1)
	new=$(comm -13 <(echo "${before[$t]}") \
		<(find "$builddir/findings/$t" -type f | sort) | sed '/^$/d')
	if [ -n "$new" ]; then
		found=1
		result="FOUND: $(echo "$new" | tr '\n' ' ')(log: $log)"
	elif grep -q -E '^==[0-9]+==ERROR|deadly signal|property broken' \
			"$log"; then
		found=1
		result="FOUND (no reproducer written; log: $log)"
	else
		result="nothing found"
	fi
	printf '%-12s %14s  %s\n' "$t" "${execs:-?}" "$result"
done
exit $found
