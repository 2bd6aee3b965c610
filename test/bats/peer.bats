#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The peer watch on the host build: two daemons, nodea and nodeb, each in
# a network namespace of its own, joined by a veth pair (pa 10.9.4.1 in
# A, pb 10.9.4.2 in B) that carries their heartbeats, and each watching
# its own uplink (eg0, one end of a veth pair inside its namespace, whose
# carrier the test takes away as heal.bats does).  Real sockets, real
# HMAC, real replay state; reboots are suppressed (the host build) but the
# decisions and their log lines are real.  Every wait awaits a log line,
# bounded.

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	TOOL="$BATS_TEST_DIRNAME/peer-tool.py"
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces"
	T=$BATS_TEST_TMPDIR
	NSA="eg-peer-$$-${BATS_TEST_NUMBER}-a"
	NSB="eg-peer-$$-${BATS_TEST_NUMBER}-b"
	local side ns
	for side in a b; do
		ns=$(ns_of "$side")
		mkdir -p "$T/$side/run" "$T/$side/state"
		ip netns add "$ns"
		ip -n "$ns" link set lo up
		ip -n "$ns" link add eg0 type veth peer name eg0p
		ip -n "$ns" link set eg0p up
		ip -n "$ns" link set eg0 up
		ip -n "$ns" addr add 10.9.0.1/24 dev eg0
	done
	ip -n "$NSA" link add pa type veth peer name pb netns "$NSB"
	ip -n "$NSA" addr add 10.9.4.1/24 dev pa
	ip -n "$NSB" addr add 10.9.4.2/24 dev pb
	ip -n "$NSA" link set pa up
	ip -n "$NSB" link set pb up
	od -An -N32 -tx1 /dev/urandom | tr -d ' \n' >"$T/peer.key"
	chmod 600 "$T/peer.key"
	: >"$T/cmdline"
	conf a nodea 10.9.4.2
	conf b nodeb 10.9.4.1
}

teardown() {
	local pid
	for pid in "${APID:-}" "${BPID:-}"; do
		[ -z "$pid" ] || kill "$pid" 2>/dev/null || true
		[ -z "$pid" ] || wait "$pid" 2>/dev/null || true
	done
	[ -z "${NSA:-}" ] || ip netns del "$NSA" 2>/dev/null || true
	[ -z "${NSB:-}" ] || ip netns del "$NSB" 2>/dev/null || true
}

ns_of() {
	if [ "$1" = a ]; then echo "$NSA"; else echo "$NSB"; fi
}

# conf SIDE ID PEER_ADDRESS
conf() {
	cat >"$T/$1/conf" <<-EOC
		device=$T/no-watchdog
		confirm_timeout=0
		state_dir=$T/$1/state
		reboot_command=/bin/false
		iface=eg0
		heal_grace=0
		recheck_sleep=1s
		heal_interval=1s
		max_fails=1
		reboot_cooldown=0
		usb_gadget_dir=$T/gadgets
		peer=$3:7000
		peer_key=$T/peer.key
		peer_id=$2
		peer_interval=1s
		peer_hold_max=20s
	EOC
}

# eg SIDE ARGS...: the client, talking to that side's daemon
eg() {
	local side=$1
	shift
	EARLYGUARD_RUN="$T/$side/run" "$EG" -c "$T/$side/conf" --cmdline "$T/cmdline" "$@"
}

start() {
	local side=$1 pid
	rm -f "$T/$side/ready"
	mkfifo "$T/$side/ready"
	EARLYGUARD_RUN="$T/$side/run" EARLYGUARD_KMSG="$T/$side/kmsg" \
		ip netns exec "$(ns_of "$side")" "$EG" -c "$T/$side/conf" --cmdline "$T/cmdline" \
		daemon -d 3 3>"$T/$side/ready" 2>"$T/$side/daemon.err" &
	pid=$!
	if [ "$side" = a ]; then APID=$pid; else BPID=$pid; fi
	run timeout 10 head -c 1 "$T/$side/ready"
	assert_success
}

