#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut cmdline hook 00 (sourced by dracut's /init, shell init): the first
# hook dracut runs, after /proc, /sys, /dev and /run are mounted and before
# udev starts; `earlyguard init` loads the watchdog module itself.  Sourced,
# so it never exits; it never fails the boot.  /run is moved into the new
# root by switch_root, the guard's state with it.

# dash and busybox ash end the shell (here dracut's /init, PID 1) on `.`
# of a missing file, even inside `if`: look first.
if [ -r /usr/lib/earlyguard/earlyguard-lib.sh ]; then
	# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
	. /usr/lib/earlyguard/earlyguard-lib.sh
	eg_arm
fi
