#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The self-heal part of make bench (issue 7): test/bench/run.sh calls it
# last; it also runs alone, test/bench/heal.sh.  Figures, never
# assertions.  Side by side in the same guest image, one QEMU at a time,
# each tool in boots of its own so that the two never fight over the link:
#
#   seed        the RM-1 operator's net-selfheal.sh from issue 7, no line
#               changed, run by busybox crond as the seed's own boot hook
#               sets it up: "*/10 * * * *".  The repository does not carry
#               the operator's code: test/bench/seed-extract.sh takes the
#               script and the hook, no line changed either, from the
#               issue's seed document at each run,
#               ../shared/seeds/000_477ab74d62f03d8a.txt beside the
#               checkout, or EG_SEED_SELFHEAL=PATH; without it the bench
#               stops before any boot
#   earlyguard  earlyguard daemon with the README's translation of the
#               script ("Replacing the RM-1's net-selfheal.sh"), word for
#               word as earlyguard.KEY= words: recheck_sleep=20s,
#               max_fails=2, heal_interval=10m, reboot_cooldown=1h, the
#               same S46kvmd-network and connmand commands and ping
#               targets, state_dir=/etc/kvmd/user/state/earlyguard
#
# test/bench/heal-guest.sh (the payload disk's "run", which rc.late starts
# at every boot) gives the guest what the RM-1 has and the test rootfs
# lacks, the same for both: a syslogd (into /dev/kmsg), a tmpfs on /tmp, an
# S46kvmd-network that re-applies eth0's address, a connmand respawned when
# killed; for the seed it installs the script and runs its hook.
#
# Scenarios.  eth0 is QEMU's netdev n0; QMP set_link takes its carrier
# away, as a pulled cable would.
#   M40  the link comes back at the first repair: the bench gives it back
#        as soon as the tool acts (seed: its "Detected degraded link"
#        line, logged just before its bounce; earlyguard: "stage 1/3:
#        bounce").  Detection: link down to the tool's first line about
#        it; recovery: link down to "Recovery succeeded" / "healthy again".
#   M42  the link never comes back: link down to the reboot decision (the
#        script's "Escalating to reboot", the daemon's "orderly reboot");
#        then, in the next boot, the link still down, whether the 1 h
#        cooldown holds the next reboot (one within 3600 s of the first
#        is "NOT held") and when the next reboot comes, watched for 4800 s
#        of boot 2.  Clock "rtc": the guest's RTC keeps time across the
#        reboot.  Clock "1970": a box without a battery-backed clock: the
#        RTC starts at 1970, an NTP stand-in (heal-guest.sh, egbench.ntp=)
#        sets the host's time in boot 1, where eth0 has carrier, and
#        nothing can in boot 2: the script's `date +%s` there is 1970.
#   M43  (BENCH_HEAL_USB=1, the default) the link never comes back while a
#        USB mass-storage LUN presents a file, in a configfs gadget named
#        rockchip (the seed's path; earlyguard reads every gadget): does
#        either reboot?  Watched up to the first reboot it considers.
#
# Method.  Every figure is guest time: the kernel's timestamps on the
# console lines.  The reference for "link down" is eg-carrier's
# "EG-CARRIER: eth0 carrier 0" (egtest.carrier=eth0, sysfs polled every
# 0.1 s; the daemon, told by rtnetlink, may log before it).  The script's
# lines go through logger and syslogd into /dev/kmsg, some ms after it
# decides.  M40 runs in real time (TCG), so the seed's detection waits for
# its cron tick: one sample, at whatever phase the boot gives, 0..600 s,
# costing that much wall time.  M42 and M43 would take up to 2 h of guest
# time each, so they run under "-icount shift=0,sleep=off" and "-rtc
# clock=vm": all the guest's clocks (TSC, timers, RTC, so cron, sleep,
# CLOCK_BOOTTIME and date) follow QEMU's instruction count (1 ns per
# instruction) and idle time is skipped at once.  After the link goes
# down the bench does nothing but read the console, so skipping idle time
# changes no figure.  sleep=off also skips ahead while a disk request is in
# flight, to the next timer, which made a boot take 250 s of guest time;
# the guest's nohz=off keeps the 250 Hz tick, so no skip is longer than
# 4 ms (and those runs cost ~20-50 ms of host time per guest second).
# With "-rtc clock=host" the RTC after a reset would be the host's clock,
# hours behind the guest's: the 1970 problem by accident.  Times that span
# the reboot ("+N s" after the first reboot decision) are on QEMU's
# virtual clock, which the RTC shows to the guest: heal-guest.sh prints
# its value in each boot as its seconds turn, and the kernel's clock,
# which restarts at each boot, is mapped onto it.
#
# Caveats.  One sample per row.  The seed's detection is its cron phase
# (uniform over 0..600 s) and its time to the reboot that phase plus 600 s
# plus one run: the bounds are printed under the table.  The bench gives
# the link back within a poll (0.2 s host) of the line it waits for.  The
# seed boots still run earlyguard's daemon, because the test rootfs starts
# it, with the self-heal off and no confirm deadline: it only pets the
# watchdog.  The guest has no default route, so the ping veto's pings fail
# at once ("Network is unreachable") where the RM-1's would wait their 2 s
# each.  S46kvmd-network and connmand are stand-ins; on a pulled cable
# neither could help anyway.  The M40 runs share the CPU with whatever
# else runs (the QEMU matrix): a starved real-time guest runs its commands
# late in guest time.  A reboot's time is its decision; the shutdown takes
# a few seconds more, for both.  earlyguard's rtc run is left out by
# default (see BENCH_HEAL_RUNS).
#
# Work files, consoles (console.RUN.log) and QMP logs: build/bench/heal.
# Wall time: about 14 minutes plus the seed's cron phase in M40 (up to 10
# minutes), with nice -n 19 on 2 cores shared with the QEMU matrix.
set -uo pipefail

