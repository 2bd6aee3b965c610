#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The rootfs daemon and the operator commands, on the host build: no
# watchdog device (software deadlines only), reboots suppressed, the run
# directory and kernel log redirected into the test's temp dir.

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	export EARLYGUARD_RUN="$BATS_TEST_TMPDIR/run"
	export EARLYGUARD_KMSG="$BATS_TEST_TMPDIR/kmsg"
	mkdir -p "$EARLYGUARD_RUN"
	CONF="$BATS_TEST_TMPDIR/earlyguard.conf"
	CMDLINE="$BATS_TEST_TMPDIR/cmdline"
	truncate -s 1024 "$BATS_TEST_TMPDIR/record"
	cat >"$CONF" <<-EOC
		device=$BATS_TEST_TMPDIR/no-watchdog
		confirm_timeout=30s
		state_dir=$BATS_TEST_TMPDIR/state
		record=$BATS_TEST_TMPDIR/record
		reboot_command=/bin/false
	EOC
	: >"$CMDLINE"
}

teardown() {
	[ -z "${DPID:-}" ] || kill -CONT "$DPID" 2>/dev/null || true
	[ -z "${DPID:-}" ] || kill "$DPID" 2>/dev/null || true
	[ -z "${DPID:-}" ] || wait "$DPID" 2>/dev/null || true
}

eg() {
	"$EG" -c "$CONF" --cmdline "$CMDLINE" "$@"
}

# Start the daemon and wait (bounded) for its readiness on a notification fd.
start_daemon() {
	mkfifo "$BATS_TEST_TMPDIR/ready"
	"$EG" -c "$CONF" --cmdline "$CMDLINE" daemon -d 3 3>"$BATS_TEST_TMPDIR/ready" \
		2>"$BATS_TEST_TMPDIR/daemon.err" &
	DPID=$!
	run timeout 10 head -c 1 "$BATS_TEST_TMPDIR/ready"
	assert_success
}

@test "operator commands without a daemon: unreachable (exit 2), says what to do" {
	run eg status
	assert_equal "$status" 2
	assert_output --partial "daemon unreachable"
	assert_output --partial "is \`earlyguard daemon\` running?"
}

@test "daemon: readiness on -d FD; status shows no watchdog loudly and the deadline" {
	start_daemon
	run eg status
	assert_success
	assert_line --partial "watchdog: NONE"
	assert_line --partial "handoff: no initramfs guard"
	assert_line --regexp '^confirm: pending, (29|30)s left'
	assert_line "checkin: off"
	assert_line "shutdown: none"
}

@test "status --json is one object with the documented keys" {
	start_daemon
	run eg status --json
	assert_success
	for k in watchdog_device watchdog_timeout_s last_pet_ms_ago handoff open_since_initramfs \
		boot_id previous_boot confirm_state confirm_left_s checkin_state shutdown; do
		assert_output --partial "\"$k\":"
	done
	assert_output --regexp '^\{.*\}$'
}

@test "disarm confirms once and says what it cleared; the record notes it" {
	start_daemon
	run eg disarm
	assert_success
	assert_output --partial "boot confirmed: the confirm deadline is cleared"
	run eg disarm
	assert_success
	assert_output "already confirmed"
	run eg status
	assert_line --regexp '^confirm: confirmed at '
	run eg record
	assert_line "event=confirmed"
}

@test "unconfirmed: orderly reboot at the deadline, recorded with the reason" {
	sed -i 's/^confirm_timeout=.*/confirm_timeout=2s/' "$CONF"
	start_daemon
	start=$SECONDS
	until grep -q "shutdown begun" "$EARLYGUARD_KMSG" 2>/dev/null; do
		[ $((SECONDS - start)) -lt 10 ] || break
		sleep 0.1
	done
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "orderly reboot: not confirmed within 2s (confirm_timeout)"
	assert_output --partial "test build: reboot command suppressed"
	[ $((SECONDS - start)) -le 4 ]
	run eg record
	assert_line "event=shutdown"
	assert_line "reason=not confirmed within 2s (confirm_timeout)"
	run eg disarm
	assert_failure 1
	assert_output --partial "too late"
}

