#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# docs.sh: the README's examples run as written, so that they cannot
# drift from the code.
#
# Every block of README.md fenced as ```sh is an example to run; a block
# fenced as ```text that follows one (blank lines between allowed) is its
# exact output, standard error included.  The blocks run in order, each
# by `bash -e` in one scratch directory (the files an example makes are
# there for the next), against a mount of our own as $M (4096-byte
# blocks), with a PATH in
# which `awk` is mawk (Debian's default awk, whose numbers are doubles
# printed as %.6g past 2^31: an example must work with it) and `xfbt` is
# the build's.  In the output, our mount's path reads as /mnt/xfbtreefs,
# the README's.  A block that fails, or whose output differs, fails the
# test with the block's line in README.md; so do fewer blocks than the
# README had when this was written (the marking must not get lost).
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

XFBT=${XFBT:-$(dirname "$XFBTREEFS")/../tools/xfbt}
README=$XFBT_SRCDIR/README.md
[ -x "$XFBT" ] || _fail "no xfbt at $XFBT"
[ -r "$README" ] || _fail "no README at $README"
command -v mawk >/dev/null || _notrun "no mawk"
command -v dot >/dev/null || _notrun "no Graphviz dot (an example draws)"

mkdir "$T/bin" "$T/cwd" "$T/blocks"
ln -s "$(command -v mawk)" "$T/bin/awk"
ln -s "$XFBT" "$T/bin/xfbt"
# Not "| grep -q": grep's early exit can kill awk with SIGPIPE (pipefail).
[[ $(PATH=$T/bin:$PATH awk -W version 2>&1) == *mawk* ]] ||
	_fail "awk in the test's PATH is not mawk"

# ---- the blocks ----------------------------------------------------------
# $T/blocks/N.sh, N.line (where it starts) and N.out (its output, if the
# README shows it).
n=0
state=none
lineno=0
after_sh=
while IFS= read -r line; do
	lineno=$((lineno + 1))
	case $state in
	none)
		if [ "$line" = '```sh' ]; then
			n=$((n + 1))
			state=example
			echo "$lineno" >"$T/blocks/$n.line"
			: >"$T/blocks/$n.sh"
		elif [ "$line" = '```text' ] && [ -n "$after_sh" ]; then
			state=output
			: >"$T/blocks/$n.out"
		elif [ -n "$line" ]; then
			after_sh=
		fi
		;;
	example)
		if [ "$line" = '```' ]; then
			state=none
			after_sh=1
		else
			printf '%s\n' "$line" >>"$T/blocks/$n.sh"
		fi
		;;
	output)
		if [ "$line" = '```' ]; then
			state=none
			after_sh=
		else
			printf '%s\n' "$line" >>"$T/blocks/$n.out"
		fi
		;;
	esac
done <"$README"
[ "$state" = none ] || _fail "README.md: a block is not closed"
nout=$(find "$T/blocks" -name '*.out' | wc -l)
if [ "$n" -lt 8 ] || [ "$nout" -lt 7 ]; then
	_fail "README.md has $n sh blocks, $nout with output: the marking is lost"
fi

# ---- run them --------------------------------------------------------------
# The README's figures (blocks, records a block holds) are for 4096-byte
# blocks, the default on x86-64.
_mount blocksize=4096
for ((i = 1; i <= n; i++)); do
	at="README.md line $(cat "$T/blocks/$i.line")"
	st=0
	(cd "$T/cwd" && PATH=$T/bin:$PATH M=$MNT bash -e "$T/blocks/$i.sh") \
		</dev/null >"$T/got" 2>&1 || st=$?
	got=$(cat "$T/got")
	got=${got//"$MNT"//mnt/xfbtreefs}
	if [ "$st" != 0 ]; then
		_fail "the example at $at exited $st:" \
			"$(head -n 20 <<<"$got")"
		continue
	fi
	[ -e "$T/blocks/$i.out" ] || continue
	want=$(cat "$T/blocks/$i.out")
	if [ "$got" != "$want" ]; then
		diff -u <(echo "$want") <(echo "$got") >&2 || true
		_fail "the example at $at prints otherwise (- README, + real)"
	fi
done
echo "docs.sh: $n examples run, $nout outputs compared"
