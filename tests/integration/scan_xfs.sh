#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan_xfs.sh: `xfbt scan --compare` on a fresh XFS image (512 MiB,
# reflink and rmapbt, two groups), loop-mounted, holding in both groups:
# files written, holes punched, ranges preallocated (unwritten, also past
# EOF), reflinked copies and partial reflinks, a fragmented file, large
# attributes that leave the inode, directories of thousands of entries
# and a long symlink.  Then:
#  - the scan exits 0 and says the maps agree;
#  - our rmap btrees hold, block by block, exactly the kernel's inode
#    data and attribute mappings (xfs_io fsmap, an independent reader),
#    the symlink's blocks aside;
#  - NAME.agN.refcount equals the counts derived from the kernel's
#    overlapping written data mappings;
#  - `range B B` answers who owns block B as the kernel's map does, for
#    every block of several files;
#  - --compare reports a damaged btree (a record deleted, one invented,
#    between the load and the compare): exit 1, both differences named;
#  - errors: usage, NAME outside a mount, a btree of another type in
#    the way: exit 2, nothing loaded.
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/integration/scan_common.sh
. "$(dirname "$0")/scan_common.sh"

_scan_need setfattr
X=$T/x
_scan_xfs_image "$X"

# ---- the filesystem ------------------------------------------------------------
# New top-level directories go to the groups in turn (inode64), and
# their files' blocks near them: d0..d3 cover both groups.
big=$(head -c 3000 /dev/zero | tr '\0' a)
mkdir "$X/d0" "$X/d1" "$X/d2" "$X/d3"
for d in 0 1 2 3; do
	D=$X/d$d
	xfs_io -f -c "pwrite -S 0x1$d 0 1m" -c fsync "$D/plain" >/dev/null
	xfs_io -f -c "pwrite 0 2m" -c "fpunch 256k 128k" -c "fpunch 1m 64k" \
		"$D/holes" >/dev/null
	xfs_io -f -c "falloc 0 512k" -c "pwrite 64k 64k" \
		-c "falloc -k 512k 256k" "$D/prealloc" >/dev/null
	cp --reflink=always "$D/plain" "$D/copy"
	cp --reflink=always "$D/plain" "$D/copy2"
	xfs_io -f -c "pwrite -S 0x2$d 0 512k" "$D/part" >/dev/null
	xfs_io -c "reflink $D/plain 128k 64k 256k" "$D/part" >/dev/null
	xfs_io -c "pwrite -S 0x3$d 96k 16k" "$D/copy2" >/dev/null
	# Every other block written, each flushed: a fragmented file
	# (its extent map outgrows the inode: bmbt blocks).
	args=()
	for ((i = 0; i < 200; i += 2)); do
		args+=(-c "pwrite $((i * 4096)) 4096" -c fdatasync)
	done
	xfs_io -f "${args[@]}" "$D/frag" >/dev/null
	: >"$D/attrs"
	for a in 1 2 3 4 5; do
		setfattr -n "user.a$a" -v "$big" "$D/attrs"
	done
	setfattr -n user.big -v "$big" "$D/plain"
	mkdir "$D/many"
	(cd "$D/many" && seq -f "entry-with-a-longer-name-%06g" 1 1500 |
		xargs touch)
	ln -s "$(head -c 1000 /dev/zero | tr '\0' y)" "$D/longlink"
done
sync -f "$X"

# ---- scan and compare --------------------------------------------------------
_mount
N=$MNT/fs
"$XFBT" scan -v --compare "$N" "$X" >"$T/out" 2>"$T/err" ||
	{ cat "$T/out" "$T/err" >&2; _fail "scan --compare exited $?"; }
grep -q '^compare: the maps agree$' "$T/out" || _fail "no agreement line"
! grep -q 'only:' "$T/out" || _fail "difference lines: $(grep only: "$T/out")"
for ag in 0 1; do
	[ -d "$N.ag$ag.rmap" ] && [ -d "$N.ag$ag.refcount" ] ||
		_fail "no btrees for group $ag"
	_check "$N.ag$ag.rmap"
	_check "$N.ag$ag.refcount"
	echo "ag$ag: $(_stat "$N.ag$ag.rmap" records) mappings"
	[ "$(_stat "$N.ag$ag.rmap" records)" -gt 50 ] ||
		_fail "group $ag has few mappings: the test lost its spread"
done
[ ! -e "$N.ag2.rmap" ] || _fail "a third group"
cat "$T/out"

# ---- block by block, against xfs_io's reading of the kernel's map -----------
links=$(find "$X" -type l -printf '%i\n' | sort -u | tr '\n' ' ')
_scan_kernel_blocks "$X" | awk -v skip="$links" '
	BEGIN { n = split(skip, s, " "); for (i = 1; i <= n; i++) t[s[i]] = 1 }
	!($3 in t)' >"$T/kernel"
