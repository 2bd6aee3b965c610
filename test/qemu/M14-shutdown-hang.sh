#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M14 an orderly reboot whose shutdown hangs: the boot is disarmed over
# ssh, then `earlyguard reboot --reason test-shutdown`; a test shutdown
# script (eg_fault=shutdown-hang) blocks forever. The daemon set the
# watchdog to shutdown_timeout and pets no more, so the hardware resets
# the machine; the next boot reports the shutdown that never finished.
#
# Bounds (boot 1; SHUTDOWN = 15 s, TIMEOUT = 4 s):
#   `earlyguard disarm` and `earlyguard reboot --reason test-shutdown`
#   over ssh exit 0
#   "earlyguard: orderly reboot:" mentions "test-shutdown"
#   "earlyguard: shutdown begun: watchdog timeout 15s", then
#   "EG-TEST: shutdown hang injected"
#   QEMU exits SHUTDOWN-1..SHUTDOWN+3 s after the harness sees
#   "shutdown begun" (host time: the daemon's last pet comes with that
#   line; 1 s for the order of pet and line, +3 s for polling and QEMU's
#   exit), outcome "watchdog"
# Bounds (boot 2, same record device, no fault):
#   "earlyguard: previous boot:" mentions "did not finish" and
#   "shutdown", at most 10 s after kernel start (guest time); then the
#   test quits: outcome "stopped"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
SHUTDOWN=15

m14() {
	local keys="earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=15s earlyguard.confirm_timeout=20s earlyguard.shutdown_timeout=${SHUTDOWN}s"

	EG_NET=1
	eg_boot 1 150 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys eg_fault=shutdown-hang" || return 1
	eg_expect "earlyguard: daemon: ready" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_expect 0 root earlyguard reboot --reason test-shutdown || return 1
	eg_expect "earlyguard: shutdown begun: watchdog timeout ${SHUTDOWN}s" 20 || return 1
	local begun=$EG_SEEN_AT
	eg_expect "EG-TEST: shutdown hang injected" 20 || return 1
	eg_expect_line "earlyguard: orderly reboot: " test-shutdown
	eg_expect_exit $((SHUTDOWN + 15)) || return 1
	eg_expect_outcome watchdog
	eg_check_host "shutdown begun to reset" "$begun" "$EG_T_EXIT" \
		$((SHUTDOWN - 1)) $((SHUTDOWN + 3))

	EG_NET=0
	eg_boot 2 60 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys" || return 1
	eg_expect "earlyguard: previous boot: " 30 || return 1
	eg_expect_line "earlyguard: previous boot: " "did not finish"
	eg_expect_line "earlyguard: previous boot: " shutdown
	eg_check "kernel start to previous boot report" \
		"$(eg_ktime "earlyguard: previous boot: ")" 0 10 guest
	eg_stop || return 1
	eg_expect_outcome stopped
}

eg_scenario M14 "shutdown hangs: the extended watchdog resets, the next boot reports it" m14
