#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M21 a one-shot trial through GRUB, confirmed and promoted: the operator
# runs `earlyguard trial trial` on the running default; the scheduled
# trial boots once (earlyguard.entry=trial earlyguard.attempt=1) and GRUB
# has consumed it in the grubenv before its kernel ran; the operator
# confirms it over ssh and promotes it: the trial's files become slot B
# and B the default.  The next boot is B with the trial's kernel command
# line, and when B has used up its attempts the old default A is its
# fallback.
#
# Bounds:
#   each kernel command line at most 90 s after QEMU start (host time)
#   EG-SSH-READY at most 90 s after the command line was seen (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

m21() {
	eg_disk_setup || return 1
	# The operator schedules the trial from the running default (the test
	# then quits that VM, as a power cut would).
	EG_NET=1
	eg_boot 1 240 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry A 1 egtest.slot=A
	eg_expect EG-SSH-READY 90 || return 1
	eg_ssh_wait root 30 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_expect 0 root earlyguard trial trial || return 1
	eg_ssh_has "next boot only: trial"
	eg_stop || return 1
	eg_env_is eg_trial trial eg_A_tries 0

	eg_boot 2 240 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_check_host "QEMU start to kernel command line" "$EG_T_START" "$EG_SEEN_AT" 0 90
	eg_expect_entry trial 1 egtest.slot=trial
	eg_expect EG-SSH-READY 90 || return 1
	eg_ssh_wait root 30 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_has confirmed
	eg_ssh_expect 0 root earlyguard promote || return 1
	eg_stop || return 1
	eg_expect_outcome stopped
	# Consumed before it was booted, in the same write as the attempt.
	eg_env_is eg_trial "" eg_entry trial eg_attempt 1
	# disarm marked it good; promote copied the trial slot over B (the
	# non-default slot: boot 2 shows the trial's own arguments) and made B
	# the default.
	eg_env_is eg_ok 1 eg_default B eg_B_tries 0

	# The promoted trial is the default now.
	EG_NET=0
	eg_boot 3 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry B 1 egtest.slot=trial
	eg_absent "earlyguard: booting trial"
	eg_stop || return 1
	eg_env_is eg_default B eg_entry B eg_attempt 1 eg_trial ""

	# The old default is the fallback now: once B has used up its attempts
	# (the test says so in the grubenv), A boots.
	eg_env set eg_B_tries=3 || return 1
	eg_boot 4 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry A 1 egtest.slot=A
	eg_stop || return 1
	eg_env_is eg_default B eg_entry A eg_A_tries 1 eg_B_tries 3
}

eg_scenario M21 "GRUB one-shot trial confirmed and promoted: trial consumed before boot, then the default, old default its fallback" m21
