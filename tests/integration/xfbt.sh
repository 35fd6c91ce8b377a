#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# xfbt.sh: the command line tool, xfbt, against a real mount.  Every
# subcommand's success (status 0, what it printed, what the btree holds),
# refusal (status 1, the daemon's reason on stderr, the btree byte for
# byte as it was) and error (status 2):
#
# - new: kv, rmap, refcount; a name taken or refused; outside an
#   xfbtreefs root nothing is made; a bad type is usage;
# - insert, delete: from stdin and from files; a duplicate, a bad last
#   line without a newline, a missing record: status 1, the reason with
#   the line as numbered in xfbt's input, nothing changed; input over
#   1 MiB with a bad line late: the records of the writes before it went
#   in, exactly as many as xfbt says; a missing input file, no btree;
# - load: any order, a duplicate or a bad line leaving the btree as it
#   was, empty input emptying it, progress and a summary on a terminal;
# - get, query, check, stat: found and not found, -q, bad keys and
#   queries, a damaged btree (pages_writable) for check and for the
#   writers (status 2), unknown stats;
# - decode, dot, the xfbt-decode link, usage errors;
# - only the reasons of xfbt's own pid, not another writer's;
# - the mount gone: status 2.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

XFBT=${XFBT:-$(dirname "$XFBTREEFS")/../tools/xfbt}
[ -x "$XFBT" ] || _fail "no xfbt at $XFBT"
command -v mawk >/dev/null || _notrun "no mawk"

# x STATUS ARGS...: run xfbt ARGS (stdin as given); stdout in $T/out,
# stderr in $T/err; the status must be STATUS.
x()
{
	local want=$1 st=0 err

	shift
	"$XFBT" "$@" >"$T/out" 2>"$T/err" || st=$?
	# No external command here: a caller may run x with PATH emptied.
	_xfbt_slurp "$T/err" err || _fail "no $T/err"
	[[ ! $err =~ Sanitizer|runtime\ error: ]] ||
		_fail "xfbt $*: ${err:0:300}"
	[ "$st" = "$want" ] ||
		_fail "xfbt $(_xfbt_quote "$@"): status $st, not $want;" \
			"stderr: ${err:0:300}"
}

# says TEXT: stderr holds TEXT (fixed string).
says()
{
	grep -qF -- "$1" "$T/err" ||
		_fail "stderr lacks '$1': $(head -n 5 "$T/err")"
}

# quiet: nothing on stderr.
quiet()
{
	[ ! -s "$T/err" ] || _fail "stderr: $(head -n 3 "$T/err")"
}

# printed TEXT: stdout is exactly TEXT (as $(cat) sees it).
printed()
{
	local got

	got=$(cat "$T/out")
	[ "$got" = "$1" ] ||
		_fail "stdout '$(_xfbt_quote "$got")', not '$(_xfbt_quote "$1")'"
}

_mount pages_writable blocksize=512
cd "$T"

# ---- usage ---------------------------------------------------------------
x 2
grep -q '^usage: xfbt' "$T/err" || _fail "no usage without arguments"
x 0 --help
grep -q 'xfbt insert' "$T/out" || _fail "--help lists no insert"
x 2 frobnicate
says "no subcommand 'frobnicate'"
x 2 get
says "usage: xfbt get"
x 2 get -z "$MNT"
says "unknown option -z"
x 0 get --help
x 2 new "$MNT/n" btree
says "no type 'btree'"
[ ! -e "$MNT/n" ] || _fail "new with a bad type made the btree"
x 0 --version

# ---- new -------------------------------------------------------------------
x 0 new "$MNT/t"
quiet
_content "$MNT/t/type" kv
x 0 new "$MNT/r" rmap
_content "$MNT/r/type" rmap
x 0 -q new "$MNT/c" refcount
_content "$MNT/c/type" refcount
x 1 new "$MNT/t"
says "File exists"
_content "$MNT/t/type" kv
x 1 new "$MNT/.hidden"
[ ! -e "$MNT/.hidden" ] || _fail ".hidden made"
mkdir "$T/plain"
x 2 new "$T/plain/b"
says "not the root of an xfbtreefs mount"
[ ! -e "$T/plain/b" ] || _fail "new made a directory outside the mount"
x 2 new "$MNT/t/sub"
says "not the root of an xfbtreefs mount"

# ---- insert ------------------------------------------------------------------
seq 1 1000 | mawk '{ print $1, $1 % 7 }' >"$T/thousand"
x 0 insert "$MNT/t" <"$T/thousand"
quiet
printed ""
cmp -s "$T/thousand" <(cat "$MNT/t/records") || _fail "inserted records"
_check "$MNT/t"

