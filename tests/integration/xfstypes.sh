#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xfstypes.sh: the two XFS record types through the mount (xfbtreefs(5):
# FILES, RECORD TEXT, QUERIES).  The type file (kv to rmap
# or refcount while empty, EBUSY when not, EINVAL for anything else).
# rmap: "STARTBLOCK BLOCKCOUNT OWNER OFFSET [FLAGS]" with decimal and hex,
# flags in any order printed as attr,bmbt,unwritten, special owners by
# name or by u64 value printed by name; every XFS rule is EINVAL with the
# btree byte for byte unchanged; overlapping extents are fine, an equal
# key (unwritten not part of it) is EEXIST; delete of whole records only
# (ENOENT for a missing one); records in key order; eq/le/ge on rmap keys;
# range LOW HIGH = every record whose extent meets blocks LOW..HIGH,
# checked against a brute-force answer over hundreds of random records in
# a tree of height >= 3 (512-byte blocks), as are le and ge of random
# keys, before and after deleting a random third (high keys shrink) and
# after putting it back; copying with cat records > insert; a bulk load
# when the daemon has a load file.  refcount: "STARTBLOCK BLOCKCOUNT
# REFCOUNT [cow]", the refcount rules of each domain, 31-bit start
# blocks, overlap within a domain EEXIST but not across domains, delete
# by key or whole record, eq/le/ge on "STARTBLOCK [cow]" with every shared
# record before every cow one, range over both domains (shared answers
# first), brute-forced too, as are le and ge.
# check stays ok, tree.dot is a digraph that names the root block.
# XFBT_SEED=N changes the random records (the seed is printed).
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

SEED=${XFBT_SEED:-$((RANDOM * 32768 + RANDOM))}
echo "xfstypes.sh: XFBT_SEED=$SEED"

# answer_is DIR WANT QUERY...: one write of the queries on a fresh open
# lookup file, and the answer read back on it must be WANT.
answer_is()
{
	local d=$1 want=$2 got

	shift 2
	_lookup_v got "$d" "$@"
	[ "$got" = "$want" ] ||
		_fail "$d lookup '$*': got '$(_xfbt_quote "$got")'," \
			"expected '$(_xfbt_quote "$want")'"
}

# bad ERRNO DIR FILE GOOD LINE: one write of GOOD (lines that are fine on
# their own) and then LINE must fail with ERRNO and change nothing.  The
# fingerprint is taken once per run of bad lines (SNAP_OF= starts one).
SNAP_OF=
bad()
{
	local errno=$1 d=$2 file=$3 good=$4 line=$5

	if [ "$SNAP_OF" != "$d" ]; then
		_snap_v SNAP "$d"
		SNAP_OF=$d
	fi
	_expect_errno "$errno" open "$d/$file" w write "$good$line"$'\n'
	_unchanged "$d" "$SNAP"
}

# badq DIR QUERY: EINVAL from lookup, nothing changed.
badq()
{
	local d=$1 snap

	_snap_v snap "$d" light
	_expect_errno EINVAL open "$d/lookup" rw write "$2"$'\n'
	_unchanged "$d" "$snap"
}

# The root block of btree $1 (from block 0: be64 at byte 16).
root_of()
{
	"$XFBT_PAGE" head "$1/pages/0" | awk '$1 == "root" { print $2 }'
}

# dot_ok DIR: tree.dot is a digraph that mentions the root block.
dot_ok()
{
	local d=$1 root

	cat "$d/tree.dot" >"$T/tree.dot"
	[ "$(head -c 7 "$T/tree.dot")" = digraph ] ||
		_fail "$d/tree.dot does not start with digraph"
	root=$(root_of "$d")
	grep -Eq "(^|[^0-9])$root([^0-9]|\$)" "$T/tree.dot" ||
		_fail "$d/tree.dot does not mention the root block $root"
	tail -n 1 "$T/tree.dot" | grep -q '}' || _fail "$d/tree.dot is cut"
}

# range_check DIR LOW HIGH: range LOW HIGH answers exactly the records
# (in records order) whose extent meets LOW..HIGH, computed by brute force
# over the records file $T/all.
range_check()
{
	local d=$1 lo=$2 hi=$3 want got

	want=$(awk -v lo="$lo" -v hi="$hi" \
		'$1 + 0 <= hi + 0 && $1 + $2 - 1 >= lo + 0' "$T/all")
	_lookup_v got "$d" "range $lo $hi"
	[ "$got" = "$want" ] || {
		diff <(echo "$want") <(echo "$got") | head -n 10 >&2 || true
		_fail "$d range $lo $hi differs from brute force" \
			"($(wc -l <<<"$want") records expected)"
	}
}

_mount blocksize=512

# ---- the type file --------------------------------------------------------

R=$MNT/rmap
mkdir "$R"
_content "$R/type" kv
[ "$(_stat "$R" type)" = kv ] || _fail "new btree is not kv"
for t in bogus RMAP "rmap refcount" kv2 "rmap x"; do
	_expect_errno EINVAL open "$R/type" w write "$t"$'\n'
	_content "$R/type" kv
