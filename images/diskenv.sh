#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/diskenv.sh - read and write GRUB environment blocks and files on the
# boot partition of a disk image made by images/build-disk.sh, from the
# host: no root, no loop device, no mount.  The disk must not be in use by
# a running VM.
#
#   diskenv.sh [--file PATH] DISK list            every NAME=VALUE
#   diskenv.sh [--file PATH] DISK get NAME        the value; exit 1 if unset
#   diskenv.sh [--file PATH] DISK set NAME=VALUE...
#   diskenv.sh [--file PATH] DISK unset NAME...
#   diskenv.sh [--file PATH] DISK corrupt         overwrite every byte (bad signature)
#   diskenv.sh [--file PATH] DISK truncate BYTES  cut the file to BYTES
#   diskenv.sh DISK rm PATH                       remove a file
#   diskenv.sh DISK copy-slot FROM TO             copy /boot/earlyguard/FROM/*
#                                                 over /boot/earlyguard/TO/*
#   diskenv.sh DISK sum PATH...                   "SHA256 PATH" a file, or
#                                                 "absent PATH"
#
# PATH is a path on the boot partition (default /boot/grub/grubenv, e.g.
# /boot/earlyguard/A/slot.env).  set and unset go through grub-editenv on a
# copy and write the block back where it is, as GRUB's save_env does: the
# file keeps its size and its blocks.  Exit status: 0 done, 1 failed (or
# get: not set), 100 usage.
set -euo pipefail
export LC_ALL=C
PATH=$PATH:/usr/sbin:/sbin

prog=diskenv.sh

die() {
	printf '%s: fatal: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	sed -n '9,20s/^# \{0,1\}//p' "${BASH_SOURCE[0]}" >&2
	exit 100
}

