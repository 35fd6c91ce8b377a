#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# corrupt.sh: damage injected through pages_writable (xfbtreefs(5):
# PAGES, WRITES, and the files stats, check, errors).  A kv btree of 2000
# records at 512-byte blocks (height 3) is built afresh for every case;
# then one thing in one block is damaged: each field of the 72-byte header
# of a leaf and of a level-1 node (magic, level, numrecs, leftsib,
# rightsib, blkno, lsn, uuid, owner, crc, pad), the record/key area, a
# child pointer and unused bytes; and the header block 0 (magic, root,
# height, crc).  With the checksum rewritten to match (xfbt_page fixcrc)
# damage that the block shows by itself must give EUCLEAN to every
# operation that reads the block (a lookup of a key under it, an insert
# and a delete there, reading records) and leave the btree as it was;
# with the checksum left stale, EBADMSG comes first, whatever the damage.
# Some damage cannot be seen in the block alone (a sibling pointer to
# null, a record count one lower, a node key that no longer matches its
# child), and xfbtreefs(5) does not say that every read looks at bb_pad or the
# unused bytes: there lookups and records may succeed, but only with the
# right answers (EUCLEAN is fine too), and never with EBADMSG; the daemon
# in fact finds pad, unused bytes and the lower count (which leaves a
# stale entry in unused space) when it first reads the block, and only
# check finds the siblings and the node key.  In every case check names
# the block (or, for a key that differs from its child's, that child)
# and does not say ok, stats says "health corrupt", pages/ and tree.dot
# still read, the daemon keeps serving, a second btree in the mount keeps
# working, and rmdir removes the damaged btree.  Last, an rmap node's
# high key and an overlap of two refcount extents, each with a right
# checksum: check must find them.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

NULLHEX='\xff\xff\xff\xff\xff\xff\xff\xff'

# The records of every damaged btree: even keys, so that key + 1 is free.
awk 'BEGIN { for (i = 0; i < 2000; i++) print 2 * (i * 7919 % 2003), i }' \
	>"$T/recs"
sort -n "$T/recs" >"$T/sorted"
_xfbt_slurp "$T/sorted" SORTED
declare -a VALUE
while read -r key value; do
	VALUE[key]=$value
done <"$T/sorted"

# These run for every case: the shell does their work itself, and reaches
# xfbt_page and xfbt_probe through the test's helper servers (common.sh),
# with no process of their own.  Each sets REPLY.

# field head|block FILE NAME: one value from xfbt_page's decoding.
field()
{
	local out name value rest

	_page out "$1" "$2" || _fail "xfbt_page $1 $2 failed"
	while read -r name value rest; do
		[ "$name" != "$3" ] || { REPLY=$value; return 0; }
	done <<<"$out"
	_fail "no $3 in xfbt_page $1 $2"
}

# entry BLOCKFILE I [F]: "KEY PTR" of node entry I (from 1), or "KEY
# VALUE" of leaf record I; with F (1 or 2), that field alone.
entry()
{
	local out kind a b rest n=0

	_page out block "$1" || _fail "xfbt_page block $1 failed"
	while read -r kind a b rest; do
		[ "$kind" = ent ] || [ "$kind" = rec ] || continue
		n=$((n + 1))
		[ "$n" = "$2" ] || continue
		case ${3:-} in
		1) REPLY=$a ;;
		2) REPLY=$b ;;
		*) REPLY="$a $b" ;;
		esac
		return 0
	done <<<"$out"
	_fail "no entry $2 in $1"
}

# poke FILE OFFSET BYTES: overwrite bytes at OFFSET.  BYTES: characters
# and \xNN escapes, as printf takes them.
poke()
{
	local in=$3 hex='' c

	while [ -n "$in" ]; do
		if [[ $in == '\x'?? ]] || [[ $in == '\x'??* ]]; then
			hex+=${in:2:2}
			in=${in:4}
		else
			c=${in:0:1}
			printf -v c '%02x' "'$c"
			hex+=$c
			in=${in:1}
		fi
	done
	_ok open "$1" w seek "$2" writex "$hex" close
}

# be64 N: N as 8 big-endian bytes, in \xNN escapes.
be64()
{
	local n=$1 i out='' b

	for ((i = 56; i >= 0; i -= 8)); do
		printf -v b '\\x%02x' $(((n >> i) & 255))
		out+=$b
	done
	REPLY=$out
}

# same FILE1 FILE2: status 0 if both files read the same bytes.
same()
{
	local got

	_probe_v got sum "$1" sum "$2"
	[[ $got == SUM:* ]] && [ "${got:0:20}" = "${got:21:20}" ]
}

