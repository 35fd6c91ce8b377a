#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# lifecycle.sh: the daemon's limits, the life and death of btrees under
# open files, of the mount under its clients, and who may reach it.
# - 5000 btrees with a soft open-file limit of 1024 (each btree holds a
#   memfd: the daemon raises its limit to the hard one); past a lowered
#   limit mkdir and a type change fail with EMFILE and nothing else
#   changes; rmdir gives every descriptor back; with not one descriptor
#   to spare the daemon still unmounts cleanly (exit status 0).
# - Files open on a btree that is removed: type, delete, check, tree.dot,
#   pages/ and the directory itself say ENOENT (rmdir_open.sh does the
#   others); on one that is renamed they all keep working.  Writers and
#   readers racing rmdir and mkdir of their btree see only ENOENT.  An
#   open pages/N whose block is freed says ENOENT; readers racing a
#   writer that frees and reuses blocks get whole blocks or ENOENT.
# - umount with a file open or a working directory inside: EBUSY and the
#   mount goes on; umount -l: gone from the namespace, open files still
#   work, the daemon exits with status 0 once the last one closes.
#   SIGTERM: the daemon unmounts, frees what clients still hold open
#   (no leak report under ASan) and exits 0.  SIGKILL with clients
#   blocked in requests (the daemon stopped first) and a client holding
#   an open file: every one gets ENOTCONN or ECONNABORTED, none hangs;
#   fusermount3 -u removes the dead mount and a new daemon mounts on the
#   same directory.
# - Without allow_other another user gets EACCES for everything; with it
#   (default_permissions comes along) it reads records and stats but
#   cannot write insert, query lookup, change type or make a btree; the
#   daemon refuses to run setuid or setgid.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

# The daemon's open descriptors and its soft open-file limit.
daemon_fds()
{
	find "/proc/$_XFBT_PID/fd" -mindepth 1 -maxdepth 1 | wc -l
}
daemon_nofile()
{
	awk '/^Max open files/ { print $4 }' "/proc/$_XFBT_PID/limits"
}

# only_tokens TOKENS ALLOWED: every token is one of ALLOWED (a regex).
only_tokens()
{
	local tok

	for tok in $1; do
		[[ "$tok" =~ ^($2)$ ]] ||
			_fail "unexpected '$tok' among: ${1:0:300}"
	done
}

# ---- thousands of btrees, and running out of descriptors ----------------

hard=$(ulimit -Hn)
[ "$hard" = unlimited ] && hard=1048576
[ "$hard" -lt 1024 ] || ulimit -Sn 1024
_mount
[ "$(daemon_nofile)" = "$hard" ] ||
	_fail "the daemon's open-file limit is $(daemon_nofile), hard $hard"
fds0=$(daemon_fds)
steps=()
for ((i = 1; i <= 5000; i++)); do
	steps+=(mkdir "$MNT/t$i")
done
got=$(_probe "${steps[@]}")
made=$(grep -o OK <<<"$got" | wc -l)
if [ "$hard" -gt $((fds0 + 5000 + 16)) ]; then
	[ "$made" = 5000 ] || _fail "5000 mkdirs: $made made"
else
	# A hard limit below 5000: the rest fail cleanly.
	only_tokens "$got" "OK|EMFILE|ENFILE"
	echo "hard open-file limit $hard: $made of 5000 btrees"
fi
[ "$(find "$MNT" -mindepth 1 -maxdepth 1 | wc -l)" = "$made" ] ||
	_fail "the root lists other than $made btrees"
_write "$MNT/t1/insert" $'1 1\n'
_write "$MNT/t$made/insert" $'2 2\n'
_content "$MNT/t$made/records" "2 2"
[ "$(daemon_fds)" -ge $((fds0 + made)) ] ||
	_fail "$made btrees in $(daemon_fds) descriptors"
# Lower the limit under the running daemon: past it, EMFILE and nothing
# made; what exists goes on working.
lim=$(($(daemon_fds) + 10))
[ "$lim" -le "$hard" ] || lim=$hard
prlimit --pid "$_XFBT_PID" --nofile="$lim:$lim"
steps=()
for ((i = 1; i <= 40; i++)); do
	steps+=(mkdir "$MNT/x$i")
