#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M30 the local boot cannot succeed, so the known-good bundle is fetched:
# with max_tries 1, A and B each look for a root device that is not there
# (their slot arguments name /dev/vdx) and their rescue reboots; GRUB then
# boots the recovery entry (earlyguard.recover=fetch), whose initramfs
# sets up 10.0.2.15/24 on eth0, fetches the signed bundle from the
# server at 10.0.2.100:80 (a guestfwd to the test's server on 127.0.0.1):
# a kernel, an initrd and a 64 MiB root filesystem.  It verifies each,
# writes the kernel and initrd into the trial slot on the boot partition
# and the root filesystem in place into the recovery root partition
# (fetch_rootfs=/dev/vda3), gives the slot arguments with root=/dev/vda3,
# and selects it once.  It reboots into it: the trial boots the fetched
# kernel and initrd (its hook says so) and the fetched root (its rcS says
# so), and is confirmed with `earlyguard disarm` over ssh.  No watchdog
# reset anywhere: every reboot is an orderly one.
#
# Bounds:
#   the recovery entry's kernel command line at most 150 s after QEMU
#   start (two failed boots before it; host time)
#   the recovery's reboot into the trial at most 60 s after its
#   "earlyguard: armed" (guest time)
#   the trial's EG-SSH-READY at most 120 s after the recovery's reset
#   (host time)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

# fails BOOT ENTRY: guest boot BOOT is ENTRY's first attempt, its root is
# missing and its rescue reboots.
fails() {
	eg_expect_boot "$1" 120 || return 1
	EG_PART=$1
	eg_expect "] Command line: " 60 || return 1
	eg_expect_entry "$2" 1 "egtest.slot=$2" root=/dev/vdx
	eg_expect "earlyguard: rebooting: " 60 || return 1
	eg_expect_line "earlyguard: fetch: " "recover=retry: no fetch"
}

m30() {
	eg_disk_setup || return 1
	EG_BUNDLE_ROOTFS=1 eg_bundle "$EG_WORK/bundle" M30 || return 1
	eg_fetch_server "$EG_WORK/bundle" || return 1
	eg_env set eg_max_tries=1 || return 1
	eg_slot_args A root=/dev/vdx earlyguard.rootwait=2s earlyguard.rescue=0 || return 1
	eg_slot_args B root=/dev/vdx earlyguard.rootwait=2s earlyguard.rescue=0 || return 1
	eg_slot_args recovery "$EG_FETCH_ARGS" earlyguard.fetch_deadline=2m \
		earlyguard.fetch_rootfs=/dev/vda3 || return 1
	eg_slot_sums trial || return 1
	local before=$EG_ENV_OUT

	EG_NET=1 EG_REBOOTS=1
	eg_boot 1 420 "" || return 1
	fails 1 A || return 1
	fails 2 B || return 1

	eg_expect_boot 3 120 || return 1
	EG_PART=3
	eg_expect "] Command line: " 60 || return 1
	eg_check_host "QEMU start to the recovery entry's command line" "$EG_T_START" "$EG_SEEN_AT" 0 150
	eg_expect_entry recovery 1 egtest.slot=recovery earlyguard.recover=fetch
	eg_expect "fetch: trial slot written and verified; next boot: trial (one-shot)" 120 || return 1
	eg_expect "earlyguard: rebooting: " 30 || return 1
	eg_expect_line "fetch: " "/dev/vda1 (ext4) mounted read-write on /egboot"
	eg_expect_line "net: " "eth0: address 10.0.2.15/24 set"
	eg_expect_line "fetch: manifest verified" "3 artifacts"
	eg_expect_line "fetch: bundle-rootfs.img " " 100% "
	eg_expect_line "fetch: /egboot/boot/earlyguard/trial/slot.env: eg_slot_args=" \
		"earlyguard.recover=retry root=/dev/vda3"
	eg_check_guest "recovery: armed to its reboot into the trial" "earlyguard: armed " \
		"earlyguard: rebooting: " 0 60
	eg_absent "EG-ROOTFS-UP"

	eg_expect_boot 4 60 || return 1
	local reset=$EG_SEEN_AT
	EG_PART=4
	eg_expect "] Command line: " 60 || return 1
	eg_expect_entry trial 1 egtest.slot=recovery root=/dev/vda3 earlyguard.recover=retry
	eg_expect "EG-TEST: known-good bundle M30" 60 || return 1
	eg_expect "EG-TEST: known-good rootfs M30" 60 || return 1
	eg_expect EG-SSH-READY 120 || return 1
	eg_check_host "recovery's reset to the trial's EG-SSH-READY" "$reset" "$EG_SEEN_AT" 0 120
	eg_ssh_wait root 30 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_has confirmed
	EG_PART=
	eg_stop || return 1
	eg_expect_outcome stopped
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a watchdog reset: $(eg_events WATCHDOG) WATCHDOG events"

	eg_expect_fetched trial /dev/vda3
	[ "$EG_ENV_OUT" != "$before" ] || eg_fail "the trial slot did not change"
	eg_env_is eg_entry trial eg_attempt 1 eg_ok 1 eg_trial ""
	eg_server_log_has "GET /manifest HTTP/1.1"
	eg_server_log_has "GET /manifest.sig HTTP/1.1"
	eg_server_log_has "GET /vmlinuz HTTP/1.1"
	eg_server_log_has "GET /bundle-initrd.img HTTP/1.1"
	eg_server_log_has "GET /bundle-rootfs.img HTTP/1.1"
}

eg_scenario M30 "local root broken: A and B fail, recovery fetches the signed bundle (kernel, initrd, rootfs) into the trial slot and the recovery root, the trial boots it and is confirmed" m30
