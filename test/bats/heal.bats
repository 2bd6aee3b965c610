#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The daemon's network self-heal on the host build, in a network namespace
# of its own: the watched uplink is one end of a veth pair, and the test
# takes its carrier away by setting the other end down.  Real rtnetlink
# events, a real bounce, real commands; reboots are suppressed (the host
# build) but the decision, its log line and the cooldown file are real.
# The QEMU matrix (M40-M46) proves the same on a virtio NIC and a reboot.

bats_load_library bats-support
bats_load_library bats-assert
load netns_daemon

setup() {
	# shellcheck disable=SC2034 # read by netns_daemon.bash
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	[ "$(id -u)" -eq 0 ] || skip "needs root for a network namespace"
	export EARLYGUARD_RUN="$BATS_TEST_TMPDIR/run"
	export EARLYGUARD_KMSG="$BATS_TEST_TMPDIR/kmsg"
	mkdir -p "$EARLYGUARD_RUN" "$BATS_TEST_TMPDIR/state"
	NS="eg-heal-$$-${BATS_TEST_NUMBER}"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	ip -n "$NS" link add eg0 type veth peer name eg0p
	ip -n "$NS" link set eg0p up
	ip -n "$NS" link set eg0 up
	ip -n "$NS" addr add 10.9.0.1/24 dev eg0
	CONF="$BATS_TEST_TMPDIR/earlyguard.conf"
	cat >"$CONF" <<-EOC
		device=$BATS_TEST_TMPDIR/no-watchdog
		confirm_timeout=0
		state_dir=$BATS_TEST_TMPDIR/state
		reboot_command=/bin/false
		iface=eg0
		heal_grace=0
		recheck_sleep=2s
		heal_interval=1s
		max_fails=2
		usb_gadget_dir=$BATS_TEST_TMPDIR/gadgets
	EOC
	: >"$BATS_TEST_TMPDIR/cmdline"
}

teardown() {
	[ -z "${DPID:-}" ] || kill "$DPID" 2>/dev/null || true
	[ -z "${DPID:-}" ] || wait "$DPID" 2>/dev/null || true
	[ -z "${LPID:-}" ] || kill "$LPID" 2>/dev/null || true
	[ -z "${NS:-}" ] || ip netns del "$NS" 2>/dev/null || true
	[ -z "${NS:-}" ] || ip netns del "$NS-p" 2>/dev/null || true
}


carrier() {
	ip -n "$NS" link set eg0p "$1"
}

@test "heal: status says what is watched; off without iface" {
	start_daemon
	run eg status
	assert_success
	assert_line --regexp '^heal: eg0 healthy, stage 0, failed runs 0 \(max_fails 2\), health probe off$'
	assert_line --regexp '^reboot_guards: cooldown 0s left, inhibit 0s left, usb not in use, ping veto off$'
	run eg status --json
	assert_output --partial '"heal_iface":"eg0","heal_state":"healthy"'
	stop_daemon
	sed -i '/^iface=/d' "$CONF"
	start_daemon
	run eg status
	assert_line "heal: off (no iface= in the configuration)"
	run eg inhibit --for 2h
	assert_equal "$status" 1
	assert_output --partial "the self-heal is off"
}

