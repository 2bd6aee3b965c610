#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M41 healed only by stage 2, then (in the same boot, a second outage)
# only by stage 3.  network_reapply and network_restart are commands whose
# effect the console shows (an EG-TEST line through /dev/kmsg, not in the
# command line: only running them prints it).  The test gives the carrier
# back when it sees the stage that should heal, so each outage is healed
# by exactly that stage:
#   outage 1: back after "EG-TEST: reapply ran 42" -> healed after stage 2
#   outage 2: back after "EG-TEST: restart ran 42" -> healed after stage 3
#
# Bounds (guest time; RECHECK = 4 s):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   each stage follows the one before it within RECHECK-0.5..RECHECK+1.5
#   s (stage 1: the 3 s bounce then RECHECK)
#   the command's EG-TEST line 0..2 s after its stage's line
#   no reboot; each outage's run is 1 (max_fails 2)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

RECHECK=4
# $((6*7)) is for the guest's sh, not this one.
# shellcheck disable=SC2016
CMDS='earlyguard.network_reapply="echo EG-TEST: reapply ran $((6*7)) >/dev/kmsg" earlyguard.network_restart="echo EG-TEST: restart ran $((6*7)) >/dev/kmsg"'
HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=${RECHECK}s earlyguard.heal_interval=60s earlyguard.confirm_timeout=0 egtest.carrier=eth0"

m41() {
	EG_NET=1
	eg_boot 1 200 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL $CMDS" || return 1
	eg_expect "earlyguard: heal: watching eth0: healthy" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1

	# outage 1: healed by stage 2
	eg_set_link n0 down || return 1
	eg_expect "earlyguard: heal: eth0 stage 1/3: bounce" 10 || return 1
	eg_expect "EG-TEST: reapply ran 42" $((RECHECK + 15)) || return 1
	eg_set_link n0 up || return 1
	eg_expect "earlyguard: heal: eth0 healthy again after stage 2 (re-apply)" 15 || return 1
	eg_check_guest "outage 1: bounce to stage 2" "earlyguard: heal: eth0 stage 1/3: bounce" \
		"earlyguard: heal: eth0 stage 2/3: re-apply: " "$(eg_wait_lo $((3 + RECHECK)))" $((3 + RECHECK + 1)).5
	eg_check_guest "outage 1: stage 2 to its command" "earlyguard: heal: eth0 stage 2/3: re-apply: " \
		"EG-TEST: reapply ran 42" 0 2
	eg_absent "EG-TEST: restart ran 42"

	# outage 2: stages 1 and 2 do not heal; stage 3 does
	eg_set_link n0 down || return 1
	eg_await_nth "earlyguard: heal: eth0 stage 1/3: bounce" 2 10 ||
		{ eg_fail "no second bounce"; return 1; }
	eg_await_nth "EG-TEST: reapply ran 42" 2 $((RECHECK + 15)) ||
		{ eg_fail "no second re-apply"; return 1; }
	eg_expect "EG-TEST: restart ran 42" $((RECHECK + 15)) || return 1
	eg_set_link n0 up || return 1
	eg_expect "earlyguard: heal: eth0 healthy again after stage 3 (restart)" 15 || return 1
	local s2 s3
	s2=$(eg_ktime_nth "earlyguard: heal: eth0 stage 2/3: re-apply: " 2) || { eg_fail "no second stage 2 time"; return 1; }
	s3=$(eg_ktime "earlyguard: heal: eth0 stage 3/3: restart: ") || { eg_fail "no stage 3 time"; return 1; }
	eg_check "outage 2: stage 2 to stage 3" "$(eg_sub "$s3" "$s2")" $((RECHECK - 1)).5 $((RECHECK + 1)).5 guest
	eg_check_guest "outage 2: stage 3 to its command" "earlyguard: heal: eth0 stage 3/3: restart: " \
		"EG-TEST: restart ran 42" 0 2
	eg_absent "earlyguard: heal: eth0 ladder run"
	eg_absent "earlyguard: orderly reboot"
	eg_stop
}

eg_scenario M41 "healed only by stage 2 (re-apply), then only by stage 3 (restart)" m41
