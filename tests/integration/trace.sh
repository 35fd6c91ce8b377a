#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# trace.sh: the `trace` file (xfbtreefs(5), FILES), at 512-byte blocks
# for kv, rmap and refcount btrees:
# - off by default (empty); "on", "off", "clear" with or without a
#   newline; anything else EINVAL and nothing changes;
# - a write that splits shows split lines whose new blocks are files
#   under pages/, and as many split lines (and new_root, merge, shift,
#   root_kill lines) as the stats counters moved;
# - a write refused for its bad last line shows what it tried, then
#   cancel, and the counters do not move;
# - a load shows a load line and tracing goes on in the new btree;
# - the ring keeps the most recent events, at least 100,000.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

_mount blocksize=512
T=$(mktemp -d "$_XFBT_TMP/trace.XXXXXX")

# lines N TYPE: N records of TYPE, keys spread (i * 7919 mod N).
lines()
{
	seq 0 $(($1 - 1)) | awk -v n="$1" -v t="$2" '{
		k = ($1 * 7919) % n
		if (t == "kv") print k, k * 3
		else if (t == "rmap") print k * 4, 2, 100 + k, 0
		else print k * 4, 2, 3 }'
}

# count B EVENT: the lines of EVENT in B's trace.
count()
{
	grep -c " $2: " "$1/trace" || true
}

# delta B NAME BEFORE: the stats counter NAME's change since BEFORE.
delta()
{
	echo $(($(_stat "$1" "$2") - $3))
}

for type in kv rmap refcount; do
	B=$MNT/$type
	mkdir "$B"
	echo "$type" >"$B/type"
	_content "$B/trace" ""
	lines 2000 "$type" >"$T/all"

	# ---- on, off, clear, EINVAL ----
	_expect "OK EINVAL OK" open "$B/trace" w write "onn" close
	_expect "OK EINVAL OK" open "$B/trace" w write $'on\n\n' close
	_expect "OK EINVAL OK" open "$B/trace" w write "On" close
	head -n 10 "$T/all" >"$B/insert"
	_content "$B/trace" ""
	_ok open "$B/trace" w write "on" close
	echo off >"$B/trace"
	echo on >"$B/trace"
	echo clear >"$B/trace"
	_content "$B/trace" ""
	[ "$(stat -c %a "$B/trace")" = 644 ] || _fail "trace mode"

	# ---- a write that splits ----
	declare -A before
	for c in splits merges shifts new_roots root_kills; do
		before[$c]=$(_stat "$B" "$c")
	done
	awk 'NR > 10' "$T/all" >"$B/insert"
	n=$(count "$B" split)
	[ "$n" -gt 0 ] || _fail "$type: no split lines"
	[ "$n" = "$(delta "$B" splits "${before[splits]}")" ] ||
		_fail "$type: $n split lines, stats say otherwise"
	[ "$(count "$B" new_root)" = \
	  "$(delta "$B" new_roots "${before[new_roots]}")" ] ||
		_fail "$type: new_root lines"
	[ "$(count "$B" shift)" = "$(delta "$B" shifts "${before[shifts]}")" ] ||
		_fail "$type: shift lines"
	[ "$(count "$B" commit)" -ge 1 ] || _fail "$type: no commit"
	# Every split's new block is a page.
	for bno in $(sed -n 's/.* split: .* new=\([0-9]*\) .*/\1/p' \
		     "$B/trace"); do
		[ -e "$B/pages/$bno" ] || _fail "$type: split new=$bno: no page"
	done
	# Format: seconds.microseconds event: name=value ...
	grep -qvE '^[0-9]+\.[0-9]{6} [a-z_]+:( [a-z]+=[0-9]+)+$' "$B/trace" &&
		_fail "$type: a malformed line: $(grep -vE \
		'^[0-9]+\.[0-9]{6} [a-z_]+:( [a-z]+=[0-9]+)+$' "$B/trace" |
		head -n 1)"
	grep -q "split: level=0 block=[0-9]* new=[0-9]* moved=[0-9]*$" \
		"$B/trace" || _fail "$type: split fields"

	# ---- deletes: merges and root kills ----
	echo clear >"$B/trace"
	for c in merges root_kills; do
		before[$c]=$(_stat "$B" "$c")
	done
	awk 'NR > 100' "$T/all" >"$B/delete"
	[ "$(count "$B" merge)" -gt 0 ] || _fail "$type: no merge lines"
	[ "$(count "$B" merge)" = "$(delta "$B" merges "${before[merges]}")" ] ||
		_fail "$type: merge lines"
	[ "$(count "$B" root_kill)" = \
	  "$(delta "$B" root_kills "${before[root_kills]}")" ] ||
		_fail "$type: root_kill lines"

	# ---- a refused write: what it tried, then cancel ----
	echo clear >"$B/trace"
	snap=$(_snap "$B")
	splits=$(_stat "$B" splits)
	{ awk 'NR > 100' "$T/all"; echo bad; } >"$T/bad"
	_expect_errno EINVAL open "$B/insert" w write "$(cat "$T/bad")"$'\n'
	_unchanged "$B" "$snap"
	[ "$(_stat "$B" splits)" = "$splits" ] || _fail "$type: splits moved"
	[ "$(count "$B" split)" -gt 0 ] || _fail "$type: refused: no splits"
	[ "$(count "$B" commit)" = 0 ] || _fail "$type: refused: a commit"
	last=$(grep -v xfile_ "$B/trace" | tail -n 1)
	[[ "$last" == *" cancel: blocks="* ]] ||
		_fail "$type: refused: last event '$last'"

	# ---- load: a load line, and tracing goes on ----
	echo clear >"$B/trace"
	lines 3000 "$type" >"$T/all"
	sort -n "$T/all" >"$B/load"
	grep -q " load: records=3000 blocks=[0-9]* height=[0-9]*$" \
		"$B/trace" || _fail "$type: no load line"
	echo clear >"$B/trace"
	sed -n 1,50p "$T/all" >"$B/delete"
	[ "$(count "$B" commit)" = 1 ] || _fail "$type: trace lost at load"
	echo off >"$B/trace"
	sed -n 51,100p "$T/all" >"$B/delete"
	[ "$(count "$B" commit)" = 1 ] || _fail "$type: off still traces"
done

# ---- the ring's cap: 150,000 one-record writes, 131,072 kept ----
B=$MNT/kv
echo clear >"$B/trace"
echo on >"$B/trace"
seq 1000000 1150000 | awk '{ printf "%7d %7d\n", $1, 1 }' >"$T/many"
dd if="$T/many" of="$B/insert" bs=16 status=none ||
	_fail "ring: one-record writes"
kept=$(wc -l <"$B/trace")
[ "$kept" = 131072 ] || _fail "ring keeps $kept events"
last=$(tail -n 1 "$B/trace")
[[ "$last" == *" commit: blocks="* ]] || _fail "ring: newest is '$last'"

