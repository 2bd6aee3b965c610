#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M43 a real USB mass-storage gadget (dummy_hcd, libcomposite,
# usb_f_mass_storage; configfs gadget g1, lun.0 backed by a file, bound to
# dummy_udc.0) vetoes the recovery reboot but not the earlier stages: the
# bounce and network_reapply still run, every run.  Then, over ssh through
# a second NIC (n0 is down), the LUN is ejected: the next run reboots.
#
# Bounds (guest time; max_fails 1, RECHECK = 2 s, INTERVAL = 4 s):
#   "EG-GADGET: g1 up: lun.0 file /var/lib/eg-test/lun0.img" before the
#   daemon starts
#   run 1: bounce, "EG-TEST: reapply ran 42", then "reboot vetoed: usb mass
#   storage in use: gadget g1 mass_storage.0 lun.0 presents
#   /var/lib/eg-test/lun0.img" 6.5..9 s after "unhealthy"
#   run 2 begins INTERVAL-0.5..INTERVAL+1.5 s after the veto, and runs
#   stage 2 again
#   after `eg-gadget eject` (ssh via n1): "orderly reboot" within
#   INTERVAL + 2 runs; QEMU exits with outcome reboot

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

INTERVAL=4
LUN=/var/lib/eg-test/lun0.img
# $((6*7)) is for the guest's sh, not this one.
# shellcheck disable=SC2016
CMDS='earlyguard.network_reapply="echo EG-TEST: reapply ran $((6*7)) >/dev/kmsg"'
HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=2s earlyguard.heal_interval=${INTERVAL}s earlyguard.max_fails=1 earlyguard.reboot_cooldown=0 earlyguard.confirm_timeout=0 earlyguard.shutdown_timeout=30s egtest.gadget=$LUN"

m43() {
	EG_NET=1
	EG_NIC2=user
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL $CMDS" || return 1
	eg_expect "EG-GADGET: g1 up: lun.0 file $LUN" 60 || return 1
	eg_expect "earlyguard: heal: watching eth0: healthy" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_set_link n0 down || return 1
	eg_expect "earlyguard: heal: eth0 stage 1/3: bounce" 10 || return 1
	eg_expect "EG-TEST: reapply ran 42" 15 || return 1
	local veto="earlyguard: heal: eth0 reboot vetoed: usb mass storage in use: gadget g1 mass_storage.0 lun.0 presents $LUN"
	eg_expect "$veto" 15 || return 1
	eg_check_guest "unhealthy to the USB veto" "earlyguard: heal: eth0 unhealthy: no carrier" \
		"$veto" 6.5 9
	# the earlier stages go on
	eg_await_nth "earlyguard: heal: eth0 stage 1/3: bounce" 2 $((INTERVAL + 10)) ||
		{ eg_fail "no second run after the veto"; return 1; }
	local r2
	r2=$(eg_ktime_nth "earlyguard: heal: eth0 stage 1/3: bounce" 2) || { eg_fail "run 2 has no time"; return 1; }
	eg_check "veto to run 2" "$(eg_sub "$r2" "$(eg_ktime "$veto")")" \
		$((INTERVAL - 1)).5 $((INTERVAL + 1)).5 guest
	eg_await_nth "EG-TEST: reapply ran 42" 2 15 || { eg_fail "run 2 ran no stage 2"; return 1; }
	eg_absent "earlyguard: orderly reboot"

	# the guard, and only it, held the reboot
	eg_ssh_via n1 root eg-gadget eject
	[ "$EG_SSH_RC" = 0 ] || { eg_fail "eg-gadget eject over n1 exited $EG_SSH_RC: $EG_SSH_ERR"; return 1; }
	eg_expect "earlyguard: orderly reboot: network self-heal: eth0" $((INTERVAL + 30)) || return 1
	eg_expect_exit 45 || return 1
	eg_expect_outcome reboot
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event: the reboot was not orderly"
}

eg_scenario M43 "a USB mass-storage gadget in use vetoes the reboot, not the stages; ejected, the next run reboots" m43
