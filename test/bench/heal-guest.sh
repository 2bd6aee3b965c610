#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# heal-guest.sh: the guest side of the self-heal bench (test/bench/heal.sh),
# inside the test guest (busybox ash).  heal.sh copies it onto the payload
# disk as "run", so rc.late runs it at every boot, the boots after a
# reboot inside the same QEMU included.  It sets up what the RM-1 has and
# the test rootfs lacks, the same for both tools, then, for the seed, what
# the seed's own boot hook does.  Kernel command line words:
#
#   egbench.tool=seed|earlyguard  which self-heal runs in this boot
#   egbench.ntp=EPOCH     an NTP stand-in: set the clock to EPOCH (the
#                         host's time when QEMU started) if eth0 has
#                         carrier now, as an NTP client on a box without a
#                         battery-backed clock would once the uplink works;
#                         after a reboot with the link down nothing sets it
#   egbench.warp=1        the boot runs under QEMU's -icount sleep=off
#                         (heal.sh's M42, M43): end eg-carrier once it has
#                         reported eth0 without carrier (its 0.1 s polling
#                         would keep the guest from skipping idle time),
#                         and say "EG-BENCH: rtc EPOCH" as the RTC's
#                         seconds turn (read until they change: a busy
#                         second at most).  The RTC follows QEMU's virtual
#                         clock across a reset (-rtc clock=vm) and "date
#                         -s" does not touch it: the bench's one clock for
#                         times that span a reboot
#   egbench.usb=FILE      present FILE as a USB mass-storage LUN, in a
#                         configfs gadget named rockchip, the RM-1's name
#
# For both tools:
#   - a tmpfs on /tmp: the test rootfs has /tmp on the root, which outlives
#     a reboot inside the same QEMU; the RM-1's, the seed's
#     VOL_STATE_DIR=/tmp/net-selfheal, is volatile;
#   - busybox syslogd writing to /dev/kmsg: the seed logs with logger(1),
#     and the test rootfs has no syslogd; through /dev/kmsg each line gets
#     the kernel's timestamp on the console, the bench's clock;
#   - /etc/init.d/S46kvmd-network, a stand-in for the RM-1's: "restart"
#     re-applies the test rootfs' network configuration of eth0 (what rcS
#     did), as the RM-1's re-applies connman's;
#   - /usr/sbin/connmand, a stand-in that only waits, respawned at once
#     when it ends, as the RM-1's inittab respawns connmand: the seed's
#     stage 3 (killall connmand, then pidof) and earlyguard's
#     network_restart see a connmand to kill.
# For the seed (egbench.tool=seed): /etc/kvmd/user/net-selfheal.sh, the
# payload's seed-net-selfheal.sh, and the seed's boot hook
# /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh, the payload's
# seed-S20-net-selfheal-cron.sh (heal.sh takes both from the issue's seed
# document with seed-extract.sh, no line changed), run with "start" as the
# RM-1 runs it at boot: root's crontab "*/10 * * * *" and busybox crond.
#
# Ends with "EG-BENCH: heal-guest ready tool=T clock=EPOCH" on the console,
# once eth0, when it has carrier, has been up for 1.5 s (see the end).

PATH=/sbin:/bin:/usr/sbin:/usr/bin
export PATH
here=$(dirname "$0")

say() { echo "EG-BENCH: $*" >/dev/kmsg; }

tool='' ntp='' warp=0 usb=''
cmdline=''
{ read -r cmdline </proc/cmdline; } 2>/dev/null
set -f
for word in $cmdline; do
	case $word in
	egbench.tool=*) tool=${word#*=} ;;
	egbench.ntp=*) ntp=${word#*=} ;;
	egbench.warp=1) warp=1 ;;
	egbench.usb=*) usb=${word#*=} ;;
	esac
done
set +f

carrier() {
	c=0
	{ read -r c </sys/class/net/eth0/carrier; } 2>/dev/null
	[ "$c" = 1 ]
}

# The NTP stand-in, before crond starts: crond skips the jobs of a clock
# that jumps by more than an hour while it runs.
if [ -n "$ntp" ]; then
	if carrier; then
		date -s "@$ntp" >/dev/null && say "ntp stand-in: clock set to $ntp (eth0 has carrier)"
	else
		say "ntp stand-in: eth0 has no carrier: the clock stays at $(date +%s)"
	fi
fi

grep -q ' /tmp tmpfs ' /proc/mounts || mount -t tmpfs -o mode=1777,nosuid,nodev tmpfs /tmp ||
	say "unable to mount a tmpfs on /tmp"
pidof syslogd >/dev/null || syslogd -O /dev/kmsg || say "unable to start syslogd"

cat >/etc/init.d/S46kvmd-network <<'EOF'
#!/bin/sh
# heal-guest.sh's stand-in for the RM-1's S46kvmd-network: re-apply the
# test rootfs' configuration of eth0 (images/rootfs-rcS).
case "$1" in
start | restart)
	ip link set eth0 up && ip addr replace 10.0.2.15/24 dev eth0
	;;
