#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# grub/10_earlyguard, the /etc/grub.d script: its configuration file, what
# it prints, that grub-script-check accepts it, and a real grub-mkconfig
# run with Debian's own grub.d scripts around it (in a private mount
# namespace, so that nothing of this host's /etc or /boot is changed).

# Single quotes keep $ for GRUB, for the script under test, or for the
# inner shell: SC2016 is what these tests mean.
# shellcheck disable=SC2016

bats_load_library bats-support
bats_load_library bats-assert
load slots

setup() {
	TOP="$BATS_TEST_DIRNAME/../.."
	SCRIPT="$TOP/grub/10_earlyguard"
	SNIPPET="$TOP/grub/earlyguard.cfg"
	T="$BATS_TEST_TMPDIR"
	CONF="$T/earlyguard-grub"
	SLOTS="$T/slots"
	make_slots "$SLOTS"
	command -v grub-script-check >/dev/null ||
		fail "grub-script-check missing: install grub-common (test/deps.sh)"
}

# run the script as grub-mkconfig would, stdout only
gen() {
	EARLYGUARD_GRUB_CONFIG=$CONF EARLYGUARD_GRUB_SNIPPET=$SNIPPET sh "$SCRIPT" 2>"$T/stderr"
}

# gen_env ENV...: gen with env(1)'s arguments (VAR=value, -u VAR)
gen_env() {
	env "$@" EARLYGUARD_GRUB_CONFIG="$CONF" EARLYGUARD_GRUB_SNIPPET="$SNIPPET" \
		sh "$SCRIPT" 2>"$T/stderr"
}

conf() {
	printf '%s\n' "EG_GRUB_DIR=$SLOTS" "EG_GRUB_PATH=/boot/earlyguard" "$@" >"$CONF"
}

@test "not configured: prints nothing and succeeds" {
	run gen
	assert_success
	assert_output ""
}

@test "configured: the settings, then earlyguard.cfg; grub-script-check accepts it" {
	conf 'EG_GRUB_ARGS="root=/dev/sda2 ro console=ttyS0"' "EG_GRUB_REBOOT_DELAY=7" \
		"EG_GRUB_SERIAL='--unit=1 --speed=9600'"
	run gen
	assert_success
	assert_line "set eg_dir=\"/boot/earlyguard\""
	assert_line "set eg_args=\"root=/dev/sda2 ro console=ttyS0\""
	assert_line "set eg_serial=\"--unit=1 --speed=9600\""
	assert_line "set eg_reboot_delay=\"7\""
	assert_line "### earlyguard: end ###"
	gen >"$T/grub.cfg"
	run grub-script-check "$T/grub.cfg"
	assert_success
	# the snippet is there whole, after the settings
	run diff <(sed -n '/^### earlyguard: settings/,/^### earlyguard: end/p' "$T/grub.cfg" |
		sed '1,5d;$d') "$SNIPPET"
	assert_success
	run cat "$T/stderr"
	assert_line "Found earlyguard slot A: $SLOTS/A/vmlinuz"
	assert_line "Found earlyguard slot trial: $SLOTS/trial/vmlinuz"
}

@test "each bad line is refused with file:line; exit 1, nothing printed" {
	local bad
	for bad in "EG_GRUB_TYPO=1" "EG_GRUB_DIR=boot/earlyguard" 'EG_GRUB_DIR=/boot/ear ly' \
		'EG_GRUB_ARGS="root=$x"' 'EG_GRUB_ARGS=a\b' 'EG_GRUB_SERIAL=' 'EG_GRUB_SERIAL=--x;reboot' \
		"EG_GRUB_REBOOT_DELAY=1000" "EG_GRUB_REBOOT_DELAY=-1" "just words" "EG_GRUB_DIR="; do
		conf "# a comment" "" "$bad"
		run gen
		assert_failure 1
		assert_output ""
		run cat "$T/stderr"
		assert_output --partial "10_earlyguard: fatal: $CONF:5: "
	done
}

@test "neither A nor B has a kernel: a warning, no entries, and success" {
	rm "$SLOTS/A/vmlinuz" "$SLOTS/B/initrd.img"
	conf 'EG_GRUB_ARGS="root=/dev/sda2"'
	run gen
	assert_success
	assert_output ""
	run cat "$T/stderr"
	assert_line "10_earlyguard: warning: slot A has no kernel and initrd ($SLOTS/A/vmlinuz, $SLOTS/A/initrd.img)"
	assert_line "10_earlyguard: warning: neither slot A nor B in $SLOTS has a kernel: no earlyguard entries"
}

@test "the kernel arguments default to grub-mkconfig's root= and /etc/default/grub's" {
	conf
	run gen_env GRUB_DEVICE_UUID=1234-abcd GRUB_CMDLINE_LINUX="console=ttyS0" \
		GRUB_CMDLINE_LINUX_DEFAULT=quiet
	assert_success
	assert_line 'set eg_args="root=UUID=1234-abcd ro console=ttyS0 quiet"'
	run gen_env GRUB_DEVICE_UUID=1234-abcd GRUB_DISABLE_LINUX_UUID=true GRUB_DEVICE=/dev/vda2
	assert_line 'set eg_args="root=/dev/vda2 ro  "'
	run gen_env GRUB_DEVICE=/dev/vda2 GRUB_CMDLINE_LINUX='init=$x'
	assert_failure 1
	run cat "$T/stderr"
	assert_output --partial "the kernel arguments from /etc/default/grub hold"
	run gen_env -u GRUB_DEVICE -u GRUB_DEVICE_UUID
	assert_failure 1
	run cat "$T/stderr"
	assert_output --partial "EG_GRUB_ARGS is not set in $CONF and grub-mkconfig gave no root device"
}