snap=$(_snap "$MNT/t")
# A duplicate: status 1, the reason with its line, nothing changed.
printf '2000 1\n2001 1\n5 5\n' >"$T/dup"
x 1 insert "$MNT/t" <"$T/dup"
says "xfbt insert: stdin:3: duplicate key: 5 5"
says "$MNT/t: nothing inserted, $MNT/t is as it was: File exists"
_unchanged "$MNT/t" "$snap"
# A bad last line without a newline, from a file: the same.
printf '3000 1\n3001 x' >"$T/badlast"
x 1 insert "$MNT/t" "$T/badlast"
says "$T/badlast:2: not a number: 3001 x"
_unchanged "$MNT/t" "$snap"
# Two files: the first goes in (a write of its own), the second's bad
# line is named by its file and line.
printf '4000 1\n4001 1\n' >"$T/good"
printf '# a comment\n4002 1\nbad\n' >"$T/bad"
x 1 insert "$MNT/t" "$T/good" - "$T/bad" </dev/null
says "$T/bad:3: "
says "2 records inserted before $T/bad:1, none from there on"
[ "$(_stat "$MNT/t" records)" = 1002 ] || _fail "records after 2 files"
printf '4000\n4001\n' | x 0 delete "$MNT/t"
_unchanged "$MNT/t" "$snap"
# Errors: no input file, no btree, the root.
x 2 insert "$MNT/t" "$T/nonexistent"
says "$T/nonexistent: No such file or directory"
! grep -q "inserted before" "$T/err" || _fail "nothing went in, it says"
# A file that cannot be read after one that went in: which did.
printf '4000 1\n' >"$T/one"
x 2 insert "$MNT/t" "$T/one" "$T/nonexistent"
says "1 record inserted before $T/nonexistent, none from there on"
printf '4000\n' | x 0 delete "$MNT/t"
x 2 insert "$MNT/nope" <"$T/dup"
x 2 insert "$MNT" <"$T/dup"
says "not a btree directory"
x 2 insert "$MNT/t/records" <"$T/dup"
_unchanged "$MNT/t" "$snap"

# More than one write: 150,000 lines (about 1.4 MiB), a bad one late.
x 0 new "$MNT/big"
{
	seq 1 150000 | mawk '{ print $1, $1 % 1000 }'
	echo "150001 x"
	seq 150002 150010 | mawk '{ print $1, 1 }'
} >"$T/bigin"
[ "$(stat -c %s "$T/bigin")" -gt $((1 << 20)) ] || _fail "input too small"
x 1 insert "$MNT/big" <"$T/bigin"
says "xfbt insert: stdin:150001: not a number: 150001 x"
n=$(sed -n 's/.*: \([0-9]*\) records inserted before stdin:\([0-9]*\), none from there on.*/\1 \2/p' "$T/err")
[ -n "$n" ] || _fail "no count of what went in: $(cat "$T/err")"
read -r went at <<<"$n"
if [ "$went" -le 0 ] || [ "$went" -ge 150000 ]; then
	_fail "went in: $went"
fi
[ "$at" = $((went + 1)) ] || _fail "$went records, the write began at $at"
[ "$(_stat "$MNT/big" records)" = "$went" ] ||
	_fail "xfbt says $went went in; stats: $(_stat "$MNT/big" records)"
cmp -s <(head -n "$went" "$T/bigin") <(cat "$MNT/big/records") ||
	_fail "the records in are not the first $went lines"
# The writes are whole lines of at most 1 MiB.
[ "$(head -n "$went" "$T/bigin" | wc -c)" -le $((1 << 20)) ] ||
	_fail "the first write held more than 1 MiB"
[ "$(head -n $((went + 1)) "$T/bigin" | wc -c)" -gt $((1 << 20)) ] ||
	_fail "the first write was not as full as it could be"
_check "$MNT/big"

# ---- delete ------------------------------------------------------------------
printf '10\n11 4\n' | x 0 delete "$MNT/t"
quiet
[ "$(_stat "$MNT/t" records)" = 998 ] || _fail "delete"
snap=$(_snap "$MNT/t")
printf '12\n10\n' | x 1 delete "$MNT/t"
says "stdin:2: no record with this key: 10"
says "nothing deleted"
_unchanged "$MNT/t" "$snap"
printf '12 1\n' | x 1 delete "$MNT/t"
says "stdin:1: no such record: 12 1"
_unchanged "$MNT/t" "$snap"
printf '12\n' | x 2 delete "$MNT/nope"
x 2 delete "$MNT/t" "$T/nonexistent"
_unchanged "$MNT/t" "$snap"

