#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# Installs what building and testing earlyguard needs, from Debian 12's
# packages only.  Needs root (uses sudo when run as a user).
set -euo pipefail

packages=(
	make gcc libc6-dev              # host build and unit tests (ASan/UBSan)
	libklibc-dev klibc-utils        # the shipped static binary (klcc)
	libbearssl-dev                  # SHA-256, ECDSA for the host build (klibc's: make bearssl)
	busybox-static kmod e2fsprogs   # images: busybox, depmod, mkfs.ext4 -d
	linux-image-amd64               # the kernel and modules the images boot
	initramfs-tools                 # its real mkinitramfs, for the M52/M53 images
	cpio udev systemd               # dracut (run unpacked) and its systemd initrd, M50-M54
	qemu-system-x86                 # the boot matrix (TCG, i6300esb)
	dropbear-bin openssh-client     # SSH into the test guest (disarm over ssh)
	bats bats-support bats-assert   # CLI tests
	shellcheck mandoc               # lint: shell files, man pages
	grub-common grub-pc-bin fdisk   # grub-editenv, disk.img: grub-mkimage, i386-pc modules, sfdisk
	clang libclang-rt-14-dev        # libFuzzer targets
	python3 iproute2 openssl        # fetch server, LAN responder, peer forger; bats' network namespaces; bundle keys
)

sudo=
if [ "$(id -u)" -ne 0 ]; then
	command -v sudo >/dev/null || { echo "test/deps.sh: run as root (no sudo here)" >&2; exit 1; }
	sudo=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -q
$sudo apt-get install -y -q --no-install-recommends "${packages[@]}"

# dracut 059 is run unpacked from its Debian package, never installed:
# fetch the .deb once, so that `make images` needs no network.
cache=$(cd "$(dirname "$0")/.." && pwd)/build/cache
mkdir -p "$cache"
if ! ls "$cache"/dracut-core_*.deb >/dev/null 2>&1; then
	(cd "$cache" && apt-get download dracut-core)
fi
