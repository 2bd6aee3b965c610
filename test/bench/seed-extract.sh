#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# seed-extract.sh SEED OUT [TARGET]: write to OUT one of the RM-1
# operator's files as the seed document of issue 7 (SEED) gives it.  The
# self-heal bench, test/bench/heal.sh, runs the operator's script beside
# earlyguard's daemon, set up by the operator's boot hook; both are the
# operator's code, so the repository does not carry a copy: the bench
# takes them from the seed each time it runs.  TARGET is the path the seed
# writes the file to, and selects it:
#
#   /etc/kvmd/user/net-selfheal.sh  (the default) the self-heal script
#   /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh
#                                   the boot hook: root's crontab
#                                   "*/10 * * * *" and busybox crond
#
# The seed writes each with a here-document,
#   cat >TARGET <<'EOF'
# and its text is garbled: an earlier net-selfheal.sh here-document runs
# into the complete one without its EOF.  The file is the last one: from
# the line after the last "cat" line for TARGET to the first line after it
# that is exactly EOF.  (The hook has one here-document; the same rule
# takes it.)  The issue's text has lost the script's indentation; leading
# blanks are stripped from every line, so that the result does not depend
# on how the document is indented either.  No other byte is changed.
#
# The result is checked before OUT is written, so a different document is
# an error, not a different bench: the script starts with a shebang, has
# LAST_REBOOT_FILE and ends with "reboot"; the hook starts with a shebang,
# writes crontabs/root to run /etc/kvmd/user/net-selfheal.sh, starts crond
# and ends with "esac".  On failure: one line on stderr naming the file and
# what is wrong, exit 1, OUT untouched.
set -euo pipefail

fail() {
	echo "seed-extract: $*" >&2
	exit 1
}

usage="usage: seed-extract.sh SEED OUT [/etc/kvmd/user/net-selfheal.sh | /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh]"
[ $# -eq 2 ] || [ $# -eq 3 ] || fail "$usage"
seed=$1 out=$2 target=${3:-/etc/kvmd/user/net-selfheal.sh}
case $target in
/etc/kvmd/user/net-selfheal.sh | /etc/kvmd/user/scripts/S20-net-selfheal-cron.sh) ;;
*) fail "no such file of the seed's to extract: $target ($usage)" ;;
esac
name=${target##*/}

[ -e "$seed" ] || fail "unable to find the seed document $seed: no such file"
if ! [ -f "$seed" ] || ! [ -r "$seed" ]; then
	fail "unable to read the seed document $seed: not a readable file"
fi

tmp=$out.tmp.$$
trap 'rm -f "$tmp"' EXIT
{ : >"$tmp"; } 2>/dev/null || fail "unable to write $tmp"

# awk exits 2 when no here-document starts, 3 when the last one has no EOF.
rc=0
awk -v start="cat >$target <<'EOF'" '
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
2) fail "no \"cat >$target <<'EOF'\" in $seed" ;;
3) fail "the last $name here-document in $seed has no EOF line" ;;
*) fail "unable to extract $name from $seed into $tmp (awk exit $rc)" ;;
esac

[ -s "$tmp" ] || fail "the $name here-document in $seed is empty"
[ "$(head -n 1 "$tmp")" = "#!/bin/sh" ] ||
	fail "the $name in $seed does not start with #!/bin/sh"
case $name in
net-selfheal.sh)
	grep -q 'LAST_REBOOT_FILE' "$tmp" ||
		fail "the $name in $seed has no LAST_REBOOT_FILE: not the issue-7 script"
	[ "$(tail -n 1 "$tmp")" = "reboot" ] ||
		fail "the $name in $seed does not end with reboot: cut short?"
	;;
S20-net-selfheal-cron.sh)
	grep -q 'crontabs/root' "$tmp" ||
		fail "the $name in $seed writes no crontabs/root: not the issue-7 hook"
	grep -q '/etc/kvmd/user/net-selfheal\.sh' "$tmp" ||
		fail "the $name in $seed does not run /etc/kvmd/user/net-selfheal.sh: not the issue-7 hook"
	grep -qw 'crond' "$tmp" ||
		fail "the $name in $seed does not start crond: not the issue-7 hook"
	[ "$(tail -n 1 "$tmp")" = "esac" ] ||
		fail "the $name in $seed does not end with esac: cut short?"
	;;
esac

mv -f "$tmp" "$out" || fail "unable to rename $tmp to $out"
