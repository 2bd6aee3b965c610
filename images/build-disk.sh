#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/build-disk.sh [OUTDIR] - build OUTDIR/disk.img (default OUTDIR:
# build/images), a BIOS/MBR disk that boots through GRUB with earlyguard's
# boot selection, from what images/build.sh left in OUTDIR (vmlinuz,
# initramfs.img, test-overlay.cpio, rootfs.img):
#
#   sector 0            GRUB's boot.img (first 440 bytes; the partition
#                       table stays)
#   sectors 1..2047     core.img: grub-mkimage -O i386-pc with grub/core.cfg
#                       embedded (serial console, search, configfile)
#   partition 1 (boot)  ext4 "egboot", bootable:
#                         /boot/grub/grub.cfg      grub/10_earlyguard output
#                         /boot/grub/grubenv       1024 bytes, grub-editenv
#                         /boot/grub/i386-pc/      the GRUB modules
#                         /boot/earlyguard/{A,B,trial,recovery}/
#                             vmlinuz, initrd.img (initramfs.img + the test
#                             overlay), slot.env (eg_slot_args)
#   partition 2 (root)  rootfs.img, as it is
#   partition 3         empty, as big as rootfs.img: where the known-good
#                       fetch writes a bundle's rootfs (fetch_rootfs=/dev/vda3,
#                       test/qemu/M30)
#
# No root, no loop devices, no mount: mkfs.ext4 -d on a separate image,
# sfdisk on the file, dd into place.
#
# Environment overrides:
#   GRUB_MODDIR    GRUB i386-pc modules and images (default build/grub/i386-pc
#                  when it exists: the patched build; else /usr/lib/grub/i386-pc)
#   GRUB_MKIMAGE   grub-mkimage to use            (default build/grub/bin/grub-mkimage
#                  with build/grub's modules, else grub-mkimage)
#   GRUB_EDITENV   grub-editenv to use            (default grub-editenv)
#   BOOT_SIZE_MIB  size of the boot partition     (default 96)
prog=images/build-disk.sh
# shellcheck source=SCRIPTDIR/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
mkimage=grub-mkimage
if [[ -n ${GRUB_MODDIR-} ]]; then
	moddir=$(abspath "$GRUB_MODDIR")
elif [[ -d $root/build/grub/i386-pc ]]; then
	moddir=$root/build/grub/i386-pc
	# the grub-mkimage of the same build: core.img and modules must match
	mkimage=$root/build/grub/bin/grub-mkimage
else
	moddir=/usr/lib/grub/i386-pc
fi
mkimage=${GRUB_MKIMAGE:-$mkimage}
editenv=${GRUB_EDITENV:-grub-editenv}
boot_mib=${BOOT_SIZE_MIB:-96}
[[ $boot_mib =~ ^[1-9][0-9]{1,3}$ ]] || die "BOOT_SIZE_MIB must be 10-9999: $boot_mib"

# The kernel command line of every slot, for the QEMU matrix: the disk is
# /dev/vda (root on vda2), the scenario's record disk /dev/vdb.
# egtest.slot= names the slot a kernel was installed as, so a test can tell
# a promoted trial from the B it replaced.
# The rootfs mounts the boot partition on /egboot (images/rootfs-rcS), where
# earlyguard disarm, trial and promote find the grubenv and the slots; in
# the initramfs, the known-good fetch mounts it there (boot_dev, boot_dir).
disk_args="console=ttyS0 root=/dev/vda2 rootfstype=ext4 earlyguard.driver=i6300esb earlyguard.device=/dev/watchdog earlyguard.record=/dev/vdb earlyguard.grubenv=/egboot/boot/grub/grubenv earlyguard.grub_slots=/egboot/boot/earlyguard earlyguard.boot_dev=/dev/vda1 earlyguard.boot_dir=/egboot"
slots=(A B trial recovery)
# core.img: what the embedded config runs, and what grub.cfg needs to read
# the grubenv and load a kernel even if /boot/grub/i386-pc is damaged.
core_modules=(biosdisk part_msdos ext2 search search_fs_uuid serial terminal
	echo test normal configfile sleep reboot loadenv regexp linux)

need_tool() {
	command -v "$1" >/dev/null || die "$1 not found (install $2)"
}

need_file() {
	[[ -f $1 && -r $1 ]] || die "$1: ${2:-missing or unreadable}"
}

need_tool "$mkimage" grub-common
need_tool "$editenv" grub-common
need_tool grub-script-check grub-common
need_tool sfdisk fdisk
need_tool mkfs.ext4 e2fsprogs
for f in boot.img kernel.img lzma_decompress.img diskboot.img normal.mod; do
	need_file "$moddir/$f" "missing (install grub-pc-bin, or set GRUB_MODDIR)"
done
for f in vmlinuz initramfs.img test-overlay.cpio rootfs.img; do
	need_file "$outdir/$f" "missing: run images/build.sh first"
done
need_file "$root/grub/10_earlyguard"
need_file "$root/grub/earlyguard.cfg"
need_file "$root/grub/core.cfg"

