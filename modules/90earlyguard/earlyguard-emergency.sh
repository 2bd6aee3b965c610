#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut emergency hook 00, also installed as shutdown-emergency hook 00.
# Shell init: emergency_shell() sources the emergency hooks before it opens
# the shell (rd.shell, rd.break) and before it halts (rd.shell=0).  systemd
# initrd: dracut-emergency sources the emergency hooks before sulogin, but
# with rd.shell=0 only the shutdown-emergency hooks, then halts.  A halt
# would stop the watchdog (the kernel stops it at halt) and leave the
# machine off for good, so this hook runs in every case and does not
# return: `earlyguard rescue` says why, gives a bounded shell on the console
# (none when dracut was told rd.shell=0), then reboots.  The reason is
# rebuilt from what dracut's /init knows (emergency_shell's message is not
# passed to hooks).

# shellcheck disable=SC2154 # set by dracut's /init and emergency_shell
eg_reason="dracut emergency shell (${_rdshell_name:-dracut}); the message above says why"
case "${root-}" in
block:/dev/*)
	if [ ! -b "${root#block:}" ]; then
		eg_reason="dracut: root device ${root#block:} does not exist"
	fi
	;;
'')
	eg_reason="dracut: no root= on the kernel command line"
	;;
esac

# rd.shell=0 (and no rd.break): the operator wants no shell in the initrd.
eg_shell=
if type getargbool >/dev/null 2>&1 &&
	! getargbool 1 rd.shell -d -y rdshell && ! getarg rd.break -d rdbreak >/dev/null; then
	eg_shell=--no-shell
fi

# dash and busybox ash end the shell on `.` of a missing file: look first.
if [ -r /usr/lib/earlyguard/earlyguard-lib.sh ]; then
	# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
	. /usr/lib/earlyguard/earlyguard-lib.sh
	eg_rescue $eg_shell "$eg_reason"
fi
/sbin/earlyguard rescue $eg_shell "$eg_reason"
