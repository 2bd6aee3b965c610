#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M24 the fallback chain: with max_tries 2, slot A's kernel panics
# (eg_fault=panic on its command line) and reboots, twice; GRUB then boots
# B, which reaches the rootfs.  That boot is never confirmed, and B is
# then broken too: its second attempt panics and GRUB boots recovery
# (earlyguard.recover=fetch).  Recovery is not confirmed either: after its
# second attempt every entry has used up its attempts and GRUB starts a
# new round at A rather than stop.  No key is pressed anywhere.
#
# Bounds:
#   each kernel command line at most 60 s after the previous guest's reset
#   (host time), the first at most 90 s after QEMU start

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TRIES=2

# break_slot SLOT: SLOT's kernel panics 2 s into its initramfs.
break_slot() {
	local slot_env=/boot/earlyguard/$1/slot.env
	eg_env --file "$slot_env" get eg_slot_args || return 1
	eg_env --file "$slot_env" set "eg_slot_args=$EG_ENV_OUT eg_fault=panic earlyguard.panic=2s"
}

# panics N ENTRY ATTEMPT: guest boot N of this QEMU is ENTRY's attempt
# ATTEMPT, it panics, and the guest is reset.
panics() {
	local n=$1 from
	if [ "$n" = 1 ]; then from=$EG_T_START; else from=$EG_SEEN_AT; fi
	eg_expect_boot "$n" 120 || return 1
	EG_PART=$n
	eg_expect "] Command line: " 60 || return 1
	eg_check_host "boot $n: previous reset (or QEMU start) to kernel command line" "$from" "$EG_SEEN_AT" 0 90
	eg_expect_entry "$2" "$3" "egtest.slot=$2" eg_fault=panic
	eg_expect "Kernel panic - not syncing" 90 || return 1
	eg_expect_event RESET 30 "$n" || return 1
}

m24() {
	eg_disk_setup || return 1
	eg_env set eg_max_tries=$TRIES || return 1
	break_slot A || return 1

	EG_REBOOTS=1
	eg_boot 1 400 "" || return 1
	panics 1 A 1 || return 1
	panics 2 A 2 || return 1
	local reset=$EG_SEEN_AT
	eg_expect_boot 3 120 || return 1
	EG_PART=3
	eg_expect "] Command line: " 60 || return 1
	eg_check_host "A used up: reset to B's kernel command line" "$reset" "$EG_SEEN_AT" 0 60
	eg_expect_entry B 1 egtest.slot=B
	eg_expect EG-ROOTFS-UP 90 || return 1
	EG_PART=
	eg_stop || return 1
	eg_expect_outcome stopped
	eg_env_is eg_A_tries 2 eg_B_tries 1 eg_entry B eg_attempt 1

	# B is broken as well; its boot above was not confirmed.
	break_slot B || return 1
	eg_boot 2 400 "" || return 1
	panics 1 B 2 || return 1
	reset=$EG_SEEN_AT
	eg_expect_boot 2 120 || return 1
	EG_PART=2
	eg_expect "] Command line: " 60 || return 1
	eg_check_host "B used up: reset to recovery's kernel command line" "$reset" "$EG_SEEN_AT" 0 60
	eg_expect_entry recovery 1 egtest.slot=recovery earlyguard.recover=fetch
	EG_PART=
	eg_stop || return 1
	eg_env_is eg_A_tries 2 eg_B_tries 2 eg_recovery_tries 1 eg_entry recovery

	# Recovery's second attempt, not confirmed either (the test quits it).
	EG_REBOOTS=0
	eg_boot 3 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry recovery 2 earlyguard.recover=fetch
	eg_stop || return 1

	# Every entry has used up its attempts: a new round starts at A.
	eg_boot 4 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry A 1 egtest.slot=A
	eg_expect "earlyguard: every entry used up its $TRIES attempts: starting again" 0
	eg_stop || return 1
	eg_env_is eg_A_tries 1 eg_B_tries 0 eg_recovery_tries 0 eg_entry A
	eg_absent "Press any key to continue"
}

eg_scenario M24 "GRUB fallback chain: A panics max_tries times, B boots; B too, recovery boots; then a new round" m24