done
echo rmap >"$R/type"
_content "$R/type" rmap
[ "$(_stat "$R" type)" = rmap ] || _fail "stats type after echo rmap > type"
_check "$R"
_content "$R/records" ""
# Empty again: any type; not empty: EBUSY, for every type (its own too).
echo refcount >"$R/type"
_content "$R/type" refcount
echo kv >"$R/type"
_content "$R/type" kv
echo rmap >"$R/type"
_write "$R/insert" $'100 10 128 0\n'
snap=$(_snap "$R")
for t in kv refcount rmap; do
	_expect_errno EBUSY open "$R/type" w write "$t"$'\n'
	_unchanged "$R" "$snap"
	_content "$R/type" rmap
done
_expect_errno EINVAL open "$R/type" w write $'bogus\n'
_unchanged "$R" "$snap"
# Emptied by delete: writable again.
_write "$R/delete" $'100 10 128 0\n'
echo refcount >"$R/type"
_content "$R/type" refcount
echo rmap >"$R/type"
_content "$R/type" rmap
_check "$R"

# ---- rmap record text -------------------------------------------------------

# Decimal and hex, spaces and tabs, comments and blank lines; flags in any
# order; special owners by name and by u64 value; extents that overlap.
_write "$R/insert" $'# overlapping extents of one file and others\n
100 10 128 0\n100\t10 128 0 attr\n100 10  128 20\tunwritten
0x64 0xa 129 0 bmbt,attr\n100 4 129 0 bmbt\n'
_write "$R/insert" $'1 1 null 0\n2 1 unknown 0\n3 1 fs 0\n4 1 log 0
5 1 ag 0\n6 1 inobt 0\n7 1 inodes 0\n8 1 refc 0\n9 1 cow 0\n'
_write "$R/insert" $'20 1 18446744073709551615 0\n21 1 18446744073709551614 0
22 1 18446744073709551613 0\n23 1 18446744073709551612 0
24 1 18446744073709551611 0\n25 1 0xfffffffffffffffa 0
26 1 0xFFFFFFFFFFFFFFF9 0\n27 1 18446744073709551608 0
28 1 0xfffffffffffffff7 0x0\n'
_write "$R/insert" $'4294967295 1 131 5\n4294967286 10 130 0
50 1 131 18014398509481983\n51 3 131 0x3ffffffffffffc\n60 2 132 7 attr
61 1 133 0 unwritten\n62 1 9223372036854775807 0\n'
want='1 1 null 0
2 1 unknown 0
3 1 fs 0
4 1 log 0
5 1 ag 0
6 1 inobt 0
7 1 inodes 0
8 1 refc 0
9 1 cow 0
20 1 null 0
21 1 unknown 0
22 1 fs 0
23 1 log 0
24 1 ag 0
25 1 inobt 0
26 1 inodes 0
27 1 refc 0
28 1 cow 0
50 1 131 18014398509481983
51 3 131 18014398509481980
60 2 132 7 attr
61 1 133 0 unwritten
62 1 9223372036854775807 0
100 10 128 0
100 10 128 20 unwritten
100 10 128 0 attr
100 4 129 0 bmbt
100 10 129 0 attr,bmbt
4294967286 10 130 0
4294967295 1 131 5'
_content "$R/records" "$want"
[ "$(_stat "$R" records)" = 30 ] || _fail "rmap stats records"
_check "$R"
# What records prints, insert takes back: the same btree.
mkdir "$MNT/rcopy"
echo rmap >"$MNT/rcopy/type"
cat "$R/records" >"$MNT/rcopy/insert"
_content "$MNT/rcopy/records" "$want"
_check "$MNT/rcopy"

# Every XFS rule: EINVAL, nothing changed.  Two good new records first.
SNAP_OF=
g=$'1000 1 200 0\n1001 1 200 0\n'
for line in \
	"500 0 128 0" \
	"4294967295 2 128 0" \
	"2 4294967295 128 0" \
	"4294967296 1 128 0" \
	"0x100000000 1 128 0" \
	"500 4294967296 128 0" \
	"500 1 128 18014398509481984" \
	"500 1 128 0x40000000000000" \
	"500 1 128 18446744073709551615" \
	"500 2 128 18014398509481983" \
	"500 1 128 5 bmbt" \
	"500 1 128 1 attr,bmbt" \
	"500 1 fs 5" \
	"500 1 cow 1" \
	"500 1 18446744073709551613 7" \
	"500 1 fs 0 attr" \
	"500 1 ag 0 bmbt" \
	"500 1 cow 0 unwritten" \
	"500 1 null 0 attr" \
	"500 1 18446744073709551611 0 bmbt" \
	"500 1 128 0 attr,unwritten" \
	"500 1 128 0 unwritten,attr" \
	"500 1 128 0 bmbt,unwritten" \
	"500 1 128 0 attr,bmbt,unwritten" \
	"500 1 128 0 foo" \
	"500 1 128 0 attr,foo" \
	"500 1 128 0 ATTR" \
	"500 1 128 0 attr," \
	"500 1 128 0 ,attr" \
	"500 1 128 0 attr;bmbt" \
	"500 1 128 0 shared" \
	"500 1 nobody 0" \
	"500 1 NULL 0" \
	"500 1 Cow 0" \
	"500 1 -1 0" \
	"500 1 18446744073709551606 0" \
	"500 1 18446744073709551616 0" \
	"500 1 128" \
	"500 1 fs" \
	"500 1 128 0 attr extra" \
	"500 1 128 0 attr bmbt" \
	"500 1" \
	"x 1 128 0" \
	"500 1 0x 0" \
	"-500 1 128 0"; do
	bad EINVAL "$R" insert "$g" "$line"
