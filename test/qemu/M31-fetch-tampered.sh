#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M31 an artifact tampered on the server: the recovery entry's fetch
# finds the initrd's SHA-256 is not the signed manifest's, says so, and
# tries again from the manifest with a growing wait; after the third
# verification failure it gives up and reboots.  The trial slot is
# byte-for-byte what it was, no .part file is left and nothing is
# selected.
#
# Bounds:
#   the reboot at most 60 s after "earlyguard: armed" (guest time)
#   QEMU exits at most 150 s after its start (host time), outcome reboot

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

m31() {
	eg_disk_setup || return 1
	eg_bundle "$EG_WORK/bundle" M31 || return 1
	eg_fetch_server "$EG_WORK/bundle" --tamper bundle-initrd.img || return 1
	eg_recovery_once earlyguard.fetch_deadline=2m || return 1
	eg_slot_sums trial || return 1
	local before=$EG_ENV_OUT

	eg_boot 1 180 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry recovery 1 earlyguard.recover=fetch
	eg_expect "earlyguard: rebooting: " 120 || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	eg_expect_line "earlyguard: rebooting: " "fetch: verification failed 3 times"
	eg_expect_line "earlyguard: fetch: bundle-initrd.img: SHA-256 " "not the manifest's"
	eg_expect_line "fetch: retry 1 in " "bundle-initrd.img: SHA-256 "
	eg_expect_line "fetch: retry 2 in " "bundle-initrd.img: SHA-256 "
	eg_expect_line "earlyguard: fetch: refused: " "the slot and the grubenv are unchanged"
	eg_absent "next boot: trial"
	eg_check_guest "armed to the reboot" "earlyguard: armed " "earlyguard: rebooting: " 0 60
	eg_check_host "QEMU start to exit" "$EG_T_START" "$EG_T_EXIT" 0 150
	[ "$(grep -c '^GET /manifest HTTP' "$EG_WORK/server.log")" = 3 ] ||
		eg_fail "expected 3 manifest requests: $(tr '\n' '|' <"$EG_WORK/server.log")"
	eg_expect_refused "$before"
}

eg_scenario M31 "a tampered artifact: refused before selection, slot untouched, reason logged, retried with backoff" m31