# A real update-grub: Debian's grub-mkconfig with its own 00_header and
# 10_linux and our script, in a private mount namespace where /etc/grub.d,
# /etc/default and grub-probe are this test's (grub-probe cannot probe
# the disks of a build machine or a container).  The host's kernels in
# /boot are what 10_linux finds.
@test "grub-mkconfig with Debian's grub.d scripts: accepted, our default wins, Debian's entries stay" {
	[ "$(id -u)" = 0 ] || skip "needs root for a private mount namespace"
	command -v grub-mkconfig >/dev/null || fail "grub-mkconfig missing: install grub-common"
	[ -x /etc/grub.d/00_header ] && [ -x /etc/grub.d/10_linux ] ||
		fail "/etc/grub.d/00_header or 10_linux missing: install grub-common"
	mkdir -p "$T/grub.d" "$T/default" "$T/lib/earlyguard/grub"
	cp /etc/grub.d/00_header /etc/grub.d/10_linux "$T/grub.d/"
	install -m 0755 "$SCRIPT" "$T/grub.d/10_earlyguard"
	cat >"$T/default/grub" <<-'EOF'
		GRUB_DEFAULT=0
		GRUB_TIMEOUT=5
		GRUB_DISTRIBUTOR=Debian
		GRUB_CMDLINE_LINUX_DEFAULT="quiet"
		GRUB_CMDLINE_LINUX="console=ttyS0"
	EOF
	printf '%s\n' "EG_GRUB_DIR=$SLOTS" >"$T/default/earlyguard-grub"
	cp "$SNIPPET" "$T/lib/earlyguard/grub/earlyguard.cfg"
	# grub-probe: every path on one ext4 partition
	cat >"$T/grub-probe" <<-'EOF'
		#!/bin/sh
		for a; do
			case $a in
			--target=device) echo /dev/vda1; exit 0 ;;
			--target=fs) echo ext2; exit 0 ;;
			--target=fs_uuid) echo 0a1b2c3d-0000-4000-8000-000000000001; exit 0 ;;
			--target=partuuid) echo 0a1b2c3d-01; exit 0 ;;
			--target=drive) echo '(hd0,msdos1)'; exit 0 ;;
			--target=partmap) echo msdos; exit 0 ;;
			--target=abstraction | --target=cryptodisk_uuid) exit 0 ;;
			--target=compatibility_hint) echo hd0,msdos1; exit 0 ;;
			--target=bios_hints | --target=baremetal_hints | --target=efi_hints | --target=arc_hints | --target=ieee1275_hints) echo hd0,msdos1; exit 0 ;;
			esac
		done
		echo "test grub-probe: unexpected: $*" >&2
		exit 1
	EOF
	chmod +x "$T/grub-probe"
	run timeout 60 unshare -m --propagation private sh -c '
		T=$1
		mount --bind "$T/grub.d" /etc/grub.d &&
		mount --bind "$T/default" /etc/default &&
		mount --bind "$T/grub-probe" /usr/sbin/grub-probe &&
		mkdir -p /usr/lib/earlyguard 2>/dev/null;
		mount --bind "$T/lib/earlyguard" /usr/lib/earlyguard &&
		grub-mkconfig -o "$T/grub.cfg"' sh "$T"
	assert_success
	assert_output --partial "Found earlyguard slot A: $SLOTS/A/vmlinuz"
	run grub-script-check "$T/grub.cfg"
	assert_success
	# order: 00_header's default, then ours (later wins), then 10_linux
	local hdr eg lin
	hdr=$(grep -n '^### BEGIN /etc/grub.d/00_header' "$T/grub.cfg" | cut -d: -f1)
	eg=$(grep -n '^set default="earlyguard-\$eg_first"' "$T/grub.cfg" | cut -d: -f1)
	lin=$(grep -n '^### BEGIN /etc/grub.d/10_linux' "$T/grub.cfg" | cut -d: -f1)
	[ -n "$hdr" ] && [ -n "$eg" ] && [ -n "$lin" ] || fail "a section is missing: 00_header '$hdr', earlyguard '$eg', 10_linux '$lin'"
	[ "$hdr" -lt "$eg" ] && [ "$eg" -lt "$lin" ] || fail "order: 00_header $hdr, earlyguard $eg, 10_linux $lin"
	run grep -c "menuentry \"earlyguard: " "$T/grub.cfg"
	assert_output 5
	# the default arguments: root= from (the test's) grub-probe, /etc/default/grub's
	run grep '^set eg_args=' "$T/grub.cfg"
	assert_output 'set eg_args="root=UUID=0a1b2c3d-0000-4000-8000-000000000001 ro console=ttyS0 quiet"'
	run grep '^set eg_dir=' "$T/grub.cfg"
	assert_output "set eg_dir=\"$SLOTS\""
}
