#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan_live.sh: `xfbt scan --live` keeps the btrees equal to the kernel's
# map while a writer changes the filesystem under the scan.
#
# An XFS image (reflink, rmapbt, two groups) mounted with allocsize= (so
# no speculative preallocation past EOF is trimmed behind our back) holds
# a few hundred files.  The scanner starts before any change, and a
# writer appends, punches, preallocates, reflinks, overwrites shared
# blocks, deletes, renames (also over other files), sets attributes and
# creates files:
#  1. while the scan is held (debug pause) at the middle inode: changes
#     below the cursor are applied to the table, changes above it wait
#     for the scan (the status file shows deferred inodes);
#  2. while group 0's load is staging (second pause): its changes wait on
#     the pending list and are applied after the load commits;
#  3. once everything is loaded: changes become btree transactions.
# After the writer stops, syncfs and the events drained, the rmap btrees
# equal the kernel's inode mappings block by block, and the refcount
# btrees the counts derived from them; no btree update failed.
# A queue overflow (the scanner stopped while more events than fanotify
# queues are raised, then files changed) brings a resync that finds the
# lost changes.  Writes through mmap (no event) leave the map stale
# until a resync (SIGUSR1) re-reads every inode.  SIGTERM stops the
# scanner, exit 0; one held at a pause too (exit 2: no scan).
# shellcheck source=tests/lib/common.sh
. "$(dirname "$0")/../lib/common.sh"
# shellcheck source=tests/integration/scan_common.sh
. "$(dirname "$0")/scan_common.sh"

_scan_need setfattr
X=$T/x
_scan_xfs_image "$X" allocsize=4k

# ---- the files -------------------------------------------------------------------
RANDOM=1414
mkdir "$X/d0" "$X/d1" "$X/d2" "$X/d3"
files=()
for d in 0 1 2 3; do
	for ((i = 0; i < 60; i++)); do
		f=$X/d$d/f$i
		xfs_io -f -c "pwrite -S $((i % 200)) 0 $(((RANDOM % 48 + 1) * 4096))" \
			"$f" >/dev/null
		files+=("$f")
	done
	cp --reflink=always "$X/d$d/f0" "$X/d$d/shared"
	files+=("$X/d$d/shared")
done
sync -f "$X"

# One change to the filesystem, chosen at random.
nfile=0
change()
{
	local f g n size off

	f=${files[RANDOM % ${#files[@]}]}
	g=${files[RANDOM % ${#files[@]}]}
	[ -e "$f" ] || return 0
	size=$(stat -c %s "$f")
	off=$(((RANDOM % 64) * 4096))
	case $((RANDOM % 10)) in
	0 | 1)	xfs_io -c "pwrite -S 7 $size $(((RANDOM % 8 + 1) * 4096))" "$f" ;;
	2)	xfs_io -c "fpunch $off 8192" "$f" ;;
	3)	xfs_io -c "falloc $off 16384" "$f" ;;
	4)	# (fails when $g is shorter than 16 KiB: fine)
		[ "$f" = "$g" ] || [ ! -e "$g" ] ||
			xfs_io -c "reflink $g 0 $off 16384" "$f" 2>/dev/null ||
			true ;;
	5)	n=$X/d$((RANDOM % 4))/new$((nfile++))
		cp --reflink=always "$f" "$n"
		files+=("$n") ;;
	6)	rm -f "$f" ;;
	7)	if ((RANDOM % 2)) && [ -e "$g" ] && [ "$f" != "$g" ]; then
			mv "$f" "$g"	# over another file, which goes
		else
			n=$X/d$((RANDOM % 4))/moved$((nfile++))
			mv "$f" "$n"
			files+=("$n")
		fi ;;
	8)	xfs_io -c "pwrite -S 9 $off 4096" "$f" ;;
	9)	setfattr -n "user.x$((RANDOM % 3))" \
			-v "$(head -c 2500 /dev/zero | tr '\0' v)" "$f" ;;
	esac >/dev/null
}

# ---- the scanner, paused in the middle ------------------------------------------
_mount
N=$MNT/lv
S=$T/status
mid=$(for f in "${files[@]}"; do stat -c %i "$f"; done | sort -n |
	awk '{ i[NR] = $1 } END { print i[int(NR / 2)] }')
