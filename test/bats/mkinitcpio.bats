#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The mkinitcpio adapter (hooks/mkinitcpio/) against mkinitcpio's documented
# hook API, since Debian does not package mkinitcpio:
# - install/earlyguard and install/sd-earlyguard are sourced in bash, as
#   mkinitcpio sources install hooks, after recording stubs of add_binary,
#   add_file, add_module, add_symlink, add_runscript, map, error and
#   warning (and add_systemd_unit, which the systemd hook defines, for the
#   systemd cases).  mkinitcpio counts a failed build by the add_*
#   functions that return non-zero, not by build()'s status; the harness
#   records those the same way, in $FAILED.
# - hooks/earlyguard is sourced in busybox ash (mkinitcpio's /init) when
#   there is one, with a fake earlyguard, fake modprobe and blkid, and a
#   file for the console.
# The binary for the build side is the real build/earlyguard (its `config
# check` and `config get driver` decide).

bats_load_library bats-support
bats_load_library bats-assert
load adapter_env

setup() {
	adapter_env
	INSTALL="$TOP/hooks/mkinitcpio/install"
	RUNTIME="$TOP/hooks/mkinitcpio/hooks/earlyguard"
	export EARLYGUARD_UNITDIR="$TOP/hooks/mkinitcpio/systemd"
	export FAILED="$BATS_TEST_TMPDIR/failed"
	: >"$FAILED"
	STUBS="$BATS_TEST_TMPDIR/stubs.bash"
	cat >"$STUBS" <<-'EOS'
		add_binary() { echo "add_binary $*" >>"$REC"; }
		add_file() {
			echo "add_file $*" >>"$REC"
			# "-" is standard input (mkinitcpio 39 and later)
			if [ "$1" = - ]; then sed 's/^/| /' >>"$REC"; fi
		}
		add_module() { echo "add_module $*" >>"$REC"; }
		add_symlink() { echo "add_symlink $*" >>"$REC"; }
		# mkinitcpio names the runtime hook after the file that calls it
		add_runscript() { echo "add_runscript ${BASH_SOURCE[1]##*/}" >>"$REC"; }
		map() {
			local fn=$1 arg r=0
			shift
			for arg; do "$fn" "$arg" || r=$((r + 1)); done
			return "$r"
		}
		error() {
			local fmt=$1
			shift
			# shellcheck disable=SC2059 # printf-style, as mkinitcpio's
			printf "==> ERROR: $fmt\n" "$@" >&2
			return 1
		}
		warning() {
			local fmt=$1
			shift
			# shellcheck disable=SC2059 # printf-style, as mkinitcpio's
			printf "==> WARNING: $fmt\n" "$@" >&2
		}
	EOS
	SYSTEMD_STUBS="$BATS_TEST_TMPDIR/systemd-stubs.bash"
	cat >"$SYSTEMD_STUBS" <<-'EOS'
		add_systemd_unit() { echo "add_systemd_unit $*" >>"$REC"; }
	EOS
}

teardown() {
	# a modprobe left "stuck" by a test
	if [ -s "$BATS_TEST_TMPDIR/stuck.pid" ]; then
		kill "$(cat "$BATS_TEST_TMPDIR/stuck.pid")" 2>/dev/null || true
	fi
}

# run_build HOOK [STUBFILE...]: source the stubs and install/HOOK in bash,
# as mkinitcpio does, then call build().  Every add_* function returning
# non-zero is appended to $FAILED, which is how mkinitcpio decides that
# the build failed (it ignores build()'s own status).
run_build() {
	local hook=$1
	shift
	run bash -c '
		for s in "${@:2}"; do . "$s"; done
		. "$1"
		set -o functrace
		trap '\''st=$?; case ${FUNCNAME[0]} in add_*) [ "$st" = 0 ] || echo "${FUNCNAME[0]}" >>"$FAILED" ;; esac'\'' RETURN
		build' bash "$INSTALL/$hook" "$STUBS" "$@"
}

@test "earlyguard help: what it does, where it goes, and sd-earlyguard" {
	run bash -c '. "$1"; help' bash "$INSTALL/earlyguard"
	assert_success
	assert_output --partial "earlyguard rescue"
	assert_output --partial "right
after 'base', before 'udev'"
	assert_output --partial "use 'sd-earlyguard' instead"
}

