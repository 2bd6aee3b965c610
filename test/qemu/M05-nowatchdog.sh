#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M05 no watchdog device in the VM (no -device i6300esb) and the initramfs
# hangs (eg_fault=hang): earlyguard warns, and the guard's deadline still
# reboots the machine, by software.
#
# Bounds (DEADLINE = 15 s):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   "earlyguard: rebooting:" DEADLINE..DEADLINE+3 s after the kernel's
#   "Run /init as init process" (guest time; earlyguard starts within
#   about 1 s of /init, without a device it may spend time looking for
#   one before the warning, so the warning is not the reference)
#   QEMU exits DEADLINE..DEADLINE+20 s after its start (host time),
#   outcome "reboot"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
DEADLINE=15

m05() {
	EG_WATCHDOG=0
	eg_boot 1 60 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=${DEADLINE}s eg_fault=hang" || return 1
	eg_expect "earlyguard: warning: no watchdog" 30 || return 1
	eg_expect "EG-TEST: hang injected" 30 || return 1
	eg_expect "earlyguard: rebooting: " $((DEADLINE + 15)) || return 1
	eg_expect_exit 10 || return 1
	eg_expect_outcome reboot
	eg_check_guest "/init to rebooting" "Run /init as init process" "earlyguard: rebooting: " \
		"$(eg_wait_lo "$DEADLINE")" $((DEADLINE + 3))
	eg_check_host "QEMU start to exit" "$EG_T_START" "$EG_T_EXIT" "$DEADLINE" $((DEADLINE + 20))
	eg_expect_line "earlyguard: rebooting: " deadline
	eg_absent EG-ROOTFS-UP
}

eg_scenario M05 "no watchdog device: warning, the deadline still reboots" m05
