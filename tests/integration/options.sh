#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# options.sh: the mount options (xfbtreefs(8)) and df.  --help and
# --version; blocksize=N for every new btree (default the page size,
# powers of two 512..65536, anything else refused); max_memory=SIZE with
# K/M/G suffixes is what df reports as the size, and df's used space is
# the memory the btrees hold, going back down on rmdir (default: half of
# physical memory with memfd); tmpdir=DIR keeps btrees in unnamed files in
# DIR; standard libfuse options (-s, -d, several -o at once); bad values
# refused without leaving a mount.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# df_bytes total|used: from statfs of the mount, in bytes.
df_bytes()
{
	local frsize blocks free

	read -r frsize blocks free < <(stat -f -c '%S %b %f' "$MNT")
	case $1 in
	total) echo $((frsize * blocks)) ;;
	used) echo $((frsize * (blocks - free))) ;;
	esac
}

# The memory the btrees say they hold, all together.
bytes_held()
{
	local d sum=0

	for d in "$MNT"/*/; do
		[ -d "$d" ] || continue
		sum=$((sum + $(_stat "${d%/}" bytes)))
	done
	echo "$sum"
}

# used_is_held: df's used space is the btrees' memory (to a block).
used_is_held()
{
	local used held frsize

	used=$(df_bytes used)
	held=$(bytes_held)
	frsize=$(stat -f -c %S "$MNT")
	local diff=$((used - held))

	[ "${diff#-}" -lt "$frsize" ] ||
		_fail "df says $used bytes used, the btrees hold $held"
}

# --help and --version answer and exit 0 without mounting.
out=$("$XFBTREEFS" --help 2>&1) || _fail "--help exited non-zero"
for word in blocksize max_memory tmpdir pages_writable; do
	grep -q "$word" <<<"$out" || _fail "--help does not mention $word"
done
out=$("$XFBTREEFS" --version 2>&1) || _fail "--version exited non-zero"
grep -Eq '[0-9]+\.[0-9]+' <<<"$out" || _fail "--version: '$out'"

# blocksize: the default is the page size.
pagesize=$(getconf PAGESIZE)
_mount
mkdir "$MNT/b"
[ "$(_stat "$MNT/b" blocksize)" = "$pagesize" ] || _fail "default blocksize"
# The default cap with memfd is half of physical memory (1% slack).
total=$(df_bytes total)
half=$(($(getconf _PHYS_PAGES) * pagesize / 2))
diff=$((total - half))
[ "${diff#-}" -lt $((half / 100)) ] ||
	_fail "df size $total is not half of physical memory ($half)"
used_is_held
_umount

for bs in 512 1024 8192 65536; do
	_mount "blocksize=$bs"
	mkdir "$MNT/b"
	[ "$(_stat "$MNT/b" blocksize)" = "$bs" ] || _fail "blocksize $bs"
	# Enough records for two levels whatever the size.
	n=$(((bs - 72) / 16))
	n=$((n * 3 / 2))
	awk -v n="$n" 'BEGIN { for (i = 0; i < n; i++) print i, i }' \
		>"$MNT/b/insert"
	[ "$(_stat "$MNT/b" height)" = 2 ] ||
		_fail "$n records at blocksize $bs: height $(_stat "$MNT/b" height)"
	got=$(wc -c < <(cat "$MNT/b/pages/1"))
	[ "$got" = "$bs" ] || _fail "blocksize $bs: pages/1 is $got bytes"
	[ "$(stat -c %s "$MNT/b/pages/0")" = "$bs" ] ||
		_fail "blocksize $bs: pages/0 size"
	_check "$MNT/b"
	# A second btree gets the same block size.
	mkdir "$MNT/c"
	[ "$(_stat "$MNT/c" blocksize)" = "$bs" ] || _fail "second btree"
	used_is_held
	_umount
done
for bad in blocksize=256 blocksize=131072 blocksize=1000 blocksize=4097 \
	blocksize=0 blocksize=abc blocksize= blocksize=-512; do
	_mount_fails "$bad"
done

# max_memory: df's size, with and without suffixes.
for m in 33554432:33554432 64M:67108864 65536K:67108864 1G:1073741824 \
	3G:3221225472; do
	_mount "max_memory=${m%%:*}"
	[ "$(df_bytes total)" = "${m#*:}" ] ||
		_fail "max_memory=${m%%:*}: df size $(df_bytes total)"
	_umount
done
for bad in max_memory=abc max_memory=10X max_memory=-1 max_memory= \
	max_memory=99999999999999999999 max_memory=M; do
	_mount_fails "$bad"
done

# df's used space follows the memory held, up on insert, down on rmdir.
_mount max_memory=256M
used0=$(df_bytes used)
mkdir "$MNT/a" "$MNT/b"
awk 'BEGIN { for (i = 0; i < 100000; i++) print i, i }' >"$MNT/a/insert"
awk 'BEGIN { for (i = 0; i < 50000; i++) print i * 3, i }' >"$MNT/b/insert"
used_is_held
used1=$(df_bytes used)
[ "$used1" -ge $((used0 + 2400000)) ] ||
	_fail "150000 records: df used went from $used0 to $used1 only"
read -r frsize avail < <(stat -f -c '%S %a' "$MNT")
[ $((frsize * avail)) = $(($(df_bytes total) - used1)) ] ||
	_fail "df available is not size - used"
rmdir "$MNT/a"
used_is_held
used2=$(df_bytes used)
[ "$used2" -lt "$used1" ] || _fail "rmdir gave no memory back ($used2)"
awk 'BEGIN { for (i = 0; i < 50000; i++) print i * 3 }' >"$MNT/b/delete"
used_is_held
rmdir "$MNT/b"
[ "$(df_bytes used)" = "$used0" ] ||
	_fail "all btrees gone: df used $(df_bytes used), was $used0"
_umount

# tmpdir: the xfiles are unnamed files in DIR, one or more per btree,
# closed when the btree goes.
X=$T/xfiles
mkdir "$X"
_mount "tmpdir=$X"
in_tmpdir()
{
	local fd n=0 target

	for fd in /proc/"$_XFBT_PID"/fd/*; do
		target=$(readlink "$fd") || continue
		[[ "$target" != "$X"/* ]] || n=$((n + 1))
	done
	echo "$n"
}
mkdir "$MNT/a" "$MNT/b"
awk 'BEGIN { for (i = 0; i < 20000; i++) print i * 7 % 20011, i }' \
	>"$MNT/a/insert"
awk 'BEGIN { for (i = 0; i < 20000; i++) print i * 7 % 20011, i }' |
	sort -n >"$T/want"
cmp -s "$T/want" <(cat "$MNT/a/records") || _fail "tmpdir: records differ"
_check "$MNT/a"
[ "$(in_tmpdir)" -ge 2 ] || _fail "tmpdir: $(in_tmpdir) files in $X"
[ -z "$(ls -A "$X")" ] || _fail "tmpdir: named files in $X: $(ls -A "$X")"
rmdir "$MNT/a" "$MNT/b"
[ "$(in_tmpdir)" = 0 ] || _fail "tmpdir: files left open after rmdir"
_umount
_mount_fails "tmpdir=$T/nosuchdir"
_mount_fails "tmpdir=$T/want"

# Standard libfuse options and several -o at once.
_mount -s
mkdir "$MNT/b"
_write "$MNT/b/insert" $'1 1\n'
_content "$MNT/b/records" "1 1"
_umount
_mount -d "blocksize=1024,max_memory=8M"
mkdir "$MNT/b"
[ "$(_stat "$MNT/b" blocksize)" = 1024 ] || _fail "combined -o: blocksize"
[ "$(df_bytes total)" = 8388608 ] || _fail "combined -o: max_memory"
_umount
_mount_fails no_such_option
