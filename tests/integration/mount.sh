#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# mount.sh: how the daemon mounts and where it speaks.  df -i counts the
# btrees, never a negative number; -o log=FILE gets every log line (a
# refused insert's reason among them) with a timestamp, in the foreground
# and in the background, and a background mount with neither syslog nor
# log=FILE warns on stderr; max_threads and max_idle_threads shape the
# worker threads; mount.fuse3's "xfbtreefs SOURCE DIR -o OPTS" (what
# `mount -t fuse.xfbtreefs none DIR` and fstab lines run) mounts with the
# options given; a directory that already is an xfbtreefs mount is refused
# (by any spelling of its path) and the first mount goes on; --help lists
# every option, and each one it lists mounts.
#
# Daemons in the background are found by their command line (it names a
# temporary directory of this test), unmounted, and must exit on their
# own; their sanitizer reports go to files that must not appear.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# bg CMD...: run CMD, which starts a daemon in the background, whose
# stderr is /dev/null by then: its sanitizer reports go to files instead.
SAN=$T/sanitizer
bg()
{
	ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}log_path=$SAN" \
	UBSAN_OPTIONS="${UBSAN_OPTIONS:+$UBSAN_OPTIONS:}log_path=$SAN" "$@"
}

# The PID of the xfbtreefs daemon whose arguments include DIR.
bg_pid()
{
	local p arg argv

	for p in /proc/[0-9]*; do
		mapfile -d '' -t argv 2>/dev/null <"$p/cmdline" || continue
		[ "${#argv[@]}" -gt 1 ] || continue
		[ "${argv[0]##*/}" = xfbtreefs ] || continue
		for arg in "${argv[@]:1}"; do
			if [ "$arg" = "$1" ]; then
				echo "${p#/proc/}"
				return 0
			fi
		done
	done
	return 1
}

# bg_check DIR [ARG]: DIR is mounted by a daemon of ours, whose command
# line names it ARG (default DIR); sets BG_PID.
bg_check()
{
	_track_mount "$1"
	_xfbt_is_mounted "$1" || _fail "$1 is not mounted"
	BG_PID=$(bg_pid "${2:-$1}") || _fail "no daemon found for $1"
}

