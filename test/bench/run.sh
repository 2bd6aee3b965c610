#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make bench: figures, never assertions.
#   - size of the shipped binary (stripped, static klibc)
#   - the bytes earlyguard's files add to a gzip -9 initramfs
#   - time from earlyguard's start to "armed", measured inside the guest
#     with CLOCK_BOOTTIME (earlyguard's own "armed in N ms" line), over
#     BENCH_BOOTS healthy boots under TCG
set -uo pipefail

# shellcheck source=SCRIPTDIR/../qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../qemu/lib.sh"

boots=${BENCH_BOOTS:-5}
bin=$EG_BUILD/earlyguard
out=$EG_BUILD/bench
mkdir -p "$out"

echo "== earlyguard bench ($(date -u +%Y-%m-%dT%H:%MZ), $(nproc) cores, QEMU TCG)"

size=$(stat -c %s "$bin")
printf '%-44s %8d bytes (%d KiB; limit 64 KiB)\n' "binary, stripped, static klibc:" \
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