done
# Equal keys: EEXIST (blockcount and unwritten are not in the key), also
# within one write.
SNAP_OF=
for line in \
	"100 10 128 0" \
	"100 5 128 0" \
	"100 10 128 20" \
	"0x64 10 128 20 unwritten" \
	"100 1 129 0 bmbt,attr" \
	"1 7 null 0" \
	"9 1 0xfffffffffffffff7 0" \
	"1000 1 200 0" \
	"1001 2 200 0"; do
	bad EEXIST "$R" insert "$g" "$line"
done
# Overlaps are fine: the same blocks for another owner, another offset of
# the same owner, or the attr fork.
_write "$R/insert" $'100 10 140 0\n105 3 128 5\n100 10 141 0 attr\n'
_write "$R/delete" $'100 10 140 0\n105 3 128 5\n100 10 141 0 attr\n'
_content "$R/records" "$want"

# delete takes whole records (by any spelling); a key alone is no rmap
# line; a record that differs in any field is not there.
SNAP_OF=
g=$'1 1 null 0\n2 1 0xfffffffffffffffe 0\n'
for line in \
	"100 9 128 0" \
	"100 11 128 0" \
	"100 10 128 1" \
	"100 10 128 20" \
	"100 10 128 0 unwritten" \
	"100 10 129 0 bmbt" \
	"100 10 129 0 attr" \
	"999 1 128 0" \
	"1 1 unknown 0" \
	"1 1 0xffffffffffffffff 0"; do
	bad ENOENT "$R" delete "$g" "$line"
done
SNAP_OF=
for line in "100 128 0" "100 128 0 attr" "100" "x" "100 10 128 0 bogus" \
	"500 0 128 0"; do
	bad EINVAL "$R" delete "$g" "$line"
done
_write "$R/delete" $'0x64 0xa 128 20 unwritten\n28 1 0xfffffffffffffff7 0
100 10 129 0 bmbt,attr\n'
_content "$R/records" "$(grep -v -e '^100 10 128 20 unwritten$' \
	-e '^28 1 cow 0$' -e '^100 10 129 0 attr,bmbt$' <<<"$want")"
_write "$R/insert" $'100 10 128 20 unwritten\n28 1 cow 0
100 10 129 0 attr,bmbt\n'
_content "$R/records" "$want"
_check "$R"

# ---- rmap lookup ------------------------------------------------------------

answer_is "$R" "100 10 128 0" "eq 100 128 0"
answer_is "$R" "100 10 128 0 attr" "eq 100 128 0 attr"
answer_is "$R" "100 10 128 20 unwritten" "eq 100 128 20"
answer_is "$R" "100 10 128 20 unwritten" "eq 0x64 128 0x14 unwritten"
answer_is "$R" "100 10 129 0 attr,bmbt" "eq 100 129 0 bmbt,attr"
answer_is "$R" "100 4 129 0 bmbt" "eq 100 129 0 bmbt"
answer_is "$R" "" "eq 100 128 5"
answer_is "$R" "" "eq 100 129 0"
answer_is "$R" "" "eq 101 128 1"
answer_is "$R" "5 1 ag 0" "eq 5 ag 0"
answer_is "$R" "5 1 ag 0" "eq 5 18446744073709551611 0"
answer_is "$R" "20 1 null 0" "eq 20 null 0"
answer_is "$R" "100 10 128 0" "le 100 128 19"
answer_is "$R" "100 10 128 20 unwritten" "le 100 128 21"
answer_is "$R" "100 10 128 20 unwritten" "ge 100 128 1"
answer_is "$R" "100 10 128 0 attr" "ge 100 128 21"
answer_is "$R" "100 10 128 0 attr" "le 100 128 0 attr,bmbt"
answer_is "$R" "100 4 129 0 bmbt" "ge 100 128 1 attr"
answer_is "$R" "62 1 9223372036854775807 0" "le 99 cow 0"
answer_is "$R" "62 1 9223372036854775807 0" "le 99 null 0 attr,bmbt"
answer_is "$R" "9 1 cow 0" "le 9 null 0"
answer_is "$R" "8 1 refc 0" "le 9 128 0"
answer_is "$R" "1 1 null 0" "ge 0 0 0"
answer_is "$R" "" "le 0 0 0"
answer_is "$R" "" "le 1 unknown 0"
answer_is "$R" "1 1 null 0" "le 1 null 0"
answer_is "$R" "4294967295 1 131 5" "ge 4294967295 0 0"
answer_is "$R" "4294967295 1 131 5" "le 4294967295 null 0 attr,bmbt"
answer_is "$R" "" "ge 4294967295 131 6"
# Ranges: by extent, not by start block.
answer_is "$R" "" "range 0 0"
answer_is "$R" "" "range 10 19"
answer_is "$R" "1 1 null 0" "range 0 1"
answer_is "$R" $'9 1 cow 0\n20 1 null 0' "range 9 20"
answer_is "$R" $'51 3 131 18014398509481980' "range 52 52"
answer_is "$R" $'100 10 128 0\n100 10 128 20 unwritten\n100 10 128 0 attr
100 4 129 0 bmbt\n100 10 129 0 attr,bmbt' "range 95 100"
answer_is "$R" $'100 10 128 0\n100 10 128 20 unwritten\n100 10 128 0 attr
100 10 129 0 attr,bmbt' "range 105 105"
answer_is "$R" $'100 10 128 0\n100 10 128 20 unwritten\n100 10 128 0 attr
100 10 129 0 attr,bmbt' "range 109 1000"
answer_is "$R" "" "range 110 4294967285"
answer_is "$R" $'4294967286 10 130 0\n4294967295 1 131 5' \
	"range 4294967290 4294967295"
