# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# lib.sh - shared functions of the QEMU boot-failure matrix.
#
# Sourced by test/qemu/M*.sh and test/qemu/run-matrix.sh, never executed.
# A scenario file defines one function that boots VMs and asserts, then
# calls  eg_scenario ID "description" FUNCTION.
#
# Times: host times are CLOCK_BOOTTIME from /proc/uptime, kept as integer
# centiseconds (monotonic, no fork to read). Guest times are the kernel's
# "[   12.345678] " console timestamps, in seconds. Differences and bound
# checks are printed and compared as decimal seconds.
#
# Nothing here synchronises with sleep: eg_await polls the console log (or
# the exit file) every 0.2 s and returns as soon as the awaited thing is
# there, or fails at its bound.
#
# Options of the next eg_boot (set them before it; they stay set):
#   EG_WATCHDOG=0  no -device i6300esb
#   EG_NET=1       user networking, restrict=on, with one port forward
#                  127.0.0.1:PORT -> guest port 22 for eg_ssh; PORT is
#                  picked by the host kernel when QEMU binds (port 0) and
#                  read back over QMP, so parallel boots never collide
#   EG_FETCH_PORT=PORT  user networking (restrict=on) with a guestfwd:
#                  the guest's connections to 10.0.2.100:80 reach
#                  127.0.0.1:PORT (busybox nc, one per connection, its
#                  stderr not: slirp gives the command's stderr to the
#                  guest too): the known-good server of test/qemu/fetch.sh
#   EG_EXTRA_DRIVE=FILE  a third virtio disk, read-only (/dev/vdc): the
#                  test payload of the bench (label egpayload)
#   EG_MEM=MIB     the guest's RAM in MiB (-m; default 256): the fetch
#                  bench keeps a 256 MiB image in a tmpfs
#   EG_REBOOTS=1   no -no-reboot: a reset (watchdog or guest reboot)
#                  restarts the guest inside the same QEMU, and the next
#                  guest boot can read the watchdog's bootstatus; the
#                  console log then holds every guest boot of that QEMU
#                  (select one with EG_PART)
#   EG_INITRD_IMG=FILE  boot FILE as it is instead of the assembled
#                  initrd (initramfs.img + test overlay): an image made by
#                  another generator (images/build-initramfs-tools.sh)
#   EG_DISK=FILE   boot FILE through its own MBR and GRUB instead of
#                  -kernel/-initrd/-append (eg_boot's APPEND is not used):
#                  FILE is /dev/vda and is written (GRUB's grubenv), so it
#                  is the scenario's own copy (eg_disk_setup); the state
#                  disk stays /dev/vdb
#   EG_NIC2="MODE..."  more NICs after eth0 (n0), one per word: eth1 (n1),
#                  eth2 (n2), ...; MODE is user, responder or peer, and
#                  needs test/qemu/heal.sh (its eg_nic2_args), which also
#                  puts each NIC's guest address on the command line
#   EG_STATE_IMG=FILE  the record disk (/dev/vdb) of the next boots
#                  (default $EG_WORK/state.img); two VMs running at once
#                  need one each (heal.sh's eg_peer sets it)
#   EG_UDP_FWD=HOSTPORT:GUESTPORT  with EG_NET=1, also forward UDP from
#                  127.0.0.1:HOSTPORT to the guest's GUESTPORT on n0

set -uo pipefail

EG_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
EG_BUILD=${EG_BUILD:-$EG_TOP/build}
EG_IMAGES=$EG_BUILD/images
EG_KERNEL=$EG_IMAGES/vmlinuz
EG_INITRAMFS=$EG_IMAGES/initramfs.img
EG_ROOTFS=$EG_IMAGES/rootfs.img
EG_OVERLAY=$EG_IMAGES/test-overlay.cpio
EG_MKCPIO=$EG_BUILD/tools/mkcpio
EG_QMP=$EG_BUILD/test/qmp
# Where each scenario's work dir (logs, state disk) goes: EG_RESULTS/ID.
EG_RESULTS=${EG_RESULTS:-$EG_BUILD/test/qemu}
EG_QMP_SRC=$EG_TOP/test/qemu/qmp.c
EG_QEMU=${QEMU:-qemu-system-x86_64}
EG_POLL=0.2

# The command line every boot starts with; scenarios add root= and their
# earlyguard.* keys. No "quiet": earlyguard's /dev/kmsg markers must reach
# the serial console. (These and EG_SEEN_AT are used by the scenario files.)
# shellcheck disable=SC2034
EG_BASE_APPEND="console=ttyS0 earlyguard.driver=i6300esb earlyguard.device=/dev/watchdog earlyguard.record=/dev/vdb"
# shellcheck disable=SC2034
EG_ROOT_ARGS="root=/dev/vda rootfstype=ext4"

# Options of the next boot (see above).
EG_WATCHDOG=1        # 0: boot without -device i6300esb
EG_NET=0             # 1: user networking with the SSH port forward
EG_REBOOTS=0         # 1: no -no-reboot: resets restart the guest in place
EG_MEM=256           # guest RAM in MiB (-m)
# The guest boot within the console log that eg_has, eg_lines, eg_count,
# eg_ktime and eg_await look at: N selects the text from the Nth kernel
# banner ("Linux version ...") up to the next one; empty: the whole log.
EG_PART=

# Per-boot state, set by eg_boot and eg_await_exit.
EG_BOOT_SAVED=()     # per boot number: "T_START NET REBOOTS", for heal.sh's eg_use
EG_BOOT_NET=0        # EG_NET of the current boot
EG_BOOT_REBOOTS=0    # EG_REBOOTS of the current boot
EG_SSH_PORT=         # the current boot's forwarded host port, once read
EG_INITRD=
EG_CONSOLE=
EG_QMPLOG=
EG_QEMULOG=
EG_EXITF=
EG_PIDF=
EG_CTL=
EG_T_START=0         # host cs, just before QEMU was started
EG_T_EXIT=0          # host cs, just after QEMU exited
EG_RC=               # exit status of timeout(1) running QEMU
EG_OUTCOME=          # watchdog | reboot | stopped | timeout | poweroff | killed | error
# shellcheck disable=SC2034
EG_SEEN_AT=0         # host cs when eg_await last saw its marker
EG_BOOTS=()          # "pidfile exitfile wrapperpid" of every boot started
EG_HELPERS=()        # pids of host-side helpers (servers) to end with the VMs

# ---- time ----

# eg_now VAR: host monotonic time in centiseconds, into VAR.
eg_now() {
	local up _rest
	read -r up _rest </proc/uptime
	printf -v "$1" '%d' "$((10#${up/./}))"
}

