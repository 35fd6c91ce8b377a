#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# files.sh: the files of a btree directory as files (xfbtreefs(5),
# FILES): their modes, EACCES when opened for a use the mode
# does not allow (for root too), EPERM for creating, linking, renaming,
# unlinking, chmod and chown, ENOTSUP for extended attributes, touch and
# truncation accepted without effect, seekable synthetic files, reads in
# small pieces giving the same text, and the `type` file (kv on an empty
# btree, EINVAL for garbage, EBUSY once it holds records).  After every
# refused operation the btree is exactly as before.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

_mount
B=$MNT/b
mkdir "$B"

# The files xfbtreefs(5) lists are all there.
for f in type insert delete lookup records stats check errors; do
	[ -f "$B/$f" ] || _fail "$f is missing or not a regular file"
done
[ -d "$B/pages" ] || _fail "pages/ is missing or not a directory"

# Modes: the owner's r and w bits follow xfbtreefs(5).
for f in type lookup; do
	mode=$(stat -c %A "$B/$f")
	[ "${mode:1:2}" = rw ] || _fail "$f has mode $mode, expected rw"
done
for f in insert delete; do
	mode=$(stat -c %A "$B/$f")
	[ "${mode:1:2}" = -w ] || _fail "$f has mode $mode, expected w only"
done
for f in records stats check errors; do
	mode=$(stat -c %A "$B/$f")
	[ "${mode:1:2}" = r- ] || _fail "$f has mode $mode, expected r only"
done
mode=$(stat -c %A "$B/pages")
[ "${mode:1:1}" = r ] || _fail "pages/ has mode $mode, expected readable"

_write "$B/insert" $'1 10\n2 20\n3 30\n'
snap=$(_snap "$B")
ls_b=$(ls "$B")

unchanged()
{
	_unchanged "$B" "$snap"
	[ "$(ls "$B")" = "$ls_b" ] || _fail "the btree directory changed"
}

# EACCES: opening for a use the mode does not allow.
for f in insert delete; do
	_expect_errno EACCES open "$B/$f" r
	_expect_errno EACCES open "$B/$f" rw
done
for f in records stats check errors; do
	_expect_errno EACCES open "$B/$f" w
	_expect_errno EACCES open "$B/$f" rw
	_expect_errno EACCES open "$B/$f" wt
done
_expect_errno EACCES open "$B/pages/1" w
_expect_errno EACCES open "$B/pages/1" rw
_expect_errno EACCES open "$B/pages/0" w
unchanged

# EPERM: creating, linking, renaming inside a btree directory.
_expect_errno EPERM open "$B/new" wc
_expect_errno EPERM open "$B/new" wcx
_expect_errno EPERM mknod "$B/new"
_expect_errno EPERM mkfifo "$B/new"
_expect_errno EPERM mkdir "$B/new"
_expect_errno EPERM symlink insert "$B/new"
_expect_errno EPERM link "$B/insert" "$B/new"
_expect_errno EPERM rename "$B/insert" "$B/new"
_expect_errno EPERM rename "$B/records" "$B/insert"
_expect_errno EPERM rename "$B/stats" "$MNT/stats"
_expect_errno EPERM rename "$B/pages" "$B/new"
_expect_errno EPERM open "$B/pages/new" wc
_expect_errno EPERM mkdir "$B/pages/new"
_expect_errno EPERM mknod "$B/pages/7"
# Unlinking any file but data, chmod, chown.
for f in type insert delete lookup records stats check errors; do
	_expect_errno EPERM unlink "$B/$f"
	_expect_errno EPERM chmod "$B/$f" 0666
	_expect_errno EPERM chown "$B/$f" 0 0
	_expect_errno EPERM chown "$B/$f" 1 1
done
_expect_errno EPERM unlink "$B/pages/1"
_expect_errno EPERM unlink "$B/pages/0"
_expect_errno EPERM chmod "$B/pages/1" 0644
unchanged

# Extended attributes: ENOTSUP, on the files and on the directory.
for f in insert records stats pages/1 ""; do
	_expect_errno ENOTSUP setxattr "$B/$f" user.test value
	_expect_errno ENOTSUP getxattr "$B/$f" user.test
	_expect_errno ENOTSUP listxattr "$B/$f"
	_expect_errno ENOTSUP removexattr "$B/$f" user.test
done
unchanged

# touch and truncation of the text files succeed and change nothing.
for f in type insert delete lookup records stats check errors; do
	_expect OK utimens "$B/$f"
	touch "$B/$f"
done
for f in type insert delete lookup; do
	_expect OK truncate "$B/$f" 0
	_expect "OK OK OK" open "$B/$f" w ftruncate 0 close
	_expect "OK OK" open "$B/$f" wt close
done
unchanged

# Synthetic files stay seekable.
for f in records stats check errors type lookup; do
	_ok open "$B/$f" r seek 0 seek 4096 seek 0
done
for f in insert delete; do
	_expect "OK OK OK" open "$B/$f" w seek 100 seek 0
done

# Reading in small pieces gives the same text as one big read.
for f in records stats check errors type; do
	a=$(cat "$B/$f")
	b=$(dd if="$B/$f" bs=1 2>/dev/null)
	[ "$a" = "$b" ] || _fail "$f read 1 byte at a time differs"
	b=$(dd if="$B/$f" bs=7 2>/dev/null)
	[ "$a" = "$b" ] || _fail "$f read 7 bytes at a time differs"
done
# Two open files of records have cursors of their own.
rm -f "$T/r3" "$T/r4"
_ok \
	open "$B/records" r open "$B/records" r \
	out "$T/r3" sel 0 read1 6 \
	out "$T/r4" sel 1 read \
	out "$T/r3" sel 0 read
cmp -s "$T/r3" "$T/r4" || _fail "two open records files interfered"
cmp -s <(cat "$B/records") "$T/r3" || _fail "interleaved records read differs"
unchanged

# type: kv on an empty btree; "kv" can be written to an empty btree (with
# or without a newline), garbage is EINVAL, a non-empty btree is EBUSY.
mkdir "$MNT/e"
E=$MNT/e
_content "$E/type" kv
_write "$E/type" $'kv\n'
_write "$E/type" kv
echo kv >"$E/type"
_content "$E/type" kv
snap_e=$(_snap "$E")
for junk in $'foo\n' $'kvv\n' $'k\n' $'kv kv\n' $'KV0\n' $'1\n'; do
	_expect_errno EINVAL open "$E/type" w write "$junk"
	_unchanged "$E" "$snap_e"
	_content "$E/type" kv
done
for t in kv rmap refcount; do
	_expect_errno EBUSY open "$B/type" w write "$t"$'\n'
done
_expect_any "OK EBUSY OK|OK OK EBUSY" open "$B/type" w write kv close
unchanged
_content "$B/type" kv
# Emptied again, the btree takes a type again.
_write "$B/delete" $'1\n2\n3\n'
_write "$B/type" $'kv\n'
_content "$B/type" kv
_content "$B/records" ""
_check "$B"