answer_is "$R" "4294967286 10 130 0" "range 4294967290 4294967294"
answer_is "$R" "$want" "range 0 4294967295"
answer_is "$R" "$want" "range 0 0xffffffff"
# Several queries in one write: the answers follow one another.
answer_is "$R" $'5 1 ag 0\n9 1 cow 0\n20 1 null 0\n4294967295 1 131 5' \
	"eq 5 ag 0" "range 9 20" "eq 6 ag 0" "ge 4294967290 0 0"
for q in "range 10 5" "range 0 4294967296" "range 0" "range 0 1 2" \
	"range x 5" "eq 100 128" "eq 100 10 128 0 attr" "eq 100 128 0 foo" \
	"eq 100 128 18014398509481984" "le 4294967296 1 0" "ge 1 nobody 0" \
	"eq 100 -128 0" "foo 1 2 3" "eq" "ge 1 2 3 attr,attr,x"; do
	badq "$R" "$q"
done
_check "$R"
dot_ok "$R"

# ---- rmap: random records in a deep tree, ranges by brute force ------------

RR=$MNT/rrand
mkdir "$RR"
echo rmap >"$RR/type"
# 600 records with distinct keys over blocks 0..6000 (and a few near 2^32;
# most extents short, a few thousands of blocks long), written in any
# spelling, in random order.  $T/rgen: "sortkey|canonical
# line|input line|random",
# the sort key being start, owner, attr, bmbt, offset (numbers of any
# size: sort -n compares digit strings exactly); "|" separates columns.
awk -v seed="$SEED" 'BEGIN {
	srand(seed)
	split("null unknown fs log ag inobt inodes refc cow", name, " ")
	for (i = 1; i <= 9; i++)
		val[i] = sprintf("1844674407370955%04d", 1615 - (i - 1))
	n = 0
	while (n < 600) {
		big = rand() < 0.03
		start = big ? 4294967295 - int(rand() * 40) : int(rand() * 6000)
		maxlen = big ? 4294967296 - start : rand() < 0.03 ? 3000 : 64
		len = 1 + int(rand() * maxlen)
		r = rand()
		attr = bmbt = unw = 0
		if (r < 0.1) {
			s = 1 + int(rand() * 9)
			okey = val[s]
			otext = rand() < 0.5 ? name[s] : val[s]
			oname = name[s]
			off = 0
		} else {
			o = 128 + int(rand() * 40)
			okey = oname = o
			otext = rand() < 0.5 ? sprintf("0x%x", o) : o
			f = rand()
			if (f < 0.15) {
				bmbt = 1
				attr = rand() < 0.3
				off = 0
			} else {
				attr = f < 0.3
				unw = !attr && rand() < 0.3
				off = int(rand() * 100000)
			}
		}
		start = sprintf("%.0f", start)
		key = start " " okey " " attr " " bmbt " " off
		if (key in seen)
			continue
		seen[key] = 1
		n++
		flags = ""
		if (attr) flags = "attr"
		if (bmbt) flags = flags (flags != "" ? "," : "") "bmbt"
		if (unw) flags = flags (flags != "" ? "," : "") "unwritten"
		canon = start " " len " " oname " " off
		if (flags != "")
			canon = canon " " flags
		# The input spelling: hex or decimal, flags reversed.
		rflags = ""
		if (unw) rflags = "unwritten"
		if (bmbt) rflags = rflags (rflags != "" ? "," : "") "bmbt"
		if (attr) rflags = rflags (rflags != "" ? "," : "") "attr"
		if (rand() < 0.5)
			inp = sprintf("0x%x\t%d %s 0x%x", start, len, otext,
				off)
		else
			inp = sprintf("%s %d %s %d", start, len, otext, off)
		if (rflags != "")
			inp = inp " " rflags
		printf "%s|%s|%s|%.6f\n", key, canon, inp, rand()
	}
}' >"$T/rgen"
# Input: the third column in the order of the fourth (random).
sort -t '|' -k4,4 "$T/rgen" | cut -d '|' -f3 >"$T/rin"
awk -F '|' '{ print $1 "|" $2 }' "$T/rgen" |
	sort -k1,1n -k2,2n -k3,3n -k4,4n -k5,5n | cut -d '|' -f2 >"$T/rwant"