@test "earlyguard build, driver=i6300esb: binary, library, configuration, module, its list, the runtime hook" {
	printf 'driver=i6300esb\ntimeout=30s\n' >"$EARLYGUARD_CONF"
	run_build earlyguard
	assert_success
	run cat "$REC"
	assert_output "add_binary $EARLYGUARD_BIN /sbin/earlyguard
add_file $EARLYGUARD_LIB /usr/lib/earlyguard/earlyguard-lib.sh
add_file $EARLYGUARD_CONF /etc/earlyguard.conf
add_module i6300esb
add_file - /etc/modules-load.d/earlyguard.conf 644
| # earlyguard: the watchdog driver (driver= in /etc/earlyguard.conf)
| i6300esb
add_runscript earlyguard"
	[ ! -s "$FAILED" ]
}

@test "earlyguard build, a comma list of drivers: every module, in order, one a line in the list" {
	printf 'driver=i6300esb,softdog\n' >"$EARLYGUARD_CONF"
	run_build earlyguard
	assert_success
	run grep -E '^(add_module|\| [^#])' "$REC"
	assert_output "add_module i6300esb
add_module softdog
| i6300esb
| softdog"
	[ ! -s "$FAILED" ]
}

@test "earlyguard build, driver=none (built-in driver): no module, no list, still the hook" {
	printf 'driver=none\n' >"$EARLYGUARD_CONF"
	run_build earlyguard
	assert_success
	run grep -cE '^add_module|modules-load' "$REC"
	assert_output 0
	run grep -c '^add_runscript earlyguard$' "$REC"
	assert_output 1
}

@test "earlyguard build, no configuration file: binary, library and the hook" {
	rm -f "$EARLYGUARD_CONF"
	run_build earlyguard
	assert_success
	run cat "$REC"
	assert_output "add_binary $EARLYGUARD_BIN /sbin/earlyguard
add_file $EARLYGUARD_LIB /usr/lib/earlyguard/earlyguard-lib.sh
add_runscript earlyguard"
}

@test "earlyguard build, a configuration with problems: a counted failure, the file named, nothing added" {
	printf 'driver=i6300esb\nbogus=1\n' >"$EARLYGUARD_CONF"
	run_build earlyguard
	assert_failure
	assert_output --partial "unknown key 'bogus'"
	assert_output --partial "==> ERROR: earlyguard: $EARLYGUARD_CONF has problems (above); fix them and build again"
	[ ! -s "$REC" ]
	run cat "$FAILED"
	assert_output add_earlyguard
}

@test "earlyguard build, a bad module name in driver=: a counted failure before anything is added" {
	printf 'driver=i6300esb,../evil\n' >"$EARLYGUARD_CONF"
	run_build earlyguard
	assert_failure
	assert_output --partial "==> ERROR: earlyguard: $EARLYGUARD_CONF has problems"
	[ ! -s "$REC" ]
	run cat "$FAILED"
	assert_output add_earlyguard
}

@test "earlyguard build, missing binary: a counted failure that names it, nothing added" {
	printf 'driver=i6300esb\n' >"$EARLYGUARD_CONF"
	EARLYGUARD_BIN="$BATS_TEST_TMPDIR/nope" run_build earlyguard
	assert_failure
	assert_output --partial "==> ERROR: earlyguard: $BATS_TEST_TMPDIR/nope not found; the image has no earlyguard"
	[ ! -s "$REC" ]
	run cat "$FAILED"
	assert_output add_earlyguard
}

@test "earlyguard build, missing library: a counted failure that names it" {
	EARLYGUARD_LIB="$BATS_TEST_TMPDIR/no-lib.sh" run_build earlyguard
	assert_failure
	assert_output --partial "==> ERROR: earlyguard: unable to read the shared library $BATS_TEST_TMPDIR/no-lib.sh"
	[ ! -s "$REC" ]
	run cat "$FAILED"
	assert_output add_earlyguard
}

