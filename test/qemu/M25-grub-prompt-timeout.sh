#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M25 GRUB's prompts: a disk installed the way grub-install does it
# (core.img sets the prefix, then normal mode), broken so that GRUB stops
# at a prompt with nobody at the console:
#   grub.cfg missing      -> `grub>`
#   normal.mod missing    -> `grub rescue>`
#   the only entry's kernel missing -> "Press any key", then the menu with
#                            no countdown that every failed entry leaves
# The patched GRUB (make grub, build/grub) reboots after eg_prompt_timeout
# (5 s here) without a key; stock GRUB (grub-pc-bin) on the same disk is
# still waiting when the hang bound expires: the patch is what fixes it.
# With eg_prompt_timeout set nowhere the patched GRUB waits its default,
# 60 s, and reboots.  (images/build-disk.sh's own disk.img does not reach
# these prompts: its core.img config and earlyguard.cfg close them in
# configuration; M23 shows that path.)
#
# The boots and their measurements are grub/test-patch.sh's; this runs it
# with the matrix's results directory and turns its verdicts into this
# scenario's.
#
# Bounds (host time, from the prompt's first appearance on the serial
# console to QEMU's exit on the guest's reboot):
#   patched, eg_prompt_timeout=5: 4..30 s (the linux case adds GRUB's own
#     10 s "Press any key" pause: 14..30 s; that pause itself 9..15 s)
#   patched, default: 59..90 s
#   stock: still at the prompt, QEMU running, 30 s after QEMU start

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

m25() {
	local script=$EG_TOP/grub/test-patch.sh log=$EG_WORK/test-patch.log rc=0 line n=0
	if [ ! -f "$EG_BUILD/grub/i386-pc/kernel.img" ]; then
		eg_fail "no patched GRUB in $EG_BUILD/grub: run make grub"
		return 1
	fi
	EG_GRUB_DIR=$EG_BUILD/grub OUT=$EG_WORK/grub PROMPT_TIMEOUT=5 HANG_TIMEOUT=30 \
		"$script" grubcfg rescue linux default >"$log" 2>&1 || rc=$?

	while IFS= read -r line; do
		case $line in
		'== '* | '  patched:'* | '  stock:'*) eg_note "${line#  }" ;;
		'  ok    '*) n=$((n + 1)); eg_note "ok: ${line#  ok    }" ;;
		'  FAIL  '*) eg_fail "${line#  FAIL  }" ;;
		esac
	done <"$log"
	# grubcfg, rescue, linux: patched and stock; linux: the pause; default
	if [ "$n" != 8 ]; then
		eg_fail "test-patch.sh: $n of 8 checks passed (exit $rc): $(tail -n 3 "$log" | tr '\n' ' ')"
	fi
	[ "$rc" = 0 ] || eg_fail "test-patch.sh exited $rc (log: $log)"
}

eg_scenario M25 "GRUB prompts (grub>, grub rescue>, the menu after every entry failed): the patched GRUB reboots within eg_prompt_timeout with no key, stock GRUB hangs" m25
