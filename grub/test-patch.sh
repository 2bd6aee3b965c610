#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# test-patch.sh: show under QEMU that the patched GRUB (make grub) reboots
# where stock GRUB waits forever for a key.
#
# usage: grub/test-patch.sh [CASE...]
#   grubcfg   grub.cfg missing: normal mode stops at `grub>`
#   rescue    normal.mod missing: `grub rescue>`
#   linux     the only entry's `linux` fails: "Press any key to continue..."
#             (bounded at 10 s by stock GRUB too), then the menu with no
#             timeout that stock GRUB shows when every entry failed
#   rescue-dl     as rescue, reboot.mod not in core.img: loaded from disk
#   rescue-nomod  as rescue, no reboot.mod anywhere: keyboard controller reset
#   default       as grubcfg, eg_prompt_timeout not set anywhere: the
#                 patch's default, 60 s
# Default: grubcfg rescue linux. The first three also run stock GRUB, which
# must still be waiting when HANG_TIMEOUT expires.
#
# environment:
#   EG_GRUB_DIR     patched build (default build/grub, from make grub)
#   EG_MKIMAGE      grub-mkimage for the patched image
#                   (default $EG_GRUB_DIR/bin/grub-mkimage)
#   STOCK_DIR       stock modules (default /usr/lib/grub/i386-pc, grub-pc-bin)
#   PROMPT_TIMEOUT  eg_prompt_timeout set in the embedded config (default 5)
#   HANG_TIMEOUT    seconds a stock run may wait before it counts as hung, and
#                   the upper bound of a patched reboot (default 40; the
#                   default case allows 60 s more)
#   OUT             scratch directory (default build/grub-test)
#
# One QEMU at a time, TCG, no network, -no-reboot: a guest reboot ends QEMU.
# Each case prints its times; the last line is "N passed, N failed".
# exit: 0 all passed, 1 a case failed, 100 usage, 111 a tool is missing.

set -euo pipefail
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
patched=${EG_GRUB_DIR:-$top/build/grub}
mkimage_patched=${EG_MKIMAGE:-$patched/bin/grub-mkimage}
stock=${STOCK_DIR:-/usr/lib/grub/i386-pc}
prompt_timeout=${PROMPT_TIMEOUT:-5}
hang_timeout=${HANG_TIMEOUT:-40}
out=${OUT:-$top/build/grub-test}
prog=earlyguard-test-patch

passed=0
failed=0

fatal() {
	printf '%s: fatal: %s\n' "$prog" "$1" >&2
	exit "${2:-111}"
}

for t in qemu-system-x86_64 grub-mkimage sfdisk mkfs.ext4 timeout; do
	command -v "$t" >/dev/null ||
		fatal "$t not found (apt-get install qemu-system-x86 grub-pc-bin fdisk e2fsprogs)"
done
[ -f "$patched/i386-pc/kernel.img" ] ||
	fatal "no patched GRUB in $patched/i386-pc: run make grub"
[ -x "$mkimage_patched" ] || fatal "no grub-mkimage at $mkimage_patched"
[ -f "$stock/kernel.img" ] || fatal "no stock GRUB in $stock (apt-get install grub-pc-bin)"
case $prompt_timeout in '' | *[!0-9]*) fatal "PROMPT_TIMEOUT: not a number" 100 ;; esac
case $hang_timeout in '' | *[!0-9]*) fatal "HANG_TIMEOUT: not a number" 100 ;; esac

# seconds since boot, CLOCK_BOOTTIME: never the wall clock
now() {
	local up rest
	read -r up rest </proc/uptime
	printf '%s' "$up"
}
sub() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a - b }'; }

