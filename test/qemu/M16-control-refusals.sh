#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M16 the control socket refuses what it must: a non-root user's
# `earlyguard disarm` (over ssh as "op"), a garbage message and an
# oversized message (sent as root with the hidden test command
# `earlyguard control-raw`, which sends its stdin as one SOCK_SEQPACKET
# message and prints the reply). The daemon keeps running and keeps
# serving root.
#
# Bounds (CONFIRM = 60 s here, so the refusals cannot race the confirm
# deadline; every ssh call is bounded by EG_SSH_LIMIT = 30 s):
#   `/sbin/earlyguard disarm` as op exits 1 and says "refused"; the boot
#   stays unconfirmed (`status` as root: "confirm: pending"; no
#   "earlyguard: disarm: boot confirmed" on the console)
#   `echo GARBAGE | earlyguard control-raw`, binary garbage
#   (`printf '\001\377\033[2J\n' | ...`) and
#   `head -c 70000 /dev/zero | earlyguard control-raw` as root each exit 1
#   (refused) and say "refused", and each adds an "earlyguard: control:
#   refused" console line within 10 s (host time)
#   afterwards `earlyguard status` as root exits 0, `earlyguard disarm` as
#   root exits 0 and says "confirmed"; the VM never ended; the test quits:
#   outcome "stopped", no WATCHDOG event, no "earlyguard: orderly reboot"

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
CONFIRM=60
REFUSED="earlyguard: control: refused"

# m16_raw WHAT COMMAND: send one raw message as root; expect exit 1
# (refused), "refused" in the reply, one more refusal line on the console.
m16_raw() {
	local what=$1 n
	n=$(eg_count "$REFUSED")
	eg_ssh_expect 1 root "$2"
	eg_ssh_has refused
	eg_await_nth "$REFUSED" $((n + 1)) 10 ||
		eg_fail "$what: no new '$REFUSED' line on the console"
}

m16() {
	EG_NET=1
	eg_boot 1 150 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=60s earlyguard.handoff_timeout=15s earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=15s" || return 1
	eg_expect "earlyguard: daemon: ready" 60 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_wait op 10 || return 1

	# By its full path: a user's PATH has no /sbin.
	eg_ssh_expect 1 op /sbin/earlyguard disarm
	eg_ssh_has refused
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line confirm pending
	eg_absent "earlyguard: disarm: boot confirmed"

	m16_raw "garbage" 'echo GARBAGE | earlyguard control-raw'
	m16_raw "binary garbage" "printf '\\001\\377\\033[2J\\n' | earlyguard control-raw"
	m16_raw "oversized (70000 bytes)" 'head -c 70000 /dev/zero | earlyguard control-raw'

	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line confirm pending
	eg_ssh_expect 0 root earlyguard disarm
	eg_ssh_has confirmed
	eg_expect "earlyguard: disarm: boot confirmed" 10
	if eg_exited; then
		eg_await_exit 0
		eg_fail "the VM ended (outcome $EG_OUTCOME)"
		return 1
	fi
	eg_absent "earlyguard: orderly reboot"
	eg_stop || return 1
	eg_expect_outcome stopped
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event in qmp.log"
}

eg_scenario M16 "control socket: non-root disarm, garbage and oversized messages refused, daemon alive" m16
