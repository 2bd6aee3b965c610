#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M20 boot through GRUB from disk.img: the default entry A boots with
# earlyguard.entry=A earlyguard.attempt=1 all the way to the rootfs on
# vda2; GRUB counted the attempt in the grubenv before the kernel ran; the
# operator's disarm resets the count, so the next boot is attempt 1 again;
# a boot nobody confirms (the test quits it, like a power cut) leaves the
# count up, and the one after is attempt 2.
#
# Bounds:
#   the kernel command line at most 90 s after QEMU start (host time;
#   GRUB reads ~10 MB through the BIOS under TCG: about 15 s)
#   EG-ROOTFS-UP at most 60 s after the command line was seen (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

m20() {
	eg_disk_setup || return 1
	eg_env_is eg_default A eg_max_tries 3

	EG_NET=1
	eg_boot 1 240 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_check_host "QEMU start to kernel command line" "$EG_T_START" "$EG_SEEN_AT" 0 90
	eg_expect_entry A 1 egtest.slot=A
	local cmdline_seen=$EG_SEEN_AT
	eg_expect "earlyguard: booting A, attempt 1 of 3" 0
	eg_expect EG-ROOTFS-UP 60 || return 1
	eg_check_host "kernel command line to EG-ROOTFS-UP" "$cmdline_seen" "$EG_SEEN_AT" 0 60
	eg_expect EG-SSH-READY 60 || return 1
	eg_ssh_wait root 30 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_has confirmed
	eg_ssh_has "grubenv: A marked good (tries 0)"
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line boot_entry "A, attempt 1 of 3"
	eg_stop || return 1
	eg_expect_outcome stopped
	# What GRUB wrote before it loaded the kernel.
	eg_env_is eg_entry A eg_attempt 1 eg_trial ""
	# What earlyguard disarm wrote: the boot is good, A's count is reset.
	eg_env_is eg_ok 1 eg_A_tries 0

	# The count was reset: attempt 1 again.  Quit unconfirmed.
	EG_NET=0
	eg_boot 2 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry A 1 egtest.slot=A
	eg_stop || return 1
	eg_env_is eg_entry A eg_attempt 1 eg_A_tries 1 eg_ok 0

	# Nobody confirmed boot 2: attempt 2.
	eg_boot 3 120 "" || return 1
	eg_expect "] Command line: " 90 || return 1
	eg_expect_entry A 2 egtest.slot=A
	eg_stop || return 1
	eg_env_is eg_entry A eg_attempt 2 eg_A_tries 2 eg_B_tries 0
}

eg_scenario M20 "GRUB default A: attempt counted before boot, reset by disarm, counted up when unconfirmed" m20
