#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# GRUB boot selection, the C side (grub/README.md, "The grubenv contract"):
# earlyguard trial and promote, what disarm writes to the grubenv, and the
# status lines.  Host build (never reboots), slots and grubenv under the
# test's temp dir, the grubenv checked with the real grub-editenv.  GRUB's
# own part of a boot (count the attempt, consume the one-shot, pass
# earlyguard.entry= and .attempt=) is played by grub_boots.

bats_load_library bats-support
bats_load_library bats-assert
load slots

setup() {
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	command -v grub-editenv >/dev/null ||
		fail "grub-editenv missing: install grub-common (test/deps.sh)"
	export EARLYGUARD_RUN="$BATS_TEST_TMPDIR/run"
	export EARLYGUARD_KMSG="$BATS_TEST_TMPDIR/kmsg"
	mkdir -p "$EARLYGUARD_RUN"
	T="$BATS_TEST_TMPDIR"
	SLOTS="$T/slots"
	ENV="$T/grubenv"
	CONF="$T/earlyguard.conf"
	CMDLINE="$T/cmdline"
	make_slots "$SLOTS"
	grub-editenv "$SLOTS/trial/slot.env" create
	grub-editenv "$SLOTS/trial/slot.env" set "eg_slot_args=root=/dev/vda2 ro"
	grub-editenv "$ENV" create
	cat >"$CONF" <<-EOC
		device=$T/no-watchdog
		confirm_timeout=30s
		state_dir=$T/state
		reboot_command=/bin/false
		grubenv=$ENV
		grub_slots=$SLOTS
	EOC
	echo "root=/dev/vda ro quiet" >"$CMDLINE"
}

teardown() {
	[ -z "${DPID:-}" ] || kill "$DPID" 2>/dev/null || true
	[ -z "${DPID:-}" ] || wait "$DPID" 2>/dev/null || true
}

eg() {
	"$EG" -c "$CONF" --cmdline "$CMDLINE" "$@"
}

start_daemon() {
	mkfifo "$T/ready"
	"$EG" -c "$CONF" --cmdline "$CMDLINE" daemon -d 3 3>"$T/ready" 2>"$T/daemon.err" &
	DPID=$!
	run timeout 10 head -c 1 "$T/ready"
	assert_success
}

# grub_boots ENTRY: what grub/earlyguard.cfg does at an attempt of ENTRY:
# one save_env (count, consume the one-shot, eg_ok=0), then the kernel
# with earlyguard.entry= and earlyguard.attempt=.
grub_boots() {
	local n=1 t
	case $1 in
	A | B | recovery)
		t=$(grub-editenv "$ENV" list | sed -n "s/^eg_$1_tries=//p")
		n=$((${t:-0} + 1))
		grub-editenv "$ENV" set "eg_$1_tries=$n"
		;;
	esac
	grub-editenv "$ENV" set eg_trial= "eg_entry=$1" "eg_attempt=$n" eg_ok=0
	echo "root=/dev/vda ro earlyguard.entry=$1 earlyguard.attempt=$n quiet" >"$CMDLINE"
}

# await_locked DIR: until another process holds DIR's flock, 5 s at most.
await_locked() {
	local n=0
	while [ "$n" -lt 100 ]; do
		flock -n -x "$1" true || return 0
		sleep 0.05
		n=$((n + 1))
	done
	fail "nobody took the lock on $1 within 5 s"
}

# Every file under the slots and the grubenv, with its digest.
snapshot() {
	(cd "$T" && find slots grubenv -type f -exec sha256sum {} + | sort)
}

# The value of NAME in the grubenv, as grub-editenv reads it.
genv() {
	grub-editenv "$ENV" list | sed -n "s/^$1=//p"
}

@test "trial: a bad ENTRY is a usage error; the grubenv stays byte-identical" {
	cp "$ENV" "$T/before"
	for bad in C a TRIAL lastresort "" ../A; do
		run eg trial "$bad"
		assert_equal "$status" 100
		assert_output --partial "ENTRY must be trial, A, B or recovery"
	done
	run eg trial
	assert_equal "$status" 100
	run eg trial A B
	assert_equal "$status" 100
	cmp "$ENV" "$T/before"
}

