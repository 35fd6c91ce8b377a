#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# data.sh: the `data` file of kv btrees, through real system calls.
#
# - layout: 8 bytes per key, little-endian, holes read zero, size rules;
#   the text files and `data` agree both ways;
# - xfbt_data: thousands of random pwrite/pread/ftruncate/SEEK_DATA/
#   SEEK_HOLE/fstat calls at odd offsets and lengths, each answer
#   compared with a model of the file; then `records` equals the file's
#   non-zero slots;
# - zero writes delete and give the memory back (stats bytes);
# - truncate both ways, EINVAL for sizes not a multiple of 8, EFBIG past
#   the largest size; keys from 2^60 up are not in the file;
# - fio's layout steps: rm data, O_TRUNC, create (O_CREAT), fsync; no
#   mmap; only kv btrees have it;
# - a failing write (ENOSPC) changes nothing;
# - fio with crc32c verification, random and sequential.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

XFBT_DATA=${XFBT_DATA:-$_xfbt_helpers/xfbt_data}
[ -x "$XFBT_DATA" ] || _fail "no xfbt_data at $XFBT_DATA"
scale=${XFB_TEST_SCALE:-1}
ops=$(awk -v s="$scale" 'BEGIN { n = int(20000 * s); print n < 2000 ? 2000 : n }')

_mount
B=$MNT/b
mkdir "$B"
D=$B/data

# ---- layout ----------------------------------------------------------------
[ -f "$D" ] || _fail "no data file in a kv btree"
[ "$(stat -c %s "$D")" = 0 ] || _fail "empty btree: data size not 0"
_write "$B/insert" $'1 5\n3 258\n'
[ "$(stat -c %s "$D")" = 32 ] || _fail "size after keys 1 and 3"
[ "$(od -A n -t x1 -v "$D" | tr -d ' \n')" = \
  "0000000000000000050000000000000000000000000000000201000000000000" ] ||
	_fail "bytes of keys 1 and 3: $(od -A n -t x1 -v "$D")"
[ "$(_stat "$B" data_size)" = 32 ] || _fail "stats data_size"
# A write through data shows in records; values are little-endian.
printf '\x01\x02\x03\x04\x05\x06\x07\x08' |
	dd of="$D" bs=8 seek=2 conv=notrunc status=none
_content "$B/records" $'1 5\n2 578437695752307201\n3 258'
# A write of 3 bytes into key 1's slot changes only those bytes.
printf '\xff\xff\xff' | dd of="$D" bs=1 seek=9 conv=notrunc status=none
_content "$B/records" $'1 4294967045\n2 578437695752307201\n3 258'
# Zeros delete.
head -c 8 /dev/zero | dd of="$D" bs=8 seek=1 conv=notrunc status=none
_content "$B/records" $'2 578437695752307201\n3 258'
# A write past the end grows the size to the end of its last slot.
printf 'x' | dd of="$D" bs=1 seek=100 conv=notrunc status=none
[ "$(stat -c %s "$D")" = 104 ] || _fail "size after a 1-byte write at 100"
_content "$B/records" $'2 578437695752307201\n3 258\n12 515396075520'
# A write of zeros past the end grows the size and adds no record.
head -c 5 /dev/zero | dd of="$D" bs=1 seek=200 conv=notrunc status=none
[ "$(stat -c %s "$D")" = 208 ] || _fail "size after zeros at 200"
[ "$(_stat "$B" records)" = 3 ] || _fail "zeros past the end made records"
# A kv record of value 0 reads as a hole.
_write "$B/insert" $'30 0\n'
[ "$(stat -c %s "$D")" = 248 ] || _fail "size with key 30 (value 0)"
[ "$(od -A n -t x1 -j 240 -N 8 -v "$D" | tr -d ' \n')" = 0000000000000000 ] ||
	_fail "value 0 does not read as zeros"
# SEEK_DATA and SEEK_HOLE at byte precision: a record is data even with
# value 0; the size ends the last run.
_expect "OK AT:240 AT:248 AT:240 AT:101 AT:104 ENXIO OK" open "$D" r \
	seekdata 240 seekhole 240 seekdata 200 seekdata 101 seekhole 96 \
	seekdata 248 close
# Keys from 2^60 up are beyond the file.
_write "$B/insert" $'1152921504606846976 7\n18446744073709551615 9\n'
[ "$(stat -c %s "$D")" = 248 ] || _fail "keys >= 2^60 changed the size"
_check "$B"

# ---- errnos ---------------------------------------------------------------
_expect "OK EINVAL OK" open "$D" w ftruncate 13 close
[ "$(stat -c %s "$D")" = 248 ] || _fail "failed truncate changed the size"
# The last whole slot below the largest file size (2^63 - 1): key
# 2^60 - 2.  Key 2^60 - 1 would end the file at 2^63: the size says
# 2^63 - 1, and its last byte is out of reach.
_ok open "$D" w seek 9223372036854775792 write 12345678 close
[ "$(stat -c %s "$D")" = 9223372036854775800 ] ||
	_fail "size with key 2^60 - 2: $(stat -c %s "$D")"
grep -q "^1152921504606846974 4050765991979987505$" "$B/records" ||
	_fail "key 2^60 - 2 written through data"
_write "$B/insert" $'1152921504606846975 1\n'
[ "$(stat -c %s "$D")" = 9223372036854775807 ] ||
	_fail "size with key 2^60 - 1: $(stat -c %s "$D")"
