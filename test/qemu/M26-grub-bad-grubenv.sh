#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M26 a damaged grubenv boots A.  Each case starts from a fresh copy of
# disk.img with B made the default first, so that A shows the grubenv was
# not believed:
#   1. every byte overwritten (no signature): load_env fails, A boots with
#      earlyguard.attempt=0 (not counted)
#   2. truncated to 100 bytes: A, attempt 0
#   3. removed: A, attempt 0
#   4. readable but with values GRUB never writes (eg_default=C,
#      eg_max_tries=0, eg_A_tries=banana, eg_trial=nonsense): each is taken
#      as absent, A boots, attempt 1, counted, and the one-shot cleared
# No key is pressed anywhere.
#
# Bounds:
#   each kernel command line at most 90 s after QEMU start (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# boots_a N ATTEMPT: boot N reaches A's kernel, attempt ATTEMPT.
boots_a() {
	eg_boot "$1" 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_check_host "case $1: QEMU start to kernel command line" "$EG_T_START" "$EG_SEEN_AT" 0 90
	eg_expect_entry A "$2" egtest.slot=A
	eg_absent "Press any key to continue"
	eg_stop
}

m26() {
	eg_disk_setup || return 1
	eg_env set eg_default=B || return 1
	eg_env corrupt || return 1
	boots_a 1 0 || return 1
	eg_expect "earlyguard: cannot read " 0

	eg_disk_setup || return 1
	eg_env set eg_default=B || return 1
	eg_env truncate 100 || return 1
	boots_a 2 0 || return 1

	eg_disk_setup || return 1
	eg_env set eg_default=B || return 1
	eg_env rm /boot/grub/grubenv || return 1
	boots_a 3 0 || return 1
	eg_expect "earlyguard: cannot read " 0

	eg_disk_setup || return 1
	eg_env set eg_default=C eg_max_tries=0 eg_A_tries=banana eg_trial=nonsense || return 1
	boots_a 4 1 || return 1
	eg_absent "earlyguard: booting nonsense"
	eg_env_is eg_entry A eg_attempt 1 eg_A_tries 1 eg_trial ""
}

eg_scenario M26 "GRUB with a corrupt, truncated, missing or nonsensical grubenv boots A" m26
