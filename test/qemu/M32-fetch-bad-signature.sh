#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M32 the manifest's signature does not verify: first a bundle signed
# with a key the device does not have, then the right bundle with its
# manifest.sig tampered on the server.  Each time the recovery entry's
# fetch refuses the manifest before a single artifact is requested, says
# why, and reboots after its third try; the trial slot is untouched and
# nothing is selected.
#
# Bounds (each boot):
#   the reboot at most 60 s after "earlyguard: armed" (guest time)
#   QEMU exits at most 150 s after its start (host time), outcome reboot

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

# refused N WHY: boot N of the recovery entry ends in a reboot after the
# manifest was refused three times for WHY.
refused() {
	local before
	eg_slot_sums trial || return 1
	before=$EG_ENV_OUT
	eg_env set eg_trial=recovery || return 1
	eg_boot "$1" 180 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry recovery "$1" earlyguard.recover=fetch
	eg_expect "earlyguard: rebooting: " 120 || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	eg_expect_line "earlyguard: rebooting: " "fetch: verification failed 3 times: manifest.sig: $2"
	eg_expect_line "fetch: retry 2 in " "manifest.sig: $2"
	eg_check_guest "boot $1: armed to the reboot" "earlyguard: armed " "earlyguard: rebooting: " 0 60
	eg_check_host "boot $1: QEMU start to exit" "$EG_T_START" "$EG_T_EXIT" 0 150
	eg_expect_refused "$before"
	grep -v -e '^GET /manifest HTTP' -e '^GET /manifest.sig HTTP' "$EG_WORK/server.log" |
		grep . && eg_fail "an artifact was requested after a refused manifest"
	return 0
}

m32() {
	eg_disk_setup || return 1
	mkdir -p "$EG_WORK/otherkey"
	"$EG_MKBUNDLE" --new-key "$EG_WORK/otherkey" >>"$EG_WORK/bundle.log" 2>&1 ||
		{ eg_fail "make-bundle.sh --new-key failed"; return 1; }
	eg_bundle "$EG_WORK/bundle" M32 "$EG_WORK/otherkey/earlyguard-bundle.key.pem" || return 1
	eg_fetch_server "$EG_WORK/bundle" || return 1
	eg_slot_args recovery "$EG_FETCH_ARGS" earlyguard.fetch_deadline=2m || return 1
	refused 1 "signature: does not match the message and key (key /etc/earlyguard/fetch.pub.pem)" || return 1
	eg_kill_all

	# the right key, a tampered signature
	: >"$EG_WORK/server.log"
	eg_bundle "$EG_WORK/bundle" M32 || return 1
	eg_fetch_server "$EG_WORK/bundle" --tamper manifest.sig || return 1
	refused 2 "signature: " || return 1
}

eg_scenario M32 "manifest signature invalid (another key; a tampered signature): refused before any artifact, slot untouched" m32
