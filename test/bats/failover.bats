#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The daemon's uplink failover on the host build, in a network namespace:
# the primary eg0 and the backup eg1 are each one end of a veth pair, and
# the test takes the primary's carrier away by setting its other end down.
# Real rtnetlink events, real up and down commands, a real default route
# (ip -n NS route show default); reboots are suppressed (the host build).
# The QEMU matrix (M45) proves the same on two virtio NICs.

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
	NS="eg-fo-$$-${BATS_TEST_NUMBER}"
	ORDER="$BATS_TEST_TMPDIR/order"
	ip netns add "$NS"
	ip -n "$NS" link set lo up
	for i in 0 1; do
		ip -n "$NS" link add "eg$i" type veth peer name "eg${i}p"
		ip -n "$NS" link set "eg${i}p" up
		ip -n "$NS" link set "eg$i" up
		ip -n "$NS" addr add "10.9.$i.1/24" dev "eg$i"
	done
	CONF="$BATS_TEST_TMPDIR/earlyguard.conf"
	# each command appends its name and how many default routes it saw
	cat >"$CONF" <<-EOC
		device=$BATS_TEST_TMPDIR/no-watchdog
		confirm_timeout=0
		state_dir=$BATS_TEST_TMPDIR/state
		reboot_command=/bin/false
		iface=eg0
		heal_grace=0
		recheck_sleep=1s
		heal_interval=1s
		max_fails=2
		usb_gadget_dir=$BATS_TEST_TMPDIR/gadgets
		network_reapply='echo reapply >>$ORDER'
		network_restart='echo restart >>$ORDER'
		uplink2=eg1
		uplink2_gateway=10.9.1.2
		uplink2_up='echo up2 \$(ip route show default | wc -l) >>$ORDER'
		uplink2_down='echo down2 >>$ORDER'
		failover_stage=2
		failback_after=3s
	EOC
	: >"$BATS_TEST_TMPDIR/cmdline"
	: >"$ORDER"
}

teardown() {
	[ -z "${FPID:-}" ] || kill "$FPID" 2>/dev/null || true
	[ -z "${DPID:-}" ] || kill "$DPID" 2>/dev/null || true
	[ -z "${DPID:-}" ] || wait "$DPID" 2>/dev/null || true
	[ -z "${NS:-}" ] || ip netns del "$NS" 2>/dev/null || true
}


carrier() {
	ip -n "$NS" link set eg0p "$1"
}

route() {
	ip -n "$NS" route show default
}

@test "failover: off without uplink2; refused when a set member lacks its commands" {
	sed -i '/^uplink2=/d' "$CONF"
	start_daemon
	run eg status
	assert_line "failover: off (no uplink2= in the configuration)"
	kill "$DPID"
	wait "$DPID" || true
	printf '%s\n' uplink2=eg1 uplink_set=1 >>"$CONF"
	start_daemon
	await 'failover: off: ' 2
	run eg status
	assert_line --regexp '^failover: off: .+'
}

@test "failover: primary down -> the backup after stage 2; back after failback_after, not before" {
	printf '%s\n' "uplink1_up='echo up1 >>$ORDER'" "uplink1_down='echo down1 >>$ORDER'" \
		uplink_set=1 >>"$CONF"
	start_daemon
	await 'failover: eg0, then eg1 \(healthy\); after ladder stage 2, fail-back after 3s healthy; one exclusive set' 3
	# the start runs the switch to the primary: the backup stopped first
	run cat "$ORDER"
	assert_output "$(printf 'down2\nup1')"
	assert_equal "$(route)" ""
	run eg status
	assert_line 'failover: eg0 carries the default route; eg0 healthy, eg1 healthy'
	: >"$ORDER"
	carrier down
	await 'heal: eg0 stage 2/3: re-apply' 6
	assert_equal "$(route)" ""
	run await 'failover: eg0 failed after stage 2: eg1 carries the default route' 3
	assert_success
	run route
	assert_output --regexp '^default via 10\.9\.1\.2 dev eg1( |$)'
	# the primary's down ran first, then the backup's up, before the
	# route (the restart, begun beside the switch, may fall anywhere)
	run grep -v '^restart' "$ORDER"
	assert_line --index 0 reapply
	assert_line --index 1 down1
	assert_line --index 2 'up2 0'
	run eg status
	assert_line 'failover: eg1 carries the default route; eg0 unhealthy, eg1 healthy'
	run eg status --json
	assert_output --partial '"failover_state":"active","failover_active":"eg1","failover_carrying":true'
	[ "$(cat "$BATS_TEST_TMPDIR/state/failover-active")" = eg1 ]
	: >"$ORDER"
	carrier up
	await 'failover: eg0 healthy; failing back in 3s unless it breaks' 3
	run await 'failover: back on eg0 \(healthy for 3s\)' 6
	assert_success
	echo "# fail-back ${output}ms after the healthy line" >&3
	[ "$output" -ge 2800 ] && [ "$output" -le 4500 ]
	run route
	assert_output --regexp '^default dev eg0 scope link'
	run cat "$ORDER"
	assert_output "$(printf 'down2\nup1')"
	[ "$(cat "$BATS_TEST_TMPDIR/state/failover-active")" = eg0 ]
}

@test "failover: a flapping primary does not fail back; a steady one does" {
	start_daemon
	carrier down
	await 'failover: eg0 failed after stage 2: eg1 carries the default route' 9
	# down and up every second for 8 s: the 3 s hold never completes
	(
		for _ in 1 2 3 4; do
			ip -n "$NS" link set eg0p up
			sleep 1
			ip -n "$NS" link set eg0p down
			sleep 1
		done
	) &
	FPID=$!
	wait "$FPID"
	FPID=
	run grep -c 'back on eg0' "$EARLYGUARD_KMSG"
	assert_output 0
	run route
	assert_output --regexp '^default via 10\.9\.1\.2 dev eg1'
	carrier up
	run await 'failover: back on eg0' 10
	assert_success
	run route
	assert_output --regexp '^default dev eg0'
}

@test "failover: the reboot is vetoed while the backup carries; the ladder skips its commands" {
	sed -i 's/^max_fails=2/max_fails=1/' "$CONF"
	start_daemon
	carrier down
	await 'failover: eg0 failed after stage 2: eg1 carries the default route' 9
	run await 'heal: eg0 reboot vetoed: another uplink carries the traffic \(eg1\)' 6
	assert_success
	run grep -c 'orderly reboot' "$EARLYGUARD_KMSG"
	assert_output 0
	# the next run's stage 2 and 3 do not run beside the backup
	run await 'heal: eg0 stage 2/3: re-apply skipped: eg1 carries the traffic' 8
	assert_success
}
