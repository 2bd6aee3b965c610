#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Lint: run shellcheck on every shell file (POSIX sh for the initramfs,
# bash for tooling), mandoc's lint on the man pages, and check that every
# source file carries an SPDX header.  Prints TAP.
set -euo pipefail
cd "$(dirname "$0")/.."

mapfile -t files < <(git ls-files --cached --others --exclude-standard |
	while read -r f; do
		[ -f "$f" ] || continue
		case "$f" in
		*.sh | *.bats) echo "$f" ;;
		*) head -n1 "$f" | grep -qE '^#!.*\b(sh|bash)\b' && echo "$f" ;;
		esac
	done | sort -u)

mapfile -t pages < <(git ls-files --cached --others --exclude-standard -- 'man/*.[1-9]')

n=0
failed=0
echo "1..$((${#files[@]} + ${#pages[@]} + 1))"
for f in "${files[@]}"; do
	n=$((n + 1))
	if out=$(shellcheck -x "$f" 2>&1); then
		echo "ok $n - shellcheck $f"
	else
		echo "not ok $n - shellcheck $f"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done

for f in "${pages[@]}"; do
	n=$((n + 1))
	# mandoc exits 0 with nothing to say, and prints every finding
	out=$(mandoc -T lint -W all "$f" 2>&1) || true
	if [ -z "$out" ]; then
		echo "ok $n - mandoc lint $f"
	else
		echo "not ok $n - mandoc lint $f"
		printf '%s\n' "$out" | sed 's/^/# /'
		failed=$((failed + 1))
	fi
done

n=$((n + 1))
missing=$(git ls-files --cached --others --exclude-standard -- src init images test hooks mk crypto \
	modules boot grub man Makefile .ci |
	while read -r f; do
		[ -f "$f" ] || continue
		case "$f" in
		*.md | */corpus/*) continue ;;
		# a change to GRUB is under GRUB's licence
		grub/patches/*.patch) spdx=GPL-3.0-or-later ;;
		*) spdx=GPL-2.0-or-later ;;
		esac
		head -n 3 "$f" | grep -q "SPDX-License-Identifier: $spdx" || echo "$f"
	done)
if [ -z "$missing" ]; then
	echo "ok $n - every source file has an SPDX header"
else
	echo "not ok $n - every source file has an SPDX header"
	printf '%s\n' "$missing" | sed 's/^/# missing: /'
	failed=$((failed + 1))
fi
[ "$failed" -eq 0 ]