# ---- load --------------------------------------------------------------------
x 0 new "$MNT/l"
mawk 'BEGIN { for (i = 0; i < 5000; i++) print (i * 7919) % 5003, i }' \
	>"$T/lrecs"
x 0 load "$MNT/l" "$T/lrecs"
quiet
cmp -s <(sort -n -k1,1 "$T/lrecs") <(cat "$MNT/l/records") ||
	_fail "loaded records"
[ "$(_stat "$MNT/l" loads)" = 1 ] || _fail "loads"
_check "$MNT/l"
snap=$(_snap "$MNT/l")
printf '1 1\n2 2\n1 3\n' | x 1 load "$MNT/l"
says "duplicate key: 1 1 and 1 3"
says "nothing loaded, $MNT/l is as it was: File exists"
_unchanged "$MNT/l" "$snap"
printf '1 1\n2 2\n3' | x 1 load "$MNT/l"
says "stdin:3: "
says "nothing loaded"
! grep -q "earlier write failed" "$T/err" || _fail "the close's echo shown"
_unchanged "$MNT/l" "$snap"
x 2 load "$MNT/l" "$T/nonexistent"
_unchanged "$MNT/l" "$snap"
# Progress on a terminal (script(1) gives xfbt one), and a summary.
if command -v script >/dev/null; then
	script -qec "$XFBT load $MNT/l $T/lrecs" /dev/null >"$T/tty" </dev/null ||
		_fail "load on a terminal: $(cat -v "$T/tty")"
	grep -q "xfbt load: $MNT/l: 5000 records loaded in" "$T/tty" ||
		_fail "no summary on a terminal: $(cat -v "$T/tty")"
	x 0 load "$MNT/l" "$T/lrecs"
	quiet
fi
# Empty input: the btree is replaced by nothing.
x 0 load "$MNT/l" </dev/null
[ "$(_stat "$MNT/l" records)" = 0 ] || _fail "empty load kept records"
_check "$MNT/l"

# ---- get and query -----------------------------------------------------------
x 0 get "$MNT/t" 7 8
printed $'7 0\n8 1'
quiet
x 1 get "$MNT/t" 7 10 8
printed $'7 0\n8 1'
says "$MNT/t: 10: not found"
x 1 get -q "$MNT/t" 10
printed ""
quiet
x 0 -q get "$MNT/t" 7
printed ""
x 1 get "$MNT/t" x
says "not a number"
x 2 get "$MNT/t" $'1\neq 2'
x 0 query "$MNT/t" "range 20 22" "ge 999"
printed $'20 6\n21 0\n22 1\n999 5'
x 0 query "$MNT/t" "eq 10" "le 10"
printed "9 2"
x 1 query "$MNT/t" "eq 10" "range 5000 6000"
printed ""
x 1 query "$MNT/t" "range 9 1"
says "LOW is above HIGH"
x 1 query "$MNT/t" "find 1"
says "unknown query"
printf '100 5 130 0\n200 5 fs 0\n' | x 0 insert "$MNT/r"
x 0 get "$MNT/r" "100 130 0"
printed "100 5 130 0"
x 0 query "$MNT/r" "range 0 1000"
printed $'100 5 130 0\n200 5 fs 0'
x 2 get "$MNT/nope" 1
x 2 query "$MNT/nope" "eq 1"
x 2 query "$MNT/t"
says "usage: xfbt query"

# ---- stat and check ----------------------------------------------------------
x 0 stat "$MNT/t"
cmp -s "$T/out" <(cat "$MNT/t/stats") || _fail "stat differs from stats"
x 0 stat "$MNT/t" records type
printed $'998\nkv'
x 1 stat "$MNT/t" records nosuch
printed "998"
says "no stat named 'nosuch'"
x 2 stat "$MNT/nope"
x 0 check "$MNT/t"
printed ok
x 0 check -q "$MNT/t"
printed ""
x 2 check "$MNT/nope"

# ---- decode and dot ----------------------------------------------------------
cp "$MNT/t/pages/1" "$T/page"
x 0 decode "$T/page"
grep -q 'good)$' "$T/out" || _fail "decode: no good checksum"
"$(dirname "$XFBT")/xfbt-decode" "$T/page" >"$T/out2" ||
	_fail "xfbt-decode, the link"