done
got=$(_probe "${steps[@]}")
[[ "$got" =~ ^(OK\ )*(EMFILE\ )+$ ]] || _fail "mkdir past the limit: '$got'"
more=$(grep -o OK <<<"$got" | wc -l)
[ "$more" -le 10 ] || _fail "$more mkdirs past a limit 10 above"
[ "$(find "$MNT" -mindepth 1 -maxdepth 1 | wc -l)" = $((made + more)) ] ||
	_fail "failed mkdirs left something behind"
_expect_errno ENOENT stat "$MNT/x$((more + 1))"
snap=$(_snap "$MNT/t2")
# A type change makes a new btree first: EMFILE, and the old one stays.
_expect_errno EMFILE open "$MNT/t2/type" w write $'rmap\n'
_content "$MNT/t2/type" kv
_unchanged "$MNT/t2" "$snap"
_write "$MNT/t1/insert" $'3 3\n'
_content "$MNT/t1/records" $'1 1\n3 3'
_check "$MNT/t1"
# One btree removed: room for one more.
_expect OK rmdir "$MNT/t3"
_expect OK mkdir "$MNT/t3"
# rmdir them all; every descriptor comes back.
rmdir "$MNT"/*
[ -z "$(ls -A "$MNT")" ] || _fail "root not empty after rmdir"
[ "$(daemon_fds)" = "$fds0" ] ||
	_fail "$(daemon_fds) descriptors after rmdir of all, $fds0 before"
read -r files ffree < <(stat -f -c '%c %d' "$MNT")
[ $((files - ffree)) = 0 ] || _fail "statfs counts btrees still"
# Not one descriptor to spare (the limit just above the highest in use,
# the gaps below filled with btrees): unmount must still be clean
# (_umount wants exit status 0).
top=$(find "/proc/$_XFBT_PID/fd" -mindepth 1 -maxdepth 1 -printf '%f\n' |
	sort -n | tail -n 1)
prlimit --pid "$_XFBT_PID" --nofile=$((top + 1)):$((top + 1))
steps=()
for ((i = 0; i <= top + 2; i++)); do
	steps+=(mkdir "$MNT/y$i")
done
got=$(_probe "${steps[@]}")
[[ "$got" =~ ^(OK\ )*(EMFILE\ )+$ ]] || _fail "mkdir at the limit: '$got'"
_umount
ulimit -Sn "$hard"

# ---- open files of a btree that goes away, or moves ---------------------

_mount
R=$MNT/r
mkdir "$R"
awk 'BEGIN { for (i = 0; i < 2000; i++) print i, i }' >"$R/insert"
exec 3<>"$R/type" 4>"$R/delete" 5<"$R/check" 6<"$R/tree.dot" \
	7<"$R/pages" 8<"$R"
_expect OK rmdir "$R"
_expect_errno ENOENT fd 3 read
_expect_errno ENOENT fd 3 write $'rmap\n'
_expect_errno ENOENT fd 4 write $'1\n'
_expect_errno ENOENT fd 5 read
_expect_errno ENOENT fd 6 read
# fstat through the open descriptor, a lookup in the open directories.
_expect_errno ENOENT stat /proc/self/fd/3
_expect_errno ENOENT stat /proc/self/fd/7/1
_expect_errno ENOENT open /proc/self/fd/7 rd
_expect_errno ENOENT open /proc/self/fd/8/insert w
_expect_errno ENOENT mkdir /proc/self/fd/8/x
exec 3>&- 4>&- 5<&- 6<&- 7<&- 8<&-
[ -z "$(ls -A "$MNT")" ] || _fail "root lists $(ls -A "$MNT")"

mkdir "$R"
awk 'BEGIN { for (i = 0; i < 2000; i++) print i, i }' >"$R/insert"
cat "$R/records" >"$T/r.records"
exec 3<>"$R/lookup" 4<"$R/records" 5<"$R/check" 6<"$R/pages/1" \
	7<"$R/pages" 8<"$R"
_expect OK rename "$R" "$MNT/s"
_expect_errno ENOENT stat "$R/records"
rm -f "$T/out"
_expect "OK OK OK" -o "$T/out" fd 3 write $'eq 7\n' read
_content "$T/out" "7 7"
rm -f "$T/out"
_expect "OK OK" -o "$T/out" fd 4 read
cmp -s "$T/out" "$T/r.records" || _fail "records after rename differs"
rm -f "$T/out"
_expect "OK OK" -o "$T/out" fd 5 read
_content "$T/out" ok
rm -f "$T/out"
_expect "OK OK" -o "$T/out" fd 6 pread 65536 0
[ "$(stat -c %s "$T/out")" = "$(_stat "$MNT/s" blocksize)" ] ||
	_fail "pages/1 after rename"
[ "$(ls /proc/self/fd/7)" = "$(ls "$MNT/s/pages")" ] ||
	_fail "pages/ through an open descriptor after rename"
_expect "OK OK OK" open /proc/self/fd/8/insert w write $'5000 5\n' close
_expect_errno EEXIST open /proc/self/fd/8/insert w write $'5000 5\n'
exec 3>&- 4<&- 5<&- 6<&- 7<&- 8<&-
_content "$MNT/s/type" kv
_check "$MNT/s"
rmdir "$MNT/s"

# ---- writers and readers racing rmdir and mkdir ---------------------------

W=$MNT/w
mkdir "$W"
steps=()
for ((i = 0; i < 800; i++)); do
	steps+=(open "$W/insert" w write "$i $i"$'\n' close)
done
"$XFBT_PROBE" "${steps[@]}" >"$T/writer.out" &
writer=$!
_track "$writer"
steps=()
for ((i = 0; i < 300; i++)); do
	steps+=(open "$W/records" r read close)
done
"$XFBT_PROBE" -o /dev/null "${steps[@]}" >"$T/reader.out" &
reader=$!
_track "$reader"
steps=()
for ((i = 0; i < 60; i++)); do
	steps+=(rmdir "$W" mkdir "$W" sleep 10)
done
got=$(_probe "${steps[@]}")
only_tokens "$got" OK
_wait "$writer"
_wait "$reader"
# Per open/write/close: all fine, the write too late (ENOENT, and the
# close has nothing to do), or no btree to open (then no descriptor).
for f in writer reader; do
	read -r -a tok <"$T/$f.out"
	for ((i = 0; i < ${#tok[@]}; i += 3)); do
		case "${tok[i]} ${tok[i + 1]} ${tok[i + 2]}" in
		"OK OK OK" | "OK ENOENT OK" | "ENOENT EBADF EBADF") ;;
		*) _fail "$f, step $i: '${tok[*]:i:3}'" ;;
		esac
	done
	echo "$f:$(tr ' ' '\n' <"$T/$f.out" | grep . | sort | uniq -c |
		tr -s ' \n' ' ')"
done
kill -0 "$_XFBT_PID" || _fail "the daemon died"
# What the last btree holds came from the writer, whole.
awk '$1 != $2 || $1 !~ /^[0-9]+$/ || $1 >= 800 { exit 1 }' \
	<(cat "$W/records") || _fail "records not from the writer"
_check "$W"
rmdir "$W"

# ---- pages of freed blocks -----------------------------------------------

P=$MNT/p
mkdir "$P"
bs=$(_stat "$MNT/p" blocksize)
awk 'BEGIN { for (i = 0; i < 2000; i++) print i, i }' >"$P/insert"
pages=$(cd "$P/pages" && printf '%s\n' * | sort -n | tr '\n' ' ')
steps=()
for n in $pages; do
	steps+=(open "$P/pages/$n" r)
done
seq 0 1999 >"$T/keys"
steps+=(open "$P/delete" w writefile "$T/keys" close)
i=0
for n in $pages; do
	steps+=(sel "$i" pread "$bs" 0)
	i=$((i + 1))
done
got=$(_probe "${steps[@]}")
read -r -a tok <<<"$got"
after=" $(cd "$P/pages" && printf '%s ' *)"
i=$((i + 3))	# the reads' tokens start after the opens and the delete
freed=0
for n in $pages; do
	want=OK
	if [[ "$after" != *" $n "* ]]; then
		want=ENOENT
		freed=$((freed + 1))
	fi
	[ "${tok[i + 1]}" = "$want" ] ||
		_fail "pages/$n (blocks now:$after): read says ${tok[i + 1]}"
	i=$((i + 2))
done
[ "$freed" -ge 3 ] || _fail "only $freed blocks freed by deleting all"
_check "$P"
# Readers racing a writer that fills and empties the btree: whole blocks
# or ENOENT, never a torn or short block.
awk 'BEGIN { for (i = 0; i < 3000; i++) print i, i }' >"$T/fill"
seq 0 2999 >"$T/empty"
steps=()
for ((i = 0; i < 40; i++)); do
	steps+=(open "$P/insert" w writefile "$T/fill" close)
	steps+=(open "$P/delete" w writefile "$T/empty" close)
done
"$XFBT_PROBE" "${steps[@]}" >"$T/filler.out" &
filler=$!
_track "$filler"
steps=()
for ((i = 0; i < 600; i++)); do
	steps+=(open "$P/pages/$((i % 12 + 1))" r read close)
done
rm -f "$T/blocks"
got=$(_probe -o "$T/blocks" "${steps[@]}")
_wait "$filler"
only_tokens "$(cat "$T/filler.out")" OK
read -r -a tok <<<"$got"
nread=0
for ((i = 0; i < ${#tok[@]}; i += 3)); do
	case "${tok[i]} ${tok[i + 1]} ${tok[i + 2]}" in
	"OK OK OK") nread=$((nread + 1)) ;;
	"OK ENOENT OK" | "ENOENT EBADF EBADF") ;;
	*) _fail "pages reader, step $i: '${tok[*]:i:3}'" ;;
	esac
done
[ "$(stat -c %s "$T/blocks")" = $((nread * bs)) ] ||
	_fail "$nread pages read, $(stat -c %s "$T/blocks") bytes"
echo "pages reader: $nread blocks read whole, $((${#tok[@]} / 3 - nread)) gone"
_content "$P/records" ""
_check "$P"
_umount

# ---- umount under clients ------------------------------------------------

_mount
mkdir "$MNT/b"
exec 3<"$MNT/b/stats" 4>"$MNT/b/insert"
(cd "$MNT/b" && exec sleep 60) &
inside=$!
_track "$inside"
status=0
umount "$MNT" 2>>"$_XFBT_LOG" || status=$?
[ "$status" = 32 ] || _fail "umount with files open: status $status"
status=0
fusermount3 -u "$MNT" 2>>"$_XFBT_LOG" || status=$?
[ "$status" != 0 ] || _fail "fusermount3 -u with files open succeeded"
_xfbt_is_mounted "$MNT" || _fail "unmounted although busy"
_expect "OK OK" fd 3 read
_expect "OK OK" fd 4 write $'1 1\n'
_content "$MNT/b/records" "1 1"
# Lazily: gone from the namespace at once, working for what is open.
umount -l "$MNT"
! _xfbt_is_mounted "$MNT" || _fail "still mounted after umount -l"
_expect "OK OK" fd 4 write $'2 2\n'
rm -f "$T/out"
_expect "OK OK" -o "$T/out" fd 3 pread 65536 0
grep -qx "records 2" "$T/out" || _fail "stats after umount -l: $(cat "$T/out")"
sleep 1
kill -0 "$_XFBT_PID" || _fail "the daemon left while files were open"
exec 3<&- 4>&-
kill "$inside"
_wait "$inside" || true
# _umount waits for the daemon to exit and wants status 0.
_umount

# SIGTERM: a clean unmount; a client still reading gets ENOTCONN.
_mount
mkdir "$MNT/b"
awk 'BEGIN { for (i = 0; i < 100000; i++) print i, i }' >"$MNT/b/insert"
# A reader between two reads, with the root open too (so that the daemon
# has open files and directories to free on its way out).
"$XFBT_PROBE" open "$MNT" rd open "$MNT/b/records" r read1 4096 \
	sleep 1500 read1 4096 close >"$T/client.out" &
client=$!
_track "$client"
_wait_tokens "$T/client.out" 3
dir=$MNT
_kill_daemon TERM
[ "$XFBT_DAEMON_STATUS" = 0 ] ||
	_fail "the daemon exited $XFBT_DAEMON_STATUS on SIGTERM"
! _xfbt_is_mounted "$dir" || _fail "still mounted after SIGTERM"
grep -q "signal 15" "$_XFBT_LOG" || _fail "SIGTERM not in the log"
_wait "$client"
read -r -a tok <"$T/client.out"
if [ "${tok[*]:0:4}" != "OK OK OK OK" ] ||
	[[ ! "${tok[4]}" =~ ^(ENOTCONN|ECONNABORTED)$ ]]; then
	_fail "a reader across SIGTERM: '${tok[*]}'"
fi
rmdir "$dir"

# ---- SIGKILL with clients blocked ----------------------------------------

_mount
B=$MNT/b
mkdir "$B"
awk 'BEGIN { for (i = 0; i < 300000; i++) print i, i }' >"$T/big"
_ok open "$B/insert" w writefile "$T/big" close
# A reader with the file open, between two reads.
"$XFBT_PROBE" open "$B/records" r read1 65536 sleep 3000 read1 65536 \
	close >"$T/a.out" &
a=$!
_track "$a"
_wait_tokens "$T/a.out" 2
# Stopped, the daemon answers nothing: these block in their requests.
# (Nothing of this shell may hold a file of the mount now: a child
# exiting with one would block in its flush.)
kill -STOP "$_XFBT_PID"
blocked=()
for c in "open $B/records r read close" "stat $B/stats" \
	"open $B/insert w writefile $T/big close" "open $MNT rd" \
	"mkdir $MNT/c"; do
	# shellcheck disable=SC2086
	timeout -s KILL 30 "$XFBT_PROBE" $c >"$T/c${#blocked[@]}.out" &
	blocked+=($!)
	_track "$!"
done
timeout -s KILL 30 ls "$MNT" >/dev/null 2>&1 &
ls_pid=$!
_track "$ls_pid"
sleep 1
for c in "${blocked[@]}" "$ls_pid"; do
	kill -0 "$c" 2>/dev/null ||
		_fail "a client did not block on a stopped daemon"
done
_kill_daemon KILL
[ "$XFBT_DAEMON_STATUS" = 137 ] ||
	_fail "the daemon exited $XFBT_DAEMON_STATUS on SIGKILL"
# Every client returns, with an error, without its timeout.
for ((i = 0; i < ${#blocked[@]}; i++)); do
	status=0
	_wait "${blocked[i]}" || status=$?
	[ "$status" = 0 ] || _fail "client $i exited $status (timeout: 137)"
	read -r first rest <"$T/c$i.out"
	[[ "$first" =~ ^(ENOTCONN|ECONNABORTED)$ ]] ||
		_fail "client $i: '$first $rest'"
done
status=0
_wait "$ls_pid" || status=$?
[ "$status" = 2 ] || _fail "ls on the killed daemon exited $status"
_wait "$a"
read -r -a tok <"$T/a.out"
if [ "${tok[*]:0:3}" != "OK OK OK" ] ||
	[[ ! "${tok[3]}" =~ ^(ENOTCONN|ECONNABORTED)$ ]]; then
	_fail "a reader across SIGKILL: '${tok[*]}'"
fi
# The dead mount: ENOTCONN for everything, until fusermount3 -u.
_xfbt_is_mounted "$MNT" || _fail "the dead mount is gone already"
_expect_errno ENOTCONN stat "$MNT"
_expect_errno ENOTCONN stat "$B/stats"
fusermount3 -u "$MNT"
! _xfbt_is_mounted "$MNT" || _fail "fusermount3 -u left the dead mount"
# A new daemon on the same directory: a fresh, empty mount.
_mount_at "$MNT"
[ -z "$(ls -A "$MNT")" ] || _fail "a new mount lists $(ls -A "$MNT")"
mkdir "$B"
_write "$B/insert" $'1 1\n'
_content "$B/records" "1 1"
_check "$B"
_umount

# ---- who reaches the mount -------------------------------------------------

# as_nobody CMD...: run CMD as uid and gid 65534, no groups.
as_nobody()
{
	setpriv --reuid=65534 --regid=65534 --clear-groups -- "$@"
}

if [ "$(id -u)" != 0 ] || ! command -v setpriv >/dev/null; then
	echo "SKIP part: other users (needs root and setpriv)"
	exit 0
fi
# Let others through the test's directories (the mount's own permissions
# are what is tested), and check they can run the probe at all.
chmod 0711 "$_XFBT_TMP"
got=$(as_nobody "$XFBT_PROBE" stat "$T" 2>&1) || true
if [ "$got" != "OK " ]; then
	echo "SKIP part: nobody cannot run $XFBT_PROBE ($got)"
	exit 0
fi

# Without allow_other: only the mounting user (root here) gets in.
_mount
mkdir "$MNT/b"
_write "$MNT/b/insert" $'1 10\n2 20\n'
grep " $MNT " /proc/mounts | grep -qv allow_other ||
	_fail "mounted with allow_other by default"
got=$(as_nobody "$XFBT_PROBE" stat "$MNT" stat "$MNT/b" \
	open "$MNT/b/records" r open "$MNT" rd mkdir "$MNT/c")
[ "$got" = "EACCES EACCES EACCES EACCES EACCES " ] ||
	_fail "another user without allow_other: '$got'"
if as_nobody ls "$MNT" >/dev/null 2>&1; then
	_fail "another user could list the mount"
fi
_content "$MNT/b/records" $'1 10\n2 20'
_umount

# With allow_other, default_permissions comes along: the mode bits rule.
_mount allow_other
grep " $MNT " /proc/mounts | grep -q default_permissions ||
	_fail "allow_other without default_permissions:" \
		"$(grep " $MNT " /proc/mounts)"
mkdir "$MNT/b"
_write "$MNT/b/insert" $'1 10\n2 20\n'
: >"$T/nobody.out"
chmod 0666 "$T/nobody.out"
got=$(as_nobody "$XFBT_PROBE" -o "$T/nobody.out" stat "$MNT" \
	open "$MNT/b/records" r read close open "$MNT/b/stats" r close \
	open "$MNT/b/check" r close open "$MNT/b/type" r close \
	open "$MNT/b/pages/1" r close open "$MNT/b/tree.dot" r close)
only_tokens "$got" OK
head -n 2 "$T/nobody.out" | cmp -s - <(printf '1 10\n2 20\n') ||
	_fail "nobody read $(head -n 2 "$T/nobody.out")"
for s in "open $MNT/b/insert w" "open $MNT/b/delete w" \
	"open $MNT/b/lookup rw" "open $MNT/b/lookup r" "open $MNT/b/type w" \
	"open $MNT/b/records w" "mkdir $MNT/c" "rmdir $MNT/b" \
	"rename $MNT/b $MNT/c" "utimens $MNT/b/type"; do
	# shellcheck disable=SC2086
	got=$(as_nobody "$XFBT_PROBE" $s)
	[ "$got" = "EACCES " ] || _fail "nobody: $s: '$got'"
done
[ "$(ls "$MNT")" = b ] || _fail "the root changed"
_content "$MNT/b/records" $'1 10\n2 20'
_content "$MNT/b/type" kv
# The owner still writes.
_write "$MNT/b/insert" $'3 30\n'
_check "$MNT/b"
_umount

# Setuid or setgid: refused before anything else.  The copy finds its
# libraries through a private ld.so.cache (a set-user-ID program ignores
# the build tree's RUNPATH), bound over /etc/ld.so.cache in a mount
# namespace of its own.
S=$T/suid
if findmnt -n -o OPTIONS -T "$T" | grep -qw nosuid ||
	! command -v unshare >/dev/null ||
	! command -v ldconfig >/dev/null; then
	echo "SKIP part: setuid (nosuid $T, or no unshare or ldconfig)"
	exit 0
fi
mkdir -p "$S/bin" "$S/lib"
cp "$XFBTREEFS" "$S/bin/xfbtreefs"
ldd "$XFBTREEFS" | awk '$2 == "=>" && $3 !~ "^/(usr/)?lib" { print $3 }' |
	while read -r lib; do
		cp -L "$lib" "$S/lib/"
	done
echo "$S/lib" >"$S/ld.so.conf"
ldconfig -X -C "$S/ld.so.cache" -f "$S/ld.so.conf" 2>/dev/null
chmod -R go+rX "$S"
mkdir "$T/suidmnt"
# try MODE: run the copy with MODE as nobody; its exit status and output.
try()
{
	chmod "$1" "$S/bin/xfbtreefs"
	status=0
	# shellcheck disable=SC2016	# expanded by that sh
	out=$(timeout -s KILL 10 unshare -m sh -c '
		mount --make-rprivate / &&
		mount --bind "$1" /etc/ld.so.cache &&
		exec setpriv --reuid=65534 --regid=65534 --clear-groups -- \
			"$2" -f "$3"' sh "$S/ld.so.cache" "$S/bin/xfbtreefs" \
		"$T/suidmnt" 2>&1) || status=$?
	! _xfbt_is_mounted "$T/suidmnt" || _fail "the copy mounted"
}
try 0755
if [ "$status" = 0 ] || [[ "$out" == *refusing* ]]; then
	_fail "plain copy as nobody: status $status, '$out'"
fi
if [[ "$out" == *"error while loading shared libraries"* ]]; then
	echo "SKIP part: setuid (the copy does not load: $out)"
	exit 0
fi
for mode in 4755 2755; do
	try "$mode"
	if [ "$status" != 1 ] ||
		[[ "$out" != *"refusing to run setuid or setgid"* ]]; then
		_fail "mode $mode as nobody: status $status, '$out'"
	fi
done
