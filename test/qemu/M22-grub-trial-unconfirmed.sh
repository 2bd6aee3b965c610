#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M22 a one-shot trial nobody confirms: the trial boots once, the rootfs
# daemon's confirm deadline ends it with an orderly reboot, and GRUB
# (same QEMU: resets restart the guest) boots the old default A, attempt
# 1.  No key is pressed anywhere.
#
# Bounds (CONFIRM = 20 s, SHUTDOWN = 15 s on the trial's command line):
#   "earlyguard: orderly reboot:" naming the confirm deadline CONFIRM-1 ..
#   CONFIRM+2 s after "earlyguard: daemon: ready" (guest time)
#   the guest reset at most SHUTDOWN + 10 s after the harness sees it
#   A's kernel command line at most 60 s after the reset (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONFIRM=20
SHUTDOWN=15

m22() {
	eg_disk_setup || return 1
	local slot_env=/boot/earlyguard/trial/slot.env
	eg_env --file "$slot_env" get eg_slot_args || return 1
	eg_env --file "$slot_env" set "eg_slot_args=$EG_ENV_OUT earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=${SHUTDOWN}s" ||
		return 1
	# Scheduled from the host as `earlyguard trial trial` does (M21 runs the
	# command itself in a guest).
	eg_env set eg_trial=trial || return 1

	EG_REBOOTS=1
	eg_boot 1 240 "" || return 1
	EG_PART=1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry trial 1 egtest.slot=trial "earlyguard.confirm_timeout=${CONFIRM}s"
	eg_expect "earlyguard: daemon: ready" 90 || return 1
	eg_expect "earlyguard: orderly reboot: " $((CONFIRM + 15)) || return 1
	local orderly=$EG_SEEN_AT
	eg_expect_line "earlyguard: orderly reboot: " confirm
	eg_check_guest "daemon ready to orderly reboot" "earlyguard: daemon: ready" \
		"earlyguard: orderly reboot: " $((CONFIRM - 1)) $((CONFIRM + 2))
	eg_expect_event RESET $((SHUTDOWN + 10)) || return 1
	local reset=$EG_SEEN_AT
	eg_check_host "orderly reboot seen to guest reset" "$orderly" "$reset" -1 $((SHUTDOWN + 10))
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event: the shutdown did not finish"

	eg_expect_boot 2 90 || return 1
	EG_PART=2
	eg_expect "] Command line: " 30 || return 1
	eg_check_host "guest reset to A's kernel command line" "$reset" "$EG_SEEN_AT" 0 60
	eg_expect_entry A 1 egtest.slot=A
	EG_PART=
	eg_absent "Press any key to continue"
	eg_stop || return 1
	eg_expect_outcome stopped
	eg_env_is eg_trial "" eg_entry A eg_attempt 1 eg_A_tries 1
}

eg_scenario M22 "GRUB one-shot trial never confirmed: the confirm deadline reboots it, the next boot is the old default" m22
