#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M15 admin check-in enabled, then missed: the boot is disarmed over ssh
# and one `earlyguard checkin` arms the check-in; no other follows. At
# the missed check-in the daemon runs network_restart; when none has come
# after the grace either, it begins an orderly reboot.
#
# network_restart is a command whose effect the console shows:
#   echo EG-TEST: network restart ran $((6*7)) >/dev/kmsg
# The marker the test awaits, "EG-TEST: network restart ran 42", is not
# in the kernel command line (nor in a log line quoting the command), so
# only running the command can print it; through /dev/kmsg it reaches the
# console with a kernel timestamp, so it can be timed.
#
# Bounds (CHECKIN = 20 s, GRACE = 15 s, SHUTDOWN = 15 s; guest time):
#   `earlyguard disarm` and `earlyguard checkin` over ssh exit 0
#   "earlyguard: checkin missed: restarting the network:" CHECKIN-1 ..
#   CHECKIN+2 s after the "earlyguard: checkin: " line of the one
#   check-in that armed it
#   "EG-TEST: network restart ran 42" 0..2 s after the missed line
#   "earlyguard: orderly reboot:" naming the check-in, GRACE-1..GRACE+2 s
#   after the missed line
#   QEMU exits -1..SHUTDOWN s after the harness sees the orderly reboot
#   line (host time; -1: the harness polls the log and may see the line
#   late), outcome "reboot"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
CHECKIN=20
GRACE=15
SHUTDOWN=15
# $((6*7)) is for the guest's sh, not this one.
# shellcheck disable=SC2016
RESTART='earlyguard.network_restart="echo EG-TEST: network restart ran $((6*7)) >/dev/kmsg"'

m15() {
	EG_NET=1
	eg_boot 1 150 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=15s earlyguard.confirm_timeout=20s earlyguard.shutdown_timeout=${SHUTDOWN}s earlyguard.checkin_interval=${CHECKIN}s earlyguard.checkin_grace=${GRACE}s $RESTART" || return 1
	eg_expect "earlyguard: daemon: ready" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	# The daemon may have said something about check-ins before: the
	# line that counts is the first one after this check-in.
	local before
	before=$(eg_count "earlyguard: checkin: ")
	eg_ssh_expect 0 root earlyguard checkin || return 1
	eg_await_nth "earlyguard: checkin: " $((before + 1)) 10 ||
		{ eg_fail "no 'earlyguard: checkin: ' line for the check-in"; return 1; }
	local armed_at
	armed_at=$(eg_ktime_nth "earlyguard: checkin: " $((before + 1))) ||
		{ eg_fail "the check-in line has no timestamp"; return 1; }

	local missed="earlyguard: checkin missed: restarting the network: "
	eg_expect "$missed" $((CHECKIN + 15)) || return 1
	eg_expect "EG-TEST: network restart ran 42" 10 || return 1
	eg_expect "earlyguard: orderly reboot: " $((GRACE + 15)) || return 1
	local orderly=$EG_SEEN_AT
	eg_expect_line_re "earlyguard: orderly reboot: " 'check-?in'
	eg_check "check-in armed to missed" "$(eg_sub "$(eg_ktime "$missed")" "$armed_at")" \
		$((CHECKIN - 1)) $((CHECKIN + 2)) guest
	eg_check_guest "missed to network restart ran" "$missed" \
		"EG-TEST: network restart ran 42" 0 2
	eg_check_guest "missed to orderly reboot" "$missed" "earlyguard: orderly reboot: " \
		$((GRACE - 1)) $((GRACE + 2))
	eg_expect_exit $((SHUTDOWN + 10)) || return 1
	eg_expect_outcome reboot
	eg_check_host "orderly reboot seen to QEMU exit" "$orderly" "$EG_T_EXIT" -1 "$SHUTDOWN"
}

eg_scenario M15 "check-in armed then missed: network restart first, then orderly reboot" m15