# build_disk VARIANT CASE DIR: a BIOS disk image DIR/disk.img with GRUB in
# the MBR gap and one ext4 partition holding /boot/grub, installed the way
# grub-install does it: core.img sets the prefix, then normal mode.
build_disk() {
	local variant=$1 case=$2 dir=$3 moddir mkimage mods set_timeout
	case $variant in
	patched) moddir=$patched/i386-pc mkimage=$mkimage_patched ;;
	stock) moddir=$stock mkimage=grub-mkimage ;;
	esac
	rm -rf "$dir"
	mkdir -p "$dir/root/boot/grub"
	cp -r "$moddir" "$dir/root/boot/grub/i386-pc"

	mods=(biosdisk part_msdos ext2 serial terminal reboot)
	case $case in
	rescue) rm "$dir/root/boot/grub/i386-pc/normal.mod" ;;
	rescue-dl)
		rm "$dir/root/boot/grub/i386-pc/normal.mod"
		mods=(biosdisk part_msdos ext2 serial terminal)
		;;
	rescue-nomod)
		rm "$dir/root/boot/grub/i386-pc/normal.mod" \
			"$dir/root/boot/grub/i386-pc/reboot.mod"
		mods=(biosdisk part_msdos ext2 serial terminal)
		;;
	linux)
		cat >"$dir/root/boot/grub/grub.cfg" <<-'EOF'
			set timeout=0
			menuentry 'broken linux' {
				linux /boot/vmlinuz-missing console=ttyS0
			}
		EOF
		;;
	esac
	# grubcfg, default: no grub.cfg at all

	# runs line by line in rescue mode, before normal.mod is loaded
	set_timeout="set eg_prompt_timeout=$prompt_timeout"
	[ "$case" != default ] || set_timeout="# eg_prompt_timeout not set"
	cat >"$dir/embedded.cfg" <<-EOF
		serial --unit=0 --speed=115200
		terminal_input serial console
		terminal_output serial console
		$set_timeout
	EOF

	"$mkimage" -O i386-pc -d "$moddir" -c "$dir/embedded.cfg" \
		-p '(hd0,msdos1)/boot/grub' -o "$dir/core.img" "${mods[@]}"
	[ "$(stat -c %s "$dir/core.img")" -le $((2047 * 512)) ] ||
		fatal "core.img does not fit the 1 MiB MBR gap" 1
	mkfs.ext4 -q -F -L egtest -d "$dir/root" "$dir/part.img" 24M >/dev/null
	truncate -s 26M "$dir/disk.img"
	printf 'label: dos\nstart=2048, size=%d, type=83, bootable\n' $((24 * 2048)) |
		sfdisk -q "$dir/disk.img"
	dd if="$dir/part.img" of="$dir/disk.img" bs=1M seek=1 conv=notrunc status=none
	dd if="$moddir/boot.img" of="$dir/disk.img" bs=440 count=1 conv=notrunc status=none
	dd if="$dir/core.img" of="$dir/disk.img" bs=512 seek=1 conv=notrunc status=none
	rm -rf "$dir/root" "$dir/part.img"
}

# boot DIR LIMIT MARKER...: boot DIR/disk.img for LIMIT seconds at most,
# serial console to DIR/serial.log. Sets rc (124: still running at LIMIT),
# t_end and t_mark[i], the first time MARKER i appeared (empty if never),
# all in seconds from QEMU's start.
boot() {
	local dir=$1 limit=$2 t0 pid i
	shift 2
	local -a markers=("$@")
	t_mark=()
	: >"$dir/serial.log"
	t0=$(now)
	timeout -k 5 "$limit" qemu-system-x86_64 -accel tcg -m 128 -no-reboot \
		-display none -monitor none -nic none -boot c \
		-drive "file=$dir/disk.img,format=raw" \
		-serial "file:$dir/serial.log" </dev/null 2>"$dir/qemu.err" &
	pid=$!
	qemu_pid=$pid
	# poll the log: these are measurements, 0.1 s is their resolution
	while kill -0 "$pid" 2>/dev/null; do
		for i in "${!markers[@]}"; do
			if [ -z "${t_mark[i]:-}" ] && grep -qF -- "${markers[i]}" "$dir/serial.log"; then
				t_mark[i]=$(sub "$(now)" "$t0")
			fi
		done
		sleep 0.1
	done
	rc=0
	wait "$pid" || rc=$?
	qemu_pid=
	t_end=$(sub "$(now)" "$t0")
	# markers that appeared in the last 0.1 s before exit
	for i in "${!markers[@]}"; do
		if [ -z "${t_mark[i]:-}" ] && grep -qF -- "${markers[i]}" "$dir/serial.log"; then
			t_mark[i]=$t_end
		fi
	done
}

pass() {
	passed=$((passed + 1))
	printf '  ok    %s\n' "$1"
}
fail() {
	failed=$((failed + 1))
	printf '  FAIL  %s (log: %s)\n' "$1" "$2"
}

