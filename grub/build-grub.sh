#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-grub.sh: build Debian's grub2 for i386-pc with grub/patches/ applied.
#
# usage: grub/build-grub.sh [OUTDIR]        (make grub; OUTDIR=build/grub)
#
# Runs unattended as root (CI=true, no stdin) on Debian 12:
#   1. adds a deb-src entry for the Debian archive suites already configured
#      (/etc/apt/sources.list.d/earlyguard-src.sources) unless one exists;
#   2. installs the few packages an i386-pc build needs;
#   3. downloads the grub2 source with `apt-get source` into the cache;
#   4. extracts it, applies grub/patches/series with patch -p1, autogen,
#      configure, make, make install into the cache;
#   5. copies the module dir and grub-mkimage to OUTDIR.
# The cache key is the Debian source version, the sha256 of every patch and
# the build settings below: a second run with nothing changed only copies.
#
# environment:
#   EG_GRUB_CACHE   cache directory (default /var/cache/earlyguard/grub)
#   EG_GRUB_UPDATE  1: run apt-get update even if grub2's source is known
#   JOBS            make -j (default 2)
#
# exit: 0 built or already cached, 1 a step failed (its name is printed).

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
prog=earlyguard-build-grub
# shellcheck source=SCRIPTDIR/../mk/debsrc.sh
. "$top/mk/debsrc.sh"

out=${1:-$top/build/grub}
cache=${EG_GRUB_CACHE:-/var/cache/earlyguard/grub}
jobs=${JOBS:-2}
patchdir=$here/patches

# Enough for autogen + configure + make of the i386-pc platform with
# --disable-nls --disable-werror; `apt-get build-dep grub2` would also pull
# in fonts, EFI, FUSE, SDL, xorriso and qemu for the other platforms and the
# test suite. Measured in grub/README.md.
build_deps=(dpkg-dev patch gcc make bison flex autoconf automake autopoint
	gettext python3 pkgconf)
# Everything below changes the output, so it is part of the cache key.
# Bump format when the way the tree is prepared or built changes.
format=2
configure_args=(--with-platform=pc --target=i386 --disable-werror
	--disable-nls)

[ "$(id -u)" -eq 0 ] || fatal "must run as root (apt-get, $cache)"
command -v apt-get >/dev/null || fatal "apt-get not found: Debian only"
[ -f "$patchdir/series" ] || fatal "unable to read $patchdir/series"

# ---- 1. deb-src for the Debian archive ----

debsrc_enable grub2 "${EG_GRUB_UPDATE:-0}"

# ---- 2. build dependencies ----

debsrc_install "${build_deps[@]}"

# ---- 3. the source package ----

debsrc_version grub2
debsrc_lock "$cache"
debsrc_download grub2 "$version" "$cache/src/$version"

# ---- 4. cache key and build ----

key_text() {
	local p
	printf 'format %s\nversion %s\ngcc %s\nconfigure %s\n' "$format" \
		"$version" "$(gcc -dumpfullversion)" "${configure_args[*]}"
	printf 'series %s\n' "$(sha256sum <"$patchdir/series" | cut -d' ' -f1)"
	while read -r p; do
		case $p in '' | '#'*) continue ;; esac
		[ -f "$patchdir/$p" ] || fatal "series names $p, not in $patchdir"
		printf 'patch %s %s\n' "$p" "$(sha256sum <"$patchdir/$p" | cut -d' ' -f1)"
	done <"$patchdir/series"
}
step "cache key"
ktext=$(key_text)
debsrc_build_dir "$cache" "$ktext"

if [ ! -f "$bdir/.done" ]; then
	debsrc_extract "$ktext"

	step "patch"
	while read -r p; do
		case $p in '' | '#'*) continue ;; esac
		echo "    $p"
		# --fuzz=0: a hunk whose context moved in a new Debian upload
		# fails here, rather than landing somewhere near
		patch -d "$bdir/src" -p1 --batch --forward --no-backup-if-mismatch \
			--fuzz=0 -i "$patchdir/$p" ||
			fatal "unable to apply $p to grub2 $version (refresh grub/patches)"
	done <"$patchdir/series"

	step "autogen"
	(cd "$bdir/src" && ./autogen.sh) >"$bdir/autogen.log" 2>&1 ||
		{ tail -n 20 "$bdir/autogen.log"; fatal "autogen.sh failed: $bdir/autogen.log"; }

	step "configure"
	mkdir -p "$bdir/obj"
	# the banner says which GRUB booted: "GNU GRUB  version ...+earlyguard"
	(cd "$bdir/obj" && ../src/configure --prefix="$bdir/inst" \
		PACKAGE_VERSION="$version+earlyguard" \
		PACKAGE_STRING="GRUB $version+earlyguard" \
		"${configure_args[@]}") >"$bdir/configure.log" 2>&1 ||
		{ tail -n 20 "$bdir/configure.log"; fatal "configure failed: $bdir/configure.log"; }

	# Only what grub-mkimage -d needs and grub-mkimage itself: the other
	# tools, fonts and themes would double the time.
	step "make -j$jobs grub-mkimage"
	{ make -C "$bdir/obj/grub-core/lib/gnulib" -j"$jobs" &&
		make -C "$bdir/obj" -j"$jobs" grub-mkimage; } >"$bdir/make-mkimage.log" 2>&1 ||
		{ tail -n 30 "$bdir/make-mkimage.log"; fatal "make failed: $bdir/make-mkimage.log"; }

	step "make -j$jobs -C grub-core"
	make -C "$bdir/obj/grub-core" -j"$jobs" >"$bdir/make-core.log" 2>&1 ||
		{ tail -n 30 "$bdir/make-core.log"; fatal "make failed: $bdir/make-core.log"; }

	step "make install"
	make -C "$bdir/obj/grub-core" install >"$bdir/install.log" 2>&1 ||
		{ tail -n 20 "$bdir/install.log"; fatal "make install failed: $bdir/install.log"; }
	[ -f "$bdir/inst/lib/grub/i386-pc/kernel.img" ] ||
		fatal "no kernel.img in $bdir/inst/lib/grub/i386-pc"
	touch "$bdir/.done"
else
	echo "    cached"
	touch "$bdir/.done"
fi

# Keep the three most recently used builds (161 MB each), so worktrees
# with different patches do not rebuild in turn; drop the rest and any
# unfinished tree (we hold the lock: nothing else is building).
debsrc_prune "$cache/build" 3

# ---- 5. output ----

step "copy to $out"
if [ -f "$out/BUILD-INFO" ] && grep -qx "key $key" "$out/BUILD-INFO" &&
	[ -f "$out/i386-pc/kernel.img" ]; then
	echo "    up to date"
else
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp/bin" "$out.tmp/i386-pc"
	# what grub-install copies; not the unstripped *.module/*.image/*.exec
	find "$bdir/inst/lib/grub/i386-pc" -maxdepth 1 -type f \( -name '*.mod' \
		-o -name '*.lst' -o -name '*.img' -o -name '*.o' -o -name '*.h' \
		-o -name modinfo.sh \) -exec cp -p -t "$out.tmp/i386-pc" {} +
	cp -p "$bdir/obj/grub-mkimage" "$out.tmp/bin/"
	{
		printf 'grub2 %s for i386-pc, patched with grub/patches/\n' "$version"
		printf 'key %s\n' "$key"
		printf '%s\n' "$ktext"
	} >"$out.tmp/BUILD-INFO"
	rm -rf "$out"
	mv "$out.tmp" "$out"
fi
step_end
printf '%s: grub2 %s in %s (total %s s)\n' "$prog" "$version" "$out" \
	"$(elapsed "$t_start")"
