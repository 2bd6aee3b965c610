#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut emergency hook 00: emergency_shell() sources the emergency hooks
# before it opens the shell (rd.shell) or halts (rd.shell=0), and for
# rd.break too.  This one does not return: `earlyguard rescue` gives a
# bounded shell on the console, then reboots, so no dracut shell waits for
# a person.  The reason is rebuilt from what dracut's /init knows
# (emergency_shell's message is not passed to hooks).

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

# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
if . /usr/lib/earlyguard/earlyguard-lib.sh; then
	eg_rescue "$eg_reason"
fi
/sbin/earlyguard rescue "$eg_reason"
