#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# images/make-bundle.sh: the signed known-good bundle, checked with openssl
# and sha256sum the way a client checks it; bad input refused with a
# reason and nothing left behind.

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	MB="$BATS_TEST_DIRNAME/../../images/make-bundle.sh"
	W=$BATS_TEST_TMPDIR
	OUT=$W/out/bundle
	mkdir -p "$W/keys" "$W/art" "$W/out"
	"$MB" --new-key "$W/keys" >/dev/null
	KEY=$W/keys/earlyguard-bundle.key.pem
	PUB=$W/keys/earlyguard-bundle.pub.pem
	head -c 12345 /dev/urandom >"$W/art/vmlinuz-6.1.0-amd64"
	head -c 70000 /dev/urandom >"$W/art/initrd.img-6.1.0-amd64"
	: >"$W/art/empty.img"
}

# nothing under $W/out: no bundle, no temporary directory
assert_nothing_written() {
	run ls -A "$W/out"
	assert_success
	assert_output ''
}

@test "--new-key: a P-256 key pair, the private half 0600, paths printed" {
	run "$MB" --new-key "$W/out"
	assert_success
	assert_line "signing key: $W/out/earlyguard-bundle.key.pem (keep it on this server, mode 0600)"
	assert_line --partial "public key:  $W/out/earlyguard-bundle.pub.pem (bake it into the initramfs"
	assert_equal "$(stat -c %a "$W/out/earlyguard-bundle.key.pem")" 600
	assert_equal "$(stat -c %a "$W/out/earlyguard-bundle.pub.pem")" 644
	run openssl ec -in "$W/out/earlyguard-bundle.key.pem" -noout -text
	assert_output --partial "ASN1 OID: prime256v1"
	# the public key file is what `openssl ec -pubout` writes
	assert_equal "$(openssl ec -in "$W/out/earlyguard-bundle.key.pem" -pubout 2>/dev/null)" \
		"$(cat "$W/out/earlyguard-bundle.pub.pem")"
	assert_equal "$(find "$W/out" -mindepth 1 | wc -l)" 2
}

@test "--new-key refuses to overwrite a key and a missing directory" {
	run "$MB" --new-key "$W/keys"
	assert_failure 1
	assert_output "make-bundle: fatal: refusing to overwrite $KEY"
	run "$MB" --new-key "$W/nonexistent"
	assert_failure 1
	assert_output --partial "not a directory"
}

@test "a bundle: the artifacts, a manifest of their sizes and sha256, a signature openssl verifies" {
	run "$MB" -k "$KEY" -o "$OUT" kernel="$W/art/vmlinuz-6.1.0-amd64" \
		initrd="$W/art/initrd.img-6.1.0-amd64" rootfs="$W/art/empty.img"
	assert_success
	assert_output "make-bundle: $OUT: 3 artifacts, manifest signed"
	assert_equal "$(find "$OUT" -mindepth 1 -printf '%f\n' | sort | tr '\n' ' ')" \
		"empty.img initrd.img-6.1.0-amd64 manifest manifest.sig vmlinuz-6.1.0-amd64 "
	cmp "$OUT/vmlinuz-6.1.0-amd64" "$W/art/vmlinuz-6.1.0-amd64"
	cmp "$OUT/initrd.img-6.1.0-amd64" "$W/art/initrd.img-6.1.0-amd64"

	run openssl dgst -sha256 -verify "$PUB" -signature "$OUT/manifest.sig" "$OUT/manifest"
	assert_success
	assert_output "Verified OK"

	run sed -n 1p "$OUT/manifest"
	assert_output "earlyguard-manifest 1"
	assert_equal "$(wc -l <"$OUT/manifest")" 4
	# every artifact line: the file's size and sha256sum, in the order given
	local n=0 word name size sum dest
	local -a want=(kernel initrd rootfs)
	while read -r word name size sum dest; do
		assert_equal "$word" artifact
		assert_equal "$dest" "${want[n]}"
		assert_equal "$size" "$(stat -c %s "$OUT/$name")"
		assert_equal "$sum" "$(sha256sum <"$OUT/$name" | cut -d' ' -f1)"
		n=$((n + 1))
	done < <(sed 1d "$OUT/manifest")
	assert_equal "$n" 3
	assert_equal "$(sed -n '$p' "$OUT/manifest")" \
		"artifact empty.img 0 e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855 rootfs"
	# nothing else beside the bundle: the temporary directory was renamed
	assert_equal "$(ls -A "$W/out")" bundle
}