@test "check-in: refused when off; armed by the first; persisted; --disable" {
	start_daemon
	run eg checkin
	assert_failure 1
	assert_output --partial "check-in is off"
	kill "$DPID"; wait "$DPID" || true
	echo "checkin_interval=1h" >>"$CONF"
	rm -f "$BATS_TEST_TMPDIR/ready"
	start_daemon
	run eg status
	assert_line "checkin: not armed"
	run eg checkin
	assert_success
	assert_output "check-in armed; next due in 1h"
	[ -f "$BATS_TEST_TMPDIR/state/checkin-armed" ]
	run eg checkin
	assert_output "check-in received; next due in 1h"
	run eg checkin --disable
	assert_output "check-in disarmed"
	[ ! -f "$BATS_TEST_TMPDIR/state/checkin-armed" ]
}

@test "reboot --reason: orderly reboot, reason kept by a later shutdown hook" {
	start_daemon
	run eg reboot --reason "kernel upgrade"
	assert_success
	assert_output --partial "operator: kernel upgrade; orderly reboot begun"
	run eg shutdown begin
	assert_success
	assert_output --partial "already shutting down (operator: kernel upgrade)"
	run eg shutdown "done"
	assert_success
	run eg record
	assert_line "event=shutdown-done"
	assert_line "reason=operator: kernel upgrade"
}

@test "reboot: usage errors" {
	run eg reboot
	assert_equal "$status" 100
	run eg reboot --reason ""
	assert_equal "$status" 100
	run eg reboot --reason "$(printf 'two\nlines')"
	assert_equal "$status" 100
}

@test "garbage, oversized and unknown messages are refused; the daemon lives on" {
	start_daemon
	run bash -c "printf 'x\001y' | '$EG' control-raw"
	assert_failure 1
	assert_output --partial "malformed"
	run bash -c "head -c 70000 /dev/zero | '$EG' control-raw"
	assert_failure 1
	assert_output --partial "message too long (70000 bytes"
	run bash -c "echo FROB | '$EG' control-raw"
	assert_failure 1
	assert_output --partial "unknown request"
	run eg status
	assert_success
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "control: refused a malformed message"
	assert_output --partial "control: refused a message of 70000 bytes"
}

@test "a non-root user is refused" {
	start_daemon
	chmod 755 "$BATS_TEST_TMPDIR" "$EARLYGUARD_RUN"
	run su nobody -s /bin/sh -c "EARLYGUARD_RUN='$EARLYGUARD_RUN' '$EG' disarm"
	assert_failure 1
	assert_output --partial "refused: only root may control earlyguard"
	run eg status
	assert_line --regexp '^confirm: pending'
}

@test "SIGTERM: the daemon records a shutdown and exits without disarming" {
	start_daemon
	kill -TERM "$DPID"
	wait "$DPID"
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "shutdown begun"
	assert_output --partial "exiting on SIGTERM; the watchdog stays armed"
	run eg record
	assert_line "event=shutdown"
	assert_line "reason=shutdown by the init system: SIGTERM"
}

@test "daemon: -d needs a number of 3 or more" {
	run eg daemon -d 1
	assert_equal "$status" 100
	run eg daemon -d x
	assert_equal "$status" 100
}

@test "an empty control message is refused, not dropped" {
	start_daemon
	run bash -c "'$EG' control-raw </dev/null"
	assert_failure 1
	assert_output --partial "refused: empty request"
}

@test "a stopped daemon: every command ends within its bound (99), none hangs" {
	start_daemon
	kill -STOP "$DPID"
	start=$SECONDS
	pids=()
	for i in $(seq 1 12); do
		eg status >"$BATS_TEST_TMPDIR/out.$i" 2>&1 &
		pids+=($!)
	done
	codes=()
	for p in "${pids[@]}"; do
		rc=0
		wait "$p" || rc=$?
		codes+=("$rc")
	done
	elapsed=$((SECONDS - start))
	kill -CONT "$DPID"
	[ "$elapsed" -le 8 ]
	for c in "${codes[@]}"; do [ "$c" = 99 ]; done
	run cat "$BATS_TEST_TMPDIR"/out.*
	assert_output --partial "no reply from the daemon within 5s"
	assert_output --partial "did not accept the connection within 5s"
}

@test "no guard: the daemon itself counts the boot in the record and reports the last one" {
	start_daemon
	run eg record
	assert_line "boot=1"
	assert_line "event=boot"
	run eg status
	assert_line "previous_boot: no record (first boot with this record device)"
}

@test "watchdog stop needs --yes; with no watchdog open it is refused" {
	start_daemon
	run eg watchdog stop
	assert_equal "$status" 100
	assert_output --partial "say 'watchdog stop --yes'"
	run eg watchdog stop --yes
	assert_failure 1
	assert_output --partial "there is no open watchdog to stop"
}
