#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# concurrency.sh: concurrent writers and readers (each operation
# seen whole, records in order under writes).
# On one btree: writers insert and then delete interleaved, disjoint key
# ranges through pipes while readers read records (every record that
# existed throughout must come exactly once, in key order, never torn),
# look up records that never change, read stats and check (always ok),
# and read pages (each a whole block with a good checksum).  Then the same
# across several btrees, with btrees being made and removed in the root
# at the same time.  At the end every btree holds exactly the records
# written and not deleted: none lost, none duplicated, check ok.
# shellcheck source=tests/lib/common.sh disable=SC2119
. "$(dirname "$0")/../lib/common.sh"

BASE=10000	# keys 0..BASE-1 are there before and after: readers check them
PER=40000	# keys each writer works on
bs=$(getconf PAGESIZE)

# keys W NW FIRST STEP [VALUES]: every STEP-th key of writer W of NW,
# from the FIRST-th, with values (three times the key) if asked.
keys()
{
	awk -v w="$1" -v nw="$2" -v first="$3" -v step="$4" -v v="${5:-}" \
		-v per="$PER" -v base="$BASE" 'BEGIN {
		for (j = first; j < per; j += step) {
			k = base * 10 + j * nw + w
			if (v)
				print k, 3 * k
			else
				print k
		}
	}'
}

# writer DIR W NW: writer W of NW inserts its keys, deletes the even ones,
# inserts them again, deletes the odd ones (whole records this time), and
# inserts and deletes some of them one line per write.  Its even keys
# remain.
writer()
{
	local d=$1 w=$2 nw=$3 k i

	keys "$w" "$nw" 0 1 values >"$d/insert"
	keys "$w" "$nw" 0 2 >"$d/delete"
	keys "$w" "$nw" 0 2 values >"$d/insert"
	keys "$w" "$nw" 1 2 values >"$d/delete"
	for ((i = 1; i < 400; i += 2)); do
		k=$((BASE * 10 + i * nw + w))
		echo "$k $((3 * k))" >"$d/insert"
		echo "$k" >"$d/delete"
	done
}

# What DIR must hold once NW writers are done.
expected()
{
	local nw=$1

	awk -v nw="$nw" -v per="$PER" -v base="$BASE" 'BEGIN {
		for (k = 0; k < base; k++)
			print k, 3 * k
		for (j = 0; j < per; j += 2)
			for (w = 0; w < nw; w++) {
				k = base * 10 + j * nw + w
				print k, 3 * k
			}
	}' | sort -n
}

# Check one records snapshot: sorted, no duplicates, no torn record, all
# the base records.
check_records()
{
	awk -v base="$BASE" -v what="$2" '
		NF != 2 || $2 != 3 * $1 { print what ": bad record: " $0; exit 1 }
		NR > 1 && $1 <= prev { print what ": " prev " then " $1; exit 1 }
		{ prev = $1; if ($1 < base) nb++ }
		END { if (nb != base) { print what ": " nb " base records"; exit 1 } }
	' "$1" >&2
}

records_reader()
{
	local d=$1 n=0 f=$T/rec.$BASHPID

	while [ ! -e "$T/stop" ] || [ "$n" -lt 2 ]; do
		cat "$d/records" >"$f"
		check_records "$f" "records of ${d##*/}" || exit 1
		n=$((n + 1))
	done
	echo "${d##*/}: $n records reads"
}

lookup_reader()
{
	local d=$1 n=0 k got

	exec 3<>"$d/lookup"
	while [ ! -e "$T/stop" ] || [ "$n" -lt 2 ]; do
		k=$((RANDOM % BASE))
		echo "eq $k" >&3
		got=$(cat <&3)
		[ "$got" = "$k $((3 * k))" ] || _fail "eq $k: '$got'"
		echo "range 100 199" >&3
		got=$(cat <&3 | wc -l)
		[ "$got" = 100 ] || _fail "range 100 199: $got records"
		n=$((n + 1))
	done
	exec 3>&-
	echo "${d##*/}: $n lookups"
}

stats_reader()
{
	local d=$1 n=0 records nw=$2

	while [ ! -e "$T/stop" ] || [ "$n" -lt 2 ]; do
		[ "$(cat "$d/check")" = ok ] || _fail "check under load"
		records=$(_stat "$d" records)
		if [ "$records" -lt "$BASE" ] ||
				[ "$records" -gt $((BASE + nw * PER)) ]; then
			_fail "stats records $records"
		fi
		[ "$(_stat "$d" health)" = ok ] || _fail "health under load"
		n=$((n + 1))
	done
	echo "${d##*/}: $n checks"
}