@test "heal: carrier lost is seen at once; the bounce heals it and puts back the routes it dropped" {
	ip -n "$NS" route add default via 10.9.0.2 dev eg0
	ip -n "$NS" route add 10.10.0.0/16 via 10.9.0.3 dev eg0 metric 7
	ip -n "$NS" route add 10.11.0.0/24 dev eg0 scope link
	start_daemon
	await 'heal: watching eg0: healthy' 5
	carrier down
	run await 'heal: eg0 unhealthy: no carrier' 1
	assert_success
	echo "# detected in ${output}ms" >&3
	await 'heal: eg0 stage 1/3: bounce \(down 3s, up\), run 1 \(max_fails 2\)' 2
	carrier up
	run await 'heal: eg0 healthy again after stage 1 \(bounce\) in [3-5]\.[0-9]{3}s' 6
	assert_success
	# the kernel dropped them with the link and put back only its own
	run grep -c 'heal: eg0: 3 routes back after the bounce: default via 10\.9\.0\.2, 10\.10\.0\.0/16 via 10\.9\.0\.3 metric 7, 10\.11\.0\.0/24 scope link$' "$EARLYGUARD_KMSG"
	assert_output 1
	run ip -n "$NS" -4 route show
	assert_line --regexp '^default via 10\.9\.0\.2 dev eg0 '
	assert_line --regexp '^10\.10\.0\.0/16 via 10\.9\.0\.3 dev eg0 metric 7'
	assert_line --regexp '^10\.11\.0\.0/24 dev eg0 scope link'
	assert_line --regexp '^10\.9\.0\.0/24 dev eg0 proto kernel scope link src 10\.9\.0\.1'
	run eg status
	assert_line --regexp '^heal: eg0 healthy, stage 0, failed runs 0 \(max_fails 2\), health probe off$'
	run grep -c 'stage 2/3' "$EARLYGUARD_KMSG"
	assert_output 0
}

@test "heal: healed by stage 2 (network_reapply), then by stage 3 (network_restart)" {
	{
		echo "network_reapply='ip link set eg0p up'"
		echo "network_restart='echo restarted >$BATS_TEST_TMPDIR/restarted'"
	} >>"$CONF"
	start_daemon
	carrier down
	await "heal: eg0 stage 2/3: re-apply: ip link set eg0p up" 7
	run await 'heal: eg0 healthy again after stage 2 \(re-apply\)' 3
	assert_success
	[ ! -e "$BATS_TEST_TMPDIR/restarted" ]
	stop_daemon
	sed -i '/^network_reapply=/d; /^network_restart=/d' "$CONF"
	printf '%s\n' "network_reapply='true'" "network_restart='ip link set eg0p up'" >>"$CONF"
	: >"$EARLYGUARD_KMSG"
	start_daemon
	carrier down
	await "heal: eg0 stage 2/3: re-apply: true" 7
	await "heal: eg0 stage 3/3: restart: ip link set eg0p up" 4
	run await 'heal: eg0 healthy again after stage 3 \(restart\)' 3
	assert_success
}

@test "heal: never healed: reboot after max_fails runs; the cooldown survives a restart and holds the next" {
	start_daemon
	carrier down
	await 'heal: eg0 ladder run 1/2 failed; next run in 1s' 8
	run await 'heal: eg0 unhealthy after 2 ladder runs: orderly reboot' 9
	assert_success
	await 'orderly reboot: network self-heal: eg0 no carrier after 2 ladder runs' 2
	await 'test build: reboot command suppressed' 2
	run cat "$BATS_TEST_TMPDIR/state/heal-cooldown"
	assert_output "left_ms 3600000"
	stop_daemon
	: >"$EARLYGUARD_KMSG"
	start_daemon
	await 'heal: watching eg0: unhealthy: no carrier; .*reboot cooldown (59m5[0-9]s|1h00m00s)' 3
	run await 'heal: eg0 reboot vetoed: cooldown: 59m[0-5][0-9]s left of reboot_cooldown' 20
	assert_success
	run grep -c 'orderly reboot' "$EARLYGUARD_KMSG"
	assert_output 0
	run eg status
	assert_line --regexp '^reboot_guards: cooldown 35[0-9][0-9]s left'
}

@test "heal: a damaged cooldown file holds the whole window" {
	echo "garbage" >"$BATS_TEST_TMPDIR/state/heal-cooldown"
	echo "reboot_cooldown=10m" >>"$CONF"
	start_daemon
	await 'holds "garbage\\x0a", not "left_ms N": keeping the whole window \(600s\)' 3
	run eg status
	assert_line --regexp '^reboot_guards: cooldown (600|599|598)s left'
}

