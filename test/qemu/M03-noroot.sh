#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M03 the root device is missing (root=/dev/vdx): no endless wait and no
# shell left waiting; a rescue window that says why, then a reboot.
#
# Bounds (ROOTWAIT = 5 s, RESCUE = 5 s, guest time):
#   first "earlyguard: rescue:" ROOTWAIT-0.2..ROOTWAIT+4 s after
#   "earlyguard: armed" (the wait for root starts after the drivers load)
#   "earlyguard: rebooting:" RESCUE-0.2..RESCUE+2 s after the first
#   "earlyguard: rescue:" (0.2 s for the order of the window's messages)
#   QEMU exits at most 35 s after its start (host time), outcome "reboot"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
ROOTWAIT=5
RESCUE=5
DEADLINE=60

m03() {
	eg_boot 1 60 "$EG_BASE_APPEND root=/dev/vdx rootfstype=ext4 earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=${DEADLINE}s earlyguard.rootwait=${ROOTWAIT}s earlyguard.rescue=${RESCUE}s" || return 1
	eg_expect "earlyguard: armed " 30 || return 1
	eg_expect "earlyguard: rescue: " $((ROOTWAIT + 20)) || return 1
	eg_expect "earlyguard: rebooting: " $((RESCUE + 10)) || return 1
	eg_expect_exit 10 || return 1
	eg_expect_outcome reboot
	eg_expect_line "earlyguard: rescue: " /dev/vdx
	eg_check_guest "armed to rescue" "earlyguard: armed " "earlyguard: rescue: " \
		"$(eg_sub "$ROOTWAIT" 0.2)" $((ROOTWAIT + 4))
	eg_check_guest "rescue to rebooting" "earlyguard: rescue: " "earlyguard: rebooting: " \
		"$(eg_sub "$RESCUE" 0.2)" $((RESCUE + 2))
	eg_check_host "QEMU start to exit" "$EG_T_START" "$EG_T_EXIT" 0 35
	eg_absent EG-ROOTFS-UP
}

eg_scenario M03 "root device missing: rescue window says why, then reboot" m03
