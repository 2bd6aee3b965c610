# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# The daemon in a test's network namespace, for heal.bats and
# failover.bats: both set EG, CONF and NS in setup; the kernel log is
# EARLYGUARD_KMSG, a file.

eg() {
	"$EG" -c "$CONF" --cmdline "$BATS_TEST_TMPDIR/cmdline" "$@"
}

start_daemon() {
	rm -f "$BATS_TEST_TMPDIR/ready"
	mkfifo "$BATS_TEST_TMPDIR/ready"
	ip netns exec "$NS" "$EG" -c "$CONF" --cmdline "$BATS_TEST_TMPDIR/cmdline" daemon -d 3 \
		3>"$BATS_TEST_TMPDIR/ready" 2>"$BATS_TEST_TMPDIR/daemon.err" &
	DPID=$!
	run timeout 10 head -c 1 "$BATS_TEST_TMPDIR/ready"
	assert_success
}

stop_daemon() {
	kill "$DPID"
	wait "$DPID" || true
	DPID=
}

# Wait at most $2 seconds for a line of the kernel log (here: a file)
# matching the extended regexp $1; print the milliseconds it took.
await() {
	local t0 now
	t0=$(date +%s%N)
	while ! grep -Eq -- "$1" "$EARLYGUARD_KMSG" 2>/dev/null; do
		now=$(date +%s%N)
		if [ $(((now - t0) / 1000000)) -ge $(($2 * 1000)) ]; then
			echo "not within ${2}s: $1" >&2
			sed 's/^/# /' "$EARLYGUARD_KMSG" >&2
			return 1
		fi
		sleep 0.05
	done
	now=$(date +%s%N)
	echo $(((now - t0) / 1000000))
}
