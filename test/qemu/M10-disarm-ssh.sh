#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M10 healthy boot, disarmed over SSH: the rootfs daemon takes the open
# watchdog from the initramfs guard (no gap), an operator runs
# `earlyguard disarm` through a real ssh client, and the machine then
# stays up well past the confirm deadline.
#
# Bounds (TIMEOUT = 4 s, CONFIRM = 20 s, HANDOFF = 15 s):
#   "earlyguard: daemon: took over the watchdog from the initramfs guard"
#   0..HANDOFF s after "earlyguard: switch_root seen" (guest time)
#   `earlyguard disarm` over ssh exits 0 and says "confirmed"; the daemon
#   logs "earlyguard: disarm: boot confirmed" less than CONFIRM s after
#   "earlyguard: daemon: ready" (guest time; later would be a test that
#   disarmed too late, not a pass)
#   `earlyguard status` says "open since the initramfs, no gap" and
#   "confirm: confirmed"; `status --json` is valid JSON with
#   "handoff": "guard", "open_since_initramfs": true,
#   "confirm_state": "confirmed", "watchdog_timeout_s": TIMEOUT
#   no VM exit for 3 x CONFIRM = 60 s after the disarm (host time); then
#   the test quits: outcome "stopped", no WATCHDOG event, and the console
#   has no "watchdog did not stop", no "earlyguard: orderly reboot", no
#   "no initramfs guard"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
CONFIRM=20
HANDOFF=15

m10() {
	EG_NET=1
	eg_boot 1 200 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=${HANDOFF}s earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=15s" || return 1
	eg_expect "earlyguard: armed " 30 || return 1
	eg_expect "earlyguard: daemon: took over the watchdog from the initramfs guard" 60 || return 1
	eg_expect "earlyguard: daemon: ready" 10 || return 1
	# Not fatal, and not awaited long: the guard logs it before the
	# handoff, and the rest of the scenario is about the handoff.
	eg_expect "earlyguard: switch_root seen" 1
	eg_check_guest "switch_root seen to daemon took over" "earlyguard: switch_root seen" \
		"earlyguard: daemon: took over the watchdog" 0 "$HANDOFF"
	eg_expect "earlyguard: guard: handed the watchdog to the daemon" 10
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1

	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_has confirmed
	eg_expect "earlyguard: disarm: boot confirmed" 10 || return 1
	local disarmed=$EG_SEEN_AT
	eg_check_guest "daemon ready to boot confirmed" "earlyguard: daemon: ready" \
		"earlyguard: disarm: boot confirmed" 0 "$(eg_sub "$CONFIRM" 0.001)"

	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line handoff "open since the initramfs, no gap"
	eg_ssh_line confirm confirmed
	eg_ssh_line watchdog "timeout ${TIMEOUT}s"
	eg_ssh_expect 0 root earlyguard status --json
	printf '%s\n' "$EG_SSH_OUT" | eg_json_valid ||
		eg_fail "status --json is not valid JSON: ${EG_SSH_OUT:0:400}"
	eg_json_has handoff '"guard"'
	eg_json_has open_since_initramfs true
	eg_json_has confirm_state '"confirmed"'
	eg_json_has watchdog_timeout_s "$TIMEOUT([^0-9]|$)"

	# The confirm deadline has been cleared: nothing may end the VM now.
	local watch=$((3 * CONFIRM)) now
	if eg_await_exit "$watch"; then
		eg_fail "the VM ended (outcome $EG_OUTCOME) within $watch s after the disarm"
		return 1
	fi
	eg_now now
	eg_check_host "disarm to end of watch" "$disarmed" "$now" "$watch" $((watch + 30))
	eg_absent "watchdog did not stop"
	eg_absent "earlyguard: orderly reboot"
	eg_absent "earlyguard: daemon: no initramfs guard"
	eg_stop || return 1
	eg_expect_outcome stopped
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event in qmp.log"
}

eg_scenario M10 "healthy boot disarmed over ssh: handoff with no gap, no reset past the confirm deadline" m10