pages_reader()
{
	local d=$1 n=0 p got f=$T/page.$BASHPID kind

	while [ ! -e "$T/stop" ] || [ "$n" -lt 2 ]; do
		for p in $(cd "$d/pages" && printf '%s\n' * | shuf -n 20); do
			rm -f "$f"
			got=$(_probe -o "$f" open "$d/pages/$p" r read)
			case ${got% } in
			"OK OK") ;;
			*ENOENT*) continue ;;	# freed meanwhile
			*) _fail "reading pages/$p: '$got'" ;;
			esac
			kind=block
			[ "$p" != 0 ] || kind="head"
			got=$("$XFBT_PAGE" "$kind" "$f")
			grep -qx "size $bs" <<<"$got" || _fail "pages/$p size"
			grep -qx "crc ok" <<<"$got" ||
				_fail "pages/$p read with a bad checksum"
		done
		n=$((n + 1))
	done
	echo "${d##*/}: $n pages sweeps"
}

# Root churn: btrees made, used and removed while the others work.
churn()
{
	local n=0 d

	while [ ! -e "$T/stop" ] || [ "$n" -lt 2 ]; do
		d=$MNT/churn$((n % 3))
		mkdir "$d"
		echo "$n $n" >"$d/insert"
		[ "$(cat "$d/records")" = "$n $n" ] || _fail "churn records"
		rmdir "$d"
		n=$((n + 1))
	done
	echo "churn: $n btrees"
}

# wait_all: wait for the writers, then stop the readers and wait for them.
wait_all()
{
	local pid

	for pid in "${writers[@]}"; do
		_wait "$pid" || _fail "a writer failed"
	done
	touch "$T/stop"
	for pid in "${readers[@]}"; do
		_wait "$pid" || _fail "a reader failed"
	done
	rm -f "$T/stop"
}

# seed DIR: the base records.
seed()
{
	awk -v base="$BASE" 'BEGIN { for (k = 0; k < base; k++)
		print k, 3 * k }' >"$1/insert"
}

_mount

# One btree, four writers, every kind of reader.
D=$MNT/one
mkdir "$D"
seed "$D"
writers=() readers=()
records_reader "$D" & readers+=($!)
records_reader "$D" & readers+=($!)
lookup_reader "$D" & readers+=($!)
stats_reader "$D" 4 & readers+=($!)
pages_reader "$D" & readers+=($!)
for w in 0 1 2 3; do
	writer "$D" "$w" 4 & writers+=($!)
done
_track "${writers[@]}" "${readers[@]}"
wait_all
expected 4 >"$T/want"
cmp "$T/want" <(cat "$D/records") || _fail "one btree: records differ"
[ "$(_stat "$D" records)" = "$(wc -l <"$T/want")" ] ||
	_fail "one btree: stats records"
_check "$D"

# Four btrees, two writers each, readers on each, root churn.
writers=() readers=()
for t in 0 1 2 3; do
	mkdir "$MNT/t$t"
	seed "$MNT/t$t"
done
for t in 0 1 2 3; do
	records_reader "$MNT/t$t" & readers+=($!)
done
stats_reader "$MNT/t0" 2 & readers+=($!)
lookup_reader "$MNT/t1" & readers+=($!)
pages_reader "$MNT/t2" & readers+=($!)
churn & readers+=($!)
for t in 0 1 2 3; do
	writer "$MNT/t$t" 0 2 & writers+=($!)
	writer "$MNT/t$t" 1 2 & writers+=($!)
done
_track "${writers[@]}" "${readers[@]}"
wait_all
expected 2 >"$T/want"
for t in 0 1 2 3; do
	cmp "$T/want" <(cat "$MNT/t$t/records") || _fail "t$t: records differ"
	[ "$(_stat "$MNT/t$t" records)" = "$(wc -l <"$T/want")" ] ||
		_fail "t$t: stats records"
	_check "$MNT/t$t"
done
got=$(find "$MNT" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' ')
[ "$got" = "one t0 t1 t2 t3 " ] || _fail "root lists $got"
_check "$D"
