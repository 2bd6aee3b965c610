#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The initramfs-tools adapter's build hook (hooks/initramfs-tools/hooks/
# earlyguard) and the shared library it calls (hooks/earlyguard-lib.sh),
# against fixtures: hook-functions' copy_exec, copy_file and
# manual_add_modules are recording stubs, the configuration is a file
# under $BATS_TEST_TMPDIR, the binary is the real build/earlyguard (its
# `config get driver` is what decides the modules).

bats_load_library bats-support
bats_load_library bats-assert
load adapter_env

setup() {
	adapter_env
	HOOK="$TOP/hooks/initramfs-tools/hooks/earlyguard"
	STUBS="$BATS_TEST_TMPDIR/stubs.sh"
	cat >"$STUBS" <<-'EOS'
		copy_exec() { echo "copy_exec $*" >>"$REC"; }
		copy_file() { echo "copy_file $*" >>"$REC"; }
		manual_add_modules() { echo "manual_add_modules $*" >>"$REC"; }
	EOS
}

# load_lib: source the shared library into the test's shell.
load_lib() {
	# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
	. "$BATS_TEST_DIRNAME/../../hooks/earlyguard-lib.sh"
}

# run_hook [ARG]: source the hook in sh after the stubs, as mkinitramfs
# runs it after sourcing hook-functions.
run_hook() {
	run sh -c '. "$1"; hook=$2; shift 2; . "$hook"' sh "$STUBS" "$HOOK" "$@"
}

@test "the fetch key: installed where fetch_key says, when the file exists" {
	printf 'driver=none\nfetch_key=%s/fetch.pub.pem\n' "$BATS_TEST_TMPDIR" >"$EARLYGUARD_CONF"
	run_hook
	assert_success
	run grep -c fetch.pub.pem "$REC"
	assert_output 0
	echo key >"$BATS_TEST_TMPDIR/fetch.pub.pem"
	run_hook
	assert_success
	run grep fetch.pub.pem "$REC"
	assert_output "copy_file earlyguard $BATS_TEST_TMPDIR/fetch.pub.pem $BATS_TEST_TMPDIR/fetch.pub.pem"
}

@test "local-top: earlyguard fetch --auto=entry, never fails the boot" {
	EG_IMAGE_BIN="$BATS_TEST_TMPDIR/fake-earlyguard"
	printf '#!/bin/sh\necho "$*" >>"%s/calls"\nexit 1\n' "$BATS_TEST_TMPDIR" >"$EG_IMAGE_BIN"
	chmod 755 "$EG_IMAGE_BIN"
	run sh -c '. "$1"; EG_IMAGE_BIN=$2; eg_fetch_entry; echo "rc $?"' sh "$EARLYGUARD_LIB" "$EG_IMAGE_BIN"
	assert_output "rc 0"
	run cat "$BATS_TEST_TMPDIR/calls"
	assert_output "fetch --auto=entry"
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "earlyguard fetch --auto=entry failed (exit 1); booting on"
	# the script itself: prereqs, then the library's function
	run sh "$TOP/hooks/initramfs-tools/scripts/local-top/earlyguard" prereqs
	assert_success
	assert_output ""
	run grep -c '^eg_fetch_entry$' "$TOP/hooks/initramfs-tools/scripts/local-top/earlyguard"
	assert_output 1
}

@test "prereqs: none, and nothing is installed" {
	run_hook prereqs
	assert_success
	assert_output ""
	[ ! -s "$REC" ]
}

@test "driver=i6300esb: binary, library, configuration and the driver module" {
	printf 'driver=i6300esb\ntimeout=30s\n' >"$EARLYGUARD_CONF"
	run_hook
	assert_success
	run cat "$REC"
	assert_output "copy_exec $EARLYGUARD_BIN /sbin/earlyguard
copy_file earlyguard $EARLYGUARD_LIB /usr/lib/earlyguard/earlyguard-lib.sh
copy_file earlyguard $EARLYGUARD_CONF /etc/earlyguard.conf
manual_add_modules i6300esb"
}

@test "a comma list of drivers: every module, in order" {
	printf 'driver=i6300esb,softdog\n' >"$EARLYGUARD_CONF"
	run_hook
	assert_success
	run grep '^manual_add_modules' "$REC"
	assert_output "manual_add_modules i6300esb softdog"
}

@test "driver=none (built-in driver): no module asked for" {
	printf 'driver=none\n' >"$EARLYGUARD_CONF"
	run_hook
	assert_success
	run grep -c '^manual_add_modules' "$REC"
	assert_output 0
	run grep -c '^copy_exec' "$REC"
	assert_output 1
}

