#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M33 the connection drops mid-transfer: the test server cuts the kernel's
# body after 3 MB, once.  The recovery entry's fetch asks for the rest
# with a Range, the server answers 206, the kernel completes and verifies,
# the trial slot is written and selected, and the trial boots the
# fetched bundle.
#
# Bounds:
#   the reboot into the trial at most 60 s after "earlyguard: armed"
#   (guest time)
#   the first retry waits at most 1.5 s (EG_FETCH_BACKOFF_BASE_MS, equal
#   jitter: 0.5..1 s, printed with one decimal)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

CUT=3000000

m33() {
	eg_disk_setup || return 1
	eg_bundle "$EG_WORK/bundle" M33 || return 1
	eg_fetch_server "$EG_WORK/bundle" --cut-after "$CUT" || return 1
	eg_recovery_once earlyguard.fetch_deadline=2m || return 1

	EG_REBOOTS=1
	eg_boot 1 240 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry recovery 1 earlyguard.recover=fetch
	eg_expect "fetch: trial slot written and verified; next boot: trial (one-shot)" 120 || return 1
	eg_expect "earlyguard: rebooting: " 30 || return 1
	eg_check_guest "armed to the reboot into the trial" "earlyguard: armed " "earlyguard: rebooting: " 0 60
	eg_expect_line "fetch: retry 1 in " "vmlinuz"
	local wait
	wait=$(eg_lines "fetch: retry 1 in " | sed -n 's/.*retry 1 in \([0-9.]*\)s: .*/\1/p' | head -n 1)
	if [ -n "$wait" ]; then
		eg_check "first retry's wait" "$wait" 0.5 1.5 guest
	else
		eg_fail "no wait on the 'fetch: retry 1' line"
	fi
	eg_server_log_has "GET /vmlinuz HTTP/1.1"
	eg_server_log_has "GET /vmlinuz HTTP/1.1 Range: bytes=$CUT-"
	[ "$(grep -c '^GET /manifest HTTP' "$EG_WORK/server.log")" = 1 ] ||
		eg_fail "the manifest was fetched again: $(tr '\n' '|' <"$EG_WORK/server.log")"

	eg_expect_boot 2 60 || return 1
	EG_PART=2
	eg_expect "] Command line: " 60 || return 1
	eg_expect_entry trial 1 egtest.slot=none
	eg_expect "EG-TEST: known-good bundle M33" 60 || return 1
	eg_expect EG-ROOTFS-UP 90 || return 1
	EG_PART=
	eg_stop || return 1
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a watchdog reset: $(eg_events WATCHDOG) WATCHDOG events"
	eg_expect_fetched trial
}

eg_scenario M33 "connection dropped mid-transfer: resumed with a Range, completes, verifies, boots" m33