start=$SECONDS
tmp=$(mktemp -d "$outdir/.build-disk.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- the boot partition's files --------------------------------------------

stage=$tmp/boot
mkdir -p "$stage/boot/grub/i386-pc"
cp "$moddir"/*.mod "$moddir"/*.lst "$stage/boot/grub/i386-pc/"

# The initrd of every slot: the test images' initramfs and the fault
# overlay (eg_fault=panic in a slot's arguments makes that slot panic).
# initramfs.img is padded to 4 bytes by build.sh, so the overlay is found.
cat "$outdir/initramfs.img" "$outdir/test-overlay.cpio" >"$tmp/initrd.img"
for s in "${slots[@]}"; do
	d=$stage/boot/earlyguard/$s
	mkdir -p "$d"
	cp "$outdir/vmlinuz" "$d/vmlinuz"
	cp "$tmp/initrd.img" "$d/initrd.img"
	"$editenv" "$d/slot.env" create
	"$editenv" "$d/slot.env" set "eg_slot_args=$disk_args egtest.slot=$s"
done

env=$stage/boot/grub/grubenv
"$editenv" "$env" create
# A short menu: the matrix boots this image many times.
"$editenv" "$env" set eg_default=A eg_max_tries=3 eg_menu_timeout=1
[[ $(stat -c %s "$env") == 1024 ]] || die "$env is not 1024 bytes"

# grub.cfg the way a grub-mkconfig user gets it: grub/10_earlyguard with a
# config, paths given so that nothing on this host is probed.
cat >"$tmp/earlyguard-grub" <<EOF
EG_GRUB_DIR=$stage/boot/earlyguard
EG_GRUB_PATH=/boot/earlyguard
EG_GRUB_ARGS="$disk_args egtest.slot=none"
EG_GRUB_SERIAL="--unit=0 --speed=115200"
EG_GRUB_REBOOT_DELAY=5
EOF
{
	printf '# grub.cfg of the earlyguard test disk, made by %s\n' "$prog"
	EARLYGUARD_GRUB_CONFIG=$tmp/earlyguard-grub \
		EARLYGUARD_GRUB_SNIPPET=$root/grub/earlyguard.cfg \
		sh "$root/grub/10_earlyguard" 2>"$tmp/10_earlyguard.log"
} >"$stage/boot/grub/grub.cfg" ||
	die "grub/10_earlyguard failed: $(cat "$tmp/10_earlyguard.log")"
grep -q 'earlyguard-A' "$stage/boot/grub/grub.cfg" ||
	die "grub/10_earlyguard printed no entries: $(cat "$tmp/10_earlyguard.log")"
grub-script-check "$stage/boot/grub/grub.cfg" ||
	die "grub-script-check refused the generated grub.cfg"

# --- boot.part: ext4 from the staged files ---------------------------------

boot_uuid=$(cat /proc/sys/kernel/random/uuid)
truncate -s "${boot_mib}M" "$tmp/boot.part"
mkfs.ext4 -q -F -b 4096 -L egboot -U "$boot_uuid" -E root_owner=0:0 -d "$stage" "$tmp/boot.part" ||
	die "mkfs.ext4 -d $stage failed (is BOOT_SIZE_MIB=$boot_mib too small?)"

# --- core.img ----------------------------------------------------------------

sed -e '/^#/d' -e "s/@BOOT_UUID@/$boot_uuid/g" "$root/grub/core.cfg" >"$tmp/core.cfg"
"$mkimage" -O i386-pc -d "$moddir" -c "$tmp/core.cfg" -p '(hd0,msdos1)/boot/grub' \
	-o "$tmp/core.img" "${core_modules[@]}" ||
	die "grub-mkimage failed"
core_size=$(stat -c %s "$tmp/core.img")
# It lives between the MBR and the first partition, at sector 2048.
((core_size <= 2047 * 512)) || die "core.img is $core_size bytes, more than the 2047 sectors before partition 1"

# --- disk.img: MBR, partitions, dd -----------------------------------------

root_size=$(stat -c %s "$outdir/rootfs.img")
((root_size % 1048576 == 0)) || die "$outdir/rootfs.img is not a whole number of MiB"
root_mib=$((root_size / 1048576))
boot_start=2048
boot_sectors=$((boot_mib * 2048))
root_start=$((boot_start + boot_sectors))
root_sectors=$((root_mib * 2048))
disk=$tmp/disk.img
recov_start=$((root_start + root_sectors))
truncate -s "$(((1 + boot_mib + 2 * root_mib) * 1048576))" "$disk"
sfdisk --no-reread --no-tell-kernel -q "$disk" >"$tmp/sfdisk.log" 2>&1 <<EOF ||
label: dos
label-id: 0x65617267
unit: sectors

start=$boot_start, size=$boot_sectors, type=83, bootable
start=$root_start, size=$root_sectors, type=83
start=$recov_start, size=$root_sectors, type=83
EOF
	die "sfdisk failed: $(head -n 5 "$tmp/sfdisk.log")"

# boot.img's code only: bytes 440.. are the disk signature and the table.
dd if="$moddir/boot.img" of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$tmp/core.img" of="$disk" bs=512 seek=1 conv=notrunc status=none
dd if="$tmp/boot.part" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$outdir/rootfs.img" of="$disk" bs=1M seek=$((1 + boot_mib)) conv=notrunc,sparse status=none

mv -f "$disk" "$outdir/disk.img"
printf '%s/%-18s %10d bytes (boot %d MiB, root and recovery root %d MiB each, core.img %d bytes, GRUB from %s)\n' \
	"$outdir" disk.img "$(stat -c %s "$outdir/disk.img")" "$boot_mib" "$root_mib" "$core_size" "$moddir"
printf '%s: %d s\n' "$prog" "$((SECONDS - start))"
