#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/build.sh [OUTDIR] - build the QEMU test images (default OUTDIR:
# build/images):
#   vmlinuz             the installed Debian kernel, copied
#   initramfs.img       gzip -9 newc cpio: /init, earlyguard, busybox, modules
#   rootfs.img          64 MiB ext4 (label egroot) with the test /sbin/init
#   test-overlay.cpio   uncompressed newc with the fault-injection hook
#
# No root, loop devices or network: the cpio archives come from our own
# mkcpio, the ext4 image from mkfs.ext4 -d, ownership fixed with debugfs.
#
# Environment overrides:
#   EARLYGUARD_BIN  earlyguard binary        (default build/earlyguard)
#   INIT_SRC        initramfs /init           (default init/init)
#   KVER            kernel version            (default: newest /lib/modules/*
#                                               with a /boot/vmlinuz-*)
#   BUSYBOX         static busybox            (default /bin/busybox)
#   HOSTCC          compiler for build/tools/mkcpio (default cc)
set -euo pipefail
umask 022
export LC_ALL=C
# depmod, mkfs.ext4 and debugfs live in sbin, often not on a user's PATH.
PATH=$PATH:/usr/sbin:/sbin

prog=images/build.sh

die() {
	printf '%s: fatal: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	printf 'usage: %s [OUTDIR]\n' "$prog" >&2
	exit 100
}

