#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# records.sh: kv record text and write transactions (xfbtreefs(5):
# RECORD TEXT, WRITES, and the files stats, check, errors).  What insert
# and delete accept (decimal, 0x hex, spaces and tabs, comments, blank
# lines, the u64 range) and the canonical text records gives back; every
# error insert and delete can return with its exact errno (EINVAL, EEXIST,
# ENOENT) and the btree byte for byte unchanged afterwards, with check
# still ok; one write = one transaction; the reason and line number in
# errors; stats fields and counters; O_TRUNC and >>; copying a btree with
# cat records > insert.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

_mount
B=$MNT/b
mkdir "$B"
pagesize=$(getconf PAGESIZE)

# An empty btree.
_content "$B/records" ""
_content "$B/errors" ""
[ "$(_stat "$B" records)" = 0 ] || _fail "empty: records"
[ "$(_stat "$B" height)" = 1 ] || _fail "empty: height"
[ "$(_stat "$B" data_size)" = 0 ] || _fail "empty: data_size"
_check "$B"

# stats: "name value" lines with at least xfbtreefs(5)'s fields.
awk 'NF < 2 || $0 !~ /^[^ \t]+ [^ \t]/ { bad = 1 } END { exit bad }' \
	"$B/stats" || _fail "stats has a line that is not 'name value'"
for n in type records height blocks blocksize bytes data_size health; do
	_stat "$B" "$n" >/dev/null
done
[ "$(_stat "$B" type)" = kv ] || _fail "stats type"
[ "$(_stat "$B" blocksize)" = "$pagesize" ] || _fail "stats blocksize"
[ "$(_stat "$B" health)" = ok ] || _fail "stats health"
# The counters: names are not fixed, one per kind must be there.
counter()
{
	awk -v re="$1" '$1 ~ re && $2 ~ /^[0-9]+$/ { print $2; n++ }
		END { exit n != 1 }' "$B/stats" ||
		_fail "not exactly one counter matching '$1' in stats"
}
for c in insert delete lookup split merge fail; do
	counter "$c" >/dev/null
done

# Accepted forms and canonical output, in key order.
_write "$B/insert" $'30 300\n# a comment\n\n0x10 0xff\n0xAb 0xCD\n'
_write "$B/insert" $'010 07\n20\t200\n21  \t 210\n0 0\n'
_write "$B/insert" $'18446744073709551615 18446744073709551615\n'
_write "$B/insert" $'0xfffffffffffffffe 0x0\n#\n'
want=$'0 0\n10 7\n16 255\n20 200\n21 210\n30 300\n171 205
18446744073709551614 0\n18446744073709551615 18446744073709551615'
_content "$B/records" "$want"
[ "$(_stat "$B" records)" = 9 ] || _fail "stats records after inserts"
_check "$B"

# delete takes keys alone or whole records.
_write "$B/delete" $'18446744073709551615\n0xfffffffffffffffe 0\n'
_write "$B/delete" $'# gone\n171 205\n\n0\n'
want=$'10 7\n16 255\n20 200\n21 210\n30 300'
_content "$B/records" "$want"
[ "$(_stat "$B" records)" = 5 ] || _fail "stats records after deletes"
[ "$(_stat "$B" data_size)" = 248 ] || _fail "data_size is not 8 * (30 + 1)"
_check "$B"

