#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# earlyguard net up (the host build) in a network namespace each test
# creates: a veth pair eg0 (configured) / eg1 (the "switch port"), both
# inside the namespace, so nothing is sent outside it.  Root is needed.

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
	command -v ip >/dev/null || skip "needs ip(8) (iproute2)"
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	export EARLYGUARD_KMSG=-
	CONF="$BATS_TEST_TMPDIR/earlyguard.conf"
	CMDLINE="$BATS_TEST_TMPDIR/cmdline"
	: >"$CONF"
	echo "root=/dev/vda quiet" >"$CMDLINE"
	NS="egnet-$$-$BATS_TEST_NUMBER"
	ip netns add "$NS"
	ip -n "$NS" link add eg0 type veth peer name eg1
}

teardown() {
	if [ -n "${BG:-}" ]; then
		kill "$BG" 2>/dev/null || true
	fi
	if [ -n "${NS:-}" ]; then
		ip netns del "$NS" 2>/dev/null || true
	fi
}

netup() {
	ip netns exec "$NS" "$EG" -c "$CONF" --cmdline "$CMDLINE" net up
}

cmdline() {
	echo "root=/dev/vda $* quiet" >"$CMDLINE"
}

ms() {
	echo $(($(date +%s%N) / 1000000))
}

# eg0 as it was created: down, no address, no route
assert_untouched() {
	run ip -n "$NS" -o link show eg0
	refute_output --regexp '[<,]UP[,>]'
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output ""
	run ip -n "$NS" -4 route show
	assert_output ""
}

@test "net up: link up, carrier, address, prefix and default route (earlyguard.net=)" {
	ip -n "$NS" link set eg1 up
	cmdline earlyguard.net=eg0:10.0.2.15/24:10.0.2.2
	run netup
	assert_success
	assert_line "net: eg0:10.0.2.15/24:10.0.2.2 (earlyguard.net= on the kernel command line)"
	assert_line --regexp '^net: eg0: brought the link up; carrier after [0-9]+ms$'
	assert_line "net: eg0: address 10.0.2.15/24 set"
	assert_line "net: default route via 10.0.2.2 on eg0 set"
	run ip -n "$NS" -o link show eg0
	assert_output --regexp '[<,]UP,LOWER_UP[,>]'
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output --regexp 'inet 10\.0\.2\.15/24 brd 10\.0\.2\.255 scope global eg0'
	run ip -n "$NS" -4 -d route show default
	assert_output --regexp '^unicast default via 10\.0\.2\.2 dev eg0 proto boot scope global src 10\.0\.2\.15 *$'
}

@test "net up twice: the second run changes nothing" {
	ip -n "$NS" link set eg1 up
	cmdline earlyguard.net=eg0:10.0.2.15/24:10.0.2.2
	run netup
	assert_success
	addr1=$(ip -n "$NS" -4 -o addr show)
	route1=$(ip -n "$NS" -4 -d route show table all)
	run netup
	assert_success
	assert_line --regexp '^net: eg0: the link was up; carrier after [0-9]+ms$'
	assert_line "net: eg0: address 10.0.2.15/24 set"
	assert_line "net: default route via 10.0.2.2 on eg0 set"
	assert_equal "$(ip -n "$NS" -4 -o addr show)" "$addr1"
	assert_equal "$(ip -n "$NS" -4 -d route show table all)" "$route1"
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_equal "${#lines[@]}" 1
	run ip -n "$NS" -4 route show default
	assert_equal "${#lines[@]}" 1
}

@test "net up replaces the default route and leaves other addresses alone" {
	ip -n "$NS" link set eg1 up
	ip -n "$NS" link set eg0 up
	ip -n "$NS" addr add 10.0.2.99/24 dev eg0
	ip -n "$NS" route add default via 10.0.2.3
	cmdline earlyguard.net=eg0:10.0.2.15/24:10.0.2.2
	run netup
	assert_success
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output --partial "inet 10.0.2.99/24"
	assert_output --partial "inet 10.0.2.15/24"
	# 10.0.2.99 is the primary: src makes the configured address the source
	run ip -n "$NS" -4 route show default
	assert_output "default via 10.0.2.2 dev eg0 src 10.0.2.15 "
	run ip -n "$NS" -4 route get 192.0.2.1
	assert_output --partial "via 10.0.2.2 dev eg0 src 10.0.2.15"
}

@test "net up: the kernel's static ip= when there is no earlyguard.net=" {
	ip -n "$NS" link set eg1 up
	cmdline ip=192.168.7.2::192.168.7.1:255.255.255.0::eg0:off
	run netup
	assert_success
	assert_line "net: eg0:192.168.7.2/24:192.168.7.1 (ip= on the kernel command line)"
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output --partial "inet 192.168.7.2/24"
	run ip -n "$NS" -4 route show default
	assert_output --partial "default via 192.168.7.1 dev eg0"
}

@test "net up: earlyguard.net= wins over ip=" {
	ip -n "$NS" link set eg1 up
	cmdline ip=192.168.7.2::192.168.7.1:255.255.255.0::eg0:off \
		earlyguard.net=eg0:10.0.2.15/24:10.0.2.2
	run netup
	assert_success
	assert_line "net: eg0:10.0.2.15/24:10.0.2.2 (earlyguard.net= on the kernel command line)"
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output --partial "inet 10.0.2.15/24"
	refute_output --partial "192.168.7.2"
}

