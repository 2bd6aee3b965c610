#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M54 dracut image with the systemd module (a systemd initrd:
# images/build-dracut.sh's dracut-systemd.img, dash systemd systemd-initrd
# dracut-systemd base rootfs-block earlyguard).  The module needs no unit
# of its own: dracut-cmdline.service sources the cmdline hooks (our arm
# hook, 00) before udev starts, KillMode=process leaves the guard running
# when that service is stopped, and the guard's argv[0] starting with '@'
# spares it from systemd's killing before switch-root.  dracut's
# emergency.service runs /bin/dracut-emergency, which sources the
# emergency hooks (ours: earlyguard rescue) before sulogin.
#
# Boot 1, healthy (TIMEOUT = 4 s, CONFIRM = 30 s, HANDOFF = 15 s):
#   "earlyguard: armed" at most 30 s after "Run /init" (guest)
#   (systemd's switch-root needs the rootfs's /etc/os-release, which
#   images/build.sh writes)
#   "earlyguard: switch_root seen", then "earlyguard: daemon: took over
#   the watchdog from the initramfs guard" 0..HANDOFF s after it (guest)
#   `earlyguard disarm` over ssh exits 0 and says "confirmed";
#   no VM exit for 2 x TIMEOUT + 4 s after the disarm; no WATCHDOG event
# Boot 2, root missing (root=/dev/vdx rd.timeout=RTO, RTO = 10 s; without
# rd.timeout systemd waits 90 s for the device):
#   "earlyguard: rescue: " RTO-5..RTO+30 s after "earlyguard: armed" (the
#   device job's timer starts before dracut-cmdline.service arms)
#   "earlyguard: rebooting: " RESCUE-0.2..RESCUE+2 s after it
#   outcome "reboot"; no "Entering emergency mode", no EG-ROOTFS-UP
# Boot 3, root missing with rd.shell=0 (dracut-emergency then sources only
# the shutdown-emergency hooks and halts; our hook is installed there too):
#   "earlyguard: rescue: no shell was asked for", "rebooting" 0..2 s after
#   the rescue line (guest), outcome "reboot" (not a halted VM), no shell

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=SCRIPTDIR/generator.sh
. "$(dirname "${BASH_SOURCE[0]}")/generator.sh"

TIMEOUT=4
CONFIRM=30
HANDOFF=15
RTO=10
RESCUE=5
EG_INITRD_IMG=${EG_M54_IMG:-$EG_IMAGES/dracut-systemd.img}

m54() {
	EG_NET=1
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=90s earlyguard.handoff_timeout=${HANDOFF}s earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=15s" || return 1
	eg_expect "earlyguard: armed " 90 || return 1
	eg_expect_line "earlyguard: armed " "timeout ${TIMEOUT}s"
	eg_check_guest "Run /init to armed" "Run /init as init process" "earlyguard: armed " 0 30
	eg_note "armed line: $(eg_lines "earlyguard: armed " | head -n 1 | tr -d '\r')"
	eg_expect "earlyguard: switch_root seen" 120 || return 1
	eg_expect "earlyguard: daemon: took over the watchdog from the initramfs guard" 60 || return 1
	eg_check_guest "switch_root seen to daemon took over" "earlyguard: switch_root seen" \
		"earlyguard: daemon: took over the watchdog" 0 "$HANDOFF"
	eg_expect EG-SSH-READY 40 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_has confirmed
	eg_gen_disarm_holds || return 1
	eg_absent "earlyguard: rescue: "

	EG_NET=0
	eg_boot 2 150 "$EG_BASE_APPEND root=/dev/vdx rootfstype=ext4 rd.timeout=$RTO earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=120s earlyguard.rescue=${RESCUE}s" || return 1
	eg_expect "earlyguard: armed " 90 || return 1
	eg_expect "earlyguard: rescue: " $((RTO + 60)) || return 1
	eg_expect "earlyguard: rebooting: " $((RESCUE + 10)) || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	eg_check_guest "armed to rescue" "earlyguard: armed " "earlyguard: rescue: " \
		$((RTO - 5)) $((RTO + 30))
	eg_check_guest "rescue to rebooting" "earlyguard: rescue: " "earlyguard: rebooting: " \
		"$(eg_sub "$RESCUE" 0.2)" $((RESCUE + 2))
	eg_note "rescue line: $(eg_lines "earlyguard: rescue: " | head -n 1 | tr -d '\r')"
	eg_absent "Entering emergency mode"
	eg_absent EG-ROOTFS-UP

	# rd.shell=0: dracut-emergency runs only the shutdown-emergency hooks,
	# then halts (which would stop the watchdog for good)
	eg_boot 3 150 "$EG_BASE_APPEND root=/dev/vdx rootfstype=ext4 rd.timeout=$RTO rd.shell=0 earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=120s earlyguard.rescue=${RESCUE}s" || return 1
	eg_expect "earlyguard: armed " 90 || return 1
	eg_expect "earlyguard: rescue: no shell was asked for" $((RTO + 60)) || return 1
	eg_expect "earlyguard: rebooting: " 10 || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	eg_check_guest "rd.shell=0: rescue to rebooting" "earlyguard: rescue: " "earlyguard: rebooting: " 0 2
	eg_absent "earlyguard: rescue: a shell is open"
	eg_absent "Entering emergency mode"
}

eg_scenario M54 "dracut with the systemd module: armed from dracut-cmdline.service, handoff, disarm; root missing: rescue, reboot" m54