mkfifo "$T/fifo"
XFBT_SCAN_PAUSE_AT="$mid,load" XFBT_SCAN_PAUSE_FIFO=$T/fifo XFBT_SCAN_STATUS=$S \
	"$XFBT" scan --live -v "$N" "$X" >"$T/out" 2>"$T/err" &
pid=$!
_track "$pid"

st()
{
	awk -v k="$1" '$1 == k { print $2 }' "$S"
}

# Wait until the status file says phase $1 (30 s), and for "paused" the
# pause number $2.
wait_phase()
{
	local i

	for ((i = 0; i < 300; i++)); do
		[ -e "$S" ] && [ "$(st phase)" = "$1" ] &&
			{ [ -z "${2:-}" ] || [ "$(st pauses)" = "$2" ]; } &&
			return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	cat "$T/err" >&2
	_fail "scanner not in phase $1 (status: $(tr '\n' ' ' <"$S"))"
}

# Wait until the event loop has found the queue empty twice since now:
# every event raised before this call has been handled.
drain()
{
	local i idle

	idle=$(st idle)
	for ((i = 0; i < 300; i++)); do
		[ "$(st idle)" -ge $((idle + 2)) ] && return 0
		kill -0 "$pid" 2>/dev/null ||
			_fail "the scanner died: $(tail -n 30 "$T/err")"
		sleep 0.1
	done
	_fail "events not drained in 30 s (status: $(tr '\n' ' ' <"$S"))"
}

# The btrees against the kernel's map, block by block, into files.
blocks()
{
	local links

	links=$(find "$X" -type l -printf '%i\n' | tr '\n' ' ')
	_scan_kernel_blocks "$X" | awk -v skip="$links" '
		BEGIN { n = split(skip, s, " "); for (i = 1; i <= n; i++) t[s[i]] = 1 }
		!($3 in t)' >"$T/kernel"
	_scan_our_blocks "$N" 2 >"$T/ours"
	_scan_refc_blocks <"$T/kernel" >"$T/krefc"
	_scan_our_refc_blocks "$N" 2 >"$T/orefc"
}

# They must agree; $1 says when.
agree()
{
	blocks
	_scan_same "rmap blocks $1" "$T/kernel" "$T/ours"
	_scan_same "refcount blocks $1" "$T/krefc" "$T/orefc"
}

wait_phase paused 1
[ "$(st cursor)" -lt "$mid" ] || _fail "paused past inode $mid"
for ((k = 0; k < 150; k++)); do
	change
done
drain
[ "$(st deferred)" -gt 0 ] ||
	_fail "no inode above the cursor was left to the scan"
echo "paused at inode $mid: $(st events) events, $(st deferred) inodes deferred"
echo go >"$T/fifo"

# ---- group 0 staging ---------------------------------------------------------------
wait_phase paused 2
grep -q 'while group 0 is staging' "$T/err" || _fail "not the load pause"
[ "$(st deferred)" = 0 ] || _fail "deferred inodes left after the scan"
for ((k = 0; k < 100; k++)); do
	change
done
drain
[ "$(st pending)" -gt 0 ] || _fail "no change waited for the load"
echo "group 0 staging: $(st pending) changes wait for its load"
echo go >"$T/fifo"

# ---- loaded: live transactions -----------------------------------------------------
wait_phase live
[ "$(st pending)" = 0 ] || _fail "changes still pending after the loads"
updates=$(st updates)
for ((k = 0; k < 150; k++)); do
	change
done
sync -f "$X"
drain
[ "$(st updates)" -gt "$updates" ] || _fail "no live btree updates"
for ag in 0 1; do
	_check "$N.ag$ag.rmap"
	_check "$N.ag$ag.refcount"
done
agree "after the writer"
[ "$(st btree_errors)" = 0 ] || _fail "btree updates failed"
[ "$(st errors)" = 0 ] || _fail "inodes could not be read: $(cat "$T/err")"
echo "live: $(st events) events, $(st updates) btree updates; the maps agree"

