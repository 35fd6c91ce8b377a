#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# common.sh: what every integration test (tests/integration/*.sh) sources.
#
# A test mounts xfbtreefs on a temporary directory, drives it with the
# shell and with xfbt_probe (one system call per step, exact errno names),
# and checks the result against xfbtreefs(5).  Whatever happens, the EXIT trap
# stops the background jobs the test started, unmounts, waits for the
# daemon it started (killing that PID alone if it hangs) and removes the
# temporary directory.  The daemon must exit with status 0 after the
# unmount and its log must hold no sanitizer report; otherwise the test
# fails even if every check passed.
#
# Environment (meson sets all of them; only XFBTREEFS is needed by hand):
#   XFBTREEFS    the daemon
#   XFBT_PROBE   xfbt_probe   (default: next to the daemon's build tree)
#   XFBT_PAGE    xfbt_page    (likewise)
#   XFBT_SRCDIR  the source tree, for scripts/ (default: from this file)
#   XFBT_KEEP_GOING=1  report every failed check and go on (for hunting
#                bugs by hand; the test still fails at the end)
#
# Functions:
#   _fail MSG...            print MSG and the caller's line, exit 1
#   _notrun MSG...          exit 77: meson counts the test as skipped
#   _mount [OPT...]         mount with "-o OPT" for each OPT, or OPT
#                           itself if it starts with "-"; sets MNT
#   _mount_at DIR [OPT...]  the same on DIR, an empty directory of the
#                           test's (say the MNT a killed daemon left)
#   _umount                 unmount now (also done by the EXIT trap)
#   _kill_daemon [SIG]      send SIG (default KILL) to the daemon's PID
#                           alone and wait for it; its exit status goes
#                           to XFBT_DAEMON_STATUS and does not fail the
#                           test; MNT stays set, and a dead mount left
#                           there is unmounted at exit if the test does
#                           not do it first
#   _mount_fails [OPT...]   the daemon must refuse these options (same
#                           form as _mount)
#   _track_mount DIR        a mount the test made itself (a daemon in the
#                           background, mount.fuse3): unmounted at exit if
#                           the test does not do it first
#   _track PID...           background jobs to stop at exit
#   _wait PID               wait for a tracked job, return its status
#   _probe STEP...          run xfbt_probe, print its tokens
#   _probe_v VAR STEP...    the same into VAR, with no subshell (a test's
#                           shell reaches xfbt_probe and xfbt_page through
#                           servers: see "helper servers" below)
#   _page VAR ARG...        xfbt_page's output into VAR
#   _wait_tokens FILE N [S] wait (S seconds, default 10) until FILE, the
#                           output of a probe in the background, holds N
#                           tokens: its first N steps are done
#   _expect TOKENS STEP...  xfbt_probe must print exactly TOKENS
#   _ok STEP...             every step must print OK
#   _expect_any "T1|T2" STEP...  the probe's tokens must be one of these
#   _expect_errno E STEP... every step OK but the last, which fails with E
#   _write FILE TEXT        open, one write() of TEXT, close: all OK
#   _content FILE TEXT      FILE must read as TEXT (trailing newlines
#                           aside, as with $(cat))
#   _stat DIR NAME          one value from DIR/stats
#   _stat_v VAR DIR NAME    the same into VAR (no subshell)
#   _check DIR              DIR/check must read exactly "ok"
#   _lookup DIR QUERY...    the lookup file's answer to the queries,
#                           written in one write on one open file
#   _lookup_v VAR DIR QUERY...  the same into VAR
#   _snap DIR [light]       a fingerprint of the btree's state (records,
#                           shape, every page byte for byte; "light"
#                           leaves out the page bytes)
#   _snap_v VAR DIR [light] the same into VAR
#   _unchanged DIR SNAP     the fingerprint must equal SNAP

set -eEuo pipefail
shopt -s inherit_errexit
export LC_ALL=C