@test "earlyguard build, a module the kernel lacks: add_module's failure is counted, no runtime hook" {
	printf 'driver=nosuchwdt\n' >"$EARLYGUARD_CONF"
	# mkinitcpio's add_module: error "module not found", return 1
	# shellcheck disable=SC2016 # expanded in the build's shell
	printf '%s\n' 'add_module() { echo "add_module $*" >>"$REC"; error "module not found: %s" "$1"; }' \
		>"$BATS_TEST_TMPDIR/nomod.bash"
	run_build earlyguard "$BATS_TEST_TMPDIR/nomod.bash"
	assert_failure
	assert_output --partial "module not found: nosuchwdt"
	run grep -c '^add_runscript' "$REC"
	assert_output 0
	run grep -c '^add_earlyguard$' "$FAILED"
	assert_output 1
}

@test "earlyguard build in a systemd image (add_systemd_unit defined): refused, sd-earlyguard named" {
	printf 'driver=i6300esb\n' >"$EARLYGUARD_CONF"
	run_build earlyguard "$SYSTEMD_STUBS"
	assert_failure
	assert_output --partial "==> ERROR: earlyguard: this image boots systemd"
	assert_output --partial "use sd-earlyguard in HOOKS instead"
	[ ! -s "$REC" ]
	run cat "$FAILED"
	assert_output add_earlyguard
}

@test "the runtime hook defines exactly the three hook functions /init looks for, and never exits" {
	# add_runscript registers a hook for each run_* function it finds
	run grep -oE '^[[:space:]]*run_[[:alnum:]_]+[[:space:]]*\(\)' "$RUNTIME"
	assert_output "run_earlyhook()
run_hook()
run_emergencyhook()"
	# sourced into PID 1's shell: an exit there panics the kernel
	run grep -nE '^[^#]*(^|[;&|]|then|else|do)[[:space:]]*exit([[:space:];]|$)' "$RUNTIME"
	assert_failure
	run sh -n "$RUNTIME"
	assert_success
	if command -v busybox >/dev/null; then
		run busybox ash -n "$RUNTIME"
		assert_success
	fi
}

@test "sd-earlyguard help: what it does, and earlyguard for busybox images" {
	run bash -c '. "$1"; help' bash "$INSTALL/sd-earlyguard"
	assert_success
	assert_output --partial "earlyguard-arm.service"
	assert_output --partial "emergency.service and rescue.service"
	assert_output --partial "use 'earlyguard' instead"
}

@test "sd-earlyguard build: the files and module, the arm unit wanted by sysinit.target, the rescue drop-ins" {
	printf 'driver=i6300esb\n' >"$EARLYGUARD_CONF"
	run_build sd-earlyguard "$SYSTEMD_STUBS"
	assert_success
	U="$EARLYGUARD_UNITDIR"
	S=/usr/lib/systemd/system
	run cat "$REC"
	assert_output "add_binary $EARLYGUARD_BIN /sbin/earlyguard
add_file $EARLYGUARD_LIB /usr/lib/earlyguard/earlyguard-lib.sh
add_file $EARLYGUARD_CONF /etc/earlyguard.conf
add_module i6300esb
add_file - /etc/modules-load.d/earlyguard.conf 644
| # earlyguard: the watchdog driver (driver= in /etc/earlyguard.conf)
| i6300esb
add_file $U/earlyguard-arm.service $S/earlyguard-arm.service 644
add_symlink $S/sysinit.target.wants/earlyguard-arm.service ../earlyguard-arm.service
add_systemd_unit emergency.service
add_file $U/earlyguard-rescue.conf $S/emergency.service.d/zz-earlyguard.conf 644
add_systemd_unit rescue.service
add_file $U/earlyguard-rescue.conf $S/rescue.service.d/zz-earlyguard.conf 644"
	[ ! -s "$FAILED" ]
}

@test "sd-earlyguard build without the systemd hook: refused, earlyguard named, nothing added" {
	printf 'driver=i6300esb\n' >"$EARLYGUARD_CONF"
	run_build sd-earlyguard
	assert_failure
	assert_output --partial "==> ERROR: sd-earlyguard: needs the systemd hook before it in HOOKS"
	[ ! -s "$REC" ]
	run cat "$FAILED"
	assert_output add_earlyguard
}