# shellcheck source=SCRIPTDIR/../qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../qemu/lib.sh"
# shellcheck source=SCRIPTDIR/../qemu/heal.sh
. "$EG_TOP/test/qemu/heal.sh"

out=$EG_BUILD/bench/heal
qemu=$EG_QEMU
usb=${BENCH_HEAL_USB:-1}
# BENCH_HEAL_RUNS="m40-seed m42-earlyguard-1970 ...": only these runs
# (names: m40-TOOL, m42-TOOL-rtc|1970, m43-TOOL; TOOL seed or earlyguard).
# The default leaves out m42-earlyguard-rtc, 3 minutes or more: the
# daemon never reads the wall clock, and its figures with an RTC are
# those with the clock at 1970 (the same to the tenth of a second when
# the bench was written).
runs=${BENCH_HEAL_RUNS:-m40-seed m40-earlyguard m42-seed-rtc m42-seed-1970 m42-earlyguard-1970 m43-seed m43-earlyguard}

echo "network self-heal: the seed's net-selfheal.sh (busybox crond */10) beside earlyguard daemon (the README's configuration); guest time"
eg_standalone "$out" || exit 1
bench_t0=0 bench_t1=0
eg_now bench_t0

# ---- the payload disk: heal-guest.sh as "run", the seed's script and hook ----
payload=$out/payload
mkdir -p "$payload"
cp "$EG_TOP/test/bench/heal-guest.sh" "$payload/run"
# The script and its boot hook exactly as the seed gives them, without a
# header of ours: the guest installs them as /etc/kvmd/user/net-selfheal.sh
# and /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh.
seed_doc=${EG_SEED_SELFHEAL:-${EG_TOP%/*}/shared/seeds/000_477ab74d62f03d8a.txt}
for target in /etc/kvmd/user/net-selfheal.sh /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh; do
	if ! why=$("$EG_TOP/test/bench/seed-extract.sh" "$seed_doc" "$payload/seed-${target##*/}" "$target" 2>&1); then
		echo "network self-heal: ${why#seed-extract: } (set EG_SEED_SELFHEAL to the issue-7 seed document, 000_477ab74d62f03d8a.txt)" >&2
		exit 1
	fi
done
chmod 0755 "$payload/run" "$payload/seed-net-selfheal.sh" "$payload/seed-S20-net-selfheal-cron.sh"
truncate -s 4M "$out/payload.img"
mkfs.ext4 -q -F -L egpayload -d "$payload" "$out/payload.img"
EG_EXTRA_DRIVE=$out/payload.img
EG_NET=1

BASE="$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.confirm_timeout=0 egtest.carrier=eth0"
# The README's /etc/earlyguard.conf for the RM-1, word for word.
EGCONF="earlyguard.state_dir=/etc/kvmd/user/state/earlyguard earlyguard.iface=eth0 \
earlyguard.check_v4=1 earlyguard.recheck_sleep=20s \
\"earlyguard.network_reapply=/etc/init.d/S46kvmd-network restart\" \
\"earlyguard.network_restart=killall connmand; sleep 2; /etc/init.d/S46kvmd-network restart\" \
earlyguard.max_fails=2 earlyguard.heal_interval=10m earlyguard.reboot_cooldown=1h \
earlyguard.usb_guard=1 earlyguard.usb_guard_require_udc=0 earlyguard.ping_veto=1 \
earlyguard.ping_veto_ip1=1.1.1.1 earlyguard.ping_veto_ip2=8.8.8.8"

# Each tool's lines (fixed strings).
declare -A DETECT=([seed]="net-selfheal: Detected degraded link" [earlyguard]="earlyguard: heal: eth0 unhealthy:")
declare -A ACTS=([seed]="net-selfheal: Detected degraded link" [earlyguard]="earlyguard: heal: eth0 stage 1/3: bounce")
declare -A HEALED=([seed]="net-selfheal: Recovery succeeded" [earlyguard]="earlyguard: heal: eth0 healthy again")
declare -A REBOOT=([seed]="net-selfheal: Escalating to reboot" [earlyguard]="earlyguard: heal: eth0 unhealthy after")
declare -A COOLDOWN=([seed]="net-selfheal: Reboot suppressed by rate limit" [earlyguard]="earlyguard: heal: eth0 reboot vetoed: cooldown:")
declare -A USBVETO=([seed]="net-selfheal: USB mass-storage is active" [earlyguard]="earlyguard: heal: eth0 reboot vetoed: usb mass storage")
DOWN="EG-CARRIER: eth0 carrier 0"
READY="EG-BENCH: heal-guest ready"
# How long boot 2 of M42 is watched (guest time) for a second reboot:
# past the cooldown (3600 s) and one more period (600 s) and a run.
WATCH2=4800

ROWS=()   # "scenario|tool|clock|detection|to recovery or reboot|guards"
NOTES=()

append_for() { # append_for TOOL: the kernel command line of a boot of TOOL
	if [ "$1" = earlyguard ]; then
		echo "$BASE egbench.tool=earlyguard $EGCONF"
	else
		echo "$BASE egbench.tool=seed"
	fi
}

# Each run's number for eg_boot (which takes numbers: console.N.log),
# and console.NAME.log, a link to it, for people.
declare -A NUM=([m40-seed]=40 [m40-earlyguard]=41 [m42-seed-rtc]=42 [m42-seed-1970]=43
	[m42-earlyguard-rtc]=44 [m42-earlyguard-1970]=45 [m43-seed]=46 [m43-earlyguard]=47)

# boot NAME LIMIT APPEND: a zeroed record disk, then eg_boot.
boot() {
	rm -f "$EG_WORK/state.img"
	truncate -s 1M "$EG_WORK/state.img"
	: >"$EG_WORK/failures"
	EG_PART=
	ln -sfn "console.${NUM[$1]}.log" "$EG_WORK/console.$1.log"
	eg_boot "${NUM[$1]}" "$2" "$3" 2>>"$EG_WORK/harness.log"
}

# warp CLOCK: the next boots run under icount with idle time skipped;
# CLOCK rtc (the RTC starts at the host's time) or 1970.
warp() {
	local rtc=base=utc,clock=vm
	[ "$1" = rtc ] || rtc=base=1970-01-01T00:00:00,clock=vm
	printf '#!/bin/sh\nexec %q "$@" -icount shift=0,sleep=off -rtc %s\n' "$qemu" "$rtc" >"$out/qemu-warp"
	chmod 0755 "$out/qemu-warp"
	EG_QEMU=$out/qemu-warp
}

realtime() {
	EG_QEMU=$qemu
}

secs() { # secs FROM TO: guest seconds between two timestamps (2 decimals below 10 s)
	awk -v a="$1" -v b="$2" 'BEGIN { d = b - a; printf (d < 10 && d > -10) ? "%.2f" : "%.1f", d }'
}

# vclock T: kernel time T of the boot EG_PART selects on QEMU's virtual
# clock, as the RTC's seconds (-rtc clock=vm), from that boot's "EG-BENCH:
# rtc EPOCH" line (heal-guest.sh prints it as the seconds turn): the one
# clock that runs on across a reset.  The kernel's clock and the RTC
# drifted apart by 3 ms in 3000 s when this was written.
vclock() {
	local k r
	k=$(eg_ktime "EG-BENCH: rtc ") || return 1
	r=$(eg_lines "EG-BENCH: rtc " | head -n 1 | sed -n 's/.*EG-BENCH: rtc \([0-9]*\).*/\1/p')
	[ -n "$r" ] || return 1
	awk -v r="$r" -v k="$k" -v t="$1" 'BEGIN { printf "%.3f", r + t - k }'
}

# last_ktime: the latest kernel timestamp in the part EG_PART selects.
# shellcheck disable=SC2016 # awk's $0
last_ktime() {
	eg_awk_log 'match($0, /^\[ *[0-9]+\.[0-9]+\]/) { t = substr($0, RSTART + 1, RLENGTH - 2) }
		END { gsub(/ /, "", t); print t + 0 }' "$EG_CONSOLE"
}

why() { # why: the first recorded failure, for a row that has no figure
	head -n 1 "$EG_WORK/failures" 2>/dev/null
}

# ---- M40: the link comes back as soon as the tool acts ----
m40() {
	local tool=$1 t0 td tr how wait=60
	[ "$tool" = seed ] && wait=700
	realtime
	EG_REBOOTS=0
	boot "m40-$tool" $((wait + 400)) "$(append_for "$tool")"
	if ! eg_expect "$READY" 240 || ! eg_set_link n0 down || ! eg_expect "${ACTS[$tool]}" "$wait" ||
		! eg_set_link n0 up || ! eg_expect "${HEALED[$tool]}" 120; then
		ROWS+=("M40 back at 1st repair|$tool|-|-|-|no result: $(why)")
		eg_stop 2>>"$EG_WORK/harness.log"
		return 1
	fi
	t0=$(eg_ktime "$DOWN") td=$(eg_ktime "${DETECT[$tool]}") tr=$(eg_ktime "${HEALED[$tool]}")
	how=$(eg_lines "${HEALED[$tool]}" | head -n 1 | sed -n \
		-e 's/.*Recovery succeeded after \([a-z ]*\).*/\1/p' \
		-e 's/.*healthy again after stage [0-9] (\([a-z-]*\)).*/\1/p')
	ROWS+=("M40 back at 1st repair|$tool|-|$(secs "$t0" "$td") s|$(secs "$t0" "$tr") s (${how:-?})|-")
	eg_stop 2>>"$EG_WORK/harness.log"
}

# ---- M42 and M43: the link never comes back ----
# never TOOL CLOCK [usb]
never() {
	local tool=$1 clock=$2 mode=${3:-} name t0 td tb end v1 held second n now scen e extra=''
	name=m42-$tool-$clock
	scen="M42 never back"
	if [ "$mode" = usb ]; then
		name=m43-$tool scen="M43 never back, USB LUN" extra=" egbench.usb=/var/lib/egbench-lun.img"
	fi
	[ "$clock" = rtc ] || extra+=" egbench.ntp=$(date +%s)"
	warp "$clock"
	EG_REBOOTS=1
	boot "$name" 900 "$(append_for "$tool") nohz=off egbench.warp=1$extra"
	EG_PART=1
	if ! eg_expect "$READY" 300 || ! eg_set_link n0 down; then
		ROWS+=("$scen|$tool|$clock|-|-|no result: $(why)")
		eg_stop 2>>"$EG_WORK/harness.log"
		return 1
	fi
	if [ "$mode" = usb ]; then
		# The reboot would be considered at the second failed run,
		# 11..21 min (seed) or about 12 min (earlyguard) after the
		# fault; watched for 30 min of guest time.
		end=$(($(date +%s) + 300))
		while ! eg_has "${USBVETO[$tool]}" && ! eg_has "${REBOOT[$tool]}"; do
			now=$(last_ktime)
			{ eg_exited || [ "$(date +%s)" -ge "$end" ] || awk -v t="$now" 'BEGIN { exit !(t >= 1800) }'; } && break
			sleep 1
		done
		t0=$(eg_ktime "$DOWN") td=$(eg_ktime "${DETECT[$tool]}")
		e="no reboot"
		if tb=$(eg_ktime "${REBOOT[$tool]}"); then
			e="reboot $(secs "$t0" "$tb") s" held="NOT held"
		elif tb=$(eg_ktime "${USBVETO[$tool]}"); then
			held="held by the LUN at $(secs "$t0" "$tb") s"
		else
			held="no reboot considered within $(secs "$t0" "$(last_ktime)") s"
		fi
		ROWS+=("$scen|$tool|$clock|$(secs "$t0" "${td:-$t0}") s|$e|$held")
		eg_stop 2>>"$EG_WORK/harness.log"
		return 0
	fi
	if ! eg_expect "${REBOOT[$tool]}" 400 || ! eg_expect_boot 2 300; then
		ROWS+=("$scen|$tool|$clock|-|-|no result: $(why)")
		eg_stop 2>>"$EG_WORK/harness.log"
		return 1
	fi
	t0=$(eg_ktime "$DOWN") td=$(eg_ktime "${DETECT[$tool]}") tb=$(eg_ktime "${REBOOT[$tool]}")
	# The first decision on QEMU's virtual clock (see vclock).
	if ! v1=$(vclock "$tb"); then
		ROWS+=("$scen|$tool|$clock|$(secs "$t0" "$td") s|reboot $(secs "$t0" "$tb") s|no result: boot 1 has no \"EG-BENCH: rtc\" line")
		EG_PART=
		eg_stop 2>>"$EG_WORK/harness.log"
		return 1
	fi
	# plus T: from the first decision to boot 2's time T
	plus() { awk -v a="$v1" -v b="$(vclock "$1")" 'BEGIN { printf "%.1f", b - a }'; }
	EG_PART=2
	# Boot 2: until a second reboot decision, or WATCH2 s of guest time.
	end=$(($(date +%s) + 420))
	while ! eg_has "${REBOOT[$tool]}"; do
		now=$(last_ktime)
		{ [ "$(EG_PART='' eg_count "$EG_BANNER")" -gt 2 ] || eg_exited || [ "$(date +%s)" -ge "$end" ] ||
			awk -v t="$now" -v w="$WATCH2" 'BEGIN { exit !(t >= w) }'; } && break
		sleep 1
	done
	eg_has "$DOWN" || NOTES+=("$name: boot 2 has no \"$DOWN\" line: was the link down in it?")
	held="no veto seen"
	if eg_has "${COOLDOWN[$tool]}"; then
		held=$(eg_lines "${COOLDOWN[$tool]}" | head -n 1 | sed -n \
			-e 's/.*(last reboot \(-*[0-9]*s\) ago).*/"last reboot \1 ago"/p' \
			-e 's/.*cooldown: \([0-9hms]*\) left.*/"\1 left"/p')
		held="held at +$(plus "$(eg_ktime "${COOLDOWN[$tool]}")") s: $held"
	fi
	n=$(eg_count "${REBOOT[$tool]}")
	if [ "$n" -gt 0 ]; then
		# from the first reboot decision: its boot's rest, then boot 2
		second=$(plus "$(eg_ktime "${REBOOT[$tool]}")")
		# the script's `date +%s` steps by whole seconds
		if awk -v s="$second" 'BEGIN { exit !(s < 3599) }'; then
			held="NOT held: 2nd reboot +$second s; $held"
		else
			held="$held; 2nd reboot +$second s"
		fi
	else
		held="$held; no 2nd reboot in $(plus "$(last_ktime)") s"
	fi
	ROWS+=("$scen|$tool|$clock|$(secs "$t0" "$td") s|reboot $(secs "$t0" "$tb") s|$held")
	EG_PART=
	eg_stop 2>>"$EG_WORK/harness.log"
}

want() { # want NAME: NAME is one of the runs asked for
	case " $runs " in
	*" $1 "*) return 0 ;;
	esac
	return 1
}
for tool in seed earlyguard; do
	! want "m40-$tool" || m40 "$tool"
