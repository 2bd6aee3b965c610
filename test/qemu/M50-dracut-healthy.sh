#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M50 dracut image, healthy: Debian's dracut 059, run unpacked, shell init
# (images/build-dracut.sh: dash base rootfs-block earlyguard) arms the
# watchdog from the cmdline hook 00, mounts the root, and switch_root's
# chroot of PID 1 is seen by the guard; the rootfs daemon takes the
# watchdog over and an operator disarms over SSH.
#
# Bounds (TIMEOUT = 4 s, CONFIRM = 30 s, HANDOFF = 15 s):
#   "earlyguard: armed" at most 30 s after kernel start (guest time; TCG
#   and a udev-based image) and at most 10 s after "Run /init" (guest)
#   "earlyguard: switch_root seen", then "earlyguard: daemon: took over
#   the watchdog from the initramfs guard" 0..HANDOFF s after it (guest)
#   `earlyguard disarm` over ssh exits 0 and says "confirmed";
#   `earlyguard status` says "open since the initramfs, no gap"
#   no VM exit for 2 x TIMEOUT + 4 s after the disarm; then the test quits:
#   outcome "stopped", no WATCHDOG event, no dracut emergency shell

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
CONFIRM=30
HANDOFF=15
EG_INITRD_IMG=$EG_IMAGES/dracut.img

m50() {
	EG_NET=1
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS rd.retry=10 earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=90s earlyguard.handoff_timeout=${HANDOFF}s earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=15s" || return 1
	eg_expect "earlyguard: armed " 60 || return 1
	eg_expect_line "earlyguard: armed " "timeout ${TIMEOUT}s"
	eg_check "kernel start to armed" "$(eg_ktime "earlyguard: armed ")" 0 30 guest
	eg_check_guest "Run /init to armed" "Run /init as init process" "earlyguard: armed " 0 10
	eg_note "armed line: $(eg_lines "earlyguard: armed " | head -n 1 | tr -d '\r')"
	eg_expect "earlyguard: switch_root seen" 90 || return 1
	eg_expect "earlyguard: daemon: took over the watchdog from the initramfs guard" 60 || return 1
	eg_check_guest "switch_root seen to daemon took over" "earlyguard: switch_root seen" \
		"earlyguard: daemon: took over the watchdog" 0 "$HANDOFF"
	eg_expect "earlyguard: daemon: ready" 10 || return 1
	eg_expect EG-SSH-READY 30 || return 1
	eg_ssh_wait root 20 || return 1
	eg_ssh_expect 0 root earlyguard disarm || return 1
	eg_ssh_has confirmed
	eg_expect "earlyguard: disarm: boot confirmed" 10 || return 1
	eg_ssh_expect 0 root earlyguard status
	eg_ssh_line handoff "open since the initramfs, no gap"
	eg_ssh_line confirm confirmed

	local watch=$((2 * TIMEOUT + 4))
	if eg_await_exit "$watch"; then
		eg_fail "the VM ended (outcome $EG_OUTCOME) within $watch s after the disarm"
		return 1
	fi
	eg_stop || return 1
	eg_expect_outcome stopped
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event in qmp.log"
	eg_absent "Dropping to debug shell"
	eg_absent "earlyguard: rescue: "
}

eg_scenario M50 "dracut image, healthy: armed in the cmdline hook, handoff to the daemon, disarmed over ssh" m50
