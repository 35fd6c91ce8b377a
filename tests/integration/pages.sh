#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# pages.sh: the pages/ directory (xfbtreefs(5), PAGES).  An empty btree is
# block 0 and an empty root leaf at block 1; every file is exactly
# blocksize bytes; block 0 carries the CATM header (height, owner, root,
# UUID, with the README's record count and checksum); every btree block
# has XFS's long-format CRC header (magic XKV3, level, numrecs, siblings,
# blkno, lsn, UUID, owner, CRC32c) and kv records or keys and pointers.
# The whole tree is walked from the root at 512-byte blocks (height 3)
# and must hold exactly the records, each allocated block used once.
# Freed blocks vanish (ENOENT) and are reused lowest first; memory comes
# back.  Without pages_writable a page cannot be opened for writing
# (EACCES); with it, writes land byte for byte and the damage is caught:
# EBADMSG for a bad checksum (before anything else), EUCLEAN for other
# damage, health "corrupt" for good, check naming the block.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

NULLBLK=18446744073709551615

# The page numbers of btree $1, sorted, on one line (the keys of an
# indexed array come in numeric order).
pages_of()
{
	local f
	local -a nums=()

	for f in "$1"/pages/*; do
		[ -e "$f" ] || continue
		nums[${f##*/}]=1
	done
	echo "${!nums[*]}"
}

