#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# hostile.sh: input meant to hurt (xfbtreefs(5), WRITES:
# bad input of any kind gets a clear error and changes
# nothing; the daemon does not crash, leak or hang).  For a kv, an rmap
# and a refcount btree: random bytes (single bytes that cannot be good,
# 16 bytes to 3 MiB, and digit soup) written to insert, delete, lookup
# and type; NUL bytes at the start, inside and at the end of a line,
# alone, in a tail split over one-byte writes and in a last line left
# for close (in a comment it is ignored, like the rest of the comment).
# Control characters in bad lines never reach errors or the log: one
# line per failure, no fake entries, no escape sequences.  Lines of
# exactly 4095 bytes (the limit: taken) and 4096 (EINVAL) in one write,
# split over writes, left for close, as comments, as blank space and as
# lookup queries.  An endless line (10 MiB, no newline) in 1000-byte,
# 4 KiB and 1 MiB writes on four open files at once and through a pipe:
# EINVAL each time the tail would pass 4095 bytes, nothing changed, the
# daemon's memory flat.  A 64 MiB write() whose last line is bad: the
# kernel cuts it into max_write requests, every request before the bad
# one took effect and nothing after, the write comes back short.  lookup
# takes at most 100000 queries per write.  Then the errnos the shell can
# reach that files.sh and root.sh do not cover: EACCES for tree.dot,
# EISDIR, ENOTDIR, EPERM, EBUSY, EEXIST and EINVAL from renameat2,
# ENAMETOOLONG with multi-byte names and for a lookup of a long name,
# ENOENT for page names that are not block numbers, ENOTSUP on the root,
# and a write offset past 2^62.  After every refused input the btree is
# byte for byte as before and check says ok.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# The daemon's resident memory, in KiB.
rss()
{
	awk '$1 == "VmRSS:" { print $2 }' "/proc/$_XFBT_PID/status"
}

# A line of exactly $1 bytes: $2 with its first field padded with
# leading zeros (the number stays the same).
padded()
{
	local len=$1 line=$2 zeros

	[ "$len" -ge ${#line} ] || _fail "test bug: '$line' is over $len bytes"
	printf -v zeros '%*s' $((len - ${#line})) ''
	printf '%s%s' "${zeros// /0}" "$line"
}

# For each type: one record that is in the btree, one that is not, the
# key of the first as lookup takes it and the line delete takes for it
# (rmap deletes whole records; kv and refcount take keys alone).
declare -A rec_in rec_new key_in del_in SNAP
rec_in[kv]="30 10"
rec_new[kv]="31 31"
key_in[kv]="30"
del_in[kv]="30"
rec_in[rmap]="160 8 138 0"
rec_new[rmap]="161 1 500 0"
key_in[rmap]="160 138 0"
del_in[rmap]="160 8 138 0"
rec_in[refcount]="160 8 2"
rec_new[refcount]="169 1 2"
key_in[refcount]="160"
del_in[refcount]="160"

_mount
# The daemon logs max_write when the kernel's INIT reaches it, which may
# be a moment after the mount shows in /proc/mounts.
for ((i = 0; i < 100; i++)); do
	max_write=$(sed -n 's/.*mounted: max_write \([0-9]*\).*/\1/p' \
		"$_XFBT_LOG" | tail -n 1)
	[ -z "$max_write" ] || break
	_xfbt_nap 0.1
done
[ -n "$max_write" ] || _fail "no max_write in the daemon log"

for t in kv rmap refcount; do
	mkdir "$MNT/$t"
	echo "$t" >"$MNT/$t/type"
	awk -v t="$t" 'BEGIN {
		for (i = 0; i < 600; i++) {
			if (t == "kv")
				print i * 3, i
			else if (t == "rmap")
				print i * 16, 8, 128 + i, 0
			else
				print i * 16, 8, 2
		}
	}' >"$MNT/$t/insert"
	[ "$(_stat "$MNT/$t" height)" -ge 2 ] || _fail "$t: one leaf only"
done
for t in kv rmap refcount; do
	grep -qx "${rec_in[$t]}" "$MNT/$t/records" ||
		_fail "test bug: '${rec_in[$t]}' not in $t"
	_snap_v "SNAP[$t]" "$MNT/$t"
done

# ---- random bytes ---------------------------------------------------------

# (Not fewer than 16 random bytes: one byte may be a digit, and "3" is a
# fine delete.  Single bytes that cannot be anything good instead.)
sizes="16 100 4095 65536 3145728"
for s in $sizes; do
	head -c "$s" /dev/urandom >"$T/rand.$s"
done
printf '\001' >"$T/byte.1"
printf '\377' >"$T/byte.2"
printf 'x' >"$T/byte.3"
printf '\033\n' >"$T/byte.4"
# Digit soup: numbers, spaces and newlines in random order; lines that
# parse, lines with a field too many or too few.
(tr -dc '0-9 \n' </dev/urandom || true) | head -c 65536 >"$T/soup"
declare -A SIZE
for in in "$T"/rand.* "$T"/byte.* "$T/soup"; do
	SIZE[$in]=$(stat -c %s "$in")
done

# try_random DIR FILE INPUT: one write of INPUT and a close (lookup: and
# a read of the answer in between, which must be empty).  Refused at the
# write, or at the close (a last line without newline); accepted only if
# INPUT is short enough to be nothing but blank lines and comments.
try_random()
{
	local d=$1 f=$2 in=$3 got size

	size=${SIZE[$in]}
	: >"$T/answer"
	if [ "$f" = lookup ]; then
		_probe_v got -o "$T/answer" open "$d/$f" rw writefile "$in" \
			read close
		got=${got% }
		got=${got/ OK / }	# the read: OK, and the answer empty
		[ ! -s "$T/answer" ] ||
			_fail "an answer to random bytes: $(head -c 99 "$T/answer")"
	else
		_probe_v got open "$d/$f" w writefile "$in" close
		got=${got% }
	fi
	case $got in
	"OK EINVAL OK" | "OK OK EINVAL") ;;
	"OK OK OK")
		[ "$size" -lt 4095 ] ||
			_fail "$d/$f took $size random bytes"
		;;
	"OK EEXIST OK" | "OK ENOENT OK")
		# Digit soup may meet a duplicate or a missing record first.
		[[ "$in" == *soup ]] ||
			_fail "$d/$f, $size random bytes: '$got'"
		;;
	*)
		_fail "$d/$f, $size bytes of $(basename "$in"): '$got'" \
			"($(od -An -c -N 32 "$in" | tr -s ' \n' ' '))"
		;;
	esac
}