@test "heal: a kept cooldown is never longer than reboot_cooldown; 0 ends it" {
	echo "left_ms 3600000" >"$BATS_TEST_TMPDIR/state/heal-cooldown"
	echo "reboot_cooldown=10m" >>"$CONF"
	start_daemon
	run eg status
	assert_line --regexp '^reboot_guards: cooldown (600|599|598)s left'
	stop_daemon
	echo "reboot_cooldown=0" >>"$CONF"
	start_daemon
	run eg status
	assert_line --regexp '^reboot_guards: cooldown 0s left'
}

@test "heal: an interface that never existed (a misspelt iface=) is no reason to reboot" {
	sed -i 's/^iface=eg0$/iface=eg9/' "$CONF"
	echo "reboot_cooldown=0" >>"$CONF"
	start_daemon
	await 'heal: eg9: no such interface: the ladder will run when it appears, and no reboot is asked for it until then' 3
	run await 'heal: eg9 reboot vetoed: eg9 has not existed since the daemon started \(is iface= right\?\)' 20
	assert_success
	run grep -c 'orderly reboot' "$EARLYGUARD_KMSG"
	assert_output 0
	# once it appears, it is watched as any other
	ip -n "$NS" link add eg9 type veth peer name eg9p
	run await 'heal: eg9 appeared' 5
	assert_success
}

@test "heal: a USB mass-storage LUN with a file vetoes the reboot, not the stages" {
	mkdir -p "$BATS_TEST_TMPDIR/gadgets/kvm/functions/mass_storage.usb0/lun.0"
	echo "/srv/debian.iso" >"$BATS_TEST_TMPDIR/gadgets/kvm/functions/mass_storage.usb0/lun.0/file"
	echo "reboot_cooldown=0" >>"$CONF"
	start_daemon
	carrier down
	await 'heal: eg0 stage 1/3: bounce' 2
	run await 'heal: eg0 reboot vetoed: usb mass storage in use: gadget kvm mass_storage.usb0 lun.0 presents /srv/debian.iso' 12
	assert_success
	run grep -c 'orderly reboot' "$EARLYGUARD_KMSG"
	assert_output 0
	# with usb_guard_require_udc=1 and no UDC bound, the same LUN does not hold
	stop_daemon
	echo "usb_guard_require_udc=1" >>"$CONF"
	: >"$EARLYGUARD_KMSG"
	start_daemon
	run await 'heal: eg0 unhealthy after [0-9]+ ladder runs: orderly reboot' 20
	assert_success
}

@test "heal: a ping-veto target that answers holds the reboot; a silent one does not" {
	printf '%s\n' reboot_cooldown=0 ping_veto_ip1=127.0.0.1:7 ping_veto_ip2=127.0.0.1 >>"$CONF"
	# nothing listens on port 7: the reset is an answer from the host, and
	# loopback answers ICMP echo: both hold
	start_daemon
	carrier down
	run await 'heal: eg0 reboot vetoed: ping veto: ' 14
	assert_success
	run grep -c 'orderly reboot' "$EARLYGUARD_KMSG"
	assert_output 0
	stop_daemon
	# a target that cannot answer (loopback down in the namespace)
	ip -n "$NS" link set lo down
	sed -i '/^ping_veto_ip2=/d' "$CONF"
	: >"$EARLYGUARD_KMSG"
	start_daemon
	# the count of failed runs is kept across a daemon restart (in /run, as
	# the seed keeps it in /tmp): the first run after it is run 3
	await 'heal: eg0 stage 1/3: bounce \(down 3s, up\), run 3 \(max_fails 2\)' 3
	run await 'heal: eg0 unhealthy after 3 ladder runs: orderly reboot' 12
	assert_success
}

