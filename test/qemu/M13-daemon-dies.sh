#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M13 the rootfs daemon, which holds the watchdog after the handoff, is
# SIGKILLed (eg_fault=kill-daemon) and, in a second VM, SIGSTOPped
# (eg_fault=stop-daemon), by the test rootfs once the daemon is ready.
# Nobody pets the watchdog any more: the hardware resets the machine.
# These VMs run without -no-reboot (EG_REBOOTS=1), so the reset restarts
# the guest inside the same QEMU and the next boot reads the i6300esb's
# bootstatus (WDIOF_CARDRESET).
#
# Bounds, for each of the two faults (TIMEOUT = 4 s):
#   "earlyguard: guard: handed the watchdog to the daemon" before the
#   fault (the guard is gone: only the daemon was petting)
#   a QMP WATCHDOG event 1.5..TIMEOUT+3 s after the harness sees
#   "EG-TEST: daemon killed" / "EG-TEST: daemon stopped" (host time; as
#   M04: i6300esb bites one TIMEOUT after the last ping, and a pet
#   interval of at most TIMEOUT/2 means no bite sooner than TIMEOUT/2,
#   less 0.5 s for polling the log; +3 s for polling the QMP log)
#   the second guest boot in the same QEMU (its kernel banner at most 30 s
#   after the event, host time) prints "earlyguard: previous boot:"
#   mentioning "watchdog reset" at most 10 s after its kernel start
#   (guest time); then the test quits: outcome "stopped"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4

# m13_one N FAULT MARKER: boot number N with eg_fault=FAULT, which the
# rootfs confirms with MARKER.
m13_one() {
	local n=$1 fault=$2 marker=$3 what=${3#EG-TEST: }
	EG_REBOOTS=1
	EG_PART=
	eg_boot "$n" 120 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=15s earlyguard.confirm_timeout=20s eg_fault=$fault" || return 1
	eg_expect "earlyguard: daemon: ready" 60 || return 1
	eg_expect "earlyguard: guard: handed the watchdog to the daemon" 10 || return 1
	eg_expect "$marker" 30 || return 1
	local faulted=$EG_SEEN_AT
	eg_expect_event WATCHDOG $((TIMEOUT + 10)) || return 1
	eg_check_host "$what to WATCHDOG event" "$faulted" "$EG_SEEN_AT" \
		"$(eg_sub $((TIMEOUT / 2)) 0.5)" $((TIMEOUT + 3))

	eg_expect_boot 2 30 || return 1
	EG_PART=2
	eg_expect "earlyguard: previous boot: " 30 || return 1
	eg_expect_line "earlyguard: previous boot: " "watchdog reset"
	eg_check "$what: boot 2 kernel start to previous boot report" \
		"$(eg_ktime "earlyguard: previous boot: ")" 0 10 guest
	EG_PART=
	eg_stop || return 1
	eg_expect_outcome stopped
}

m13() {
	# Both faults run even if the first fails; a VM left running by a
	# failed first half is ended before the second starts.
	m13_one 1 kill-daemon "EG-TEST: daemon killed"
	eg_kill_all
	m13_one 2 stop-daemon "EG-TEST: daemon stopped"
	[ ! -s "$EG_WORK/failures" ]
}

eg_scenario M13 "daemon SIGKILLed, then SIGSTOPped: hardware reset, reported on the next boot" m13