@test "no configuration file: binary and library only, no module" {
	rm -f "$EARLYGUARD_CONF"
	run_hook
	assert_success
	run cat "$REC"
	assert_output "copy_exec $EARLYGUARD_BIN /sbin/earlyguard
copy_file earlyguard $EARLYGUARD_LIB /usr/lib/earlyguard/earlyguard-lib.sh"
}

@test "the build host's kernel command line is not read: only the file decides" {
	printf 'driver=softdog\n' >"$EARLYGUARD_CONF"
	EARLYGUARD_BIN="$BATS_TEST_TMPDIR/fake-earlyguard"
	# shellcheck disable=SC2016 # expanded by the fake
	printf '#!/bin/sh\necho "$*" >>"%s/args"\n[ "$6" != get ] || echo softdog\n' \
		"$BATS_TEST_TMPDIR" >"$EARLYGUARD_BIN"
	chmod 755 "$EARLYGUARD_BIN"
	load_lib
	run eg_driver_modules
	assert_success
	assert_output softdog
	run cat "$BATS_TEST_TMPDIR/args"
	assert_output "-c $EARLYGUARD_CONF --cmdline /dev/null config check
-c $EARLYGUARD_CONF --cmdline /dev/null config get driver"
}

@test "missing binary: the hook fails, says so, installs nothing" {
	printf 'driver=i6300esb\n' >"$EARLYGUARD_CONF"
	EARLYGUARD_BIN="$BATS_TEST_TMPDIR/nope" run_hook
	assert_failure 1
	assert_output --partial "E: earlyguard: $BATS_TEST_TMPDIR/nope not found"
	[ ! -s "$REC" ]
}

@test "a bad module name in driver=: the hook fails before installing" {
	# the binary refuses it first, or the library does; either way no image
	printf 'driver=i6300esb,../evil\n' >"$EARLYGUARD_CONF"
	run_hook
	assert_failure 1
	assert_output --partial "unable to read the watchdog driver"
	run grep -c '^manual_add_modules' "$REC"
	assert_output 0
}

@test "build-side messages go to the person building (stderr), not the host's kernel log" {
	printf 'driver=no such key\nbogus=1\n' >"$EARLYGUARD_CONF"
	run_hook
	assert_failure 1
	assert_output --partial "earlyguard: build: $EARLYGUARD_CONF has problems (see above); fix them first"
	[ ! -s "$EARLYGUARD_KMSG" ]
}

@test "eg_arm: runs earlyguard init once, logs a failure, never fails" {
	load_lib
	EG_ARMED_MARK="$BATS_TEST_TMPDIR/run/armed"
	EG_IMAGE_BIN="$BATS_TEST_TMPDIR/fake-earlyguard"
	# shellcheck disable=SC2016 # expanded by the fake
	printf '#!/bin/sh\necho "$*" >>"%s/init-calls"\nexit 3\n' "$BATS_TEST_TMPDIR" >"$EG_IMAGE_BIN"
	chmod 755 "$EG_IMAGE_BIN"
	run eg_arm
	assert_success
	run eg_arm
	assert_success
	run cat "$BATS_TEST_TMPDIR/init-calls"
	assert_output init
	run cat "$EARLYGUARD_KMSG"
	assert_output "earlyguard: hook: earlyguard init failed (exit 3); the guard may be missing"
}

@test "eg_arm: no binary in the image: logged, boot goes on" {
	load_lib
	EG_IMAGE_BIN="$BATS_TEST_TMPDIR/absent"
	run eg_arm
	assert_success
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "missing from the initramfs; the watchdog is not armed"
}

@test "eg_rescue: the fetch when asked for, then earlyguard rescue with the reason" {
	load_lib
	EG_IMAGE_BIN="$BATS_TEST_TMPDIR/fake-earlyguard"
	# a fetch that found nothing to do; a rescue that "reboots" by
	# killing the shell that called it
	# shellcheck disable=SC2016 # expanded by the fake
	printf '#!/bin/sh\necho "$*" >>"%s/calls"\n[ "$1" = fetch ] && exit 0\nkill -9 $PPID\n' \
		"$BATS_TEST_TMPDIR" >"$EG_IMAGE_BIN"
	chmod 755 "$EG_IMAGE_BIN"
	run sh -c '. "$1"; EG_IMAGE_BIN=$2; eg_rescue root device /dev/vdx does not exist' sh \
		"$EARLYGUARD_LIB" "$EG_IMAGE_BIN"
	run cat "$BATS_TEST_TMPDIR/calls"
	assert_output "fetch --auto=noroot
rescue root device /dev/vdx does not exist"
	run cat "$EARLYGUARD_KMSG"
	assert_output --partial "earlyguard: hook: root device /dev/vdx does not exist"
}