@test "trial: a slot without its kernel or initrd is refused; nothing written" {
	rm "$SLOTS/trial/initrd.img"
	: >"$SLOTS/B/vmlinuz"
	rm -r "$SLOTS/recovery"
	cp "$ENV" "$T/before"
	run eg trial trial
	assert_failure 1
	assert_output --partial "trial: refused: slot not ready: $SLOTS/trial/initrd.img: No such file"
	run eg trial B
	assert_failure 1
	assert_output --partial "slot not ready: $SLOTS/B/vmlinuz"
	run eg trial recovery
	assert_failure 1
	assert_output --partial "$SLOTS/recovery/vmlinuz"
	cmp "$ENV" "$T/before"
}

@test "trial: sets eg_trial, says what the next boots are; GRUB consumes it once" {
	run eg trial trial
	assert_success
	assert_line "next boot only: trial; the boots after it: the default, A"
	assert_line --partial "earlyguard disarm, then earlyguard promote"
	run genv eg_trial
	assert_output trial
	grub-editenv "$ENV" set eg_default=B
	run eg trial recovery
	assert_success
	assert_output "next boot only: recovery; the boots after it: the default, B"
	run genv eg_trial
	assert_output recovery
	grub_boots recovery
	run genv eg_trial
	assert_output ""
}

@test "trial: a missing grubenv is created, a corrupt one replaced" {
	rm "$ENV"
	run eg trial A
	assert_success
	[ "$(stat -c %s "$ENV")" = 1024 ]
	run genv eg_trial
	assert_output A
	printf 'garbage' >"$ENV"
	run eg trial B
	assert_success
	assert_output --partial "is corrupt: no GRUB header; writing a fresh block"
	run grub-editenv "$ENV" list
	assert_output "eg_trial=B"
}

@test "trial and promote: only root" {
	chmod 755 "$T"
	cp "$ENV" "$T/before"
	run su nobody -s /bin/sh -c "'$EG' -c '$CONF' --cmdline '$CMDLINE' trial A"
	assert_failure 1
	assert_output --partial "trial: refused: only root may change the boot selection"
	run su nobody -s /bin/sh -c "'$EG' -c '$CONF' --cmdline '$CMDLINE' promote"
	assert_failure 1
	assert_output --partial "promote: refused: only root"
	cmp "$ENV" "$T/before"
}

@test "disarm: entry=B attempt=2 sets eg_ok=1 and eg_B_tries=0, nothing else" {
	grub-editenv "$ENV" set saved_entry=1 eg_A_tries=3 eg_recovery_tries=1 eg_B_tries=1
	grub_boots B
	echo "root=/dev/vda earlyguard.entry=B earlyguard.attempt=2" >"$CMDLINE"
	run genv eg_B_tries
	assert_output 2
	start_daemon
	run eg disarm
	assert_success
	assert_line --partial "boot confirmed: the confirm deadline is cleared"
	assert_line "grubenv: B marked good (tries 0)"
	run grub-editenv "$ENV" list
	assert_output "saved_entry=1
eg_A_tries=3
eg_recovery_tries=1
eg_B_tries=0
eg_trial=
eg_entry=B
eg_attempt=2
eg_ok=1"
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "disarm: grubenv: B marked good (tries 0)"
	# again: already confirmed, and the grubenv written again (same values)
	run eg disarm
	assert_success
	assert_output "already confirmed
grubenv: B marked good (tries 0)"
}

@test "disarm: a trial boot is marked good without a count" {
	grub-editenv "$ENV" set eg_A_tries=1
	eg trial trial
	grub_boots trial
	start_daemon
	run eg disarm
	assert_success
	assert_line "grubenv: trial marked good"
	run genv eg_ok
	assert_output 1
	run genv eg_A_tries
	assert_output 1
}

@test "disarm: attempt=0 with a corrupt or missing grubenv recreates the block" {
	printf 'not a grubenv' >"$ENV"
	echo "earlyguard.entry=A earlyguard.attempt=0" >"$CMDLINE"
	start_daemon
	run eg disarm
	assert_success
	assert_line "grubenv: A marked good (tries 0); recreated: it was corrupt"
	[ "$(stat -c %s "$ENV")" = 1024 ]
	run grub-editenv "$ENV" list
	assert_output "eg_ok=1
eg_A_tries=0"
	rm "$ENV"
	run eg disarm
	assert_success
	assert_line "grubenv: A marked good (tries 0); recreated: it was missing"
	run grub-editenv "$ENV" list
	assert_output "eg_ok=1
eg_A_tries=0"
}

