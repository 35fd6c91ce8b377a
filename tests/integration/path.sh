#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# path.sh: the `path KEY` query of the lookup file, at 512-byte blocks
# (trees three and more levels deep) for kv, rmap and refcount.  For
# keys that are there and keys that are not (between records, below the
# first, past the last), the answer must be one "level L block B slot S"
# line per level of `stats` height, root first (the root that pages/0
# names), levels counting down to 0, and every line must agree with the
# pages themselves, decoded by xfbt-decode: each node block is at its
# level and its ptrs[S] is the next line's block; in the leaf, recs[S] is
# the record `eq KEY` answers (present keys), recs[S - 1] the one `le`
# answers and recs[S] the one `ge` answers (missing keys), and past the
# last record the `ge` answer is the first record of the right sibling
# (or nothing at the rightmost leaf).  Also: an empty btree, several
# path queries in one write, bad path queries (EINVAL), and a damaged
# block on the way (EBADMSG when the answer is read).
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

[ -x "${XFBT_DECODE:-}" ] || _fail "XFBT_DECODE is not set to xfbt-decode"

_mount blocksize=512 pages_writable

declare -A height_of=() root_of=() decoded=()
# dec DIR BNO: PAGE holds the decoded page's text.  Each page is decoded
# once (nothing changes while keys are checked; a decoding that fails
# ends the test), the root and upper nodes then serve every key.  The
# shell reads the text itself (page_value, recs_line): thousands of
# checks, no process each.
dec()
{
	local key=${1##*/}.$2

	if [ -z "${decoded[$key]+set}" ]; then
		"$XFBT_DECODE" "$1/pages/$2" >"$T/dec" ||
			_fail "block $2 of $1 decodes with problems: $(grep warning "$T/dec")"
		_xfbt_slurp "$T/dec" PAGE
		decoded[$key]=$PAGE
	fi
	PAGE=${decoded[$key]}
}

# page_value NAME: the first word after "NAME =" in PAGE, into REPLY.
page_value()
{
	[[ $'\n'$PAGE =~ $'\n'"$1 = "([^[:space:]]*) ]] ||
		_fail "no '$1 =' in the decoded page"
	REPLY=${BASH_REMATCH[1]}
}

# rec_text TYPE LINE: a records line as the decoder prints records, into
# REPLY (empty for an empty LINE).
rec_text()
{
	local -a f
	local domain=shared

	read -r -a f <<<"$2"
	REPLY=
	[ "${#f[@]}" -gt 0 ] || return 0
	[ "${#f[@]}" != 4 ] || domain=cow
	case $1 in
	kv) REPLY="key ${f[0]} value ${f[1]}" ;;
	rmap) REPLY="startblock ${f[0]} blockcount ${f[1]} owner ${f[2]} offset ${f[3]}${f[4]:+ ${f[4]}}" ;;
	refcount) REPLY="startblock ${f[0]} blockcount ${f[1]} refcount ${f[2]} domain $domain" ;;
	esac
}

# recs_line I: what the decoded leaf in PAGE shows as recs[I], into REPLY.
recs_line()
{
	REPLY=
	if [[ $'\n'$PAGE$'\n' =~ $'\n'"recs[$1] = "([^$'\n']*)$'\n' ]]; then
		REPLY=${BASH_REMATCH[1]}
	fi
}

