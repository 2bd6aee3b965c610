#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The dracut module (modules/90earlyguard/module-setup.sh) against
# fixtures: dracut's inst_binary, inst_simple, inst_hook, instmods and
# derror are recording stubs, moddir is the source directory, the
# configuration is a file under $BATS_TEST_TMPDIR, the binary is the real
# build/earlyguard (its `config get driver` decides the modules).

bats_load_library bats-support
bats_load_library bats-assert
load adapter_env

setup() {
	adapter_env
	export MODDIR="$TOP/modules/90earlyguard"
	STUBS="$BATS_TEST_TMPDIR/stubs.sh"
	cat >"$STUBS" <<-'EOS'
		inst_binary() { echo "inst_binary $*" >>"$REC"; }
		inst_simple() { echo "inst_simple $*" >>"$REC"; }
		inst_hook() { echo "inst_hook $*" >>"$REC"; }
		instmods() { echo "instmods hostonly=$hostonly $*" >>"$REC"; }
		derror() { echo "derror $*" >&2; }
		hostonly=yes
	EOS
}

# run_fn FUNCTION: source the stubs and module-setup.sh in bash, as dracut
# does, then call FUNCTION; prints its output, its status is the status.
run_fn() {
	run bash -c '. "$1"; moddir=$MODDIR; . "$MODDIR/module-setup.sh"; "$2"' bash "$STUBS" "$1"
}

@test "check: 255, included only when asked for" {
	run_fn check
	assert_failure 255
	assert_output ""
}

@test "depends: base only (shell init)" {
	run_fn depends
	assert_success
	assert_output base
}

@test "install: binary, library, configuration, then the hooks" {
	printf 'driver=i6300esb\n' >"$EARLYGUARD_CONF"
	run_fn install
	assert_success
	run cat "$REC"
	assert_output "inst_binary $EARLYGUARD_BIN /sbin/earlyguard
inst_simple $EARLYGUARD_LIB /usr/lib/earlyguard/earlyguard-lib.sh
inst_simple $EARLYGUARD_CONF /etc/earlyguard.conf
inst_hook cmdline 00 $MODDIR/earlyguard-arm.sh
inst_hook pre-mount 00 $MODDIR/earlyguard-fetch.sh
inst_hook emergency 00 $MODDIR/earlyguard-emergency.sh
inst_hook shutdown-emergency 00 $MODDIR/earlyguard-emergency.sh"
}

@test "install without a configuration file: binary and library, the hooks" {
	rm -f "$EARLYGUARD_CONF"
	run_fn install
	assert_success
	run grep -c '^inst_simple' "$REC"
	assert_output 1
	run grep -c '^inst_hook' "$REC"
	assert_output 4
}

@test "install: missing binary fails, says so, installs nothing" {
	EARLYGUARD_BIN="$BATS_TEST_TMPDIR/nope" run_fn install
	assert_failure 1
	assert_output --partial "derror earlyguard: $BATS_TEST_TMPDIR/nope not found"
	[ ! -s "$REC" ]
}

@test "installkernel: the driver's modules, even in a host-only image" {
	printf 'driver=i6300esb,softdog\n' >"$EARLYGUARD_CONF"
	run_fn installkernel
	assert_success
	run cat "$REC"
	assert_output "instmods hostonly= i6300esb softdog"
}

@test "installkernel: driver=none asks for no module" {
	printf 'driver=none\n' >"$EARLYGUARD_CONF"
	run_fn installkernel
	assert_success
	[ ! -s "$REC" ]
}

@test "installkernel: a bad driver= fails the build before any instmods" {
	printf 'driver=i6300esb,../evil\n' >"$EARLYGUARD_CONF"
	run_fn installkernel
	assert_failure 1
	assert_output --partial "derror earlyguard: unable to read the watchdog driver"
	[ ! -s "$REC" ]
}

@test "the boot-side hooks are POSIX sh and never exit (dracut sources them)" {
	for f in "$MODDIR/earlyguard-arm.sh" "$MODDIR/earlyguard-emergency.sh"; do
		run grep -nE '^[[:space:]]*exit\b' "$f"
		assert_failure
		run sh -n "$f"
		assert_success
	done
}

# CMDLINE=... emergency_hook [ROOT]: source a copy of the emergency hook as
# dracut does, with dracut-lib's getarg/getargbool answering from CMDLINE
# (stubs), root=ROOT, and a library whose eg_rescue records its arguments.
emergency_hook() {
	cat >"$BATS_TEST_TMPDIR/lib.sh" <<-'EOS'
		eg_rescue() { printf 'eg_rescue'; printf ' [%s]' "$@"; echo; exit 0; }
	EOS
	sed "s|/usr/lib/earlyguard/earlyguard-lib.sh|$BATS_TEST_TMPDIR/lib.sh|" \
		"$MODDIR/earlyguard-emergency.sh" >"$BATS_TEST_TMPDIR/hook.sh"
	run sh -c '
		getarg() { for w in $CMDLINE; do case $w in "$1"|"$1"=*) echo "${w#*=}"; return 0 ;; esac; done; return 1; }
		getargbool() { v=$(getarg "$2") || return $((1 - $1)); [ "$v" != 0 ] && [ "$v" != no ]; }
		root=$1
		. "$2"' sh "${1-block:/dev/vdx}" "$BATS_TEST_TMPDIR/hook.sh"
}

@test "emergency hook: rescue with a shell window by default, naming the missing root" {
	CMDLINE="root=/dev/vdx" emergency_hook
	assert_success
	assert_output "eg_rescue [dracut: root device /dev/vdx does not exist]"
}

@test "emergency hook: rd.shell=0 rescues with --no-shell (no shell, no halt)" {
	CMDLINE="root=/dev/vdx rd.shell=0" emergency_hook
	assert_success
	assert_output "eg_rescue [--no-shell] [dracut: root device /dev/vdx does not exist]"
}

@test "emergency hook: rd.shell=0 with rd.break still gets the shell window" {
	CMDLINE="rd.shell=0 rd.break=pre-mount" emergency_hook ""
	assert_success
	assert_output "eg_rescue [dracut: no root= on the kernel command line]"
}
