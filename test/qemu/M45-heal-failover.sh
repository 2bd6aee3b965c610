#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M45 uplink failover over two NICs: eth0 (n0) is the primary, eth1 (n1,
# a second user network with its own ssh forward) the backup.  eth0 loses
# its carrier: after ladder stage 1 the default route moves to eth1 (the
# backup's up command runs first), `earlyguard disarm` over ssh through
# n1 confirms the boot, and the reboot the ladder asks for is vetoed
# because eth1 carries the traffic.  eth0 comes back: the failover waits
# failback_after, then moves the route back and stops the backup.
#
# Bounds (guest time; heal_grace 0, RECHECK = 2 s, failback_after 10 s):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   "failover: eth0 failed after stage 1: eth1 carries the default route"
#   4.5..7 s after "heal: eth0 unhealthy" (the bounce 3 s, the recheck
#   2 s); "EG-TEST: uplink2 up 42" (the backup's up command) 0..2 s before it
#   "failover: back on eth0 (healthy for 10s)" 10..13 s after "failover:
#   eth0 healthy; failing back in 10s unless it breaks"; "EG-TEST: uplink2
#   down 42" (the backup's down command, the second: the first is the
#   start's) between the two
#   no orderly reboot, no WATCHDOG event; outcome stopped

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

FAILBACK=10
CONFIRM=240
# $((6*7)) is for the guest's sh, not this one: the marker is in what the
# commands print, not on the kernel command line or in the daemon's log.
# shellcheck disable=SC2016
CMDS='earlyguard.network_reapply=true earlyguard.uplink2_up="echo EG-TEST: uplink2 up $((6*7)) >/dev/kmsg" earlyguard.uplink2_down="echo EG-TEST: uplink2 down $((6*7)) >/dev/kmsg"'
HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=2s earlyguard.heal_interval=4s earlyguard.max_fails=1 earlyguard.reboot_cooldown=0 earlyguard.uplink2=eth1 earlyguard.uplink1_gateway=10.0.2.2 earlyguard.uplink2_gateway=10.0.5.2 earlyguard.failover_stage=1 earlyguard.failback_after=${FAILBACK}s earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=30s"

m45() {
	EG_NET=1
	EG_NIC2=user
	eg_boot 1 400 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL $CMDS" || return 1
	eg_expect "EG-ROOTFS: network up on eth1" 60 || return 1
	eg_expect "earlyguard: failover: eth0, then eth1 (" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_set_link n0 down || return 1
	eg_expect "earlyguard: heal: eth0 unhealthy: no carrier" 10 || return 1
	local over="earlyguard: failover: eth0 failed after stage 1: eth1 carries the default route"
	eg_expect "$over" 15 || return 1
	eg_check_guest "unhealthy to the failover" "earlyguard: heal: eth0 unhealthy: no carrier" \
		"$over" 4.5 7
	eg_expect "earlyguard: failover: default route via 10.0.5.2 dev eth1" 5 || return 1
	local up t_over
	up=$(eg_ktime_nth "EG-TEST: uplink2 up 42" 1) || { eg_fail "the backup's up command never ran"; return 1; }
	t_over=$(eg_ktime "$over")
	eg_check "uplink2 up before the failover" "$(eg_sub "$t_over" "$up")" 0 2 guest

	# the one way in now is n1
	eg_ssh_via n1 root ip route show default
	[ "$EG_SSH_RC" = 0 ] || { eg_fail "ssh over n1 exited $EG_SSH_RC: $EG_SSH_ERR"; return 1; }
	printf '%s\n' "$EG_SSH_OUT" | grep -q '^default via 10\.0\.5\.2 dev eth1' ||
		eg_fail "the guest's default route is not via eth1: $EG_SSH_OUT"
	eg_ssh_via n1 root earlyguard disarm
	[ "$EG_SSH_RC" = 0 ] || { eg_fail "earlyguard disarm over n1 exited $EG_SSH_RC: $EG_SSH_ERR"; return 1; }
	eg_expect "earlyguard: disarm: boot confirmed" 10 || return 1
	eg_expect "earlyguard: heal: eth0 reboot vetoed: another uplink carries the traffic (eth1)" 20 || return 1
	eg_ssh_via n1 root earlyguard status
	printf '%s\n' "$EG_SSH_OUT" | grep -q '^failover: eth1 carries the default route; eth0 unhealthy, eth1 healthy$' ||
		eg_fail "status over n1 does not say eth1 carries: $EG_SSH_OUT"

	eg_set_link n0 up || return 1
	local wait="earlyguard: failover: eth0 healthy; failing back in ${FAILBACK}s unless it breaks"
	local back="earlyguard: failover: back on eth0 (healthy for ${FAILBACK}s)"
	eg_expect "$wait" 15 || return 1
	eg_expect "$back" $((FAILBACK + 10)) || return 1
	eg_check_guest "healthy to the fail-back" "$wait" "$back" "$(eg_wait_lo "$FAILBACK")" $((FAILBACK + 3))
	local down t_back t_wait
	t_wait=$(eg_ktime "$wait")
	t_back=$(eg_ktime "$back")
	down=$(eg_ktime_nth "EG-TEST: uplink2 down 42" 2) || { eg_fail "the backup's down command did not run on fail-back"; return 1; }
	eg_check "backup stopped within the fail-back" "$(eg_sub "$down" "$t_wait")" 0 "$(eg_sub "$t_back" "$t_wait")" guest
	eg_expect "earlyguard: failover: default route via 10.0.2.2 dev eth0" 5 || return 1
	eg_ssh root ip route show default
	printf '%s\n' "$EG_SSH_OUT" | grep -q '^default via 10\.0\.2\.2 dev eth0' ||
		eg_fail "the guest's default route is not back on eth0: $EG_SSH_OUT"
	eg_absent "earlyguard: orderly reboot"
	eg_stop || return 1
	eg_expect_outcome stopped
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event in qmp.log"
}

eg_scenario M45 "primary link down: failover to the second NIC, disarm through it; primary back: fail-back after failback_after" m45
