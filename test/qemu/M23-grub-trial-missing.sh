#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M23 the scheduled trial's kernel file is missing: GRUB consumes the
# one-shot, fails to load the kernel, and goes straight on to the default
# A inside the same entry: no "Press any key", no menu, no key pressed
# (the serial console has no input at all).  The boot after is the
# default again, never the trial.  With every kernel missing, GRUB tries
# each entry once, counts each attempt, and its last resort reboots.
#
# Bounds:
#   A's kernel command line at most 60 s after QEMU start (host time; a
#   normal boot to the command line takes about 15-30 s here, GRUB's
#   "Press any key" wait alone would be 10 s more)
#   every kernel missing: QEMU exits (guest reboot) 3..20 s after the
#   harness sees "earlyguard: rebooting in 5 s" (the disk's last resort
#   sleeps 5 s), and at most 90 s after QEMU start

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

m23() {
	eg_disk_setup || return 1
	eg_env rm /boot/earlyguard/trial/vmlinuz || return 1
	# Scheduled from the host as `earlyguard trial trial` does (M21 runs the
	# command itself in a guest).
	eg_env set eg_trial=trial || return 1

	eg_boot 1 120 "" || return 1
	eg_expect "] Command line: " 60 || return 1
	eg_check_host "QEMU start to the fallback's kernel command line" "$EG_T_START" "$EG_SEEN_AT" 0 60
	eg_expect_entry A 1 egtest.slot=A
	eg_expect "earlyguard: booting trial, attempt 1 of 3" 0
	eg_expect "file \`/boot/earlyguard/trial/vmlinuz' not found" 0
	eg_expect "earlyguard: trial could not be booted" 0
	eg_expect "earlyguard: booting A, attempt 1 of 3" 0
	eg_absent "Press any key to continue"
	eg_absent "Falling back to"
	eg_stop || return 1
	eg_env_is eg_trial "" eg_entry A eg_attempt 1 eg_A_tries 1

	eg_boot 2 120 "" || return 1
	eg_expect "] Command line: " 60 || return 1
	eg_expect_entry A 2 egtest.slot=A
	eg_absent "earlyguard: booting trial"
	eg_stop || return 1
	eg_env_is eg_trial "" eg_entry A eg_attempt 2

	local s
	for s in A B recovery; do
		eg_env rm "/boot/earlyguard/$s/vmlinuz" || return 1
	done
	eg_boot 3 120 "" || return 1
	# The second of the last resort's two lines: then the sleep starts.
	eg_expect "earlyguard: rebooting in 5 s" 90 || return 1
	local last=$EG_SEEN_AT
	eg_expect "earlyguard: last resort: no entry could be booted" 0
	eg_expect_exit 30 || return 1
	eg_expect_outcome reboot
	eg_check_host "last resort seen to QEMU exit" "$last" "$EG_T_EXIT" 3 20
	eg_check_host "QEMU start to QEMU exit" "$EG_T_START" "$EG_T_EXIT" 0 90
	eg_absent "Press any key to continue"
	eg_absent "] Linux version "
	# Each entry was tried once and counted; the last one tried is recovery.
	eg_env_is eg_A_tries 3 eg_B_tries 1 eg_recovery_tries 1 eg_entry recovery
}

eg_scenario M23 "GRUB trial kernel missing: the one-shot is consumed and A boots within the bound, no key pressed; no kernel at all: the last resort reboots" m23
