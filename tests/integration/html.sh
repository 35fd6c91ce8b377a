#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# html.sh: tree.html in a real browser.  Headless Chromium, driven through
# chromedriver by html_browser.py (Selenium), opens each btree's tree.html
# straight from the mount (file://), at 512-byte blocks so that small
# btrees are three levels deep:
#
#  - a small kv btree: the boxes drawn are exactly the blocks `stats`
#    counts, each at the level its page says; clicking a leaf shows the
#    decoder's text of its page exactly, with its records as `records`
#    lists them; clicking a pointer in a node goes to that child;
#  - searching keys (present, missing, the ends) of kv, rmap (owner
#    names, flags) and refcount (both domains) gives exactly the lines
#    the lookup file's `path` gives, and marks exactly those boxes;
#  - a block damaged through pages_writable is drawn as bad, with the
#    checksum named, and every block is still drawn;
#  - a btree too big for one page (16 MiB): the note says what was left
#    out, fewer blocks are drawn, and a search whose leaf is left out
#    marks the upper levels of the path and says the leaf is not there.
#
# Screenshots go to the test's temporary directory.  Skipped (77) only
# when chromium or chromedriver is missing.  html_file.sh tests the file
# itself, without a browser.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

command -v chromium >/dev/null || _notrun "no chromium"
command -v chromedriver >/dev/null || _notrun "no chromedriver"
[ -x "${XFBT_DECODE:-}" ] || _fail "XFBT_DECODE is not set to xfbt-decode"
BROWSER=$XFBT_SRCDIR/tests/integration/html_browser.py

# browse DIR STEP...: run the steps on DIR/tree.html; step I's output in
# $T/out/I.  One Chromium serves every call (html_browser.py --serve,
# through common.sh's helper servers).
export XFBT_BROWSER_TMP=$T
browse()
{
	local d=$1 status=0 out

	shift
	rm -rf "$T/out"
	mkdir "$T/out"
	_xfbt_run out "$BROWSER" "file://$d/tree.html" "$T/out" "$@" ||
		status=$?
	[ "$status" -ne 77 ] || _notrun "the browser could not start"
	[ "$status" -eq 0 ] || _fail "html_browser.py failed ($status) on $d"
}

# add_searches KEY...: a search step for each key, onto the array steps.
add_searches()
{
	local k

	for k in "$@"; do
		steps+=(search "$k")
	done
}

# check_searches DIR N KEY...: browser steps N, N + 1, ... searched the
# keys; each must say what `path KEY` says and mark exactly those boxes.
check_searches()
{
	local d=$1 n=$2 key want got marked

	shift 2
	for key in "$@"; do
		want=$(_lookup "$d" "path $key")
		got=$(grep '^level ' "$T/out/$n" || true)
		[ "$got" = "$want" ] ||
			_fail "$d: search '$key' shows '$got', path says '$want'"
		marked=$(sed -n 's/^on-path //p' "$T/out/$n")
		[ "$marked" = "$(awk '{ printf "%s%s", (NR > 1 ? " " : ""), $4 }' \
			<<<"$want")" ] ||
			_fail "$d: search '$key' marks '$marked', path: $(tr '\n' ' ' <<<"$want")"
		n=$((n + 1))
	done
}
# paths_agree DIR KEYFILE N: browser step N walked the keys of KEYFILE
# (a paths step); the page's walks must be `path`'s, key for key.
paths_agree()
{
	local d=$1 want
	local -a q

	mapfile -t q < <(sed 's/^/path /' "$2")
	want=$(_lookup "$d" "${q[@]}")
	[ "$(cat "$T/out/$3")" = "$want" ] || _fail "$d: the page walks \
$(wc -l <"$2") keys otherwise than path: $(diff <(echo "$want") \
		"$T/out/$3" | head -4)"
}