_ok open "$RR/insert" w writefile "$T/rin" close
cat "$RR/records" >"$T/all"
cmp -s "$T/all" "$T/rwant" || {
	diff "$T/rwant" "$T/all" | head -n 10 >&2 || true
	_fail "random rmap records are not in key order or not all there"
}
[ "$(_stat "$RR" records)" = 600 ] || _fail "random rmap: stats records"
h=$(_stat "$RR" height)
[ "$h" -ge 3 ] || _fail "600 rmap records at 512 bytes: height $h, not >= 3"
_check "$RR"
# Ranges: random ones, single blocks, the edges, the whole space.
ranges=$(awk -v seed="$SEED" 'BEGIN {
	srand(seed + 1)
	for (i = 0; i < 30; i++) {
		lo = int(rand() * 6100)
		hi = lo + int(rand() * (rand() < 0.5 ? 20 : 800))
		print lo, hi
	}
	for (i = 0; i < 6; i++) {
		b = int(rand() * 6000)
		print b, b
	}
	print "0 0"
	print "0 4294967295"
	print "6064 4294967254"
	print "4294967290 4294967295"
	print "4294967295 4294967295"
}')
while read -r lo hi; do
	range_check "$RR" "$lo" "$hi"
done <<<"$ranges"
# eq, le and ge of every 37th record's key find that record.
awk 'NR % 37 == 1' "$T/all" >"$T/some"
while read -r s c o off f; do
	answer_is "$RR" "$s $c $o $off${f:+ $f}" "eq $s $o $off${f:+ $f}"
	answer_is "$RR" "$s $c $o $off${f:+ $f}" "le $s $o $off${f:+ $f}"
	answer_is "$RR" "$s $c $o $off${f:+ $f}" "ge $s $o $off${f:+ $f}"
done <"$T/some"
# le and ge of random keys, most between records, by brute force: the
# keys as fixed-width digit strings compare in key order.
awk -F '|' -v seed="$SEED" '
function pad(k,   f) {
	split(k, f, " ")
	return sprintf("%010.0f %20s %d %d %017.0f", f[1],
		length(f[2]) == 20 ? f[2] : sprintf("%020.0f", f[2]),
		f[3], f[4], f[5])
}
{ key[NR] = pad($1); line[NR] = $2; n = NR }
END {
	srand(seed + 8)
	split("null unknown fs log ag inobt inodes refc cow", name, " ")
	for (q = 0; q < 40; q++) {
		if (rand() < 0.5) {
			# Next to a record: its key, offset one off.
			split(line[1 + int(rand() * n)], f, " ")
			s = f[1]; o = f[3]; off = f[4] + (rand() < 0.5 ? 1 : -1)
			if (off < 0) off = 0
			fl = f[5]; sub(/,?unwritten/, "", fl)
		} else {
			s = sprintf("%.0f", int(rand() * 6100))
			o = 128 + int(rand() * 42)
			off = int(rand() * 100000)
			fl = rand() < 0.2 ? "attr" : rand() < 0.1 ? "bmbt" : ""
		}
		if (rand() < 0.1)
			o = name[1 + int(rand() * 9)]
		ok = o
		for (i = 1; i <= 9; i++)
			if (o == name[i])
				ok = sprintf("1844674407370955%04d",
					1615 - (i - 1))
		k = pad(s " " ok " " (fl ~ /attr/) " " (fl ~ /bmbt/) " " off)
		le = ge = ""
		for (i = 1; i <= n; i++) {
			c = key[i] ""
			if (c <= k "" && (le == "" || c > key[le] ""))
				le = i
			if (c >= k "" && (ge == "" || c < key[ge] ""))
				ge = i
		}
		q1 = s " " o " " off (fl != "" ? " " fl : "")
		print "le " q1 "|" (le == "" ? "" : line[le])
		print "ge " q1 "|" (ge == "" ? "" : line[ge])
	}
}' "$T/rgen" >"$T/near"
while IFS='|' read -r q a; do
	answer_is "$RR" "$a" "$q"
done <"$T/near"
# Delete a random third: the high keys up the tree must shrink with them.
# Ranges again, then the records back in another order.
awk -v seed="$SEED" 'BEGIN { srand(seed + 5) } rand() < 0.35' "$T/all" \
	>"$T/gone"
