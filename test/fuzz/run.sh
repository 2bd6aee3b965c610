#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Builds the libFuzzer targets with clang (ASan + UBSan) and runs each for
# FUZZ_SECONDS (default 60) from its checked-in corpus.  New inputs go to a
# scratch copy; crashes are saved in build/fuzz/ and fail the run.  Prints TAP.
set -euo pipefail
cd "$(dirname "$0")/../.."

secs=${FUZZ_SECONDS:-60}
out=build/fuzz
mkdir -p "$out"
srcs=(src/conf.c src/util.c src/record.c src/modload.c src/log.c src/clock.c src/grubenv.c
	src/bootsel.c src/manifest.c src/http.c
	src/netcfg.c src/netlink.c src/fetch_logic.c src/peer.c src/uplink.c)
# shellcheck disable=SC2054 # the commas belong to -fsanitize=
flags=(-std=c11 -D_GNU_SOURCE -DEG_NO_REBOOT -g -O1 -Isrc
	-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all)
targets=(conf cmdline record grubenv manifest http net fetch peer uplink)

echo "1..${#targets[@]}"
n=0
failed=0
for t in "${targets[@]}"; do
	n=$((n + 1))
	clang "${flags[@]}" -o "$out/fuzz_$t" "test/fuzz/fuzz_$t.c" "${srcs[@]}" -lbearssl
	rm -rf "$out/corpus_$t"
	mkdir -p "$out/corpus_$t"
	cp test/fuzz/corpus/"$t"/* "$out/corpus_$t/" 2>/dev/null || true
	if "$out/fuzz_$t" -max_total_time="$secs" -artifact_prefix="$out/crash_${t}_" \
		-print_final_stats=1 "$out/corpus_$t" >"$out/fuzz_$t.log" 2>&1; then
		runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$out/fuzz_$t.log" | grep -o '[0-9]*$')
		echo "ok $n - fuzz $t: ${runs:-?} inputs in ${secs}s, no crash"
	else
		echo "not ok $n - fuzz $t (see $out/fuzz_$t.log)"
		tail -n 20 "$out/fuzz_$t.log" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done
[ "$failed" -eq 0 ]
