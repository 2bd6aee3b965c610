#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M17 maintenance: only an explicit operator command stops the hardware
# watchdog, and it really stops it.  Over SSH as root: disarm, then
# `earlyguard watchdog stop --yes`; the daemon is then frozen (SIGSTOP) for
# 3 x TIMEOUT and the machine is NOT reset.  Then `earlyguard watchdog
# start` re-arms it and a second freeze IS reset by the hardware.
#
# Bounds (TIMEOUT = 4 s):
#   after stop: the console says "WATCHDOG STOPPED", status says STOPPED;
#   no WATCHDOG event for 3 x TIMEOUT = 12 s (host time) with the daemon
#   frozen
#   after start: status says "watchdog: /dev/watchdog"; frozen again, a
#   WATCHDOG event 1.5..TIMEOUT+3 s after the freeze (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
# shellcheck disable=SC2016 # expanded in the guest
FREEZE='kill -STOP "$(cat /run/earlyguard/daemon.pid)"'
# shellcheck disable=SC2016
THAW='kill -CONT "$(cat /run/earlyguard/daemon.pid)"'

m17() {
	local frozen
	EG_NET=1
	eg_boot 1 150 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.handoff_timeout=15s earlyguard.confirm_timeout=60s" || return 1
	eg_expect "earlyguard: daemon: ready" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard disarm

	eg_ssh_expect 100 root earlyguard watchdog stop
	eg_ssh_expect 0 root earlyguard watchdog stop --yes
	eg_ssh_has STOPPED
	eg_expect "earlyguard: WATCHDOG STOPPED by the operator" 10 || return 1
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line watchdog STOPPED

	eg_ssh_expect 0 root "$FREEZE"
	if eg_await_event WATCHDOG $((3 * TIMEOUT)); then
		eg_fail "a WATCHDOG reset while the watchdog was stopped for maintenance"
		return 1
	fi
	eg_exited && { eg_fail "the VM ended while the watchdog was stopped"; return 1; }
	eg_note "no reset for $((3 * TIMEOUT)) s with the daemon frozen and the watchdog stopped"
	eg_ssh_expect 0 root "$THAW"

	eg_ssh_expect 0 root earlyguard watchdog start
	eg_ssh_has "re-armed"
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line watchdog "/dev/watchdog (i6300ESB timer)"
	eg_ssh_expect 0 root "$FREEZE"
	eg_now frozen
	eg_expect_event WATCHDOG $((TIMEOUT + 10)) || return 1
	eg_check_host "re-armed and frozen to WATCHDOG event" "$frozen" "$EG_SEEN_AT" 1.5 $((TIMEOUT + 3))
	eg_expect_exit 15
	eg_expect_outcome watchdog
}

eg_scenario M17 "maintenance: watchdog stop --yes really stops it, start re-arms it" m17