# searches DIR KEYFILE KEY...: one browser session searches each KEY,
# then a bad key, then walks every key of KEYFILE; each must agree with
# `path`, the bad one be refused.
searches()
{
	local d=$1 keyfile=$2 n

	shift 2
	steps=()
	add_searches "$@" "bad key"
	steps+=(paths "$keyfile")
	browse "$d" "${steps[@]}"
	check_searches "$d" 1 "$@"
	n=$(($# + 1))
	grep -q 'bad key' "$T/out/$n" ||
		_fail "$d: a bad key is not refused: $(cat "$T/out/$n")"
	grep -q 'on-path $' "$T/out/$n" || _fail "$d: a bad key marks boxes"
	paths_agree "$d" "$keyfile" $((n + 1))
}

# root DIR: the root block, from pages/0.
root_of()
{
	"$XFBT_DECODE" "$1/pages/0" | awk '$1 == "root" { print $3 }'
}

_mount blocksize=512 pages_writable

K=$MNT/kv
mkdir "$K"
awk 'BEGIN { for (i = 1; i <= 1200; i++) print 3 * i, i * i }' >"$K/insert"
# Keys past 2^53 (a double loses them) and at the top of the u64 range.
for ((i = 0; i < 30; i += 3)); do
	echo "$((9007199254740980 + i)) $i"
	echo "1844674407370955$((1000 + i)) $i"
done >"$K/insert"
[ "$(_stat "$K" height)" -eq 3 ] || _fail "kv btree: height not 3"
# Keys to walk: around every record, and around the huge ones.
{
	awk '$1 < 1000000 { print $1 - 1; print $1; print $1 + 1 }' \
		<(cat "$K/records") | awk 'NR % 7 == 0'
	for ((i = 0; i < 40; i++)); do
		echo "$((9007199254740975 + i))"
		echo "1844674407370955$((995 + i))"
	done
	echo 18446744073709551615
} >"$T/kv.keys"

# ---- a small kv btree in the browser ---------------------------------------

root=$(root_of "$K")
"$XFBT_DECODE" "$K/pages/$root" >"$T/root.txt"
child=$(awk '/^keys\[1\] = / { print $NF }' "$T/root.txt")
leaf=$(_lookup "$K" "path 1000" | awk '$2 == 0 { print $4 }')
[ -n "$child" ] || _fail "test bug: the root has no pointer 1"
[ -n "$leaf" ] || _fail "test bug: no leaf for key 1000"
keys=(0 1 3 999 1001 2100 2101 18446744073709551615)
steps=(blocks click "$leaf" click "$root" ptr 1)
add_searches "${keys[@]}"
steps+=(shot "$T/kv.png" paths "$T/kv.keys")
browse "$K" "${steps[@]}"

# Every block is drawn, once, at its level.
(cd "$K/pages" && printf '%s\n' *) | sort -n >"$T/pages"
awk '{ print $1 }' "$T/out/1" | sort -n >"$T/drawn"
cmp -s "$T/pages" "$T/drawn" ||
	_fail "blocks drawn are not pages/: $(diff "$T/pages" "$T/drawn" | head -5)"
[ "$(wc -l <"$T/out/1")" -eq "$(_stat "$K" blocks)" ] ||
	_fail "$(wc -l <"$T/out/1") boxes for $(_stat "$K" blocks) blocks"
while read -r b level; do
	if [ "$b" = 0 ]; then
		[ "$level" = header ] || _fail "block 0 drawn at level $level"
		continue
	fi
	want=$("$XFBT_DECODE" "$K/pages/$b" | awk '$1 == "level" { print $3 }')
	[ "$level" = "$want" ] || _fail "block $b drawn at level $level, is $want"
done <"$T/out/1"

# A leaf clicked: the decoder's text exactly, and those are its records.
"$XFBT_DECODE" "$K/pages/$leaf" >"$T/leaf.txt"
{ echo "block $leaf"; cat "$T/leaf.txt"; } | cmp -s - "$T/out/2" ||
	_fail "leaf $leaf in the pane: $(diff <(echo "block $leaf";
		cat "$T/leaf.txt") "$T/out/2" | head -6)"
awk '/^recs\[/ { print $4, $6 }' "$T/out/2" >"$T/leafrecs"
[ "$(wc -l <"$T/leafrecs")" -gt 10 ] || _fail "the leaf shows too few records"
extra=$(grep -Fxvf <(cat "$K/records") "$T/leafrecs" || true)
[ -z "$extra" ] || _fail "the leaf shows records not in records: $extra"
# The root, then its pointer 1: the child's page.
{ echo "block $root"; cat "$T/root.txt"; } | cmp -s - "$T/out/3" ||
	_fail "the root in the pane differs from the decoder"
{ echo "block $child"; "$XFBT_DECODE" "$K/pages/$child"; } |
	cmp -s - "$T/out/4" || _fail "ptrs[1] did not go to block $child"