[[ $# -le 1 ]] || usage
[[ ${1-} != -* ]] || usage

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
images=$root/images

# Relative paths in arguments and overrides are relative to the caller's cwd.
abspath() {
	case $1 in
	/*) printf '%s\n' "$1" ;;
	*) printf '%s\n' "$PWD/$1" ;;
	esac
}

outdir=$(abspath "${1:-$root/build/images}")
earlyguard_bin=$(abspath "${EARLYGUARD_BIN:-$root/build/earlyguard}")
init_src=$(abspath "${INIT_SRC:-$root/init/init}")
busybox=${BUSYBOX:-/bin/busybox}
hostcc=${HOSTCC:-cc}
conf=$images/initramfs.conf
rootfs_init=$images/rootfs-init
fault_hook=$images/fault-hook
mkcpio=$root/build/tools/mkcpio

# Always in the initramfs: the software watchdog is the fallback when the
# configured driver finds no hardware.
always_modules=(softdog)

rootfs_size=64M
rootfs_label=egroot

need_tool() {
	command -v "$1" >/dev/null || die "$1 not found (install $2)"
}

need_file() {
	[[ -f $1 && -r $1 ]] || die "$1: ${2:-missing or unreadable}"
}

# The initramfs has no shared libraries: a dynamically linked program there
# fails as "not found" at boot, far from the cause.
need_static() {
	local out
	command -v readelf >/dev/null || return 0
	out=$(readelf -lW "$1" 2>/dev/null) || return 0 # not ELF (a script)
	if grep -q 'Requesting program interpreter' <<<"$out"; then
		die "$1 is dynamically linked; the images need a static binary"
	fi
}

# mkcpio splits spec lines on blanks.
spec_path() {
	[[ $1 != *[[:space:]]* ]] || die "path with blanks cannot go in a cpio spec: $1"
}

pick_kver() {
	local d k
	local -a found=()
	for d in /lib/modules/*; do
		k=${d##*/}
		if [[ -f $d/modules.dep && -f /boot/vmlinuz-$k ]]; then
			found+=("$k")
		fi
	done
	((${#found[@]})) || die "no /lib/modules/KVER with a matching /boot/vmlinuz-KVER (install linux-image-amd64)"
	printf '%s\n' "${found[@]}" | sort -V | tail -n 1
}

# Module names compare with '-' and '_' as the same character.  Sets $REPLY
# (no command substitution: this runs once per line of modules.dep).
modname() {
	REPLY=${1##*/}
	REPLY=${REPLY%%.ko*}
	REPLY=${REPLY//-/_}
}

# --- inputs ---------------------------------------------------------------

need_tool gzip gzip
need_tool depmod kmod
need_tool mkfs.ext4 e2fsprogs
need_tool debugfs e2fsprogs

[[ -f $earlyguard_bin ]] ||
	die "$earlyguard_bin not found: run 'make' first (or set EARLYGUARD_BIN)"
[[ -f $init_src ]] ||
	die "$init_src not found: run 'make' first (or set INIT_SRC)"
need_file "$earlyguard_bin"
need_file "$init_src"
need_file "$busybox" "missing (install busybox-static)"
need_file "$conf"
need_file "$rootfs_init"
need_file "$fault_hook"
need_static "$busybox"
need_static "$earlyguard_bin"
for f in "$earlyguard_bin" "$init_src" "$busybox" "$conf" "$fault_hook" "$outdir"; do
	spec_path "$f"
done

if [[ -n ${KVER-} ]]; then
	kver=$KVER
	[[ $kver != */* && $kver != . && $kver != .. ]] || die "bad KVER: $kver"
else
	kver=$(pick_kver)
fi
moddir=/lib/modules/$kver
vmlinuz=/boot/vmlinuz-$kver
need_file "$vmlinuz" "missing or unreadable (KVER=$kver)"
need_file "$moddir/modules.dep" "missing or unreadable (KVER=$kver)"

# initramfs.conf is KEY=value; the builder only needs driver= and modules=
# ("none" in either: nothing to load, e.g. a built-in driver).
driver='' conf_modules=''
while IFS= read -r line || [[ -n $line ]]; do
	case $line in
	driver=*) driver=${line#driver=} ;;
	modules=*) conf_modules=${line#modules=} ;;
	esac
done <"$conf"
[[ -n $driver ]] || die "$conf: no driver= line"
IFS=, read -r -a listed <<<"$conf_modules"
wanted=("${always_modules[@]}")
for m in "$driver" "${listed[@]}"; do
	[[ $m != none ]] || continue
	[[ $m =~ ^[A-Za-z0-9_-]+$ ]] || die "$conf: bad module name '$m'"
	wanted+=("$m")
done

# --- mkcpio ------------------------------------------------------------------

if [[ ! -x $mkcpio || $images/mkcpio.c -nt $mkcpio ]]; then
	need_tool "$hostcc" gcc
	mkdir -p "${mkcpio%/*}"
	# A private temporary name: parallel builds may race here.
	if ! "$hostcc" -std=c11 -O2 -Wall -Wextra -Werror -o "$mkcpio.tmp.$$" "$images/mkcpio.c" ||
		! mv -f "$mkcpio.tmp.$$" "$mkcpio"; then
		rm -f "$mkcpio.tmp.$$"
		die "unable to compile $images/mkcpio.c"
	fi
fi

# --- work area ---------------------------------------------------------------

start=$SECONDS
mkdir -p "$outdir"
tmp=$(mktemp -d "$outdir/.build.XXXXXX")
cleanup() { rm -rf "$tmp"; }
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

# --- modules: resolve modules.dep transitively, then depmod the subset --------

declare -A mod_path=() mod_deps=() builtin=()
while IFS= read -r line; do
	path=${line%%:*}
	modname "$path"
	mod_path[$REPLY]=$path
	mod_deps[$REPLY]=${line#*:}
done <"$moddir/modules.dep"
if [[ -r $moddir/modules.builtin ]]; then
	while IFS= read -r line; do
		modname "$line"
		builtin[$REPLY]=1
	done <"$moddir/modules.builtin"
fi

declare -A picked=()
queue=()
for m in "${wanted[@]}"; do
	m=${m//-/_}
	if [[ -z ${mod_path[$m]-} ]]; then
		[[ -n ${builtin[$m]-} ]] && continue # built into the kernel: nothing to load
		die "module $m not found in $moddir/modules.dep"
	fi
	queue+=("$m")
done
while ((${#queue[@]})); do
	m=${queue[0]}
	queue=("${queue[@]:1}")
	[[ -z ${picked[$m]-} ]] || continue
	picked[$m]=1
	for dep in ${mod_deps[$m]}; do
		modname "$dep"
		dep=$REPLY
		[[ -n ${mod_path[$dep]-} ]] || die "$moddir/modules.dep: $m needs $dep, which has no entry"
		queue+=("$dep")
	done
done

modstage=$tmp/modules
mkdir -p "$modstage/lib/modules/$kver"
for m in "${!picked[@]}"; do
	rel=${mod_path[$m]}
	# The loaders in the initramfs (finit_module, busybox modprobe) get
	# plain .ko files; a compressed module would fail there, not here.
	[[ $rel == *.ko ]] || die "$moddir/$rel is compressed; the initramfs needs uncompressed .ko"
	mkdir -p "$modstage/lib/modules/$kver/${rel%/*}"
	cp "$moddir/$rel" "$modstage/lib/modules/$kver/$rel"
done
# depmod -b wants the builtin lists (so modprobe knows what needs no
# loading) and modules.order (load order among aliases), cut to our subset.
for f in modules.builtin modules.builtin.modinfo; do
	[[ ! -f $moddir/$f ]] || cp "$moddir/$f" "$modstage/lib/modules/$kver/$f"
done
if [[ -f $moddir/modules.order ]]; then
	for m in "${!picked[@]}"; do
		printf '%s\n' "${mod_path[$m]}"
	done >"$tmp/picked.list"
	grep -Fx -f "$tmp/picked.list" "$moddir/modules.order" >"$modstage/lib/modules/$kver/modules.order" || true
fi
depmod -b "$modstage" "$kver" || die "depmod -b $modstage $kver failed"

# --- initramfs.img -------------------------------------------------------------

mapfile -t applets < <("$busybox" --list)
((${#applets[@]} > 100)) || die "$busybox --list gave ${#applets[@]} applets; is it busybox?"

{
	printf 'dir bin 0755\n'
	printf 'file bin/busybox %s 0755\n' "$busybox"
	for a in "${applets[@]}"; do
		[[ $a == busybox ]] || printf 'slink bin/%s busybox 0777\n' "$a"
	done
	printf 'dir dev 0755\n'
	printf 'nod dev/console 0600 c 5 1\n'
	printf 'nod dev/null 0666 c 1 3\n'
	printf 'dir etc 0755\n'
	printf 'file etc/earlyguard.conf %s 0644\n' "$conf"
	printf 'dir etc/earlyguard 0755\n'
	printf 'dir etc/earlyguard/hooks.d 0755\n'
	printf 'file init %s 0755\n' "$init_src"
	printf 'dir lib 0755\n'
	# Sorted by path, a directory always comes before its contents.
	while IFS=' ' read -r type path; do
		case $type in
		d) printf 'dir %s 0755\n' "$path" ;;
		f) printf 'file %s %s 0644\n' "$path" "$modstage/$path" ;;
		*) die "unexpected file type '$type' in module staging: $path" ;;
		esac
	done < <(cd "$modstage" && find lib/modules -printf '%y %p\n' | sort -k2)
	printf 'dir proc 0555\n'
	printf 'dir root 0700\n'
	printf 'dir run 0755\n'
	printf 'dir sbin 0755\n'
	printf 'file sbin/earlyguard %s 0755\n' "$earlyguard_bin"
	printf 'dir sys 0555\n'
	printf 'dir tmp 1777\n'
} >"$tmp/initramfs.spec"

"$mkcpio" <"$tmp/initramfs.spec" | gzip -9 -n >"$tmp/initramfs.img"
# The kernel takes a cpio archive appended to this one (test-overlay.cpio)
# only at a 4-byte aligned offset, and skips NUL bytes between archives;
# gzip ignores trailing NULs too.
pad=$(((4 - $(stat -c %s "$tmp/initramfs.img") % 4) % 4))
head -c "$pad" /dev/zero >>"$tmp/initramfs.img"

# --- test-overlay.cpio -----------------------------------------------------------

{
	printf 'dir etc 0755\n'
	printf 'dir etc/earlyguard 0755\n'
	printf 'dir etc/earlyguard/hooks.d 0755\n'
	printf 'file etc/earlyguard/hooks.d/50-fault %s 0755\n' "$fault_hook"
} >"$tmp/test-overlay.spec"
"$mkcpio" <"$tmp/test-overlay.spec" >"$tmp/test-overlay.cpio"

# --- rootfs.img --------------------------------------------------------------------

rootstage=$tmp/rootfs
mkdir -p "$rootstage"/{bin,sbin,proc,sys,dev,run,tmp,etc,root}
chmod 0755 "$rootstage"/{bin,sbin,dev,run,etc}
chmod 0555 "$rootstage"/{proc,sys}
chmod 1777 "$rootstage/tmp"
chmod 0700 "$rootstage/root"
cp "$busybox" "$rootstage/bin/busybox"
for a in "${applets[@]}"; do
	[[ $a == busybox ]] || ln -s busybox "$rootstage/bin/$a"
done
cp "$earlyguard_bin" "$rootstage/sbin/earlyguard"
cp "$rootfs_init" "$rootstage/sbin/init"
chmod 0755 "$rootstage/bin/busybox" "$rootstage/sbin/earlyguard" "$rootstage/sbin/init"

truncate -s "$rootfs_size" "$tmp/rootfs.img"
mkfs.ext4 -q -F -L "$rootfs_label" -E root_owner=0:0 -d "$rootstage" "$tmp/rootfs.img" ||
	die "mkfs.ext4 -d $rootstage failed"
# mkfs.ext4 -d copies the owner of each staged file, which is the user
# running this script; the rootfs must be root's.
(cd "$rootstage" && find . -mindepth 1 -printf '%P\n') | sort |
	while IFS= read -r p; do
		printf 'sif "/%s" uid 0\nsif "/%s" gid 0\n' "$p" "$p"
	done >"$tmp/chown.debugfs"
debugfs -w -f "$tmp/chown.debugfs" "$tmp/rootfs.img" >"$tmp/debugfs.log" 2>&1 ||
	die "debugfs failed to set owners: $(head -n 5 "$tmp/debugfs.log")"
# debugfs -f exits 0 even when a command fails: anything besides its banner
# and the echoed commands is an error.
if grep -v -e '^debugfs [0-9]' -e '^debugfs: sif ' "$tmp/debugfs.log" >"$tmp/debugfs.err"; then
	die "debugfs failed to set owners: $(head -n 5 "$tmp/debugfs.err")"
fi

# --- vmlinuz and publish -----------------------------------------------------------

cp "$vmlinuz" "$tmp/vmlinuz"
for f in vmlinuz initramfs.img rootfs.img test-overlay.cpio; do
	mv -f "$tmp/$f" "$outdir/$f"
done
for f in vmlinuz initramfs.img rootfs.img test-overlay.cpio; do
	printf '%s/%-18s %10d bytes\n' "$outdir" "$f" "$(stat -c %s "$outdir/$f")"
done
printf '%s: kernel %s, %d modules, %d s\n' "$prog" "$kver" "${#picked[@]}" "$((SECONDS - start))"
