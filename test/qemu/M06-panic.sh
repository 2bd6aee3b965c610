#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M06 kernel panic in the initramfs (eg_fault=panic: sysrq 'c'). The
# watchdog timeout is long (30 s) and earlyguard.panic=5s, so the kernel's
# panic timeout that earlyguard sets, not the watchdog, must reboot.
#
# Bounds (PANIC = 5 s):
#   the kernel announces "Rebooting in 5 seconds"
#   QEMU exits PANIC-1..PANIC+3 s after the harness sees "Kernel panic"
#   (host time), outcome "reboot", not "watchdog"
#   the panic comes less than TIMEOUT after "earlyguard: armed" (guest
#   time), so a reset could only have come from the panic path

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=30
PANIC=5
DEADLINE=60

m06() {
	eg_boot 1 60 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.panic=${PANIC}s earlyguard.deadline=${DEADLINE}s eg_fault=panic" || return 1
	eg_expect "earlyguard: armed " 30 || return 1
	eg_expect "EG-TEST: panic injected" 30 || return 1
	eg_expect "Kernel panic - not syncing" 10 || return 1
	local panicked=$EG_SEEN_AT
	eg_expect "Rebooting in $PANIC seconds" 5 || return 1
	eg_expect_exit $((PANIC + 10)) || return 1
	eg_expect_outcome reboot
	eg_check_host "panic to exit" "$panicked" "$EG_T_EXIT" $((PANIC - 1)) $((PANIC + 3))
	eg_check_guest "armed to panic" "earlyguard: armed " "Kernel panic - not syncing" \
		0 "$TIMEOUT"
}

eg_scenario M06 "kernel panic in the initramfs: the panic timeout reboots" m06
