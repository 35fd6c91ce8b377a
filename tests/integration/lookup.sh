#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# lookup.sh: the lookup transaction file (xfbtreefs(5), QUERIES).  eq, le, ge
# and range on kv, empty answers, several queries in one write, each write
# replacing the answer, answers read from their start whatever the file
# offset, one answer per open file, answers read in small pieces, a range
# over a large btree, EINVAL for LOW > HIGH and bad queries (btree
# unchanged).  (xfbt query: xfbt.sh.)
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

_mount
B=$MNT/b
mkdir "$B"

# ask QUERY...: one write of the queries on a fresh open file, then the
# answer read back on it.
ask()
{
	local q

	rm -f "$T/answer"
	printf -v q '%s\n' "$@"
	_expect "OK OK OK" -o "$T/answer" open "$B/lookup" rw write "$q" read
	cat "$T/answer"
}

# answer_is WANT QUERY...
answer_is()
{
	local want=$1 got

	shift
	got=$(ask "$@")
	[ "$got" = "$want" ] ||
		_fail "lookup '$*': got '$(_xfbt_quote "$got")'," \
			"expected '$(_xfbt_quote "$want")'"
}

# An empty btree answers nothing.
for q in "eq 0" "le 18446744073709551615" "ge 0" \
	"range 0 18446744073709551615"; do
	answer_is "" "$q"
done

# Keys 10, 20, ..., 100 with value 2 * key.
awk 'BEGIN { for (k = 10; k <= 100; k += 10) print k, 2 * k }' >"$B/insert"
answer_is "50 100" "eq 50"
answer_is "" "eq 55"
answer_is "50 100" "le 55"
answer_is "50 100" "le 50"
answer_is "60 120" "ge 55"
answer_is "50 100" "ge 50"
answer_is "" "le 9"
answer_is "10 20" "le 10"
answer_is "10 20" "ge 0"
answer_is "" "ge 101"
answer_is "100 200" "le 18446744073709551615"
answer_is "100 200" "ge 100"
answer_is $'20 40\n30 60\n40 80\n50 100' "range 20 50"
answer_is $'20 40\n30 60\n40 80' "range 11 49"
answer_is "" "range 21 29"
answer_is "50 100" "range 50 50"
answer_is "$(cat "$B/records")" "range 0 18446744073709551615"
answer_is "50 100" "eq 0x32"
answer_is $'10 20\n20 40' "range 0x0 0x14"
answer_is "70 140" $'eq\t70'
answer_is "70 140" "eq   070"

# Several queries in one write: the answers follow one another.
answer_is $'10 20\n100 200\n30 60\n40 80\n90 180' \
	"eq 10" "ge 95" "eq 11" "range 30 40" "le 99"
# Comments and blank lines are no queries.
answer_is "20 40" "# what is 20?" "" "eq 20"

# Each write replaces the answer, which is read from its start; reading
# past its end gives end of file.
rm -f "$T/a1" "$T/a2" "$T/a3"
_ok open "$B/lookup" rw \
	write $'eq 10\n' write $'eq 20\n' out "$T/a1" read \
	out "$T/a2" read write $'range 30 40\n' out "$T/a3" read read
_content "$T/a1" "20 40"
_content "$T/a2" ""
_content "$T/a3" $'30 60\n40 80'
# Whatever the file offset: seek far away, then read.
rm -f "$T/a1"
_ok -o "$T/a1" open "$B/lookup" rw write $'eq 90\n' \
	seek 100000 read
_content "$T/a1" "90 180"
# Read in pieces of one byte.
rm -f "$T/a1"
steps=(open "$B/lookup" rw write $'range 10 100\n')
for ((i = 0; i < 80; i++)); do
	steps+=(read1 1)
done
_probe -o "$T/a1" "${steps[@]}" >/dev/null
cmp -s "$T/a1" <(cat "$B/records") || _fail "answer read bytewise differs"
# The shell's way, as xfbtreefs(5) shows it.
exec 3<>"$B/lookup"
echo "ge 100" >&3
got=$(cat <&3)
echo "le 15" >&3
got2=$(cat <&3)
exec 3>&-
[ "$got" = "100 200" ] || _fail "exec 3<> lookup: got '$got'"
[ "$got2" = "10 20" ] || _fail "exec 3<> lookup, second query: got '$got2'"

# Each open file has its own answer.
rm -f "$T/a1" "$T/a2"
_ok \
	open "$B/lookup" rw open "$B/lookup" rw \
	sel 0 write $'range 10 50\n' sel 1 write $'eq 100\n' \
	out "$T/a1" sel 0 read out "$T/a2" sel 1 read
_content "$T/a1" $'10 20\n20 40\n30 60\n40 80\n50 100'
_content "$T/a2" "100 200"

# Bad queries: EINVAL, nothing changes.
snap=$(_snap "$B")
for q in "range 50 40" "range 18446744073709551615 0" "eq" "eq x" \
	"eq 1 2" "le" "ge -1" "range 1" "range 1 2 3" "find 1" "eq 1x" \
	"eq 18446744073709551616" "ge 0x" "eq 1.0" "10 20" "range a b"; do
	_expect_errno EINVAL open "$B/lookup" rw write "$q"$'\n'
	_unchanged "$B" "$snap"
done
# A bad query among good ones fails the write.
_expect_errno EINVAL open "$B/lookup" rw write $'eq 10\nrange 9 1\neq 20\n'
_unchanged "$B" "$snap"

# A range over a large btree: every record, in order, read in small and
# in large pieces.
awk 'BEGIN { for (i = 0; i < 50000; i++) print i * 7 % 50021 + 1000, i }' \
	>"$B/insert"
cat "$B/records" >"$T/all"
[ "$(wc -l <"$T/all")" = 50010 ] || _fail "50010 records expected"
ask "range 0 18446744073709551615" >"$T/range"
cmp -s "$T/all" "$T/range" || _fail "range over everything differs"
exec 3<>"$B/lookup"
echo "range 0 18446744073709551615" >&3
dd bs=100 <&3 2>/dev/null >"$T/range"
exec 3>&-
cmp -s "$T/all" "$T/range" || _fail "range read 100 bytes at a time differs"
awk '$1 >= 20000 && $1 <= 30000' "$T/all" >"$T/want"
ask "range 20000 30000" >"$T/range"
cmp -s "$T/want" "$T/range" || _fail "range 20000 30000 differs"
answer_is "$(awk '$1 == 33333' "$T/all")" "eq 33333"
answer_is "$(awk '$1 <= 40000' "$T/all" | tail -n 1)" "le 40000"
answer_is "$(awk '$1 >= 40000 { print; exit }' "$T/all")" "ge 40000"
_check "$B"