check_path()
{
	local d=$1 type=$2 key=$3 present=$4 height root ans
	local n i level bno slot want_level next got want numrecs right kind
	local -a path

	if [ -z "${height_of[$d]-}" ]; then
		_stat_v "height_of[$d]" "$d" height
		dec "$d" 0
		page_value root
		root_of[$d]=$REPLY
	fi
	height=${height_of[$d]}
	root=${root_of[$d]}
	_lookup_v ans "$d" "path $key"
	mapfile -t path <<<"$ans"
	[ -n "$ans" ] || path=()
	n=${#path[@]}
	[ "$n" -eq "$height" ] ||
		_fail "$d path $key: $n lines for height $height: ${path[*]}"
	for ((i = 0; i < n; i++)); do
		[[ "${path[i]}" =~ ^level\ [0-9]+\ block\ [0-9]+\ slot\ [0-9]+$ ]] ||
			_fail "$d path $key: bad line '${path[i]}'"
		read -r _ level _ bno _ slot <<<"${path[i]}"
		want_level=$((height - 1 - i))
		[ "$level" -eq "$want_level" ] ||
			_fail "$d path $key: line $i at level $level, not $want_level"
		[ "$i" -gt 0 ] || [ "$bno" -eq "$root" ] ||
			_fail "$d path $key: starts at $bno, the root is $root"
		dec "$d" "$bno"
		kind=leaf
		[ "$level" = 0 ] || kind=node
		[[ $'\n'$PAGE$'\n' == *$'\n'"level = $level ($kind)"$'\n'* ]] ||
			_fail "$d path $key: block $bno is not at level $level"
		[ "$level" -gt 0 ] || break
		read -r _ _ _ next _ <<<"${path[i + 1]}"
		[[ $'\n'$PAGE$'\n' =~ $'\n'"keys[$slot] = "[^$'\n']*"  ptrs[$slot] = $next"$'\n' ]] ||
			_fail "$d path $key: ptrs[$slot] of block $bno is not $next"
	done
	page_value numrecs
	numrecs=$REPLY
	((slot <= numrecs)) ||
		_fail "$d path $key: leaf slot $slot past numrecs $numrecs"
	if [ "$present" = yes ]; then
		_lookup_v ans "$d" "eq $key"
		rec_text "$type" "$ans"
		want=$REPLY
		[ -n "$want" ] || _fail "test bug: $key is not in $d"
		recs_line "$slot"
		got=$REPLY
		[ "$got" = "$want" ] ||
			_fail "$d path $key: leaf $bno recs[$slot] is '$got', not '$want'"
		return 0
	fi
	_lookup_v ans "$d" "eq $key"
	[ -z "$ans" ] || _fail "test bug: $key is in $d"
	_lookup_v ans "$d" "le $key"
	rec_text "$type" "$ans"
	want=$REPLY
	got=
	if ((slot > 0)); then
		recs_line $((slot - 1))
		got=$REPLY
	fi
	[ "$got" = "$want" ] ||
		_fail "$d path $key: recs[$slot - 1] of $bno is '$got', le says '$want'"
	_lookup_v ans "$d" "ge $key"
	rec_text "$type" "$ans"
	want=$REPLY
	if ((slot < numrecs)); then
		recs_line "$slot"
		got=$REPLY
	else
		page_value rightsib
		right=$REPLY
		got=
		if [ "$right" != null ]; then
			dec "$d" "$right"
			recs_line 0
			got=$REPLY
		fi
	fi
	[ "$got" = "$want" ] ||
		_fail "$d path $key: insertion point $slot of $bno holds '$got', ge says '$want'"
}

check_keys()
{
	local key

	while read -r key; do
		check_path "$1" "$2" "$key" "$4"
	done <"$3"
}

# The keys checked are every Nth record's; XFB_TEST_SCALE below 1 (the
# sanitizer build) checks fewer, spread the same way.
m=$(awk -v s="${XFB_TEST_SCALE:-1}" 'BEGIN { m = int(1 / s + 0.5)
	print m < 1 ? 1 : m }')

# An empty btree: the root leaf, block 1, slot 0.
E=$MNT/empty
mkdir "$E"
[ "$(_lookup "$E" "path 5")" = "level 0 block 1 slot 0" ] ||
	_fail "empty btree: path 5 says '$(_lookup "$E" "path 5")'"

# kv: 4000 even keys; odd keys are missing.
K=$MNT/kv
mkdir "$K"
awk 'BEGIN { srand(7); for (i = 0; i < 4000; i++)
	print 2 * (i * 7919 % 100003) + 2, i }' >"$K/insert"
