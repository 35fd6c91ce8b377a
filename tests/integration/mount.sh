#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mount.sh: how the daemon mounts.  df -i counts the btrees, never a
# negative number.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# ---- df -i: the btrees are the inodes ------------------------------------

# inodes used|free|total, from statfs.
inodes()
{
	local total free

	read -r total free < <(stat -f -c '%c %d' "$MNT")
	case $1 in
	used) echo $((total - free)) ;;
	free) echo "$free" ;;
	total) echo "$total" ;;
	esac
}

_mount
[ "$(inodes used)" = 0 ] || _fail "no btree yet: df -i used $(inodes used)"
free0=$(inodes free)
[ "$free0" -gt 1000000 ] || _fail "df -i free: $free0"
mkdir "$MNT/a" "$MNT/b" "$MNT/c"
[ "$(inodes used)" = 3 ] || _fail "3 btrees: df -i used $(inodes used)"
[ "$(inodes free)" = $((free0 - 3)) ] ||
	_fail "3 btrees: df -i free $(inodes free), was $free0"
rmdir "$MNT/b"
[ "$(inodes used)" = 2 ] || _fail "2 btrees: df -i used $(inodes used)"
# df itself, as users see it: no negative count anywhere.
out=$(df -i "$MNT" | tail -n 1)
read -r _ itotal iused ifree _ <<<"$out"
if [ "$iused" != 2 ] || [ "$itotal" != $((iused + ifree)) ]; then
	_fail "df -i says: $out"
fi
_umount
