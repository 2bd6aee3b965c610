#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M11 the boot is never confirmed (nobody runs `earlyguard disarm`): the
# daemon begins an orderly reboot at the confirm deadline, the shutdown
# runs under the extended watchdog timeout and finishes, and the next boot
# says why the previous one ended, on the console and in `status` over ssh.
#
# Bounds (boot 1; CONFIRM = 20 s, SHUTDOWN = 15 s):
#   "earlyguard: orderly reboot:" naming the confirm deadline CONFIRM-1 ..
#   CONFIRM+2 s after "earlyguard: daemon: ready" (guest time; the
#   deadline counts from the daemon's start, which is at most 1 s before
#   its ready line)
#   "earlyguard: shutdown begun: watchdog timeout 15s"
#   QEMU exits -1..SHUTDOWN s after the harness sees the orderly reboot
#   line (host time; -1: the harness polls the log and may see the line
#   late), outcome "reboot" (not "watchdog": the shutdown finished)
# Bounds (boot 2, same record device, networked, CONFIRM2 = 120 s so that
# the look around cannot be cut short):
#   "earlyguard: previous boot:" mentions "not confirmed" and not "did not
#   finish", at most 10 s after kernel start (guest time)
#   `earlyguard status` over ssh: the "previous_boot:" line mentions
#   "not confirmed"; then the test quits: outcome "stopped"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
CONFIRM=20
CONFIRM2=120
HANDOFF=15
SHUTDOWN=15

m11() {
	local keys="earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=${HANDOFF}s earlyguard.shutdown_timeout=${SHUTDOWN}s"

	eg_boot 1 120 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys earlyguard.confirm_timeout=${CONFIRM}s" || return 1
	eg_expect "earlyguard: daemon: ready" 60 || return 1
	eg_expect "earlyguard: orderly reboot: " $((CONFIRM + 15)) || return 1
	local orderly=$EG_SEEN_AT
	eg_expect_line "earlyguard: orderly reboot: " confirm
	eg_check_guest "daemon ready to orderly reboot" "earlyguard: daemon: ready" \
		"earlyguard: orderly reboot: " $((CONFIRM - 1)) $((CONFIRM + 2))
	eg_expect_exit $((SHUTDOWN + 10)) || return 1
	eg_expect_outcome reboot
	eg_check_host "orderly reboot seen to QEMU exit" "$orderly" "$EG_T_EXIT" -1 "$SHUTDOWN"
	eg_expect "earlyguard: shutdown begun: watchdog timeout ${SHUTDOWN}s" 0
	eg_absent "earlyguard: disarm: boot confirmed"

	EG_NET=1
	eg_boot 2 120 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys earlyguard.confirm_timeout=${CONFIRM2}s" || return 1
	eg_expect "earlyguard: previous boot: " 30 || return 1
	eg_expect_line "earlyguard: previous boot: " "not confirmed"
	if eg_lines "earlyguard: previous boot: " | grep -qF "did not finish"; then
		eg_fail "the previous-boot report says the shutdown did not finish: $(eg_lines "earlyguard: previous boot: ")"
	fi
	eg_check "kernel start to previous boot report" \
		"$(eg_ktime "earlyguard: previous boot: ")" 0 10 guest
	eg_expect EG-SSH-READY 60 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line previous_boot "not confirmed"
	eg_stop || return 1
	eg_expect_outcome stopped
}

eg_scenario M11 "boot not disarmed: orderly reboot at the confirm deadline, named on the next boot" m11