# eg_cs CS: centiseconds as seconds ("12.34").
eg_cs() {
	local cs=$1 sign=
	if [ "$cs" -lt 0 ]; then sign=-; cs=$((-cs)); fi
	printf '%s%d.%02d' "$sign" "$((cs / 100))" "$((cs % 100))"
}

# eg_sub A B: A - B for decimal seconds, three decimals.
eg_sub() {
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a - b }'
}

# A wait the guest times (a stage's recheck, a deadline, a hold) measured
# between two of its console lines can show a few milliseconds short: the
# line it is measured from is stamped after the clock reading the wait is
# counted from (the program reads the clock, decides, then logs), and the
# kernel stamps lines with its local clock, not CLOCK_BOOTTIME.  CI saw
# 6.999 s for a 7 s wait.  The waits are whole seconds, so a slack of
# 50 ms still fails a wait cut short.
EG_STAMP_SLACK=0.05

# eg_wait_lo W: the lower bound for a guest-timed wait of W seconds.
eg_wait_lo() {
	eg_sub "$1" "$EG_STAMP_SLACK"
}

# eg_in_range V LO HI: succeeds when LO <= V <= HI (decimal seconds).
eg_in_range() {
	awk -v v="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v >= lo && v <= hi) }'
}

# ---- results ----

# eg_fail MESSAGE...: record a failed assertion; always returns 1.
eg_fail() {
	printf '%s\n' "$*" >>"$EG_WORK/failures"
	return 1
}

# eg_note MESSAGE...: record a measurement (kept in measure.txt, printed
# with the TAP line when EG_VERBOSE=1).
eg_note() {
	printf '%s\n' "$*" >>"$EG_WORK/measure.txt"
}

# eg_check LABEL VALUE LO HI UNIT: assert a measured bound.
eg_check() {
	local label=$1 v=$2 lo=$3 hi=$4 unit=$5
	eg_note "$label = $v s ($unit; bound $lo..$hi s)"
	eg_in_range "$v" "$lo" "$hi" ||
		eg_fail "$label = $v s, outside $lo..$hi s ($unit time)"
}

# ---- preflight ----

# eg_build_qmp: compile the QMP client when it is missing or stale.
eg_build_qmp() {
	if [ -x "$EG_QMP" ] && [ ! "$EG_QMP_SRC" -nt "$EG_QMP" ]; then
		return 0
	fi
	mkdir -p "$(dirname "$EG_QMP")" || return 1
	# Build under a temporary name: scenarios run in parallel may race.
	if ! "${HOSTCC:-${CC:-cc}}" -std=c11 -O2 -Wall -Wextra -Werror \
		-o "$EG_QMP.tmp.$$" "$EG_QMP_SRC" ||
		! mv -f "$EG_QMP.tmp.$$" "$EG_QMP"; then
		rm -f "$EG_QMP.tmp.$$"
		echo "qemu matrix: cannot build $EG_QMP from $EG_QMP_SRC" >&2
		return 1
	fi
}

# eg_preflight: the images and tools exist; builds the QMP client.
eg_preflight() {
	local f missing=
	for f in "$EG_KERNEL" "$EG_INITRAMFS" "$EG_ROOTFS" "$EG_OVERLAY"; do
		[ -s "$f" ] || missing="$missing ${f#"$EG_TOP"/}"
	done
	if [ -n "$missing" ]; then
		echo "qemu matrix: missing$missing: run make images" >&2
		return 1
	fi
	if ! command -v "$EG_QEMU" >/dev/null; then
		echo "qemu matrix: $EG_QEMU not found" >&2
		return 1
	fi
	eg_build_qmp
}

# ---- initrd ----

# eg_cat_padded FILE: FILE followed by zero bytes up to a multiple of 4.
# The kernel only looks for a "070701" header after a compressed archive at
# a 4-byte aligned offset; zero bytes between archives are skipped.
eg_cat_padded() {
	local size
	size=$(stat -c %s -- "$1") || return 1
	cat -- "$1" || return 1
	head -c "$(((4 - size % 4) % 4))" /dev/zero
}

# eg_initrd [SPEC]: build $EG_WORK/initrd.img from the images' initramfs,
# the test overlay and, given a mkcpio spec, a per-scenario archive.
# Later archives overwrite files of earlier ones.
eg_initrd() {
	local spec=${1:-} out=$EG_WORK/initrd.img
	{
		eg_cat_padded "$EG_INITRAMFS" &&
			eg_cat_padded "$EG_OVERLAY"
	} >"$out" || { eg_fail "cannot assemble $out"; return 1; }
	if [ -n "$spec" ]; then
		if [ ! -x "$EG_MKCPIO" ]; then
			eg_fail "$EG_MKCPIO missing: run make images"
			return 1
		fi
		"$EG_MKCPIO" <"$spec" >"$EG_WORK/scenario.cpio" ||
			{ eg_fail "mkcpio refused $spec"; return 1; }
		eg_cat_padded "$EG_WORK/scenario.cpio" >>"$out" ||
			{ eg_fail "cannot append scenario.cpio to $out"; return 1; }
	fi
	EG_INITRD=$out
}

# ---- booting ----

