#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Runs every suite (C unit tests, bats, lint, fuzzing, the QEMU matrix), shows their
# TAP, and ends with one line: "N passed, N failed".  SUITES=unit,bats limits
# the run; TESTS=M01,M03 limits the matrix.
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

suites=${SUITES:-unit,bats,lint,fuzz,matrix}
passed=0
failed=0
log=build/test
mkdir -p "$log"

run_suite() {
	local name=$1
	shift
	local out="$log/$name.tap" rc p f
	printf '== %s\n' "$name"
	"$@" 2>&1 | tee "$out"
	rc=${PIPESTATUS[0]}
	p=$(grep -cE '^ok ' "$out")
	f=$(grep -cE '^not ok ' "$out")
	# a suite that died without reporting a failure still failed
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		echo "not ok - $name exited $rc"
		f=1
	fi
	passed=$((passed + p))
	failed=$((failed + f))
	printf '== %s: %d passed, %d failed\n' "$name" "$p" "$f"
}

case ",$suites," in *,unit,*) run_suite unit build/host/unit ;; esac
case ",$suites," in *,bats,*) run_suite bats bats --tap test/bats ;; esac
case ",$suites," in *,lint,*) run_suite lint test/lint.sh ;; esac
# a short pass from the checked-in corpus; `make fuzz` runs longer
case ",$suites," in *,fuzz,*) run_suite fuzz env FUZZ_SECONDS="${FUZZ_SECONDS:-10}" test/fuzz/run.sh ;; esac
case ",$suites," in *,matrix,*) run_suite matrix test/qemu/run-matrix.sh ;; esac

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
