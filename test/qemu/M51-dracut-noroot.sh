#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M51 dracut image, root missing (root=/dev/vdx): dracut's initqueue waits
# rd.retry for the root device, then emergency_shell("Could not boot.")
# sources the emergency hooks before its shell; the module's emergency
# hook runs `earlyguard rescue`, which says why and reboots after the
# rescue window, so no dracut shell is left waiting.
#
# Bounds (RETRY = 10 s, SLUMBER = 2 x RETRY, RESCUE = 5 s):
#   "earlyguard: rescue: " naming /dev/vdx RETRY-1..SLUMBER+30 s after
#   "earlyguard: armed" (guest time).  dracut's main loop runs 2 x rd.retry
#   iterations of about 0.5 s (udevadm settle --timeout=0 and a sleep,
#   longer under TCG), so the wait is rd.retry s plus the loop's overhead;
#   without rd.retry dracut waits 180 s
#   "earlyguard: rebooting: " RESCUE-0.2..RESCUE+2 s after the rescue line
#   QEMU exits, outcome "reboot", at most 110 s after its start (host)
#   no "Dropping to debug shell" (dracut's shell never opens), no
#   EG-ROOTFS-UP
# Boot 2, the same with rd.shell=0 (emergency_shell() sources the emergency
# hooks, then halts, which would stop the watchdog for good):
#   "earlyguard: rescue: no shell was asked for", "rebooting" 0..2 s after
#   the rescue line (guest), outcome "reboot", no shell

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/generator.sh
. "$(dirname "${BASH_SOURCE[0]}")/generator.sh"

TIMEOUT=4
RETRY=10
RESCUE=5
SLUMBER=$((2 * RETRY))
EG_INITRD_IMG=$EG_IMAGES/dracut.img

m51() {
	eg_gen_noroot "rd.retry=$RETRY" $((RETRY - 1)) $((SLUMBER + 30)) "Dropping to debug shell"
	eg_kill_all

	# rd.shell=0: emergency_shell() sources the emergency hooks, then halts
	eg_boot 2 120 "$EG_BASE_APPEND root=/dev/vdx rootfstype=ext4 rd.retry=$RETRY rd.shell=0 earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=90s earlyguard.rescue=${RESCUE}s" || return 1
	eg_expect "earlyguard: armed " 60 || return 1
	eg_expect "earlyguard: rescue: no shell was asked for" $((SLUMBER + 30)) || return 1
	eg_expect "earlyguard: rebooting: " 10 || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	eg_check_guest "rd.shell=0: rescue to rebooting" "earlyguard: rescue: " "earlyguard: rebooting: " 0 2
	eg_absent "earlyguard: rescue: a shell is open"
	eg_absent "Dropping to debug shell"
	[ ! -s "$EG_WORK/failures" ]
}

eg_scenario M51 "dracut image, root missing: earlyguard rescue instead of dracut's emergency shell, then reboot" m51
