#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# bench_scan.sh: `xfbt scan` on an XFS image of many files.
#
#   bench_scan.sh --xfbt XFBT --daemon XFBTREEFS [-n FILES] [-r RUNS]
#
# Makes a sparse 3 GiB image (reflink, rmapbt, 4 groups) in a temporary
# directory, loop-mounts it and fills it with FILES files (default
# 100000) in 100 directories: most of one extent of 4 to 16 KiB, one in
# 8 of three extents (blocks 0, 2 and 4 written), one in 32 a reflink of
# the file before it, one in 100 with an attribute that leaves the
# inode.  Then it unmounts and mounts the image again (cold XFS caches)
# and runs `xfbt scan -v --compare` RUNS times (default 2; the first one
# cold) into a fresh xfbtreefs mount, and prints for each run:
#   scan     inodes and extents per second: bulkstat, open by handle and
#            GETBMAPX for every inode; the records go to memory only, so
#            this is the filesystem's cost alone (its CPU time: system,
#            the filesystem's calls; user, ours);
#   load     every group's rmap and refcount btree through `load`;
#   compare  GETFSMAP read whole and compared with the btrees read back.
# Needs root and a loop device; always unmounts and detaches.
set -euo pipefail

files=100000
runs=2
xfbt=
daemon=
while [ $# -gt 0 ]; do
	case $1 in
	--xfbt) xfbt=$2; shift 2 ;;
	--daemon) daemon=$2; shift 2 ;;
	-n) files=$2; shift 2 ;;
	-r) runs=$2; shift 2 ;;
	-h | --help) sed -n '3,23s/^# \{0,1\}//p' "$0"; exit 0 ;;
	*) echo "bench_scan.sh: unknown argument '$1'" >&2; exit 2 ;;
	esac
done
[ -x "$xfbt" ] || { echo "bench_scan.sh: --xfbt is needed" >&2; exit 2; }
[ -x "$daemon" ] || { echo "bench_scan.sh: --daemon is needed" >&2; exit 2; }
[ "$(id -u)" = 0 ] || { echo "bench_scan.sh: needs root (loop devices)" >&2; exit 2; }
for c in mkfs.xfs losetup perl setfattr; do
	command -v "$c" >/dev/null ||
		{ echo "bench_scan.sh: $c is not installed" >&2; exit 2; }
done

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xfbt-bench-scan.XXXXXX")
X=$tmp/x
M=$tmp/m
mkdir "$X" "$M"
loop=
dpid=

mounted()
{
	awk -v m="$1" '$2 == m { f = 1 } END { exit !f }' /proc/mounts
}

cleanup()
{
	if mounted "$M"; then
		fusermount3 -u "$M" 2>/dev/null || fusermount3 -uz "$M" || true
	fi
	[ -z "$dpid" ] || wait "$dpid" 2>/dev/null || true
	if mounted "$X"; then
		umount "$X" || umount -l "$X" || true
	fi
	[ -z "$loop" ] || losetup -d "$loop" || true
	rm -rf --one-file-system "$tmp"
}
trap cleanup EXIT

truncate -s 3G "$tmp/img"
mkfs.xfs -q -m reflink=1,rmapbt=1 -d agcount=4 "$tmp/img"
loop=$(losetup -f --show "$tmp/img")
mount "$loop" "$X"

start=$(date +%s%N)
perl -e '
	use strict;
	use Fcntl;
	my ($root, $n) = @ARGV;
	my $ficlone = 0x40049409;	# _IOW(0x94, 9, int)
	my $blk = "x" x 4096;
	my $prev;
	mkdir "$root/d$_" or die "mkdir: $!" for 0 .. 99;
	for my $i (0 .. $n - 1) {
		my $p = sprintf("%s/d%d/f%d", $root, $i % 100, $i);
		sysopen(my $fh, $p, O_WRONLY | O_CREAT | O_EXCL) or die "$p: $!";
		if ($i % 32 == 31) {
			open(my $src, "<", $prev) or die "$prev: $!";
			ioctl($fh, $ficlone, fileno($src)) or die "FICLONE: $!";
			close($src);
		} elsif ($i % 8 == 7) {
			for my $b (0, 2, 4) {
				sysseek($fh, $b * 4096, 0);
				syswrite($fh, $blk) == 4096 or die "write: $!";
			}
		} else {
			my $len = 4096 * (1 + $i % 4);
			syswrite($fh, $blk x (1 + $i % 4)) == $len or die "write: $!";
		}
		close($fh) or die "close: $!";
		$prev = $p;
	}' "$X" "$files"
find "$X" -name 'f*00' -print0 |
	xargs -0 setfattr -n user.bench -v "$(head -c 3000 /dev/zero | tr '\0' b)"
sync -f "$X"
made=$(date +%s%N)
umount "$X"
mount "$loop" "$X"
echo "made $files files in $(((made - start) / 1000000)) ms;" \
	"image remounted (cold caches)"

"$daemon" -f "$M" 2>"$tmp/xfbtreefs.log" &
dpid=$!
for ((i = 0; i < 100; i++)); do
	mounted "$M" && break
	sleep 0.1
done
mounted "$M" || { echo "bench_scan.sh: the daemon did not mount" >&2; exit 1; }

for ((r = 1; r <= runs; r++)); do
	# Wall clock, user and system CPU seconds of the whole command.
	TIMEFORMAT='%R %U %S'
	{ time "$xfbt" scan -v --compare "$M/run$r" "$X" >"$tmp/out" \
		2>"$tmp/err"; } 2>"$tmp/time" || {
		cat "$tmp/out" "$tmp/err" >&2
		echo "bench_scan.sh: xfbt scan failed" >&2
		exit 1
	}
	read -r wall user sys <"$tmp/time"
	awk -v r="$r" -v wall="$wall" -v user="$user" -v sys="$sys" '
		/^scan: [0-9]+ inodes/ {
			ino = $2; ext = $4; st = $9; ips = substr($11, 2); eps = $13
			su = $16; ss = $19
		}
		/^load: / { lt = $11; recs = $4; refc = $7 }
		/^compare: [0-9.]+ s$/ { ct = $2 }
		/^compare: the maps/ { verdict = $4 }
		END {
			printf "run %d%s: %d inodes, %d extents\n", r,
				r == 1 ? " (cold)" : " (warm)", ino, ext
			printf "  scan     %.3f s: %d inodes/s, %d extents/s " \
				"(CPU %.3f s user, %.3f s system)\n",
				st, ips, eps, su, ss
			printf "  load     %.3f s: %d rmap and %d refcount records\n",
				lt, recs, refc
			printf "  compare  %.3f s: the maps %s\n", ct, verdict
			printf "  all      %.3f s wall, %.3f s user, %.3f s system CPU\n",
				wall, user, sys
		}' "$tmp/out"
done
