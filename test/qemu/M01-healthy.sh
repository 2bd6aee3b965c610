#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# M01 healthy boot: the watchdog is armed, root is mounted, switch_root
# happens, and the guard keeps petting in the rootfs.  The initramfs
# deadline (10 s) runs out during the watch: switch_root must have
# cancelled it.
#
# Bounds:
#   "earlyguard: armed" at most 10 s after kernel start (guest time)
#   EG-ROOTFS-UP at most 30 s after QEMU start (host time)
#   no reset for 3 x TIMEOUT = 12 s after EG-ROOTFS-UP (host time); then
#   the test quits the VM: outcome "stopped", no WATCHDOG event
#   "earlyguard: switch_root seen" within that window
#   the watch ends more than DEADLINE + 1 = 11 s after "armed" was seen
#   (host time), so a deadline left running would have rebooted the VM

# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

TIMEOUT=4
DEADLINE=10

m01() {
	eg_boot 1 90 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=${DEADLINE}s" || return 1
	local armed_seen now
	eg_expect "earlyguard: armed " 30 || return 1
	armed_seen=$EG_SEEN_AT
	eg_expect_line "earlyguard: armed " "timeout ${TIMEOUT}s"
	eg_check "kernel start to armed" "$(eg_ktime "earlyguard: armed ")" 0 10 guest
	eg_expect EG-ROOTFS-UP 30 || return 1
	eg_check_host "QEMU start to EG-ROOTFS-UP" "$EG_T_START" "$EG_SEEN_AT" 0 30

	# Awaiting the VM's end, which must not come: any reset in this
	# window means the guard stopped petting after switch_root.
	local watch=$((3 * TIMEOUT))
	if eg_await_exit "$watch"; then
		eg_fail "the VM ended (outcome $EG_OUTCOME) within $watch s after EG-ROOTFS-UP"
		return 1
	fi
	eg_note "no reset for $watch s after EG-ROOTFS-UP"
	eg_now now
	eg_check_host "armed seen to end of watch (past the deadline)" "$armed_seen" "$now" \
		$((DEADLINE + 1)) 120
	eg_expect "earlyguard: switch_root seen" 0
	eg_stop || return 1
	eg_expect_outcome stopped
	! grep -aq '"WATCHDOG"' "$EG_QMPLOG" || eg_fail "a WATCHDOG event in qmp.log"
}

eg_scenario M01 "healthy boot: armed, root mounted, switch_root, guard pets in the rootfs" m01
