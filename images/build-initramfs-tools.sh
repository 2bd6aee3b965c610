#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/build-initramfs-tools.sh [OUTDIR] - build an initramfs-tools image
# with earlyguard's adapter (hooks/initramfs-tools) for the QEMU tests, with
# Debian's real mkinitramfs and this machine's kernel, from a private
# configuration directory: no root, nothing under /etc or /boot changes.
#   OUTDIR/initramfs-tools.img         with the earlyguard hook and scripts
#   OUTDIR/initramfs-tools-plain.img   the same configuration without them
#                                      (to measure what earlyguard adds)
# Default OUTDIR: build/images.  The image boots with build/images/vmlinuz
# and rootfs.img (images/build.sh): root=/dev/vda rootfstype=ext4.
#
# Environment overrides:
#   EARLYGUARD_BIN  earlyguard binary            (default build/earlyguard)
#   EARLYGUARD_CONF its configuration in the image (default images/initramfs.conf)
#   KVER            kernel version (default: newest /lib/modules/* with a
#                   /boot/vmlinuz-*)
#   MKINITRAMFS     the generator                (default mkinitramfs)
prog=images/build-initramfs-tools.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=$(abspath "${EARLYGUARD_BIN:-$root/build/earlyguard}")
conf=$(abspath "${EARLYGUARD_CONF:-$root/images/initramfs.conf}")
lib=$root/hooks/earlyguard-lib.sh
adapter=$root/hooks/initramfs-tools
mkinitramfs=${MKINITRAMFS:-mkinitramfs}

command -v "$mkinitramfs" >/dev/null || die "$mkinitramfs not found (install initramfs-tools-core)"
[[ -f $bin ]] || die "$bin not found: run 'make' first (or set EARLYGUARD_BIN)"
[[ -f $conf ]] || die "$conf not found"
[[ -f $lib ]] || die "$lib not found"

kver=$(img_kver)

mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/.build-it.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP

# confdir DIR WITH_EARLYGUARD: a private initramfs-tools configuration.
# MODULES=list: only the modules file (and the hooks' manual_add_modules),
# not the whole most-of-the-kernel set; the disk, its bus and the root's
# file system are listed, and initramfs-tools loads them after init-top.
confdir() {
	local d=$1
	mkdir -p "$d/conf.d" "$d/hooks" "$d/scripts"
	cat >"$d/initramfs.conf" <<-'CONF'
		MODULES=list
		BUSYBOX=auto
		KEYMAP=n
		COMPRESS=gzip
		DEVICE=
		NFSROOT=auto
		RUNSIZE=10%
		FSTYPE=ext4
	CONF
	printf '%s\n' i6300esb virtio_pci virtio_blk ext4 crc32c_generic >"$d/modules"
	if [[ $2 == 1 ]]; then
		# mkinitramfs copies only regular files from CONFDIR/scripts.
		install -m 0755 "$adapter/hooks/earlyguard" "$d/hooks/earlyguard"
		mkdir -p "$d/scripts/init-top" "$d/scripts/local-top" "$d/scripts/panic"
		install -m 0755 "$adapter/scripts/init-top/earlyguard" "$d/scripts/init-top/earlyguard"
		install -m 0755 "$adapter/scripts/local-top/earlyguard" "$d/scripts/local-top/earlyguard"
		install -m 0755 "$adapter/scripts/panic/earlyguard" "$d/scripts/panic/earlyguard"
	fi
}

# build NAME WITH_EARLYGUARD
build() {
	local out=$outdir/$1 d=$tmp/conf-$1
	confdir "$d" "$2"
	EARLYGUARD_BIN=$bin EARLYGUARD_CONF=$conf EARLYGUARD_LIB=$lib \
		"$mkinitramfs" -d "$d" -o "$tmp/$1" "$kver" >"$tmp/$1.log" 2>&1 || {
		cat "$tmp/$1.log" >&2
		die "mkinitramfs for $1 failed"
	}
	grep '^E:' "$tmp/$1.log" >&2 && die "mkinitramfs for $1 reported errors"
	# lib.sh appends archives after an initrd only at 4-byte offsets.
	local size
	size=$(stat -c %s "$tmp/$1")
	head -c "$(((4 - size % 4) % 4))" /dev/zero >>"$tmp/$1"
	mv -f "$tmp/$1" "$out"
}

start=$SECONDS
build initramfs-tools.img 1
build initramfs-tools-plain.img 0
with=$(stat -c %s "$outdir/initramfs-tools.img")
without=$(stat -c %s "$outdir/initramfs-tools-plain.img")
printf '%s: %s (%d bytes), %s (%d bytes): earlyguard adds %d bytes; KVER %s, %d s\n' \
	"$prog" "${outdir#"$root"/}/initramfs-tools.img" "$with" \
	"${outdir#"$root"/}/initramfs-tools-plain.img" "$without" \
	$((with - without)) "$kver" $((SECONDS - start))
