#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make demo: boot the guarded image in QEMU (TCG, an emulated i6300esb
# watchdog) three times and show what earlyguard does:
#   1. a healthy boot: armed in the initramfs, switch_root, still petting
#      in the rootfs long after the hardware timeout;
#   2. a boot whose initramfs hangs (the test image injects it): the guard
#      reboots at the deadline;
#   3. the next boot reads the boot record and says why the last one ended.
# Takes about a minute.  Logs stay in build/demo/.
set -uo pipefail

# shellcheck source=SCRIPTDIR/qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/qemu/lib.sh"

TIMEOUT=4
DEADLINE=20
eg_standalone "$EG_BUILD/demo" || exit 1
keys="earlyguard.timeout=${TIMEOUT}s earlyguard.deadline=${DEADLINE}s"

show() { # show the console lines of interest so far
	grep -aE 'earlyguard:|EG-ROOTFS-UP|EG-TEST' "$EG_CONSOLE" | tr -d '\r' |
		grep -v 'Command line' | sed 's/^/    /'
}
die() {
	echo "demo: $*" >&2
	echo "demo: console log: ${EG_CONSOLE#"$EG_TOP"/}" >&2
	exit 1
}

echo "== 1. healthy boot (watchdog timeout ${TIMEOUT}s, initramfs deadline ${DEADLINE}s)"
EG_NET=1
eg_boot 1 90 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys" 2>>"$EG_WORK/harness.log"
eg_await EG-ROOTFS-UP 40 || die "the rootfs did not come up"
eg_await "earlyguard: daemon: ready" 20 || die "the daemon did not take over"
eg_await EG-SSH-READY 20 || die "no SSH in the guest"
eg_ssh_wait root 20 2>>"$EG_WORK/harness.log" || die "no SSH login"
echo "   the operator confirms the boot over SSH: ssh root@127.0.0.1 -p $EG_SSH_PORT earlyguard disarm"
eg_ssh root earlyguard disarm 2>>"$EG_WORK/harness.log"
printf '%s\n' "$EG_SSH_OUT" | sed 's/^/     > /'
echo "   rootfs is up; waiting $((3 * TIMEOUT))s (3x the watchdog timeout) to show no reset"
if eg_await "earlyguard: rebooting" $((3 * TIMEOUT)); then
	die "unexpected reboot"
fi
eg_exited && die "the VM ended: $(eg_classify "$EG_QMPLOG" 0)"
show
echo "   -> still running after $((3 * TIMEOUT))s: the rootfs daemon pets the watchdog it took"
echo "      from the initramfs guard, open all along"
eg_stop 2>>"$EG_WORK/harness.log"

echo
echo "== 2. the initramfs hangs before mounting root (fault injected by the test image)"
EG_NET=0
eg_boot 2 90 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys eg_fault=hang" 2>>"$EG_WORK/harness.log"
eg_await "EG-TEST: hang injected" 40 || die "no hang injected"
echo "   hung; the guard's deadline is ${DEADLINE}s after earlyguard init started..."
eg_await_exit $((DEADLINE + 30)) || die "no reboot within the deadline"
show
a=$(eg_start_ktime)
b=$(eg_ktime "earlyguard: rebooting: ")
echo "   -> QEMU ended by a guest $EG_OUTCOME $(eg_sub "$b" "$a")s after earlyguard init started (guest time)"

echo
echo "== 3. the next boot reports why the previous one ended"
eg_boot 3 90 "$EG_BASE_APPEND $EG_ROOT_ARGS $keys" 2>>"$EG_WORK/harness.log"
eg_await "earlyguard: previous boot: " 40 || die "no previous-boot report"
eg_await EG-ROOTFS-UP 40 || die "the rootfs did not come up"
show | grep -E 'previous boot|armed |switch_root'
eg_stop 2>>"$EG_WORK/harness.log"
echo
echo "demo: done; logs in ${EG_WORK#"$EG_TOP"/}"