for t in kv rmap refcount; do
	d=$MNT/$t
	for f in insert delete lookup type; do
		for in in "$T"/rand.* "$T"/byte.*; do
			try_random "$d" "$f" "$in"
		done
		[ "$f" = type ] || try_random "$d" "$f" "$T/soup"
		_unchanged "$d" "${SNAP[$t]}"
		_content "$d/type" "$t"
	done
done
# The btree of the last write is named in errors, with a reason.
[ -n "$(tail -n 1 "$MNT/refcount/errors")" ] || _fail "nothing in errors"

# ---- NUL bytes --------------------------------------------------------------

# nul_cases DIR FILE GOOD: NUL bytes around a good line of FILE (GOOD
# must be fine on its own: a new record, an existing one to delete, a
# query): every write is refused and nothing changes.
nul_cases()
{
	local d=$1 f=$2 good=$3 mode=w i=0 in

	[ "$f" != lookup ] || mode=rw
	printf '\0\n' >"$T/nul.1"
	printf '%s\n\0%s\n' "$good" "$good" >"$T/nul.2"
	printf '%s\n%s\0%s\n' "$good" "${good:0:1}" "${good:1}" >"$T/nul.3"
	printf '%s\0\n' "$good" >"$T/nul.4"
	printf '%s\n%s\0 \n' "$good" "$good" >"$T/nul.5"
	printf '# a comment\0 hides nothing\n' >"$T/nul.6"
	for in in "$T"/nul.[1-5]; do
		_expect "OK EINVAL OK" open "$d/$f" "$mode" writefile "$in" \
			close
	done
	# A comment is ignored whatever it holds.
	_expect "OK OK OK" open "$d/$f" "$mode" writefile "$T/nul.6" close
	# In the tail left for close: the write is fine, close is not.
	printf '%s\0' "$good" >"$T/nul.7"
	_expect "OK OK EINVAL" open "$d/$f" "$mode" writefile "$T/nul.7" close
	printf '\0' >"$T/nul.8"
	_expect "OK OK EINVAL" open "$d/$f" "$mode" writefile "$T/nul.8" close
	# Split over one-byte writes: the tail waits, the newline fails it.
	printf '%s\0\n' "$good" >"$T/nul.9"
	i=$(($(stat -c %s "$T/nul.9") - 1))
	_expect "OK OK*$i,EINVAL OK" open "$d/$f" "$mode" \
		writechunks "$T/nul.9" 1 close
}

