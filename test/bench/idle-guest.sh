#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs inside the test guest from the bench payload disk: measures, over
# eg_bench_secs= (kernel command line; default 120) idle seconds each, the RSS and the voluntary context switches
# (wakeups) of the earlyguard daemon (on the i6300esb), then of busybox's
# watchdog applet and of Debian's watchdog daemon (each on softdog), all
# with the same timeout and pet interval.  Prints "EG-BENCH: ..." lines.
secs=120
# shellcheck disable=SC2013 # words, not lines
for word in $(cat /proc/cmdline); do
	case $word in eg_bench_secs=*) secs=${word#eg_bench_secs=} ;; esac
done
timeout=32
interval=8
here=$(dirname "$0")

say() { echo "$*" >/dev/console; }

field() { # field NAME PID: a number from /proc/PID/status
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$2/status"
}

measure() { # measure NAME PID
	name=$1 pid=$2
	v0=$(field voluntary_ctxt_switches "$pid")
	sleep "$secs"
	if ! kill -0 "$pid" 2>/dev/null; then
		say "EG-BENCH: $name died during the measurement"
		return
	fi
	v1=$(field voluntary_ctxt_switches "$pid")
	# smaps_rollup walks the page tables: exact, unlike VmRSS's batched counters
	rss=$(awk '$1 == "Rss:" { print $2 }' "/proc/$pid/smaps_rollup")
	say "EG-BENCH: $name rss_kib=$rss wakeups=$((v1 - v0)) secs=$secs pets_expected=$((secs / interval))"
}

read -r dpid </run/earlyguard/daemon.pid
measure earlyguard-daemon "$dpid"

/sbin/earlyguard modprobe softdog
dev=/dev/watchdog1
[ -c "$dev" ] || { say "EG-BENCH: no $dev (softdog)"; exit 0; }

busybox watchdog -F -T "$timeout" -t "$interval" "$dev" &
bpid=$!
sleep 1
measure busybox-watchdog "$bpid"
kill "$bpid"
wait "$bpid" 2>/dev/null

if [ -x "$here/watchdog" ]; then
	mkdir -p /var/run /var/log/watchdog
	cat >/tmp/watchdog.conf <<-EOC
		watchdog-device = $dev
		watchdog-timeout = $timeout
		interval = $interval
		realtime = yes
		priority = 1
	EOC
	"$here/watchdog" -F -c /tmp/watchdog.conf &
	wpid=$!
	sleep 1
	measure debian-watchdog "$wpid"
	kill "$wpid"
	wait "$wpid" 2>/dev/null
else
	say "EG-BENCH: Debian's watchdog is not on the payload disk"
fi
say "EG-BENCH: done"