# exited PID: status 0 once process PID has exited.  A zombie counts: a
# daemon in the background is init's child, and init may take a second to
# reap it.
exited()
{
	local stat

	{ read -r stat <"/proc/$1/stat"; } 2>/dev/null || return 0
	[[ ${stat##*) } == Z* ]]
}

# bg_umount DIR: unmount; the daemon (BG_PID) must be gone within 10 s.
bg_umount()
{
	local i

	fusermount3 -u "$1" || _fail "cannot unmount $1"
	for ((i = 0; i < 1000; i++)); do
		! exited "$BG_PID" || return 0
		_xfbt_nap 0.01
	done
	kill -KILL "$BG_PID" 2>/dev/null || true
	_fail "daemon $BG_PID still running 10 s after unmount"
}

# Worker threads and the main thread of the daemon PID.
threads()
{
	local t n=0

	for t in /proc/"$1"/task/*; do
		[ ! -e "$t" ] || n=$((n + 1))
	done
	echo "$n"
}

# How many mounts /proc/mounts lists on DIR.
mounts_on()
{
	awk -v m="$1" '$2 == m { n++ } END { print n + 0 }' /proc/mounts
}

# A line of the log file: "2026-12-06T03:53:11Z xfbtreefs[PID] LEVEL: ".
STAMP='[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'
STAMP+=' xfbtreefs\[[0-9]+\]'

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

# ---- log=FILE --------------------------------------------------------------

# Foreground: every line goes to FILE (appended), none to stderr.
LOG=$T/fg.log
echo "an older line" >"$LOG"
_mount "log=$LOG"
mkdir "$MNT/t"
_expect "OK EINVAL OK" open "$MNT/t/insert" w write $'1 1\nbad line\n' close
reason=$(tail -n 1 "$MNT/t/errors")
reason=${reason#* }		# the errors file's own timestamp
grep -F -- " warning: t: $reason" "$LOG" | grep -Eq "^$STAMP warning: " ||
	_fail "log file lacks 't: $reason': $(cat "$LOG")"
grep -Eq "^$STAMP info: mounted" "$LOG" || _fail "no 'mounted' line in $LOG"
[ "$(head -n 1 "$LOG")" = "an older line" ] || _fail "log file not appended"
! grep -q "bad line" "$_XFBT_LOG" || _fail "reason went to stderr too"
_umount
rm "$LOG"

# A new log file is the mounter's alone.
_mount "log=$LOG"
mode=$(stat -c %a "$LOG")
[ "$mode" = 600 ] || _fail "new log file mode $mode"
_umount
_mount_fails "log=$T/no/such/dir/x.log"
_mount_fails "log="
# Without log=FILE, -f logs to stderr and warns of nothing.
grep -q "mounted: max_write" "$_XFBT_LOG" || _fail "-f: no log on stderr"
! grep -q "warning: no syslog" "$_XFBT_LOG" || _fail "-f: syslog warning"

# Background, log=FILE: the reasons reach the file; no warning.
D=$(mktemp -d "$_XFBT_TMP/bg.XXXXXX")
LOG=$T/bg.log
bg "$XFBTREEFS" -o "log=$LOG" "$D" 2>"$T/bg.err" || _fail "background mount"
bg_check "$D"
[ ! -s "$T/bg.err" ] ||
	_fail "background with log=FILE said: $(cat "$T/bg.err")"
mkdir "$D/t"
_expect "OK EINVAL OK" open "$D/t/insert" w write $'x 1\n' close
grep -Eq "^$STAMP warning: t: pid [0-9]+ insert: line 1: .*: x 1\$" "$LOG" ||
	_fail "background: reason not in $LOG: $(cat "$LOG")"
bg_umount "$D"

# Background, no log=FILE: warned on stderr when no syslog listens.
bg "$XFBTREEFS" "$D" 2>"$T/bg.err" || _fail "background mount"
bg_check "$D"
if [ ! -e /dev/log ]; then
	grep -q "warning: no syslog.*log=FILE.*errors" "$T/bg.err" ||
		_fail "no /dev/log: no warning, stderr: $(cat "$T/bg.err")"
else
	echo "note: /dev/log exists: the warning is not tested" >&2
fi
mkdir "$D/t"
_content "$D/t/records" ""
bg_umount "$D"

# ---- max_threads, max_idle_threads -----------------------------------------

awk 'BEGIN { for (i = 0; i < 100000; i++) print i * 7, i }' >"$T/recs"

any_alive()
{
	local p

	for p; do
		! kill -0 "$p" 2>/dev/null || return 0
	done
	return 1
}

# load: 8 writers, each to its own btree, 1 MiB requests; prints the
# most threads seen meanwhile.
load()
{
	local pids=() i peak=0 n

	for i in 1 2 3 4 5 6 7 8; do
		mkdir "$MNT/w$i"
		cat "$T/recs" >"$MNT/w$i/insert" &
		pids+=($!)
	done
	_track "${pids[@]}"
	while any_alive "${pids[@]}"; do
		n=$(threads "$_XFBT_PID")
		[ "$n" -le "$peak" ] || peak=$n
		_xfbt_nap 0.02
	done
	for i in "${pids[@]}"; do
		_wait "$i" || _fail "a writer failed"
	done
	for i in 1 2 3 4 5 6 7 8; do
		[ "$(_stat "$MNT/w$i" records)" = 100000 ] ||
			_fail "writer $i: $(_stat "$MNT/w$i" records) records"
	done
	echo "$peak"
}

# settle MAX: within 10 s the daemon is down to MAX threads at most.
settle()
{
	local i

	for ((i = 0; i < 1000; i++)); do
		[ "$(threads "$_XFBT_PID")" -gt "$1" ] || return 0
		_xfbt_nap 0.01
	done
	_fail "$(threads "$_XFBT_PID") threads 10 s after the load, not <= $1"
}

# Default: idle threads stay (the load does make several).
_mount
load >/dev/null
sleep 0.5
idle=$(threads "$_XFBT_PID")
[ "$idle" -ge 4 ] || _fail "default: $idle threads after the load"
[ "$idle" -le 11 ] || _fail "default max_threads 10: $idle threads"
_umount
# max_idle_threads=2: back to the main thread and two workers.
_mount max_idle_threads=2
peak=$(load)
settle 3
echo "max_idle_threads=2: peak $peak threads, idle $(threads "$_XFBT_PID")"
_umount
# max_threads=3: never more than the main thread and three workers.
_mount max_threads=3
peak=$(load)
[ "$peak" -le 4 ] || _fail "max_threads=3: $peak threads"
_umount
for bad in max_threads=0 max_threads=100001 max_threads=abc \
	max_idle_threads=100001 max_idle_threads=x; do
	_mount_fails "$bad"
done

# ---- mount -t fuse.xfbtreefs: mount.fuse3 runs "xfbtreefs SOURCE DIR -o" ---

MOUNT_FUSE=$(command -v mount.fuse3 || echo /sbin/mount.fuse3)
if [ "$(id -u)" -ne 0 ]; then
	echo "note: not root: mount(8) and mount.fuse3 are not tested" >&2
elif [ ! -x "$MOUNT_FUSE" ]; then
	echo "note: no mount.fuse3: mount -t is not tested" >&2
else
	# mount(8) calls "mount.fuse3 none DIR -o rw,OPTS -t fuse.xfbtreefs",
	# which runs xfbtreefs through the shell's PATH.
	BIN=$(mktemp -d "$_XFBT_TMP/bin.XXXXXX")
	ln -s "$XFBTREEFS" "$BIN/xfbtreefs"
	PATH="$BIN:$PATH" bg "$MOUNT_FUSE" none "$D" -o \
		"rw,blocksize=1024,max_memory=16M,log=$T/mt.log" \
		-t fuse.xfbtreefs 2>"$T/mt.err" ||
		_fail "mount.fuse3 failed: $(cat "$T/mt.err")"
	bg_check "$D"
	awk -v d="$D" '{
		for (i = 7; i < NF && $i != "-"; i++)
			;
		if ($5 == d && $(i + 1) == "fuse.xfbtreefs")
			f = 1
	} END { exit !f }' /proc/self/mountinfo ||
		_fail "$D: not of type fuse.xfbtreefs"
	mkdir "$D/t"
	[ "$(_stat "$D/t" blocksize)" = 1024 ] || _fail "mount -t: blocksize"
	read -r frsize blocks < <(stat -f -c '%S %b' "$D")
	[ $((frsize * blocks)) = 16777216 ] || _fail "mount -t: max_memory"
	[ -s "$T/mt.log" ] || _fail "mount -t: log=FILE not applied"
	# Stacking through mount.fuse3 is refused too.
	status=0
	PATH="$BIN:$PATH" bg "$MOUNT_FUSE" none "$D" -t fuse.xfbtreefs \
		>"$T/mt.err" 2>&1 || status=$?
	[ "$status" = 1 ] || _fail "mount -t on a mount: status $status"
	grep -q "already an xfbtreefs mount" "$T/mt.err" ||
		_fail "mount -t on a mount said: $(cat "$T/mt.err")"
	[ "$(mounts_on "$D")" = 1 ] || _fail "mount -t stacked a mount"
	_write "$D/t/insert" $'1 1\n'
	bg_umount "$D"

	# mount(8) itself, with the old "-t fuse PROGRAM#SOURCE" form (the
	# type form needs the daemon on the system's PATH).
	bg mount -t fuse "$XFBTREEFS#none" "$D" -o "blocksize=2048,log=$T/mt.log" ||
		_fail "mount -t fuse failed"
	bg_check "$D"
	mkdir "$D/t"
	[ "$(_stat "$D/t" blocksize)" = 2048 ] || _fail "mount(8): blocksize"
	umount "$D" || _fail "umount $D"
	for ((i = 0; i < 1000; i++)); do
		! exited "$BG_PID" || break
		_xfbt_nap 0.01
	done
	exited "$BG_PID" || _fail "daemon still running after umount"
fi

# SOURCE MOUNTPOINT by hand too; a third argument is refused.
bg "$XFBTREEFS" -o "blocksize=512,log=$T/src.log" my-source "$D" ||
	_fail "SOURCE DIR"
bg_check "$D"
mkdir "$D/t"
[ "$(_stat "$D/t" blocksize)" = 512 ] || _fail "SOURCE DIR: blocksize"
bg_umount "$D"
status=0
out=$("$XFBTREEFS" -f a b "$D" 2>&1) || status=$?
if [ "$status" != 1 ] || ! grep -q "too many arguments" <<<"$out"; then
	_fail "three arguments: status $status, said: $out"
fi
# A mount point named like an option, after "--", with libfuse options.
mkdir "$T/-dash"
(cd "$T" && bg "$XFBTREEFS" -o "noatime,log=$T/dash.log" -- -dash) ||
	_fail "mount on -dash"
bg_check "$T/-dash" -dash
bg_umount "$T/-dash"
rmdir "$D" "$T/-dash"

# ---- a mount on a mount is refused -------------------------------------------

# stack_refused PATH: mounting on PATH (a spelling of MNT) fails at once
# with status 1 and says why; MNT still has its one mount.
stack_refused()
{
	local out status=0

	out=$(timeout -k 2 10 "$XFBTREEFS" -f "$1" 2>&1) || status=$?
	[ "$(mounts_on "$MNT")" = 1 ] ||
		_fail "'$1': $(mounts_on "$MNT") mounts on $MNT"
	[ "$status" = 1 ] || _fail "mount on '$1': status $status"
	grep -q "$MNT is already an xfbtreefs mount" <<<"$out" ||
		_fail "mount on '$1' said: $out"
}

_mount
mkdir "$MNT/t"
_write "$MNT/t/insert" $'5 5\n'
ln -s "$MNT" "$T/link"
stack_refused "$MNT"
stack_refused "$MNT/"
stack_refused "$MNT//."
stack_refused "$T/link"
stack_refused "$T/link/"
(cd "$MNT" && stack_refused .)
# The first mount goes on.
_write "$MNT/t/insert" $'6 6\n'
_content "$MNT/t/records" $'5 5\n6 6'
_check "$MNT/t"
# Once unmounted, the directory mounts again.
d=$MNT
_umount
mkdir "$d"
_mount_at "$d"
_umount

# ---- --help lists every option; each listed option mounts ----------------

help=$("$XFBTREEFS" --help) || _fail "--help exited non-zero"
for word in SOURCE blocksize= max_memory= tmpdir= pages_writable log= \
	max_threads= max_idle_threads= clone_fd allow_other allow_root \
	auto_unmount debug '-f ' '-s ' '-d ' --version; do
	grep -qe "$word" <<<"$help" || _fail "--help does not mention '$word'"
done
mkdir "$T/xfiles"
grep -oE -- '-o [a-z_]+' <<<"$help" | cut -c4- | sort -u >"$T/help.opts"
while read -r opt; do
	case $opt in
	blocksize) v=blocksize=1024 ;;
	max_memory) v=max_memory=32M ;;
	tmpdir) v=tmpdir=$T/xfiles ;;
	log) v=log=$T/help.log ;;
	max_threads) v=max_threads=4 ;;
	max_idle_threads) v=max_idle_threads=1 ;;
	*) v=$opt ;;
	esac
	_mount "$v"
	ls "$MNT" >/dev/null || _fail "-o $v: mount does not answer"
	_umount
done <"$T/help.opts"
[ "$(wc -l <"$T/help.opts")" -ge 13 ] || _fail "--help lists few -o options"

if ls "$SAN".* >/dev/null 2>&1; then
	_fail "sanitizer reports: $(cat "$SAN".*)"
fi
