#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M36 a slow server: the test server sends the bundle at RATE bytes a
# second, so it takes about 10 s, five times fetch_timeout (2 s).  While
# bytes flow nothing times out; progress lines (bytes, percent, rate,
# ETA) appear about once a second; the bundle verifies, is selected, and
# the trial boots it.
#
# Bounds:
#   progress lines: at least TRANSFER/2 and at most TRANSFER+4 (one a
#   second at most, plus each artifact's last line), where TRANSFER is
#   the bundle's size / RATE in seconds
#   the reboot into the trial at most TRANSFER+40 s after
#   "earlyguard: armed" (guest time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

RATE=1000000

m36() {
	eg_disk_setup || return 1
	eg_bundle "$EG_WORK/bundle" M36 || return 1
	local size transfer
	size=$(cat "$EG_WORK/bundle/vmlinuz" "$EG_WORK/bundle/bundle-initrd.img" | wc -c)
	transfer=$((size / RATE))
	eg_fetch_server "$EG_WORK/bundle" --rate "$RATE" || return 1
	eg_recovery_once earlyguard.fetch_deadline=2m earlyguard.fetch_timeout=2s || return 1

	EG_REBOOTS=1
	eg_boot 1 240 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry recovery 1 earlyguard.recover=fetch
	eg_expect "fetch: trial slot written and verified; next boot: trial (one-shot)" $((transfer + 90)) || return 1
	eg_expect "earlyguard: rebooting: " 30 || return 1
	eg_check_guest "armed to the reboot into the trial" "earlyguard: armed " "earlyguard: rebooting: " \
		0 $((transfer + 40))
	eg_absent "fetch: retry "
	local lines
	lines=$(eg_lines "fetch: " | grep -cE '^fetch: (vmlinuz|bundle-initrd\.img) .* [0-9]+% .* ETA ')
	eg_note "progress lines: $lines for $size bytes at $RATE B/s"
	eg_check "progress lines" "$lines" $((transfer / 2)) $((transfer + 4)) count
	eg_expect_line "fetch: vmlinuz " " KiB/s ETA "
	[ "$(grep -c '^GET ' "$EG_WORK/server.log")" = 4 ] ||
		eg_fail "expected 4 requests: $(tr '\n' '|' <"$EG_WORK/server.log")"

	eg_expect_boot 2 60 || return 1
	EG_PART=2
	eg_expect "EG-TEST: known-good bundle M36" 90 || return 1
	EG_PART=
	eg_stop || return 1
	eg_expect_fetched trial
}

eg_scenario M36 "a slow server: progress about once a second, no timeout while bytes flow, verified and booted" m36
