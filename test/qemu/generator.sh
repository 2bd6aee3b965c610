# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# generator.sh - the checks every initramfs generator's scenarios share
# (M50-M54): the same guarantees hold whichever generator built the image,
# so the scenarios differ only in the image, the generator's own root-wait
# arguments and the shell prompt that must never appear.  Sourced after
# lib.sh by a scenario that sets TIMEOUT, CONFIRM, HANDOFF (healthy) or
# TIMEOUT, RESCUE (root missing) and EG_INITRD_IMG.

# eg_gen_disarm_holds: after a disarm, no VM exit for 2 x TIMEOUT + 4 s
# (the daemon keeps petting), then the test quits the VM: outcome
# "stopped", no WATCHDOG event.
eg_gen_disarm_holds() {
	local watch=$((2 * TIMEOUT + 4))
	if eg_await_exit "$watch"; then
		eg_fail "the VM ended (outcome $EG_OUTCOME) within $watch s after the disarm"
		return 1
	fi
	eg_stop || return 1
	eg_expect_outcome stopped
	[ "$(eg_events WATCHDOG)" = 0 ] || eg_fail "a WATCHDOG event in qmp.log"
}

# eg_gen_healthy "EXTRA_APPEND" PROMPT...: boot the image with a good
# root; armed at most 30 s after kernel start and 10 s after "Run /init"
# (guest time), switch_root seen, the daemon takes the watchdog over
# within HANDOFF s, disarm over ssh confirms, status shows no gap, the VM
# stays up; no PROMPT (the generator's shell) and no rescue.
eg_gen_healthy() {
	local extra=$1 prompt
	shift
	# shellcheck disable=SC2034 # an option of lib.sh's eg_boot
	EG_NET=1
	eg_boot 1 240 "$EG_BASE_APPEND $EG_ROOT_ARGS $extra earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=90s earlyguard.handoff_timeout=${HANDOFF}s earlyguard.confirm_timeout=${CONFIRM}s earlyguard.shutdown_timeout=15s" || return 1
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
	eg_gen_disarm_holds || return 1
	for prompt in "$@"; do
		eg_absent "$prompt"
	done
	eg_absent "earlyguard: rescue: "
}

# eg_gen_noroot "ROOT_WAIT_ARGS" LOW HIGH PROMPT: boot with root=/dev/vdx;
# "earlyguard: rescue: " naming /dev/vdx LOW..HIGH s after "armed" (guest
# time; the generator's own root wait), "rebooting" RESCUE s later, the VM
# exits as a reboot within 110 s of QEMU start; no PROMPT, no rootfs.
# The generators' root waits count loop iterations (sleep 0.1 or 0.5 plus
# udev and blkid work each time), so on a busy host they run long: HIGH
# has room for that, and stays below earlyguard's 90 s deadline, so that
# the rescue, not the deadline, is what is shown to end the wait.
eg_gen_noroot() {
	local wait_args=$1 low=$2 high=$3 prompt=$4
	eg_boot 1 140 "$EG_BASE_APPEND root=/dev/vdx rootfstype=ext4 $wait_args earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=90s earlyguard.rescue=${RESCUE}s" || return 1
	eg_expect "earlyguard: armed " 60 || return 1
	eg_expect "earlyguard: rescue: " $((high + 15)) || return 1
	eg_expect "earlyguard: rebooting: " $((RESCUE + 10)) || return 1
	eg_expect_exit 15 || return 1
	eg_expect_outcome reboot
	eg_expect_line "earlyguard: rescue: " /dev/vdx
	eg_check_guest "armed to rescue" "earlyguard: armed " "earlyguard: rescue: " "$low" "$high"
	eg_check_guest "rescue to rebooting" "earlyguard: rescue: " "earlyguard: rebooting: " \
		"$(eg_sub "$RESCUE" 0.2)" $((RESCUE + 2))
	eg_check_host "QEMU start to exit" "$EG_T_START" "$EG_T_EXIT" 0 110
	eg_absent "$prompt"
	eg_absent EG-ROOTFS-UP
}