@test "heal: a health probe unanswered is unhealthy; the bounce does not heal it, the stage that brings answers back does" {
	# the veth's other end in a namespace of its own, at 10.9.0.2: the
	# probe crosses the link, and that end stops answering ICMP echo
	# while its carrier stays up
	ip netns add "$NS-p"
	ip -n "$NS" link set eg0p netns "$NS-p"
	ip -n "$NS-p" link set eg0p up
	ip -n "$NS-p" addr add 10.9.0.2/24 dev eg0p
	printf '%s\n' health_probe1=10.9.0.2 health_probe_interval=1s health_probe_timeout=1s \
		health_probe_misses=2 max_fails=1 reboot_cooldown=0 recheck_sleep=4s \
		"network_reapply='ip netns exec $NS-p sysctl -qw net.ipv4.icmp_echo_ignore_all=0'" >>"$CONF"
	start_daemon
	await 'heal: watching eg0: healthy; .*; health probe 10\.9\.0\.2 through eg0 every 1s \(timeout 1s, unhealthy after 2 unanswered\)$' 5
	run eg status
	assert_line --regexp '^heal: eg0 healthy, stage 0, failed runs 0 \(max_fails 1\), health probe answering$'
	run eg status --json
	assert_output --partial '"heal_probe":"answering"'
	ip netns exec "$NS-p" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
	# the next round within 1 s, its 1 s, and the retry's 1 s
	run await 'heal: eg0 unhealthy: health probe 10\.9\.0\.2: no answer to 2 rounds in a row \(last: no answer within 1s\)$' 6
	assert_success
	echo "# unanswered rounds seen as unhealthy in ${output}ms" >&3
	[ "$output" -ge 2000 ]
	run eg status --json
	assert_output --partial '"heal_probe":"not answering"'
	await 'heal: eg0 stage 1/3: bounce' 1
	# the carrier comes back after the bounce, but the probe is still
	# unanswered: the run goes on to stage 2, which makes it answer
	run await 'heal: eg0 stage 2/3: re-apply: ip netns exec' 9
	assert_success
	run await 'heal: eg0 healthy again after stage 2 \(re-apply\)' 4
	assert_success
	echo "# answered again ${output}ms after stage 2 began" >&3
	run grep -c 'healthy again after stage 1' "$EARLYGUARD_KMSG"
	assert_output 0
	run eg status
	assert_line --regexp '^heal: eg0 healthy, stage 0, failed runs 0 \(max_fails 1\), health probe answering$'
	# a carrier loss is the link's trouble, said first
	ip -n "$NS-p" link set eg0p down
	run await 'heal: eg0 unhealthy: no carrier$' 1
	assert_success
	ip -n "$NS-p" link set eg0p up
	run await 'heal: eg0 healthy again after stage 1 \(bounce\)' 8
	assert_success
}

@test "heal: inhibit --for holds the reboot and survives a restart; --clear ends it" {
	echo "reboot_cooldown=0" >>"$CONF"
	start_daemon
	run eg inhibit --for 2h
	assert_success
	assert_output --partial "held for 2h"
	run cat "$BATS_TEST_TMPDIR/state/heal-inhibit"
	assert_output "left_ms 7200000"
	carrier down
	run await 'heal: eg0 reboot vetoed: inhibited by the operator: 1h59m[0-5][0-9]s left' 14
	assert_success
	stop_daemon
	: >"$EARLYGUARD_KMSG"
	start_daemon
	run eg status
	assert_line --regexp 'inhibit (7199|7198|7197|7196|7195)s left'
	run eg inhibit --clear
	assert_success
	assert_output --partial "inhibit cleared"
	[ ! -e "$BATS_TEST_TMPDIR/state/heal-inhibit" ]
	run await 'heal: eg0 unhealthy after [0-9]+ ladder runs: orderly reboot' 20
	assert_success
}

@test "inhibit: usage errors say what is allowed" {
	run eg inhibit
	assert_equal "$status" 100
	assert_output --partial "inhibit takes --for DURATION (90s, 2h, 1h30m) or --clear"
	run eg inhibit --for 8d
	assert_equal "$status" 100
	run eg inhibit --for 0
	assert_equal "$status" 100
	assert_output --partial "DURATION is 1s to 7 days"
	run eg --help
	assert_output --partial "inhibit --for DURATION|--clear"
}