_XFBT_LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
XFBT_SRCDIR=${XFBT_SRCDIR:-$(cd "$_XFBT_LIB_DIR/../.." && pwd)}

# Where the test script called us from: the first frame outside this file.
_xfbt_where()
{
	local i

	for ((i = 1; i < ${#BASH_SOURCE[@]}; i++)); do
		if [ "${BASH_SOURCE[i]}" != "${BASH_SOURCE[0]}" ]; then
			echo "${BASH_SOURCE[i]##*/}:${BASH_LINENO[i - 1]}"
			return
		fi
	done
	echo "?"
}

_fail()
{
	echo "FAIL ($(_xfbt_where)): $*" >&2
	if [ -n "${XFBT_KEEP_GOING:-}" ] && [ -n "${_XFBT_TMP:-}" ]; then
		: >"$_XFBT_TMP/failed"
		return 0
	fi
	exit 1
}

_notrun()
{
	echo "SKIP: $*" >&2
	exit 77
}

# An unexpected failing command (set -e) says where it was.
_xfbt_on_err()
{
	echo "error: '$2' exited $1 at $(_xfbt_where) (line $3)" >&2
}
trap '_xfbt_on_err $? "$BASH_COMMAND" $LINENO' ERR

[ -n "${XFBTREEFS:-}" ] || _notrun "XFBTREEFS is not set"
[ -x "$XFBTREEFS" ] || _notrun "no daemon at $XFBTREEFS"
[ -c /dev/fuse ] || _notrun "no /dev/fuse"
[ -r /dev/fuse ] || _notrun "cannot read /dev/fuse"
[ -w /dev/fuse ] || _notrun "cannot write /dev/fuse"
command -v fusermount3 >/dev/null || _notrun "no fusermount3"
_xfbt_helpers="$(dirname "$XFBTREEFS")/../tests/integration"
XFBT_PROBE=${XFBT_PROBE:-$_xfbt_helpers/xfbt_probe}
XFBT_PAGE=${XFBT_PAGE:-$_xfbt_helpers/xfbt_page}
[ -x "$XFBT_PROBE" ] || _fail "no xfbt_probe at $XFBT_PROBE"
[ -x "$XFBT_PAGE" ] || _fail "no xfbt_page at $XFBT_PAGE"

_XFBT_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-itest.XXXXXX")
_XFBT_LOG=$_XFBT_TMP/daemon.log
_XFBT_PID=
_XFBT_BG=()
_XFBT_DEAD_MNTS=()
XFBT_DAEMON_STATUS=
_XFBT_CLEANING=
MNT=
# Scratch space for the test's own files.
T=$_XFBT_TMP/work
mkdir "$T"
: >"$_XFBT_LOG"

# (Read by the shell, no process: this runs thousands of times a test.)
_xfbt_is_mounted()
{
	local dir

	while read -r _ dir _; do
		[ "$dir" != "$1" ] || return 0
	done </proc/mounts
	return 1
}

# _xfbt_nap SECONDS: sleep with no process (read's timeout on a FIFO no
# one writes to), for the polling loops: a mount, an unmount, a daemon's
# exit are usually there within a few milliseconds.
_XFBT_NAP_FD=
_xfbt_nap()
{
	if [ -z "$_XFBT_NAP_FD" ]; then
		mkfifo "$_XFBT_TMP/nap"
		exec {_XFBT_NAP_FD}<>"$_XFBT_TMP/nap"
	fi
	read -r -t "$1" -u "$_XFBT_NAP_FD" _ || :
}

_track()
{
	_XFBT_BG+=("$@")
}

_wait()
{
	local pid status=0 left=()

	wait "$1" || status=$?
	for pid in "${_XFBT_BG[@]}"; do
		[ "$pid" = "$1" ] || left+=("$pid")
	done
	_XFBT_BG=("${left[@]}")
	return "$status"
}

# Stop the background jobs this test started (by PID, never by name).
_xfbt_stop_bg()
{
	local pid

	for pid in "${_XFBT_BG[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	for pid in "${_XFBT_BG[@]}"; do
		wait "$pid" 2>/dev/null || true
	done
	_XFBT_BG=()
}

# ---- helper servers ----
# xfbt_probe and xfbt_page each run as one process for the whole test
# (tests/integration/helper_serve.h), started the first time the test's
# own shell calls them: a call then costs two pipe writes and reads, not
# a fork and an exec (3-5 ms on a busy VM, and 30 ms more for a helper
# built with AddressSanitizer).  A subshell or a background job (BASHPID
# is not $$) runs the helper as a process of its own, as does a call with
# an "fd" step or a path through /proc/self/fd or /dev/fd: the server has
# only the descriptors it started with.
# XFBT_SERVE=0 turns the servers off.
declare -A _XFBT_SRV_PID=() _XFBT_SRV_IN=() _XFBT_SRV_OUT=()

# _xfbt_served ARG...: status 0 if a call with these arguments may go to
# a server.
_xfbt_served()
{
	local _xfbt_a

	[ "$BASHPID" = "$$" ] && [ "${XFBT_SERVE:-1}" != 0 ] || return 1
	for _xfbt_a; do
		case $_xfbt_a in
		fd | /proc/self/* | /dev/fd/* | /dev/std*) return 1 ;;
		esac
	done
}

_xfbt_serve_start()
{
	local prog=$1 n=${#_XFBT_SRV_PID[@]} fifo=$_XFBT_TMP/serve fin fout

	mkfifo "$fifo$n.in" "$fifo$n.out"
	"$prog" --serve <"$fifo$n.in" >"$fifo$n.out" &
	_XFBT_SRV_PID[$prog]=$!
	exec {fin}>"$fifo$n.in" {fout}<"$fifo$n.out"
	_XFBT_SRV_IN[$prog]=$fin
	_XFBT_SRV_OUT[$prog]=$fout
	# A server that died leaves its pipe without a reader: fail, and
	# let the EXIT trap clean up, rather than die of the signal.
	trap '_fail "a helper server stopped reading"' PIPE
}

# Stop the servers (at exit): end of input, and their PIDs join the
# background jobs that _xfbt_stop_bg ends with SIGTERM and waits for (a
# child the test started could still hold a pipe's writing end, so the
# end of input alone is not enough).
_xfbt_serve_stop()
{
	local prog fd

	for prog in "${!_XFBT_SRV_PID[@]}"; do
		fd=${_XFBT_SRV_IN[$prog]}
		exec {fd}>&-
		fd=${_XFBT_SRV_OUT[$prog]}
		exec {fd}<&-
		_XFBT_BG+=("${_XFBT_SRV_PID[$prog]}")
	done
	_XFBT_SRV_PID=()
}

# _xfbt_chomp VAR: cut VAR's trailing newlines, as $(...) cuts them.
_xfbt_chomp()
{
	local -n _xfbt_c=$1

	while [[ $_xfbt_c == *$'\n' ]]; do
		_xfbt_c=${_xfbt_c%$'\n'}
	done
}

# _xfbt_call VAR PROG ARG...: one request to PROG's server (started on
# first use), as _xfbt_run; the caller has checked _xfbt_served.
_xfbt_call()
{
	local -n _xfbt_o=$1
	local _xfbt_prog=$2 _xfbt_st

	shift 2
	[ -n "${_XFBT_SRV_PID[$_xfbt_prog]:-}" ] ||
		_xfbt_serve_start "$_xfbt_prog"
	printf '%s\0' "$PWD" "$#" "$@" >&"${_XFBT_SRV_IN[$_xfbt_prog]}"
	{ IFS= read -r -d '' _xfbt_o && IFS= read -r _xfbt_st; } \
		<&"${_XFBT_SRV_OUT[$_xfbt_prog]}" ||
		_fail "${_xfbt_prog##*/} --serve stopped answering"
	_xfbt_chomp _xfbt_o
	return "$_xfbt_st"
}

# _xfbt_run VAR PROG ARG...: PROG's standard output into VAR, trailing
# newlines cut as $(...) cuts them; returns PROG's exit status.
_xfbt_run()
{
	local -n _xfbt_r=$1
	local _xfbt_st=0

	if _xfbt_served "${@:3}"; then
		_xfbt_call "$@"
		return
	fi
	_xfbt_r=$("${@:2}") || _xfbt_st=$?
	return "$_xfbt_st"
}

# Print the daemon's log (on failure, once).
_xfbt_show_log()
{
	if [ -s "$_XFBT_LOG" ] && [ -z "${_XFBT_LOG_SHOWN:-}" ]; then
		_XFBT_LOG_SHOWN=1
		echo "---- daemon log (last 150 lines) ----" >&2
		tail -n 150 "$_XFBT_LOG" >&2
		echo "------------------------------------" >&2
	fi
}

_mount()
{
	[ -z "$_XFBT_PID" ] || _fail "_mount: already mounted on $MNT"
	_mount_at "$(mktemp -d "$_XFBT_TMP/mnt.XXXXXX")" "$@"
}

_mount_at()
{
	local opts=() opt i status=0

	[ -z "$_XFBT_PID" ] || _fail "_mount_at: already mounted on $MNT"
	MNT=$1
	shift
	[[ "$MNT" == "$_XFBT_TMP"/* ]] || _fail "_mount_at: $MNT is not ours"
	for opt in "$@"; do
		case $opt in
		-*) opts+=("$opt") ;;
		*) opts+=(-o "$opt") ;;
		esac
	done
	echo "== mount ${*:-(defaults)}" >>"$_XFBT_LOG"
	"$XFBTREEFS" -f "${opts[@]}" "$MNT" >>"$_XFBT_LOG" 2>&1 &
	_XFBT_PID=$!
	for ((i = 0; i < 1000; i++)); do
		_xfbt_is_mounted "$MNT" && return 0
		if ! kill -0 "$_XFBT_PID" 2>/dev/null; then
			wait "$_XFBT_PID" || status=$?
			_XFBT_PID=
			_xfbt_show_log
			_fail "daemon exited ($status) before mounting ($*)"
		fi
		_xfbt_nap 0.01
	done
	_fail "$MNT not mounted after 10 s"
}

# Unmount, wait for the daemon (10 s), kill only its PID if it hangs.
# Prints what went wrong and returns 1 if the daemon did not exit cleanly.
_xfbt_umount()
{
	local pid=$_XFBT_PID status=0 i problem=

	[ -n "$pid" ] || return 0
	# A test that stopped the daemon (SIGSTOP) may have failed meanwhile.
	# Only a stopped daemon gets SIGCONT: one already on its way out may
	# be under LeakSanitizer's tracer, whose attach SIGSTOP a SIGCONT
	# would discard, leaving the tracer to wait for ever.
	if grep -q '^State:[[:space:]]*T' /proc/"$pid"/status 2>/dev/null; then
		kill -CONT "$pid" 2>/dev/null || true
	fi
	_xfbt_stop_bg
	if _xfbt_is_mounted "$MNT"; then
		if ! fusermount3 -u "$MNT" 2>>"$_XFBT_LOG"; then
			sleep 1
			fusermount3 -u "$MNT" 2>>"$_XFBT_LOG" ||
				fusermount3 -uz "$MNT" 2>>"$_XFBT_LOG" || true
		fi
	fi
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		_xfbt_nap 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		problem="daemon $pid still running 10 s after unmount"
		_xfbt_dump_threads "$pid" >>"$_XFBT_LOG" 2>&1
		kill -TERM "$pid" 2>/dev/null || true
		sleep 2
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || status=$?
	_XFBT_PID=
	if _xfbt_is_mounted "$MNT"; then
		fusermount3 -uz "$MNT" 2>>"$_XFBT_LOG" || true
		problem=${problem:-"$MNT still mounted after the daemon exited"}
	fi
	rmdir "$MNT" 2>/dev/null || true
	if [ -z "$problem" ] && [ "$status" -ne 0 ]; then
		problem="daemon exited with status $status after unmount"
	fi
	if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:|Assertion .* failed|: assertion failed: ' \
			"$_XFBT_LOG"; then
		problem=${problem:-"sanitizer or assertion report in daemon log"}
	fi
	if [ -n "$problem" ]; then
		_xfbt_show_log
		echo "FAIL: $problem" >&2
		return 1
	fi
}

# Where a daemon that will not exit is waiting: each thread's state,
# wait channel and kernel stack, the FUSE connections' waiting counts,
# and (where gdb is installed) every thread's user stack.
_xfbt_dump_threads()
{
	local t c

	echo "---- daemon $1 did not exit: its threads ----"
	for t in /proc/"$1"/task/*; do
		echo "thread ${t##*/}: $(cat "$t/comm" "$t/wchan" 2>&1 || true)"
		grep -E '^(State|TracerPid):' "$t/status" 2>&1 || true
		sed 's/^/    /' "$t/stack" 2>&1 || true
	done
	for c in /sys/fs/fuse/connections/*; do
		if [ -e "$c/waiting" ]; then
			echo "fuse connection ${c##*/}: waiting $(cat "$c/waiting")"
		fi
	done
	grep -F " $MNT " /proc/mounts || echo "$MNT is not mounted"
	# LeakSanitizer's check at exit runs under a tracer of its own.
	c=$(awk '$1 == "TracerPid:" { print $2 }' /proc/"$1"/status 2>/dev/null)
	if [ -n "$c" ] && [ "$c" != 0 ]; then
		echo "traced by $c: $(cat /proc/"$c"/comm 2>&1)"
		grep -E '^State:' /proc/"$c"/status 2>&1 || true
		sed 's/^/    /' /proc/"$c"/stack 2>&1 || true
	elif command -v gdb >/dev/null; then
		timeout 60 gdb -batch -nx -p "$1" -ex "thread apply all bt" \
			2>&1 | grep -E '^(Thread|#|ptrace)' || true
	fi
	echo "--------------------------------------------"
}

_umount()
{
	_xfbt_umount || _fail "unmount of $MNT"
}

_kill_daemon()
{
	local sig=${1:-KILL} pid=$_XFBT_PID i status=0

	[ -n "$pid" ] || _fail "_kill_daemon: no daemon running"
	echo "== kill -$sig $pid" >>"$_XFBT_LOG"
	kill -s "$sig" "$pid"
	# (Quietly: bash reports a job killed by a signal on stderr.)
	{
		for ((i = 0; i < 1000; i++)); do
			kill -0 "$pid" || break
			_xfbt_nap 0.01
		done
	} 2>/dev/null
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null || true
		wait "$pid" || true
		_XFBT_PID=
		_XFBT_DEAD_MNTS+=("$MNT")
		_fail "daemon $pid still running 10 s after SIG$sig"
	fi
	{ wait "$pid"; } 2>/dev/null || status=$?
	# shellcheck disable=SC2034	# for the test to read
	XFBT_DAEMON_STATUS=$status
	_XFBT_PID=
	_XFBT_DEAD_MNTS+=("$MNT")
	! grep -Eq \
		'ERROR: (Address|Leak)Sanitizer|runtime error:|Assertion .* failed|: assertion failed: ' \
		"$_XFBT_LOG" || _fail "sanitizer or assertion report in daemon log"
}

_track_mount()
{
	[[ "$1" == "$_XFBT_TMP"/* ]] || _fail "_track_mount: $1 is not ours"
	_XFBT_DEAD_MNTS+=("$1")
}

# Unmount what killed daemons left mounted and the mounts the test made
# itself (never anything else).
_xfbt_clean_dead()
{
	local dir

	for dir in "${_XFBT_DEAD_MNTS[@]}"; do
		_xfbt_is_mounted "$dir" || continue
		fusermount3 -u "$dir" 2>>"$_XFBT_LOG" ||
			fusermount3 -uz "$dir" 2>>"$_XFBT_LOG" || true
	done
	_XFBT_DEAD_MNTS=()
}

_xfbt_cleanup()
{
	local status=$?

	trap - ERR
	set +e
	[ -z "$_XFBT_CLEANING" ] || return 0
	_XFBT_CLEANING=1
	# Descriptors the test left open on the mount would block unmount.
	exec 3>&- 4>&- 5>&- 6>&- 7>&- 8>&- 9>&-
	if [ -e "$_XFBT_TMP/failed" ] && [ "$status" -eq 0 ]; then
		status=1
	fi
	if [ "$status" -ne 0 ] && [ "$status" -ne 77 ]; then
		_xfbt_show_log
	fi
	_xfbt_serve_stop
	if ! _xfbt_umount && [ "$status" -eq 0 ]; then
		status=1
	fi
	_xfbt_stop_bg
	_xfbt_clean_dead
	if ! grep -q " ${_XFBT_TMP}/" /proc/mounts; then
		rm -rf --one-file-system "$_XFBT_TMP"
	else
		echo "leaving $_XFBT_TMP: still mounted" >&2
	fi
	exit "$status"
}
trap _xfbt_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# The daemon must refuse OPTS: exit non-zero within 10 s, never mount.
_mount_fails()
{
	local opts=() opt dir pid status=0 i

	for opt in "$@"; do
		case $opt in
		-*) opts+=("$opt") ;;
		*) opts+=(-o "$opt") ;;
		esac
	done
	dir=$(mktemp -d "$_XFBT_TMP/bad.XXXXXX")
	echo "== must refuse: $*" >>"$_XFBT_LOG"
	"$XFBTREEFS" -f "${opts[@]}" "$dir" >>"$_XFBT_LOG" 2>&1 &
	pid=$!
	for ((i = 0; i < 1000; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		if _xfbt_is_mounted "$dir"; then
			fusermount3 -u "$dir" 2>>"$_XFBT_LOG" ||
				fusermount3 -uz "$dir" 2>>"$_XFBT_LOG" || true
			wait "$pid" || true
			rmdir "$dir"
			_fail "options '$*' were accepted: it mounted"
			return
		fi
		_xfbt_nap 0.01
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill "$pid" 2>/dev/null || true
		wait "$pid" || true
		rmdir "$dir"
		_fail "options '$*': the daemon neither mounted nor exited"
		return
	fi
	wait "$pid" || status=$?
	rmdir "$dir"
	[ "$status" -ne 0 ] || _fail "options '$*': daemon exited 0"
	if grep -Eq 'ERROR: (Address|Leak)Sanitizer|runtime error:' \
			"$_XFBT_LOG"; then
		_fail "options '$*': sanitizer report"
	fi
}

_probe()
{
	local _xfbt_out _xfbt_st=0

	if _xfbt_served "$@"; then
		_xfbt_call _xfbt_out "$XFBT_PROBE" "$@" || _xfbt_st=$?
		printf '%s\n' "$_xfbt_out"
		return "$_xfbt_st"
	fi
	"$XFBT_PROBE" "$@"
}

_probe_v()
{
	_xfbt_run "$1" "$XFBT_PROBE" "${@:2}"
}

_page()
{
	_xfbt_run "$1" "$XFBT_PAGE" "${@:2}"
}

_wait_tokens()
{
	local i n=0 text
	local -a words

	for ((i = 0; i < ${3:-10} * 100; i++)); do
		if [ -e "$1" ]; then
			_xfbt_slurp "$1" text
			read -r -a words <<<"${text//$'\n'/ }"
			n=${#words[@]}
		fi
		[ "$n" -lt "$2" ] || return 0
		_xfbt_nap 0.01
	done
	_fail "$1 holds $n tokens after ${3:-10} s, not $2: $(head -c 200 "$1")"
}

# _expect "OK OK EINVAL" STEP...: the probe's tokens, exactly.
_expect()
{
	local want=$1 got

	shift
	_xfbt_run got "$XFBT_PROBE" "$@" || _fail "xfbt_probe failed: $*"
	got=${got% }
	[ "$got" = "$want" ] ||
		_fail "expected '$want', got '$got' from: $(_xfbt_quote "$@")"
}

_ok()
{
	local got

	_xfbt_run got "$XFBT_PROBE" "$@" || _fail "xfbt_probe failed: $*"
	[[ ! "$got" =~ [^OK\ ] ]] ||
		_fail "expected only OK, got '${got% }' from: $(_xfbt_quote "$@")"
}

# _expect_any "OK EINVAL OK|OK OK EINVAL" STEP...: where xfbtreefs(5) leaves
# open which call reports an error.
_expect_any()
{
	local wants=$1 want got alt

	shift
	_xfbt_run got "$XFBT_PROBE" "$@" || _fail "xfbt_probe failed: $*"
	got=${got% }
	IFS='|' read -r -a alt <<<"$wants"
	for want in "${alt[@]}"; do
		[ "$got" != "$want" ] || return 0
	done
	_fail "expected '$wants', got '$got' from: $(_xfbt_quote "$@")"
}

# _expect_errno ENAME STEP...: all steps OK but the last, which fails
# with exactly ENAME.
_expect_errno()
{
	local want=$1 got n i expect='' toks

	shift
	[ "$want" != ENOTSUP ] || want=EOPNOTSUPP
	_xfbt_run got "$XFBT_PROBE" "$@" || _fail "xfbt_probe failed: $*"
	read -r -a toks <<<"$got"
	n=${#toks[@]}
	for ((i = 1; i < n; i++)); do
		expect+="OK "
	done
	expect+=$want
	[ "${got% }" = "$expect" ] ||
		_fail "expected '$expect', got '${got% }' from: $(_xfbt_quote "$@")"
}

# Quote a command line for messages, newlines shown as \n.
_xfbt_quote()
{
	local a out=

	for a in "$@"; do
		a=${a//$'\n'/\\n}
		a=${a//$'\t'/\\t}
		out+="'${a:0:120}' "
	done
	echo "${out% }"
}

_write()
{
	_expect "OK OK OK" open "$1" w write "$2" close
}

# _xfbt_slurp FILE VAR: FILE's whole text into VAR, its trailing newlines
# cut as $(cat) cuts them, with no process: the helpers below run
# thousands of times a test.  Fails (status 1) if FILE cannot be read.
_xfbt_slurp()
{
	local -n _xfbt_v=$2

	_xfbt_v=
	# read stops at the end of the file (status 1: there is no NUL).
	{ IFS= read -r -d '' _xfbt_v || :; } <"$1" || return 1
	_xfbt_chomp _xfbt_v
}

_content()
{
	local got

	_xfbt_slurp "$1" got || _fail "reading $1 failed"
	[ "$got" = "$2" ] ||
		_fail "$1 reads '$(_xfbt_quote "$got")', expected '$(_xfbt_quote "$2")'"
}

# _xfbt_stat_value TEXT NAME: the value of NAME in TEXT (a stats file's
# "name value" lines) into REPLY; status 1 if there is none.
_xfbt_stat_value()
{
	[[ $'\n'$1$'\n' =~ $'\n'"$2 "([^$'\n']*)$'\n' ]] || return 1
	REPLY=${BASH_REMATCH[1]}
}

# (The functions that set a caller's variable through a nameref give
# their own locals names no caller would use.)
_stat_v()
{
	local -n _xfbt_sv=$1
	local _xfbt_text

	_xfbt_slurp "$2/stats" _xfbt_text || _fail "reading $2/stats failed"
	_xfbt_stat_value "$_xfbt_text" "$3" || _fail "no '$3' in $2/stats"
	_xfbt_sv=$REPLY
}

_stat()
{
	local v

	_stat_v v "$1" "$2"
	echo "$v"
}

_check()
{
	local got

	_xfbt_slurp "$1/check" got || _fail "reading $1/check failed"
	[ "$got" = ok ] || _fail "check of $1 says: $(head -n 5 <<<"$got")"
}

_lookup_v()
{
	local -n _xfbt_lv=$1
	local _xfbt_d=$2 _xfbt_q _xfbt_out

	shift 2
	# One write() (each write replaces the answer; the shell's printf
	# may cut a long text into several).
	printf -v _xfbt_q '%s\n' "$@"
	_xfbt_out=$_XFBT_TMP/lookup.$BASHPID
	: >"$_xfbt_out"
	_expect "OK OK OK" -o "$_xfbt_out" open "$_xfbt_d/lookup" rw \
		write "$_xfbt_q" read
	_xfbt_slurp "$_xfbt_out" _xfbt_lv || _fail "no answer in $_xfbt_out"
}

_lookup()
{
	local ans

	_lookup_v ans "$@"
	[ -z "$ans" ] || echo "$ans"
}

# The fingerprint, built by the shell and two probe calls: the records'
# and each page's bytes as FNV-1a sums (xfbt_probe's "sum" step), the
# block numbers in numeric order (the keys of an indexed array).
_snap_v()
{
	local -n _xfbt_snv=$1
	local _xfbt_d=$2 _xfbt_n _xfbt_snt _xfbt_f _xfbt_steps=() _xfbt_blocks=()

	_probe_v _xfbt_snt sum "$_xfbt_d/records"
	[[ $_xfbt_snt == SUM:* ]] || _fail "reading $_xfbt_d/records: $_xfbt_snt"
	_xfbt_snv="records text ${_xfbt_snt% }"
	_xfbt_slurp "$_xfbt_d/stats" _xfbt_snt ||
		_fail "reading $_xfbt_d/stats failed"
	for _xfbt_n in records height blocks data_size health; do
		_xfbt_stat_value "$_xfbt_snt" "$_xfbt_n" ||
			_fail "no '$_xfbt_n' in $_xfbt_d/stats"
		_xfbt_snv+=$'\n'"$_xfbt_n $REPLY"
	done
	for _xfbt_f in "$_xfbt_d"/pages/*; do
		[[ ${_xfbt_f##*/} =~ ^[0-9]+$ ]] ||
			_fail "no pages, or an odd one, in $_xfbt_d: $_xfbt_f"
		_xfbt_blocks[${_xfbt_f##*/}]=1
	done
	_xfbt_snv+=$'\n'"pages ${!_xfbt_blocks[*]}"
	[ "${3:-}" != light ] || return 0
	for _xfbt_n in "${!_xfbt_blocks[@]}"; do
		_xfbt_steps+=(sum "$_xfbt_d/pages/$_xfbt_n")
	done
	_probe_v _xfbt_snt "${_xfbt_steps[@]}"
	[[ $_xfbt_snt != *E[A-Z]* ]] ||
		_fail "reading the pages of $_xfbt_d: $_xfbt_snt"
	_xfbt_snv+=$'\n'"page bytes ${_xfbt_snt% }"
}

_snap()
{
	local v

	_snap_v v "$@"
	echo "$v"
}

_unchanged()
{
	local now

	if [[ "$2" == *"page bytes"* ]]; then
		_snap_v now "$1"
	else
		_snap_v now "$1" light
	fi
	[ "$now" = "$2" ] || {
		diff <(echo "$2") <(echo "$now") >&2 || true
		_fail "$1 changed"
	}
	_check "$1"
}