file=/boot/grub/grubenv
if [[ ${1-} == --file ]]; then
	[[ $# -ge 2 ]] || usage
	file=$2
	shift 2
fi
[[ $# -ge 2 ]] || usage
disk=$1 cmd=$2
shift 2
[[ -f $disk && -w $disk ]] || die "$disk: not a writable file"
[[ $file == /* ]] || die "--file must be an absolute path on the boot partition: $file"
editenv=${GRUB_EDITENV:-grub-editenv}

# The boot partition is the first one; debugfs reads it in place.
start=$(sfdisk -d "$disk" 2>/dev/null | awk -F'[=,]' '/^[^ ]*1 *: *start=/ { gsub(/ /, "", $2); print $2; exit }')
[[ $start =~ ^[0-9]+$ ]] || die "$disk: no partition 1 in its partition table"
offset=$((start * 512))
fs="$disk?offset=$offset"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/diskenv.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# dbg [-w] REQUEST...: run debugfs requests (in order, in one run) and
# print their output.  Fails, with the errors in $tmp/dbg.err, if any
# request failed: debugfs itself exits 0 then.
dbg() {
	local w=() r
	if [[ $1 == -w ]]; then
		w=(-w)
		shift
	fi
	for r in "$@"; do
		printf '%s\n' "$r"
	done >"$tmp/dbg.req"
	debugfs "${w[@]}" -f "$tmp/dbg.req" "$fs" >"$tmp/dbg.out" 2>"$tmp/dbg.raw" ||
		{ cp "$tmp/dbg.raw" "$tmp/dbg.err"; return 1; }
	grep -v '^debugfs [0-9]' "$tmp/dbg.raw" >"$tmp/dbg.err" && return 1
	grep -v '^debugfs: ' "$tmp/dbg.out" || true
}

# dbg_or_die [-w] REQUEST...: dbg, fatal on failure.
dbg_or_die() {
	dbg "$@" || die "debugfs ${*: -1}: $(head -n 3 "$tmp/dbg.err")"
}

# fetch: the file's bytes into $tmp/env.
fetch() {
	if ! dbg "dump -p $file $tmp/env" >/dev/null || [[ ! -f $tmp/env ]]; then
		die "$file: not on the boot partition of $disk: $(head -n 1 "$tmp/dbg.err")"
	fi
}

# put: write $tmp/env back over the file's own blocks (same size).
put() {
	local bs size blocks i=0 b
	size=$(stat -c %s "$tmp/env")
	[[ $(dbg_or_die "stat $file" | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -n 1) == "$size" ]] ||
		die "$file changed size; refusing to write it in place"
	bs=$(dbg_or_die stats | sed -n 's/^Block size: *//p')
	[[ $bs =~ ^[0-9]+$ ]] || die "cannot read the block size of $disk's boot partition"
	((offset % bs == 0)) || die "partition offset $offset is not a multiple of the block size $bs"
	read -r -a blocks <<<"$(dbg_or_die "blocks $file")"
	((${#blocks[@]} * bs >= size)) || die "$file: fewer blocks than its size"
	for b in "${blocks[@]}"; do
		[[ $b =~ ^[0-9]+$ ]] || die "$file: bad block number '$b'"
		dd if="$tmp/env" of="$disk" bs="$bs" skip="$i" seek=$((offset / bs + b)) count=1 \
			conv=notrunc status=none
		i=$((i + 1))
		((i * bs < size)) || break
	done
	sync -f "$disk" 2>/dev/null || true
}

case $cmd in
list)
	[[ $# -eq 0 ]] || usage
	fetch
	"$editenv" "$tmp/env" list
	;;
get)
	[[ $# -eq 1 ]] || usage
	fetch
	"$editenv" "$tmp/env" list | awk -v n="$1" 'index($0, n "=") == 1 { print substr($0, length(n) + 2); f = 1 } END { exit !f }'
	;;
set | unset)
	[[ $# -ge 1 ]] || usage
	fetch
	"$editenv" "$tmp/env" "$cmd" "$@" || die "grub-editenv $cmd $* failed"
	put
	;;
corrupt)
	[[ $# -eq 0 ]] || usage
	fetch
	head -c "$(stat -c %s "$tmp/env")" /dev/zero | tr '\0' 'X' >"$tmp/bad"
	mv -f "$tmp/bad" "$tmp/env"
	put
	;;
truncate)
	[[ $# -eq 1 && $1 =~ ^[0-9]+$ ]] || usage
	fetch
	dbg_or_die -w "sif $file size $1" >/dev/null
	;;
rm)
	[[ $# -eq 1 && $1 == /* ]] || usage
	dbg_or_die -w "rm $1" >/dev/null
	;;
copy-slot)
	[[ $# -eq 2 && $1 =~ ^[A-Za-z0-9_-]+$ && $2 =~ ^[A-Za-z0-9_-]+$ ]] || usage
	from=/boot/earlyguard/$1 to=/boot/earlyguard/$2
	reqs=("cd $to")
	for f in vmlinuz initrd.img slot.env; do
		if ! dbg "dump -p $from/$f $tmp/$f" >/dev/null || [[ ! -f $tmp/$f ]]; then
			die "$from/$f: not on $disk: $(head -n 1 "$tmp/dbg.err")"
		fi
		# A file TO lacks is simply written.
		! dbg "stat $to/$f" >/dev/null || reqs+=("rm $f")
		reqs+=("write $tmp/$f $f")
	done
	dbg_or_die -w "${reqs[@]}" >/dev/null
	;;
sum)
	[[ $# -ge 1 ]] || usage
	for p in "$@"; do
		[[ $p == /* ]] || usage
		rm -f "$tmp/sum"
		if dbg "dump -p $p $tmp/sum" >/dev/null && [[ -f $tmp/sum ]]; then
			printf '%s %s\n' "$(sha256sum <"$tmp/sum" | cut -d' ' -f1)" "$p"
		else
			printf 'absent %s\n' "$p"
		fi
	done
	;;
*) usage ;;
esac