# in_range X LO HI
in_range() { awk -v x="$1" -v lo="$2" -v hi="$3" 'BEGIN { exit !(x >= lo && x <= hi) }'; }

# run_case CASE NAME PROMPT: PROMPT is where GRUB waits
run_case() {
	local case=$1 name=$2 prompt=$3 dir where msg delta extra=0
	local wait=$prompt_timeout upper=$hang_timeout
	local -a markers
	where=$prompt
	# after "Failed to boot" stock GRUB pauses 10 s, then shows the menu
	case $case in linux) where="the menu" extra=10 ;; esac
	# the patch's own default
	case $case in default) wait=60 upper=$((hang_timeout + 60)) ;; esac
	msg="earlyguard: no input for $wait s at $where, rebooting"
	markers=("$prompt" "$msg")
	case $case in linux) markers+=("Press any key to continue") ;; esac

	echo "== $case: $name"
	dir=$out/$case-patched
	build_disk patched "$case" "$dir"
	boot "$dir" $((upper + 30)) "${markers[@]}"
	delta=
	[ -z "${t_mark[0]:-}" ] || [ -z "${t_mark[1]:-}" ] || delta=$(sub "$t_end" "${t_mark[0]}")
	printf '  patched: %s at %s s, reboot message at %s s, QEMU exit at %s s (rc %s)\n' \
		"$prompt" "${t_mark[0]:--}" "${t_mark[1]:--}" "$t_end" "$rc"
	# Not before the timeout, and well before stock is declared hung. Under
	# TCG, drawing the menu through the BIOS console takes seconds and a
	# loaded host can skew GRUB's TSC calibration: no tighter upper bound.
	if [ "$rc" = 0 ] && [ -n "$delta" ] &&
		in_range "$delta" $((wait + extra - 1)) "$upper"; then
		pass "patched GRUB rebooted $delta s after $prompt"
	else
		fail "patched GRUB did not reboot between $((wait + extra)) and $upper s after $prompt" "$dir/serial.log"
	fi
	if [ "$case" = linux ]; then
		printf '  patched: first "Press any key" at %s s\n' "${t_mark[2]:--}"
		delta=
		[ -z "${t_mark[2]:-}" ] || [ -z "${t_mark[0]:-}" ] ||
			delta=$(sub "${t_mark[0]}" "${t_mark[2]}")
		if [ -n "$delta" ] && in_range "$delta" 9 15; then
			pass "\"Press any key\" pause ended after $delta s"
		else
			fail "\"Press any key\" pause not bounded at 10 s" "$dir/serial.log"
		fi
	fi

	case $case in rescue-* | default) return 0 ;; esac
	dir=$out/$case-stock
	build_disk stock "$case" "$dir"
	boot "$dir" "$hang_timeout" "$prompt"
	printf '  stock:   %s at %s s, QEMU %s at %s s (rc %s)\n' "$prompt" \
		"${t_mark[0]:--}" "$([ "$rc" = 124 ] && echo killed || echo exited)" \
		"$t_end" "$rc"
	if [ "$rc" = 124 ] && [ -n "${t_mark[0]:-}" ]; then
		pass "stock GRUB still at $prompt after $hang_timeout s"
	else
		fail "stock GRUB did not hang at $prompt" "$dir/serial.log"
	fi
}

[ $# -gt 0 ] || set -- grubcfg rescue linux
qemu_pid=
# a QEMU still running when this script is stopped is stopped with it
trap '[ -z "$qemu_pid" ] || kill "$qemu_pid" 2>/dev/null' EXIT
trap 'exit 130' INT TERM
mkdir -p "$out"
for c in "$@"; do
	case $c in
	grubcfg) run_case grubcfg "grub.cfg missing" "grub>" ;;
	rescue) run_case rescue "normal.mod missing" "grub rescue>" ;;
	linux) run_case linux "linux fails, every entry failed" "Failed to boot both default" ;;
	rescue-dl) run_case rescue-dl "reboot.mod loaded from disk in rescue mode" "grub rescue>" ;;
	rescue-nomod) run_case rescue-nomod "no reboot.mod: keyboard controller reset" "grub rescue>" ;;
	default) run_case default "grub.cfg missing, eg_prompt_timeout unset" "grub>" ;;
	*) fatal "unknown case: $c" 100 ;;
	esac
done
printf '%d passed, %d failed\n' "$passed" "$failed"
[ "$failed" -eq 0 ]