_ok open "$D" w ftruncate 248 close
_expect_errno ENOENT stat "$MNT/nosuch/data"
mkdir "$MNT/r"
echo rmap >"$MNT/r/type"
_expect_errno ENOENT stat "$MNT/r/data"
_expect_errno EPERM open "$MNT/r/data" wc
ls "$MNT/r" | grep -qx data && _fail "rmap btree lists data"
ls "$B" | grep -qx data || _fail "kv btree does not list data"
rmdir "$MNT/r"
# Not mappable: the kernel does not cache it.
_expect "OK ENODEV OK" open "$D" r mmap 8 close

# ---- truncate both ways ----------------------------------------------------
# (Truncating to 248 above deleted every key from 31 up, 2^60 and up too.)
_content "$B/records" $'2 578437695752307201\n3 258\n12 515396075520\n30 0'
_ok open "$D" w ftruncate 4096 close
[ "$(stat -c %s "$D")" = 4096 ] || _fail "truncate up"
[ "$(_stat "$B" records)" = 4 ] || _fail "truncate up changed records"
_ok open "$D" w ftruncate 24 close
[ "$(stat -c %s "$D")" = 24 ] || _fail "truncate down"
# Keys 3 and up are gone, those from 2^60 up too.
_content "$B/records" $'2 578437695752307201'
_check "$B"

# ---- fio's layout steps ------------------------------------------------------
_write "$B/insert" $'5 5\n'
_ok unlink "$D"
[ -f "$D" ] || _fail "rm data removed the file"
[ "$(stat -c %s "$D")" = 0 ] || _fail "size after rm data"
_content "$B/records" ""
_write "$B/insert" $'5 5\n6 6\n'
_ok open "$D" wt close
_content "$B/records" ""
[ "$(stat -c %s "$D")" = 0 ] || _fail "size after O_TRUNC"
_write "$B/insert" $'7 7\n'
_ok open "$D" rwct write 12345678 fsync close
_content "$B/records" "0 4050765991979987505"
_expect_errno EEXIST open "$D" wcx
# Read-only open with O_TRUNC truncates nothing.
_ok open "$D" r close
_content "$B/records" "0 4050765991979987505"
_check "$B"

# ---- random system calls against a model -------------------------------------
for seed in 1 2 3; do
	"$XFBT_DATA" "$D" "$seed" "$ops" 300000 >/dev/null ||
		_fail "xfbt_data seed $seed"
	cmp <("$XFBT_DATA" "$D" dump) <(cat "$B/records") ||
		_fail "seed $seed: records differ from the data file"
	_check "$B"
done
# A narrow span: many writes to the same few keys, splits and merges.
"$XFBT_DATA" "$D" 4 "$ops" 4096 >/dev/null || _fail "xfbt_data narrow"
_check "$B"

# ---- zeros give memory back ----------------------------------------------------
_ok open "$D" wt close
bytes0=$(_stat "$B" bytes)
head -c $((8 << 20)) /dev/urandom >"$T/rand"
dd if="$T/rand" of="$D" bs=1M conv=notrunc status=none
bytes1=$(_stat "$B" bytes)
[ "$bytes1" -gt $((bytes0 + (8 << 20))) ] ||
	_fail "8 MiB of values hold only $bytes1 bytes"
cmp "$T/rand" "$D" || _fail "8 MiB read back differ"
dd if=/dev/zero of="$D" bs=1M count=8 conv=notrunc status=none
[ "$(_stat "$B" records)" = 0 ] || _fail "zeros left records"
bytes2=$(_stat "$B" bytes)
[ "$bytes2" -le $((bytes0 + 65536)) ] ||
	_fail "after zeroing: $bytes2 bytes held, $bytes0 when empty"
[ "$(stat -c %s "$D")" = $((8 << 20)) ] || _fail "zeroing changed size"
_check "$B"
_umount

# ---- ENOSPC changes nothing --------------------------------------------------
_mount max_memory=1M
B=$MNT/b
mkdir "$B"
D=$B/data
dd if="$T/rand" of="$D" bs=64k count=1 conv=notrunc status=none
snap=$(_snap "$B")
_expect "OK ENOSPC OK" open "$D" w writefile "$T/rand" close
_unchanged "$B" "$snap"
grep -q "data: write" "$B/errors" || _fail "ENOSPC not in errors"
_check "$B"
_umount

# ---- fio with verification -------------------------------------------------------
command -v fio >/dev/null || _fail "fio is not installed"
_mount
mkdir "$MNT/f"
size=$(awk -v s="$scale" 'BEGIN { n = int(64 * s); print (n < 8 ? 8 : n) "m" }')
for rw in randwrite write; do
	fio --name="$rw" --filename="$MNT/f/data" --rw="$rw" --bs=4k \
	    --size="$size" --ioengine=psync --direct=1 --verify=crc32c \
	    --do_verify=1 --verify_fatal=1 --verify_state_save=0 \
	    --output="$T/fio.$rw" ||
		{ cat "$T/fio.$rw"; _fail "fio $rw with verify"; }
	grep -q "err= 0" "$T/fio.$rw" || _fail "fio $rw reported an error"
	_check "$MNT/f"
done
# Odd block sizes, several jobs on one file at disjoint offsets.
fio --name=odd --filename="$MNT/f/data" --rw=randwrite --bs=1000 \
    --size=4m --numjobs=2 --offset_increment=4m --ioengine=psync \
    --direct=1 --verify=crc32c --verify_fatal=1 --verify_state_save=0 \
    --output="$T/fio.odd" ||
	{ cat "$T/fio.odd"; _fail "fio 1000-byte blocks, two jobs"; }
_check "$MNT/f"
_umount