grep -vxF -f "$T/gone" "$T/rwant" >"$T/left" || true
_ok open "$RR/delete" w writefile "$T/gone" close
cat "$RR/records" >"$T/all"
cmp -s "$T/all" "$T/left" || _fail "random rmap: records after deletes"
[ "$(_stat "$RR" records)" = "$(wc -l <"$T/left")" ] ||
	_fail "random rmap: stats records after deletes"
_check "$RR"
while read -r lo hi; do
	range_check "$RR" "$lo" "$hi"
done <<<"$ranges"
sort -r "$T/gone" >"$T/gone.r"
_ok open "$RR/insert" w writefile "$T/gone.r" close
cat "$RR/records" >"$T/all"
cmp -s "$T/all" "$T/rwant" || _fail "random rmap: records after reinserts"
_check "$RR"
# A bulk load of the same records (any order) builds the same btree
# contents, high keys included (once the daemon has a load file).
mkdir "$MNT/rrload"
echo rmap >"$MNT/rrload/type"
if [ -e "$MNT/rrload/load" ]; then
	cat "$T/rin" >"$MNT/rrload/load"
	cmp -s "$T/rwant" <(cat "$MNT/rrload/records") ||
		_fail "rmap load differs"
	_check "$MNT/rrload"
	while read -r lo hi; do
		range_check "$MNT/rrload" "$lo" "$hi"
	done <<<"$ranges"
else
	echo "xfstypes.sh: no load file yet: rmap load not tried"
fi
# Copy through records: the same btree.
mkdir "$MNT/rrcopy"
echo rmap >"$MNT/rrcopy/type"
cat "$RR/records" >"$MNT/rrcopy/insert"
cmp -s "$T/all" <(cat "$MNT/rrcopy/records") || _fail "rmap copy differs"
_check "$MNT/rrcopy"
dot_ok "$RR"

# ---- refcount record text ---------------------------------------------------

F=$MNT/refc
mkdir "$F"
echo refcount >"$F/type"
_content "$F/type" refcount
[ "$(_stat "$F" type)" = refcount ] || _fail "stats type refcount"
_write "$F/insert" $'# shared, then the same blocks staged for CoW\n
100 10 2\n0x6e 5 3\n100\t10  1 cow\n115 1 4294967295\n0 1 2\n'
_write "$F/insert" $'2147483647 1 2\n2147483640 7 0x5\n50 5 1 cow
0x7fffffff 1 1 cow\n'
want='0 1 2
100 10 2
110 5 3
115 1 4294967295
2147483640 7 5
2147483647 1 2
50 5 1 cow
100 10 1 cow
2147483647 1 1 cow'
_content "$F/records" "$want"
[ "$(_stat "$F" records)" = 9 ] || _fail "refcount stats records"
_check "$F"
mkdir "$MNT/fcopy"
echo refcount >"$MNT/fcopy/type"
cat "$F/records" >"$MNT/fcopy/insert"
_content "$MNT/fcopy/records" "$want"
_check "$MNT/fcopy"

SNAP_OF=
g=$'1000 1 2\n1001 1 1 cow\n'
for line in \
	"500 0 2" \
	"500 0 1 cow" \
	"500 1 1" \
	"500 1 0" \
	"500 1 2 cow" \
	"500 1 0 cow" \
	"500 1 4294967295 cow" \
	"2147483648 1 2" \
	"0x80000000 1 2" \
	"4294967295 1 2" \
	"2147483647 2 2" \
	"2147483640 9 1 cow" \
	"2 2147483647 2" \
	"500 4294967296 2" \
	"500 1 4294967296" \
	"500 1 2 shared" \
	"500 1 1 COW" \
	"500 1 1 cow extra" \
	"500 1" \
	"500" \
	"x 1 2" \
	"500 1 -2" \
	"500 1 2 attr"; do
	bad EINVAL "$F" insert "$g" "$line"
done
# Overlap within one domain: EEXIST, also within one write.
SNAP_OF=
for line in \
	"100 10 2" \
	"100 1 5" \
	"105 2 2" \
	"95 6 2" \
	"109 1 3" \
	"90 100 2" \
	"114 2 2" \
	"50 1 1 cow" \
	"54 50 1 cow" \
	"40 11 1 cow" \
	"1000 1 3" \
	"999 2 2" \
	"1001 1 1 cow" \
	"2147483647 1 1 cow"; do
	bad EEXIST "$F" insert "$g" "$line"
done
# The same blocks in the other domain are fine.
_write "$F/insert" $'50 5 2\n0 1 1 cow\n116 10 1 cow\n'
_write "$F/delete" $'50 5 2\n0 1 1 cow\n116 cow\n'
_content "$F/records" "$want"

# delete: a key alone, or a whole record that matches in every field.
SNAP_OF=
g=$'100\n100 cow\n'
for line in \
	"101" \
	"99" \
	"100" \
	"110 cow" \
	"110 5 2" \
	"110 4 3" \
	"50 5 3" \
	"1 cow"; do
	bad ENOENT "$F" delete "$g" "$line"
done
SNAP_OF=
for line in "x" "100 shared" "100 10" "2147483648" "100 10 2 cow x" \
	"110 5 1" "110 5 3 cow" "50 5 1" "50 5 2 cow" "110 0 3"; do
	bad EINVAL "$F" delete "$g" "$line"
