#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# decode.sh: the page decoder, xfbt-decode (tools/), on copies of real
# pages (xfbtreefs(5), PAGES; the README's header block table).  kv, rmap and
# refcount btrees at 512- and 4096-byte blocks: every page decodes as
# sound; block 0, the root node and
# the leftmost and rightmost leaves, copied with cp, decode with exit
# status 0, every header field named, the checksum "good", the values
# those of the mount (stats, block 0, the pages walked) and the records
# and keys those that records shows.  A copy with one byte flipped gives
# exit 1 and a "bad" checksum warning; random bytes (bare or behind each
# magic), an empty file, short and odd-sized files give 1 or 2, never a
# crash or a sanitizer report.  Usage errors give 2; standard input and
# several files work.  xfbt dot renders an SVG when Graphviz's dot is
# installed (that part is skipped otherwise).
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

XFBT_DECODE=${XFBT_DECODE:-$(dirname "$XFBTREEFS")/../tools/xfbt-decode}
[ -x "$XFBT_DECODE" ] || _fail "no xfbt-decode at $XFBT_DECODE"
XFBT=${XFBT:-$(dirname "$XFBTREEFS")/../tools/xfbt}

# dec FILE...: run the decoder; its output in $T/out and (a newline
# before each line, for matching whole lines) in OUT, status in $st.  It
# must not crash (status 128 and up) or report a sanitizer error.  These
# checks run hundreds of times: the shell reads the text itself.
dec()
{
	local err

	st=0
	"$XFBT_DECODE" "$@" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" -lt 128 ] || _fail "xfbt-decode $* died: status $st"
	_xfbt_slurp "$T/err" err
	[[ $err != *Sanitizer* && $err != *"runtime error:"* ]] ||
		_fail "xfbt-decode $*: ${err:0:300}"
	_xfbt_slurp "$T/out" OUT
	OUT=$'\n'$OUT
}

# dec_ok FILE: exit 0, no warnings, a good checksum.
dec_ok()
{
	dec "$1"
	[ "$st" = 0 ] || _fail "xfbt-decode $1: status $st: ${OUT:0:300}"
	[[ $OUT != *$'\n'warning* ]] || _fail "xfbt-decode $1 warns"
	[[ $OUT =~ $'\n''crc = 0x'[0-9a-f]{8}' (computed 0x'[0-9a-f]{8}', good)'($'\n'|$) ]] ||
		_fail "xfbt-decode $1: no good checksum"
}

# flip FILE OFFSET: invert the byte at OFFSET.
flip()
{
	local v

	v=$(od -An -tu1 -j "$2" -N 1 "$1" | tr -d ' ')
	# shellcheck disable=SC2059
	printf "$(printf '\\x%02x' $((v ^ 255)))" |
		dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}

# val NAME: what follows "NAME = " in the decoder's output (the first
# such line), into REPLY (empty if there is none).
val()
{
	REPLY=
	[[ $OUT =~ $'\n'"$1 = "([^$'\n']*) ]] || return 0
	REPLY=${BASH_REMATCH[1]}
}

# want NAME VALUE: val NAME must be VALUE.
want()
{
	val "$1"
	[ "$REPLY" = "$2" ] || _fail "$DESC: $1 is '$REPLY', expected '$2'"
}

# as_text: decoded records ("startblock 5 blockcount 3 ... domain cow")
# back to record text ("5 3 ... cow"), as records prints them.
as_text()
{
	sed -E 's/^recs\[[0-9]+\] = //;
		s/(key|value|startblock|blockcount|owner|offset|refcount) //g;
		s/ domain shared$//; s/ domain cow$/ cow/'
}

# The low key of record text $1 as the decoder prints keys: kv "KEY",
# rmap "START/OWNER/OFFSET[ attr|bmbt|attr,bmbt]", refcount "START[ cow]".
key_text()
{
	local type=$1 f

	read -r -a f <<<"$2"
	case $type in
	kv) echo "${f[0]}" ;;
	rmap)
		local flags=${f[4]:-}
		flags=${flags//unwritten/}
		flags=${flags%,}
		echo "${f[0]}/${f[2]}/${f[3]}${flags:+ $flags}"
		;;
	refcount) echo "${f[0]}${f[3]:+ cow}" ;;
	esac
}