@test "sd-earlyguard build, a configuration with problems: a counted failure, no units" {
	printf 'driver=i6300esb\nbogus=1\n' >"$EARLYGUARD_CONF"
	run_build sd-earlyguard "$SYSTEMD_STUBS"
	assert_failure
	assert_output --partial "has problems (above)"
	[ ! -s "$REC" ]
}

@test "sd-earlyguard build, a unit file missing: add_file's failure is counted" {
	printf 'driver=none\n' >"$EARLYGUARD_CONF"
	# shellcheck disable=SC2016 # expanded in the build's shell
	printf '%s\n' 'add_file() { echo "add_file $*" >>"$REC"; [ -f "$1" ] || error "file not found: %s" "$1"; }' \
		>"$BATS_TEST_TMPDIR/files.bash"
	EARLYGUARD_UNITDIR="$BATS_TEST_TMPDIR/no-units" run_build sd-earlyguard "$SYSTEMD_STUBS" \
		"$BATS_TEST_TMPDIR/files.bash"
	assert_failure
	assert_output --partial "file not found: $BATS_TEST_TMPDIR/no-units/earlyguard-arm.service"
	run grep -c '^add_earlyguard_units$' "$FAILED"
	assert_output 1
	run grep -c '^add_symlink' "$REC"
	assert_output 0
}

@test "the systemd units: arm before sysinit and udev, the guard outlives the unit; rescue replaces the shell" {
	U="$EARLYGUARD_UNITDIR"
	run grep -E '^(DefaultDependencies|After|Before|Type|ExecStart|KillMode)=' "$U/earlyguard-arm.service"
	assert_output "DefaultDependencies=no
After=systemd-modules-load.service
Before=sysinit.target systemd-udevd.service
Type=oneshot
ExecStart=/sbin/earlyguard init
KillMode=process"
	# an empty ExecStart= first: a drop-in adds to the list otherwise
	run grep -E '^ExecStart=' "$U/earlyguard-rescue.conf"
	assert_output 'ExecStart=
ExecStart=/sbin/earlyguard rescue "systemd initrd: %n started (journalctl -b says what failed)"'
}

# ---- the runtime hook, in the shell mkinitcpio's /init runs ----