@test "net up: net= in the file, without a gateway: no default route" {
	ip -n "$NS" link set eg1 up
	echo "net=eg0:172.16.0.9/12" >"$CONF"
	run netup
	assert_success
	assert_line "net: eg0:172.16.0.9/12 (net= in the configuration file)"
	assert_line "net: no gateway: no default route"
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output --partial "inet 172.16.0.9/12 brd 172.31.255.255"
	run ip -n "$NS" -4 route show default
	assert_output ""
}

@test "no carrier: net up gives up within net_carrier_timeout, only the link changed" {
	cmdline earlyguard.net=eg0:10.0.2.15/24:10.0.2.2 earlyguard.net_carrier_timeout=2s
	t0=$(ms)
	run netup
	elapsed=$(($(ms) - t0))
	assert_equal "$status" 99
	assert_output --partial "earlyguard: net: no carrier on eg0 within 2s (net_carrier_timeout)"
	refute_output --partial "address 10.0.2.15/24 set"
	echo "# elapsed ${elapsed}ms for a 2s bound" >&3
	[ "$elapsed" -ge 2000 ] || fail "gave up after ${elapsed}ms, before its 2s bound"
	[ "$elapsed" -lt 3000 ] || fail "took ${elapsed}ms for a 2s bound"
	run ip -n "$NS" -o link show eg0
	assert_output --regexp '<NO-CARRIER,([^>]*,)?UP[,>]'
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output ""
	run ip -n "$NS" -4 route show
	assert_output ""
}

@test "a carrier that comes during the wait ends it" {
	cmdline earlyguard.net=eg0:10.0.2.15/24:10.0.2.2 earlyguard.net_carrier_timeout=20s
	out="$BATS_TEST_TMPDIR/out"
	t0=$(ms)
	(
		netup >"$out" 2>&1
		echo $? >"$out.rc"
	) &
	BG=$!
	# the peer comes up once net up has brought eg0 up (polled, bounded)
	for _ in $(seq 200); do
		ip -n "$NS" -o link show eg0 | grep -q '[<,]UP[,>]' && break
		sleep 0.05
	done
	ip -n "$NS" -o link show eg0 | grep -q '[<,]UP[,>]' || fail "eg0 never came up"
	ip -n "$NS" link set eg1 up
	wait "$BG"
	BG=
	elapsed=$(($(ms) - t0))
	cat "$out"
	assert_equal "$(cat "$out.rc")" 0
	run grep -o 'carrier after [0-9]*ms' "$out"
	assert_success
	carrier=${output//[^0-9]/}
	echo "# carrier after ${carrier}ms, net up took ${elapsed}ms" >&3
	[ "$elapsed" -lt 10000 ] || fail "net up took ${elapsed}ms: the carrier did not end the wait"
	run ip -n "$NS" -4 -o addr show dev eg0
	assert_output --partial "inet 10.0.2.15/24"
}

@test "a bad interface name is refused with the reason, nothing changed" {
	cmdline earlyguard.net=eg0/x:10.0.2.15/24:10.0.2.2
	run netup
	assert_failure 1
	assert_output --partial 'earlyguard.net=eg0/x:10.0.2.15/24:10.0.2.2: net: invalid value "eg0/x:10.0.2.15/24:10.0.2.2" (an interface name cannot contain '"'/'"
	assert_output --partial "earlyguard: net: no network configured"
	assert_untouched
}

@test "an interface that does not exist: said, nothing changed" {
	cmdline earlyguard.net=eg9:10.0.2.15/24:10.0.2.2
	run netup
	assert_failure 1
	assert_output --partial "earlyguard: net: unable to find interface eg9: No such device"
	assert_untouched
}

@test "ip=dhcp is refused with the reason, nothing changed" {
	cmdline ip=dhcp
	run netup
	assert_failure 1
	assert_output --partial "earlyguard: net: ip=dhcp: only the static form is read"
	assert_untouched
}

@test "nothing configured: net up says what to set" {
	run netup
	assert_failure 1
	assert_output --partial "earlyguard: net: no network configured: set net=IFACE:ADDR/PREFIX[:GATEWAY]"
	assert_untouched
}

@test "without CAP_NET_ADMIN: the refused step is named, exit 111" {
	command -v setpriv >/dev/null || skip "needs setpriv(1)"
	ip -n "$NS" link set eg1 up
	cmdline earlyguard.net=eg0:10.0.2.15/24:10.0.2.2
	run ip netns exec "$NS" setpriv --bounding-set=-net_admin --inh-caps=-net_admin \
		"$EG" -c "$CONF" --cmdline "$CMDLINE" net up
	assert_failure 111
	assert_output --partial "earlyguard: net: unable to bring eg0 up: Operation not permitted"
	assert_untouched
}

@test "net takes 'up' only; --help shows it" {
	run "$EG" --help
	assert_success
	assert_output --partial "  net up "
	run "$EG" -c "$CONF" --cmdline "$CMDLINE" net
	assert_failure 100
	assert_output --partial "net takes 'up'"
	run "$EG" -c "$CONF" --cmdline "$CMDLINE" net up now
	assert_failure 100
}
