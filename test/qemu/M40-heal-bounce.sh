#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M40 the watched uplink loses its carrier; the bounce heals it.  QMP
# set_link takes eth0's carrier away, as a pulled cable would.  The
# daemon learns it from rtnetlink, not by polling: its "unhealthy" line
# must reach the console within 1 s of QEMU answering set_link (host
# time, which includes the harness's polling of the console log).  The
# guest's own sysfs poller (eg-carrier, every 0.1 s) is usually slower
# than the daemon, which bounces the link at once; so the reference is
# the host's.
# The test gives the carrier back as soon as it sees stage 1 (the bounce)
# begin, so the bounce is what heals it; stage 2 never runs, no reboot.
#
# Bounds (guest time unless said):
#   (a wait the guest times: its lower bound less EG_STAMP_SLACK, lib.sh)
#   set_link n0 down answered to "heal: eth0 unhealthy: no carrier" seen
#   0..1 s (host time)
#   "unhealthy" to "stage 1/3: bounce" 0..1 s (heal_grace=0)
#   "stage 1/3: bounce" to "healthy again after stage 1 (bounce)"
#   3..6 s (the link is held down 3 s, then the carrier comes back)
#   "1 route back after the bounce: 10.10.0.0/16 via 10.0.2.2" (a route
#   the test adds over ssh before; the kernel drops it with the link), and
#   the guest's table has it again
#   no "stage 2/3", no "orderly reboot"; ssh works before and after, and
#   `earlyguard status` says "heal: eth0 healthy"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=5s earlyguard.heal_interval=30s earlyguard.confirm_timeout=0 egtest.carrier=eth0"

m40() {
	EG_NET=1
	eg_boot 1 150 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL" || return 1
	eg_expect "earlyguard: heal: watching eth0: healthy" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	# a route of the operator's through eth0, which the kernel drops with
	# the link: the bounce keeps it and puts it back
	eg_ssh_expect 0 root ip route add 10.10.0.0/16 via 10.0.2.2 dev eth0
	eg_set_link n0 down || return 1
	eg_expect "earlyguard: heal: eth0 unhealthy: no carrier" 10 || return 1
	eg_check_host "set_link down to detected" "$EG_LINK_AT" "$EG_SEEN_AT" 0 1
	eg_expect "earlyguard: heal: eth0 stage 1/3: bounce" 10 || return 1
	eg_set_link n0 up || return 1
	eg_expect "earlyguard: heal: eth0 healthy again after stage 1 (bounce)" 15 || return 1
	eg_check_guest "detected to bounce" "earlyguard: heal: eth0 unhealthy: no carrier" \
		"earlyguard: heal: eth0 stage 1/3: bounce" 0 1
	eg_check_guest "bounce to healthy" "earlyguard: heal: eth0 stage 1/3: bounce" \
		"earlyguard: heal: eth0 healthy again after stage 1 (bounce)" "$(eg_wait_lo 3)" 6
	eg_expect "earlyguard: heal: eth0: 1 route back after the bounce: 10.10.0.0/16 via 10.0.2.2" 1 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root ip route show 10.10.0.0/16
	case $EG_SSH_OUT in
	*"10.10.0.0/16 via 10.0.2.2 dev eth0"*) ;;
	*) eg_fail "the route is not back after the bounce: '${EG_SSH_OUT:0:200}'" ;;
	esac
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line heal "eth0 healthy, stage 0, failed runs 0"
	eg_absent "earlyguard: heal: eth0 stage 2/3"
	eg_absent "earlyguard: orderly reboot"
	eg_stop
}

eg_scenario M40 "carrier lost: seen within 1 s by rtnetlink, healed by the bounce, no reboot" m40
