#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seed-extract.sh SEED OUT: write to OUT the RM-1 operator's net-selfheal.sh
# as the seed document of issue 7 (SEED) gives it.  The self-heal bench,
# test/bench/heal.sh, runs that script beside earlyguard's daemon; the
# script is the operator's code, so the repository does not carry a copy:
# the bench takes it from the seed each time it runs.
#
# The seed writes the script with a here-document,
#   cat >/etc/kvmd/user/net-selfheal.sh <<'EOF'
# and its text is garbled: an earlier such here-document runs into the
# complete one without its EOF.  The script is the last one: from the line
# after the last "cat" line to the first line after it that is exactly
# EOF.  The issue's text has lost the script's indentation; leading blanks
# are stripped from every line, so that the result does not depend on how
# the document is indented either.  No other byte is changed.
#
# The result is checked before OUT is written (a shebang, LAST_REBOOT_FILE,
# "reboot" last), so a different document is an error, not a different
# bench.  On failure: one line on stderr naming the file and what is wrong,
# exit 1, OUT untouched.
set -euo pipefail

fail() {
	echo "seed-extract: $*" >&2
	exit 1
}

[ $# -eq 2 ] || fail "usage: seed-extract.sh SEED OUT"
seed=$1 out=$2

[ -e "$seed" ] || fail "unable to find the seed document $seed: no such file"
if ! [ -f "$seed" ] || ! [ -r "$seed" ]; then
	fail "unable to read the seed document $seed: not a readable file"
fi

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
{ : >"$tmp"; } 2>/dev/null || fail "unable to write $tmp"

# awk exits 2 when no here-document starts, 3 when the last one has no EOF.
rc=0
awk -v start="cat >/etc/kvmd/user/net-selfheal.sh <<'EOF'" '
	{ line = $0; sub(/^[ \t]+/, "", line) }
	line == start { n = 0; open = 1; seen = 1; next }
	open && line == "EOF" { open = 0; next }
	open { text[++n] = line }
	END {
		if (!seen) exit 2
		if (open) exit 3
		for (i = 1; i <= n; i++) print text[i]
	}' "$seed" >"$tmp" || rc=$?
case $rc in
0) ;;
2) fail "no \"cat >/etc/kvmd/user/net-selfheal.sh <<'EOF'\" in $seed" ;;
3) fail "the last net-selfheal.sh here-document in $seed has no EOF line" ;;
*) fail "unable to extract net-selfheal.sh from $seed into $tmp (awk exit $rc)" ;;
esac

[ -s "$tmp" ] || fail "the net-selfheal.sh here-document in $seed is empty"
[ "$(head -n 1 "$tmp")" = "#!/bin/sh" ] ||
	fail "the net-selfheal.sh in $seed does not start with #!/bin/sh"
grep -q 'LAST_REBOOT_FILE' "$tmp" ||
	fail "the net-selfheal.sh in $seed has no LAST_REBOOT_FILE: not the issue-7 script"
[ "$(tail -n 1 "$tmp")" = "reboot" ] ||
	fail "the net-selfheal.sh in $seed does not end with reboot: cut short?"

mv -f "$tmp" "$out" || fail "unable to rename $tmp to $out"