@test "disarm: attempt=0 with a grubenv that reads now keeps its variables" {
	grub-editenv "$ENV" set saved_entry=2 eg_default=B eg_B_tries=2
	echo "earlyguard.entry=B earlyguard.attempt=0" >"$CMDLINE"
	start_daemon
	run eg disarm
	assert_success
	assert_line "grubenv: B marked good (tries 0); rewritten: GRUB could not count this boot (attempt 0)"
	run grub-editenv "$ENV" list
	assert_output "saved_entry=2
eg_default=B
eg_B_tries=0
eg_ok=1"
}

@test "disarm: without earlyguard.entry= the grubenv is not touched" {
	grub-editenv "$ENV" set eg_A_tries=2 eg_ok=0
	cp "$ENV" "$T/before"
	start_daemon
	run eg disarm
	assert_success
	assert_output --partial "boot confirmed"
	refute_output --partial "grubenv"
	cmp "$ENV" "$T/before"
	rm "$ENV"
	run eg disarm
	assert_success
	assert_output "already confirmed"
	[ ! -e "$ENV" ]
}

@test "disarm: a failed grubenv write is said and logged; the boot stays confirmed" {
	grub_boots A
	rm "$ENV"
	mkdir "$ENV"
	start_daemon
	run eg disarm
	assert_failure 1
	assert_output --partial "earlyguard: disarm: unable to mark the boot good in $ENV: Invalid argument"
	assert_output --partial "the boot is confirmed all the same"
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "earlyguard: disarm: unable to mark the boot good in $ENV: Invalid argument"
	run eg status
	assert_line --regexp '^confirm: confirmed at '
	# fixed, and disarm again: the grubenv is marked
	rmdir "$ENV"
	run eg disarm
	assert_success
	assert_output "already confirmed
grubenv: A marked good (tries 0); recreated: it was missing"
}

@test "the grubenv lock: a command waits for the holder; the daemon's disarm does not wait" {
	command -v flock >/dev/null || fail "flock missing: install util-linux"
	grub_boots A
	start_daemon
	# another earlyguard command holds the lock (its directory, flock(2))
	# for 2 s: trial waits for it, then writes; bounded by the test's 15 s
	flock -x "$T" sleep 2 &
	local holder=$! t0 t1
	await_locked "$T"
	t0=$(date +%s%N)
	run timeout 15 "$EG" -c "$CONF" --cmdline "$CMDLINE" trial B
	t1=$(date +%s%N)
	assert_success
	assert_line "next boot only: B; the boots after it: the default, A"
	[ $(((t1 - t0) / 1000000)) -ge 1000 ] || fail "trial did not wait for the lock"
	wait "$holder"
	run genv eg_trial
	assert_output B

	# the daemon must keep petting: one try, then the reason, and the
	# boot is confirmed all the same
	flock -x "$T" sleep 3 &
	holder=$!
	await_locked "$T"
	cp "$ENV" "$T/before"
	t0=$(date +%s%N)
	run timeout 10 "$EG" -c "$CONF" --cmdline "$CMDLINE" disarm
	t1=$(date +%s%N)
	assert_failure
	assert_output --partial "unable to mark the boot good in $ENV: busy: an earlyguard trial, promote or grubenv command is changing it"
	assert_output --partial "the boot is confirmed all the same"
	[ $(((t1 - t0) / 1000000)) -lt 2000 ] || fail "disarm waited for the lock"
	cmp "$ENV" "$T/before"
	wait "$holder"
	run eg disarm
	assert_success
	assert_line "grubenv: A marked good (tries 0)"
}

@test "disarm: a full grubenv is refused with the reason, the file unchanged" {
	grub_boots A
	# eg_ok must be added, and the block is filled to its last byte
	grub-editenv "$ENV" unset eg_ok
	free=$(eg grubenv check | sed -n 's/.*, \([0-9]*\) of 1024 bytes free$/\1/p')
	grub-editenv "$ENV" set "pad=$(head -c $((free - 5)) /dev/zero | tr '\0' x)"
	run eg grubenv check
	assert_output --partial ", 0 of 1024 bytes free"
	cp "$ENV" "$T/before"
	start_daemon
	run eg disarm
	assert_failure 1
	assert_output --partial "unable to mark the boot good in $ENV: no room"
	cmp "$ENV" "$T/before"
}

