#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M34 the server is down for the whole fetch deadline (nothing listens
# behind the guestfwd: every connection is closed at once).  The recovery
# entry's fetch retries with a growing wait (each logged with its reason)
# until fetch_deadline, then gives up and reboots in order: the guard
# petted the watchdog throughout (no watchdog reset).  The next boot of
# the recovery entry remembers the failure and waits before its first try.
#
# Bounds:
#   the reboot FETCH_DEADLINE-RETRY_MAX-2..FETCH_DEADLINE+15 s after
#   "earlyguard: armed" (guest time): the fetch gives up as soon as the
#   next wait would end past its deadline, so up to one wait (at most
#   RETRY_MAX) early
#   at least 4 retries, each wait no shorter than the one before it
#   until the cap (equal jitter: 1, 2, 4, 8 s halves)
#   no WATCHDOG event (QMP)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

FETCH_DEADLINE=40
RETRY_MAX=8

m34() {
	eg_disk_setup || return 1
	# a port on 127.0.0.1 where nothing listens: busybox nc fails at once
	# and the guest's connection is closed
	EG_FETCH_PORT=1
	eg_recovery_once "earlyguard.fetch_deadline=${FETCH_DEADLINE}s" \
		"earlyguard.fetch_retry_max=${RETRY_MAX}s" earlyguard.timeout=10s || return 1
	eg_slot_sums trial || return 1
	local before=$EG_ENV_OUT

	eg_boot 1 240 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry recovery 1 earlyguard.recover=fetch
	eg_expect "earlyguard: rebooting: " $((FETCH_DEADLINE + 60)) || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a watchdog reset while the fetch waited"
	eg_expect_line "earlyguard: rebooting: " "fetch: deadline after "
	eg_expect_line "earlyguard: fetch: deadline: " "giving up; the slot and the grubenv are unchanged"
	eg_check_guest "armed to the reboot" "earlyguard: armed " "earlyguard: rebooting: " \
		$((FETCH_DEADLINE - RETRY_MAX - 2)) $((FETCH_DEADLINE + 15))
	local waits n
	waits=$(eg_lines "fetch: retry " | sed -n 's/.*fetch: retry [0-9]* in \([0-9.]*\)s: .*/\1/p')
	n=$(printf '%s\n' "$waits" | grep -c .)
	eg_note "retry waits: $(printf '%s\n' "$waits" | tr '\n' ' ')"
	[ "$n" -ge 4 ] || eg_fail "only $n retries within ${FETCH_DEADLINE}s: $waits"
	printf '%s\n' "$waits" | awk -v cap="$RETRY_MAX" '
		NR > 1 && $1 + 0 < prev / 2 && prev < cap { bad = 1 }
		$1 + 0 > cap + 0.05 { bad = 1 }
		{ prev = $1 + 0 }
		END { exit bad }' || eg_fail "the waits do not grow up to ${RETRY_MAX}s: $waits"
	eg_expect_line "fetch: retry 1 in " "/manifest"
	eg_absent "HTTP response line"
	eg_expect_refused "$before"

	# The next boot remembers: it waits before its first try.
	eg_env set eg_trial=recovery || return 1
	eg_boot 2 120 "" || return 1
	eg_expect "earlier fetch did not finish" 90 || return 1
	eg_expect_line "fetch: 1 earlier fetch did not finish" "waiting"
	eg_stop || return 1
}

eg_scenario M34 "server down for the whole fetch deadline: backoff visible, no watchdog reset, orderly reboot; the next boot waits first" m34