cmp -s "$T/out" "$T/out2" || _fail "xfbt-decode decodes otherwise"
printf '\x55' | dd of="$T/page" bs=1 seek=100 conv=notrunc 2>/dev/null
x 1 decode "$T/page"
grep -q '^warning' "$T/out" || _fail "decode of a damaged page: no warning"
x 1 decode -q "$T/page"
printed ""
x 2 decode "$T/nonexistent"
if command -v dot >/dev/null; then
	x 0 dot "$MNT/t"
	printed t.svg
	grep -q '<svg' "$T/t.svg" || _fail "dot: no SVG"
	"$(dirname "$XFBT")/xfbt-dot" "$MNT/t" "$T/link.svg" >/dev/null ||
		_fail "xfbt-dot, the link"
	grep -q '<svg' "$T/link.svg" || _fail "xfbt-dot: no SVG"
	x 0 dot -q "$MNT/r" "$T/r.png"
	printed ""
	[ "$(head -c 4 "$T/r.png" | od -An -c | tr -d ' ')" = '211PNG' ] ||
		_fail "dot: no PNG"
fi
x 2 dot "$MNT/t" "$T/t.pdf"
says "must end in .svg or .png"
PATH=/nonexistent x 2 dot "$MNT/t" "$T/x.svg"
says "Graphviz"

# ---- a damaged btree ---------------------------------------------------------
x 0 new "$MNT/d"
seq 1 200 | mawk '{ print $1, $1 }' | x 0 insert "$MNT/d"
# The root's magic damaged, its checksum made right: EUCLEAN for every
# operation; then with the checksum stale: EBADMSG.
root=$("$XFBT_PAGE" head "$MNT/d/pages/0" | awk '$1 == "root" { print $2 }')
printf 'XXXX' | dd of="$MNT/d/pages/$root" bs=1 conv=notrunc 2>/dev/null
"$XFBT_PAGE" fixcrc "$MNT/d/pages/$root"
x 1 check "$MNT/d"
grep -q "^block $root: " "$T/out" ||
	_fail "check of damage: $(head -n 3 "$T/out")"
printf '1 2\n' | x 2 insert "$MNT/d"
says "the btree is damaged"
x 2 get "$MNT/d" 1
says "Structure needs cleaning (the btree is damaged)"
printf 'YYYY' | dd of="$MNT/d/pages/$root" bs=1 conv=notrunc 2>/dev/null
x 2 query "$MNT/d" "ge 1"
says "a bad checksum"
x 1 check "$MNT/d"
# A load replaces the damaged btree: the way to repair it.
seq 1 200 | mawk '{ print $1, $1 }' | x 0 load "$MNT/d"
x 0 check "$MNT/d"

# ---- only our own reasons ----------------------------------------------------
echo "5 other" >"$MNT/t/insert" 2>/dev/null || true
grep -q "other" "$MNT/t/errors" || _fail "the shell's failure not in errors"
printf '6 ours\n' | x 1 insert "$MNT/t"
says "stdin:1: not a number: 6 ours"
! grep -q other "$T/err" || _fail "another process's reason shown"
# ... and one that fails while xfbt runs: xfbt has read `errors` once
# (it has `insert` open, which comes after), then another process fails,
# then xfbt's input arrives with a bad line.
x 0 new "$MNT/p"
mkfifo "$T/fifo"
"$XFBT" insert "$MNT/p" <"$T/fifo" >"$T/out" 2>"$T/err" &
pid=$!
_track "$pid"
exec 7>"$T/fifo"
# has_insert_open: xfbt holds $MNT/p/insert open.
has_insert_open()
{
	local fd

	for fd in "/proc/$pid/fd"/*; do
		[ "$(readlink "$fd" 2>/dev/null)" != "$MNT/p/insert" ] ||
			return 0
	done
	return 1
}
for ((i = 0; i < 100; i++)); do
	! has_insert_open || break
	sleep 0.1
done
has_insert_open || _fail "xfbt never opened insert"
echo "1 other" >"$MNT/p/insert" 2>/dev/null || true
printf '5 5\nbad ours\n' >&7
exec 7>&-
st=0
_wait "$pid" || st=$?
[ "$st" = 1 ] || _fail "insert with another writer's failure: status $st"
says "stdin:2: not a number: bad ours"
! grep -q other "$T/err" || _fail "another process's reason shown"
grep -q other "$MNT/p/errors" || _fail "no other writer"

# ---- the mount gone ----------------------------------------------------------
_kill_daemon KILL
x 2 get "$MNT/t" 7
says "not connected"
printf '1 1\n' | x 2 insert "$MNT/t"
x 2 new "$MNT/z"