# copy FROM TO: TO becomes a copy of FROM (a page read through the mount).
copy()
{
	: >"$2"
	_ok -o "$2" open "$1" r read close
}

# fix_head_crc FILE: store the CRC32c of block 0 (its bytes 124..127
# counted as zeros) at 124, little-endian.  Done here because xfbt_page
# tells block 0 by its magic, and one test damages that magic.
fix_head_crc()
{
	local f=$1 crc=$((0xffffffff)) b i k
	local -a bytes

	read -r -a bytes <<<"$(od -An -v -tu1 "$f" | tr -s ' \n' '  ')"
	for ((i = 0; i < ${#bytes[@]}; i++)); do
		b=${bytes[i]}
		((i < 124 || i >= 128)) || b=0
		crc=$((crc ^ b))
		for ((k = 0; k < 8; k++)); do
			crc=$(((crc >> 1) ^ (0x82F63B78 & -(crc & 1))))
		done
	done
	crc=$((crc ^ 0xffffffff))
	printf -v b '\\x%02x\\x%02x\\x%02x\\x%02x' $((crc & 255)) \
		$((crc >> 8 & 255)) $((crc >> 16 & 255)) $((crc >> 24 & 255))
	poke "$f" 124 "$b"
}

# pages_sum DIR: every page's bytes, as sums (xfbt_probe's "sum" step).
pages_sum()
{
	local f steps=()

	for f in "$1"/pages/*; do
		steps+=(sum "$f")
	done
	_probe_v REPLY "${steps[@]}"
}

_mount blocksize=512 pages_writable

# A second btree that must keep working whatever happens to the others.
G=$MNT/good
mkdir "$G"
_write "$G/insert" $'1 10\n2 20\n'
good_n=100

# The helper's CRC agrees with xfbt_page's on a real block 0.
copy "$G/pages/0" "$T/h0"
copy "$T/h0" "$T/h0.mine"
poke "$T/h0.mine" 124 '\x00\x00\x00\x00'
fix_head_crc "$T/h0.mine"
same "$T/h0" "$T/h0.mine" || _fail "test bug: fix_head_crc"

# new_btree DIR: the 2000 records; sets ROOT, NODE (the root's second
# child, level 1), LEAF (that node's second child), their first keys
# KNODE and KLEAF, and HEIGHT.
ncase=0
new_btree()
{
	local d=$1

	mkdir "$d"
	_ok open "$d/insert" w writefile "$T/recs" close
	_stat_v HEIGHT "$d" height
	[ "$HEIGHT" = 3 ] || _fail "2000 records at 512 bytes: height $HEIGHT"
	field head "$d/pages/0" root
	ROOT=$REPLY
	field block "$d/pages/$ROOT" level
	[ "$REPLY" = 2 ] || _fail "root block $ROOT is not at level 2"
	entry "$d/pages/$ROOT" 2 2
	NODE=$REPLY
	entry "$d/pages/$NODE" 1 1
	KNODE=$REPLY
	entry "$d/pages/$NODE" 2 2
	LEAF=$REPLY
	entry "$d/pages/$LEAF" 1 1
	KLEAF=$REPLY
	field block "$d/pages/$LEAF" level
	[ "$REPLY" = 0 ] || _fail "block $LEAF is not a leaf"
	if [ "$ncase" = 0 ]; then
		_check "$d"
		cmp -s "$T/sorted" <(cat "$d/records") ||
			_fail "test bug: records of a fresh btree"
	fi
	ncase=$((ncase + 1))
}

# write_page DIR BNO FILE: replace block BNO with FILE's bytes.
write_page()
{
	_ok open "$1/pages/$2" w writefile "$3" close
	same "$3" "$1/pages/$2" || _fail "$1/pages/$2 does not read as written"
}

# afterwards DIR BNO [BNO2]: what every case ends with.  check names the
# block (or BNO2, the other block of a mismatch) and does not say ok;
# health is corrupt; the daemon serves; the good btree works; the damaged
# one can be removed.
afterwards()
{
	local d=$1 bno=$2 other=${3:-$2} got all

	_xfbt_slurp "$d/check" got || _fail "reading $d/check failed"
	echo "   check: ${got%%$'\n'*}"
	[ "$got" != ok ] || _fail "check of damaged block $bno says ok"
	[[ $got =~ (^|[^0-9])($bno|$other)([^0-9]|$) ]] ||
		_fail "check does not name block $bno: ${got:0:300}"
	_stat_v got "$d" health
	[ "$got" = corrupt ] ||
		_fail "health of $d after damage to block $bno is not corrupt"
	# The tools for looking at damage keep working: every page reads,
	# and tree.dot draws (or refuses with the damage's errno).
	pages_sum "$d"
	[[ $REPLY != *E[A-Z]* ]] || _fail "pages of $d unreadable: $REPLY"
	: >"$T/dot"
	_probe_v got -o "$T/dot" open "$d/tree.dot" r read
	case ${got% } in
	"OK OK")
		read -r -N 7 got <"$T/dot"
		[ "$got" = digraph ] || _fail "tree.dot of $d" ;;
	"OK EUCLEAN" | "OK EBADMSG" | EUCLEAN | EBADMSG) ;;
	*) _fail "tree.dot of damaged $d: $got" ;;
	esac
	_xfbt_is_mounted "$MNT" || _fail "the daemon is gone"
	all=("$MNT"/*)
	[ -e "${all[0]}" ] || _fail "the root cannot be listed"
	good_n=$((good_n + 1))
	_write "$G/insert" "$good_n 1"$'\n'
	_xfbt_slurp "$G/records" got
	[[ $'\n'$got$'\n' == *$'\n'"$good_n 1"$'\n'* ]] ||
		_fail "good btree lost an insert"
	_check "$G"
	_stat_v got "$G" health
	[ "$got" = ok ] || _fail "good btree is not healthy"
	_ok rmdir "$d"
	[ ! -e "$d" ] || _fail "$d still there after rmdir"
}

# strict DIR BNO KEY ERRNO: every operation that reads block BNO on the
# way to KEY fails with ERRNO, changing nothing, and says so in errors.
strict()
{
	local d=$1 bno=$2 k=$3 e=$4 before nerr errs

	pages_sum "$d"
	before=$REPLY
	_xfbt_slurp "$d/errors" errs
	nerr=${errs//[^$'\n']/}
	_expect_any "OK $e|OK OK $e" open "$d/lookup" rw write "eq $k"$'\n' read
	_expect_errno "$e" open "$d/insert" w write "$((k + 1)) 1"$'\n'
	_expect_errno "$e" open "$d/delete" w write "$k"$'\n'
	_expect_errno "$e" open "$d/records" r read
	_expect_any "OK $e|OK OK $e" open "$d/lookup" rw \
		write "range $k $((k + 10))"$'\n' read
	pages_sum "$d"
	[ "$REPLY" = "$before" ] ||
		_fail "failed operations changed $d (damage to block $bno)"
	_xfbt_slurp "$d/errors" errs
	errs=${errs//[^$'\n']/}
	[ "${#errs}" -gt "${#nerr}" ] ||
		_fail "$e on block $bno is not in errors"
}

# lenient DIR BNO KEY [lost]: damage the block does not show by itself.
# A lookup of KEY and reading records either fail with EUCLEAN or give the
# right answers (records: unless "lost", when records are gone without a
# trace); never EBADMSG (the checksum is right).
lenient()
{
	local d=$1 bno=$2 k=$3 lost=${4:-} got answer lines

	: >"$T/answer"
	_probe_v got -o "$T/answer" open "$d/lookup" rw write "eq $k"$'\n' read
	echo "   eq $k: ${got% }"
	case ${got% } in
	"OK OK OK")
		_xfbt_slurp "$T/answer" answer
		[ "$answer" = "$k ${VALUE[k]}" ] ||
			_fail "eq $k after damage to block $bno: '$answer'"
		;;
	"OK EUCLEAN" | "OK OK EUCLEAN") ;;
	*) _fail "eq $k after damage to block $bno: $got" ;;
	esac
	: >"$T/answer"
	_probe_v got -o "$T/answer" open "$d/records" r read
	_xfbt_slurp "$T/answer" answer
	lines=${answer//[^$'\n']/}
	[ -z "$answer" ] || lines+=.
	echo "   records: ${got% }, ${#lines} of 2000"
	case ${got% } in
	"OK OK")
		[ -n "$lost" ] || [ "$answer" = "$SORTED" ] ||
			_fail "records after damage to block $bno are wrong" \
				"(${#lines} lines) without an error"
		;;
	"OK EUCLEAN") ;;
	*) _fail "records after damage to block $bno: $got" ;;
	esac
}

# damage KIND FIELD HOW: one case.  KIND leaf or node; FIELD names the
# damage; HOW is fix (checksum rewritten: EUCLEAN), stale (checksum left
# alone: EBADMSG) or quiet (checksum rewritten, damage not visible in the
# block alone: lenient).
damage()
{
	local kind=$1 what=$2 how=$3 d bno k lvl n f=$T/bad other='' b

	d=$MNT/c$ncase
	echo "== $kind $what, checksum $how"
	new_btree "$d"
	if [ "$kind" = leaf ]; then
		bno=$LEAF k=$KLEAF
	else
		bno=$NODE k=$KNODE
	fi
	copy "$d/pages/$bno" "$f"
	field block "$f" level
	lvl=$REPLY
	field block "$f" numrecs
	n=$REPLY
	case $what in
	magic) poke "$f" 0 'XKV4' ;;
	level) poke "$f" 4 "\\x00\\x0$((lvl + 1))" ;;
	numrecs) poke "$f" 6 '\xff\xff' ;;
	numrecs-1) printf -v b '\\x%02x\\x%02x' $(((n - 1) >> 8)) \
			$(((n - 1) & 255))
		poke "$f" 6 "$b" ;;
	leftsib) poke "$f" 8 "$NULLHEX" ;;
	rightsib) poke "$f" 16 "$NULLHEX" ;;
	blkno) poke "$f" 31 '\x07' ;;
	lsn) poke "$f" 39 '\x01' ;;
	uuid) poke "$f" 47 '\x5a' ;;
	owner) poke "$f" 63 '\x99' ;;
	crc) poke "$f" 65 '\x5a' ;;
	pad) poke "$f" 71 '\x01' ;;
	# The second entry's key becomes 0: keys out of order in the block.
	record) be64 0
		poke "$f" $((72 + (lvl ? 8 : 16))) "$REPLY" ;;
	# A node key one below what its child starts with (still in order);
	# check may name the node or that child.
	nodekey) entry "$f" 2 2
		other=$REPLY
		entry "$f" 2 1
		be64 $((REPLY - 1))
		poke "$f" $((72 + 8)) "$REPLY" ;;
	# The second child pointer leads to the header block.
	pointer) be64 0
		poke "$f" $((72 + 27 * 8 + 8)) "$REPLY" ;;
	# The last byte of the block, past every record, key and pointer.
	unused) poke "$f" 511 '\x01' ;;
	*) _fail "test bug: $what" ;;
	esac
	! same "$f" "$d/pages/$bno" || _fail "test bug: $what no change"
	[ "$how" = stale ] || _page REPLY fixcrc "$f"
	write_page "$d" "$bno" "$f"
	case $how in
	fix) strict "$d" "$bno" "$k" EUCLEAN ;;
	stale) strict "$d" "$bno" "$k" EBADMSG ;;
	quiet) lenient "$d" "$bno" "$k" ;;
	lost) lenient "$d" "$bno" "$k" lost ;;
	esac
	afterwards "$d" "$bno" "$other"
}

for kind in leaf node; do
	# Damage the block shows by itself, checksum right: EUCLEAN.
	for what in magic level numrecs blkno lsn uuid owner record; do
		damage "$kind" "$what" fix
	done
	# The checksum itself: EBADMSG.
	damage "$kind" crc stale
	# Damage of each kind with the checksum left stale: EBADMSG first.
	for what in magic numrecs leftsib owner record unused; do
		damage "$kind" "$what" stale
	done
	# Not required of every read by xfbtreefs(5), so held to "EUCLEAN or the
	# right answer", and to check: a sibling pointer set to null (it
	# looks like the end of the level; lookups and records do not follow
	# siblings, so only check finds it), a non-zero bb_pad and a byte in
	# the unused space past the entries (the daemon's block verifier
	# finds both when it first reads the block: EUCLEAN).
	for what in leftsib rightsib pad unused; do
		damage "$kind" "$what" quiet
	done
	# A record count one too low: the block's last entry is dropped.  It
	# can pass for a smaller block (records may then miss it); its bytes
	# left past the new end make it unused space that is not zero, which
	# the block verifier and check find.
	damage "$kind" numrecs-1 lost
done
# Node only: a child pointer to the header block (EUCLEAN), a key that no
# longer matches the child it points at (still in order: only check can
# tell, and it names the child whose low key differs).
damage node pointer fix
damage node pointer stale
damage node nodekey quiet

# damage_head WHAT HOW ERRNO: block 0, the header, which every operation
# reads: its magic, root pointer (to a leaf, to block 0, to a block that
# is not there), height (one too many, zero) and checksum.
damage_head()
{
	local what=$1 how=$2 e=$3 d f=$T/bad

	d=$MNT/c$ncase
	echo "== header $what, checksum $how"
	new_btree "$d"
	copy "$d/pages/0" "$f"
	case $what in
	magic) poke "$f" 3 'X' ;;
	root) be64 "$LEAF"
		poke "$f" 16 "$REPLY" ;;
	root0) be64 0
		poke "$f" 16 "$REPLY" ;;
	rootfar) be64 1000000
		poke "$f" 16 "$REPLY" ;;
	height) poke "$f" 4 '\x00\x00\x00\x04' ;;
	height0) poke "$f" 4 '\x00\x00\x00\x00' ;;
	crc) poke "$f" 125 '\x5a' ;;
	*) _fail "test bug: $what" ;;
	esac
	[ "$how" = stale ] || fix_head_crc "$f"
	write_page "$d" 0 "$f"
	strict "$d" 0 "${KLEAF}" "$e"
	afterwards "$d" 0
}
for what in magic root root0 rootfar height height0; do
	damage_head "$what" fix EUCLEAN
done
for what in magic root height; do
	damage_head "$what" stale EBADMSG
done
damage_head crc stale EBADMSG

# The XFS types' own rules, damage only check can see (checksums right):
# an rmap node whose high key no longer covers its child's records (a
# range query may then miss them: xfbtreefs(5) cannot ask the daemon to notice
# that on the way), and a refcount leaf whose extent now reaches into the
# next one (extents of a domain never overlap).
echo "== rmap root node, high key of entry 0 set to its low key"
d=$MNT/xrmap
mkdir "$d"
echo rmap >"$d/type"
awk 'BEGIN { for (i = 0; i < 400; i++)
	print i * 3, 1 + i % 9, 128 + i % 13, i }' >"$T/xrecs"
_ok open "$d/insert" w writefile "$T/xrecs" close
[ "$(_stat "$d" height)" = 3 ] || _fail "400 rmap records: height not 3"
_check "$d"
field head "$d/pages/0" root
root=$REPLY
cat "$d/pages/$root" >"$T/bad"
# Key slot 0: the low key (20 bytes) at 72, the high key right after it.
dd if="$T/bad" of="$T/bad" bs=1 skip=72 seek=92 count=20 conv=notrunc \
	2>/dev/null
"$XFBT_PAGE" fixcrc "$T/bad"
write_page "$d" "$root" "$T/bad"
got=$(_probe open "$d/records" r read)
[ "${got% }" = "OK EUCLEAN" ] || [ "${got% }" = "OK OK" ] ||
	_fail "records after rmap high-key damage: $got"
# check may name the root or its first child (pointers at 72 + 9 * 40).
afterwards "$d" "$root" "$(od -An -tu1 -j 432 -N 8 "$T/bad" |
	awk '{ n = 0; for (i = 1; i <= NF; i++) n = n * 256 + $i; print n }')"

echo "== refcount leaf, an extent reaching into the next"
d=$MNT/xrefc
mkdir "$d"
echo refcount >"$d/type"
awk 'BEGIN { for (i = 0; i < 1000; i++) print i * 7919 % 1009 * 10, 5, 2 }' \
	>"$T/xrecs"
_ok open "$d/insert" w writefile "$T/xrecs" close
[ "$(_stat "$d" height)" -ge 2 ] || _fail "1000 refcount records: one leaf"
_check "$d"
# The lowest-numbered leaf (level 0) that is not the root.
leaf=
for b in $(cd "$d/pages" && printf '%s\n' * | sort -n); do
	[ "$b" != 0 ] || continue
	if [ "$(od -An -tx1 -j 4 -N 2 "$d/pages/$b" | tr -d ' ')" = 0000 ]; then
		leaf=$b
		break
	fi
done
[ -n "$leaf" ] || _fail "test bug: no refcount leaf"
cat "$d/pages/$leaf" >"$T/bad"
# Record 0's blockcount (be32 at 72 + 4): 100 blocks, past record 1's
# start (10 blocks on).
poke "$T/bad" 76 '\x00\x00\x00\x64'
"$XFBT_PAGE" fixcrc "$T/bad"
write_page "$d" "$leaf" "$T/bad"
got=$(_probe open "$d/records" r read)
[ "${got% }" = "OK EUCLEAN" ] || [ "${got% }" = "OK OK" ] ||
	_fail "records after refcount overlap damage: $got"
afterwards "$d" "$leaf"

_check "$G"
_umount
! grep -q " $_XFBT_TMP/" /proc/mounts || _fail "a mount is left behind"