# ---- a queue overflow brings a resync ---------------------------------------------
# Stop the scanner (SIGSTOP: its PID), make more events than fanotify
# queues, then change files: those events are lost.  After SIGCONT the
# overflow must bring a full re-read that finds the changes.
qmax=$(cat /proc/sys/fs/fanotify/max_queued_events 2>/dev/null || echo 16384)
if [ "$qmax" -le 100000 ]; then
	overflows=$(st overflows)
	kill -STOP "$pid"
	mkdir "$X/d2/flood"
	(cd "$X/d2/flood" && seq -f "n%06g" 1 $((qmax + 2000)) | xargs touch)
	for ((k = 0; k < 40; k++)); do
		change
	done
	kill -CONT "$pid"
	sync -f "$X"
	for ((i = 0; i < 600; i++)); do
		[ "$(st overflows)" -gt "$overflows" ] && [ "$(st phase)" = live ] &&
			break
		sleep 0.1
	done
	[ "$(st overflows)" -gt "$overflows" ] || _fail "no FAN_Q_OVERFLOW seen"
	drain
	agree "after an overflow"
	echo "a queue overflow ($qmax events) brought a resync; the maps agree"
else
	echo "overflow check skipped: the fanotify queue holds $qmax events"
fi

# ---- writes through mmap raise no event: a resync finds them ------------------
mkfifo "$T/cmd"
exec 4<>"$T/cmd"
xfs_io -f "$X/d1/mapped" <&4 >/dev/null 2>&1 &
io=$!
_track "$io"
echo "truncate 262144" >&4
for ((i = 0; i < 50; i++)); do
	[ -e "$X/d1/mapped" ] && [ "$(stat -c %s "$X/d1/mapped")" = 262144 ] &&
		break
	sleep 0.1
done
drain
echo "mmap -w 0 262144" >&4
echo "mwrite 0 262144" >&4
echo "msync -s 0 262144" >&4
for ((i = 0; i < 50; i++)); do
	[ "$(stat -c %b "$X/d1/mapped")" -gt 0 ] && break
	sleep 0.1
done
sync -f "$X"
drain
blocks
mapped=$(stat -c %i "$X/d1/mapped")
! cmp -s "$T/kernel" "$T/ours" ||
	_fail "writes through mmap were seen without a resync"
# The only difference: the mapped file's blocks, which only the kernel has.
{ diff "$T/kernel" "$T/ours" || true; } | awk -v o="$mapped" '
	/^[<>]/ && !($1 == "<" && $4 == o) { bad = 1 } END { exit bad }' ||
	_fail "more differs than the mmap-written file"
resyncs=$(st resyncs)
kill -USR1 "$pid"
for ((i = 0; i < 300; i++)); do
	[ "$(st resyncs)" -gt "$resyncs" ] && break
	sleep 0.1
done
drain
agree "after a resync"
echo "a resync found the blocks written through mmap"
echo "quit" >&4
_wait "$io" || true
exec 4>&-

# ---- stop ---------------------------------------------------------------------------
kill -TERM "$pid"
status=0
_wait "$pid" || status=$?
[ "$status" = 0 ] || { cat "$T/err" >&2; _fail "scanner exited $status on SIGTERM"; }
grep -qx 'phase done' "$S" || _fail "no clean stop"

# ---- a paused scanner still stops on SIGTERM ---------------------------------------
rm -f "$S"
XFBT_SCAN_PAUSE_AT=0 XFBT_SCAN_PAUSE_FIFO=$T/fifo XFBT_SCAN_STATUS=$S \
	"$XFBT" scan --live "$MNT/held" "$X" >/dev/null 2>"$T/err" &
pid=$!
_track "$pid"
wait_phase paused 1
kill -TERM "$pid"
for ((i = 0; i < 50; i++)); do
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$pid" 2>/dev/null || _fail "a paused scanner ignored SIGTERM for 5 s"
status=0
_wait "$pid" || status=$?
[ "$status" = 2 ] || _fail "stopped before the scan finished: exit $status"
grep -q 'before the scan finished' "$T/err" || _fail "reason: $(cat "$T/err")"
