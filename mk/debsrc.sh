# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# mk/debsrc.sh - what the scripts that build a Debian source package share
# (grub/build-grub.sh, crypto/build-bearssl.sh): strict mode, one error
# format, steps printed with their time and named when they fail, a deb-src
# entry for the Debian archive, and `apt-get source` into a cache.
#
# Sourced after the caller sets $prog.  Runs unattended as root (CI=true,
# no stdin).  The functions that find something set a global for the
# caller: debsrc_version sets $version, debsrc_download sets $dsc.

set -euo pipefail
export LC_ALL=C DEBIAN_FRONTEND=noninteractive
: "${prog:?mk/debsrc.sh: the caller sets prog before sourcing}"

srcfile=/etc/apt/sources.list.d/earlyguard-src.sources
apt=(apt-get -q -y -o DPkg::Lock::Timeout=600)
# shellcheck disable=SC2034 # the caller prints the total
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

# ---- deb-src for the Debian archive ----

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

# debsrc_have PKG: apt knows PKG's source
debsrc_have() {
	[ -n "$(apt-cache showsrc --only-source "$1" 2>/dev/null | sed -n 1p)" ]
}

# debsrc_enable PKG UPDATE: step "deb-src": write $srcfile for the Debian
# suites that have no deb-src entry (remove it when none lacks one), then
# apt-get update if the file changed, UPDATE is 1 or PKG's source is
# unknown.
debsrc_enable() {
	local pkg=$1 update=$2 bins missing want changed=0
	step "deb-src"
	bins=$(targets Packages)
	if [ -z "$bins" ]; then
		# a fresh machine may not know the origins yet
		"${apt[@]}" update
		bins=$(targets Packages)
	fi
	[ -n "$bins" ] || fatal "no Debian archive configured in /etc/apt"
	missing=$(comm -23 <(printf '%s\n' "$bins") <(targets Sources))
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
	if [ "$changed" = 1 ] || [ "$update" = 1 ] || ! debsrc_have "$pkg"; then
		step "apt-get update"
		"${apt[@]}" update
	fi
	debsrc_have "$pkg" || fatal "apt-cache showsrc $pkg found nothing after apt-get update"
}

# debsrc_install PKG...: step "build dependencies": install those absent
debsrc_install() {
	local p s
	local -a absent=()
	step "build dependencies"
	for p in "$@"; do
		s=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null) || s=
		[ "$s" = installed ] || absent+=("$p")
	done
	if [ ${#absent[@]} -gt 0 ]; then
		echo "    installing ${absent[*]}"
		"${apt[@]}" install --no-install-recommends "${absent[@]}"
	else
		echo "    all installed"
	fi
}

# debsrc_version PKG: step "PKG source version"; sets $version to the
# highest PKG source version apt knows, as `apt-get source` picks it
debsrc_version() {
	local pkg=$1 v
	step "$pkg source version"
	version=
	while read -r v; do
		if [ -z "$version" ] || dpkg --compare-versions "$v" gt "$version"; then
			version=$v
		fi
	done < <(apt-cache showsrc --only-source "$pkg" | sed -n 's/^Version: //p')
	[ -n "$version" ] || fatal "unable to find $pkg's source version"
	echo "    $pkg source $version"
}

# debsrc_lock CACHE: create CACHE and hold CACHE/lock (fd 9) until exit
debsrc_lock() {
	mkdir -p "$1"
	exec 9>"$1/lock"
	if ! flock -n 9; then
		echo "    waiting for another ${0##*/} ($1/lock)"
		flock 9
	fi
}

# debsrc_download PKG VERSION DIR: `apt-get source --download-only` into
# DIR once (DIR/.done says it is complete); sets $dsc
debsrc_download() {
	local pkg=$1 ver=$2 dl=$3
	if [ ! -f "$dl/.done" ]; then
		step "apt-get source $pkg=$ver"
		rm -rf "$dl"
		mkdir -p "$dl"
		# let apt's unprivileged downloader write here: no sandbox warning
		chown _apt "$dl" 2>/dev/null || true
		(cd "$dl" && apt-get -q -y --download-only source "$pkg=$ver")
		touch "$dl/.done"
	fi
	dsc=$(find "$dl" -maxdepth 1 -name "${pkg}_*.dsc" | sed -n 1p)
	[ -n "$dsc" ] || fatal "unable to find $pkg's .dsc in $dl"
}

# debsrc_build_dir CACHE KEYTEXT: the cache key, 16 hex digits of the
# sha256 of KEYTEXT, in $key, and the build tree of this key,
# CACHE/build/VERSION-KEY, in $bdir
debsrc_build_dir() {
	key=$(printf '%s\n' "$2" | sha256sum | cut -c1-16)
	bdir=$1/build/$version-$key
	echo "    key $key ($bdir)"
}

# debsrc_extract KEYTEXT: $bdir afresh, KEYTEXT in $bdir/key, $dsc
# extracted into $bdir/src
debsrc_extract() {
	step "extract"
	# a tree without .done is from a build that failed or was killed
	rm -rf "$bdir"
	mkdir -p "$bdir"
	printf '%s\n' "$1" >"$bdir/key"
	# --no-check: apt-get source already checked every file against the
	# signed archive index; the .dsc signature needs debian-keyring.
	dpkg-source --no-check -x "$dsc" "$bdir/src" >"$bdir/extract.log" 2>&1 ||
		{ tail -n 20 "$bdir/extract.log"; fatal "unable to extract $dsc"; }
}

# debsrc_prune BUILDDIR KEEP: keep the KEEP most recently used finished
# builds (BUILDDIR/*/.done), drop the rest and any unfinished tree.  Call
# it holding the lock: nothing else is building.
debsrc_prune() {
	local d
	find "$1" -mindepth 2 -maxdepth 2 -name .done -printf '%T@ %h\n' |
		sort -rn | tail -n +"$(($2 + 1))" | cut -d' ' -f2- |
		while read -r d; do rm -rf "$d"; done
	for d in "$1"/*/; do
		[ -f "$d.done" ] || rm -rf "$d"
	done
}
