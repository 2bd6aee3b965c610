#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M42 the uplink never comes back: after max_fails ladder runs the daemon
# reboots the machine in order (under the watchdog: no WATCHDOG event);
# the next boot, the link still down, runs the ladder again and the
# cooldown, kept on the root as the time left of it, holds the second
# reboot.  QEMU runs on through the reboot (the guest's rootfs snapshot
# lives as long as QEMU does, so /var/lib/earlyguard survives it).
#
# Bounds (guest time; RECHECK = 2 s, INTERVAL = 3 s, max_fails 2: a run
# is the 3 s bounce and RECHECK):
#   "unhealthy: no carrier" to "ladder run 1/2 failed" 4.5..6.5 s
#   "unhealthy: no carrier" to "unhealthy after 2 ladder runs: orderly
#   reboot" 12.5..16 s; the reboot reason names the self-heal
#   boot 2: "watching eth0: unhealthy: no carrier ... reboot cooldown
#   1h00m00s" (the window was written whole at the decision, seconds
#   before the reboot; a reboot loses at most 5 minutes of counting) and "reboot vetoed: cooldown: 59m..s left" 9..16 s after the
#   daemon's "watching" line (two runs, unhealthy from the start); no
#   second orderly reboot; no WATCHDOG event in either boot

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=2s earlyguard.heal_interval=3s earlyguard.max_fails=2 earlyguard.reboot_cooldown=1h earlyguard.confirm_timeout=0 earlyguard.shutdown_timeout=30s"

m42() {
	EG_NET=1
	EG_REBOOTS=1
	eg_boot 1 300 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL" || return 1
	EG_PART=1
	eg_expect "earlyguard: heal: watching eth0: healthy" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_set_link n0 down || return 1
	eg_expect "earlyguard: heal: eth0 unhealthy: no carrier" 10 || return 1
	eg_expect "earlyguard: heal: eth0 ladder run 1/2 failed; next run in 3s" 15 || return 1
	eg_expect "earlyguard: heal: eth0 unhealthy after 2 ladder runs: orderly reboot" 20 || return 1
	eg_expect "earlyguard: orderly reboot: network self-heal: eth0 no carrier after 2 ladder runs" 5 || return 1
	eg_check_guest "unhealthy to run 1 failed" "earlyguard: heal: eth0 unhealthy: no carrier" \
		"earlyguard: heal: eth0 ladder run 1/2 failed" 4.5 6.5
	eg_check_guest "unhealthy to the reboot decision" "earlyguard: heal: eth0 unhealthy: no carrier" \
		"earlyguard: heal: eth0 unhealthy after 2 ladder runs" 12.5 16

	eg_expect_boot 2 120 || return 1
	EG_PART=2
	eg_expect "earlyguard: heal: watching eth0: unhealthy: no carrier" 90 || return 1
	eg_expect_line_re "earlyguard: heal: watching eth0" 'reboot cooldown (1h00m00s|59m[0-5][0-9]s)'
	eg_expect "earlyguard: heal: eth0 reboot vetoed: cooldown: 59m" 30 || return 1
	eg_check_guest "boot 2: watching to the cooldown veto" "earlyguard: heal: watching eth0" \
		"earlyguard: heal: eth0 reboot vetoed: cooldown: " 9 16
	eg_absent "earlyguard: orderly reboot"
	EG_PART=
	[ "$(eg_count "earlyguard: orderly reboot")" = 1 ] ||
		eg_fail "$(eg_count "earlyguard: orderly reboot") orderly reboots, expected 1"
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event: the reboot was not orderly"
	eg_stop
}

eg_scenario M42 "never healed: orderly reboot after max_fails; after it the cooldown holds the next" m42