@test "promote: refused on a boot that is not a confirmed trial; nothing changed" {
	eg trial trial
	grub_boots trial
	before=$(snapshot)
	run eg promote
	assert_failure 1
	assert_output --partial "promote: refused: the trial is not confirmed yet (eg_ok=1): run earlyguard disarm first"
	[ "$(snapshot)" = "$before" ]
	# a confirmed boot of A
	grub_boots A
	grub-editenv "$ENV" set eg_ok=1
	before=$(snapshot)
	run eg promote
	assert_failure 1
	assert_output --partial "promote: refused: this boot is not the trial"
	[ "$(snapshot)" = "$before" ]
	# the command line says trial, the grubenv another boot since
	echo "earlyguard.entry=trial earlyguard.attempt=1" >"$CMDLINE"
	run eg promote
	assert_failure 1
	assert_output --partial "promote: refused: the grubenv does not say the trial was the latest boot"
	[ "$(snapshot)" = "$before" ]
	# no GRUB logic at all
	echo "root=/dev/vda" >"$CMDLINE"
	run eg promote
	assert_failure 1
	assert_output --partial "this boot is not the trial"
	run eg promote now
	assert_equal "$status" 100
	[ "$(snapshot)" = "$before" ]
}

@test "promote: a confirmed trial becomes the default; A was the default, B is replaced" {
	grub-editenv "$ENV" set eg_B_tries=2
	echo "old B args" >"$SLOTS/B/slot.env"
	eg trial trial
	grub_boots trial
	start_daemon
	run eg disarm
	assert_success
	run eg promote
	assert_success
	assert_line "promote: copied $SLOTS/trial/vmlinuz to $SLOTS/B/vmlinuz.tmp"
	assert_line "promote: copied $SLOTS/trial/initrd.img to $SLOTS/B/initrd.img.tmp"
	assert_line "promote: copied $SLOTS/trial/slot.env to $SLOTS/B/slot.env.tmp"
	assert_line "promote: slot B holds the trial now"
	assert_line "promote: eg_default=B, eg_B_tries=0: B is the default, A its fallback"
	for f in vmlinuz initrd.img slot.env; do
		cmp "$SLOTS/trial/$f" "$SLOTS/B/$f"
		[ ! -e "$SLOTS/B/$f.tmp" ]
	done
	run genv eg_default
	assert_output B
	run genv eg_B_tries
	assert_output 0
	run genv eg_ok
	assert_output 1
	# A untouched
	run cat "$SLOTS/A/vmlinuz"
	assert_output "kernel A"
	# what GRUB reads for B's kernel arguments
	run grub-editenv "$SLOTS/B/slot.env" list
	assert_output "eg_slot_args=root=/dev/vda2 ro"
	run eg status
	assert_line "grubenv: default B, one-shot none, tries A 0, B 0, recovery 0 of 3"
}

@test "promote: B was the default, A is replaced; a trial without slot.env removes A's" {
	grub-editenv "$ENV" set eg_default=B
	rm "$SLOTS/trial/slot.env"
	echo "A args" >"$SLOTS/A/slot.env"
	grub_boots trial
	grub-editenv "$ENV" set eg_ok=1
	run eg promote
	assert_success
	refute_output --partial "slot.env"
	assert_line "promote: eg_default=A, eg_A_tries=0: A is the default, B its fallback"
	cmp "$SLOTS/trial/vmlinuz" "$SLOTS/A/vmlinuz"
	cmp "$SLOTS/trial/initrd.img" "$SLOTS/A/initrd.img"
	[ ! -e "$SLOTS/A/slot.env" ]
	run genv eg_default
	assert_output A
	run cat "$SLOTS/B/vmlinuz"
	assert_output "kernel B"
}

@test "promote: a trial file missing is refused before anything is written" {
	grub_boots trial
	grub-editenv "$ENV" set eg_ok=1
	rm "$SLOTS/trial/vmlinuz"
	before=$(snapshot)
	run eg promote
	assert_failure 1
	assert_output --partial "promote: refused: slot not ready: $SLOTS/trial/vmlinuz: No such file"
	[ "$(snapshot)" = "$before" ]
}