stop() {
	if [ "$1" = a ]; then
		kill "$APID"
		wait "$APID" || true
		APID=
	else
		kill "$BPID"
		wait "$BPID" || true
		BPID=
	fi
}

carrier() {
	ip -n "$(ns_of "$1")" link set eg0p "$2"
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# await SIDE REGEXP SECONDS: a line of that side's kernel log (a file)
# within the bound; prints the milliseconds it took.
await() {
	local log="$T/$1/kmsg" t0 now
	t0=$(ms)
	while ! grep -Eq -- "$2" "$log" 2>/dev/null; do
		now=$(ms)
		if [ $((now - t0)) -ge $(($3 * 1000)) ]; then
			echo "$1 not within ${3}s: $2" >&2
			sed "s/^/# $1: /" "$log" >&2
			return 1
		fi
		sleep 0.05
	done
	echo $(($(ms) - t0))
}

both_ok() {
	start a
	start b
	run await a 'peer: nodeb at 10\.9\.4\.2:7000 is ok \(epoch 1\)' 5
	assert_success
	run await b 'peer: nodea at 10\.9\.4\.1:7000 is ok \(epoch 1\)' 5
	assert_success
}

@test "peer: heartbeats flow both ways; status shows the peer ok and heard; each start is a new epoch" {
	both_ok
	await a 'peer: watching 10\.9\.4\.2:7000 as nodea, epoch 1, listening on 0\.0\.0\.0:7000' 1
	run eg a status
	assert_success
	assert_line --regexp '^peer: nodeb at 10\.9\.4\.2:7000: ok, heard [01]s ago, does not hold our reboot; we are nodea, saying ok$'
	run eg a status --json
	assert_output --partial '"peer_addr":"10.9.4.2:7000","peer_id":"nodeb","peer_state":"ok","peer_heard_s_ago":'
	assert_output --partial '"peer_holds":false,"peer_hold_left_s":0,"peer_self":"nodea","peer_saying":"ok"'
	run cat "$T/a/state/peer-epoch"
	assert_output "epoch 1"
	run cat "$T/a/state/peer-seen"
	assert_line --index 0 "epoch 1"
	# B starts again: a new epoch, written before its first datagram
	stop b
	start b
	run cat "$T/b/state/peer-epoch"
	assert_output "epoch 2"
	run await a 'peer: nodeb at 10\.9\.4\.2:7000 is ok \(epoch 2\)' 3
	assert_success
	echo "# A heard B's new epoch ${output}ms after B was ready" >&3
	run cat "$T/a/state/peer-seen"
	assert_line --index 0 "epoch 2"
}

@test "peer: A announces its reboot; B, down too, is held until the bound, then reboots" {
	both_ok
	carrier a down
	run await a 'heal: eg0 reboot: the guards allow it; announcing it to the peer for 3s first' 8
	assert_success
	t0=$(ms)
	run await b 'peer: nodea at 10\.9\.4\.1:7000 is rebooting \(epoch 1\): it holds our reboot, 20s at most' 2
	assert_success
	echo "# B heard A announce its reboot in ${output}ms" >&3
	# A goes on after the settle: 3 s of announcing, not less
	run await a 'heal: eg0 unhealthy after 1 ladder runs: orderly reboot' 5
	assert_success
	settle=$(($(ms) - t0))
	echo "# A rebooted ${settle}ms after it began to announce it" >&3
	[ "$settle" -ge 2900 ]
	# B loses its uplink now: its reboot waits for A's
	carrier b down
	run await b 'heal: eg0 reboot vetoed: peer nodea is rebooting: 1[0-9]s of peer_hold_max left; the ladder runs again in 1s' 8
	assert_success
	run eg b status
	assert_line --regexp '^peer: nodea at 10\.9\.4\.1:7000: rebooting, heard [01]s ago, holds our reboot: 1[0-9]s of peer_hold_max left; we are nodeb, saying recovering$'
	# A goes down as a reboot would take it: silent from now on
	stop a
	run await b 'heal: eg0 unhealthy after [0-9]+ ladder runs: orderly reboot' 30
	assert_success
	held=$(($(ms) - t0))
	echo "# B rebooted ${held}ms after A's announcement (hold 20s, then a ladder run and the settle)" >&3
	[ "$held" -ge 20000 ]
	[ "$held" -le 32000 ]
	run grep -c 'reboot vetoed: peer nodea is rebooting' "$T/b/kmsg"
	[ "$output" -ge 2 ]
}

@test "peer: A back and ok ends B's hold at once" {
	both_ok
	carrier a down
	await a 'heal: eg0 reboot: the guards allow it; announcing it to the peer for 3s first' 8
	t0=$(ms)
	await a 'heal: eg0 unhealthy after 1 ladder runs: orderly reboot' 5
	carrier b down
	run await b 'heal: eg0 reboot vetoed: peer nodea is rebooting' 8
	assert_success
	# A "reboots": its daemon stops and starts again with its uplink back
	stop a
	carrier a up
	: >"$T/a/kmsg"
	start a
	run await b 'peer: nodea at 10\.9\.4\.1:7000 is ok \(epoch 2\)' 3
	assert_success
	run eg b status
	assert_line --regexp '^peer: nodea at 10\.9\.4\.1:7000: ok, heard [01]s ago, does not hold our reboot; we are nodeb, saying recovering$'
	run await b 'heal: eg0 unhealthy after [0-9]+ ladder runs: orderly reboot' 12
	assert_success
	held=$(($(ms) - t0))
	echo "# B rebooted ${held}ms after A's announcement, well within the 20s hold" >&3
	[ "$held" -lt 20000 ]
}

@test "peer: a ping target that answers vetoes first: A never announces a reboot it will not make" {
	printf '%s\n' ping_veto_ip1=10.9.4.2 ping_timeout=2s >>"$T/a/conf"
	both_ok
	carrier a down
	run await a 'heal: eg0 reboot vetoed: ping veto: .*10\.9\.4\.2' 8
	assert_success
	run grep -c 'announcing it to the peer' "$T/a/kmsg"
	assert_output 0
	run grep -c 'nodea at 10\.9\.4\.1:7000 is rebooting' "$T/b/kmsg"
	assert_output 0
}

@test "peer: the settle follows a silent probe, or runs beside a long one: the answer within the guards' 10s" {
	# B ignores echo requests: the target is there, and silent
	ip netns exec "$NSB" sysctl -qw net.ipv4.icmp_echo_ignore_all=1
	printf '%s\n' ping_veto_ip1=10.9.4.2 ping_timeout=8s >>"$T/a/conf"
	both_ok
	carrier a down
	await a 'heal: eg0 stage 1/3: bounce' 2
	t0=$(ms)
	run await a 'heal: eg0 unhealthy after 1 ladder runs: orderly reboot' 16
	assert_success
	took=$(($(ms) - t0))
	echo "# ping_timeout=8s: the reboot ${took}ms after the bounce began (3s, 1s recheck, then 6+3s)" >&3
	[ "$took" -ge 12500 ]
	[ "$took" -le 14500 ]
	# the settle began at 6s, beside the probe, which ended at 8s
	run grep -nE 'announcing it to the peer|no answer within 8s' "$T/a/kmsg"
	assert_line --index 0 --partial 'announcing it to the peer for 3s first'
	assert_line --index 1 --partial 'heal: ping veto: no answer within 8s'
	run grep -c 'guards did not answer in time' "$T/a/kmsg"
	assert_output 0
	# with a short ping_timeout, one after the other
	stop a
	sed -i 's/^ping_timeout=8s$/ping_timeout=2s/' "$T/a/conf"
	: >"$T/a/kmsg"
	start a
	await a 'heal: eg0 stage 1/3: bounce' 2
	t0=$(ms)
	run await a 'heal: eg0 unhealthy after 1 ladder runs: orderly reboot' 12
	assert_success
	took=$(($(ms) - t0))
	echo "# ping_timeout=2s: the reboot ${took}ms after the bounce began (3s, 1s, then 2+3s)" >&3
	[ "$took" -ge 8500 ]
	[ "$took" -le 10500 ]
	run grep -nE 'announcing it to the peer|no answer within 2s' "$T/a/kmsg"
	assert_line --index 0 --partial 'heal: ping veto: no answer within 2s'
	assert_line --index 1 --partial 'announcing it to the peer for 3s first'
}

@test "peer: forged datagrams are refused and logged once; a replayed one is refused, after a restart too" {
	both_ok
	ip netns exec "$NSB" "$TOOL" forge 10.9.4.1:7000 7001 1
	run await a 'peer: refused a datagram from 10\.9\.4\.2:7001: bad MAC: another key, or the datagram was altered$' 2
	assert_success
	echo "# the forged datagram was refused and logged in ${output}ms" >&3
	# a flood of them: still one line, and the other kinds are not hidden
	ip netns exec "$NSB" "$TOOL" forge 10.9.4.1:7000 7001 200
	printf 'junk' >"$T/junk"
	ip netns exec "$NSB" "$TOOL" send 10.9.4.1:7000 7001 "$T/junk"
	run await a 'peer: refused a datagram from 10\.9\.4\.2:7001: not a peer datagram' 2
	assert_success
	run grep -c 'bad MAC' "$T/a/kmsg"
	assert_output 1
	run eg a status
	assert_line --regexp '^peer: nodeb at 10\.9\.4\.2:7000: ok, heard [01]s ago, does not hold our reboot'
	# one of B's own datagrams, captured on its way in and sent again
	run ip netns exec "$NSA" "$TOOL" capture pa 7000 "$T/captured" 3
	assert_success
	ip netns exec "$NSB" "$TOOL" send 10.9.4.1:7000 7002 "$T/captured"
	run await a 'peer: refused a datagram from 10\.9\.4\.2:7002: replayed or old datagram from nodeb: epoch 1 counter [0-9]+, already had epoch 1 counter [0-9]+' 2
	assert_success
	# B starts again (epoch 2, which A records), then A: the capture of
	# epoch 1 is still refused, from A's peer-seen
	stop b
	start b
	await a 'peer: nodeb at 10\.9\.4\.2:7000 is ok \(epoch 2\)' 3
	stop a
	: >"$T/a/kmsg"
	start a
	ip netns exec "$NSB" "$TOOL" send 10.9.4.1:7000 7002 "$T/captured"
	run await a 'peer: refused a datagram from 10\.9\.4\.2:7002: replayed or old datagram from nodeb: epoch 1 counter [0-9]+, already had epoch 2 counter [0-9]+' 2
	assert_success
}

@test "peer: off without peer=, or without a usable key; the host name is the default id" {
	sed -i '/^peer=/d' "$T/a/conf"
	start a
	run eg a status
	assert_line "peer: off (no peer= in the configuration)"
	run eg a status --json
	assert_output --partial '"peer_addr":"","peer_id":"","peer_state":"off"'
	stop a
	conf a nodea 10.9.4.2
	sed -i "s|^peer_key=.*|peer_key=$T/missing.key|" "$T/a/conf"
	: >"$T/a/kmsg"
	start a
	run await a "peer: unable to read the key $T/missing.key: No such file or directory: the peer watch is off" 1
	assert_success
	run eg a status
	assert_line "peer: off (unable to read the key $T/missing.key: No such file or directory)"
	stop a
	echo 0000000000000000000000000000000000000000000000000000000000000000 >"$T/zero.key"
	sed -i "s|^peer_key=.*|peer_key=$T/zero.key|" "$T/a/conf"
	: >"$T/a/kmsg"
	start a
	run await a "peer: $T/zero.key: peer key: every byte is 0x00, a placeholder" 1
	assert_success
	stop a
	conf a nodea 10.9.4.2
	sed -i '/^peer_id=/d' "$T/a/conf"
	chmod 644 "$T/peer.key"
	: >"$T/a/kmsg"
	start a
	run await a "peer: the key $T/peer.key is readable by other users" 1
	assert_success
	run eg a status
	host=$(uname -n)
	if [[ $host =~ ^[A-Za-z0-9._-]{1,32}$ ]]; then
		assert_line "peer: ? at 10.9.4.2:7000: not heard yet, does not hold our reboot; we are $host, saying ok"
	else
		assert_line --partial "peer: off (the host name \"$host\": "
	fi
}
