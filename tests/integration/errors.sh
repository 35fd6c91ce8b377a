#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# errors.sh: what the `errors` file says (README "errors").  Each line is
#
#	2026-11-26T03:04:40Z pid 1234 insert: line 3: duplicate key: 12 2 3
#
# with the pid of the process whose request failed: the writer's for a
# failed write (insert, delete, lookup, type), the closing process's for
# a failure at close (FLUSH: a bad last line, a load that fails).  Reads that meet a damaged
# block (a page rewritten through pages_writable, checksum fixed: EUCLEAN;
# left stale: EBADMSG) are there too, once per open file however many of
# its reads fail, with the reader's pid and the block's reason.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

WHEN='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'

# last DIR RE: the last line of DIR/errors must match RE entirely.
last()
{
	local got

	got=$(tail -n 1 "$1/errors")
	[[ "$got" =~ ^$WHEN\ $2$ ]] ||
		_fail "errors' last line: '$got', expected /$WHEN $2/"
}

# nerr DIR: lines in DIR/errors.
nerr()
{
	wc -l <"$1/errors"
}

# as_child FILE CMD...: run CMD in a child process whose pid goes to FILE
# (exec keeps the pid), and print what it prints.
as_child()
{
	local f=$1

	shift
	(
		echo "$BASHPID" >"$f"
		exec "$@"
	)
}

_mount blocksize=512 pages_writable
B=$MNT/b
mkdir "$B"
_write "$B/insert" $'12 1\n'

# ---- the pid of a failed write, exactly in the documented format -------

got=$(as_child "$T/pid" "$XFBT_PROBE" open "$B/insert" w \
	write $'13 1\n12 2 3\n')
[ "${got% }" = "OK EINVAL" ] || _fail "bad line: '$got'"
last "$B" "pid $(cat "$T/pid") insert: line 2: [^:]+: 12 2 3"
got=$(as_child "$T/pid" "$XFBT_PROBE" open "$B/insert" w \
	write $'13 1\n12 2\n')
[ "${got% }" = "OK EEXIST" ] || _fail "duplicate: '$got'"
last "$B" "pid $(cat "$T/pid") insert: line 2: duplicate key: 12 2"
got=$(as_child "$T/pid" "$XFBT_PROBE" open "$B/delete" w write $'77\n')
[ "${got% }" = "OK ENOENT" ] || _fail "delete: '$got'"
last "$B" "pid $(cat "$T/pid") delete: line 1: [^:]+: 77"
got=$(as_child "$T/pid" "$XFBT_PROBE" open "$B/type" w write $'nosuch\n')
[ "${got% }" = "OK EINVAL" ] || _fail "type: '$got'"
last "$B" "pid $(cat "$T/pid") type: unknown type: nosuch"
got=$(as_child "$T/pid" "$XFBT_PROBE" open "$B/lookup" rw \
	write $'between 1 2\n')
[ "${got% }" = "OK EINVAL" ] || _fail "lookup: '$got'"
last "$B" "pid $(cat "$T/pid") lookup: line 1: [^:]+: between 1 2"

# ---- a failure at close is the closing process's ----------------------

# A writer leaves a last line without its newline and waits; the shell
# then closes its own copy of the descriptor: the FLUSH, and the failure,
# are the shell's.  Every close is a FLUSH, and a child process closes
# its copies when it exits: between the write and the close the shell
# starts nothing (it waits for the writer's tokens with builtins only).
exec 3>"$B/insert"
"$XFBT_PROBE" fd 3 write $'14 1\nbadtail' sleep 3000 >"$T/writer" &
writer=$!
_track "$writer"
for ((i = 0; i < 10000000; i++)); do
	t2=
	read -r _ t2 _ <"$T/writer" || true
	[ -z "$t2" ] || break
done
[ "$t2" = OK ] || _fail "the writer's write: '$t2'"
exec 3>&-
[ "$writer" != $$ ] || _fail "test bug: the closer is the writer"
last "$B" "pid $$ insert: line 1: [^:]+: badtail"
_wait "$writer"
_content "$B/records" $'12 1\n14 1'

# load: the close that commits (and fails) names its own pid.
got=$(as_child "$T/pid" "$XFBT_PROBE" open "$B/load" w \
	write $'1 1\n1 2\n' close)
