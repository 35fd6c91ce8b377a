# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# scan_common.sh: what the `xfbt scan` tests (scan_*.sh) share, sourced
# after tests/lib/common.sh.  They need root, loop devices and the
# filesystem's tools; where the machine has none of that they are
# skipped (_notrun, exit 77) with the reason, never passed silently.
#
#   _scan_need CMD...          skip unless every CMD is found
#   _scan_loop_mount FS IMG DIR [MOUNT OPTIONS]
#                              attach IMG to a loop device, mount it on
#                              DIR (skip if that cannot be done); sets
#                              LOOPDEV; the EXIT trap unmounts and
#                              detaches whatever this did
#   _scan_xfs_image DIR [MOUNT OPTIONS]
#                              a fresh 512 MiB XFS image with reflink and
#                              rmapbt in two groups, in $T, loop-mounted
#                              on DIR (skip if mkfs.xfs cannot make it)
#   _scan_kernel_blocks MNT    every block of inode data and attribute
#                              mappings in the kernel's map (xfs_io
#                              fsmap -v), one line per block:
#                              "AG AGBLOCK OWNER OFFSET FLAGS", sorted
#   _scan_our_blocks NAME AGCOUNT
#                              the same lines from NAME.agN.rmap/records
#   _scan_refc_blocks          stdin: block lines; stdout: "AG AGBLOCK
#                              COUNT" for blocks that written data
#                              mappings reach two or more times
#   _scan_our_refc_blocks NAME AGCOUNT
#                              the same from NAME.agN.refcount/records
#   _scan_ask NAME BLOCKS OUT  ask `range B B` of NAME.agAG.rmap for each
#                              "AG B" line of BLOCKS (one xfbt_probe and
#                              one open lookup file per group); OUT gets
#                              the owners as block lines (the offset at
#                              B), sorted like _scan_kernel_blocks
#   _scan_same WHAT FILE1 FILE2
#                              the two files must be equal, else fail
#                              showing the first differences
#
# XFBT is the xfbt command (meson sets it).  Blocks are filesystem
# blocks; FLAGS is "-", "attr" or "unwritten".

XFBT=${XFBT:-$(dirname "$XFBTREEFS")/../tools/xfbt}
[ -x "$XFBT" ] || _fail "no xfbt at $XFBT"
[ "$(id -u)" = 0 ] || _notrun "needs root (loop devices, mount)"

_SCAN_MNTS=()
_SCAN_LOOPS=()

_scan_need()
{
	local c

	for c in "$@"; do
		command -v "$c" >/dev/null || _notrun "no $c"
	done
}

