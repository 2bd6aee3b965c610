#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later
#
# fetch-guest.sh NAME SHA256: one round of the fetch bench, inside the test
# guest (busybox ash), run over ssh by test/bench/fetch.sh from the bench
# payload disk (/mnt/payload; not named "run", so rc.late does not start
# it at boot).  The server at 10.0.2.100:80 serves one signed bundle at
# its root: the artifact NAME (the kernel, SHA256 its digest) and a tiny
# initrd.
#
#   1. earlyguard fetch --no-reboot, with a config of its own (net=,
#      server=, fetch_key= the payload's public key, fetch_slot= a
#      directory in a tmpfs: nothing is selected, no disk is written),
#      EARLYGUARD_RUN an empty directory (no guard deadline from the
#      boot's /run/earlyguard/state) and an empty kernel command line;
#      its peak RSS: the highest of VmHWM and smaps_rollup's Rss, sampled
#      every 0.2 s while it runs;
#   2. busybox wget -O - http://10.0.2.100/NAME | sha256sum.
#
# Times are the guest's CLOCK_BOOTTIME (/proc/uptime, centiseconds).
# Prints "EGF: eg ..." and "EGF: wget ..." lines for the host, and the
# fetch's own output as "  | " lines.
set -u
name=$1
sum=$2
here=$(dirname "$0")
dir=/tmp/egfetch
slot=$dir/slot
conf=$dir/earlyguard.conf
url=http://10.0.2.100/$name

now() { # centiseconds since boot
	read -r up _ </proc/uptime
	echo "${up%.*}${up#*.}" | sed 's/^0*//; s/^$/0/'
}

# sample PID: st= its State; h= the higher of its VmHWM and its Rss in
# smaps_rollup, in KiB (empty when it has no memory, or is still the forked
# shell before its exec).  VmHWM alone lags: it is built from the batched
# RSS counters, which a process that faults in few pages rarely syncs;
# smaps_rollup walks the page tables, exact at the time of the sample.
sample() {
	h='' r='' st='' c=''
	{
		while read -r k v _; do
			case $k in
			VmHWM:) h=$v ;;
			State:) st=$v ;;
			esac
		done <"/proc/$1/status"
		while read -r k v _; do
			[ "$k" = Rss: ] && r=$v
		done <"/proc/$1/smaps_rollup"
		read -r c <"/proc/$1/comm"
	} 2>/dev/null
	[ -n "$h" ] && [ -n "$r" ] && [ "$r" -gt "$h" ] && h=$r
	[ "$c" = earlyguard ] || h=''
}

if ! grep -q " $dir tmpfs " /proc/mounts; then
	mkdir -p "$dir"
	if ! mount -t tmpfs -o size=600m,mode=0755 tmpfs "$dir"; then
		echo "EGF: error unable to mount a tmpfs on $dir"
		exit 1
	fi
fi
rm -rf "$slot" "$dir/run" "$dir/out"
mkdir -p "$dir/run"
cat >"$conf" <<EOC
net=eth0:10.0.2.15/24
server=10.0.2.100:80
fetch_path=/
fetch_key=$here/fetch.pub.pem
fetch_slot=$slot
fetch_timeout=10s
fetch_deadline=10m
EOC
EARLYGUARD_RUN=$dir/run /sbin/earlyguard -c "$conf" --cmdline /dev/null config 2>&1 |
	grep -E '^(net|server|fetch_[a-z]*)[ =]' | sed 's/^/  config | /'

# ---- earlyguard fetch ----
sync
t0=$(now)
EARLYGUARD_RUN=$dir/run /sbin/earlyguard -c "$conf" --cmdline /dev/null fetch --no-reboot \
	>"$dir/out" 2>&1 &
pid=$!
peak=0 n=0
: >"$dir/hwm"
while :; do
	sample "$pid"
	case $st in '' | Z) break ;; esac
	if [ -n "$h" ]; then
		n=$((n + 1))
		echo "$h" >>"$dir/hwm"
		[ "$h" -gt "$peak" ] && peak=$h
	fi
	sleep 0.2
done
wait "$pid"
rc=$?
t1=$(now)
sed 's/^/  | /' "$dir/out"
echo "  RSS samples (KiB): $(sort -n "$dir/hwm" | uniq -c | awk '{ printf "%s%sx%s", s, $1, $2; s = " " }')"
bytes=0
for f in "$slot/vmlinuz" "$slot/initrd.img"; do
	[ -f "$f" ] && bytes=$((bytes + $(stat -c %s "$f")))
done
ok=0
[ -f "$slot/vmlinuz" ] && [ "$(sha256sum <"$slot/vmlinuz" | cut -d' ' -f1)" = "$sum" ] && ok=1
echo "EGF: eg rc=$rc cs=$((t1 - t0)) bytes=$bytes hwm_kib=$peak samples=$n sum_ok=$ok"
rm -rf "$slot"

# ---- busybox wget | sha256sum ----
sync
t0=$(now)
got=$(wget -q -O - "$url" | sha256sum | cut -d' ' -f1)
t1=$(now)
ok=0
[ "$got" = "$sum" ] && ok=1
echo "EGF: wget cs=$((t1 - t0)) sum_ok=$ok"