# eg_boot N LIMIT APPEND: start boot number N of this scenario in the
# background, killed by timeout(1) after LIMIT seconds. Boot 1 writes
# console.log, qmp.log, qemu.log; boot N>1 console.N.log and so on.
# The state disk (EG_STATE_IMG, default $EG_WORK/state.img: /dev/vdb) is
# the same for every boot of the scenario; the root disk is opened with
# snapshot=on, so the image under build/images is never written (a guest
# reset inside the same QEMU, with EG_REBOOTS=1, keeps the snapshot's
# writes).
eg_boot() {
	local n=$1 limit=$2 append=$3 sfx=
	[ "$n" = 1 ] || sfx=.$n
	local nic2=()
	if [ -n "${EG_NIC2:-}" ]; then
		declare -F eg_nic2_args >/dev/null ||
			{ eg_fail "EG_NIC2 needs test/qemu/heal.sh (source it after lib.sh)"; return 1; }
		# Sets EG_NIC2_QEMU (QEMU arguments) and EG_NIC2_APPEND (the
		# guests' addresses, egtest.ethN=..., for the command line).
		eg_nic2_args "$n" || return 1
		nic2=("${EG_NIC2_QEMU[@]}")
		append+=" $EG_NIC2_APPEND"
	fi
	local boot_args
	if [ -n "${EG_DISK:-}" ]; then
		[ -s "$EG_DISK" ] || { eg_fail "$EG_DISK missing (eg_disk_setup)"; return 1; }
		# SeaBIOS boots it; GRUB reads it through the BIOS.
		boot_args=(-drive "file=$EG_DISK,format=raw,if=virtio")
	else
		if [ -n "${EG_INITRD_IMG:-}" ]; then
			[ -s "$EG_INITRD_IMG" ] ||
				{ eg_fail "$EG_INITRD_IMG missing: run images/build-initramfs-tools.sh"; return 1; }
			EG_INITRD=$EG_INITRD_IMG
		fi
		[ -n "$EG_INITRD" ] || eg_initrd '' || return 1
		boot_args=(
			-kernel "$EG_KERNEL" -initrd "$EG_INITRD" -append "$append"
			-drive "file=$EG_ROOTFS,format=raw,if=virtio,snapshot=on"
		)
	fi
	if [ "$EG_NET" = 1 ]; then
		eg_ssh_setup || return 1
	fi
	local state_img=${EG_STATE_IMG:-$EG_WORK/state.img}
	[ -f "$state_img" ] || { eg_fail "record disk $state_img missing"; return 1; }

	EG_CONSOLE=$EG_WORK/console$sfx.log
	EG_QMPLOG=$EG_WORK/qmp$sfx.log
	EG_QEMULOG=$EG_WORK/qemu$sfx.log
	EG_EXITF=$EG_WORK/exit$sfx
	EG_PIDF=$EG_WORK/pid$sfx
	EG_CTL=$EG_SOCKDIR/ctl$sfx.sock
	local sock=$EG_SOCKDIR/qmp$sfx.sock
	rm -f "$EG_CONSOLE" "$EG_QMPLOG" "$EG_QEMULOG" "$EG_EXITF" "$EG_PIDF" \
		"$sock" "$EG_CTL"
	EG_RC='' EG_OUTCOME='' EG_T_EXIT=0
	EG_BOOT_NET=$EG_NET EG_BOOT_REBOOTS=$EG_REBOOTS EG_SSH_PORT=

	local args=(
		"$EG_QEMU" -accel tcg -m "$EG_MEM" -smp 1 -nodefaults -display none
		"${boot_args[@]}"
		-serial "file:$EG_CONSOLE"
		-drive "file=$state_img,format=raw,if=virtio"
		${EG_EXTRA_DRIVE:+-drive "file=$EG_EXTRA_DRIVE,format=raw,if=virtio,readonly=on"}
		-qmp "unix:$sock,server=on,wait=on"
		-qmp "unix:$EG_CTL,server=on,wait=off"
	)
	if [ "$EG_REBOOTS" != 1 ]; then
		args+=(-no-reboot)
	fi
	if [ "$EG_NET" = 1 ] || [ -n "${EG_FETCH_PORT:-}" ]; then
		# restrict=on: the guest reaches nothing but its forwards.
		# Host port 0: the kernel picks a free one when QEMU binds,
		# eg_ssh_port reads it back. A guestfwd's cmd: runs once per
		# guest connection, its stdio the connection. No option ROM:
		# the kernel is booted directly.
		local netdev=user,id=n0,restrict=on
		[ "$EG_NET" != 1 ] || netdev+=,hostfwd=tcp:127.0.0.1:0-:22
		# EG_UDP_FWD=HOSTPORT:GUESTPORT: datagrams to 127.0.0.1:HOSTPORT
		# reach the guest's GUESTPORT (M46 sends a forged heartbeat)
		[ -z "${EG_UDP_FWD:-}" ] ||
			netdev+=",hostfwd=udp:127.0.0.1:${EG_UDP_FWD%%:*}-:${EG_UDP_FWD#*:}"
		[ -z "${EG_FETCH_PORT:-}" ] ||
			netdev+=",guestfwd=tcp:10.0.2.100:80-cmd:/bin/sh -c 'exec busybox nc 127.0.0.1 $EG_FETCH_PORT 2>/dev/null'"
		args+=(-netdev "$netdev" -device "virtio-net-pci,netdev=n0,romfile=")
	else
		args+=(-net none)
	fi
	args+=("${nic2[@]}")
	if [ "$EG_WATCHDOG" = 1 ]; then
		args+=(-device i6300esb -action watchdog=reset)
	fi
	printf '%q ' "${args[@]}" >"$EG_WORK/cmdline$sfx"
	echo >>"$EG_WORK/cmdline$sfx"

	eg_now EG_T_START
	(
		# QEMU waits (wait=on) until the logger has connected, so no
		# event can be missed.
		"$EG_QMP" "$sock" "$EG_QMPLOG" 2>>"$EG_QEMULOG" &
		qmp_pid=$! t_exit=0
		timeout -k 5 "$limit" "${args[@]}" </dev/null >>"$EG_QEMULOG" 2>&1 &
		echo "$!" >"$EG_PIDF"
		wait "$!"
		rc=$?
		eg_now t_exit
		# QEMU is gone, so the logger sees EOF (or gives up connecting
		# after 10 s if QEMU never started).
		wait "$qmp_pid"
		echo "$rc $t_exit" >"$EG_EXITF.tmp"
		mv -f "$EG_EXITF.tmp" "$EG_EXITF"
	) &
	EG_BOOTS+=("$EG_PIDF $EG_EXITF $!")
	# shellcheck disable=SC2034 # read by heal.sh's eg_use
	EG_BOOT_SAVED[n]="$EG_T_START $EG_NET $EG_REBOOTS"
	local opts=
	[ "$EG_NET" != 1 ] || opts="$opts, networked"
	[ -z "${EG_FETCH_PORT:-}" ] || opts="$opts, 10.0.2.100:80 -> 127.0.0.1:$EG_FETCH_PORT"
	[ "$EG_REBOOTS" != 1 ] || opts="$opts, resets restart the guest"
	[ -z "${EG_NIC2:-}" ] || opts="$opts, more NICs: $EG_NIC2"
	if [ -n "${EG_DISK:-}" ]; then
		eg_note "boot$sfx: started, outer timeout $limit s$opts; disk: ${EG_DISK#"$EG_TOP"/}"
	else
		eg_note "boot$sfx: started, outer timeout $limit s$opts; append: $append"
	fi
}

