#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seed-net-selfheal.sh: the RM-1 operator's net-selfheal.sh, from the seed
# request of issue 7 (the issue that asked for the network self-heal; its
# "Setup I'm using for now" writes it to /etc/kvmd/user/net-selfheal.sh and
# runs it from busybox crond every 10 minutes).  The self-heal bench,
# test/bench/heal.sh, runs it in the test guest beside earlyguard's daemon.
# Operators' code posted to the issue; kept here for the bench only.
#
# Every line below this header is the script as the seed has it, byte for
# byte, without its indentation, which the issue's text had already lost.
# No line is adapted.  What the RM-1 has and the test guest lacks, the
# guest provides instead (test/bench/heal-guest.sh): /etc/kvmd/user on a
# writable root that outlives a reboot inside the same QEMU, as the RM-1's
# persistent /etc/kvmd/user; a tmpfs on /tmp; a syslogd for logger(1),
# which writes to /dev/kmsg so that each line has the kernel's timestamp
# on the console; /etc/init.d/S46kvmd-network, which re-applies eth0's
# address; a connmand that is respawned when killed.  The RM-1-specific
# gadget path (/sys/kernel/config/usb_gadget/rockchip) is kept: the bench
# names its gadget rockchip.  The ping targets are unreachable from the
# guest, as they are from a box whose uplink is down.
#
# The header's only other line, for lint: the seed reads files with
# "cat FILE | tr ...".
# shellcheck disable=SC2002
set -eu
IFACE="eth0"
TAG="net-selfheal"
CHECK_V4=1
RECHECK_SLEEP=15
MAX_FAILS=2
REBOOT_COOLDOWN=3600
PING_VETO=1
PING_VETO_IP1="1.1.1.1"
PING_VETO_IP2="8.8.8.8"
USB_GUARD_REQUIRE_UDC=0
PERSIST_STATE_DIR="/etc/kvmd/user/state/net-selfheal"
VOL_STATE_DIR="/tmp/net-selfheal"
FAIL_FILE="$VOL_STATE_DIR/fails"
LAST_REBOOT_FILE="$PERSIST_STATE_DIR/last_reboot"
log() { logger -t "$TAG" "$*"; }
mkdir -p "$PERSIST_STATE_DIR" "$VOL_STATE_DIR"
carrier_up() {
[ -r "/sys/class/net/$IFACE/carrier" ] || return 1
[ "$(cat "/sys/class/net/$IFACE/carrier" 2>/dev/null || echo 0)" = "1" ]
}
has_ipv4() {
ip -4 addr show dev "$IFACE" 2>/dev/null | grep -q ' inet '
}
link_ok() {
carrier_up || return 1
[ "$CHECK_V4" -eq 0 ] && return 0
has_ipv4
}
usb_gadget_connected() {
[ -r /sys/kernel/config/usb_gadget/rockchip/UDC ] || return 1
udc="$(cat /sys/kernel/config/usb_gadget/rockchip/UDC 2>/dev/null | tr -d '\r\n')"
[ -n "$udc" ] && [ "$udc" != "none" ]
}
usb_storage_presented() {
for f in /sys/kernel/config/usb_gadget/rockchip/functions/mass_storage.*/lun.*/file; do
[ -e "$f" ] || continue
backing="$(cat "$f" 2>/dev/null | tr -d '\r\n')"
case "$backing" in
""|"none") continue ;;
*) return 0 ;;
esac
done
return 1
}
usb_storage_active() {
usb_storage_presented || return 1
if [ "$USB_GUARD_REQUIRE_UDC" -eq 1 ]; then
usb_gadget_connected
else
return 0
fi
}
ping_veto_ok() {
[ "$PING_VETO" -eq 1 ] || return 1
ping -c 1 -W 2 "$PING_VETO_IP1" >/dev/null 2>&1 && return 0
ping -c 1 -W 2 "$PING_VETO_IP2" >/dev/null 2>&1 && return 0
return 1
}
read_int_file() {
if [ -f "$1" ]; then
v="$(cat "$1" 2>/dev/null | tr -dc '0-9')"
[ -n "$v" ] && { echo "$v"; return; }
fi
echo "$2"
}
write_int_file() { echo "$2" >"$1"; }
iface_bounce() {
ip link set "$IFACE" down >/dev/null 2>&1 || true
sleep 3
ip link set "$IFACE" up >/dev/null 2>&1 || true
}
restart_kvmd_network() {
[ -x /etc/init.d/S46kvmd-network ] || return 1
/etc/init.d/S46kvmd-network restart >/dev/null 2>&1 || return 1
return 0
}
restart_connman_real() {
# On this image connmand is respawned by inittab, and S45connman does not manage it.
# So: kill connmand; init will restart it.
if pidof connmand >/dev/null 2>&1; then
killall connmand >/dev/null 2>&1 || true
fi
# Give init/respawn a moment
sleep 2
pidof connmand >/dev/null 2>&1
}
# Fast path
if link_ok; then
oldfails="$(read_int_file "$FAIL_FILE" 0)"
[ "$oldfails" -ne 0 ] && log "Recovered (fails was $oldfails)."
write_int_file "$FAIL_FILE" 0
exit 0
fi
fails="$(read_int_file "$FAIL_FILE" 0)"
fails=$((fails + 1))
write_int_file "$FAIL_FILE" "$fails"
log "Detected degraded link on $IFACE. Failure $fails/$MAX_FAILS. Starting recovery."
# Stage 1: bounce interface
iface_bounce
sleep "$RECHECK_SLEEP"
if link_ok; then
log "Recovery succeeded after interface bounce."
write_int_file "$FAIL_FILE" 0
exit 0
fi
# Stage 2: re-apply network config via kvmd-network (connmanctl config)
restart_kvmd_network || true
sleep "$RECHECK_SLEEP"
if link_ok; then
log "Recovery succeeded after re-applying kvmd-network configuration."
write_int_file "$FAIL_FILE" 0
exit 0
fi
# Stage 3: real connman restart (kill -> inittab respawn)
if restart_connman_real; then
# After respawn, re-apply config again (DHCP/manual + DNS)
restart_kvmd_network || true
sleep "$RECHECK_SLEEP"
if link_ok; then
log "Recovery succeeded after restarting connman."
write_int_file "$FAIL_FILE" 0
exit 0
fi
fi
if [ "$fails" -lt "$MAX_FAILS" ]; then
log "Still degraded; will retry on next scheduled run (no reboot yet)."
exit 0
fi
if usb_storage_active; then
log "USB mass-storage is active (ISO/image presented); suppressing reboot."
exit 0
fi
if ping_veto_ok; then
log "Ping veto succeeded; suppressing reboot despite degraded local link state."
exit 0
fi
now="$(date +%s)"
last="$(read_int_file "$LAST_REBOOT_FILE" 0)"
if [ $((now - last)) -lt "$REBOOT_COOLDOWN" ]; then
log "Reboot suppressed by rate limit (last reboot $((now - last))s ago)."
exit 0
fi
write_int_file "$LAST_REBOOT_FILE" "$now"
log "Escalating to reboot: link still degraded after recovery attempts."
reboot
