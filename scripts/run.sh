#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run.sh: install what is missing, build, mount xfbtreefs and make a small
# demo btree.
#
#   scripts/run.sh [MOUNTPOINT] [-- xfbtreefs options...]
#
# The default mount point is /mnt/xfbtreefs for root, ~/xfbtreefs for
# others.  The daemon runs in the background and logs to syslog; unmount
# with `fusermount3 -u MOUNTPOINT`.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
# shellcheck source=scripts/lib/deps.sh
. scripts/lib/deps.sh

if [ "$(id -u)" -eq 0 ]; then
	mnt=/mnt/xfbtreefs
else
	mnt=$HOME/xfbtreefs
fi
if [ $# -gt 0 ] && [ "$1" != "--" ]; then
	mnt=$1
	shift
fi
[ "${1:-}" = "--" ] && shift

# shellcheck disable=SC2086
xfb_need_packages $XFB_BUILD_PACKAGES

if [ -d build-run ]; then
	meson setup --reconfigure build-run -Dbuildtype=release -Dtests=false \
		>/dev/null
else
	meson setup build-run -Dbuildtype=release -Dtests=false >/dev/null
fi
ninja -C build-run >/dev/null

if mountpoint -q "$mnt" 2>/dev/null; then
	echo "$mnt is already a mount point; unmount it first:" >&2
	echo "    fusermount3 -u $mnt" >&2
	exit 1
fi
mkdir -p "$mnt"
"$top/build-run/fusefs/xfbtreefs" "$@" "$mnt"

mkdir "$mnt/demo"
seq 1 10 | awk '{ print $1 * 10, $1 * $1 }' > "$mnt/demo/insert"

cat <<MSG
xfbtreefs is mounted on $mnt, with a demo btree:

    ls $mnt/demo
    cat $mnt/demo/records                    # every record, in key order
    echo "55 1" > $mnt/demo/insert           # insert KEY VALUE lines
    echo "55" > $mnt/demo/delete             # delete by key
    $top/build-run/tools/xfbt query $mnt/demo "ge 42"   # one query
    cat $mnt/demo/stats $mnt/demo/check
    ls $mnt/demo/pages; od -A d -t x1 $mnt/demo/pages/1 | head
    mkdir $mnt/mine                          # a new btree

Unmount:

    fusermount3 -u $mnt
MSG