for t in kv rmap refcount; do
	d=$MNT/$t
	nul_cases "$d" insert "${rec_new[$t]}"
	nul_cases "$d" delete "${del_in[$t]}"
	nul_cases "$d" lookup "eq ${key_in[$t]}"
	for v in 'kv\0' '\0kv' 'rmap\0\n' 'kv\n\0' 'refcount\0\n' '\0'; do
		# shellcheck disable=SC2059
		printf "$v" >"$T/type.nul"
		_expect "OK EINVAL OK" open "$d/type" w \
			writefile "$T/type.nul" close
	done
	_unchanged "$d" "${SNAP[$t]}"
	_content "$d/type" "$t"
done

# Whatever a bad line holds, errors and the log get one line per failure
# and no control characters (tabs aside): no fake entries, no escape
# sequences for whoever reads them.
mkdir "$MNT/ctl"
_expect_errno EINVAL open "$MNT/ctl/type" w write $'kv\nfake entry\n'
_expect_errno EINVAL open "$MNT/ctl/insert" w write $'1\e[2J 1\r\n'
_expect_errno EINVAL open "$MNT/ctl/delete" w write $'\b\b\b\x7f\n'
[ "$(wc -l <"$MNT/ctl/errors")" = 3 ] ||
	_fail "3 failures, errors says: $(cat -v "$MNT/ctl/errors")"
rmdir "$MNT/ctl"
no_controls()
{
	[ "$(tr -d '\n\t\040-\176\200-\377' <"$1" | wc -c)" = 0 ] ||
		_fail "control characters in $1: $(grep -a '[[:cntrl:]]' "$1" |
			head -n 3 | cat -v)"
}
for t in kv rmap refcount; do
	no_controls "$MNT/$t/errors"
done
no_controls "$_XFBT_LOG"

# ---- lines of 4095 and 4096 bytes ----------------------------------------