[ "${got% }" = "OK OK EEXIST" ] || _fail "load duplicate: '$got'"
last "$B" "pid $(cat "$T/pid") load: duplicate key: 1 (1 and 1 2|2 and 1 1)"
_content "$B/records" $'12 1\n14 1'

# The log says the same, pid included.
grep -q "b: pid $(cat "$T/pid") load: duplicate key" "$_XFBT_LOG" ||
	_fail "the log lacks the pid"
_check "$B"

# ---- reads that meet a damaged block -------------------------------------

# damaged DIR HOW: a btree of 2000 records (height 3 at 512 bytes) with
# one leaf's magic damaged, its checksum rewritten (fix: EUCLEAN) or left
# stale (stale: EBADMSG).  Sets LEAF.
damaged()
{
	local d=$1 how=$2 b f=$T/leaf

	mkdir "$d"
	awk 'BEGIN { for (i = 0; i < 2000; i++) print i, i }' >"$T/recs"
	_ok open "$d/insert" w writefile "$T/recs" close
	[ "$(_stat "$d" height)" = 3 ] || _fail "$d: height not 3"
	# The leaf holding key 1000.
	LEAF=
	for b in $(cd "$d/pages" && printf '%s\n' * | sort -n); do
		[ "$b" != 0 ] || continue
		"$XFBT_PAGE" block "$d/pages/$b" >"$T/dec"
		if awk '$1 == "level" && $2 == 0 { leaf = 1 }
			$1 == "rec" && $2 == 1000 { has = 1 }
			END { exit !(leaf && has) }' "$T/dec"; then
			LEAF=$b
			break
		fi
	done
	[ -n "$LEAF" ] || _fail "test bug: no leaf holds key 1000"
	cat "$d/pages/$LEAF" >"$f"
	printf 'XKV4' | dd of="$f" bs=1 seek=0 conv=notrunc 2>/dev/null
	[ "$how" = stale ] || "$XFBT_PAGE" fixcrc "$f"
	_ok open "$d/pages/$LEAF" w writefile "$f" close
}

# reads DIR ERRNO WHY FILE STEPS...: the probe's reads of FILE fail with
# ERRNO, and errors gains exactly one line, the probe's, naming the block.
reads()
{
	local d=$1 e=$2 why=$3 file=$4 n got pid

	shift 4
	n=$(nerr "$d")
	got=$(as_child "$T/pid" "$XFBT_PROBE" "$@")
	pid=$(cat "$T/pid")
	[[ "${got% }" == *"$e $e $e" ]] ||
		_fail "$file: reads of a damaged block: '$got'"
	[ "$(nerr "$d")" = $((n + 1)) ] ||
		_fail "$file: three failed reads made $(($(nerr "$d") - n))" \
			"lines in errors, not one"
	last "$d" "pid $pid $file: read: $why: block $LEAF: .+"
	echo "   $(tail -n 1 "$d/errors")"
}

for how in fix stale; do
	if [ "$how" = fix ]; then
		e=EUCLEAN why='Structure needs cleaning'
	else
		e=EBADMSG why='Bad message'
	fi
	d=$MNT/c$how
	damaged "$d" "$how"
	echo "== leaf $LEAF damaged, checksum $how: $e"
	reads "$d" "$e" "$why" records \
		open "$d/records" r read read1 4096 read1 4096
	reads "$d" "$e" "$why" lookup \
		open "$d/lookup" rw write $'range 0 1999\n' read read read
	reads "$d" "$e" "$why" lookup \
		open "$d/lookup" rw write $'eq 1000\n' read read read
	# Once per open file: two open files, two lines.
	n=$(nerr "$d")
	got=$(_probe open "$d/records" r read read \
		open "$d/records" r read read)
	[ "${got% }" = "OK $e $e OK $e $e" ] ||
		_fail "two open files of records: '$got'"
	[ "$(nerr "$d")" = $((n + 2)) ] ||
		_fail "two open files made $(($(nerr "$d") - n)) lines"
	# A read that succeeds says nothing: stats and pages still read.
	n=$(nerr "$d")
	cat "$d/stats" "$d/pages/$LEAF" >/dev/null
	[ "$(nerr "$d")" = "$n" ] || _fail "good reads wrote to errors"
	rmdir "$d"
done

_check "$B"
_umount