_scan_our_blocks "$N" 2 >"$T/ours"
[ "$(wc -l <"$T/kernel")" -gt 2000 ] || _fail "too few kernel blocks"
grep -q ' attr$' "$T/kernel" || _fail "no attribute blocks: test setup"
grep -q ' unwritten$' "$T/kernel" || _fail "no unwritten blocks: test setup"
_scan_same "rmap blocks, kernel against ours" "$T/kernel" "$T/ours"

# ---- refcounts -------------------------------------------------------------------
_scan_refc_blocks <"$T/kernel" >"$T/krefc"
_scan_our_refc_blocks "$N" 2 >"$T/orefc"
awk '$3 >= 3 { f = 1 } END { exit !f }' "$T/krefc" ||
	_fail "no block shared 3 times: test setup"
_scan_same "refcount blocks" "$T/krefc" "$T/orefc"
# Derived records are the shortest description: no two touch with one count.
for ag in 0 1; do
	awk 'NR > 1 && $1 == e && $3 == c { bad = 1 }
		{ e = $1 + $2; c = $3 } END { exit bad }' \
		<(cat "$N.ag$ag.refcount/records") ||
		_fail "ag$ag: refcount records not merged"
done

# ---- who owns block B ----------------------------------------------------------
# Every block of several files: range B B through lookup against the
# kernel's owners of B (owner, file offset at B, flags).
: >"$T/fblocks"
for f in d0/copy2 d1/part d2/frag d3/attrs d1/prealloc; do
	ino=$(stat -c %i "$X/$f")
	awk -v o="$ino" '$3 == o { print $1, $2 }' "$T/kernel" >"$T/one"
	[ -s "$T/one" ] || _fail "$f has no blocks in the kernel's map"
	cat "$T/one" >>"$T/fblocks"
done
sort -u -k1,1n -k2,2n "$T/fblocks" -o "$T/fblocks"
awk 'NR == FNR { want[$1 " " $2] = 1; next } ($1 " " $2) in want' \
	"$T/fblocks" "$T/kernel" >"$T/want"
_scan_ask "$N" "$T/fblocks" "$T/got"
_scan_same "owners of every block of five files" "$T/want" "$T/got"
checked=$(wc -l <"$T/fblocks")
[ "$checked" -gt 300 ] || _fail "only $checked blocks asked about"
echo "range B B agreed with the kernel for $checked blocks"

# ---- --compare sees damage -----------------------------------------------------
# Pause before the compare, delete one real record and insert an
# invented one, then let it compare: exit 1, each named.
mkfifo "$T/fifo"
XFBT_SCAN_PAUSE_AT=compare XFBT_SCAN_PAUSE_FIFO=$T/fifo \
XFBT_SCAN_STATUS=$T/status \
	"$XFBT" scan --compare "$MNT/dmg" "$X" >"$T/dout" 2>"$T/derr" &
pid=$!
_track "$pid"
for ((i = 0; i < 300; i++)); do
	grep -qx 'phase paused' "$T/status" 2>/dev/null && break
	sleep 0.1
done
grep -qx 'phase paused' "$T/status" || _fail "no pause before the compare"
victim=$(sed -n 5p <(cat "$MNT/dmg.ag1.rmap/records"))
echo "$victim" >"$MNT/dmg.ag1.rmap/delete"
echo "60000 3 4242 7" >"$MNT/dmg.ag0.rmap/insert"
echo go >"$T/fifo"
status=0
_wait "$pid" || status=$?
[ "$status" = 1 ] || { cat "$T/dout" "$T/derr" >&2; _fail "damaged compare exited $status"; }
read -r s l o off _ <<<"$victim"
grep -qx "ag1: kernel only: $s $l $o $off.*" "$T/dout" ||
	_fail "the deleted record is not reported: $(cat "$T/dout")"
grep -qx "ag0: ours only: 60000 3 4242 7" "$T/dout" ||
	_fail "the invented record is not reported: $(cat "$T/dout")"
grep -q '^compare: the maps differ$' "$T/dout" || _fail "no 'differ' line"

# ---- refusals: exit 2, nothing made -------------------------------------------
expect2()
{
	local status=0

	"$XFBT" scan "$@" >"$T/eout" 2>"$T/eerr" || status=$?
	[ "$status" = 2 ] || _fail "xfbt scan $* exited $status, not 2"
	grep -q . "$T/eerr" || _fail "xfbt scan $*: no reason given"
}
expect2
expect2 "$MNT/x"
expect2 --bogus "$MNT/x" "$X"
expect2 --resync=5 "$MNT/x" "$X"
expect2 "$MNT/x" "$T/nonexistent"
expect2 "$T/notamount/fs" "$X"
mkdir "$MNT/kv.ag0.rmap"
echo "1 2" >"$MNT/kv.ag0.rmap/insert"
expect2 "$MNT/kv" "$X"
grep -q 'kv btree with records' "$T/eerr" || _fail "reason: $(cat "$T/eerr")"
[ "$(cat "$MNT/kv.ag0.rmap/records")" = "1 2" ] || _fail "kv btree changed"
