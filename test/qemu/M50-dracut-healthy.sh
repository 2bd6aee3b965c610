#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M50 dracut image, healthy: Debian's dracut 059, run unpacked, shell init
# (images/build-dracut.sh: dash base rootfs-block earlyguard) arms the
# watchdog from the cmdline hook 00, mounts the root, and switch_root's
# chroot of PID 1 is seen by the guard; the rootfs daemon takes the
# watchdog over and an operator disarms over SSH.
#
# Bounds (TIMEOUT = 4 s, CONFIRM = 30 s, HANDOFF = 15 s):
#   "earlyguard: armed" at most 30 s after kernel start (guest time; TCG
#   and a udev-based image) and at most 10 s after "Run /init" (guest)
#   "earlyguard: switch_root seen", then "earlyguard: daemon: took over
#   the watchdog from the initramfs guard" 0..HANDOFF s after it (guest)
#   `earlyguard disarm` over ssh exits 0 and says "confirmed";
#   `earlyguard status` says "open since the initramfs, no gap"
#   no VM exit for 2 x TIMEOUT + 4 s after the disarm; then the test quits:
#   outcome "stopped", no WATCHDOG event, no dracut emergency shell

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/generator.sh
. "$(dirname "${BASH_SOURCE[0]}")/generator.sh"

TIMEOUT=4
CONFIRM=30
HANDOFF=15
EG_INITRD_IMG=$EG_IMAGES/dracut.img

m50() {
	eg_gen_healthy "rd.retry=10" "Dropping to debug shell"
}

eg_scenario M50 "dracut image, healthy: armed in the cmdline hook, handoff to the daemon, disarmed over ssh" m50
