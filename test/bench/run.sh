#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: figures, never assertions.
#   - size of the shipped binary (stripped, static klibc)
#   - the bytes earlyguard's files add to a gzip -9 initramfs
#   - time from earlyguard's start to "armed", measured inside the guest
#     with CLOCK_BOOTTIME (earlyguard's own "armed in N ms" line), over
#     BENCH_BOOTS healthy boots under TCG
#   - for each initramfs generator's image: the time from the kernel
#     starting its /init to "armed" (guest clock), over BENCH_GEN_BOOTS
#     boots, and the bytes earlyguard adds to it
#   - the fetch (test/bench/fetch.sh, in its own guest): earlyguard fetch's
#     throughput for a 64 and a 256 MiB image beside busybox wget|sha256sum,
#     and its peak RSS
#   - the network self-heal (test/bench/heal.sh): the RM-1 operator's cron
#     script and the daemon in the same guest, link lost and given back,
#     link lost for good: detection, recovery or reboot, and the guards
#
# eg_boot takes a boot number (console.N.log, and an index of lib.sh's
# arrays): the generators' boots are 100 * generator + boot, idle is 900.
set -uo pipefail

# shellcheck source=SCRIPTDIR/../qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../qemu/lib.sh"

boots=${BENCH_BOOTS:-5}
bin=$EG_BUILD/earlyguard
out=$EG_BUILD/bench
mkdir -p "$out"

echo "== earlyguard bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, QEMU TCG)"

size=$(stat -c %s "$bin")
printf '%-44s %8d bytes (%d KiB; limit 144 KiB)\n' "binary, stripped, static klibc:" \
	"$size" $(((size + 1023) / 1024))
file -b "$bin" | sed 's/^/  file: /'

# earlyguard's own files in an initramfs: the binary, /init, the config.
printf 'file sbin/earlyguard %s 0755\nfile init %s 0755\nfile etc/earlyguard.conf %s 0644\n' \
	"$bin" "$EG_TOP/init/init" "$EG_TOP/init/earlyguard.conf" >"$out/own.spec"
own=$("$EG_MKCPIO" <"$out/own.spec" | gzip -9 -n | wc -c)
bin_gz=$(gzip -9 -n <"$bin" | wc -c)
printf '%-44s %8d bytes\n' "earlyguard's files, gzip -9 newc:" "$own"
printf '%-44s %8d bytes\n' "  of which the binary, gzip -9:" "$bin_gz"
printf '%-44s %8d bytes\n' "whole test initramfs (busybox, 14 modules):" \
	"$(stat -c %s "$EG_INITRAMFS")"

# time to armed, in the guest
eg_standalone "$out/boots" || exit 1

times=()
for i in $(seq 1 "$boots"); do
	eg_boot "$i" 60 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=4s" 2>>"$EG_WORK/harness.log"
	if eg_await "earlyguard: armed " 40; then
		line=$(eg_lines "earlyguard: armed ")
		ms=$(sed -n 's/.*armed in \([0-9]*\)ms.*/\1/p' <<<"$line")
		split=$(sed -n 's/.*armed in [0-9]*ms (\(.*\))$/\1/p' <<<"$line")
		times+=("$ms")
		printf '  boot %d: armed in %s ms (%s)\n' "$i" "$ms" "$split"
	else
		printf '  boot %d: no "armed" line within 40 s\n' "$i"
	fi
	eg_stop 2>>"$EG_WORK/harness.log"
done
if [ "${#times[@]}" -gt 0 ]; then
	sorted=$(printf '%s\n' "${times[@]}" | sort -n)
	min=$(head -n1 <<<"$sorted")
	max=$(tail -n1 <<<"$sorted")
	med=$(sed -n "$(((${#times[@]} + 1) / 2))p" <<<"$sorted")
	printf '%-44s min %s, median %s, max %s ms over %d boots (target 50 ms)\n' \
		"start to armed (in guest, CLOCK_BOOTTIME):" "$min" "$med" "$max" "${#times[@]}"
fi

