#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# refused.sh: the rest of a refused line (README, "insert and delete").
# A failed write takes with it all it carried; if it ended inside a line,
# the rest of that line, which the next writes bring, is refused too
# (EINVAL up to the first newline, "rest of a refused line" in errors),
# and fresh lines start after that newline.  A fragment of a refused line
# never becomes a record: after "1 1\nbad\n22" fails, "2 7\n" must not
# insert "2 7" (the writer meant "222 7").
#
# For insert, delete and load (and lookup, which shares the assembler),
# a text holding a bad line is cut at every point past that line: the
# first write (refused) ends there, the second brings the rest, a third
# holds a fresh line.  The second write fails exactly when the cut is
# inside a line; the third always succeeds; the records are checked.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

_mount
B=$MNT/b
mkdir "$B"

# The first write is refused once it holds "bad\n", from byte 8 on.
TEXT=$'1 1\nbad\n222 7\n5 5\n'
FIRST=8

# refused K: does the cut at K leave part of a line for the second
# write (inside a line, and not just before its newline)?
refused()
{
	[ "$1" -lt "${#TEXT}" ] && [ "${TEXT:$1 - 1:1}" != $'\n' ] &&
		[ "${TEXT:$1:1}" != $'\n' ]
}

# taken K: the lines the second write brings when it is taken (a newline
# it starts with ends the refused line and brings nothing).
taken()
{
	local rest=${TEXT:$1}

	refused "$1" || echo "${rest#$'\n'}"
}

# sorted LINES...: the non-empty lines, by key.
sorted()
{
	printf '%s\n' "$@" | awk 'NF' | sort -n
}

# rest_error K: the last line of errors names the refused rest.
rest_error()
{
	local rest=${TEXT:$1} got

	rest=${rest%%$'\n'*}
	got=$(tail -n 1 "$B/errors")
	[[ "$got" == *" $2: line 1: rest of a refused line: $rest" ]] ||
		_fail "cut at $1: errors' last line '$got'"
}

# ---- insert ------------------------------------------------------------

_write "$B/insert" $'1000 1\n'
for ((k = FIRST; k <= ${#TEXT}; k++)); do
	if refused "$k"; then
		want="OK EINVAL EINVAL OK OK"
	else
		want="OK EINVAL OK OK OK"
	fi
	_expect "$want" open "$B/insert" w write "${TEXT:0:k}" \
		write "${TEXT:k}" write $'6 6\n' close
	_content "$B/records" "$(sorted "$(taken "$k")" '6 6' '1000 1')"
	! refused "$k" || rest_error "$k" insert
	_check "$B"
	_write "$B/delete" "$(taken "$k")"$'\n6\n'
done
# The rest may come in several writes: each fails until the newline.
_expect "OK EINVAL EINVAL EINVAL EINVAL OK OK" open "$B/insert" w \
	write $'1 1\nbad\n2' write '2' write '2 ' write $'7\n5 5\n' \
	write $'6 6\n' close
_content "$B/records" $'6 6\n1000 1'
_write "$B/delete" $'6\n'
# A newline first carries nothing of the refused line: what follows is
# fresh.
_expect "OK EINVAL OK OK" open "$B/insert" w write $'1 1\nbad\n222 7' \
	write $'\n5 5\n' close
_content "$B/records" $'5 5\n1000 1'
_write "$B/delete" $'5\n'
# Closing ends the refused line: nothing is pending, and the next open
# file starts fresh.
_expect "OK EINVAL OK" open "$B/insert" w write $'bad\n22' close
_expect "OK OK OK" open "$B/insert" w write $'2 7\n' close
_content "$B/records" $'2 7\n1000 1'
_write "$B/delete" $'2\n'
# A line too long breaks its line like any other refusal.
printf -v long '%04096d' 7
_expect "OK EINVAL EINVAL OK OK" open "$B/insert" w write "$long" \
	write $'1 7\n8 8\n' write $'9 9\n' close
_content "$B/records" $'9 9\n1000 1'
_write "$B/delete" $'9\n'
# A refused rest that itself ends inside a line breaks that line too.
_expect "OK EINVAL EINVAL EINVAL OK OK" open "$B/insert" w \
	write $'bad\n22' write $'2 7\n33' write $'3 3\n' write $'4 4\n' close
_content "$B/records" $'4 4\n1000 1'
_write "$B/delete" $'4\n'
_check "$B"

# ---- delete ------------------------------------------------------------

# Every record a fragment could name is there: a refused rest must not
# delete 2, 22, 5 or 7.
ALL=$'2 2\n5 5\n7 7\n22 22\n222 222\n1000 1'
_write "$B/insert" $'2 2\n5 5\n7 7\n22 22\n222 222\n'
_content "$B/records" "$ALL"
TEXT=$'1000\nbad\n222\n5\n'
FIRST=9
for ((k = FIRST; k <= ${#TEXT}; k++)); do
	# The keys deleted: 7, and those of a second write taken.
	gone=$(printf '%s\n' $(taken "$k") 7 | paste -sd '|')
	if refused "$k"; then
		want="OK EINVAL EINVAL OK OK"
	else
		want="OK EINVAL OK OK OK"
	fi
	_expect "$want" open "$B/delete" w write "${TEXT:0:k}" \
		write "${TEXT:k}" write $'7\n' close
	_content "$B/records" "$(grep -v -x -E "($gone) .*" <<<"$ALL")"
	! refused "$k" || rest_error "$k" delete
	_write "$B/insert" "$(grep -x -E "($gone) .*" <<<"$ALL")"$'\n'
	_content "$B/records" "$ALL"
done
_check "$B"

# ---- load ----------------------------------------------------------------

# A refused write poisons the load (its close fails and nothing is
# loaded), but the rest of its broken line is refused at the write all
# the same, and the fresh line after it is taken.
TEXT=$'1 1\nbad\n222 7\n5 5\n'
FIRST=8
snap=$(_snap "$B")
for ((k = FIRST; k <= ${#TEXT}; k++)); do
	if refused "$k"; then
		want="OK EINVAL EINVAL OK EINVAL"
	else
		want="OK EINVAL OK OK EINVAL"
	fi
	_expect "$want" open "$B/load" w write "${TEXT:0:k}" \
		write "${TEXT:k}" write $'6 6\n' close
	_unchanged "$B" "$snap"
	# The close's reason comes last; the rest's is just before it.
	if refused "$k"; then
		tail -n 2 "$B/errors" | head -n 1 >"$T/e"
		grep -q " load: line 1: rest of a refused line: " "$T/e" ||
			_fail "load cut at $k: errors: $(cat "$T/e")"
	fi
done
# Fresh lines after the refused one load once the poison is gone: a new
# open file.
_expect "OK OK OK" open "$B/load" w write $'3 3\n' close
_content "$B/records" '3 3'

# ---- lookup --------------------------------------------------------------

_write "$B/insert" $'2 2\n22 22\n222 222\n'
rm -f "$T/answer"
_expect "OK EINVAL EINVAL OK OK OK" -o "$T/answer" open "$B/lookup" rw \
	write $'eq 3\nbad\neq 22' write $'2\n' read write $'eq 2\n' read
_content "$T/answer" '2 2'
_check "$B"
_umount
