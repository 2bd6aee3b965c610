#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# build-bearssl.sh: build Debian's BearSSL source with klcc, for the static
# klibc binary.  Debian's own libbearssl.a is built against glibc (stack
# protector, fortify) and does not link with klibc.
#
# usage: crypto/build-bearssl.sh [OUTDIR]   (make bearssl; OUTDIR=build/bearssl)
#
# Runs unattended as root (CI=true, no stdin) on Debian 12:
#   1. adds a deb-src entry for the Debian archive suites already configured
#      (/etc/apt/sources.list.d/earlyguard-src.sources) unless one exists;
#   2. installs klcc (libklibc-dev), dpkg-source and ar if absent;
#   3. downloads the bearssl source with `apt-get source` into the cache;
#   4. extracts it, compiles every src/**/*.c with klcc and archives them
#      into libbearssl.a in the cache;
#   5. copies libbearssl.a, the inc/ headers and BUILD-INFO to OUTDIR.
# The cache key is the Debian source version, the klibc and gcc versions
# and the compiler flags below: a second run with nothing changed only
# copies, and copies nothing when OUTDIR already holds that build.
#
# environment:
#   EG_BEARSSL_CACHE   cache directory (default /var/cache/earlyguard/bearssl)
#   EG_BEARSSL_UPDATE  1: run apt-get update even if bearssl's source is known
#   KLCC               the klibc compiler driver (default klcc)
#   JOBS               parallel compilers (default 2)
#
# exit: 0 built or already cached, 1 a step failed (its name is printed).

set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
top=$(dirname "$here")
prog=earlyguard-build-bearssl
# shellcheck source=SCRIPTDIR/../mk/debsrc.sh
. "$top/mk/debsrc.sh"

out=${1:-$top/build/bearssl}
case $out in /*) ;; *) out=$PWD/$out ;; esac
cache=${EG_BEARSSL_CACHE:-/var/cache/earlyguard/bearssl}
klcc=${KLCC:-klcc}
jobs=${JOBS:-2}

# klcc (libklibc-dev), dpkg-source (dpkg-dev), ar (binutils), the .orig
# tarball's xz; BearSSL's own Makefile is not used.
build_deps=(libklibc-dev dpkg-dev binutils xz-utils)
# Everything below changes the output, so it is part of the cache key.
# Bump format when the way the tree is prepared or built changes.
format=1
# Each function in its own section: the binary's --gc-sections link keeps
# only what earlyguard calls (SHA-256, ECDSA P-256 verify, PEM).
cflags=(-Os -ffunction-sections -fdata-sections)

[ "$(id -u)" -eq 0 ] || fatal "must run as root (apt-get, $cache)"
command -v apt-get >/dev/null || fatal "apt-get not found: Debian only"
[[ $jobs =~ ^[1-9][0-9]*$ ]] || fatal "JOBS must be a positive number, not '$jobs'"

# ---- 1. deb-src for the Debian archive ----

debsrc_enable bearssl "${EG_BEARSSL_UPDATE:-0}"

# ---- 2. build dependencies ----

debsrc_install "${build_deps[@]}"
command -v "$klcc" >/dev/null || fatal "$klcc not found (KLCC=$klcc)"

# ---- 3. the source package ----

debsrc_version bearssl
debsrc_lock "$cache"
debsrc_download bearssl "$version" "$cache/src/$version"

# ---- 4. cache key and build ----

key_text() {
	local klibc
	klibc=$(dpkg-query -W -f '${Version}' libklibc-dev 2>/dev/null) || klibc=unknown
	printf 'format %s\nversion %s\nklcc %s\nklibc %s\ngcc %s\ncflags %s\n' \
		"$format" "$version" "$klcc" "$klibc" "$(gcc -dumpfullversion)" "${cflags[*]}"
}
step "cache key"
ktext=$(key_text)
debsrc_build_dir "$cache" "$ktext"

if [ ! -f "$bdir/.done" ]; then
	debsrc_extract "$ktext"
	mkdir -p "$bdir/obj"
	[ -f "$bdir/src/inc/bearssl.h" ] || fatal "no inc/bearssl.h in bearssl $version"

	step "compile with $klcc -j$jobs"
	(cd "$bdir/src" && find src -name '*.c' -printf '%P\n') | sort >"$bdir/sources"
	nsrc=$(wc -l <"$bdir/sources")
	[ "$nsrc" -gt 0 ] || fatal "no src/**/*.c in bearssl $version"
	# one object per source, named after it: BearSSL's names are unique
	[ -z "$(sed 's|.*/||' "$bdir/sources" | sort | uniq -d)" ] ||
		fatal "bearssl $version has two sources of the same name"
	# the flags are words without blanks; 255 makes xargs stop at once
	# shellcheck disable=SC2016 # expanded by the inner shell
	(cd "$bdir/src" && EG_CC=$klcc EG_CFLAGS="${cflags[*]}" \
		xargs -P "$jobs" -n 8 sh -c 'for f; do o=../obj/${f##*/}
			$EG_CC $EG_CFLAGS -Isrc -Iinc -c -o "${o%.c}.o" "src/$f" || exit 255
		done' sh <"$bdir/sources") \
		>"$bdir/compile.log" 2>&1 ||
		{ tail -n 30 "$bdir/compile.log"; fatal "unable to compile bearssl: $bdir/compile.log"; }
	[ "$(find "$bdir/obj" -name '*.o' | wc -l)" -eq "$nsrc" ] ||
		fatal "compiled fewer objects than the $nsrc sources in $bdir/obj"
	echo "    $nsrc sources"

	step "archive"
	# D: no timestamps or owners, the same archive from the same objects
	(cd "$bdir/obj" && find . -name '*.o' -printf '%P\n' | sort |
		xargs ar rcsD ../libbearssl.a) >"$bdir/archive.log" 2>&1 ||
		{ tail -n 20 "$bdir/archive.log"; fatal "unable to archive $bdir/libbearssl.a"; }
	touch "$bdir/.done"
else
	echo "    cached"
	touch "$bdir/.done"
fi

# Keep the three most recently used builds (about 3 MB each), so worktrees
# on different klibc or flags do not rebuild in turn; drop the rest and any
# unfinished tree (we hold the lock: nothing else is building).
debsrc_prune "$cache/build" 3

# ---- 5. output ----

step "copy to $out"
if [ -f "$out/BUILD-INFO" ] && grep -qx "key $key" "$out/BUILD-INFO" &&
	[ -f "$out/libbearssl.a" ] && [ -f "$out/inc/bearssl.h" ]; then
	echo "    up to date"
else
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp/inc"
	# not -p: a new archive is newer than the objects that link with it
	cp "$bdir/libbearssl.a" "$out.tmp/"
	cp "$bdir/src/inc/"*.h "$out.tmp/inc/"
	cp "$bdir/src/LICENSE.txt" "$out.tmp/LICENSE.bearssl"
	{
		printf 'bearssl %s compiled with %s\n' "$version" "$klcc"
		printf 'key %s\n' "$key"
		printf '%s\n' "$ktext"
	} >"$out.tmp/BUILD-INFO"
	rm -rf "$out"
	mv "$out.tmp" "$out"
fi
step_end
printf '%s: bearssl %s in %s (total %s s)\n' "$prog" "$version" "$out" \
	"$(elapsed "$t_start")"