# eg_classify QMPLOG RC [REBOOTS]: how a VM ended.
#   watchdog  a WATCHDOG event (the watchdog reset the guest)
#   reboot    a guest reset (SHUTDOWN guest-reset or RESET) and no WATCHDOG
#   stopped   the test quit it over QMP
#   timeout   killed by the outer timeout
#   poweroff  the guest powered off
#   killed    QEMU got a signal the test did not send through timeout(1)
#   error     QEMU ended without any of these (see qemu.log)
# With REBOOTS=1 (the boot ran without -no-reboot) a reset does not end
# QEMU, so only the last four and "stopped" can be how it ended; count the
# resets with eg_events.
eg_classify() {
	local log=$1 rc=$2 reboots=${3:-0}
	if [ "$reboots" != 1 ] && grep -aq '"event": *"WATCHDOG"' "$log" 2>/dev/null; then
		echo watchdog
	elif grep -aq '"reason": *"host-qmp-quit"' "$log" 2>/dev/null; then
		echo stopped
	elif [ "$reboots" != 1 ] &&
		grep -aqE '"reason": *"guest-reset"|"event": *"RESET"' "$log" 2>/dev/null; then
		echo reboot
	elif [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
		echo timeout
	elif grep -aq '"reason": *"guest-shutdown"' "$log" 2>/dev/null; then
		echo poweroff
	elif grep -aq '"reason": *"host-signal"' "$log" 2>/dev/null; then
		echo killed
	else
		echo error
	fi
}

# eg_exited: the current boot's QEMU has exited (its exit file is there).
eg_exited() {
	[ -f "$EG_EXITF" ]
}

# eg_await_exit SECONDS: wait up to SECONDS for the current boot to end;
# then EG_RC, EG_T_EXIT (host cs) and EG_OUTCOME are set. Fails (without
# recording) if the VM is still running.
eg_await_exit() {
	local end now
	eg_now now
	end=$((now + $1 * 100))
	until eg_exited; do
		eg_now now
		[ "$now" -lt "$end" ] || return 1
		sleep "$EG_POLL"
	done
	read -r EG_RC EG_T_EXIT <"$EG_EXITF"
	EG_OUTCOME=$(eg_classify "$EG_QMPLOG" "$EG_RC" "$EG_BOOT_REBOOTS")
	eg_note "boot: ended after $(eg_cs $((EG_T_EXIT - EG_T_START))) s host time, outcome $EG_OUTCOME (rc $EG_RC)"
}

# eg_expect_exit SECONDS: eg_await_exit, recording a failure.
eg_expect_exit() {
	eg_await_exit "$1" ||
		eg_fail "the VM did not end within $1 s (host time) of the awaited point"
}

# eg_stop: quit the current VM over QMP and wait for it to end; falls back
# to SIGTERM on timeout(1) (which passes it to QEMU).
eg_stop() {
	eg_exited && { eg_await_exit 0; return; }
	"$EG_QMP" "$EG_CTL" --cmd '{"execute":"quit"}' >>"$EG_QEMULOG" 2>&1
	eg_await_exit 15 && return 0
	[ -s "$EG_PIDF" ] && kill -TERM "$(cat "$EG_PIDF")" 2>/dev/null
	eg_await_exit 10 || eg_fail "cannot stop the VM"
}

# eg_kill_all: end every VM this scenario started that is still running.
eg_kill_all() {
	local b pidf exitf wpid
	for b in "${EG_BOOTS[@]}"; do
		read -r pidf exitf wpid <<<"$b"
		if [ ! -f "$exitf" ] && [ -s "$pidf" ]; then
			kill -TERM "$(cat "$pidf")" 2>/dev/null
		fi
		wait "$wpid" 2>/dev/null
	done
	EG_BOOTS=()
	for wpid in "${EG_HELPERS[@]}"; do
		kill -TERM "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	done
	EG_HELPERS=()
}

# ---- the console log ----

# The kernel's first line of every boot; EG_PART counts these.
EG_BANNER='] Linux version '

# awk program text that selects the lines of guest boot number `part` (0:
# every line) and strips the serial console's CRs; the rules that follow
# it see only the selected lines.
# shellcheck disable=SC2016 # awk's $0, not the shell's
EG_AWK_PART='
	{ gsub(/\r/, "") }
	index($0, banner) { boot++ }
	part && boot != part { next }
'

# eg_awk_log PROGRAM FILE [ARGS...]: run awk PROGRAM (after EG_AWK_PART) on
# FILE, with banner and part set and any further -v ARGS. Reads the file
# itself, so an early exit cannot break a pipe.
eg_awk_log() {
	local prog=$1 file=$2
	shift 2
	[ -r "$file" ] || return 1
	awk -v banner="$EG_BANNER" -v part="${EG_PART:-0}" "$@" "$EG_AWK_PART$prog" "$file"
}

# eg_has MARKER [FILE]: the console log (the part EG_PART selects)
# contains MARKER (fixed string).
# shellcheck disable=SC2016 # awk programs in single quotes
eg_has() {
	if [ -z "$EG_PART" ]; then
		grep -aqF -- "$1" "${2:-$EG_CONSOLE}" 2>/dev/null
	else
		eg_awk_log 'index($0, m) { f = 1; exit } END { exit !f }' \
			"${2:-$EG_CONSOLE}" -v m="$1" 2>/dev/null
	fi
}

# eg_lines MARKER [FILE]: every console line containing MARKER, CR removed.
# shellcheck disable=SC2016
eg_lines() {
	if [ -z "$EG_PART" ]; then
		grep -aF -- "$1" "${2:-$EG_CONSOLE}" 2>/dev/null | tr -d '\r'
	else
		eg_awk_log 'index($0, m)' "${2:-$EG_CONSOLE}" -v m="$1" 2>/dev/null
	fi
}

# eg_count MARKER [FILE]: how many console lines contain MARKER (0 when the
# log does not exist yet).
# shellcheck disable=SC2016
eg_count() {
	eg_awk_log 'index($0, m) { c++ } END { print c + 0 }' \
		"${2:-$EG_CONSOLE}" -v m="$1" 2>/dev/null || echo 0
}

# eg_boots_seen: how many guest boots the current console log holds so
# far (kernel banners), whatever EG_PART says.
eg_boots_seen() {
	EG_PART='' eg_count "$EG_BANNER"
}

# eg_count_whole MARKER [FILE]: like eg_count, but only lines written to
# their end.  The emulated UART writes the console a few bytes at a time:
# a check of a line's words made as soon as its first bytes are there can
# miss the rest, so the awaits below count only lines that end in a newline.
# shellcheck disable=SC2016
eg_count_whole() {
	local file=${2:-$EG_CONSOLE} partial=0
	[ -z "$(tail -c 1 "$file" 2>/dev/null)" ] || partial=1
	eg_awk_log 'index($0, m) { c++; last = NR } END { print c - (partial && last == NR) }' \
		"$file" -v m="$1" -v partial="$partial" 2>/dev/null || echo 0
}

# eg_await MARKER SECONDS [FILE]: wait until a whole line with MARKER is in
# the console log, for at most SECONDS (host time); sets EG_SEEN_AT. Fails
# without recording: early if the VM ended without printing MARKER.
eg_await() {
	local marker=$1 file=${3:-$EG_CONSOLE} end now
	eg_now now
	end=$((now + $2 * 100))
	for (( ; ; )); do
		if eg_has "$marker" "$file" && [ "$(eg_count_whole "$marker" "$file")" -gt 0 ]; then
			eg_now EG_SEEN_AT
			return 0
		fi
		if eg_exited; then
			# QEMU has exited, so the log is complete.
			eg_has "$marker" "$file" && { eg_now EG_SEEN_AT; return 0; }
			return 1
		fi
		eg_now now
		[ "$now" -lt "$end" ] || return 1
		sleep "$EG_POLL"
	done
}

# eg_await_nth MARKER N SECONDS [FILE]: like eg_await, until the console
# log (the part EG_PART selects) holds at least N lines with MARKER.
eg_await_nth() {
	local marker=$1 n=$2 file=${4:-$EG_CONSOLE} end now
	eg_now now
	end=$((now + $3 * 100))
	for (( ; ; )); do
		if [ "$(eg_count_whole "$marker" "$file")" -ge "$n" ]; then
			eg_now EG_SEEN_AT
			return 0
		fi
		if eg_exited; then
			[ "$(eg_count "$marker" "$file")" -ge "$n" ] &&
				{ eg_now EG_SEEN_AT; return 0; }
			return 1
		fi
		eg_now now
		[ "$now" -lt "$end" ] || return 1
		sleep "$EG_POLL"
	done
}

# eg_expect_boot N SECONDS: the console log holds a Nth guest boot (a
# kernel banner) within SECONDS (host time); sets EG_SEEN_AT. Records a
# failure otherwise. For EG_REBOOTS=1 boots.
eg_expect_boot() {
	EG_PART='' eg_await_nth "$EG_BANNER" "$1" "$2" && return 0
	eg_fail "no guest boot $1 in the console log within $2 s (host time; $(eg_boots_seen) seen)"
}

# eg_expect MARKER SECONDS: eg_await, recording a failure.
eg_expect() {
	eg_await "$1" "$2" && return 0
	if eg_exited; then
		eg_await_exit 0
		eg_fail "'$1' not on the console: the VM ended first (outcome $EG_OUTCOME)"
	else
		eg_fail "'$1' not on the console within $2 s (host time)"
	fi
}

# eg_expect_line MARKER WORD: some console line with MARKER also contains
# WORD (both fixed strings).
eg_expect_line() {
	eg_lines "$1" | grep -qF -- "$2" ||
		eg_fail "no console line with '$1' mentions '$2'"
}

# eg_expect_line_re MARKER ERE: some console line with MARKER also matches
# the extended regular expression ERE (case-insensitive).
eg_expect_line_re() {
	eg_lines "$1" | grep -qiE -- "$2" ||
		eg_fail "no console line with '$1' matches /$2/"
}

# eg_absent MARKER: MARKER is not on the console.
eg_absent() {
	! eg_has "$1" || eg_fail "'$1' on the console, it must not be"
}

# eg_ktime MARKER [FILE]: the kernel timestamp (seconds) of the first
# console line containing MARKER (in the part EG_PART selects). Fails if
# there is none.
eg_ktime() {
	eg_ktime_nth "$1" 1 "${2:-}"
}

# eg_ktime_nth MARKER N [FILE]: the kernel timestamp of the Nth console line
# containing MARKER.
# shellcheck disable=SC2016
eg_ktime_nth() {
	local t
	t=$(eg_awk_log '
		(i = index($0, m)) && ++seen == n {
			pre = substr($0, 1, i - 1); t = ""
			# the last timestamp before the marker
			while (match(pre, /\[ *[0-9]+\.[0-9]+\]/)) {
				t = substr(pre, RSTART + 1, RLENGTH - 2)
				pre = substr(pre, RSTART + RLENGTH)
			}
			gsub(/ /, "", t); print t; exit
		}' "${3:-$EG_CONSOLE}" -v m="$1" -v n="$2") || return 1
	[ -n "$t" ] || return 1
	echo "$t"
}

# eg_start_ktime: the guest time at which earlyguard init started: the
# timestamp of its "armed" line less the "armed in N ms" it reports (the
# initramfs deadline is counted from that start).
eg_start_ktime() {
	local t ms
	t=$(eg_ktime "earlyguard: armed ") || return 1
	ms=$(eg_lines "earlyguard: armed " | sed -n 's/.*armed in \([0-9]*\)ms.*/\1/p' | head -n 1)
	[ -n "$ms" ] || return 1
	awk -v t="$t" -v ms="$ms" 'BEGIN { printf "%.3f\n", t - ms / 1000 }'
}

# eg_check_guest LABEL FROM TO LO HI: the guest time from the first line
# with marker FROM to the first line with marker TO is within LO..HI s.
eg_check_guest() {
	local label=$1 a b
	a=$(eg_ktime "$2") || { eg_fail "$label: no timestamped line with '$2'"; return 1; }
	b=$(eg_ktime "$3") || { eg_fail "$label: no timestamped line with '$3'"; return 1; }
	eg_check "$label" "$(eg_sub "$b" "$a")" "$4" "$5" guest
}

# eg_check_host LABEL FROM_CS TO_CS LO HI: host time FROM..TO is within LO..HI s.
eg_check_host() {
	eg_check "$1" "$(eg_cs $(($3 - $2)))" "$4" "$5" host
}

# eg_expect_outcome WANT: the current boot ended as WANT.
eg_expect_outcome() {
	[ "$EG_OUTCOME" = "$1" ] ||
		eg_fail "outcome '$EG_OUTCOME', expected '$1' (qemu rc $EG_RC)"
}

# ---- QMP events ----

# eg_events NAME [QMPLOG]: how many NAME events (WATCHDOG, RESET, ...) the
# current boot's QMP log holds.
eg_events() {
	local c
	c=$(grep -ac "\"event\": *\"$1\"" "${2:-$EG_QMPLOG}" 2>/dev/null)
	echo "${c:-0}"
}

# eg_await_event NAME SECONDS [N]: wait until the QMP log holds N (default
# 1) NAME events, for at most SECONDS (host time); sets EG_SEEN_AT. Fails
# without recording. With EG_REBOOTS=1 this is how a reset is seen: QEMU
# goes on running.
eg_await_event() {
	local name=$1 n=${3:-1} end now
	eg_now now
	end=$((now + $2 * 100))
	for (( ; ; )); do
		if [ "$(eg_events "$name")" -ge "$n" ]; then
			eg_now EG_SEEN_AT
			return 0
		fi
		if eg_exited; then
			[ "$(eg_events "$name")" -ge "$n" ] && { eg_now EG_SEEN_AT; return 0; }
			return 1
		fi
		eg_now now
		[ "$now" -lt "$end" ] || return 1
		sleep "$EG_POLL"
	done
}

# eg_expect_event NAME SECONDS [N]: eg_await_event, recording a failure.
eg_expect_event() {
	eg_await_event "$@" && return 0
	if eg_exited; then
		eg_await_exit 0
		eg_fail "no $1 event (QMP): the VM ended first (outcome $EG_OUTCOME)"
	else
		eg_fail "no $1 event (QMP) within $2 s (host time)"
	fi
}

# ---- ssh (EG_NET=1 boots) ----

EG_SSH_KEY_SRC=$EG_IMAGES/test_ssh_key
EG_SSH_KEY=          # the scenario's copy (ssh wants it private: 0600)
EG_SSH_RC=           # exit status of the last eg_ssh (255: ssh failed)
EG_SSH_OUT=          # its standard output, CR removed
EG_SSH_ERR=          # its standard error, CR removed
EG_SSH_N=0           # eg_ssh calls so far; each one is logged in ssh.log
EG_SSH_LIMIT=${EG_SSH_LIMIT:-30}

# eg_ssh_setup: the ssh client and the test key are there; copies the key
# into the work dir with mode 0600. Records a failure otherwise.
eg_ssh_setup() {
	[ -z "$EG_SSH_KEY" ] || return 0
	command -v ssh >/dev/null ||
		{ eg_fail "ssh not found (install openssh-client)"; return 1; }
	[ -s "$EG_SSH_KEY_SRC" ] ||
		{ eg_fail "${EG_SSH_KEY_SRC#"$EG_TOP"/} missing: run make images"; return 1; }
	install -m 600 "$EG_SSH_KEY_SRC" "$EG_WORK/ssh_key" ||
		{ eg_fail "cannot copy the test key into $EG_WORK"; return 1; }
	EG_SSH_KEY=$EG_WORK/ssh_key
}

# eg_usernet_port NETDEV: print the host port QEMU bound for the current
# boot's forward to guest port 22 on the user-net NETDEV (n0, or an
# EG_NIC2=user NIC). Records a failure if there is none.
eg_usernet_port() {
	local reply port
	reply=$("$EG_QMP" "$EG_CTL" --cmd \
		'{"execute":"human-monitor-command","arguments":{"command-line":"info usernet"}}' \
		2>>"$EG_QEMULOG")
	# A JSON string: one block per user netdev, "Hub -1 (n0):" then its
	# lines, such as "TCP[HOST_FORWARD]  FD  127.0.0.1  PORT  10.0.2.15
	# 22 ...", each ended by the escapes \r\n.
	port=$(printf '%s\n' "$reply" | sed 's/\\r//g; s/\\n/\n/g' | awk -v hdr="($1):" '
		/Hub [-0-9]* \(/ { mine = (index($0, hdr) > 0) }
		mine && $1 == "TCP[HOST_FORWARD]" && $3 == "127.0.0.1" && $6 == "22" { print $4 }')
	case $port in
	'' | *[!0-9]*) eg_fail "no 127.0.0.1 port forward of $1 in 'info usernet': $reply"; return 1 ;;
	esac
	if [ "$port" -lt 1 ] || [ "$port" -gt 65535 ]; then
		eg_fail "bad forwarded port $port"
		return 1
	fi
	echo "$port"
}

# eg_ssh_port: set EG_SSH_PORT to the host port QEMU bound for the current
# boot's forward to guest port 22 on n0 (asked once per boot over QMP).
eg_ssh_port() {
	[ -z "$EG_SSH_PORT" ] || return 0
	[ "$EG_BOOT_NET" = 1 ] || { eg_fail "eg_ssh: this boot has no network (EG_NET=1)"; return 1; }
	local port
	port=$(eg_usernet_port n0) || return 1
	EG_SSH_PORT=$port
	eg_note "ssh: guest port 22 forwarded from 127.0.0.1:$port"
}

# eg_ssh USER CMD...: run CMD (one remote shell command line, as ssh
# joins it) as USER on the current guest, through 127.0.0.1 only, with the
# test key and no host key checking, bounded by timeout(1) (EG_SSH_LIMIT
# s, SIGKILL 2 s later). Sets EG_SSH_RC, EG_SSH_OUT, EG_SSH_ERR and
# returns EG_SSH_RC; stdin is /dev/null. Every call goes to ssh.log.
eg_ssh() {
	local user=$1 out=$EG_WORK/ssh.out err=$EG_WORK/ssh.err t0 t1
	shift
	EG_SSH_RC=255 EG_SSH_OUT='' EG_SSH_ERR=''
	eg_ssh_setup || return 255
	eg_ssh_port || return 255
	EG_SSH_N=$((EG_SSH_N + 1))
	eg_now t0
	# -F /dev/null: no user or system ssh_config (no proxies, no
	# control sockets, no other host); no agent, only the test key.
	timeout -k 2 "$EG_SSH_LIMIT" ssh -F /dev/null -n -T \
		-i "$EG_SSH_KEY" -p "$EG_SSH_PORT" \
		-o IdentitiesOnly=yes -o IdentityAgent=none -o BatchMode=yes \
		-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
		-o GlobalKnownHostsFile=/dev/null -o LogLevel=ERROR \
		-o ConnectTimeout=10 -o ServerAliveInterval=5 -o ServerAliveCountMax=3 \
		"$user@127.0.0.1" "$@" >"$out" 2>"$err" </dev/null
	EG_SSH_RC=$?
	eg_now t1
	EG_SSH_OUT=$(tr -d '\r' <"$out")
	EG_SSH_ERR=$(tr -d '\r' <"$err")
	{
		printf '#%d %s@guest$ %s\n' "$EG_SSH_N" "$user" "$*"
		printf '  rc %s after %s s\n' "$EG_SSH_RC" "$(eg_cs $((t1 - t0)))"
		[ -z "$EG_SSH_OUT" ] || printf '%s\n' "$EG_SSH_OUT" | sed 's/^/  out: /'
		[ -z "$EG_SSH_ERR" ] || printf '%s\n' "$EG_SSH_ERR" | sed 's/^/  err: /'
	} >>"$EG_WORK/ssh.log"
	return "$EG_SSH_RC"
}

# eg_ssh_wait USER SECONDS: retry "true" over ssh until it succeeds, for at
# most SECONDS (host time): dropbear may start listening a moment after
# the marker that says it was started. Sets EG_SEEN_AT. Records a failure.
eg_ssh_wait() {
	local user=$1 end now tries=0
	eg_now now
	end=$((now + $2 * 100))
	for (( ; ; )); do
		tries=$((tries + 1))
		if eg_ssh "$user" true; then
			eg_now EG_SEEN_AT
			eg_note "ssh: $user logged in at try $tries"
			return 0
		fi
		# No forwarded port (recorded by eg_ssh_port): retrying is no use.
		[ -n "$EG_SSH_PORT" ] || return 1
		if eg_exited; then
			eg_await_exit 0
			eg_fail "ssh $user: the VM ended first (outcome $EG_OUTCOME)"
			return 1
		fi
		eg_now now
		if [ "$now" -ge "$end" ]; then
			eg_fail "ssh $user: no login within $2 s ($tries tries; last rc $EG_SSH_RC: $EG_SSH_ERR)"
			return 1
		fi
		sleep 0.5
	done
}

# eg_ssh_expect RC USER CMD...: eg_ssh, recording a failure unless it
# exits with RC.
eg_ssh_expect() {
	local want=$1
	shift
	eg_ssh "$@"
	[ "$EG_SSH_RC" = "$want" ] && return 0
	eg_fail "ssh $1: '${*:2}' exited $EG_SSH_RC, expected $want (out: ${EG_SSH_OUT:0:300}; err: ${EG_SSH_ERR:0:300})"
}

# eg_ssh_has TEXT: the last eg_ssh printed TEXT (fixed string) on stdout
# or stderr; records a failure otherwise.
eg_ssh_has() {
	printf '%s\n%s\n' "$EG_SSH_OUT" "$EG_SSH_ERR" | grep -qF -- "$1" && return 0
	eg_fail "ssh #$EG_SSH_N printed no '$1' (out: ${EG_SSH_OUT:0:300}; err: ${EG_SSH_ERR:0:300})"
}

# eg_ssh_line KEY WORD: the last eg_ssh's stdout has a line "KEY: ..."
# that contains WORD (fixed string); for `earlyguard status`.
eg_ssh_line() {
	printf '%s\n' "$EG_SSH_OUT" | grep -E "^$1:" | grep -qF -- "$2" && return 0
	eg_fail "ssh #$EG_SSH_N: no '$1:' line mentions '$2' (out: ${EG_SSH_OUT:0:400})"
}

# ---- GRUB disk boots (EG_DISK) ----

EG_DISK_SRC=$EG_IMAGES/disk.img
EG_DISKENV=$EG_TOP/images/diskenv.sh
EG_ENV_OUT=          # stdout of the last eg_env

# eg_disk_setup: copy build/images/disk.img into the work dir (sparse) and
# boot it from now on (EG_DISK). Records a failure if it is missing.
eg_disk_setup() {
	[ -s "$EG_DISK_SRC" ] ||
		{ eg_fail "${EG_DISK_SRC#"$EG_TOP"/} missing: run make images"; return 1; }
	cp --sparse=always "$EG_DISK_SRC" "$EG_WORK/disk.img" ||
		{ eg_fail "cannot copy disk.img into $EG_WORK"; return 1; }
	# Write the copy out now.  Left dirty, tens of MB would ride along with
	# the next fsync on this file system, and the VM in the other slot of
	# the matrix fsyncs its record disk (an ext4 journal commit waits for
	# all ordered data): M50's guard once stalled 4 s in such a write and
	# its 4 s watchdog reset the VM.
	sync "$EG_WORK/disk.img" || { eg_fail "cannot sync $EG_WORK/disk.img"; return 1; }
	EG_DISK=$EG_WORK/disk.img
}

# eg_env [--file PATH] CMD ARGS...: images/diskenv.sh CMD on the scenario's
# disk, between boots (never while its VM runs); its stdout in EG_ENV_OUT,
# every call in diskenv.log. Records a failure unless it succeeds.
eg_env() {
	local fopt=()
	if [ "$1" = --file ]; then
		fopt=(--file "$2")
		shift 2
	fi
	if [ -n "$EG_EXITF" ] && ! eg_exited; then
		eg_fail "eg_env $*: the VM is still running"
		return 1
	fi
	EG_ENV_OUT=$("$EG_DISKENV" "${fopt[@]}" "$EG_DISK" "$@" 2>"$EG_WORK/diskenv.err")
	local rc=$?
	{
		printf '$ diskenv.sh %s%s\n' "${fopt[*]:+${fopt[*]} }" "$*"
		[ -z "$EG_ENV_OUT" ] || printf '%s\n' "$EG_ENV_OUT" | sed 's/^/  /'
		[ "$rc" = 0 ] || sed 's/^/  err: /' "$EG_WORK/diskenv.err"
	} >>"$EG_WORK/diskenv.log"
	[ "$rc" = 0 ] && return 0
	eg_fail "diskenv.sh ${fopt[*]:+${fopt[*]} }$* failed: $(head -n 3 "$EG_WORK/diskenv.err")"
}

# eg_env_is NAME VALUE...: the grubenv holds NAME=VALUE for every pair
# (VALUE may be empty: "NAME=" written, not absent).
eg_env_is() {
	eg_env list || return 1
	while [ $# -ge 2 ]; do
		printf '%s\n' "$EG_ENV_OUT" | grep -qxF -- "$1=$2" ||
			eg_fail "grubenv: expected $1=$2, have: $(printf '%s\n' "$EG_ENV_OUT" | grep "^$1=" || echo "no $1") (all: $(printf '%s\n' "$EG_ENV_OUT" | tr '\n' ' '))"
		shift 2
	done
}

# eg_cmdline: the kernel's "Command line:" of the current boot (EG_PART),
# without the prefix.
eg_cmdline() {
	eg_lines "] Command line: " | head -n 1 | sed 's/.*] Command line: //'
}

# eg_expect_entry ENTRY ATTEMPT [WORD...]: the current boot's kernel
# command line has earlyguard.entry=ENTRY, earlyguard.attempt=ATTEMPT and
# every WORD, each as a whole word.
eg_expect_entry() {
	local line w
	line=$(eg_cmdline)
	[ -n "$line" ] || { eg_fail "no kernel command line on the console"; return 1; }
	for w in "earlyguard.entry=$1" "earlyguard.attempt=$2" "${@:3}"; do
		case " $line " in
		*" $w "*) ;;
		*) eg_fail "the kernel command line lacks $w: $line" ;;
		esac
	done
	eg_note "kernel command line: ${line#BOOT_IMAGE=}"
}

# ---- JSON ----

# eg_json_valid: stdin is exactly one JSON value (RFC 8259: objects,
# arrays, strings with their escapes, numbers, true, false, null) and
# nothing else but white space. awk, so no python or jq is needed.
eg_json_valid() {
	awk '
	BEGIN { for (i = 1; i < 32; i++) ctl = ctl sprintf("%c", i) }
	{ s = s $0 "\n" }
	function ws() { while (p <= n && index(" \t\n\r", substr(s, p, 1))) p++ }
	function lit(w) {
		if (substr(s, p, length(w)) != w) return 0
		p += length(w); return 1
	}
	function str(   c) {
		p++
		while (p <= n) {
			c = substr(s, p, 1)
			if (c == "\"") { p++; return 1 }
			if (index(ctl, c)) return 0
			if (c == "\\") {
				c = substr(s, p + 1, 1)
				if (c == "u") {
					if (substr(s, p + 2, 4) !~ /^[0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f][0-9A-Fa-f]$/)
						return 0
					p += 6
				} else if (index("\"\\/bfnrt", c)) {
					p += 2
				} else {
					return 0
				}
				continue
			}
			p++
		}
		return 0
	}
	function num() {
		if (!match(substr(s, p), /^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/))
			return 0
		p += RLENGTH; return 1
	}
	function seq(end_, isobj,   c) {
		p++; ws()
		if (substr(s, p, 1) == end_) { p++; return 1 }
		for (;;) {
			if (isobj) {
				ws()
				if (substr(s, p, 1) != "\"" || !str()) return 0
				ws()
				if (substr(s, p, 1) != ":") return 0
				p++
			}
			if (!val()) return 0
			ws(); c = substr(s, p, 1); p++
			if (c == end_) return 1
			if (c != ",") return 0
		}
	}
	function val(   c) {
		ws(); c = substr(s, p, 1)
		if (c == "{") return seq("}", 1)
		if (c == "[") return seq("]", 0)
		if (c == "\"") return str()
		if (c == "t") return lit("true")
		if (c == "f") return lit("false")
		if (c == "n") return lit("null")
		return num()
	}
	END { n = length(s); p = 1; ok = val(); ws(); exit !(ok && p > n) }'
}

# eg_json_has KEY ERE: the last eg_ssh printed a JSON member "KEY": VALUE
# whose value text matches ERE (anchored at the value's start).
eg_json_has() {
	printf '%s\n' "$EG_SSH_OUT" | grep -qE "\"$1\" *: *$2" && return 0
	eg_fail "JSON from ssh #$EG_SSH_N: no \"$1\": /$2/ (out: ${EG_SSH_OUT:0:400})"
}

# eg_standalone DIR: set up a work dir for a script that boots VMs outside
# eg_scenario (the demo, the bench): a fresh DIR with an empty record disk,
# a socket dir, the tools built, and every VM ended on exit.  Fails with a
# message if the images are missing.
eg_standalone() {
	EG_WORK=$1
	EG_SOCKDIR=$(mktemp -d "${TMPDIR:-/tmp}/egs.XXXXXX") || return 1
	# shellcheck disable=SC2064 # expand EG_SOCKDIR now
	trap "eg_kill_all; rm -rf '$EG_SOCKDIR'" EXIT
	rm -rf "$EG_WORK"
	mkdir -p "$EG_WORK" || return 1
	: >"$EG_WORK/failures"
	: >"$EG_WORK/measure.txt"
	eg_preflight 2>>"$EG_WORK/harness.log" ||
		{ echo "$(tail -n 1 "$EG_WORK/harness.log") (run 'make images')" >&2; return 1; }
	truncate -s 1M "$EG_WORK/state.img"
}

# ---- the scenario ----

# eg_scenario ID DESCRIPTION FUNCTION: run FUNCTION in a fresh work dir
# build/test/qemu/ID and print one TAP line (number from EG_TAP_N),
# followed on failure by '# ' diagnostics. Exits 0 on ok, 1 on not ok.
eg_scenario() {
	local id=$1 desc=$2 body=$3 tap_n=${EG_TAP_N:-1} t0 t1 rc
	EG_WORK=$EG_RESULTS/$id
	rm -rf "$EG_WORK"
	mkdir -p "$EG_WORK" || exit 1
	: >"$EG_WORK/failures"
	: >"$EG_WORK/measure.txt"
	exec 2>>"$EG_WORK/harness.log"

	# A unix socket path is limited to 107 bytes.
	EG_SOCKDIR=$EG_WORK
	if [ ${#EG_WORK} -gt 90 ]; then
		EG_SOCKDIR=$(mktemp -d "${TMPDIR:-/tmp}/egq.XXXXXX") || exit 1
	fi

	trap 'eg_kill_all; [ "$EG_SOCKDIR" = "$EG_WORK" ] || rm -rf "$EG_SOCKDIR"' EXIT
	trap 'exit 130' INT TERM

	eg_now t0
	if ! eg_preflight; then
		eg_fail "preflight failed: $(tail -n 1 "$EG_WORK/harness.log")"
		rc=1
	else
		# The record device: 1 MiB of zeros, kept across the boots of
		# this scenario.
		truncate -s 1M "$EG_WORK/state.img"
		"$body"
		rc=$?
	fi
	eg_kill_all
	eg_now t1
	if [ "$rc" != 0 ] && [ ! -s "$EG_WORK/failures" ]; then
		eg_fail "$body returned $rc"
	fi

	local secs
	secs=$(eg_cs $((t1 - t0)))
	if [ -s "$EG_WORK/failures" ]; then
		echo "not ok $tap_n - $id $desc ($secs s)"
		sed 's/^/# /' "$EG_WORK/failures"
		sed 's/^/# measured: /' "$EG_WORK/measure.txt"
		if [ -s "$EG_QEMULOG" ]; then
			echo "# ${EG_QEMULOG#"$EG_TOP"/} (last 5 lines):"
			tail -n 5 "$EG_QEMULOG" | tr -d '\r' | sed 's/^/#   /'
		fi
		if [ -s "$EG_WORK/ssh.log" ]; then
			echo "# ${EG_WORK#"$EG_TOP"/}/ssh.log (last 10 lines):"
			tail -n 10 "$EG_WORK/ssh.log" | cat -v | sed 's/^/#   /'
		fi
		if [ -s "$EG_CONSOLE" ]; then
			echo "# ${EG_CONSOLE#"$EG_TOP"/} (last 30 lines):"
			tail -n 30 "$EG_CONSOLE" | tr -d '\r' | cat -v | sed 's/^/#   /'
		fi
		return 1
	fi
	echo "ok $tap_n - $id $desc ($secs s)"
	if [ "${EG_VERBOSE:-0}" = 1 ]; then
		sed 's/^/# /' "$EG_WORK/measure.txt"
	fi
	return 0
}
