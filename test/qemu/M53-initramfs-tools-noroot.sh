#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M53 initramfs-tools image, root missing (root=/dev/vdx): initramfs-tools
# waits rootdelay, then calls panic(); the adapter's scripts/panic runs
# `earlyguard rescue` instead of the "(initramfs)" shell, which says why
# and reboots after the rescue window.  No panic= on the command line:
# with one, panic() reboots or halts before running any panic script.
#
# Bounds (ROOTDELAY = 5 s, SLUMBER = 30 s, RESCUE = 5 s):
#   "earlyguard: rescue: " naming /dev/vdx SLUMBER-1..SLUMBER+30 s after
#   "earlyguard: armed" (guest time).  scripts/local waits for the root
#   device until max(30, rootdelay) s after the modules loaded (its
#   "starttime", rounded up by 1 s); rootdelay= only adds a sleep inside
#   that window, so 30 s is the shortest wait initramfs-tools allows
#   "earlyguard: rebooting: " RESCUE-0.2..RESCUE+2 s after the rescue line
#   QEMU exits, outcome "reboot", at most 110 s after its start (host)
#   no "(initramfs)" prompt, no EG-ROOTFS-UP

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/generator.sh
. "$(dirname "${BASH_SOURCE[0]}")/generator.sh"

TIMEOUT=4
ROOTDELAY=5
RESCUE=5
SLUMBER=30
EG_INITRD_IMG=$EG_IMAGES/initramfs-tools.img

m53() {
	eg_gen_noroot "rootdelay=$ROOTDELAY" $((SLUMBER - 1)) $((SLUMBER + 30)) "(initramfs)"
}

eg_scenario M53 "initramfs-tools image, root missing: earlyguard rescue instead of (initramfs), then reboot" m53