# rt_setup: a fake earlyguard (records its arguments, prints one line on
# stdout; `rescue` ends the calling shell as a reboot would), fake modprobe
# and blkid on PATH, a wrapper library that points the real one at them,
# a file for the console and a module list.
rt_setup() {
	RT_SH="sh"
	if command -v busybox >/dev/null; then
		RT_SH="busybox ash"
	fi
	export CALLS="$BATS_TEST_TMPDIR/bin-calls"
	mkdir -p "$BATS_TEST_TMPDIR/bin"
	FAKE="$BATS_TEST_TMPDIR/bin/earlyguard"
	cat >"$FAKE" <<-'EOF'
		#!/bin/sh
		echo "earlyguard $*" >>"$CALLS"
		echo "fake earlyguard $1 talking"
		[ "$1" != rescue ] || kill -9 "$PPID"
		exit 0
	EOF
	cat >"$BATS_TEST_TMPDIR/bin/modprobe" <<-'EOF'
		#!/bin/sh
		echo "modprobe $*" >>"$CALLS"
		exit "${FAKE_MODPROBE_EXIT:-0}"
	EOF
	cat >"$BATS_TEST_TMPDIR/bin/blkid" <<-'EOF'
		#!/bin/sh
		[ -z "${FAKE_BLKID:-}" ] || echo "$FAKE_BLKID"
	EOF
	chmod 755 "$BATS_TEST_TMPDIR"/bin/*
	cat >"$BATS_TEST_TMPDIR/lib.sh" <<-EOF
		. "$TOP/hooks/earlyguard-lib.sh"
		EG_IMAGE_BIN="$FAKE"
		EG_ARMED_MARK="$BATS_TEST_TMPDIR/run/armed"
	EOF
	export EARLYGUARD_CONSOLE="$BATS_TEST_TMPDIR/console"
	: >"$EARLYGUARD_CONSOLE"
	export EARLYGUARD_MODPROBE="$BATS_TEST_TMPDIR/bin/modprobe"
	export EARLYGUARD_MODULES_LOAD="$BATS_TEST_TMPDIR/modules-load.conf"
	printf '# earlyguard\ni6300esb\nsoftdog\n' >"$EARLYGUARD_MODULES_LOAD"
	: >"$CALLS"
}

# rt_sh CODE: source the runtime hook as /init does, then run CODE, with the
# fakes in place; its output, its status.  blkid is a function that runs
# the fake: a busybox built with standalone-shell applets (Debian's) runs
# its own before anything on PATH.  The shell writes to a
# file, not to bats' pipes: a modprobe left behind (holding the shell's
# descriptors) must not keep bats waiting.
rt_sh() {
	local out="$BATS_TEST_TMPDIR/rt-out" st=0
	# shellcheck disable=SC2086,SC2016 # RT_SH is a command and its argument
	env FAKES="$BATS_TEST_TMPDIR/bin" EARLYGUARD_LIB="$BATS_TEST_TMPDIR/lib.sh" \
		$RT_SH -c 'blkid() { "$FAKES/blkid" "$@"; }
			. "$1"; eval "$2"' sh "$RUNTIME" "$1" >"$out" 2>&1 3>&- || st=$?
	cat "$out"
	return "$st"
}

# rt CODE: rt_sh under bats' run.
rt() {
	run rt_sh "$1"
}

@test "run_earlyhook: modprobe the listed modules, then earlyguard init, once; on the console" {
	rt_setup
	rt 'run_earlyhook; echo "first $?"; run_earlyhook; echo "second $?"'
	assert_success
	assert_output "first 0
second 0"
	run cat "$CALLS"
	assert_output "modprobe -qa i6300esb softdog
earlyguard init"
	run cat "$EARLYGUARD_CONSOLE"
	assert_output "fake earlyguard init talking"
}

@test "run_earlyhook: a console that cannot be opened still arms" {
	rt_setup
	rt "EARLYGUARD_CONSOLE=$BATS_TEST_TMPDIR/no/such/console; run_earlyhook; echo \"rc \$?\""
	assert_success
	assert_line "rc 0"
	assert_line "fake earlyguard init talking"
	run grep -c '^earlyguard init$' "$CALLS"
	assert_output 1
}

@test "run_earlyhook: a failed modprobe is logged and the watchdog still armed" {
	rt_setup
	FAKE_MODPROBE_EXIT=1 rt 'run_earlyhook; echo "rc $?"'
	assert_success
	assert_line "rc 0"
	run cat "$EARLYGUARD_KMSG"
	assert_output "earlyguard: hook: modprobe i6300esb softdog failed (exit 1)"
	run grep -c '^earlyguard init$' "$CALLS"
	assert_output 1
}

@test "run_earlyhook: no modprobe in the image: logged, the watchdog still armed" {
	rt_setup
	rt "EARLYGUARD_MODPROBE=$BATS_TEST_TMPDIR/no-modprobe; run_earlyhook; echo \"rc \$?\""
	assert_success
	assert_line "rc 0"
	run cat "$EARLYGUARD_KMSG"
	assert_output "earlyguard: hook: no $BATS_TEST_TMPDIR/no-modprobe in the image to load i6300esb softdog"
	run cat "$CALLS"
	assert_output "earlyguard init"
}

@test "run_earlyhook: driver=none (no module list): no modprobe" {
	rt_setup
	rm -f "$EARLYGUARD_MODULES_LOAD"
	rt 'run_earlyhook'
	assert_success
	run cat "$CALLS"
	assert_output "earlyguard init"
}

@test "run_earlyhook: a modprobe that hangs is left behind after 10 s, and the watchdog armed" {
	rt_setup
	cat >"$BATS_TEST_TMPDIR/bin/modprobe" <<-EOF
		#!/bin/sh
		echo \$\$ >"$BATS_TEST_TMPDIR/stuck.pid"
		exec sleep 60 >/dev/null 2>&1
	EOF
	start=$(date +%s)
	rt 'run_earlyhook; echo "rc $?"'
	took=$(($(date +%s) - start))
	assert_success
	assert_line "rc 0"
	[ "$took" -ge 9 ] && [ "$took" -le 30 ]
	run cat "$EARLYGUARD_KMSG"
	assert_output "earlyguard: hook: modprobe i6300esb softdog still running after 10s; going on without it"
	run cat "$CALLS"
	assert_output "earlyguard init"
}

@test "run_earlyhook: no library in the image: says so, boot goes on" {
	rt_setup
	rt "EARLYGUARD_LIB=$BATS_TEST_TMPDIR/absent.sh; run_earlyhook; echo \"rc \$?\""
	assert_success
	assert_line "rc 0"
	assert_line --partial "absent.sh missing from the initramfs; the watchdog is not armed"
	[ ! -s "$CALLS" ]
}

@test "run_hook: the recovery entry's fetch (earlyguard fetch --auto=entry), on the console" {
	rt_setup
	rt 'run_hook; echo "returned $?"'
	assert_output "returned 0"
	run cat "$CALLS"
	assert_output "earlyguard fetch --auto=entry"
	run cat "$EARLYGUARD_CONSOLE"
	assert_output "fake earlyguard fetch talking"
}

@test "run_emergencyhook: root device missing: earlyguard rescue with the reason, on the console" {
	rt_setup
	rt 'root=/dev/vdx-missing; run_emergencyhook; echo "returned $?"'
	refute_output --partial returned
	run cat "$CALLS"
	assert_output "earlyguard fetch --auto=noroot
earlyguard rescue mkinitcpio: root device /dev/vdx-missing not found (rootdelay= sets the wait, 10 s by default)"
	# both on the console, as /init gives its shell
	run cat "$EARLYGUARD_CONSOLE"
	assert_output "fake earlyguard fetch talking
fake earlyguard rescue talking"
}

@test "run_emergencyhook: fsck repaired root and asked for a reboot: /init reboots, no rescue" {
	rt_setup
	rt 'fsckret=2; root=/dev/vda; run_emergencyhook; echo "returned $?"'
	assert_success
	assert_output "returned 0"
	[ ! -s "$CALLS" ]
}

@test "the reason, from what /init leaves behind" {
	rt_setup
	# NEWROOT "/" is never a separate mount: root not mounted.  /proc is:
	# root mounted, and init=/self/exe exists in it.
	check() {
		rt "$1; eg_initcpio_reason $2"
		assert_success
		assert_output "$3"
	}
	check 'root=' / "mkinitcpio: no root= on the kernel command line"
	check 'root=/dev/vda break=premount' / \
		"mkinitcpio: break=premount on the kernel command line (a shell before root is mounted)"
	check 'root=/dev/vda break=y' / \
		"mkinitcpio: break=y on the kernel command line (a shell before root is mounted)"
	check 'root=/dev/vda fsckret=12' / \
		"mkinitcpio: fsck left errors on /dev/vda (fsck exit 12); run fsck on it by hand"
	check 'root=/dev/vdx fsckret=255' / \
		"mkinitcpio: root device /dev/vdx not found (rootdelay= sets the wait, 10 s by default)"
	check 'root=/dev/vdx fsckret=oops' / \
		"mkinitcpio: root device /dev/vdx not found (rootdelay= sets the wait, 10 s by default)"
	check 'root=UUID=0ddba11 FAKE_BLKID=' / \
		"mkinitcpio: root device UUID=0ddba11 not found (rootdelay= sets the wait, 10 s by default)"
	check 'root=UUID=0ddba11 FAKE_BLKID=/dev/vda; export FAKE_BLKID' / \
		"mkinitcpio: unable to mount UUID=0ddba11 on /"
	check 'root=server:/export' / "mkinitcpio: unable to mount server:/export on /"
	check 'root=/dev/vda init=/sbin/init' /proc \
		"mkinitcpio: root /dev/vda is mounted, but /sbin/init does not exist in it"
	check 'root=/dev/vda init=/self/exe break=postmount' /proc \
		"mkinitcpio: break=postmount on the kernel command line (a shell after root is mounted)"
	check 'root=/dev/vda init=/self/exe' /proc \
		"mkinitcpio: emergency shell (the hook cannot tell why; the messages above may)"
}