_scan_cleanup()
{
	local status=$? i n

	trap - ERR
	set +e
	# The scanner (tracked) holds the filesystem open: stop it first,
	# by its PID; SIGKILL if SIGTERM has not stopped it in 10 s.
	for i in "${_XFBT_BG[@]}"; do
		kill -TERM "$i" 2>/dev/null
	done
	for i in "${_XFBT_BG[@]}"; do
		for ((n = 0; n < 100; n++)); do
			kill -0 "$i" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$i" 2>/dev/null
	done
	_xfbt_stop_bg
	for ((i = ${#_SCAN_MNTS[@]} - 1; i >= 0; i--)); do
		umount "${_SCAN_MNTS[i]}" 2>/dev/null ||
			{ sleep 1; umount "${_SCAN_MNTS[i]}"; } ||
			umount -l "${_SCAN_MNTS[i]}"
	done
	for i in "${_SCAN_LOOPS[@]}"; do
		losetup -d "$i"
	done
	(exit "$status")
	_xfbt_cleanup
}
trap _scan_cleanup EXIT

_scan_loop_mount()
{
	local fs=$1 img=$2 dir=$3 opts=${4:-}

	_scan_need losetup mount umount
	grep -qw "$fs" /proc/filesystems || modprobe "$fs" 2>/dev/null ||
		true
	grep -qw "$fs" /proc/filesystems || _notrun "no $fs in this kernel"
	[ -e /dev/loop-control ] || _notrun "no loop devices"
	LOOPDEV=$(losetup -f --show "$img" 2>/dev/null) ||
		_notrun "cannot attach a loop device"
	_SCAN_LOOPS+=("$LOOPDEV")
	mkdir -p "$dir"
	mount -t "$fs" ${opts:+-o "$opts"} "$LOOPDEV" "$dir" 2>"$T/mount.err" ||
		_notrun "cannot loop-mount $fs: $(cat "$T/mount.err")"
	_SCAN_MNTS+=("$dir")
}

_scan_xfs_image()
{
	_scan_need mkfs.xfs xfs_io
	truncate -s 512M "$T/img"
	mkfs.xfs -q -m reflink=1,rmapbt=1 -d agcount=2 "$T/img" \
		2>"$T/mkfs.err" ||
		_notrun "mkfs.xfs cannot make reflink+rmapbt: $(cat "$T/mkfs.err")"
	_scan_loop_mount xfs "$T/img" "$1" "${2:-}"
}

# Block lines from the kernel's map.  xfs_io prints sectors (512 bytes):
#   EXT: DEV [FIRST..LAST]: OWNER FOFF1..FOFF2 AG (AGOFF1..AGOFF2) TOTAL [FLAGS]
# inode mappings have a numeric owner and an offset range ("extent map"
# marks bmbt blocks); FLAGS digits: 1000000 attr, 0010000 unwritten.
_scan_kernel_blocks()
{
	local spb

	spb=$(($(stat -f -c %S "$1") / 512))
	xfs_io -c 'fsmap -v' "$1" | awk -v spb="$spb" '
		$4 ~ /^[0-9]+$/ && $5 ~ /^[0-9]+\.\.[0-9]+$/ {
			split($5, fo, "\\.\\.")
			ag = $6
			a = $7; gsub(/[()]/, "", a); split(a, ao, "\\.\\.")
			f = ($9 == "") ? 0 : $9 + 0
			fl = "-"
			if (int(f / 1000000) % 10) fl = "attr"
			if (int(f / 10000) % 10) fl = "unwritten"
			n = (ao[2] - ao[1] + 1) / spb
			for (i = 0; i < n; i++)
				print ag, ao[1] / spb + i, $4, fo[1] / spb + i, fl
		}' | sort -k1,1n -k2,2n -k3,3n -k4,4n
}

_scan_our_blocks()
{
	local ag

	for ((ag = 0; ag < $2; ag++)); do
		awk -v ag="$ag" '{
			fl = "-"
			if ($5 == "attr") fl = "attr"
			if ($5 == "unwritten") fl = "unwritten"
			for (i = 0; i < $2; i++)
				print ag, $1 + i, $3, $4 + i, fl
		}' <(cat "$1.ag$ag.rmap/records")
	done | sort -k1,1n -k2,2n -k3,3n -k4,4n
}

_scan_refc_blocks()
{
	awk '$5 == "-" { n[$1 " " $2]++ }
		END { for (b in n) if (n[b] >= 2) print b, n[b] }' |
		sort -k1,1n -k2,2n
}

_scan_our_refc_blocks()
{
	local ag

	for ((ag = 0; ag < $2; ag++)); do
		awk -v ag="$ag" '{
			for (i = 0; i < $2; i++) print ag, $1 + i, $3
		}' <(cat "$1.ag$ag.refcount/records")
	done | sort -k1,1n -k2,2n
}

_scan_ask()
{
	local ag a b got dir steps

	dir=$(mktemp -d "$T/ask.XXXXXX")
	for ag in $(awk '{ print $1 }' "$2" | sort -un); do
		steps=(open "$1.ag$ag.rmap/lookup" rw)
		while read -r a b; do
			[ "$a" != "$ag" ] ||
				steps+=(out "$dir/$ag.$b" write "range $b $b"$'\n' read)
		done <"$2"
		got=$(_probe "${steps[@]}")
		[[ ! "$got" =~ [^OK\ ] ]] || _fail "lookups in ag$ag: ${got:0:200}"
	done
	(cd "$dir" && awk '{
		split(FILENAME, w, "."); ag = w[1]; b = w[2]
		fl = "-"
		if ($5 == "attr") fl = "attr"
		if ($5 == "unwritten") fl = "unwritten"
		print ag, b, $3, $4 + b - $1, fl
	}' /dev/null *) | sort -k1,1n -k2,2n -k3,3n -k4,4n >"$3"
}

_scan_same()
{
	if ! cmp -s "$2" "$3"; then
		{ diff "$2" "$3" || true; } | head -n 20 >&2
		_fail "$1: $(wc -l <"$2") lines against $(wc -l <"$3")"
	fi
}
