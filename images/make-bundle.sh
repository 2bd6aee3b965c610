#!/bin/bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# make-bundle.sh: on the known-good server, make a signed bundle that
# `earlyguard fetch` can check: the artifacts, their manifest (name, size,
# SHA-256, where each goes) and the manifest's signature.
#
# usage: images/make-bundle.sh --new-key DIR
#        images/make-bundle.sh -k KEY -o BUNDLE DEST=FILE...
#
#   --new-key DIR  write a new P-256 signing key, DIR/earlyguard-bundle.key.pem
#                  (mode 0600: it stays on the server), and its public key,
#                  DIR/earlyguard-bundle.pub.pem, the one to bake into the
#                  initramfs; prints both paths.  Refuses to overwrite.
#   -k KEY         the signing key: an unencrypted EC P-256 private key, PEM
#   -o BUNDLE      the bundle directory to create (it must not exist)
#   DEST=FILE      an artifact and where it goes: kernel, initrd or rootfs,
#                  each at most once.  Its name in the bundle is FILE's base
#                  name, [A-Za-z0-9._-]+ (not manifest or manifest.sig).
#
# The bundle: the artifacts, `manifest` (format in manifest() below) and
# `manifest.sig`, `openssl dgst -sha256 -sign KEY` of the manifest: ECDSA
# P-256, DER.  It is written into a temporary directory beside BUNDLE and
# renamed into place when complete: a failure leaves nothing behind.
#
# exit: 0 done, 1 refused or failed (the reason is printed), 100 usage.

set -euo pipefail
export LC_ALL=C
umask 022
prog=make-bundle

fatal() {
	printf '%s: fatal: %s\n' "$prog" "$*" >&2
	exit 1
}

usage() {
	[ $# -eq 0 ] || printf '%s: %s\n' "$prog" "$*" >&2
	printf 'usage: %s --new-key DIR\n       %s -k KEY -o BUNDLE DEST=FILE...\n' \
		"$prog" "$prog" >&2
	exit 100
}

# The DER SubjectPublicKeyInfo of a P-256 key up to its uncompressed point,
# as src/verify.c checks it: 91 bytes in all.
p256_spki_prefix=3059301306072a8648ce3d020106082a8648ce3d03010703420004

# The manifest, provisional (issue 6 settles the format): one line per
# artifact after the header, in the order given.  Arguments: NAME SIZE
# SHA256HEX DEST, four per artifact.
manifest() {
	printf 'earlyguard-manifest 1\n'
	while [ $# -ge 4 ]; do
		printf 'artifact %s %s %s %s\n' "$1" "$2" "$3" "$4"
		shift 4
	done
}

# openssl never prompts: no stdin, and an encrypted key fails to read
ossl() {
	openssl "$@" </dev/null
}

new_key() {
	local dir=$1 key pub
	key=$dir/earlyguard-bundle.key.pem
	pub=$dir/earlyguard-bundle.pub.pem
	[ -d "$dir" ] || fatal "unable to use $dir: not a directory"
	for f in "$key" "$pub"; do
		[ ! -e "$f" ] || fatal "refusing to overwrite $f"
	done
	tmp=$(mktemp -d "$dir/.earlyguard-bundle.XXXXXX") ||
		fatal "unable to create a temporary directory in $dir"
	(umask 077 && ossl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 \
		-pkeyopt ec_param_enc:named_curve -out "$tmp/key.pem") 2>"$tmp/err" ||
		fatal "unable to generate a P-256 key: $(head -n 1 "$tmp/err")"
	ossl pkey -in "$tmp/key.pem" -pubout -out "$tmp/pub.pem" 2>"$tmp/err" ||
		fatal "unable to write the public key: $(head -n 1 "$tmp/err")"
	chmod 0644 "$tmp/pub.pem"
	sync "$tmp/key.pem" "$tmp/pub.pem"
	mv -T "$tmp/key.pem" "$key" || fatal "unable to rename the key to $key"
	mv -T "$tmp/pub.pem" "$pub" || fatal "unable to rename the public key to $pub"
	printf 'signing key: %s (keep it on this server, mode 0600)\n' "$key"
	printf 'public key:  %s (bake it into the initramfs: earlyguard fetch checks with it)\n' "$pub"
}

tmp=
cleanup() {
	[ -z "$tmp" ] || rm -rf "$tmp"
}
trap cleanup EXIT

key='' out='' newkey=''
while [ $# -gt 0 ]; do
	case $1 in
	--new-key) [ $# -ge 2 ] || usage "--new-key needs a directory"; newkey=$2; shift 2 ;;
	-k | --key) [ $# -ge 2 ] || usage "$1 needs a file"; key=$2; shift 2 ;;
	-o | --out) [ $# -ge 2 ] || usage "$1 needs a directory"; out=$2; shift 2 ;;
	-h | --help) usage ;;
	--) shift; break ;;
	-*) usage "unknown option $1" ;;
	*) break ;;
	esac