done
_write "$F/delete" $'100\n0x64 cow\n110 5 3\n2147483647 1 1 cow\n'
_content "$F/records" $'0 1 2\n115 1 4294967295\n2147483640 7 5
2147483647 1 2\n50 5 1 cow'
_write "$F/insert" $'100 10 2\n100 10 1 cow\n110 5 3\n2147483647 1 1 cow\n'
_content "$F/records" "$want"
_check "$F"

# ---- refcount lookup --------------------------------------------------------

answer_is "$F" "100 10 2" "eq 100"
answer_is "$F" "100 10 1 cow" "eq 100 cow"
answer_is "$F" "100 10 1 cow" "eq 0x64 cow"
answer_is "$F" "" "eq 105"
answer_is "$F" "" "eq 0 cow"
answer_is "$F" "100 10 2" "le 105"
answer_is "$F" "110 5 3" "ge 101"
answer_is "$F" "2147483640 7 5" "ge 116"
answer_is "$F" "2147483647 1 2" "ge 2147483641"
answer_is "$F" "2147483647 1 2" "le 2147483647"
answer_is "$F" "0 1 2" "le 0"
answer_is "$F" "0 1 2" "ge 0"
# Every shared record sorts before every cow one.
answer_is "$F" "50 5 1 cow" "ge 0 cow"
answer_is "$F" "2147483647 1 2" "le 49 cow"
answer_is "$F" "2147483647 1 2" "le 0 cow"
answer_is "$F" "50 5 1 cow" "le 99 cow"
answer_is "$F" "2147483647 1 1 cow" "ge 101 cow"
answer_is "$F" "2147483647 1 1 cow" "ge 2147483647 cow"
answer_is "$F" "2147483647 1 2" "ge 0x7fffffff"
answer_is "$F" $'2147483647 1 1 cow\n2147483647 1 2' \
	"le 2147483647 cow" "ge 2147483647"
# Ranges: both domains, shared answers first, by extent.
answer_is "$F" $'100 10 2\n100 10 1 cow' "range 100 104"
answer_is "$F" $'100 10 2\n110 5 3\n100 10 1 cow' "range 105 112"
answer_is "$F" $'100 10 2\n100 10 1 cow' "range 109 109"
answer_is "$F" "50 5 1 cow" "range 52 52"
answer_is "$F" "" "range 55 99"
answer_is "$F" "" "range 1 49"
answer_is "$F" $'0 1 2' "range 0 0"
answer_is "$F" $'115 1 4294967295' "range 115 115"
answer_is "$F" $'2147483640 7 5\n2147483647 1 2\n2147483647 1 1 cow' \
	"range 2147483646 2147483647"
answer_is "$F" "$want" "range 0 2147483647"
for q in "range 10 5" "range 0 2147483648" "range 0 4294967295" \
	"range 0 0x80000000" "range 5 cow" "range 0 10 cow" "eq 2147483648" \
	"eq 100 shared" "eq 100 10" "le -1" "ge 1 COW" "eq x" "foo 1" "eq"; do
	badq "$F" "$q"
done
_check "$F"
dot_ok "$F"

# ---- refcount: random extents in a deep tree, ranges by brute force --------

FR=$MNT/frand
mkdir "$FR"
echo refcount >"$FR/type"
# 1000 shared and 500 cow extents, disjoint within each domain, over
# blocks 0..~25000 (and the last blocks of the 31-bit space): more than
# 36 full leaves of 36, so the height is 3 whatever the fill.
awk -v seed="$SEED" 'BEGIN {
	srand(seed + 2)
	pos = 0
	for (i = 0; i < 1000; i++) {
		pos += int(rand() * 20)
		len = 1 + int(rand() * 30)
		print pos, len, 2 + int(rand() * 5)
		pos += len
	}
	print "2147483600 48 7"
	pos = 0
	for (i = 0; i < 500; i++) {
		pos += int(rand() * 60)
		len = 1 + int(rand() * 40)
		print pos, len, 1, "cow"
		pos += len
	}
	print "2147483640 8 1 cow"
}' >"$T/fwant"
awk -v seed="$SEED" 'BEGIN { srand(seed + 3) }
	{ printf "%.6f\t0x%x %s\n", rand(), $1,
		substr($0, index($0, " ") + 1) }' \
	"$T/fwant" | sort | cut -f2 >"$T/fin"
_ok open "$FR/insert" w writefile "$T/fin" close
cat "$FR/records" >"$T/all"
cmp -s "$T/all" "$T/fwant" || {
	diff "$T/fwant" "$T/all" | head -n 10 >&2 || true
	_fail "random refcount records are not in key order or not all there"
}
h=$(_stat "$FR" height)
[ "$h" -ge 3 ] || _fail "1502 refcount records at 512 bytes: height $h"
_check "$FR"
ranges=$(awk -v seed="$SEED" 'BEGIN {
	srand(seed + 4)
	for (i = 0; i < 30; i++) {
		lo = int(rand() * 26000)
		hi = lo + int(rand() * (rand() < 0.5 ? 30 : 2000))
		print lo, hi
	}
	for (i = 0; i < 6; i++) {
		b = int(rand() * 26000)
		print b, b
	}
	print "0 0"
	print "0 2147483647"
	print "40000 2147483599"
	print "2147483599 2147483600"
	print "2147483647 2147483647"
}')
while read -r lo hi; do
	range_check "$FR" "$lo" "$hi"
