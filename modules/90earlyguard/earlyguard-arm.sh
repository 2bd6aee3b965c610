#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut cmdline hook 00 (sourced by dracut's /init, shell init): the first
# hook dracut runs, after /proc, /sys, /dev and /run are mounted and before
# udev starts; `earlyguard init` loads the watchdog module itself.  Sourced,
# so it never exits; it never fails the boot.  /run is moved into the new
# root by switch_root, the guard's state with it.

# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
if . /usr/lib/earlyguard/earlyguard-lib.sh; then
	eg_arm
fi
