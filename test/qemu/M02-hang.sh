#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M02 the initramfs hangs before mounting root (the test overlay's hook
# sleeps forever on eg_fault=hang): the guard reboots at the deadline.
# A second boot with the same record device reports the deadline.
#
# Bounds (boot 1):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   "earlyguard: rebooting:" 20.0..22.0 s after earlyguard init started
#   (guest time: the "armed" line's timestamp less its "armed in N ms";
#   the deadline counts from that start; DEADLINE = 20 s, 2 s of slack)
#   QEMU exits 20..35 s after its start (host time), outcome "reboot"
# Bounds (boot 2, no fault):
#   "earlyguard: previous boot:" naming the deadline, at most 10 s after
#   kernel start (guest time); EG-ROOTFS-UP at most 30 s after QEMU start
#   (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
DEADLINE=20

m02() {
	local keys="earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=${DEADLINE}s"

	eg_boot 1 60 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys eg_fault=hang" || return 1
	eg_expect "earlyguard: armed " 30 || return 1
	eg_expect "EG-TEST: hang injected" 30 || return 1
	eg_expect "earlyguard: rebooting: " $((DEADLINE + 15)) || return 1
	eg_expect_exit 10 || return 1
	eg_expect_outcome reboot
	local start reboot
	start=$(eg_start_ktime) || { eg_fail "no 'armed in N ms' line"; return 1; }
	reboot=$(eg_ktime "earlyguard: rebooting: ") || { eg_fail "no rebooting line"; return 1; }
	eg_check "earlyguard init start to rebooting" "$(eg_sub "$reboot" "$start")" \
		"$(eg_wait_lo "$DEADLINE")" $((DEADLINE + 2)) guest
	eg_check_host "QEMU start to exit" "$EG_T_START" "$EG_T_EXIT" "$DEADLINE" 35
	eg_expect_line "earlyguard: rebooting: " deadline
	eg_absent EG-ROOTFS-UP

	eg_boot 2 60 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys" || return 1
	eg_expect "earlyguard: previous boot: " 30 || return 1
	eg_expect_line "earlyguard: previous boot: " deadline
	eg_check "kernel start to previous boot report" \
		"$(eg_ktime "earlyguard: previous boot: ")" 0 10 guest
	eg_expect EG-ROOTFS-UP 30 || return 1
	eg_check_host "QEMU start to EG-ROOTFS-UP" "$EG_T_START" "$EG_SEEN_AT" 0 30
	eg_stop || return 1
	eg_expect_outcome stopped
}

eg_scenario M02 "initramfs hang: reboot at the deadline, reported on the next boot" m02