@test "promote: a trial slot.env that cannot be looked at is not taken for none" {
	grub_boots trial
	grub-editenv "$ENV" set eg_ok=1
	echo "B args" >"$SLOTS/B/slot.env"
	rm "$SLOTS/trial/slot.env"
	ln -s slot.env "$SLOTS/trial/slot.env"
	before=$(snapshot)
	run eg promote
	assert_failure 1
	assert_output --partial "promote: refused: $SLOTS/trial/slot.env: Too many levels of symbolic links"
	[ "$(snapshot)" = "$before" ]
}

@test "promote: a copy that fails leaves the slot and the grubenv as they were" {
	grub_boots trial
	grub-editenv "$ENV" set eg_ok=1
	# the second copy fails: its temporary name is a symlink (never followed)
	ln -s /nonexistent "$SLOTS/B/initrd.img.tmp"
	cp "$ENV" "$T/before"
	run eg promote
	assert_equal "$status" 111
	assert_line "promote: copied $SLOTS/trial/vmlinuz to $SLOTS/B/vmlinuz.tmp"
	assert_output --partial "promote: unable to copy $SLOTS/trial/initrd.img to $SLOTS/B/initrd.img.tmp"
	assert_output --partial "fix it and run earlyguard promote again"
	cmp "$ENV" "$T/before"
	run cat "$SLOTS/B/vmlinuz" "$SLOTS/B/initrd.img"
	assert_output "kernel B
initrd B"
	# the temporary files are gone
	run ls "$SLOTS/B"
	assert_output "initrd.img
vmlinuz"
}

@test "promote: a target slot that is not there fails; the grubenv untouched" {
	grub_boots trial
	grub-editenv "$ENV" set eg_ok=1
	rm -r "$SLOTS/B"
	cp "$ENV" "$T/before"
	run eg promote
	assert_equal "$status" 111
	assert_output --partial "unable to copy $SLOTS/trial/vmlinuz to $SLOTS/B/vmlinuz.tmp: No such file or directory"
	cmp "$ENV" "$T/before"
}

@test "status: the boot entry and attempt, the grubenv's selection and counts" {
	grub-editenv "$ENV" set eg_max_tries=4 eg_A_tries=1 eg_recovery_tries=3
	grub_boots A
	eg trial trial
	start_daemon
	run eg status
	assert_success
	assert_line "boot_entry: A, attempt 2 of 4"
	assert_line "grubenv: default A, one-shot trial, tries A 2, B 0, recovery 3 of 4"
	run eg status --json
	assert_success
	assert_output --partial '"boot_entry":"A","boot_attempt":2,"grubenv_error":"","grub_default":"A","grub_one_shot":"trial","grub_max_tries":4,"grub_A_tries":2,"grub_B_tries":0,"grub_recovery_tries":3,'
	assert_output --regexp '^\{.*\}$'
}

@test "status: a trial boot, no GRUB logic, and an unreadable grubenv" {
	grub_boots trial
	start_daemon
	run eg status
	assert_line "boot_entry: trial, attempt 1 of 1"
	kill "$DPID"
	wait "$DPID" || true
	rm -f "$T/ready"
	echo "root=/dev/vda earlyguard.entry=Z" >"$CMDLINE"
	printf 'junk' >"$ENV"
	start_daemon
	run eg status
	assert_line "boot_entry: none: earlyguard.entry= is not A, B, recovery or trial"
	assert_line "grubenv: $ENV is corrupt: no GRUB header"
	run eg status --json
	assert_output --partial '"boot_entry":"","boot_attempt":-1,"grubenv_error":"'"$ENV"' is corrupt: no GRUB header","grub_default":"A","grub_one_shot":"","grub_max_tries":3,'
	rm "$ENV"
	run eg status
	assert_line "grubenv: unable to read $ENV: No such file or directory"
}

@test "the whole round: trial, its boot, disarm, promote, then GRUB boots the new default" {
	eg trial trial
	grub_boots trial
	start_daemon
	run eg disarm
	assert_success
	run eg promote
	assert_success
	kill "$DPID"
	wait "$DPID" || true
	# the next boot: nothing scheduled, B is the primary
	run genv eg_trial
	assert_output ""
	run genv eg_default
	assert_output B
	cmp "$SLOTS/trial/vmlinuz" "$SLOTS/B/vmlinuz"
}
