#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bulk.sh: a million records (scaled: see N) piped in from seq | awk, in
# an order that is not the key order, read back from records byte for byte
# identical to the sorted input (in large and in small reads), spot-checked
# with lookup, copied into a second btree with cat records > insert, then
# deleted through a pipe until the btree is empty again (block 0 and 1,
# memory back, check ok).
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# At XFB_TEST_SCALE=1 (the default) a million; the sanitizer build's 0.25
# pipes 250,000 (never fewer than 100,000, never more than the million
# the permutation below allows).
N=$(awk -v s="${XFB_TEST_SCALE:-1}" 'BEGIN { n = int(1000000 * s)
	if (n < 100000) n = 100000
	if (n > 1000000) n = 1000000
	printf "%.0f\n", n }')
# Keys: i * 7919 mod 1000003 for i below N, all different (7919 is prime
# to the prime 1000003); at a million, nearly every number below 1000003.
gen()
{
	seq 0 $((N - 1)) | awk '{ print $1 * 7919 % 1000003, $1 }'
}

_mount
B=$MNT/b
mkdir "$B"
bytes_empty=$(_stat "$B" bytes)

gen | sort -n -k1,1 >"$T/want"
[ "$(wc -l <"$T/want")" = "$N" ] || _fail "test bug: generator"
[ "$(cut -d' ' -f1 "$T/want" | uniq | wc -l)" = "$N" ] ||
	_fail "test bug: duplicate keys"

start=$SECONDS
gen >"$B/insert"
echo "inserted $N records in $((SECONDS - start)) s"
[ "$(_stat "$B" records)" = "$N" ] || _fail "stats records"
cmp "$T/want" <(cat "$B/records") || _fail "records differ from sorted input"
cmp "$T/want" <(dd if="$B/records" bs=1000 2>/dev/null) ||
	_fail "records read 1000 bytes at a time differ"
_check "$B"
[ "$(_stat "$B" height)" -ge 3 ] || _fail "$N records, height < 3"

# Spot checks with lookup (a key the scaled-down set lacks must answer
# nothing).
for k in 0 1 999999 1000002 500000 123457; do
	want=$(awk -v k="$k" '$1 == k { print; exit }' "$T/want")
	exec 3<>"$B/lookup"
	echo "eq $k" >&3
	got=$(cat <&3)
	exec 3>&-
	[ "$got" = "$want" ] || _fail "eq $k: '$got', expected '$want'"
done

# Copy it.
mkdir "$MNT/c"
start=$SECONDS
cat "$B/records" >"$MNT/c/insert"
echo "copied in $((SECONDS - start)) s"
cmp "$T/want" <(cat "$MNT/c/records") || _fail "copy differs"
_check "$MNT/c"
rmdir "$MNT/c"

# Delete everything through a pipe, keys alone.
start=$SECONDS
gen | awk '{ print $1 }' >"$B/delete"
echo "deleted in $((SECONDS - start)) s"
_content "$B/records" ""
[ "$(_stat "$B" records)" = 0 ] || _fail "stats records after delete"
[ "$(_stat "$B" height)" = 1 ] || _fail "height after delete"
list=$(cd "$B/pages" && printf '%s ' *)
[ "$list" = "0 1 " ] || _fail "emptied btree lists pages ${list:0:80}"
[ "$(_stat "$B" bytes)" = "$bytes_empty" ] ||
	_fail "emptied btree holds $(_stat "$B" bytes) bytes, not $bytes_empty"
_check "$B"