# Every error, exactly, and nothing changed.  The bad line is always the
# third line of its write, after two good ones: new records for insert,
# existing ones for delete.
snap=$(_snap "$B")
errors_before=$(wc -l <"$B/errors")
fails_before=$(counter fail)
nerr=0
bad()
{
	local errno=$1 file=$2 line=$3 last good=$'40 400\n41 410\n'

	[ "$file" = insert ] || good=$'10 7\n16\n'
	_expect_errno "$errno" open "$B/$file" w write "$good$line"$'\n'
	_unchanged "$B" "$snap"
	nerr=$((nerr + 1))
	# The reason goes to errors, newest last, with the line's number in
	# its write (3) and the offending line.
	last=$(tail -n 1 "$B/errors")
	case $line in
	*[![:print:]]*) ;;
	*)
		[[ "$last" == *"${line:0:40}"* ]] ||
			_fail "errors' last line '$last' lacks '$line'"
		# ... and to the log (stderr in the foreground).
		[[ "$(tail -n 1 "$_XFBT_LOG")" == *"${line:0:40}"* ]] ||
			_fail "the daemon log's last line lacks '$line'"
		;;
	esac
	[[ "$last" =~ (^|[^0-9])3([^0-9]|$) ]] ||
		_fail "errors' last line '$last' lacks the line number 3"
}
# EINVAL: bad lines.
bad EINVAL insert "x 1"
bad EINVAL insert "1"
bad EINVAL insert "1 2 3"
bad EINVAL insert "-1 1"
bad EINVAL insert "1 -1"
bad EINVAL insert "18446744073709551616 1"
bad EINVAL insert "1 18446744073709551616"
bad EINVAL insert "99999999999999999999999 1"
bad EINVAL insert "0x10000000000000000 1"
bad EINVAL insert "0x 1"
bad EINVAL insert "0xg 1"
bad EINVAL insert "1x 1"
bad EINVAL insert "1.5 1"
bad EINVAL insert "1e3 1"
bad EINVAL insert "1,1"
bad EINVAL insert "1;1"
bad EINVAL insert $'1 1\r'
bad EINVAL insert "one two"
bad EINVAL delete "x"
bad EINVAL delete "1 2 3"
bad EINVAL delete "-5"
bad EINVAL delete "18446744073709551616"
# A NUL byte inside a line.
printf '40 400\n41 410\n1\0 1\n' >"$T/nul"
_expect_errno EINVAL open "$B/insert" w writefile "$T/nul"
_unchanged "$B" "$snap"
nerr=$((nerr + 1))
# A line longer than 4095 bytes; 4094 bytes and a newline are fine.
printf -v pad '%*s' 4090 ''
long="50${pad}51"
[ ${#long} = 4094 ] || _fail "test bug: long line is ${#long} bytes"
_expect_errno EINVAL open "$B/insert" w write "${long}00"$'\n'
_unchanged "$B" "$snap"
_expect_errno EINVAL open "$B/insert" w write "${long}000"$'\n'
_unchanged "$B" "$snap"
nerr=$((nerr + 2))
_write "$B/insert" "$long"$'\n'
_write "$B/delete" $'50\n'
_unchanged "$B" "$snap"
# EEXIST: an existing key, with its value or another; a key twice in one
# write.
bad EEXIST insert "10 7"
bad EEXIST insert "10 8"
bad EEXIST insert "0x14 1"
bad EEXIST insert "40 1"
bad EEXIST insert "41 410"
# ENOENT: a missing key; a record whose value differs; a key deleted
# twice in one write (10 and 16 go first).
bad ENOENT delete "42"
bad ENOENT delete "42 0"
bad ENOENT delete "20 8"
bad ENOENT delete "16"
bad ENOENT delete "10 7"
bad ENOENT delete "0"
# The failed transactions are counted and every one went to errors (the
# file keeps "the last few dozen", so count at most 24 new lines).
fails_after=$(counter fail)
[ "$fails_after" -ge $((fails_before + nerr)) ] ||
	_fail "failed transactions counter went $fails_before -> $fails_after" \
		"after $nerr failures"
errors_after=$(wc -l <"$B/errors")
[ "$errors_after" -ge $((errors_before + 24)) ] ||
	_fail "errors grew from $errors_before to $errors_after lines only"

# One write is one transaction, even a big one that splits blocks before
# its bad last line.
awk 'BEGIN { for (i = 1000; i < 6000; i++) print i, i * 3; print "bad" }' \
	>"$T/big"
[ "$(wc -c <"$T/big")" -lt 1000000 ] || _fail "test bug: write too big"
_expect_errno EINVAL open "$B/insert" w writefile "$T/big"
_unchanged "$B" "$snap"
head -n -1 "$T/big" >"$T/big.ok"
_expect "OK OK OK" open "$B/insert" w writefile "$T/big.ok" close
[ "$(_stat "$B" records)" = 5005 ] || _fail "records after big insert"
[ "$(_stat "$B" height)" -ge 2 ] || _fail "5005 records in one leaf?"
_check "$B"
snap=$(_snap "$B")
# A delete that frees blocks, then hits a missing key.
awk 'BEGIN { for (i = 1000; i < 6000; i++) print i; print 7 }' >"$T/bigdel"
_expect_errno ENOENT open "$B/delete" w writefile "$T/bigdel"
_unchanged "$B" "$snap"
# An insert that would split, then hits a duplicate.
awk 'BEGIN { for (i = 6000; i < 9000; i++) print i, 1; print 5999, 1 }' \
	>"$T/bigdup"
_expect_errno EEXIST open "$B/insert" w writefile "$T/bigdup"
_unchanged "$B" "$snap"

# A write() bigger than max_write (1 MiB) reaches the daemon as several
# requests, split wherever the kernel cuts; every line must arrive whole.
cat "$B/records" >"$T/before"
awk 'BEGIN { for (i = 100000; i < 200000; i++) print i, i * 7 }' >"$T/huge"
[ "$(wc -c <"$T/huge")" -gt 1200000 ] || _fail "test bug: write too small"
_ok open "$B/insert" w writefile "$T/huge" close
[ "$(_stat "$B" records)" = 105005 ] || _fail "records after a 1.3 MB write"
awk '{ print $1 }' "$T/huge" >"$T/huge.del"
_ok open "$B/delete" w writefile "$T/huge.del" close
cmp -s "$T/before" <(cat "$B/records") || _fail "records after the 1.3 MB"
_check "$B"

# Counters move: inserts, deletes, lookups, splits, merges.
before=$(counter insert)
_write "$B/insert" $'9000 1\n'
[ "$(counter insert)" -gt "$before" ] || _fail "insert counter did not move"
before=$(counter delete)
_write "$B/delete" $'9000\n'
[ "$(counter delete)" -gt "$before" ] || _fail "delete counter did not move"
before=$(counter lookup)
_expect "OK OK OK" open "$B/lookup" rw write $'eq 1000\n' read
[ "$(counter lookup)" -gt "$before" ] || _fail "lookup counter did not move"
[ "$(counter split)" -gt 0 ] || _fail "no splits counted"
_write "$B/delete" "$(awk 'BEGIN { for (i = 1000; i < 6000; i++) print i }')"
[ "$(counter merge)" -gt 0 ] || _fail "no merges counted"
_content "$B/records" $'10 7\n16 255\n20 200\n21 210\n30 300'
[ "$(_stat "$B" height)" = 1 ] || _fail "height after deleting all but 5"
_check "$B"

# O_TRUNC and >> both insert; neither clears the btree.
echo "60 600" >"$B/insert"
echo "61 610" >>"$B/insert"
_expect "OK OK OK" open "$B/insert" wt write $'62 620\n' close
_expect "OK OK OK" open "$B/insert" wa write $'63 630\n' close
echo "62" >"$B/delete"
_content "$B/records" $'10 7\n16 255\n20 200\n21 210\n30 300\n60 600
61 610\n63 630'
_check "$B"

# errors keeps the last few dozen, newest last.
mkdir "$MNT/e"
for i in $(seq 1 100); do
	_expect "OK EINVAL" open "$MNT/e/insert" w write "marker$i"$'\n'
done
grep -q 'marker100' <(tail -n 1 "$MNT/e/errors") ||
	_fail "newest error is not last"
for i in $(seq 81 100); do
	grep -Eq "marker${i}([^0-9]|\$)" "$MNT/e/errors" ||
		_fail "error $i of the last 20 is not in errors"
done
! grep -Eq 'marker1([^0-9]|$)' "$MNT/e/errors" ||
	_fail "errors keeps everything (the oldest is still there)"
_content "$MNT/e/records" ""
_check "$MNT/e"

# cat records > insert copies a btree.
mkdir "$MNT/c"
awk 'BEGIN { for (i = 0; i < 3000; i++) print i * 7919 % 3001, i }' \
	>"$MNT/e/insert"
cat "$MNT/e/records" >"$MNT/c/insert"
cmp -s <(cat "$MNT/e/records") <(cat "$MNT/c/records") ||
	_fail "copy differs"
awk 'BEGIN { for (i = 0; i < 3000; i++) print i * 7919 % 3001, i }' |
	sort -n >"$T/want"
cmp -s "$T/want" <(cat "$MNT/c/records") || _fail "copy differs from input"
_check "$MNT/c"
_check "$MNT/e"
_check "$B"
