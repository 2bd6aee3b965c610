# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# adapter_env: what every generator adapter's bats file (dracut,
# initramfs-tools, mkinitcpio) sets up first: the source tree, the shared
# library, the real build/earlyguard (the test is skipped without it), a
# configuration file, a kernel log and a call record under
# $BATS_TEST_TMPDIR.
adapter_env() {
	TOP="$BATS_TEST_DIRNAME/../.."
	export EARLYGUARD_LIB="$TOP/hooks/earlyguard-lib.sh"
	export EARLYGUARD_BIN="${EG_BIN:-$TOP/build/earlyguard}"
	[ -x "$EARLYGUARD_BIN" ] || skip "$EARLYGUARD_BIN missing: run make"
	export EARLYGUARD_CONF="$BATS_TEST_TMPDIR/earlyguard.conf"
	export EARLYGUARD_KMSG="$BATS_TEST_TMPDIR/kmsg"
	: >"$EARLYGUARD_KMSG"
	export REC="$BATS_TEST_TMPDIR/calls"
	: >"$REC"
}
