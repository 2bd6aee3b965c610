#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/build-dracut.sh [OUTDIR] - build a dracut image with earlyguard's
# module (modules/90earlyguard) for the QEMU tests, with Debian's dracut 059
# run unpacked (never installed) and this machine's kernel, from a private,
# empty configuration: nothing under /etc or /boot changes.
#   OUTDIR/dracut.img         shell init (dash base rootfs-block, the drivers by --add-drivers)
#                             with the earlyguard module
#   OUTDIR/dracut-plain.img   the same without it (to measure what
#                             earlyguard adds)
#   OUTDIR/dracut-systemd.img a systemd initrd (dash systemd systemd-initrd
#                             dracut-systemd base rootfs-block earlyguard)
# Default OUTDIR: build/images.  The image boots with build/images/vmlinuz
# and rootfs.img (images/build.sh): root=/dev/vda rootfstype=ext4.
#
# dracut comes from build/cache/dracut-core_*.deb; when there is none,
# `apt-get download dracut-core` fetches it (the only network access).  It
# is unpacked into build/dracut-root, and our module copied into its
# modules.d.  dracut needs cpio, kmod and udev (udevadm) on the host.
#
# Environment overrides:
#   EARLYGUARD_BIN  earlyguard binary              (default build/earlyguard)
#   EARLYGUARD_CONF its configuration in the image (default images/initramfs.conf)
#   KVER            kernel version (default: newest /lib/modules/* with a
#                   /boot/vmlinuz-*)
prog=images/build-dracut.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
bin=$(abspath "${EARLYGUARD_BIN:-$root/build/earlyguard}")
conf=$(abspath "${EARLYGUARD_CONF:-$root/images/initramfs.conf}")
lib=$root/hooks/earlyguard-lib.sh
module=$root/modules/90earlyguard
cache=$root/build/cache
droot=$root/build/dracut-root

for t in cpio modprobe udevadm dpkg-deb; do
	command -v "$t" >/dev/null || die "$t not found (apt-get install cpio kmod udev dpkg)"
done
[[ -x /usr/lib/systemd/systemd ]] || die "/usr/lib/systemd/systemd not found (apt-get install systemd)"
[[ -f $bin ]] || die "$bin not found: run 'make' first (or set EARLYGUARD_BIN)"
[[ -f $conf ]] || die "$conf not found"
[[ -f $lib ]] || die "$lib not found"

kver=$(img_kver)

# dracut itself: the cached .deb, downloaded once.
mkdir -p "$cache"
deb=$(find "$cache" -maxdepth 1 -name 'dracut-core_*.deb' | sort -V | tail -n 1)
if [[ -z $deb ]]; then
	(cd "$cache" && apt-get download dracut-core) || die "apt-get download dracut-core failed"
	deb=$(find "$cache" -maxdepth 1 -name 'dracut-core_*.deb' | sort -V | tail -n 1)
	[[ -n $deb ]] || die "no dracut-core .deb in $cache after the download"
fi
if [[ ! -f $droot/.unpacked || $(cat "$droot/.unpacked") != "${deb##*/}" ]]; then
	rm -rf "$droot"
	dpkg-deb -x "$deb" "$droot" || die "dpkg-deb -x $deb failed"
	printf '%s\n' "${deb##*/}" >"$droot/.unpacked"
fi
basedir=$droot/usr/lib/dracut
dracut=$droot/usr/bin/dracut
[[ -x $dracut && -f $basedir/dracut-init.sh ]] || die "$deb has no usr/bin/dracut"
rm -rf "$basedir/modules.d/90earlyguard"
cp -R "$module" "$basedir/modules.d/90earlyguard"

mkdir -p "$outdir" "$root/build/tmp"
tmp=$(mktemp -d "$root/build/tmp/dracut.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
trap 'exit 130' INT TERM HUP
mkdir -p "$tmp/confdir"

# build NAME MODULES
build() {
	local out=$outdir/$1
	EARLYGUARD_BIN=$bin EARLYGUARD_CONF=$conf EARLYGUARD_LIB=$lib \
		dracutbasedir=$basedir \
		"$dracut" --force --quiet --no-hostonly --no-hostonly-cmdline \
		--conf /dev/null --confdir "$tmp/confdir" --tmpdir "$tmp" \
		--modules "$2" \
		--add-drivers "i6300esb virtio_pci virtio_blk ext4 crc32c_generic" \
		--no-early-microcode --gzip --reproducible --kver "$kver" \
		"$tmp/$1" >"$tmp/$1.log" 2>&1 || {
		cat "$tmp/$1.log" >&2
		die "dracut for $1 failed"
	}
	grep -E 'ERROR|FAILED' "$tmp/$1.log" >&2 && die "dracut for $1 reported errors"
	# lib.sh appends archives after an initrd only at 4-byte offsets.
	local size
	size=$(stat -c %s "$tmp/$1")
	head -c "$(((4 - size % 4) % 4))" /dev/zero >>"$tmp/$1"
	mv -f "$tmp/$1" "$out"
}

start=$SECONDS
build dracut.img "dash base rootfs-block earlyguard"
build dracut-plain.img "dash base rootfs-block"
build dracut-systemd.img "dash systemd systemd-initrd dracut-systemd base rootfs-block earlyguard"
with=$(stat -c %s "$outdir/dracut.img")
without=$(stat -c %s "$outdir/dracut-plain.img")
printf '%s: %s (%d bytes), %s (%d bytes): earlyguard adds %d bytes; dracut %s, KVER %s, %d s\n' \
	"$prog" "${outdir#"$root"/}/dracut.img" "$with" \
	"${outdir#"$root"/}/dracut-plain.img" "$without" \
	$((with - without)) "${deb##*/}" "$kver" $((SECONDS - start))