@test "a changed manifest no longer verifies" {
	"$MB" -k "$KEY" -o "$OUT" kernel="$W/art/vmlinuz-6.1.0-amd64" >/dev/null
	sed -i 's/ 12345 / 12346 /' "$OUT/manifest"
	run openssl dgst -sha256 -verify "$PUB" -signature "$OUT/manifest.sig" "$OUT/manifest"
	assert_failure
}

@test "bad input is refused with its reason and nothing is written" {
	local p384=$W/keys/p384.pem enc=$W/keys/enc.pem k=$W/art/vmlinuz-6.1.0-amd64
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384 -out "$p384" 2>/dev/null
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -aes256 \
		-pass pass:secret -out "$enc" 2>/dev/null
	cp "$k" "$W/art/bad name"
	cp "$k" "$W/art/manifest"
	mkdir -p "$W/art2"
	cp "$k" "$W/art2/vmlinuz-6.1.0-amd64"

	local -a cases=(
		"$p384|kernel=$k|is not an EC P-256 key (prime256v1)"
		"$PUB|kernel=$k|as an unencrypted private key"
		"$enc|kernel=$k|as an unencrypted private key"
		"$W/keys/none.pem|kernel=$k|unable to read the signing key"
		"$KEY|kernel=$W/art/none|unable to read artifact $W/art/none"
		"$KEY|kernel=$W/art|unable to read artifact $W/art"
		"$KEY|firmware=$k|destination 'firmware' is not kernel, initrd or rootfs"
		"$KEY|$k|want DEST=FILE"
		"$KEY|kernel=$W/art/bad name|name 'bad name' is not [A-Za-z0-9._-]+"
		"$KEY|rootfs=$W/art/manifest|the name manifest is reserved"
		"$KEY|kernel=$k initrd=$W/art2/vmlinuz-6.1.0-amd64|a second artifact named vmlinuz-6.1.0-amd64"
		"$KEY|kernel=$k kernel=$W/art/empty.img|a second kernel ($k)"
	)
	local c key arts why
	for c in "${cases[@]}"; do
		IFS='|' read -r key arts why <<<"$c"
		if [[ $arts == *"bad name"* ]]; then
			run "$MB" -k "$key" -o "$OUT" "$arts"
		else
			# shellcheck disable=SC2086 # the artifacts are words
			run "$MB" -k "$key" -o "$OUT" $arts
		fi
		assert_failure 1
		assert_output --regexp '^make-bundle: fatal: '
		assert_output --partial "$why"
		assert_nothing_written
	done
}

@test "an existing bundle or a missing parent is refused" {
	mkdir "$OUT"
	run "$MB" -k "$KEY" -o "$OUT" kernel="$W/art/vmlinuz-6.1.0-amd64"
	assert_failure 1
	assert_output "make-bundle: fatal: refusing to overwrite $OUT: remove it first"
	assert_equal "$(ls -A "$W/out")" bundle
	assert_equal "$(ls -A "$OUT")" ''
	run "$MB" -k "$KEY" -o "$W/none/bundle" kernel="$W/art/vmlinuz-6.1.0-amd64"
	assert_failure 1
	assert_output "make-bundle: fatal: unable to create $W/none/bundle: no directory $W/none"
}

@test "a failure after the copies (signing) leaves nothing behind" {
	# an openssl that fails to sign, and does everything else
	mkdir "$W/bin"
	cat >"$W/bin/openssl" <<-EOF
		#!/bin/sh
		[ "\$1 \$2" = "dgst -sha256" ] && [ "\$3" = -sign ] && { echo "no entropy" >&2; exit 1; }
		exec $(command -v openssl) "\$@"
	EOF
	chmod +x "$W/bin/openssl"
	PATH=$W/bin:$PATH run "$MB" -k "$KEY" -o "$OUT" kernel="$W/art/vmlinuz-6.1.0-amd64" \
		initrd="$W/art/initrd.img-6.1.0-amd64"
	assert_failure 1
	assert_output "make-bundle: fatal: unable to sign the manifest: no entropy"
	assert_nothing_written
}

@test "usage errors exit 100" {
	run "$MB"
	assert_failure 100
	assert_output --partial "usage: make-bundle --new-key DIR"
	run "$MB" -k "$KEY" kernel="$W/art/vmlinuz-6.1.0-amd64"
	assert_failure 100
	assert_output --partial "no bundle directory (-o BUNDLE)"
	run "$MB" -k "$KEY" -o "$OUT"
	assert_failure 100
	assert_output --partial "no artifacts (DEST=FILE...)"
	run "$MB" --frob
	assert_failure 100
	assert_output --partial "unknown option --frob"
	run "$MB" --new-key "$W/out" -k "$KEY"
	assert_failure 100
	assert_output --partial "--new-key takes nothing else"
	assert_nothing_written
}