[ "$(_stat "$K" height)" -ge 3 ] || _fail "kv btree not deep enough"
awk -v m="$m" 'NR % (197 * m) == 1 { print $1 }' "$K/records" >"$T/kv.present"
awk -v m="$m" 'NR % (181 * m) == 3 { print $1 + 1 }' "$K/records" >"$T/kv.missing"
printf '%s\n' 0 1 18446744073709551615 >>"$T/kv.missing"
check_keys "$K" kv "$T/kv.present" yes
check_keys "$K" kv "$T/kv.missing" no

# Several path queries in one write: their answers follow each other.
both=$(_lookup "$K" "path 3" "path 18446744073709551615")
[ "$both" = "$(_lookup "$K" "path 3")"$'\n'"$(_lookup "$K" "path 18446744073709551615")" ] ||
	_fail "two path queries in one write: '$both'"

# rmap: overlapping extents of a few inode owners, both forks.
R=$MNT/rmap
mkdir "$R"
echo rmap >"$R/type"
awk 'BEGIN { for (i = 0; i < 1500; i++) {
	f = i % 4 == 1 ? " attr" : i % 4 == 2 ? " unwritten" : ""
	print 2 * (i * 613 % 3001) + 2, 1 + i % 30, 128 + i % 5,
		2 * (i % 700) f } }' >"$R/insert"
[ "$(_stat "$R" height)" -ge 3 ] || _fail "rmap btree not deep enough"
# Keys: STARTBLOCK OWNER OFFSET [FLAGS] (unwritten is taken and ignored).
awk -v m="$m" 'NR % (73 * m) == 1 { print $1, $3, $4, $5 }' "$R/records" >"$T/rmap.present"
awk -v m="$m" 'NR % (83 * m) == 2 { print $1 + 1, $3, $4 }
     NR % (89 * m) == 3 { print $1, $3, $4 + 1, $5 }' "$R/records" >"$T/rmap.missing"
printf '%s\n' "0 0 0" "4294967295 null 0" >>"$T/rmap.missing"
check_keys "$R" rmap "$T/rmap.present" yes
check_keys "$R" rmap "$T/rmap.missing" no

# refcount: disjoint extents, shared and CoW.
C=$MNT/refc
mkdir "$C"
echo refcount >"$C/type"
awk 'BEGIN { for (i = 0; i < 3000; i++)
	if (i % 3) print 4 * i + 8, 2, 2 + i % 4; else print 4 * i + 8, 1, 1, "cow" }' \
	>"$C/insert"
[ "$(_stat "$C" height)" -ge 3 ] || _fail "refcount btree not deep enough"
awk -v m="$m" 'NR % (107 * m) == 1 { print $1, $4 }' "$C/records" >"$T/refc.present"
awk -v m="$m" 'NR % (113 * m) == 2 { print $1 + 3, $4 } NR % (127 * m) == 5 { print $1 + 1 }' \
	"$C/records" >"$T/refc.missing"
printf '%s\n' 0 "2147483647 cow" "2147483647" >>"$T/refc.missing"
check_keys "$C" refcount "$T/refc.present" yes
check_keys "$C" refcount "$T/refc.missing" no

# Bad path queries: EINVAL, nothing answered.
for q in "path" "path 1 2" "path x"; do
	_expect "OK EINVAL" open "$K/lookup" rw write "$q"$'\n'
done
_expect "OK EINVAL" open "$R/lookup" rw write $'path 5 128\n'
_expect "OK EINVAL" open "$C/lookup" rw write $'path 2147483648\n'

# A damaged root: the path cannot be walked (the checksum is stale).
root=$("$XFBT_DECODE" "$K/pages/0" | awk '$1 == "root" { print $3 }')
printf '\x77' | dd of="$K/pages/$root" bs=1 seek=75 conv=notrunc 2>/dev/null
_expect "OK OK EBADMSG" open "$K/lookup" rw write $'path 100\n' read
_check "$R"
_check "$C"