done
for tool in seed earlyguard; do
	for clock in rtc 1970; do
		! want "m42-$tool-$clock" || never "$tool" "$clock"
	done
done
for tool in seed earlyguard; do
	[ "$usb" != 1 ] || ! want "m43-$tool" || never "$tool" rtc usb
done
eg_kill_all

# ---- the table ----
fmt='  %-24s %-10s %-5s %-10s %-22s %s\n'
# shellcheck disable=SC2059 # the format is ours
printf "$fmt" scenario tool clock detection "recovery / reboot" "after the reboot: cooldown 1h (USB)"
for r in "${ROWS[@]}"; do
	IFS='|' read -r a b c d e f <<<"$r"
	# shellcheck disable=SC2059
	printf "$fmt" "$a" "$b" "$c" "$d" "$e" "$f"
done
cat <<'EOF'
  (guest time from the link going down: eg-carrier's "carrier 0", sysfs polled every 0.1 s, so a tool
   may log first (< 0); "+N s": after the first reboot decision, the reset included (QEMU's clock, via
   the RTC); a 2nd reboot before +3599 s (the script's date +%s steps by seconds) is "NOT held")
  (seed: detection is its cron phase, 0..600 s; reboot = detection + 600 s + one run of ~50 s: ~650..1250 s;
   earlyguard: rtnetlink, then heal_grace 1 s; reboot = 2 runs of ~64 s + heal_interval 10m: ~730 s)
  (clock rtc: the guest's RTC kept time across the reboot; 1970: the RTC starts at 1970, an NTP stand-in
   set the host's time in boot 1, where eth0 had carrier, and nothing could in boot 2)
  (M40 in real time, one cron phase; M42, M43 under QEMU -icount sleep=off: idle guest time is skipped;
   method and caveats: test/bench/heal.sh)
EOF
for n in "${NOTES[@]}"; do echo "  ($n)"; done
eg_now bench_t1
echo "  (consoles: ${out#"$EG_TOP"/}/console.RUN.log; wall time $(eg_cs $((bench_t1 - bench_t0))) s)"
