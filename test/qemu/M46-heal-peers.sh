#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M46 two guests watch each other (the peer watch): node1 and node2, each
# with its own user-net uplink eth0 (n0) and a cable between them (eth1,
# a -netdev stream over a unix socket: 10.0.4.1 and 10.0.4.2), exchange
# HMAC-sealed heartbeats on UDP port 7000 with a shared key (written by
# the rootfs from egtest.peerkey).  Both uplinks die at once; with
# max_fails 1 both reach a reboot decision within a second of each other.
# Each says "recovering" from the moment its uplink is unhealthy, which
# holds the other's reboot for peer_hold_max (15 s); then both announce
# "rebooting" and the tie-break lets the smaller id go first: one reboots,
# the other holds its own ("reboot vetoed: ... peer node...") for another
# peer_hold_max before it reboots too.
# A heartbeat forged with another key, sent from the host through a UDP
# forward of node2's uplink, is refused and logged.
#
# Bounds (guest time of each node; RECHECK = 2 s, INTERVAL = 3 s):
#   each node logs "peer: nodeX at 10.0.4.X:7000 is ok" within 30 s (host)
#   of its daemon's start
#   the forged datagram: "peer: refused a datagram from 10.0.2.2:...:
#   ... MAC" within 10 s (host)
#   one node logs "orderly reboot" within 50 s (host) of the links going
#   down; the other logs "reboot vetoed:" naming that peer, and its own
#   orderly reboot comes 25..55 s after its first veto (guest: the hold of
#   the peer's recovering, then of its rebooting, then a ladder run); no
#   WATCHDOG event on either

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

KEY=$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')
HEAL="earlyguard.iface=eth0 earlyguard.heal_grace=0 earlyguard.recheck_sleep=2s earlyguard.heal_interval=3s earlyguard.max_fails=1 earlyguard.reboot_cooldown=0 earlyguard.confirm_timeout=0 earlyguard.shutdown_timeout=30s earlyguard.peer_interval=1s earlyguard.peer_hold_max=15s egtest.peerkey=$KEY"

# a free UDP port on 127.0.0.1 for node2's forward
free_udp_port() {
	python3 -c 'import socket; s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

m46() {
	local fwd
	fwd=$(free_udp_port) || { eg_fail "no free UDP port"; return 1; }
	EG_NET=1
	EG_NIC2=peer
	eg_peer 1 || return 1
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL earlyguard.peer=10.0.4.2:7000 earlyguard.peer_id=node1" || return 1
	eg_peer 2 || return 1
	EG_UDP_FWD=$fwd:7000
	eg_boot 2 240 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=10s earlyguard.deadline=60s earlyguard.handoff_timeout=15s $HEAL earlyguard.peer=10.0.4.1:7000 earlyguard.peer_id=node2" || return 1
	EG_UDP_FWD=

	eg_use 1 || return 1
	eg_expect "earlyguard: peer: node2 at 10.0.4.2:7000 is ok" 90 || return 1
	eg_use 2 || return 1
	eg_expect "earlyguard: peer: node1 at 10.0.4.1:7000 is ok" 90 || return 1

	# a forged heartbeat, from the host through node2's UDP forward
	python3 "$EG_TOP/test/bats/peer-tool.py" forge "127.0.0.1:$fwd" 0 1 ||
		{ eg_fail "peer-tool.py forge failed"; return 1; }
	eg_expect "earlyguard: peer: refused a datagram from 10.0.2.2:" 10 || return 1
	eg_expect_line_re "earlyguard: peer: refused a datagram from 10.0.2.2:" 'MAC'

	# both uplinks die at once
	eg_use 1 || return 1
	eg_set_link n0 down || return 1
	eg_use 2 || return 1
	eg_set_link n0 down || return 1

	# the first orderly reboot, on either node
	# (node, not n: bash's dynamic scope would hand the loop's n to
	# eg_scenario's, the TAP line's number)
	local first='' other='' end now node
	eg_now now
	end=$((now + 5000))
	while [ -z "$first" ]; do
		for node in 1 2; do
			grep -aq "earlyguard: orderly reboot: network self-heal" "$EG_WORK/console$([ "$node" = 1 ] || echo ".$node").log" 2>/dev/null &&
				{ first=$node; break; }
		done
		eg_now now
		[ "$now" -lt "$end" ] || { eg_fail "neither node rebooted within 50 s"; return 1; }
		[ -n "$first" ] || sleep "$EG_POLL"
	done
	other=$((3 - first))
	eg_note "node$first rebooted first; node$other must hold"
	eg_use "$other" || return 1
	eg_expect "earlyguard: heal: eth0 reboot vetoed: " 15 || return 1
	eg_expect_line_re "earlyguard: heal: eth0 reboot vetoed: " "peer node$first"
	# node$other reboots only after the hold of node$first's announcement
	eg_expect "earlyguard: orderly reboot: network self-heal" 70 || return 1
	local t_other
	t_other=$EG_SEEN_AT
	eg_use "$first" || return 1
	eg_expect_exit 45 || return 1
	eg_expect_outcome reboot
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "node$first: a WATCHDOG event"
	eg_use "$other" || return 1
	eg_check_guest "node$other: its first veto to its own reboot" \
		"earlyguard: heal: eth0 reboot vetoed: " "earlyguard: orderly reboot: network self-heal" 25 55
	eg_expect_exit 45 || return 1
	eg_expect_outcome reboot
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "node$other: a WATCHDOG event"
	: "$t_other"
}

eg_scenario M46 "two peers: one reboots, the other holds until the hold runs out; a forged heartbeat is refused" m46
