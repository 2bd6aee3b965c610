#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M44 the ping veto: eth0 loses its carrier, but a host on another LAN
# (test/qemu/lan-responder.py at 10.0.3.2, reached through eth1) still
# answers ICMP echo: the reboot is held.  Once the responder is stopped,
# nothing answers within ping_timeout and the next run reboots.
#
# Bounds (guest time; max_fails 1, RECHECK = 2 s, INTERVAL = 4 s,
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
# ping_timeout 2 s):
#   "reboot vetoed: ping veto: 10.0.3.2" 5..8 s after "unhealthy"
#   after the responder stops: "ping veto: no answer within 2s" and the
#   orderly reboot within INTERVAL + a run + 10 s (host), outcome reboot

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

INTERVAL=4
HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=2s earlyguard.heal_interval=${INTERVAL}s earlyguard.max_fails=1 earlyguard.reboot_cooldown=0 earlyguard.ping_veto_ip1=$EG_LAN_IP earlyguard.ping_timeout=2s earlyguard.confirm_timeout=0 earlyguard.shutdown_timeout=30s"

m44() {
	EG_NET=1
	EG_NIC2=responder
	eg_responder_start "$EG_LAN_IP" || return 1
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL" || return 1
	eg_expect "EG-ROOTFS: network up on eth1" 60 || return 1
	eg_expect "earlyguard: heal: watching eth0: healthy" 60 || return 1
	eg_set_link n0 down || return 1
	eg_expect "earlyguard: heal: eth0 unhealthy: no carrier" 10 || return 1
	local veto="earlyguard: heal: eth0 reboot vetoed: ping veto: $EG_LAN_IP"
	eg_expect "$veto" 15 || return 1
	eg_check_guest "unhealthy to the ping veto" "earlyguard: heal: eth0 unhealthy: no carrier" \
		"$veto" "$(eg_wait_lo 5)" 8
	eg_absent "earlyguard: orderly reboot"
	grep -q "icmp" "$EG_WORK/responder.log" 2>/dev/null ||
		eg_fail "the responder logged no ICMP answer ($(tail -n 3 "$EG_WORK/responder.log" 2>/dev/null))"
	eg_responder_stop
	eg_expect "earlyguard: heal: ping veto: no answer within 2s" $((INTERVAL + 20)) || return 1
	eg_expect "earlyguard: orderly reboot: network self-heal: eth0" 5 || return 1
	eg_expect_exit 45 || return 1
	eg_expect_outcome reboot
	[ "$(eg_count "earlyguard: heal: eth0 reboot vetoed: ping veto")" -ge 1 ] || eg_fail "no ping veto counted"
}

eg_scenario M44 "a ping-veto target that answers holds the reboot; silent, the next run reboots" m44
