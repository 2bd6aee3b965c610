#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# run-matrix.sh - run the QEMU boot-failure matrix and print TAP.
#
#   test/qemu/run-matrix.sh                  every scenario (M01, M02, ...)
#   TESTS=M01,M03 test/qemu/run-matrix.sh    a subset, by id
#   JOBS=1 test/qemu/run-matrix.sh           VMs in parallel (default: one
#                                            per core, at most 2)
#
# Each scenario runs in build/test/qemu/<id>/ (console.log, qmp.log,
# qemu.log, measure.txt, failures are kept there). Output: "1..N", one
# TAP line per scenario in id order, then "N passed, N failed".
# Exit 0 when all passed, 1 when any failed, 2 when the matrix cannot run.

set -uo pipefail

if [ "${BASH_VERSINFO[0]}${BASH_VERSINFO[1]}" -lt 51 ]; then
	echo "run-matrix: needs bash >= 5.1 (wait -n -p)" >&2
	exit 2
fi

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=SCRIPTDIR/lib.sh
. "$here/lib.sh"

# Images and the QMP client, once, before any scenario starts.
if ! eg_preflight; then
	exit 2
fi

all=()
for f in "$here"/M[0-9][0-9]-*.sh; do
	[ -e "$f" ] && all+=("$f")
done

selected=()
if [ -n "${TESTS:-}" ]; then
	for id in ${TESTS//,/ }; do
		match=
		for f in "${all[@]}"; do
			case ${f##*/} in "$id"-*) match=$f ;; esac
		done
		if [ -z "$match" ]; then
			echo "run-matrix: no scenario $id (have: $(for f in "${all[@]}"; do
				b=${f##*/}; printf '%s ' "${b%%-*}"; done))" >&2
			exit 2
		fi
		selected+=("$match")
	done
	# scenario order, whatever the order in TESTS; no duplicates
	mapfile -t selected < <(printf '%s\n' "${selected[@]}" | sort -u)
else
	selected=("${all[@]}")
fi

ncpu=$(nproc 2>/dev/null || echo 1)
jobs=${JOBS:-$((ncpu < 2 ? ncpu : 2))}
case $jobs in
'' | *[!0-9]* | 0) echo "run-matrix: JOBS must be a positive number" >&2; exit 2 ;;
esac

out=$(mktemp -d "${TMPDIR:-/tmp}/eg-matrix.XXXXXX") || exit 2
declare -A index_of=() # running scenario pid -> its index
cleanup() {
	local p
	# Each scenario stops its own VMs on SIGTERM.
	for p in "${!index_of[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	wait
	rm -rf "$out"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

total=${#selected[@]}
echo "1..$total"
eg_now t0

next=0
passed=0
failed=0
# print_ready: print, in order, every finished result not yet printed.
print_ready() {
	while [ "$next" -lt "$total" ] && [ -e "$out/$next.done" ]; do
		local f=${selected[$next]} b
		b=${f##*/}
		if [ -s "$out/$next.tap" ]; then
			cat "$out/$next.tap"
		else
			echo "not ok $((next + 1)) - ${b%%-*} (the scenario printed nothing)"
			sed 's/^/# /' "$out/$next.err"
		fi
		if head -n 1 "$out/$next.tap" | grep -q '^ok '; then
			passed=$((passed + 1))
		else
			failed=$((failed + 1))
		fi
		next=$((next + 1))
	done
}

# reap_one: wait for any running scenario to end and mark it done.
reap_one() {
	local pid=
	wait -n -p pid "${!index_of[@]}"
	[ -n "$pid" ] || return 1
	: >"$out/${index_of[$pid]}.done"
	unset "index_of[$pid]"
	print_ready
}

for i in "${!selected[@]}"; do
	while [ "${#index_of[@]}" -ge "$jobs" ]; do
		reap_one || break
	done
	EG_TAP_N=$((i + 1)) bash "${selected[$i]}" >"$out/$i.tap" 2>"$out/$i.err" &
	index_of[$!]=$i
done
while [ "${#index_of[@]}" -gt 0 ]; do
	reap_one || break
done
print_ready

eg_now t1
echo "# matrix: $total scenarios in $(eg_cs $((t1 - t0))) s, $jobs in parallel"
# The whole matrix is meant to fit in 25 minutes on 2 cores (CI allows it
# 45): about 17 minutes up to the fetch scenarios (M30-M36), 3 more for
# the self-heal's (M40-M47, M46 two VMs at once); GRUB's scenarios boot
# through the BIOS and take 1-3.5 minutes each.
if [ $((t1 - t0)) -gt 150000 ]; then
	echo "# warning: over the 1500 s budget of the whole matrix"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