done

command -v openssl >/dev/null || fatal "openssl not found"

if [ -n "$newkey" ]; then
	[[ -z $key$out && $# -eq 0 ]] || usage "--new-key takes nothing else"
	new_key "$newkey"
	exit 0
fi
[ -n "$key" ] || usage "no signing key (-k KEY)"
[ -n "$out" ] || usage "no bundle directory (-o BUNDLE)"
[ $# -gt 0 ] || usage "no artifacts (DEST=FILE...)"

# ---- check everything before writing anything ----

[[ -f $key && -r $key ]] || fatal "unable to read the signing key $key"
spki=$(ossl pkey -in "$key" -passin pass: -pubout -outform DER 2>/dev/null | od -An -v -tx1 |
	tr -d ' \n') || spki=
[ -n "$spki" ] || fatal "unable to read $key as an unencrypted private key (PEM)"
[[ $spki == "$p256_spki_prefix"* && ${#spki} -eq 182 ]] ||
	fatal "$key is not an EC P-256 key (prime256v1): earlyguard checks P-256 only"

out=${out%/}
[ -n "$out" ] || fatal "refusing to write the bundle to /"
[[ ! -e $out && ! -L $out ]] || fatal "refusing to overwrite $out: remove it first"
parent=$(dirname "$out")
[ -d "$parent" ] || fatal "unable to create $out: no directory $parent"

names=() files=() dests=()
for a in "$@"; do
	case $a in
	*=*) ;;
	*) fatal "artifact $a: want DEST=FILE" ;;
	esac
	dest=${a%%=*} file=${a#*=}
	case $dest in
	kernel | initrd | rootfs) ;;
	*) fatal "artifact $a: destination '$dest' is not kernel, initrd or rootfs" ;;
	esac
	[[ -f $file && -r $file ]] || fatal "unable to read artifact $file"
	name=${file##*/}
	[[ $name =~ ^[A-Za-z0-9._-]+$ ]] ||
		fatal "artifact $file: name '$name' is not [A-Za-z0-9._-]+"
	case $name in
	. | .. | manifest | manifest.sig) fatal "artifact $file: the name $name is reserved" ;;
	esac
	for i in "${!names[@]}"; do
		[ "${names[i]}" != "$name" ] || fatal "artifact $file: a second artifact named $name"
		[ "${dests[i]}" != "$dest" ] || fatal "artifact $file: a second $dest (${files[i]})"
	done
	names+=("$name") files+=("$file") dests+=("$dest")
done

# ---- write into a temporary directory, then rename ----

tmp=$(mktemp -d "$parent/.${out##*/}.tmp.XXXXXX") ||
	fatal "unable to create a temporary directory in $parent"
chmod 0755 "$tmp"
lines=()
for i in "${!names[@]}"; do
	cp --reflink=auto -- "${files[i]}" "$tmp/${names[i]}" ||
		fatal "unable to copy ${files[i]} to the bundle"
	# the size and digest of the copy: what the bundle holds
	size=$(stat -c %s -- "$tmp/${names[i]}") || fatal "unable to stat $tmp/${names[i]}"
	sum=$(sha256sum -- "$tmp/${names[i]}") || fatal "unable to hash ${files[i]}"
	lines+=("${names[i]}" "$size" "${sum%% *}" "${dests[i]}")
done
manifest "${lines[@]}" >"$tmp/manifest"
ossl dgst -sha256 -sign "$key" -out "$tmp/manifest.sig" "$tmp/manifest" 2>"$tmp/err" ||
	fatal "unable to sign the manifest: $(head -n 1 "$tmp/err")"
# check what was written with the public half, as a client will
ossl pkey -in "$key" -pubout -out "$tmp/pub.pem" 2>"$tmp/err" ||
	fatal "unable to write the public key: $(head -n 1 "$tmp/err")"
ossl dgst -sha256 -verify "$tmp/pub.pem" -signature "$tmp/manifest.sig" "$tmp/manifest" \
	>/dev/null 2>"$tmp/err" || fatal "the new signature does not verify: $(head -n 1 "$tmp/err")"
rm -f "$tmp/pub.pem" "$tmp/err"
sync "${names[@]/#/$tmp/}" "$tmp/manifest" "$tmp/manifest.sig" "$tmp" ||
	fatal "unable to sync $tmp"
mv -T "$tmp" "$out" || fatal "unable to rename $tmp to $out"
tmp=
sync "$parent" || true
printf '%s: %s: %d artifacts, manifest signed\n' "$prog" "$out" "${#names[@]}"
