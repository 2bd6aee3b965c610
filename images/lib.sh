# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# images/lib.sh - what the image builders (images/build*.sh) share: strict
# mode, one error format, the [OUTDIR] argument, paths relative to the
# caller, and the kernel version to build for.  Sourced after the builder
# sets $prog; sets $root (the source tree) and $outdir.

set -euo pipefail
: "${prog:?images/lib.sh: the builder sets prog before sourcing}"
umask 022
export LC_ALL=C
# depmod, mkfs.ext4, debugfs, sfdisk live in sbin, often not on a user's PATH.
PATH=$PATH:/usr/sbin:/sbin

die() {
	printf '%s: fatal: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	printf 'usage: %s [OUTDIR]\n' "$prog" >&2
	exit 100
}

[[ $# -le 1 && ${1-} != -* ]] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Relative paths in arguments and overrides are relative to the caller's cwd.
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

# shellcheck disable=SC2034 # used by the builders
outdir=$(abspath "${1:-$root/build/images}")

# img_kver: $KVER when set (a plain name), else the newest /lib/modules/*
# that has modules.dep and a matching /boot/vmlinuz-*.
img_kver() {
	local d k
	local -a found=()
	if [[ -n ${KVER-} ]]; then
		[[ $KVER != */* && $KVER != . && $KVER != .. ]] || die "bad KVER: $KVER"
		[[ -f /lib/modules/$KVER/modules.dep ]] ||
			die "/lib/modules/$KVER/modules.dep missing or unreadable (KVER=$KVER)"
		printf '%s\n' "$KVER"
		return 0
	fi
	for d in /lib/modules/*; do
		k=${d##*/}
		if [[ -f $d/modules.dep && -f /boot/vmlinuz-$k ]]; then
			found+=("$k")
		fi
	done
	((${#found[@]})) || die "no /lib/modules/KVER with a matching /boot/vmlinuz-KVER (install linux-image-amd64)"
	printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}