done <<<"$ranges"
awk 'NR % 41 == 1' "$T/all" >"$T/some"
while read -r s c r cow; do
	answer_is "$FR" "$s $c $r${cow:+ cow}" "eq $s${cow:+ cow}"
	answer_is "$FR" "$s $c $r${cow:+ cow}" "le $((s + c - 1))${cow:+ cow}"
done <"$T/some"
# le and ge of random keys by brute force over (domain, start).
awk -v seed="$SEED" '
{ key[NR] = ($4 == "cow" ? 2147483648 : 0) + $1; line[NR] = $0; n = NR }
END {
	srand(seed + 9)
	for (q = 0; q < 40; q++) {
		s = int(rand() * 27000)
		cow = rand() < 0.5
		k = s + (cow ? 2147483648 : 0)
		le = ge = ""
		for (i = 1; i <= n; i++) {
			if (key[i] <= k && (le == "" || key[i] > key[le]))
				le = i
			if (key[i] >= k && (ge == "" || key[i] < key[ge]))
				ge = i
		}
		print "le " s (cow ? " cow" : "") "|" (le == "" ? "" : line[le])
		print "ge " s (cow ? " cow" : "") "|" (ge == "" ? "" : line[ge])
	}
}' "$T/all" >"$T/near"
while IFS='|' read -r q a; do
	answer_is "$FR" "$a" "$q"
done <"$T/near"
# Delete a random third by key alone ("START" or "START cow"), ranges
# again, the records back; then a bulk load of the same.
awk -v seed="$SEED" 'BEGIN { srand(seed + 7) } rand() < 0.35' "$T/all" \
	>"$T/gone"
grep -vxF -f "$T/gone" "$T/fwant" >"$T/left" || true
awk '{ print $1 ($4 == "cow" ? " cow" : "") }' "$T/gone" >"$T/gonekeys"
_ok open "$FR/delete" w writefile "$T/gonekeys" close
cat "$FR/records" >"$T/all"
cmp -s "$T/all" "$T/left" || _fail "random refcount: records after deletes"
_check "$FR"
while read -r lo hi; do
	range_check "$FR" "$lo" "$hi"
done <<<"$ranges"
sort -r "$T/gone" >"$T/gone.r"
_ok open "$FR/insert" w writefile "$T/gone.r" close
cat "$FR/records" >"$T/all"
cmp -s "$T/all" "$T/fwant" || _fail "random refcount: records after reinserts"
_check "$FR"
mkdir "$MNT/frload" "$MNT/frbad"
echo refcount >"$MNT/frload/type"
echo refcount >"$MNT/frbad/type"
cat "$T/fin" >"$MNT/frload/load"
cmp -s "$T/fwant" <(cat "$MNT/frload/records") ||
	_fail "refcount load differs"
_check "$MNT/frload"
# The refcount rules hold for load too: an overlap fails the close
# (where xfbtreefs(5) says a load fails), a bad record its write and the
# close, and the old btree stays.
_write "$MNT/frbad/insert" $'7 1 2\n'
_expect "OK OK EEXIST" open "$MNT/frbad/load" w \
	write $'100 10 2\n105 10 3\n' close
_content "$MNT/frbad/records" "7 1 2"
_expect "OK EINVAL EINVAL" open "$MNT/frbad/load" w \
	write $'100 10 1\n' close
_content "$MNT/frbad/records" "7 1 2"
_check "$MNT/frbad"
mkdir "$MNT/frcopy"
echo refcount >"$MNT/frcopy/type"
cat "$FR/records" >"$MNT/frcopy/insert"
cmp -s "$T/all" <(cat "$MNT/frcopy/records") || _fail "refcount copy differs"
_check "$MNT/frcopy"
dot_ok "$FR"

# A kv btree cannot take rmap or refcount text, nor the reverse.
SNAP_OF=
mkdir "$MNT/kv"
bad EINVAL "$MNT/kv" insert $'1 1\n' "100 10 128 0"
bad EINVAL "$R" insert "" "1 1"
bad EINVAL "$F" insert "" "1 1"

for d in "$R" "$RR" "$F" "$FR" "$MNT/rcopy" "$MNT/rrcopy" "$MNT/fcopy" \
	"$MNT/frcopy" "$MNT/kv" "$MNT/rrload" "$MNT/frload" "$MNT/frbad"; do
	_check "$d"
	[ "$(_stat "$d" health)" = ok ] || _fail "$d health"
done
_umount
! grep -q " $_XFBT_TMP/" /proc/mounts || _fail "a mount is left behind"
