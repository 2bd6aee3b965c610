#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M47 the health probe: the watched uplink is eth1, on the emulated LAN
# of test/qemu/lan-responder.py, and health_probe1 is the responder
# (10.0.3.2, ICMP echo).  The test stops the responder: the carrier stays
# up and the address stays, only the answers stop; the daemon calls the
# uplink unhealthy after health_probe_misses unanswered rounds.  The
# bounce brings the carrier back but no answer, so it does not heal the
# run; the test starts the responder again when it sees stage 2 begin,
# and the next answered round heals it: "after stage 2 (re-apply)".
# ssh goes through eth0 (n0) all along.
#
# Bounds (probe interval 2 s, timeout 1 s, misses 2; RECHECK 6 s):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   responder stopped to "heal: eth1 unhealthy: health probe 10.0.3.2:
#   no answer to 2 rounds in a row" 1..6 s (host: the next round within
#   2 s, its 1 s, the retry's 1 s, and the harness's polling)
#   "unhealthy" to "stage 2/3: re-apply" 9..10.5 s (guest: the bounce's
#   3 s and RECHECK, the carrier back in between heals nothing)
#   "stage 2/3" to "healthy again after stage 2 (re-apply)" 0..RECHECK s
#   (guest; the responder is back about 1 s after stage 2 began)
#   no "healthy again after stage 1", no "orderly reboot"; status says
#   "health probe answering" before and after, "not answering" between

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

RECHECK=6
# $((6*7)) is for the guest's sh, not this one.
# shellcheck disable=SC2016
CMDS='earlyguard.network_reapply="echo EG-TEST: reapply ran $((6*7)) >/dev/kmsg"'
HEAL="earlyguard.iface=eth1 earlyguard.heal_grace=0 earlyguard.recheck_sleep=${RECHECK}s earlyguard.heal_interval=60s earlyguard.max_fails=1 earlyguard.reboot_cooldown=0 earlyguard.health_probe1=$EG_LAN_IP earlyguard.health_probe_interval=2s earlyguard.health_probe_timeout=1s earlyguard.health_probe_misses=2 earlyguard.confirm_timeout=0"

m47() {
	local stopped unhealthy="earlyguard: heal: eth1 unhealthy: health probe $EG_LAN_IP: no answer to 2 rounds in a row"
	EG_NET=1
	EG_NIC2=responder
	eg_responder_start "$EG_LAN_IP" || return 1
	eg_boot 1 200 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL $CMDS" || return 1
	eg_expect "EG-ROOTFS: network up on eth1" 60 || return 1
	eg_expect "earlyguard: heal: watching eth1: healthy; " 60 || return 1
	eg_expect "health probe $EG_LAN_IP through eth1 every 2s (timeout 1s, unhealthy after 2 unanswered)" 1 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line heal "eth1 healthy, stage 0, failed runs 0 (max_fails 1), health probe answering"
	grep -q "icmp" "$EG_WORK/responder.log" 2>/dev/null ||
		eg_fail "the responder logged no ICMP answer ($(tail -n 3 "$EG_WORK/responder.log" 2>/dev/null))"

	eg_responder_stop
	eg_now stopped
	eg_expect "$unhealthy" 15 || return 1
	eg_check_host "responder stopped to unhealthy" "$stopped" "$EG_SEEN_AT" 1 6
	eg_expect "earlyguard: heal: eth1 stage 1/3: bounce" 5 || return 1
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line heal "health probe not answering"
	eg_expect "earlyguard: heal: eth1 stage 2/3: re-apply: " $((3 + RECHECK + 10)) || return 1
	eg_responder_start "$EG_LAN_IP" || return 1
	eg_expect "earlyguard: heal: eth1 healthy again after stage 2 (re-apply)" $((RECHECK + 10)) || return 1
	eg_check_guest "unhealthy to stage 2 (the bounce healed nothing)" "$unhealthy" \
		"earlyguard: heal: eth1 stage 2/3: re-apply: " "$(eg_wait_lo $((3 + RECHECK)))" $((3 + RECHECK + 1)).5
	eg_check_guest "stage 2 to healthy" "earlyguard: heal: eth1 stage 2/3: re-apply: " \
		"earlyguard: heal: eth1 healthy again after stage 2 (re-apply)" 0 "$RECHECK"
	eg_absent "earlyguard: heal: eth1 healthy again after stage 1"
	eg_absent "earlyguard: orderly reboot"
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line heal "eth1 healthy, stage 0, failed runs 0 (max_fails 1), health probe answering"
	eg_stop
}

eg_scenario M47 "health probe: the endpoint stops answering with the carrier up; the bounce does not heal it, the stage that brings answers back does" m47
