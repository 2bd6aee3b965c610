#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M04 the guard is killed with SIGKILL in the rootfs (eg_fault=kill-guard,
# done by the rootfs test init): nobody pets the watchdog any more, and
# the hardware resets the machine.
#
# Bounds (TIMEOUT = 4 s, host time from the moment the harness sees
# "EG-TEST: guard killed", which the rootfs init prints after the kill):
#   outcome "watchdog" (a QMP WATCHDOG event) 1.5..TIMEOUT+3 s later.
#   i6300esb bites one TIMEOUT after the last ping; the guard pings at
#   least every TIMEOUT/2, so a bite sooner than TIMEOUT/2 (less 0.5 s
#   for polling the log) is not this watchdog timing out; +3 s is slack
#   for the log polling and QEMU's exit.

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
DEADLINE=60

m04() {
	eg_boot 1 60 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=${DEADLINE}s eg_fault=kill-guard" || return 1
	eg_expect "earlyguard: armed " 30 || return 1
	eg_expect EG-ROOTFS-UP 30 || return 1
	eg_expect "EG-TEST: guard killed" 10 || return 1
	local killed=$EG_SEEN_AT
	eg_expect_exit $((TIMEOUT + 10)) || return 1
	eg_expect_outcome watchdog
	eg_check_host "guard killed to reset" "$killed" "$EG_T_EXIT" \
		"$(eg_sub $((TIMEOUT / 2)) 0.5)" $((TIMEOUT + 3))
}

eg_scenario M04 "guard killed with SIGKILL: hardware watchdog reset" m04
