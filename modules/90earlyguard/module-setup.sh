#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# dracut module earlyguard (installed as
# /usr/lib/dracut/modules.d/90earlyguard/): puts earlyguard, its
# configuration, the shared library and the watchdog driver's modules in
# the image; arms the watchdog at the first cmdline hook; runs the
# recovery entry's known-good fetch at pre-mount; replaces the emergency
# shell with `earlyguard rescue`.  dracut sources this file and
# calls check, depends, installkernel and install with its own inst*,
# instmods and inst_hook; all decisions are in earlyguard-lib.sh.
# Tested with dracut's shell init (99base); see modules/README.md for a
# systemd initrd.

# eg_lib: the shared library, loaded once.
eg_lib() {
	[[ $(type -t eg_install_files) == function ]] && return 0
	# shellcheck source=SCRIPTDIR/../../hooks/earlyguard-lib.sh
	. "${EARLYGUARD_LIB:-/usr/lib/earlyguard/earlyguard-lib.sh}"
}

# called by dracut: 255 = only when asked for (--add earlyguard or
# add_dracutmodules+=" earlyguard "), never on its own.
check() {
	return 255
}

# called by dracut
depends() {
	echo base
	return 0
}

# called by dracut: the configured watchdog driver's modules.
installkernel() {
	local mods
	eg_lib || return 1
	mods=$(eg_driver_modules) || {
		derror "earlyguard: unable to read the watchdog driver from $EARLYGUARD_CONF"
		return 1
	}
	[[ -z $mods ]] && return 0
	# shellcheck disable=SC2086 # one module a word
	hostonly='' instmods $mods
}

# called by dracut
install() {
	local files src dst
	eg_lib || return 1
	files=$(eg_install_files) || {
		derror "earlyguard: $EARLYGUARD_BIN not found; the image would boot unguarded"
		return 1
	}
	while read -r src dst; do
		case $dst in
		"$EG_IMAGE_BIN") inst_binary "$src" "$dst" || return 1 ;;
		*) inst_simple "$src" "$dst" || return 1 ;;
		esac
	done <<<"$files"
	# shellcheck disable=SC2154 # moddir is set by dracut
	inst_hook cmdline 00 "$moddir/earlyguard-arm.sh"
	inst_hook pre-mount 00 "$moddir/earlyguard-fetch.sh"
	inst_hook emergency 00 "$moddir/earlyguard-emergency.sh"
	# a systemd initrd with rd.shell=0 runs only these before it halts
	inst_hook shutdown-emergency 00 "$moddir/earlyguard-emergency.sh"
}
