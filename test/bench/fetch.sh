#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# The fetch part of make bench (test/bench/run.sh calls it last; it also
# runs alone: test/bench/fetch.sh).  Figures, never assertions.
#
# In ONE guest under QEMU TCG (1 vCPU, EG_MEM=1024 MiB), for a bundle whose
# kernel artifact is BENCH_FETCH_SIZES MiB (default "64 256") of random
# bytes and whose initrd is a few bytes:
#   - earlyguard fetch --no-reboot (the rootfs' static /sbin/earlyguard):
#     the bundle's bytes over the guest time of the whole command (network
#     setup, manifest and signature, both artifacts streamed into a tmpfs
#     slot with their SHA-256, fsync, rename), and its peak RSS (the
#     highest VmHWM or smaps_rollup Rss, sampled every 0.2 s while it runs);
#   - busybox wget -O - URL | sha256sum of the same kernel artifact from
#     the same server in the same guest: its bytes over its guest time;
#   - the ratio of the two rates (target >= 0.9) and the peak RSS (target:
#     the same for both sizes, under 1 MiB) are printed, not checked.
#
# The server is test/bats/fetch-server.py on 127.0.0.1 (eg_fetch_server of
# test/qemu/fetch.sh), reached from the guest only through QEMU user
# networking (restrict=on, the guestfwd of lib.sh's EG_FETCH_PORT) at
# 10.0.2.100:80.  It serves one directory without subdirectories, so it
# serves build/bench/fetch/serve, a symlink switched to each size's bundle
# before its round.  The bundles are signed with build/images/fetch-key;
# the public half reaches the guest on the payload disk (label egpayload)
# with test/bench/fetch-guest.sh, which the host runs over ssh, once per
# size.  Work files and logs: build/bench/fetch (the bundles are removed at the end).
set -uo pipefail

# shellcheck source=SCRIPTDIR/../qemu/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../qemu/lib.sh"
# shellcheck source=SCRIPTDIR/../qemu/fetch.sh
. "$(dirname "${BASH_SOURCE[0]}")/../qemu/fetch.sh"

read -ra sizes <<<"${BENCH_FETCH_SIZES:-64 256}"
out=$EG_BUILD/bench/fetch
key=$EG_FETCH_KEYDIR/earlyguard-bundle.key.pem
pub=$EG_FETCH_KEYDIR/earlyguard-bundle.pub.pem

echo "fetch throughput and peak RSS, one guest (QEMU TCG, 1 vCPU), server on the host via slirp"
eg_standalone "$out" || exit 1
for f in "$key" "$pub"; do
	[ -s "$f" ] || { echo "  (no ${f#"$EG_TOP"/}: run make images)"; exit 1; }
done

# ---- the bundles ----
src=$out/src
mkdir -p "$src"
printf 'bench initrd\n' >"$src/initrd.img"
declare -A sum
for s in "${sizes[@]}"; do
	name=bench-${s}m.img
	head -c "$((s * 1048576))" /dev/urandom >"$src/$name" ||
		{ echo "  (cannot write $s MiB into ${src#"$EG_TOP"/})"; exit 1; }
	sum[$s]=$(sha256sum <"$src/$name" | cut -d' ' -f1)
	"$EG_MKBUNDLE" -k "$key" -o "$out/bundle-$s" kernel="$src/$name" initrd="$src/initrd.img" \
		>>"$out/bundle.log" 2>&1 ||
		{ echo "  (make-bundle.sh failed: $(tail -n 1 "$out/bundle.log"))"; exit 1; }
	rm -f "$src/$name"
done
ln -sfn "bundle-${sizes[0]}" "$out/serve"
eg_fetch_server "$out/serve" ||
	{ echo "  (the fetch server did not start: $(cat "$out/failures"))"; exit 1; }

# ---- the payload disk ----
payload=$out/payload
mkdir -p "$payload"
cp "$EG_TOP/test/bench/fetch-guest.sh" "$payload/fetch-guest.sh"
cp "$pub" "$payload/fetch.pub.pem"
truncate -s 4M "$out/payload.img"
mkfs.ext4 -q -F -L egpayload -d "$payload" "$out/payload.img"