# ---- each initramfs generator: its init start to "armed", bytes added ----
# "Run /init as init process" is the kernel's line just before it execs the
# generator's /init; both timestamps are the guest kernel's clock.  The
# bytes added are the image with earlyguard minus the same image built
# without it (images/build-*.sh build both).  mkinitcpio is not packaged by
# Debian, so its image cannot be built here.
gen_boots=${BENCH_GEN_BOOTS:-3}
echo "initramfs generators: Run /init to armed (guest), over $gen_boots boots each; bytes earlyguard adds (gzip)"
printf '  %-34s %10s %10s %10s %12s\n' image min median max "bytes added"
g=0
for gen in "own /init (init/init):initramfs.img:" \
	"initramfs-tools (mkinitramfs):initramfs-tools.img:initramfs-tools-plain.img" \
	"dracut 059, shell init:dracut.img:dracut-plain.img" \
	"dracut 059, systemd initrd:dracut-systemd.img:"; do
	IFS=: read -r name img plain <<<"$gen"
	g=$((g + 1))
	EG_INITRD_IMG=$EG_IMAGES/$img
	if [ ! -f "$EG_INITRD_IMG" ]; then
		printf '  %-34s (no %s: run make images)\n' "$name" "$img"
		continue
	fi
	added=-
	if [ -n "$plain" ] && [ -f "$EG_IMAGES/$plain" ]; then
		added=$(($(stat -c %s "$EG_INITRD_IMG") - $(stat -c %s "$EG_IMAGES/$plain")))
	elif [ "$img" = initramfs.img ]; then
		added=$own
	fi
	gtimes=()
	for i in $(seq 1 "$gen_boots"); do
		eg_boot "$((100 * g + i))" 90 "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=4s earlyguard.handoff_timeout=0" \
			2>>"$EG_WORK/harness.log"
		if eg_await "earlyguard: armed " 80; then
			a=$(eg_ktime "Run /init as init process") && b=$(eg_ktime "earlyguard: armed ") &&
				gtimes+=("$(awk -v a="$a" -v b="$b" 'BEGIN { printf "%d", (b - a) * 1000 + 0.5 }')")
		fi
		eg_stop 2>>"$EG_WORK/harness.log"
	done
	if [ "${#gtimes[@]}" -gt 0 ]; then
		sorted=$(printf '%s\n' "${gtimes[@]}" | sort -n)
		printf '  %-34s %7s ms %7s ms %7s ms %12s\n' "$name" "$(head -n1 <<<"$sorted")" \
			"$(sed -n "$(((${#gtimes[@]} + 1) / 2))p" <<<"$sorted")" "$(tail -n1 <<<"$sorted")" "$added"
	else
		printf '  %-34s no "armed" line within 80 s %12s\n' "$name" "$added"
	fi
done
# back to the assembled test initrd (initramfs.img + overlay)
EG_INITRD_IMG=
EG_INITRD=

# ---- the rootfs daemon idle, beside busybox's and Debian's watchdog ----
secs=${BENCH_IDLE_SECS:-120}
payload=$out/payload
rm -rf "$payload"
mkdir -p "$payload" "$EG_BUILD/cache"
cp "$EG_TOP/test/bench/idle-guest.sh" "$payload/run"
deb=$(find "$EG_BUILD/cache" -name "watchdog_*.deb" | head -n 1)
if [ -z "$deb" ]; then
	# Debian's watchdog daemon, unpacked only, never installed on this host
	(cd "$EG_BUILD/cache" && apt-get download watchdog >/dev/null 2>&1)
	deb=$(find "$EG_BUILD/cache" -name "watchdog_*.deb" | head -n 1)
fi
if [ -n "$deb" ]; then
	dpkg-deb -x "$deb" "$out/watchdog-deb"
	cp "$out/watchdog-deb/usr/sbin/watchdog" "$payload/watchdog"
else
	echo "  (Debian's watchdog package could not be downloaded: compared with busybox only)"
fi
rm -f "$out/payload.img"
truncate -s 16M "$out/payload.img"
mkfs.ext4 -q -F -L egpayload -d "$payload" "$out/payload.img"

echo "rootfs daemon idle, ${secs}s each, timeout 32s, pet every 8s (expected pets: $((secs / 8)))"
EG_EXTRA_DRIVE=$out/payload.img
eg_boot 900 $((3 * secs + 120)) "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=32s \
earlyguard.confirm_timeout=0 earlyguard.handoff_timeout=1m eg_bench_secs=$secs" \
	2>>"$EG_WORK/harness.log"
if eg_await "EG-BENCH: done" $((3 * secs + 100)); then
	printf '  %-20s %8s %12s %12s\n' program "RSS KiB" "wakeups/min" "pets/min"
	eg_lines "EG-BENCH: " | grep rss_kib | while read -r _ name rss wake s pets; do
		rss=${rss#rss_kib=} wake=${wake#wakeups=} s=${s#secs=} pets=${pets#pets_expected=}
		printf '  %-20s %8s %12s %12s\n' "$name" "$rss" \
			"$(awk -v w="$wake" -v s="$s" 'BEGIN { printf "%.1f", w * 60 / s }')" \
			"$(awk -v p="$pets" -v s="$s" 'BEGIN { printf "%.1f", p * 60 / s }')"
	done
	eg_lines "EG-BENCH: " | grep -v "rss_kib\|done" | sed 's/^/  /'
else
	echo "  no result within $((3 * secs + 100))s (see ${EG_CONSOLE#"$EG_TOP"/})"
fi
eg_stop 2>>"$EG_WORK/harness.log"

# ---- the fetch: throughput beside wget|sha256sum, peak RSS ----
eg_kill_all
"$EG_TOP/test/bench/fetch.sh"

# ---- the network self-heal: the seed's cron script beside the daemon ----
"$EG_TOP/test/bench/heal.sh"
