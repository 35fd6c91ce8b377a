#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-fuzz.sh TARGET CORPUS RUNS: the deterministic short run of one
# libFuzzer target that `meson test --suite fuzz` does.  libFuzzer writes
# the new inputs it finds into the first corpus directory it is given, so
# that is a fresh empty directory, removed afterwards; the seed corpus
# comes second and is only read.
#
# A fixed seed and a fixed number of runs make two runs of the same build
# do the same, as long as nothing depends on addresses.  Two things do:
# libFuzzer mutates with values it saw compared, pointers among them
# (-use_cmp=0 turns that off), and the hit counts of code whose path
# depends on where a buffer lies; so the target runs without address
# randomisation where setarch allows it.
set -eu
target=$1
corpus=$2
runs=$3
scratch=$(mktemp -d "${TMPDIR:-/tmp}/xfb-fuzz.XXXXXX")
trap 'rm -rf "$scratch"' EXIT
norand=
if setarch "$(uname -m)" -R true 2>/dev/null; then
	norand="setarch $(uname -m) -R"
fi
status=0
# A finding exits 1: libFuzzer's own error code, 77, is meson's "skipped".
$norand "$target" -seed=1 -runs="$runs" -reload=0 -use_cmp=0 \
	-error_exitcode=1 -print_final_stats=1 -artifact_prefix="$scratch/" \
	"$scratch" "$corpus" || status=$?
if [ "$status" -ne 0 ]; then
	for f in "$scratch"/crash-* "$scratch"/leak-* "$scratch"/timeout-* \
			"$scratch"/oom-*; do
		[ -e "$f" ] || continue
		echo "reproducer ($f), base64:"
		base64 "$f"
	done
fi
exit "$status"