# Random files of length $1: the decoder never crashes.
fuzz()
{
	local len=$1 i magic

	for magic in '' CATM XKV3 RMB3 R3FC; do
		for ((i = 0; i < 4; i++)); do
			{
				printf '%s' "$magic"
				head -c $((len - ${#magic})) /dev/urandom
			} >"$T/fuzz"
			dec "$T/fuzz"
			[ "$st" = 1 ] || [ "$st" = 2 ] ||
				_fail "random $len bytes after '$magic':" \
					"status $st"
			[ "$st" != 1 ] || [[ $OUT == *$'\n'warning* ]] ||
				_fail "random bytes: status 1 without a warning"
		done
	done
	# A node or leaf header that claims everything: the most entries,
	# the highest level, siblings and pointers to nowhere.
	for magic in XKV3 RMB3 R3FC; do
		{
			printf '%s' "$magic"
			head -c $((len - 4)) /dev/zero | tr '\0' '\377'
		} >"$T/fuzz"
		dec "$T/fuzz"
		[ "$st" = 1 ] || _fail "all-ones $magic block: status $st"
	done
}

# all_sound DIR: every page, copied, decodes as sound, each under its own
# title.
all_sound()
{
	local d=$1 n

	rm -rf "$T/pages"
	mkdir "$T/pages"
	cp "$d"/pages/* "$T/pages/"
	n=$(find "$T/pages" -type f | wc -l)
	dec "$T"/pages/*
	[ "$st" = 0 ] || _fail "$d: a page is not sound:" \
		"$(grep -m 3 -e '^==>' -e '^warning' "$T/out")"
	[ "$(grep -c '^==> ' "$T/out")" = "$n" ] ||
		_fail "$d: not one title per page"
}

# check_head DIR TYPE BS: block 0, copied, against stats and pages/; sets
# ROOT, UUID and OWNER.
check_head()
{
	local d=$1 type=$2 bs=$3 f v pages

	DESC="$d block 0"
	cp "$d/pages/0" "$T/copy0"
	dec_ok "$T/copy0"
	[[ $OUT == $'\n''header block'* ]] ||
		_fail "$DESC: first line ${OUT:1:80}"
	for f in magic nlevels owner root uuid type blocksize nrecords \
		data_size nblocks version flags pad crc; do
		val "$f"
		[ -n "$REPLY" ] || _fail "$DESC: no field $f"
	done
	want magic '0x4341544d ("CATM")'
	_stat_v v "$d" height
	want nlevels "$v"
	want blocksize "$bs"
	_stat_v v "$d" records
	want nrecords "$v"
	want version 1
	want flags 0x0
	val type
	[[ "$REPLY" == *"$type"* ]] || _fail "$DESC: type $REPLY"
	pages=("$d"/pages/*)
	want nblocks "${#pages[@]}"
	val root
	ROOT=$REPLY
	val uuid
	UUID=$REPLY
	val owner
	OWNER=$REPLY
	[ -e "$d/pages/$ROOT" ] || _fail "$DESC: root $ROOT is not a page"
	[[ "$UUID" =~ ^[0-9a-f]{8}(-[0-9a-f]{4}){3}-[0-9a-f]{12}$ ]] ||
		_fail "$DESC: uuid '$UUID'"
}

# check_block DIR TYPE BS B LEVEL EDGE: block B, copied, decodes as a
# sound block at LEVEL on the first or last EDGE of the tree, its header
# fields those of the btree; sets N (its entries).
check_block()
{
	local d=$1 type=$2 bs=$3 b=$4 level=$5 edge=$6 f kind=node e

	DESC="$d block $b ($edge edge, level $level)"
	cp "$d/pages/$b" "$T/copy"
	[ "$(stat -c %s "$T/copy")" = "$bs" ] ||
		_fail "$DESC: copy is not $bs bytes"
	dec_ok "$T/copy"
	[[ $OUT == $'\n'"btree block ($type"* ]] ||
		_fail "$DESC: first line ${OUT:1:80}"
	for f in magic level numrecs leftsib rightsib blkno lsn uuid owner \
		crc pad; do
		val "$f"
		[ -n "$REPLY" ] || _fail "$DESC: no field $f"
	done
	[ "$level" != 0 ] || kind=leaf
	want level "$level ($kind)"
	want blkno "$((b * bs / 512)) (block $b)"
	want lsn 0
	want uuid "$UUID"
	want owner "$OWNER"
	want pad 0
	# The edges of every level, and the root, have no sibling outward.
	if [ "$edge" = first ] || [ "$b" = "$ROOT" ]; then
		want leftsib null
	fi
	if [ "$edge" = last ] || [ "$b" = "$ROOT" ]; then
		want rightsib null
	fi
	val numrecs
	N=${REPLY%% *}
	[ "$N" -gt 0 ] || _fail "$DESC: numrecs $N"
	e=$(grep -c -E '^(recs|keys)\[' "$T/out") || true
	[ "$e" = "$N" ] || _fail "$DESC: $e entries, numrecs $N"
}

# walk DIR TYPE BS: decode block 0, the root, the nodes and leaves down
# the left and the right edge of btree DIR, copied with cp, and compare
# with the mount: the edge leaves hold the first and last records, the
# first key of each left-edge node is the first record's.
walk()
{
	local d=$1 type=$2 bs=$3 height b level edge line lo

	all_sound "$d"
	cat "$d/records" >"$T/records"
	height=$(_stat "$d" height)
	[ "$height" -ge 2 ] || _fail "test bug: $d is one leaf"
	check_head "$d" "$type" "$bs"
	lo=$(key_text "$type" "$(head -n 1 "$T/records")")
	for edge in first last; do
		b=$ROOT
		for ((level = height - 1; level > 0; level--)); do
			check_block "$d" "$type" "$bs" "$b" "$level" "$edge"
			if [ "$edge" = first ]; then
				line=$(grep '^keys\[0\]' "$T/out")
				[ "$type" = rmap ] || [[ "$line" == \
					"keys[0] = $lo  ptrs[0] = "* ]] ||
					_fail "$DESC: '$line', first key $lo"
				[ "$type" != rmap ] || [[ "$line" == \
					"keys[0] = low $lo high "* ]] ||
					_fail "$DESC: '$line', first key $lo"
			else
				line=$(grep '^keys\[' "$T/out" | tail -n 1)
			fi
			b=${line##*= }
			[ -e "$d/pages/$b" ] ||
				_fail "$DESC: pointer $b is no page"
		done
		check_block "$d" "$type" "$bs" "$b" 0 "$edge"
		if [ "$edge" = first ]; then
			head -n "$N" "$T/records" >"$T/want"
		else
			tail -n "$N" "$T/records" >"$T/want"
		fi
		grep '^recs\[' "$T/out" | as_text >"$T/got"
		cmp -s "$T/want" "$T/got" || {
			diff "$T/want" "$T/got" | head -n 6 >&2 || true
			_fail "$DESC: records differ from $d/records"
		}
	done

	# One byte flipped in a copy: exit 1, the checksum bad.
	for b in 0 "$ROOT"; do
		DESC="$d block $b, damaged"
		cp "$d/pages/$b" "$T/copy"
		flip "$T/copy" $((bs - 100))
		dec "$T/copy"
		[ "$st" = 1 ] || _fail "$DESC: status $st"
		grep -Eq '^crc = .*, bad\)$' "$T/out" ||
			_fail "$DESC: no bad checksum line"
		grep -q '^warning: .*checksum' "$T/out" ||
			_fail "$DESC: no checksum warning"
	done
	# More entries than the block holds, checksum right: exit 1.
	cp "$d/pages/$ROOT" "$T/copy"
	printf '\xff' | dd of="$T/copy" bs=1 seek=6 conv=notrunc 2>/dev/null
	"$XFBT_PAGE" fixcrc "$T/copy"
	dec "$T/copy"
	[ "$st" = 1 ] || _fail "$d root with numrecs past the end: status $st"
	grep -q '^warning: numrecs' "$T/out" || _fail "no numrecs warning"
}

for bs in 512 4096; do
	_mount "blocksize=$bs"
	K=$MNT/kv R=$MNT/rmap F=$MNT/refc
	mkdir "$K" "$R" "$F"
	echo rmap >"$R/type"
	echo refcount >"$F/type"
	n=$((bs * 300 / 512))
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++)
		print i * 7919 % n * 3 + 5, i * 11 }' >"$K/insert"
	awk -v n="$n" 'BEGIN {
		split("fs log ag inobt", sp, " ")
		for (i = 0; i < n; i++) {
			split(" attr| unwritten| bmbt| attr,bmbt|||", fl, "|")
			f = fl[1 + i % 7]
			if (i % 11 == 5)
				print 3 * i, 1 + i % 9, sp[1 + i % 4], 0
			else
				print 3 * i, 1 + i % 9, 128 + i % 13,
					f ~ /bmbt/ ? 0 : i, f
		}
	}' >"$R/insert"
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) {
		print 10 * i, 1 + i % 9, 2 + i % 5
		if (i % 2)
			print 10 * i + 3, 5, 1, "cow"
	} }' >"$F/insert"
	walk "$K" kv "$bs"
	walk "$R" rmap "$bs"
	walk "$F" refcount "$bs"
	for d in "$K" "$R" "$F"; do
		_check "$d"
	done

	# Several files: a title for each, the worst status.
	cp "$K/pages/0" "$T/a"
	cp "$R/pages/1" "$T/b"
	dec "$T/a" "$T/b"
	[ "$st" = 0 ] || _fail "two sound pages: status $st"
	[ "$(grep -c '^==> ' "$T/out")" = 2 ] || _fail "no titles for two files"
	grep -qx "==> $T/b <==" "$T/out" || _fail "title of the second file"
	dec "$T/a" "$T/copy" "$T/b"
	[ "$st" = 1 ] || _fail "a damaged page among sound ones: status $st"
	dec "$T/a" "$T/nonexistent" "$T/b"
	[ "$st" = 2 ] || _fail "a missing file among pages: status $st"
	# Standard input, as a file and as "-": the same output.
	dec "$T/b"
	cp "$T/out" "$T/out.file"
	st=0
	"$XFBT_DECODE" <"$T/b" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" = 0 ] || _fail "decoding standard input: status $st"
	cmp -s "$T/out" "$T/out.file" ||
		_fail "standard input decodes otherwise"
	st=0
	"$XFBT_DECODE" - <"$T/b" >"$T/out" 2>"$T/err" || st=$?
	[ "$st" = 0 ] || _fail "decoding -: status $st"
	cmp -s "$T/out" "$T/out.file" || _fail "- decodes otherwise"

	fuzz "$bs"

	# Graphviz: the helper renders tree.dot.
	if command -v dot >/dev/null 2>&1; then
		for d in "$K" "$R" "$F"; do
			rm -f "$T/tree.svg"
			"$XFBT" dot "$d" "$T/tree.svg" >/dev/null ||
				_fail "xfbt dot $d failed"
			grep -q '<svg' "$T/tree.svg" ||
				_fail "xfbt dot $d: no SVG"
		done
	else
		echo "decode.sh: no Graphviz dot: xfbt dot not tried"
	fi
	_umount
done

# Files that are no page: empty, too short for a magic or a header, not
# a block size long.
: >"$T/empty"
dec "$T/empty"
[ "$st" = 1 ] || [ "$st" = 2 ] || _fail "empty file: status $st"
printf 'CAT' >"$T/three"
dec "$T/three"
[ "$st" = 1 ] || [ "$st" = 2 ] || _fail "3-byte file: status $st"
for len in 4 5 40 71 72 73 100 127 128 129 511 513 1000 70000; do
	for magic in CATM XKV3 RMB3 R3FC; do
		{
			printf '%s' "$magic"
			head -c $((len - 4)) /dev/urandom
		} >"$T/odd"
		dec "$T/odd"
		[ "$st" = 1 ] || [ "$st" = 2 ] ||
			_fail "$len bytes after $magic: status $st"
	done
done
head -c 2000000 /dev/zero >"$T/huge"
dec "$T/huge"
[ "$st" = 1 ] || [ "$st" = 2 ] || _fail "2 MB of zeros: status $st"

# Usage: a bad option, a missing file: 2.  --help: 0.
dec --bogus
[ "$st" = 2 ] || _fail "unknown option: status $st"
dec "$T/does-not-exist"
[ "$st" = 2 ] || _fail "missing file: status $st"
grep -q 'does-not-exist' "$T/err" || _fail "missing file not named"
dec --help
[ "$st" = 0 ] || _fail "--help: status $st"
grep -q usage "$T/out" || _fail "--help prints no usage"
! grep -q " $_XFBT_TMP/" /proc/mounts || _fail "a mount is left behind"