esac
EOF
cat >/usr/sbin/connmand <<'EOF'
#!/bin/sh
# heal-guest.sh's stand-in for connmand: waits until it is killed.
trap 'kill "$w" 2>/dev/null; exit 0' TERM INT
while :; do
	sleep 3600 &
	w=$!
	wait "$w"
done
EOF
chmod 0755 /etc/init.d/S46kvmd-network /usr/sbin/connmand
if ! pidof connmand >/dev/null; then
	# inittab's "::respawn:": started again as soon as it ends
	(while :; do /usr/sbin/connmand; done) </dev/null >/dev/null 2>&1 &
fi

if [ -n "$usb" ]; then
	g=/sys/kernel/config/usb_gadget/rockchip
	/sbin/earlyguard modprobe libcomposite usb_f_mass_storage >/dev/null 2>&1
	grep -q ' /sys/kernel/config configfs ' /proc/mounts ||
		mount -t configfs configfs /sys/kernel/config
	[ -e "$usb" ] || dd if=/dev/zero of="$usb" bs=1024 count=1024 2>/dev/null
	if mkdir -p "$g/functions/mass_storage.0" && echo "$usb" >"$g/functions/mass_storage.0/lun.0/file"; then
		say "usb: $g/functions/mass_storage.0/lun.0/file presents $usb"
	else
		say "usb: unable to present $usb in $g"
	fi
fi

case $tool in
seed)
	mkdir -p /etc/kvmd/user/scripts
	cp "$here/seed-net-selfheal.sh" /etc/kvmd/user/net-selfheal.sh
	chmod +x /etc/kvmd/user/net-selfheal.sh
	# The seed's boot hook, as the seed has it: no line of it is adapted.
	# What is ours is around it, the steps of the seed's setup: the
	# scripts directory, chmod +x, and "start" (the seed's "Apply
	# immediately"; on the RM-1, each boot).  The guest does this at every
	# boot, as rc.late runs it, writing the same text each time.
	cp "$here/seed-S20-net-selfheal-cron.sh" /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh
	chmod +x /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh
	/etc/kvmd/user/scripts/S20-net-selfheal-cron.sh start
	;;
earlyguard)
	# README: "mkdir -p -m 0700 /etc/kvmd/user/state/earlyguard"
	mkdir -p /etc/kvmd/user/state/earlyguard && chmod 0700 /etc/kvmd/user/state/earlyguard
	;;
*)
	say "no egbench.tool=seed|earlyguard on the command line"
	exit 0
	;;
esac

if [ "$warp" = 1 ]; then
	(
		while carrier; do sleep 1; done
		sleep 1 # eg-carrier polls every 0.1 s: it has said so by now
		killall eg-carrier
	) </dev/null >/dev/null 2>&1 &
	rtc=/sys/class/rtc/rtc0/since_epoch
	if read -r a <"$rtc"; then
		b=$a
		while [ "$b" = "$a" ] && read -r b <"$rtc"; do :; done
		say "rtc $b"
	else
		say "no $rtc"
	fi
fi
# The kernel's linkwatch sends at most about one link event a second: a
# link taken down within a second of eth0's own "up" at boot would reach
# the daemon's rtnetlink socket up to a second late, a delay of the
# bench's making.  So "ready" waits until operstate has been up a while.
if carrier; then
	n=0
	while [ "$(cat /sys/class/net/eth0/operstate 2>/dev/null)" != up ] && [ "$n" -lt 100 ]; do
		sleep 0.1
		n=$((n + 1))
	done
	sleep 1.5
fi
say "heal-guest ready tool=$tool clock=$(date +%s)"
