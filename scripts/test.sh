#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test.sh: install what is missing, build, and run every test, twice: a
# normal build with warnings as errors, then a build with AddressSanitizer
# and UndefinedBehaviorSanitizer.  Then a short deterministic run of each
# libFuzzer target (clang; scripts/fuzz.sh fuzzes for longer).  Exits
# non-zero if anything fails.
#
#   scripts/test.sh            everything
#   XFB_TEST_SEED=random ...   a new seed for the randomized suites
#   XFB_TEST_SCALE=4 ...       bigger randomized suites
set -euo pipefail
cd "$(dirname "$0")/.."
# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

# shellcheck disable=SC2086
xfb_need_packages $XFB_BUILD_PACKAGES $XFB_TEST_PACKAGES $XFB_FUZZ_PACKAGES

run_suite()
{
	local dir=$1
	shift
	if [ -d "$dir" ]; then
		meson setup --reconfigure "$dir" "$@" >/dev/null
	else
		meson setup "$dir" "$@" >/dev/null
	fi
	ninja -C "$dir"
	meson test -C "$dir" --print-errorlogs --num-processes 2
}

start=$(date +%s)
echo "== build and test (debugoptimized, -Werror)"
run_suite build-test -Dbuildtype=debugoptimized -Dwerror=true

echo "== build and test (AddressSanitizer + UndefinedBehaviorSanitizer)"
# LeakSanitizer is on by default; only the tests' own helper programs
# turn it off (tests/integration/helper_asan.c).
ASAN_OPTIONS=abort_on_error=1 \
UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
XFB_TEST_SCALE=${XFB_TEST_SCALE:-0.25} \
	run_suite build-asan -Dbuildtype=debugoptimized -Dwerror=true \
		-Db_sanitize=address,undefined -Db_lundef=false

echo "== fuzz targets (deterministic short run)"
# Each target over its seed corpus, then a fixed number of inputs from a
# fixed seed (tests/fuzz/meson.build): the same result every time.
fuzz_opts=(-Dfuzz=true -Dfuse=false -Dtests=false -Dwerror=true
	   -Dbuildtype=debugoptimized "-Db_sanitize=address,undefined"
	   -Db_lundef=false)
if [ -d build-fuzz-test ]; then
	meson setup --reconfigure build-fuzz-test "${fuzz_opts[@]}" >/dev/null
else
	CC=clang meson setup build-fuzz-test "${fuzz_opts[@]}" >/dev/null
fi
ninja -C build-fuzz-test
meson test -C build-fuzz-test --suite fuzz --print-errorlogs --num-processes 2

echo "== all tests passed in $(( $(date +%s) - start )) s"
