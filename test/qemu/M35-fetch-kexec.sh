#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M35 the kexec mode: a device that boots the fetched kernel without
# writing it.  The kernel is started directly (no GRUB) as the recovery
# entry with earlyguard.recover=kexec; its initramfs fetches the signed
# bundle into memory (/run/earlyguard/kexec), verifies it, loads it with
# kexec_file_load and boots it: a second kernel banner in the same guest
# boot, no reset, no reboot.  The fetched kernel runs the bundle's initrd
# (its hook says so) with the command line less the recovery words and
# with earlyguard.recover=retry (so it never fetches again), re-arms the
# watchdog and reaches the rootfs.  Nothing was written to any disk.
#
# Bounds:
#   the kexec at most 60 s after "earlyguard: armed" (guest time)
#   the fetched kernel's EG-ROOTFS-UP at most 90 s after the kexec (host)
#   no RESET and no WATCHDOG event (QMP)

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/fetch.sh"

m35() {
	eg_bundle "$EG_WORK/bundle" M35 || return 1
	eg_fetch_server "$EG_WORK/bundle" || return 1
	local sum
	sum=$(sha256sum <"$EG_ROOTFS")

	EG_REBOOTS=1
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS $EG_FETCH_ARGS earlyguard.entry=recovery earlyguard.recover=kexec earlyguard.fetch_deadline=2m" || return 1
	EG_PART=1
	eg_expect "fetch: /run/earlyguard/kexec written and verified; kexec next" 120 || return 1
	eg_expect "earlyguard: fetch: booting the fetched kernel (kexec)" 30 || return 1
	eg_check_guest "armed to the kexec" "earlyguard: armed " \
		"earlyguard: fetch: booting the fetched kernel (kexec)" 0 60
	eg_expect_line "fetch: kexec loaded " "earlyguard.recover=retry"
	eg_absent "EG-ROOTFS-UP"

	eg_expect_boot 2 60 || return 1
	local kexec_at=$EG_SEEN_AT
	EG_PART=2
	eg_expect "] Command line: " 60 || return 1
	local line
	line=$(eg_cmdline)
	case " $line " in
	*" earlyguard.recover=retry "*) ;;
	*) eg_fail "the fetched kernel's command line lacks earlyguard.recover=retry: $line" ;;
	esac
	case " $line " in
	*" earlyguard.entry="* | *" earlyguard.recover=kexec "*)
		eg_fail "the fetched kernel's command line still has the recovery words: $line" ;;
	esac
	eg_expect "EG-TEST: known-good bundle M35" 60 || return 1
	eg_expect "earlyguard: armed " 60 || return 1
	eg_expect "previous boot: " 30 || return 1
	eg_expect_line "previous boot: " "fetch: kexec into the verified bundle"
	eg_expect EG-ROOTFS-UP 90 || return 1
	eg_check_host "kexec to the fetched kernel's EG-ROOTFS-UP" "$kexec_at" "$EG_SEEN_AT" 0 90
	eg_absent "earlyguard: fetch: "
	EG_PART=
	eg_stop || return 1
	[ "$(eg_events RESET)" = 0 ] || eg_fail "a reset: $(eg_events RESET) RESET events (kexec needs none)"
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a watchdog reset: $(eg_events WATCHDOG) WATCHDOG events"
	[ "$(sha256sum <"$EG_ROOTFS")" = "$sum" ] || eg_fail "the root image changed"
	eg_server_log_has "GET /vmlinuz HTTP/1.1"
}

eg_scenario M35 "kexec mode: the fetched, verified kernel booted directly, nothing written, no reset" m35