# ---- the guest ----
EG_NET=1
EG_MEM=1024
EG_EXTRA_DRIVE=$out/payload.img
EG_SSH_LIMIT=900
limit=$((600 + 120 * ${#sizes[@]}))
eg_boot 1 "$limit" "$EG_BASE_APPEND $EG_ROOT_ARGS earlyguard.timeout=60s \
earlyguard.confirm_timeout=0 earlyguard.handoff_timeout=2m" 2>>"$EG_WORK/harness.log"
if ! eg_await "EG-ROOTFS: network up" 180 || ! eg_ssh_wait root 120; then
	echo "  no guest with a network and ssh (see ${EG_CONSOLE#"$EG_TOP"/}, $(head -n 1 "$out/failures"))"
	exit 1
fi

field() { # field KEY LINE: the value of KEY=VALUE in LINE
	sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<"$2"
}

rate() { # rate BYTES CS: MiB/s
	awk -v b="$1" -v cs="$2" 'BEGIN { if (cs > 0) printf "%.1f", b / 1048576 / (cs / 100); else print "-" }'
}

for s in "${sizes[@]}"; do
	ln -sfn "bundle-$s" "$out/serve"
	eg_ssh root "sh /mnt/payload/fetch-guest.sh bench-${s}m.img ${sum[$s]}"
	printf '%s\n' "$EG_SSH_OUT" >"$out/guest-$s.log"
	eg=$(grep '^EGF: eg ' <<<"$EG_SSH_OUT")
	wg=$(grep '^EGF: wget ' <<<"$EG_SSH_OUT")
	if [ -z "$eg" ] || [ -z "$wg" ]; then
		printf '  fetch %3s MiB: no result (ssh rc %s; see %s)\n' "$s" "$EG_SSH_RC" \
			"${out#"$EG_TOP"/}/guest-$s.log, ssh.log"
		continue
	fi
	erc=$(field rc "$eg") ecs=$(field cs "$eg") ebytes=$(field bytes "$eg")
	ehwm=$(field hwm_kib "$eg") en=$(field samples "$eg") eok=$(field sum_ok "$eg")
	wcs=$(field cs "$wg") wok=$(field sum_ok "$wg")
	er=$(rate "$ebytes" "$ecs")
	wr=$(rate "$((s * 1048576))" "$wcs")
	ratio=$(awk -v eb="$ebytes" -v ec="$ecs" -v wb="$((s * 1048576))" -v wc="$wcs" \
		'BEGIN { if (ec > 0 && wc > 0) printf "%.2f", (eb / ec) / (wb / wc); else print "-" }')
	printf '  fetch %3s MiB:  earlyguard %s MiB/s (peak RSS %s KiB), wget|sha256sum %s MiB/s, ratio %s\n' \
		"$s" "$er" "$ehwm" "$wr" "$ratio"
	[ "$erc" = 0 ] && [ "$eok" = 1 ] ||
		printf '    (earlyguard fetch exited %s, its kernel artifact %s: see %s)\n' "$erc" \
			"$([ "$eok" = 1 ] && echo matches || echo "does not match")" "${out#"$EG_TOP"/}/guest-$s.log"
	[ "$wok" = 1 ] || printf '    (wget|sha256sum gave another SHA-256)\n'
	printf '    (guest time: earlyguard %s s for %s bytes, all of fetch; wget %s s; peak RSS: the highest of %s samples of VmHWM and smaps_rollup Rss)\n' \
		"$(eg_cs "$ecs")" "$ebytes" "$(eg_cs "$wcs")" "$en"
done
echo "  (targets: ratio >= 0.9; peak RSS the same for both sizes and under 1024 KiB)"
eg_stop 2>>"$EG_WORK/harness.log"
# the bundles' bytes; the logs stay
eg_kill_all
rm -rf "$out"/bundle-* "$out/serve"
