#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan_ext4.sh: `xfbt scan` on a filesystem that is not XFS: an ext4
# image, loop-mounted, walked as a tree (handles, inodes sorted) and
# mapped through FIEMAP into one group, the whole device.
#  - the scan exits 0 and makes NAME.ag0.rmap and NAME.ag0.refcount;
#  - for every block of several files (written, sparse, preallocated, a
#    directory of thousands of entries) and an external attribute block,
#    `range B B` names exactly the inode `debugfs -R "icheck B"` names;
#  - each file's records are its FIEMAP extents as filefrag reads them
#    (file offset, block, unwritten), block by block;
#  - --compare is refused (exit 2): ext4 has no kernel reverse map.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/integration/scan_common.sh
. "$(dirname "$0")/scan_common.sh"

_scan_need mkfs.ext4 debugfs filefrag setfattr fallocate
truncate -s 256M "$T/img"
mkfs.ext4 -q -F -b 4096 -I 256 -O ^inline_data "$T/img" 2>"$T/mkfs.err" ||
	_notrun "mkfs.ext4 failed: $(cat "$T/mkfs.err")"
X=$T/x
_scan_loop_mount ext4 "$T/img" "$X"

# ---- the filesystem ------------------------------------------------------------
mkdir "$X/a" "$X/b"
head -c 3m /dev/urandom >"$X/a/plain"
head -c 1m /dev/urandom >"$X/a/sparse"
dd if=/dev/urandom of="$X/a/sparse" bs=4k seek=1000 count=7 conv=notrunc \
	status=none
fallocate -l 2m "$X/b/prealloc"
dd if=/dev/urandom of="$X/b/prealloc" bs=4k seek=100 count=3 conv=notrunc \
	status=none
for ((i = 0; i < 60; i += 2)); do
	dd if=/dev/urandom of="$X/b/frag" bs=4k seek=$i count=1 conv=notrunc \
		status=none
	sync -f "$X"
done
: >"$X/b/attrs"
setfattr -n user.big -v "$(head -c 3000 /dev/zero | tr '\0' q)" "$X/b/attrs"
mkdir "$X/b/many"
(cd "$X/b/many" && seq -f "a-longer-entry-name-%06g" 1 3000 | xargs touch)
ln -s "$(head -c 500 /dev/zero | tr '\0' z)" "$X/b/longlink"
sync -f "$X"

# ---- scan ------------------------------------------------------------------------
_mount
N=$MNT/e
"$XFBT" scan -v "$N" "$X" >"$T/out" 2>"$T/err" ||
	{ cat "$T/out" "$T/err" >&2; _fail "scan exited $?"; }
cat "$T/out"
[ -d "$N.ag0.rmap" ] && [ -d "$N.ag0.refcount" ] || _fail "no btrees"
[ ! -e "$N.ag1.rmap" ] || _fail "ext4 is one group"
_check "$N.ag0.rmap"
[ -z "$(cat "$N.ag0.refcount/records")" ] || _fail "ext4 shares no blocks"
grep -q ' unwritten$' <(cat "$N.ag0.rmap/records") || _fail "no unwritten"
grep -q ' attr$' <(cat "$N.ag0.rmap/records") || _fail "no attr block"

# ---- owners: range B B against debugfs icheck -----------------------------------
blocks=()
for f in a/plain a/sparse b/prealloc b/frag b/many; do
	g=${f//\//_}
	# filefrag -v: "ext: logical_offset: physical_offset: length: ..."
	filefrag -b4096 -v "$X/$f" | awk -v ino="$(stat -c %i "$X/$f")" '
		$1 ~ /^[0-9]+:$/ {
			gsub(/[.:]+/, " ")
			split($0, w, " ")
			fl = ($0 ~ /unwritten/) ? "unwritten" : "-"
			for (i = 0; i < w[6]; i++)
				print 0, w[4] + i, ino, w[2] + i, fl
		}' >"$T/frag.$g"
	[ -s "$T/frag.$g" ] || _fail "filefrag found no blocks in $f"
	awk -v o="$(stat -c %i "$X/$f")" '$3 == o' \
		<(_scan_our_blocks "$N" 1) >"$T/ours.$g"
	sort -k2,2n "$T/frag.$g" >"$T/want.$g"
	sort -k2,2n "$T/ours.$g" >"$T/got.$g"
	_scan_same "$f: blocks against filefrag" "$T/want.$g" "$T/got.$g"
	mapfile -t -O "${#blocks[@]}" blocks < <(awk '{ print $2 }' "$T/want.$g")
done
xattr=$(debugfs -R "stat /b/attrs" "$LOOPDEV" 2>/dev/null |
	sed -n 's/.*File ACL: \([0-9]*\).*/\1/p')
[ -n "$xattr" ] && [ "$xattr" != 0 ] || _fail "b/attrs has no attribute block"
blocks+=("$xattr")
[ "${#blocks[@]}" -gt 1000 ] || _fail "only ${#blocks[@]} blocks"
debugfs -R "icheck ${blocks[*]}" "$LOOPDEV" 2>/dev/null |
	awk 'NR > 1 && $2 ~ /^[0-9]+$/ { print $1, $2 }' >"$T/icheck"
[ "$(wc -l <"$T/icheck")" = "${#blocks[@]}" ] ||
	_fail "icheck answered $(wc -l <"$T/icheck") of ${#blocks[@]} blocks"
awk '{ print 0, $1 }' "$T/icheck" >"$T/ask"
_scan_ask "$N" "$T/ask" "$T/owners"
awk '{ print $2, $3 }' "$T/owners" | sort -u -k1,1n >"$T/got"
sort -k1,1n "$T/icheck" >"$T/want"
_scan_same "owners by range against icheck" "$T/want" "$T/got"
checked=$(wc -l <"$T/want")
echo "range B B agreed with icheck for $checked blocks"
grep -q "^$xattr $(stat -c %i "$X/b/attrs")\$" "$T/icheck" ||
	_fail "icheck does not give the attribute block to b/attrs"

# ---- --compare needs XFS ----------------------------------------------------------
status=0
"$XFBT" scan --compare "$MNT/c" "$X" >/dev/null 2>"$T/err" || status=$?
[ "$status" = 2 ] || _fail "--compare on ext4 exited $status"
grep -q 'needs XFS' "$T/err" || _fail "reason: $(cat "$T/err")"
[ ! -e "$MNT/c.ag0.rmap" ] || _fail "a refused compare made btrees"
