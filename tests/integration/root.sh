#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# root.sh: the mount's root (xfbtreefs(5), THE ROOT).  mkdir makes an empty kv
# btree, rmdir destroys one even when it holds records, mv renames one
# (ENOTEMPTY onto an existing btree, records and inode numbers kept), ls
# lists exactly the btrees.  Names are 1..255 bytes not starting with "."
# (EINVAL, ENAMETOOLONG); nothing but directories can be made in the root
# (EPERM).  After every refused operation the root and the btrees are as
# they were.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# A name of $1 bytes.
name_of()
{
	local s

	printf -v s '%*s' "$1" ''
	echo "${s// /n}"
}

# The root must list exactly the names given (any order).
expect_ls()
{
	local want got

	want=$(printf '%s\n' "$@" | sort)
	got=$(find "$MNT" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort)
	[ "$got" = "$want" ] || _fail "root lists [$got], expected [$want]"
}

_mount

expect_ls

# mkdir: a new, empty btree of type kv.
mkdir "$MNT/a"
[ -d "$MNT/a" ] || _fail "a is not a directory"
_content "$MNT/a/type" kv
_content "$MNT/a/records" ""
[ "$(_stat "$MNT/a" records)" = 0 ] || _fail "new btree: stats records"
_check "$MNT/a"
expect_ls a

_write "$MNT/a/insert" $'1 10\n2 20\n3 30\n'
mkdir "$MNT/b"
_write "$MNT/b/insert" $'7 70\n'
expect_ls a b
_content "$MNT/b/errors" ""

# Refused operations on the root; nothing may change.
snap_a=$(_snap "$MNT/a")
snap_b=$(_snap "$MNT/b")
unchanged()
{
	expect_ls "$@"
	_unchanged "$MNT/a" "$snap_a"
	_unchanged "$MNT/b" "$snap_b"
}

_expect_errno EEXIST mkdir "$MNT/a"
_expect_errno ENOENT rmdir "$MNT/nosuch"
_expect_errno ENOENT rename "$MNT/nosuch" "$MNT/c"
_expect_errno ENOTEMPTY rename "$MNT/a" "$MNT/b"
_expect_errno ENOTEMPTY rename "$MNT/b" "$MNT/a"
unchanged a b

# Name rules.
_expect_errno EINVAL mkdir "$MNT/.hidden"
_expect_errno EINVAL mkdir "$MNT/.a"
_expect_errno EINVAL rename "$MNT/a" "$MNT/.a"
long=$(name_of 256)
_expect_errno ENAMETOOLONG mkdir "$MNT/$long"
_expect_errno ENAMETOOLONG rename "$MNT/a" "$MNT/$long"
unchanged a b

# Nothing but directories in the root.
_expect_errno EPERM open "$MNT/file" wc
_expect_errno EPERM open "$MNT/file" wcx
_expect_errno EPERM mknod "$MNT/node"
_expect_errno EPERM mkfifo "$MNT/fifo"
_expect_errno EPERM symlink a "$MNT/sym"
_expect_errno EPERM link "$MNT/a/insert" "$MNT/hard"
unchanged a b

# Names that are fine: 1 byte, 255 bytes, dots after the first byte,
# spaces, tabs, UTF-8, a leading dash.
max=$(name_of 255)
for n in z "$max" "a.b" "x." "with space" $'tab\there' "é-ü" "-dash" "0"; do
	_expect OK mkdir "$MNT/$n"
	_content "$MNT/$n/type" kv
	_write "$MNT/$n/insert" $'5 5\n'
	_content "$MNT/$n/records" "5 5"
done
expect_ls a b z "$max" "a.b" "x." "with space" $'tab\there' "é-ü" "-dash" "0"
for n in z "$max" "a.b" "x." "with space" $'tab\there' "é-ü" "-dash" "0"; do
	_expect OK rmdir "$MNT/$n"
done
unchanged a b

# mv renames: records and inode numbers go along, the old name is gone.
files="type insert delete lookup records stats check errors pages"
inodes()
{
	local f

	stat -c %i "$1"
	for f in $files; do
		stat -c %i "$1/$f"
	done
}
ino_a=$(inodes "$MNT/a")
_expect OK rename "$MNT/a" "$MNT/c"
expect_ls b c
[ "$(inodes "$MNT/c")" = "$ino_a" ] || _fail "rename changed inode numbers"
_unchanged "$MNT/c" "$snap_a"
_expect_errno ENOENT stat "$MNT/a"
# A 255-byte new name is fine.
_expect OK rename "$MNT/c" "$MNT/$max"
_expect OK rename "$MNT/$max" "$MNT/a"
expect_ls a b
_unchanged "$MNT/a" "$snap_a"

# Inode numbers stay the same across inserts, deletes and lookups.
_write "$MNT/a/insert" $'100 1\n'
_write "$MNT/a/delete" $'100\n'
_write "$MNT/a/lookup" $'eq 1\n'
[ "$(inodes "$MNT/a")" = "$ino_a" ] || _fail "inode numbers changed"
_unchanged "$MNT/a" "$snap_a"

# rmdir destroys a btree that holds records; the name is free again and a
# new btree under it starts empty.
_expect OK rmdir "$MNT/a"
expect_ls b
_expect_errno ENOENT stat "$MNT/a/records"
_expect OK mkdir "$MNT/a"
_content "$MNT/a/records" ""
_check "$MNT/a"
_unchanged "$MNT/b" "$snap_b"

# Many btrees: every one is listed once, each is its own btree.
for i in $(seq 1 200); do
	mkdir "$MNT/t$i"
done
for i in 1 77 200; do
	_write "$MNT/t$i/insert" "$i $i"$'\n'
done
names=(a b)
for i in $(seq 1 200); do
	names+=("t$i")
done
expect_ls "${names[@]}"
for i in 1 77 200; do
	_content "$MNT/t$i/records" "$i $i"
done
_content "$MNT/t2/records" ""
for i in $(seq 1 200); do
	rmdir "$MNT/t$i"
done
expect_ls a b
_unchanged "$MNT/b" "$snap_b"
