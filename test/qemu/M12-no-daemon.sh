#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M12 the rootfs daemon never starts (eg_fault=no-daemon: the test rootfs
# leaves it out): the initramfs guard, still holding the watchdog after
# switch_root, reboots at the handoff deadline. The next boot names it.
#
# Bounds (boot 1; HANDOFF = 15 s):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   "earlyguard: rebooting: no daemon took over within 15s" HANDOFF ..
#   HANDOFF+2 s after "earlyguard: switch_root seen" (guest time; the
#   deadline counts from the guard seeing switch_root)
#   QEMU exits -1..10 s after the harness sees that line (host time; the
#   harness polls the log, so it may see the line only after QEMU has
#   exited), outcome "reboot" (the guard's reboot, not the watchdog)
#   no "earlyguard: daemon:" line at all
# Bounds (boot 2, same record device, no fault):
#   "earlyguard: previous boot:" mentions "no daemon", at most 10 s after
#   kernel start (guest time); then the test quits: outcome "stopped"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
HANDOFF=15

m12() {
	local keys="earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=${HANDOFF}s earlyguard.confirm_timeout=20s"

	eg_boot 1 90 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys eg_fault=no-daemon" || return 1
	eg_expect "earlyguard: switch_root seen" 60 || return 1
	eg_expect "EG-TEST: daemon not started" 30 || return 1
	eg_expect "earlyguard: rebooting: no daemon took over within ${HANDOFF}s" $((HANDOFF + 15)) || return 1
	local rebooting=$EG_SEEN_AT
	eg_expect_exit 10 || return 1
	eg_expect_outcome reboot
	eg_check_guest "switch_root seen to rebooting" "earlyguard: switch_root seen" \
		"earlyguard: rebooting: " "$(eg_wait_lo "$HANDOFF")" $((HANDOFF + 2))
	eg_check_host "rebooting seen to QEMU exit" "$rebooting" "$EG_T_EXIT" -1 10
	eg_absent "earlyguard: daemon:"

	eg_boot 2 60 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys" || return 1
	eg_expect "earlyguard: previous boot: " 30 || return 1
	eg_expect_line "earlyguard: previous boot: " "no daemon"
	eg_check "kernel start to previous boot report" \
		"$(eg_ktime "earlyguard: previous boot: ")" 0 10 guest
	eg_stop || return 1
	eg_expect_outcome stopped
}

eg_scenario M12 "daemon never started: the guard reboots at the handoff deadline" m12