# u64_gt A B: decimal A > B, for numbers past bash's signed 64 bits.
u64_gt()
{
	[ ${#1} -gt ${#2} ] || { [ ${#1} = ${#2} ] && [[ "$1" > "$2" ]]; }
}

# decode head|block FILE: run the decoder, keep its output in $info and
# its "name value" lines in F.
declare -A F
info=
decode()
{
	local name value rest

	_page info "$1" "$2" || _fail "cannot decode $2"
	F=()
	while read -r name value rest; do
		F[$name]=$value
	done <<<"$info"
}

# Decode block 0 of btree $1 into $info and check what xfbtreefs(5) and the
# README fix; $2 is the block size.
check_head()
{
	local d=$1 bs=$2 v

	decode head "$d/pages/0"
	[ "${F[magic]}" = CATM ] || _fail "block 0 magic: ${F[magic]}"
	[ "${F[size]}" = "$bs" ] || _fail "block 0 is ${F[size]} bytes"
	[ "${F[crc]}" = ok ] || _fail "block 0 checksum is wrong"
	[ "${F[blocksize]}" = "$bs" ] || _fail "block 0 blocksize field"
	_stat_v v "$d" height
	[ "${F[height]}" = "$v" ] ||
		_fail "block 0 height ${F[height]} is not the stats height"
	_stat_v v "$d" records
	[ "${F[nrecords]}" = "$v" ] ||
		_fail "block 0 record count differs from stats"
	[ "${F[uuid]}" != 00000000000000000000000000000000 ] ||
		_fail "block 0 UUID is nil"
}

# walk DIR BS: walk the tree from the root in block 0, level by level,
# checking every block, and compare the leaf records with DIR/records
# and the blocks used with the pages/ listing.
walk()
{
	local d=$1 bs=$2 root height uuid owner nrecords level i b n
	local name a v first prevkey maxrecs numrecs leftsib rightsib
	local -a blocks next
	local -A seen=() lowkey=()

	check_head "$d" "$bs"
	root=${F[root]}
	height=${F[height]}
	uuid=${F[uuid]}
	owner=${F[owner]}
	nrecords=${F[nrecords]}
	: >"$T/walk"
	blocks=("$root")
	for ((level = height - 1; level >= 0; level--)); do
		next=()
		for ((i = 0; i < ${#blocks[@]}; i++)); do
			b=${blocks[i]}
			[ -z "${seen[$b]:-}" ] || _fail "block $b used twice"
			seen[$b]=1
			decode block "$d/pages/$b"
			[ "${F[magic]}" = XKV3 ] || _fail "block $b magic"
			[ "${F[size]}" = "$bs" ] || _fail "block $b size"
			[ "${F[crc]}" = ok ] || _fail "block $b checksum"
			[ "${F[level]}" = "$level" ] || _fail "block $b level"
			[ "${F[blkno]}" = $((b * bs / 512)) ] ||
				_fail "block $b bb_blkno ${F[blkno]}"
			[ "${F[lsn]}" = 0 ] || _fail "block $b lsn"
			[ "${F[uuid]}" = "$uuid" ] || _fail "block $b uuid"
			[ "${F[owner]}" = "$owner" ] || _fail "block $b owner"
			# Siblings: the blocks before and after on this level.
			leftsib=$NULLBLK rightsib=$NULLBLK
			((i == 0)) || leftsib=${blocks[i - 1]}
			((i == ${#blocks[@]} - 1)) || rightsib=${blocks[i + 1]}
			[ "${F[leftsib]}" = "$leftsib" ] ||
				_fail "block $b leftsib ${F[leftsib]}, not $leftsib"
			[ "${F[rightsib]}" = "$rightsib" ] ||
				_fail "block $b rightsib ${F[rightsib]}, not $rightsib"
			numrecs=${F[numrecs]}
			maxrecs=${F[maxrecs]}
			[ "$numrecs" -le "$maxrecs" ] || _fail "block $b overfull"
			if [ "$b" != "$root" ]; then
				[ "$numrecs" -ge $((maxrecs / 2)) ] ||
					_fail "block $b: $numrecs of $maxrecs"
			elif [ "$level" -gt 0 ]; then
				[ "$numrecs" -ge 2 ] || _fail "root node of one"
			fi
			first='' prevkey=''
			n=0
			while read -r name a v; do
				case $name in
				rec) echo "$a $v" >>"$T/walk" ;;
				ent) next+=("$v") lowkey[$v]=$a ;;
				*) continue ;;
				esac
				n=$((n + 1))
				[ -n "$first" ] || first=$a
				[ -z "$prevkey" ] || u64_gt "$a" "$prevkey" ||
					_fail "block $b: keys out of order"
				prevkey=$a
			done <<<"$info"
			[ "$n" = "$numrecs" ] || _fail "block $b entries"
			if [ -n "${lowkey[$b]:-}" ]; then
				[ "$first" = "${lowkey[$b]}" ] ||
					_fail "block $b starts at $first," \
						"its parent says ${lowkey[$b]}"
			fi
		done
		blocks=("${next[@]}")
	done
	[ ${#blocks[@]} = 0 ] || _fail "pointers below the leaves"
	cmp -s "$T/walk" <(cat "$d/records") ||
		_fail "the leaves do not hold the records"
	[ "$(wc -l <"$T/walk")" = "$nrecords" ] || _fail "record count"
	# Every allocated block is the header or in the tree, once.
	seen[0]=1
	[ "$(printf '%s\n' "${!seen[@]}" | sort -n | tr '\n' ' ' |
		sed 's/ $//')" = "$(pages_of "$d")" ] ||
		_fail "pages/ lists blocks the tree does not use"
}

# Files in pages/ are exactly one block, also when read in pieces (of
# 1000 bytes, by perl's sysread: one process for all the pages).
sizes()
{
	local d=$1 bs=$2 bad

	bad=$(cd "$d/pages" && stat -c '%n %s' -- * |
		awk -v bs="$bs" '$2 != bs && !bad { print "pages/" $1 " reports size " $2; bad = 1 }')
	[ -z "$bad" ] || _fail "$bad"
	bad=$(cd "$d/pages" && BS=$bs perl -e 'for my $p (@ARGV) {
		open(my $f, "<", $p) or die "pages/$p: $!\n";
		my ($n, $r, $b) = (0);
		$n += $r while ($r = sysread($f, $b, 1000));
		defined($r) or die "pages/$p: $!\n";
		if ($n != $ENV{BS}) { print "pages/$p reads $n bytes\n"; exit }
	}' -- * 2>&1) || _fail "reading pages: $bad"
	[ -z "$bad" ] || _fail "$bad"
}

bs=$(getconf PAGESIZE)
_mount
B=$MNT/b
mkdir "$B"

# An empty btree: block 0 and the root leaf, block 1.
[ "$(pages_of "$B")" = "0 1" ] || _fail "empty btree lists $(pages_of "$B")"
sizes "$B" "$bs"
check_head "$B" "$bs"
[ "${F[root]}" = 1 ] || _fail "empty btree root is ${F[root]}"
[ "${F[height]}" = 1 ] || _fail "empty btree height"
[ "${F[nrecords]}" = 0 ] || _fail "empty btree nrecords"
uuid_b=${F[uuid]}
walk "$B" "$bs"
decode block "$B/pages/1"
[ "${F[numrecs]}" = 0 ] || _fail "empty root leaf has records"
[ "${F[maxrecs]}" = $(((bs - 72) / 16)) ] || _fail "test bug: maxrecs"
mkdir "$MNT/other"
decode head "$MNT/other/pages/0"
[ "${F[uuid]}" != "$uuid_b" ] || _fail "two btrees share a UUID"
rmdir "$MNT/other"
bytes_empty=$(_stat "$B" bytes)

# Three records in the root leaf, in key order: big-endian key, value.
_write "$B/insert" $'3 30\n1 18446744073709551615\n2 0\n'
decode block "$B/pages/1"
[ "$(grep '^rec' <<<"$info")" = \
	$'rec 1 18446744073709551615\nrec 2 0\nrec 3 30' ] ||
	_fail "leaf records: $(grep '^rec' <<<"$info")"
od -An -tx1 -j 72 -N 16 "$B/pages/1" | tr -d ' \n' >"$T/hex"
[ "$(cat "$T/hex")" = 0000000000000001ffffffffffffffff ] ||
	_fail "record 0 bytes: $(cat "$T/hex")"
od -An -c -N 4 "$B/pages/1" | tr -d ' \n' >"$T/hex"
[ "$(cat "$T/hex")" = XKV3 ] || _fail "magic bytes: $(cat "$T/hex")"
od -An -c -N 4 "$B/pages/0" | tr -d ' \n' >"$T/hex"
[ "$(cat "$T/hex")" = CATM ] || _fail "header magic bytes: $(cat "$T/hex")"
walk "$B" "$bs"
# Reads at an offset return those bytes of the block.
cat "$B/pages/1" >"$T/p1"
cmp -s <(dd if="$B/pages/1" bs=512 skip=3 count=1 2>/dev/null) \
	<(dd if="$T/p1" bs=512 skip=3 count=1 2>/dev/null) ||
	_fail "reading pages/1 at offset 1536 differs"
cmp -s <(dd if="$B/pages/1" bs=100 2>/dev/null) "$T/p1" ||
	_fail "reading pages/1 100 bytes at a time differs"

# Grow past one leaf: height 2, new blocks numbered from 2 on.
awk 'BEGIN { for (i = 0; i < 3000; i++) print i * 13 % 3001 + 10, i }' \
	>"$B/insert"
[ "$(_stat "$B" height)" = 2 ] || _fail "3003 records: height not 2"
walk "$B" "$bs"
sizes "$B" "$bs"
n=$(_stat "$B" blocks)
list=$(pages_of "$B")
[ "$list" = "$(seq -s ' ' 0 $((n - 1)))" ] ||
	[ "$list" = "$(seq -s ' ' 0 "$n")" ] ||
	_fail "after growing from empty, pages are not 0..N: $list (blocks $n)"
# Nothing there: ENOENT.
for p in 100000 "$((n + 5))" x -1 01; do
	_expect_errno ENOENT open "$B/pages/$p" r
done
# Without pages_writable: EACCES for writing.
_expect_errno EACCES open "$B/pages/1" w
_expect_errno EACCES open "$B/pages/0" rw
# Delete everything: back to block 0 and block 1, the rest gone, the
# memory given back.
before=$(pages_of "$B")
awk 'BEGIN { for (i = 0; i < 3000; i++) print i * 13 % 3001 + 10 }' \
	>"$B/delete"
_write "$B/delete" $'1\n2\n3\n'
[ "$(pages_of "$B")" = "0 1" ] || _fail "emptied btree lists $(pages_of "$B")"
for p in $before; do
	[ "$p" -le 1 ] || _expect_errno ENOENT open "$B/pages/$p" r
done
check_head "$B" "$bs"
[ "${F[root]}" = 1 ] || _fail "emptied btree root is ${F[root]}"
walk "$B" "$bs"
[ "$(_stat "$B" bytes)" = "$bytes_empty" ] ||
	_fail "emptied btree holds $(_stat "$B" bytes) bytes, not $bytes_empty"
_check "$B"
_umount

# 512-byte blocks: a tree of height 3, walked whole after each step.
_mount blocksize=512
B=$MNT/b
mkdir "$B"
[ "$(pages_of "$B")" = "0 1" ] || _fail "empty btree lists $(pages_of "$B")"
sizes "$B" 512
bytes_empty=$(_stat "$B" bytes)
awk 'BEGIN { for (i = 0; i < 2000; i++) print i * 7 % 2003, i }' \
	>"$B/insert"
[ "$(_stat "$B" height)" = 3 ] || _fail "height $(_stat "$B" height)"
walk "$B" 512
sizes "$B" 512
n=$(_stat "$B" blocks)
list=$(pages_of "$B")
[ "$list" = "$(seq -s ' ' 0 $((n - 1)))" ] ||
	[ "$list" = "$(seq -s ' ' 0 "$n")" ] ||
	_fail "after growing from empty, pages are not 0..N: $list (blocks $n)"
_check "$B"
# Delete keys in batches; freed blocks vanish.
for start in 0 1 2 3; do
	before=$(pages_of "$B")
	awk -v s="$start" 'BEGIN { for (i = s; i < 2000; i += 4) if (i % 3)
		print i * 7 % 2003 }' >"$B/delete"
	walk "$B" 512
	after=$(pages_of "$B")
	for p in $before; do
		[[ " $after " == *" $p "* ]] ||
			_expect_errno ENOENT open "$B/pages/$p" r
	done
	_check "$B"
done
# Reuse is lowest first: inserting only allocates, and the new blocks are
# the lowest numbers that were free.
before=$(pages_of "$B")
awk 'BEGIN { for (i = 0; i < 2000; i++) if (i % 3 && i % 4 == 0)
	print i * 7 % 2003, i }' >"$B/insert"
walk "$B" 512
after=$(pages_of "$B")
new=$(comm -13 <(tr ' ' '\n' <<<"$before" | sort) \
	<(tr ' ' '\n' <<<"$after" | sort) | sort -n | tr '\n' ' ')
nnew=$(wc -w <<<"$new")
[ "$nnew" -gt 0 ] || _fail "test bug: no block allocated"
lowest=$(awk -v used="$before" -v n="$nnew" 'BEGIN {
	split(used, u, " ")
	for (i in u)
		busy[u[i]] = 1
	for (b = 0; c < n; b++)
		if (!(b in busy)) {
			printf "%d ", b
			c++
		}
}')
[ "$new" = "$lowest" ] ||
	_fail "new blocks are [$new], the lowest free were [$lowest]"
# Everything gone: block 0 and 1 again, memory back.
cut -d' ' -f1 <(cat "$B/records") >"$B/delete"
[ "$(pages_of "$B")" = "0 1" ] || _fail "emptied btree lists $(pages_of "$B")"
walk "$B" 512
[ "$(_stat "$B" bytes)" = "$bytes_empty" ] ||
	_fail "emptied btree holds $(_stat "$B" bytes) bytes, not $bytes_empty"
_umount

# pages_writable: writes replace the block, byte for byte.
_mount pages_writable
for d in crc magic numrecs both; do
	mkdir "$MNT/$d"
	_write "$MNT/$d/insert" $'1 10\n2 20\n3 30\n'
done
B=$MNT/crc
_expect_errno EACCES open "$B/records" w
cat "$B/pages/1" >"$T/orig"
_ok open "$B/pages/1" w writefile "$T/orig" close
_check "$B"
_content "$B/records" $'1 10\n2 20\n3 30'
[ "$(_stat "$B" health)" = ok ] || _fail "health after rewriting a page"

# A changed value, checksum left alone: EBADMSG everywhere it is read.
cp "$T/orig" "$T/bad"
printf '\x63' | dd of="$T/bad" bs=1 seek=$((72 + 15)) conv=notrunc 2>/dev/null
_ok open "$B/pages/1" w writefile "$T/bad" close
cmp -s "$T/bad" <(cat "$B/pages/1") || _fail "page does not read as written"
errors_before=$(wc -l <"$B/errors")
_expect_errno EBADMSG open "$B/records" r read
_expect_errno EBADMSG open "$B/insert" w write $'4 40\n'
_expect_any "OK EBADMSG|OK OK EBADMSG" open "$B/lookup" rw write $'eq 2\n' read
_expect_errno EBADMSG open "$B/delete" w write $'1\n'
[ "$(_stat "$B" health)" = corrupt ] || _fail "health after EBADMSG"
got=$(cat "$B/check")
[ "$got" != ok ] || _fail "check says ok about a bad checksum"
grep -qw 1 <<<"$got" || _fail "check does not name block 1: $got"
[ "$(wc -l <"$B/errors")" -gt "$errors_before" ] ||
	_fail "EBADMSG not in errors"
cmp -s "$T/bad" <(cat "$B/pages/1") || _fail "the failed writes changed pages/1"
# Putting the bytes back does not make it healthy again.
_ok open "$B/pages/1" w writefile "$T/orig" close
[ "$(_stat "$B" health)" = corrupt ] || _fail "health came back by itself"

# A bad magic with a correct checksum: EUCLEAN.
B=$MNT/magic
cat "$B/pages/1" >"$T/bad"
printf 'XKV4' | dd of="$T/bad" bs=1 seek=0 conv=notrunc 2>/dev/null
"$XFBT_PAGE" fixcrc "$T/bad"
_ok open "$B/pages/1" w writefile "$T/bad" close
_expect_errno EUCLEAN open "$B/records" r read
_expect_errno EUCLEAN open "$B/insert" w write $'4 40\n'
_expect_any "OK EUCLEAN|OK OK EUCLEAN" open "$B/lookup" rw write $'eq 2\n' read
[ "$(_stat "$B" health)" = corrupt ] || _fail "health after EUCLEAN"
got=$(cat "$B/check")
[ "$got" != ok ] || _fail "check says ok about a bad magic"
cmp -s "$T/bad" <(cat "$B/pages/1") || _fail "the failed writes changed pages/1"

# Too many records for the block, checksum correct: EUCLEAN.
B=$MNT/numrecs
cat "$B/pages/1" >"$T/bad"
printf '\x7f\xff' | dd of="$T/bad" bs=1 seek=6 conv=notrunc 2>/dev/null
"$XFBT_PAGE" fixcrc "$T/bad"
_ok open "$B/pages/1" w writefile "$T/bad" close
_expect_errno EUCLEAN open "$B/insert" w write $'4 40\n'
[ "$(_stat "$B" health)" = corrupt ] || _fail "health after EUCLEAN"
[ "$(cat "$B/check")" != ok ] || _fail "check says ok about numrecs"

# Bad magic and bad checksum: the checksum is reported first.
B=$MNT/both
cat "$B/pages/1" >"$T/bad"
printf 'XKV4' | dd of="$T/bad" bs=1 seek=0 conv=notrunc 2>/dev/null
_ok open "$B/pages/1" w writefile "$T/bad" close
_expect_errno EBADMSG open "$B/records" r read
_expect_errno EBADMSG open "$B/insert" w write $'4 40\n'

# Damage stays with its btree: a new one is healthy, removal works.
mkdir "$MNT/fresh"
_write "$MNT/fresh/insert" $'1 1\n'
_check "$MNT/fresh"
[ "$(_stat "$MNT/fresh" health)" = ok ] || _fail "fresh btree not ok"
for d in crc magic numrecs both; do
	rmdir "$MNT/$d"
done