# limit_cases DIR FILE LINE UNDO_FILE UNDO_LINE: LINE padded to 4095
# bytes is taken in every form, and each time UNDO_LINE written to
# UNDO_FILE puts the records back (not the page bytes: an insert may have
# moved records to a sibling); padded to 4096 it is refused in every form
# and changes nothing at all.
limit_cases()
{
	local d=$1 f=$2 line=$3 undo_file=$4 undo_line=$5 snap ok bad recs

	_probe_v recs sum "$d/records"
	_snap_v snap "$d"
	ok=$(padded 4095 "$line")
	bad=$(padded 4096 "$line")
	if [ ${#ok} != 4095 ] || [ ${#bad} != 4096 ]; then
		_fail "test bug: padding"
	fi
	# It took effect; undo it.
	taken()
	{
		local now

		_probe_v now sum "$d/records"
		[ "$now" != "$recs" ] ||
			_fail "$d/$f: a 4095-byte line changed nothing"
		_write "$d/$undo_file" "$undo_line"$'\n'
		_probe_v now sum "$d/records"
		[ "$now" = "$recs" ] ||
			_fail "$d: records not back after $undo_file $undo_line"
		_check "$d"
		_snap_v snap "$d"
	}
	# One write.
	_write "$d/$f" "$ok"$'\n'
	taken
	_expect_errno EINVAL open "$d/$f" w write "$bad"$'\n'
	_unchanged "$d" "$snap"
	# Split over 1000-byte writes: the tail holds 4000, the last piece
	# completes it.
	printf '%s\n' "$ok" >"$T/line"
	_expect "OK OK OK" open "$d/$f" w writechunks "$T/line" 1000 close
	taken
	printf '%s\n' "$bad" >"$T/line"
	_expect "OK OK*4,EINVAL OK" open "$d/$f" w writechunks "$T/line" 1000 \
		close
	_unchanged "$d" "$snap"
	# Exactly 4095 bytes waiting, then the newline alone; or one byte
	# more.
	_expect "OK OK OK OK" open "$d/$f" w write "$ok" write $'\n' close
	taken
	_expect "OK OK EINVAL OK" open "$d/$f" w write "$ok" write "0" close
	_unchanged "$d" "$snap"
	# Left for close without a newline.
	_expect "OK OK OK" open "$d/$f" w write "$ok" close
	taken
	printf '%s' "$ok" >"$T/line"
	_expect "OK OK OK" open "$d/$f" w writechunks "$T/line" 1000 close
	taken
	_expect "OK EINVAL OK" open "$d/$f" w write "$bad" close
	printf '%s' "$bad" >"$T/line"
	_expect "OK OK*4,EINVAL OK" open "$d/$f" w writechunks "$T/line" 1000 \
		close
	_unchanged "$d" "$snap"
}

for t in kv rmap refcount; do
	d=$MNT/$t
	undo_line=${rec_new[$t]}
	[ "$t" = rmap ] || undo_line=${rec_new[$t]%% *}
	limit_cases "$d" insert "${rec_new[$t]}" delete "$undo_line"
	limit_cases "$d" delete "${del_in[$t]}" insert "${rec_in[$t]}"
	# A query of 4095 bytes ("eq " and 4092) is answered; 4096 is EINVAL.
	q=$(padded 4092 "${key_in[$t]}")
	rm -f "$T/answer"
	_expect "OK OK OK" -o "$T/answer" open "$d/lookup" rw \
		write "eq $q"$'\n' read
	_content "$T/answer" "${rec_in[$t]}"
	q=$(padded 4093 "${key_in[$t]}")
	rm -f "$T/answer"
	_expect "OK EINVAL OK" -o "$T/answer" open "$d/lookup" rw \
		write "eq $q"$'\n' read
	[ ! -s "$T/answer" ] || _fail "$t: a 4096-byte query was answered"
	# The records are as at the start; the pages may have moved.
	_snap_v snap "$d" light
	_unchanged "$d" "$snap"
	[ "${snap%%$'\n'*}" = "${SNAP[$t]%%$'\n'*}" ] ||
		_fail "$t: records differ after the 4095-byte lines"
	_snap_v "SNAP[$t]" "$d"
done
# Comments and blank space count too.
d=$MNT/kv
printf -v c '#%04094d' 0
_write "$d/insert" "$c"$'\n'
_expect_errno EINVAL open "$d/insert" w write "${c}0"$'\n'
printf -v c '%4095s' ''
_write "$d/insert" "$c"$'\n'
_expect_errno EINVAL open "$d/insert" w write "$c "$'\n'
_unchanged "$d" "${SNAP[kv]}"

# ---- an endless line -----------------------------------------------------

head -c 10485760 /dev/zero | tr '\0' x >"$T/endless"
d=$MNT/kv
rss0=$(rss)
# Tokens: 4 opens, then per file sel and writechunks (4 to 11), sleep
# (12), then sel and close, the lookup answer read before its close.
# 1000-byte writes: four fit in the 4095-byte tail, the fifth fails and
# drops it, and every write after it is the rest of that refused line
# (no newline ever comes): EINVAL too.  4 KiB and 1 MiB writes fail at
# once, and so do the rest.  Closing ends the refused line: nothing is
# pending, close succeeds.  Two files of each at once.
"$XFBT_PROBE" -o /dev/null \
	open "$d/insert" w open "$d/insert" w open "$d/lookup" rw \
	open "$d/delete" w \
	sel 0 writechunks "$T/endless" 1000 \
	sel 1 writechunks "$T/endless" 1000 \
	sel 2 writechunks "$T/endless" 4096 \
	sel 3 writechunks "$T/endless" 1048576 \
	sleep 1500 \
	sel 0 close sel 1 close sel 2 read close sel 3 close \
	>"$T/endless.out" &
probe=$!
_track "$probe"
# While they are open: the memory the daemon holds for them.
_wait_tokens "$T/endless.out" 12 60
rss1=$(rss)
_wait "$probe"
read -r -a toks <"$T/endless.out"
want_small=OK*4,EINVAL*10482
[ "${#toks[@]}" = 22 ] || _fail "endless line: '${toks[*]:0:30}'"
[ "${toks[5]}" = "$want_small" ] || _fail "1000-byte writes: ${toks[5]:0:100}"
[ "${toks[7]}" = "$want_small" ] || _fail "1000-byte writes: ${toks[7]:0:100}"
[ "${toks[9]}" = "EINVAL*2560" ] || _fail "4 KiB writes: ${toks[9]}"
[ "${toks[11]}" = "EINVAL*10" ] || _fail "1 MiB writes: ${toks[11]}"
# Closing: nothing is pending anywhere; the lookup answer is empty.
[ "${toks[*]:12}" = "OK OK OK OK OK OK OK OK OK OK" ] ||
	_fail "closing after the endless line: '${toks[*]:12}'"
# Through a pipe: the writer fails (EINVAL), the daemon does not.
st=$(head -c 10485760 "$T/endless" | cat >"$d/insert" 2>/dev/null ||
	echo "${PIPESTATUS[1]}")
[ "$st" = 1 ] || _fail "an endless line through a pipe: cat says '$st'"
grep -q 'line too long' <(tail -n 1 "$d/errors") ||
	_fail "errors: $(tail -n 1 "$d/errors")"
_unchanged "$d" "${SNAP[kv]}"
rss2=$(rss)
echo "daemon RSS: ${rss0} KiB before, ${rss1} KiB with four endless lines" \
	"open, ${rss2} KiB after"
for r in "$rss1" "$rss2"; do
	[ $((r - rss0)) -lt 16384 ] ||
		_fail "an endless line: daemon memory from $rss0 to $r KiB"
done

# ---- a 64 MiB write with a bad last line ----------------------------------

# Records among 1000-byte comments, then a bad line: 64 MiB in one
# write(), cut by the kernel into max_write requests.
mkdir "$MNT/huge"
awk 'BEGIN {
	pad = sprintf("#%0999d", 0)
	for (i = 0; size < 67108864 - 2048; i++) {
		line = i " " i * 7
		print line
		print pad
		size += length(line) + 1 + length(pad) + 1
	}
	print "bad line"
}' >"$T/huge"
size=$(stat -c %s "$T/huge")
# The request holding the bad line's newline fails; those before it stand.
n=$(((size - 1) / max_write * max_write))
got=$(_probe open "$MNT/huge/insert" w writefile "$T/huge" close)
[ "${got% }" = "OK SHORT:$n OK" ] ||
	_fail "64 MiB write with a bad last line: '$got' (expected SHORT:$n)"
# Exactly the lines ended within the first n bytes: a line cut at the
# boundary waited as the tail and went with the failed request.
awk -v n="$n" '{ off += length($0) + 1 } off <= n && /^[0-9]/' "$T/huge" \
	>"$T/huge.want"
# (Through cat: cmp -s and GNU sort trust st_size, which is 0 here.)
cmp -s "$T/huge.want" <(cat "$MNT/huge/records") ||
	_fail "64 MiB write: $(_stat "$MNT/huge" records) records," \
		"expected $(wc -l <"$T/huge.want")"
[ "$(_stat "$MNT/huge" records)" = "$(wc -l <"$T/huge.want")" ] ||
	_fail "64 MiB write: stats records"
_check "$MNT/huge"
grep -q 'bad line' <(tail -n 1 "$MNT/huge/errors") ||
	_fail "the bad line is not in errors"
rmdir "$MNT/huge"

# ---- lookup: at most 100000 queries per write --------------------------

d=$MNT/kv
awk 'BEGIN { for (i = 0; i < 100000; i++) print "eq 30" }' >"$T/q100k"
rm -f "$T/answer"
_expect "OK OK OK OK" -o "$T/answer" open "$d/lookup" rw \
	writefile "$T/q100k" read close
[ "$(wc -l <"$T/answer")" = 100000 ] || _fail "100000 queries"
[ "$(sort -u "$T/answer")" = "30 10" ] || _fail "100000 queries: answer"
echo "eq 30" >>"$T/q100k"
rm -f "$T/answer"
_expect "OK EINVAL OK OK" -o "$T/answer" open "$d/lookup" rw \
	writefile "$T/q100k" read close
[ ! -s "$T/answer" ] || _fail "100001 queries were answered"
grep -q 'too many queries' <(tail -n 1 "$d/errors") ||
	_fail "errors: $(tail -n 1 "$d/errors")"
_unchanged "$d" "${SNAP[kv]}"

# ---- errnos the shell can reach ------------------------------------------

d=$MNT/kv
e=$MNT/rmap
# EACCES: tree.dot is read-only like the others.
_expect_errno EACCES open "$d/tree.dot" w
_expect_errno EACCES open "$d/tree.dot" rw
# EISDIR: directories are not opened for writing, nor read as files.
for p in "$MNT" "$d" "$d/pages"; do
	_expect_errno EISDIR open "$p" w
	_expect_errno EISDIR open "$p" rw
	_expect_errno EISDIR open "$p" r read1 10
done
_expect_errno EISDIR unlink "$d"
# ENOTDIR: files are not directories.
_expect_errno ENOTDIR open "$d/records" rd
_expect_errno ENOTDIR stat "$d/records/x"
_expect_errno ENOTDIR mkdir "$d/insert/x"
_expect_errno ENOTDIR rmdir "$d/insert"
_expect_errno ENOTDIR rmdir "$d/pages/1"
# EPERM: pages/ stays; nothing moves between or into btree directories.
_expect_errno EPERM rmdir "$d/pages"
_expect_errno EPERM rename "$e" "$d/rmap"
_expect_errno EPERM rename "$e" "$d/pages/rmap"
_expect_errno EPERM rename "$d/insert" "$e/insert"
_expect_errno EPERM rename "$d/pages/1" "$d/pages/2"
_expect_errno EPERM link "$e" "$MNT/hard"
# EINVAL: a btree into itself; EBUSY: the mount point itself.
_expect_errno EINVAL rename "$e" "$e/x"
_expect_errno EBUSY rmdir "$MNT"
# renameat2: NOREPLACE onto a btree is EEXIST, to a free name it renames;
# EXCHANGE is EINVAL.
_expect_errno EEXIST rename2 "$e" "$d" noreplace
_expect_errno EINVAL rename2 "$e" "$d" exchange
_expect OK rename2 "$e" "$MNT/moved" noreplace
_expect OK rename2 "$MNT/moved" "$e" noreplace
# Names are bytes: 255 of them in two-byte characters is fine, 256 not.
printf -v u '%127s' ''
u=${u// /é}
_expect OK mkdir "$MNT/${u}x"
_expect_errno ENAMETOOLONG mkdir "$MNT/${u}é"
_expect_errno ENAMETOOLONG rename "$MNT/${u}x" "$MNT/${u}é"
_expect_errno ENAMETOOLONG stat "$d/${u}é"
_expect OK rmdir "$MNT/${u}x"
# EEXIST: "." and ".." name what exists.
_expect_errno EEXIST mkdir "$MNT/."
_expect_errno EEXIST mkdir "$d/.."
# pages/ holds block numbers in canonical decimal, nothing else.
for n in 01 +1 " 1" "1 " 0x1 -1 1.0 18446744073709551615 \
	99999999999999999999 1e3 ""; do
	[ -z "$n" ] && continue
	_expect_errno ENOENT stat "$d/pages/$n"
	_expect_errno ENOENT open "$d/pages/$n" r
done
_expect_errno ENOENT stat "$d/nosuchfile"
# Extended attributes: ENOTSUP on the root and the files files.sh skips.
for p in "$MNT" "$d/tree.dot" "$d/type" "$d/lookup" "$d/pages"; do
	_expect_errno ENOTSUP setxattr "$p" user.test value
	_expect_errno ENOTSUP getxattr "$p" user.test
	_expect_errno ENOTSUP listxattr "$p"
	_expect_errno ENOTSUP removexattr "$p" user.test
done
# The write offset does not matter, even past 2^62.
_expect "OK OK OK OK" open "$d/insert" w seek 4611686018427387904 \
	write $'31 31\n' close
_content "$MNT/kv/records" "$(awk 'BEGIN {
	for (i = 0; i < 600; i++) { print i * 3, i; if (i == 10) print 31, 31 }
}')"
_expect "OK OK OK OK" open "$d/delete" w seek 4611686018427387904 \
	write $'31\n' close
for t in kv rmap refcount; do
	_unchanged "$MNT/$t" "${SNAP[$t]}"
done
