#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# split.sh: lines split across writes (xfbtreefs(5),
# WRITES).  Every input is written as two write()s on one open file,
# split at every byte position, and as one write() per byte; the records
# must be the same each time.  A final line without a newline is taken at
# close; a bad one makes close() fail with EINVAL and lands in errors.  A
# failed write discards its own lines and the unfinished tail before it,
# and the next write starts a fresh line.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# The non-empty lines of the arguments, sorted by key.
sorted()
{
	printf '%s\n' "$@" | awk 'NF' | sort -n
}

_mount
B=$MNT/b
mkdir "$B"

# feed FILE TEXT K: TEXT[0,K) then TEXT[K,n) on one open file, then close;
# every call must succeed.
feed()
{
	local file=$1 text=$2 k=$3

	_ok open "$B/$file" w write "${text:0:k}" \
		write "${text:k}" close
}

# feed_bytes FILE TEXT: one write() per byte.
feed_bytes()
{
	local file=$1 text=$2 i steps=() want="OK"

	for ((i = 0; i < ${#text}; i++)); do
		steps+=(write "${text:i:1}")
		want+=" OK"
	done
	_expect "$want OK" open "$B/$file" w "${steps[@]}" close
}

inputs=(
	$'1 10\n22 220\n333 3330\n'
	$'# comment\n\n4 4\n\t5\t 5\n0x10 16\n\n'
	$'7 70\n8 80'
	$'18446744073709551615 0xffffffffffffffff\n9 9\n'
)
wants=(
	$'1 10\n22 220\n333 3330'
	$'4 4\n5 5\n16 16'
	$'7 70\n8 80'
	$'9 9\n18446744073709551615 18446744073709551615'
)
# Records already there stay put whatever happens.
_write "$B/insert" $'1000 1\n'
for ((t = 0; t < ${#inputs[@]}; t++)); do
	text=${inputs[t]}
	want=$(sorted "${wants[t]}" "1000 1")
	for ((k = 0; k <= ${#text}; k++)); do
		feed insert "$text" "$k"
		_content "$B/records" "$want"
		# delete takes the same text (whole records).
		feed delete "$text" "$k"
		_content "$B/records" "1000 1"
	done
	feed_bytes insert "$text"
	_content "$B/records" "$want"
	feed_bytes delete "$text"
	_content "$B/records" "1000 1"
	_check "$B"
done
[ "$(_stat "$B" records)" = 1 ] || _fail "stats records"

# A bad line in the middle, split everywhere: "3 3\n4 x\n5 5\n".  The
# write that completes "4 x" fails with EINVAL and takes its other lines
# with it; a write after a failed one starts a fresh line.
text=$'3 3\n4 x\n5 5\n'
for ((k = 0; k <= ${#text}; k++)); do
	if ((k < 4)); then
		# nothing complete in the first write
		tokens="OK OK EINVAL OK" want=""
	elif ((k < 8)); then
		# "3 3" commits, the rest fails with "4 x"
		tokens="OK OK EINVAL OK" want="3 3"
	elif ((k == 8)); then
		# "3 3\n4 x\n" fails; "5 5\n" is a fresh line
		tokens="OK EINVAL OK OK" want="5 5"
	elif ((k < 11)); then
		# the second write is " 5\n" or "5\n": a line without value
		tokens="OK EINVAL EINVAL OK" want=""
	else
		# the second write is "\n" or nothing
		tokens="OK EINVAL OK OK" want=""
	fi
	_expect "$tokens" open "$B/insert" w write "${text:0:k}" \
		write "${text:k}" close
	_content "$B/records" "$(sorted "$want" "1000 1")"
	_check "$B"
	[ -z "$want" ] || _write "$B/delete" "${want%% *}"$'\n'
done

# A failed write discards the unfinished tail before it.
_expect "OK OK EINVAL OK OK" open "$B/insert" w write $'1 1\n2' \
	write $'x\n' write $'3 3\n' close
_content "$B/records" $'1 1\n3 3\n1000 1'
_expect "OK OK EINVAL OK OK" open "$B/insert" w write $'4 4\n2 ' \
	write $'bad\n9 9\n' write $'2 2\n' close
_content "$B/records" $'1 1\n2 2\n3 3\n4 4\n1000 1'
_write "$B/delete" $'1\n2\n3\n4\n'

# The last line without a newline waits for close: not there before,
# there after.
rm -f "$T/before" "$T/after"
_ok open "$B/insert" w write $'6 6\n5 5' \
	out "$T/before" open "$B/records" r read \
	sel 0 close out "$T/after" open "$B/records" r read
_content "$T/before" $'6 6\n1000 1'
_content "$T/after" $'5 5\n6 6\n1000 1'
_write "$B/delete" "5"
_write "$B/delete" "6 6"
_content "$B/records" "1000 1"

# A bad unterminated last line: close() fails with EINVAL, the lines
# before it stay, the reason goes to errors.
snap=$(_snap "$B")
_expect "OK OK EINVAL" open "$B/insert" w write $'11 11\nbadtail' close
_content "$B/records" $'11 11\n1000 1'
grep -q badtail <(tail -n 1 "$B/errors") || _fail "bad tail not in errors"
_write "$B/delete" $'11\n'
_unchanged "$B" "$snap"
_expect "OK OK EINVAL" open "$B/insert" w write '12 12 12' close
_expect "OK OK EEXIST" open "$B/insert" w write '1000 2' close
_expect "OK OK ENOENT" open "$B/delete" w write '12' close
_expect "OK OK ENOENT" open "$B/delete" w write '1000 3' close
_unchanged "$B" "$snap"
# A close with nothing pending does nothing, even right after a failure.
_expect "OK OK" open "$B/insert" w close
_expect "OK EINVAL OK" open "$B/insert" w write $'bad\n' close
_expect "OK OK OK" open "$B/insert" w write $'13 13\n' close
_expect "OK OK OK" open "$B/delete" w write '13' close
_unchanged "$B" "$snap"

# A line longer than 4095 bytes fails even when it arrives in pieces, and
# changes nothing.
printf -v digits '%02000d' 0
steps=(open "$B/insert" w write "7$digits" write "$digits" write "$digits 1"$'\n' close)
got=$(_probe "${steps[@]}")
[[ "$got" == *EINVAL* ]] || _fail "a 6 kB line in three writes: '$got'"
_unchanged "$B" "$snap"
_write "$B/insert" $'14 14\n'
_content "$B/records" $'14 14\n1000 1'

# Shell habits: printf and echo from bash, pipes through cat.
printf '15 15\n161616' >"$B/insert"
printf '%s\n' "17 17" "18 18" >"$B/insert"
{
	printf '19 1'
	sleep 0.1
	printf '9\n20'
	sleep 0.1
	printf ' 20\n'
} | cat >"$B/insert"
_content "$B/records" $'14 14\n15 15\n17 17\n18 18\n19 19\n20 20\n1000 1'
grep -q '161616' <(tail -n 1 "$B/errors") || _fail "bad tail not in errors"
_check "$B"