check_searches "$K" 5 "${keys[@]}"
grep -q 'Found: recs\[' "$T/out/8" || _fail "search 999 does not say found"
grep -q 'Not there' "$T/out/9" || _fail "search 1001 does not say not there"
paths_agree "$K" "$T/kv.keys" $((5 + ${#keys[@]} + 1))

# ---- rmap and refcount: the key order of each type -------------------------

R=$MNT/rmap
mkdir "$R"
echo rmap >"$R/type"
awk 'BEGIN { for (i = 0; i < 400; i++) {
	f = i % 4 == 1 ? " attr" : i % 4 == 2 ? " bmbt" : ""
	print 10 * (i % 97) + 1, 1 + i % 9, 128 + i % 3, i % 4 == 2 ? 0 : 2 * i f }
	print 5, 1, "log", 0; print 7, 2, "ag", 0; print 9, 3, "fs", 0 }' \
	>"$R/insert"
{
	awk '{ print $1, $3, $4, $5; print $1 + 1, $3, $4; print $1, $3, $4 + 1 }' \
		<(cat "$R/records") | awk 'NR % 5 == 0'
	awk 'BEGIN { srand(11); split("null unknown fs log ag inobt inodes refc cow", o)
		for (i = 0; i < 100; i++) {
			w = int(rand() * 12); f = int(rand() * 4)
			fl = f == 1 ? "attr" : f == 2 ? "bmbt" : f == 3 ? "attr,bmbt" : ""
			print int(rand() * 1000), (w < 9 ? o[w + 1] : 126 + w),
				int(rand() * 900), fl } }'
} >"$T/rmap.keys"
searches "$R" "$T/rmap.keys" "5 log 0" "6 log 0" "1 128 0" \
	"11 129 2 attr" "11 129 2" "11 130 0 bmbt" "11 130 0 attr,bmbt" \
	"500 128 100 unwritten" "971 128 999" "4294967295 null 0" "0 0 0"

# refcount: both domains, one extent each fourth block.
C=$MNT/refc
mkdir "$C"
echo refcount >"$C/type"
awk 'BEGIN { for (i = 0; i < 200; i++) { print 12 * i + 8, 2, 3
	print 12 * i + 12, 1, 1, "cow" } }' >"$C/insert"
{
	awk '{ print $1 - 1, $4; print $1, $4; print $1 + 1, $4 }' \
		<(cat "$C/records") | awk 'NR % 3 == 0'
	awk 'BEGIN { srand(12); for (i = 0; i < 100; i++)
		print int(rand() * 2600), (rand() < 0.5 ? "cow" : "") }'
} >"$T/refc.keys"
searches "$C" "$T/refc.keys" "8 cow" "8" "12" "13" "12 cow" "2400" \
	"2147483647 cow" "0" "0x100"

# ---- a damaged block ---------------------------------------------------------

X=$MNT/damaged
mkdir "$X"
awk 'BEGIN { for (i = 1; i <= 700; i++) print 3 * i, i }' >"$X/insert"
bad=$(_lookup "$X" "path 1000" | awk '$2 == 0 { print $4 }')
# A byte of a record: the checksum no longer matches.
printf '\x55' | dd of="$X/pages/$bad" bs=1 seek=80 conv=notrunc 2>/dev/null
browse "$X" blocks bad click "$bad" search 1000 shot "$T/damaged.png"
[ "$(wc -l <"$T/out/1")" -eq "$(_stat "$X" blocks)" ] ||
	_fail "a damaged btree: $(wc -l <"$T/out/1") boxes, $(_stat "$X" blocks) blocks"
# (Its neighbours are flagged too: their sibling links lead to it.)
awk -v b="$bad" '$0 == b { on = 1; next } /^[^\t]/ { on = 0 }
	on && /checksum/ { found = 1 } END { exit !found }' "$T/out/2" ||
	_fail "damaged block $bad not flagged with its reason: $(cat "$T/out/2")"
grep -q '^crc = .*bad)$' "$T/out/3" || _fail "the pane does not show the bad crc"
grep -q 'damaged' "$T/out/4" || _fail "a search into the damaged leaf: $(cat "$T/out/4")"
grep -q "block $bad: .*checksum" "$X/check" || _fail "test bug: check does not name $bad"

# ---- a btree past the page's size --------------------------------------------

L=$MNT/large
mkdir "$L"
awk 'BEGIN { for (i = 0; i < 300000; i++) print 2 * i, i }' >"$L/load"
size=$(stat -c %s "$L/tree.html")
((size <= 16 * 1024 * 1024)) || _fail "tree.html of a large btree is $size bytes"
lkey=$(( 2 * 150001 ))
browse "$L" blocks search "$lkey" shot "$T/large.png"
grep -q 'id="cut-note"' "$L/tree.html" || _fail "no note of what was left out"
drawn=$(wc -l <"$T/out/1")
((drawn < $(_stat "$L" blocks))) || _fail "a large btree: every block drawn?"
want=$(_lookup "$L" "path $lkey")
leafb=$(awk '$2 == 0 { print $4 }' <<<"$want")
upper=$(awk '$2 > 0 { printf "%s%s", (NR > 1 ? " " : ""), $4 }' <<<"$want")
if grep -q "^$leafb 0\$" "$T/out/1"; then
	check_searches "$L" 2 "$lkey"
else
	grep -q 'not in this page' "$T/out/2" ||
		_fail "the search does not say the leaf is left out: $(cat "$T/out/2")"
	[ "$(sed -n 's/^on-path //p' "$T/out/2")" = "$upper" ] ||
		_fail "the search marks '$(sed -n 's/^on-path //p' "$T/out/2")', not '$upper'"
fi
_check "$K"
_check "$R"
_check "$C"
