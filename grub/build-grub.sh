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
export LC_ALL=C DEBIAN_FRONTEND=noninteractive

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
out=${1:-$top/build/grub}
cache=${EG_GRUB_CACHE:-/var/cache/earlyguard/grub}
jobs=${JOBS:-2}
patchdir=$here/patches
srcfile=/etc/apt/sources.list.d/earlyguard-src.sources
apt=(apt-get -q -y -o DPkg::Lock::Timeout=600)

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

prog=earlyguard-build-grub
t_start=$EPOCHREALTIME

fatal() {
	printf '%s: fatal: %s\n' "$prog" "$*" >&2
	exit 1
}

# elapsed START: seconds since START ($EPOCHREALTIME), one decimal
elapsed() {
	local now=$EPOCHREALTIME
	awk -v a="$1" -v b="$now" 'BEGIN { printf "%.1f", b - a }'
}

step_name=
step_t0=
step() {
	step_end
	step_name=$1
	step_t0=$EPOCHREALTIME
	printf '==> %s\n' "$step_name"
}
step_end() {
	[ -n "$step_name" ] || return 0
	printf '    %s: %s s\n' "$step_name" "$(elapsed "$step_t0")"
	step_name=
}
on_exit() {
	local rc=$?
	[ "$rc" -eq 0 ] || [ -z "$step_name" ] ||
		printf '%s: fatal: step failed: %s\n' "$prog" "$step_name" >&2
}
trap on_exit EXIT

[ "$(id -u)" -eq 0 ] || fatal "must run as root (apt-get, $cache)"
command -v apt-get >/dev/null || fatal "apt-get not found: Debian only"
[ -f "$patchdir/series" ] || fatal "unable to read $patchdir/series"

# ---- 1. deb-src for the Debian archive ----

# "uri suite component" of every Debian target of the given index type,
# except those that come from our own file
targets() {
	# shellcheck disable=SC2016 # $(FIELD) is apt's format, not the shell's
	apt-get indextargets --format '$(REPO_URI) $(RELEASE) $(COMPONENT) $(SOURCESENTRY)' \
		"Identifier: $1" 'Origin: Debian' |
		awk -v own="$srcfile" 'index($4, own ":") != 1 { print $1, $2, $3 }' |
		sort -u
}

# one deb822 stanza per archive and suite, on stdout
src_stanzas() {
	local keyring=/usr/share/keyrings/debian-archive-keyring.gpg
	[ -f "$keyring" ] || keyring=
	awk -v keyring="$keyring" '
		{ k = $1 " " $2; if (!(k in comps)) order[n++] = k; comps[k] = comps[k] " " $3 }
		END {
			for (i = 0; i < n; i++) {
				split(order[i], f, " ")
				if (i) print ""
				print "Types: deb-src"
				print "URIs: " f[1]
				print "Suites: " f[2]
				print "Components:" comps[order[i]]
				if (keyring != "") print "Signed-By: " keyring
			}
		}'
}

have_grub_src() {
	[ -n "$(apt-cache showsrc --only-source grub2 2>/dev/null | sed -n 1p)" ]
}

step "deb-src"
bins=$(targets Packages)
if [ -z "$bins" ]; then
	# a fresh machine may not know the origins yet
	"${apt[@]}" update
	bins=$(targets Packages)
fi
[ -n "$bins" ] || fatal "no Debian archive configured in /etc/apt"
missing=$(comm -23 <(printf '%s\n' "$bins") <(targets Sources))
changed=0
if [ -z "$missing" ]; then
	if [ -e "$srcfile" ]; then
		rm -f "$srcfile"
		changed=1
	fi
	echo "    deb-src already configured"
else
	want=$(printf '%s\n' "$missing" | src_stanzas)
	if [ ! -f "$srcfile" ] || [ "$(cat "$srcfile")" != "$want" ]; then
		printf '%s\n' "$want" >"$srcfile.tmp"
		mv "$srcfile.tmp" "$srcfile"
		changed=1
		echo "    wrote $srcfile"
	else
		echo "    $srcfile up to date"
	fi
fi
if [ "$changed" = 1 ] || [ "${EG_GRUB_UPDATE:-0}" = 1 ] || ! have_grub_src; then
	step "apt-get update"
	"${apt[@]}" update
fi
have_grub_src || fatal "apt-cache showsrc grub2 found nothing after apt-get update"

# ---- 2. build dependencies ----

step "build dependencies"
absent=()
for p in "${build_deps[@]}"; do
	s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || s=
	[ "$s" = installed ] || absent+=("$p")
done
if [ ${#absent[@]} -gt 0 ]; then
	echo "    installing ${absent[*]}"
	"${apt[@]}" install --no-install-recommends "${absent[@]}"
else
	echo "    all installed"
fi

# ---- 3. the source package ----

step "grub2 source version"
# the highest grub2 source version apt knows, as `apt-get source` picks it
version=
while read -r v; do
	if [ -z "$version" ] || dpkg --compare-versions "$v" gt "$version"; then
		version=$v
	fi
done < <(apt-cache showsrc --only-source grub2 | sed -n 's/^Version: //p')
[ -n "$version" ] || fatal "unable to find grub2's source version"
echo "    grub2 source $version"

mkdir -p "$cache"
exec 9>"$cache/lock"
if ! flock -n 9; then
	echo "    waiting for another build-grub.sh ($cache/lock)"
	flock 9
fi

dl=$cache/src/$version
if [ ! -f "$dl/.done" ]; then
	step "apt-get source grub2=$version"
	rm -rf "$dl"
	mkdir -p "$dl"
	# let apt's unprivileged downloader write here: no sandbox warning
	chown _apt "$dl" 2>/dev/null || true
	(cd "$dl" && apt-get -q -y --download-only source "grub2=$version")
	touch "$dl/.done"
fi
dsc=$(find "$dl" -maxdepth 1 -name 'grub2_*.dsc' | sed -n 1p)
[ -n "$dsc" ] || fatal "unable to find grub2's .dsc in $dl"

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
key=$(printf '%s\n' "$ktext" | sha256sum | cut -c1-16)
bdir=$cache/build/$version-$key
echo "    key $key ($bdir)"

if [ ! -f "$bdir/.done" ]; then
	step "extract"
	# a tree without .done is from a build that failed or was killed
	rm -rf "$bdir"
	mkdir -p "$bdir"
	printf '%s\n' "$ktext" >"$bdir/key"
	# --no-check: apt-get source already checked every file against the
	# signed archive index; the .dsc signature needs debian-keyring.
	dpkg-source --no-check -x "$dsc" "$bdir/src" >"$bdir/extract.log" 2>&1 ||
		{ tail -n 20 "$bdir/extract.log"; fatal "unable to extract $dsc"; }

	step "patch"
	while read -r p; do
		case $p in '' | '#'*) continue ;; esac
		echo "    $p"
		patch -d "$bdir/src" -p1 --batch --forward --no-backup-if-mismatch \
			-i "$patchdir/$p" || fatal "unable to apply $p to grub2 $version"
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
find "$cache/build" -mindepth 2 -maxdepth 2 -name .done -printf '%T@ %h\n' |
	sort -rn | tail -n +4 | cut -d' ' -f2- |
	while read -r d; do rm -rf "$d"; done
for d in "$cache"/build/*/; do
	[ -f "$d.done" ] || rm -rf "$d"
done

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
