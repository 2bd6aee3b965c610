#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M07 bad configuration: garbage in /etc/earlyguard.conf and on the kernel
# command line. A per-scenario overlay replaces the image's file with three
# bad lines (lines 2-4) followed by the image's own file
# (images/initramfs.conf: driver, the modules that reach the root disk).
# Every bad key is named (file:line for the file), and the machine still
# boots guarded, with defaults for the refused values.
#
# Bounds:
#   "earlyguard: armed" at most 10 s after kernel start (guest time), with
#   a timeout of 1..600 s (a default, not 99999h)
#   EG-ROOTFS-UP at most 30 s after QEMU start (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

CONF=/etc/earlyguard.conf

m07() {
	{
		cat <<-'CONF'
		# M07: garbage on purpose; earlyguard must name every bad line
		timeout=banana
		nonsense_key=1
		this line has no equals sign
		CONF
		cat "$EG_TOP/images/initramfs.conf"
	} >"$EG_WORK/earlyguard.conf" || { eg_fail "cannot write earlyguard.conf"; return 1; }
	echo "file $CONF $EG_WORK/earlyguard.conf 0644" >"$EG_WORK/overlay.spec"
	eg_initrd "$EG_WORK/overlay.spec" || return 1

	eg_boot 1 60 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.deadline=-5 earlyguard.timeout=99999h earlyguard.bogus=1" || return 1
	eg_expect "earlyguard: armed " 30 || return 1
	eg_check "kernel start to armed" "$(eg_ktime "earlyguard: armed ")" 0 10 guest
	eg_expect EG-ROOTFS-UP 30 || return 1
	eg_check_host "QEMU start to EG-ROOTFS-UP" "$EG_T_START" "$EG_SEEN_AT" 0 30

	eg_expect_line "earlyguard: $CONF:2: " timeout
	eg_expect_line "earlyguard: $CONF:3: " nonsense_key
	eg_expect "earlyguard: $CONF:4: " 0
	eg_expect_line "earlyguard: kernel command line: earlyguard.deadline=-5: " "deadline: invalid value"
	eg_expect_line "earlyguard: kernel command line: earlyguard.timeout=99999h: " "timeout: invalid value"
	eg_expect_line "earlyguard: kernel command line: earlyguard.bogus=1: " "unknown key 'bogus'"

	local t
	t=$(eg_lines "earlyguard: armed " | sed -n 's/.*timeout \([0-9][0-9]*\)s.*/\1/p' | head -n 1)
	if [ -z "$t" ]; then
		eg_fail "the armed line names no 'timeout Ns'"
	else
		eg_check "armed with timeout" "$t" 1 600 configured
	fi
	eg_stop || return 1
	eg_expect_outcome stopped
}

eg_scenario M07 "bad configuration: each bad key named, boots guarded with defaults" m07
