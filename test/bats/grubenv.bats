#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck disable=SC1003 # values ending in a backslash are the point here
#
# earlyguard grubenv against the real grub-editenv (grub-common): what one
# writes the other reads, and the same edits give byte-identical files.
# $G is edited by grub-editenv, $E by earlyguard (host build).

bats_load_library bats-support
bats_load_library bats-assert

setup() {
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	command -v grub-editenv >/dev/null ||
		fail "grub-editenv missing: install grub-common (test/deps.sh)"
	CONF="$BATS_TEST_TMPDIR/earlyguard.conf"
	CMDLINE="$BATS_TEST_TMPDIR/cmdline"
	G="$BATS_TEST_TMPDIR/grub.env"
	E="$BATS_TEST_TMPDIR/eg.env"
	printf 'grubenv=%s\n' "$E" >"$CONF"
	echo "root=/dev/vda quiet" >"$CMDLINE"
	NL='
'
}

eg() {
	"$EG" -c "$CONF" --cmdline "$CMDLINE" grubenv "$@"
}

# both FILE ARGS...: the same grub-editenv command on $G and earlyguard
# grubenv command on $E; both must succeed and leave identical files.
both() {
	grub-editenv "$G" "$@"
	eg "$@"
	cmp "$G" "$E"
}

@test "grub-editenv writes, earlyguard reads: list is the same, get gives each value" {
	grub-editenv "$G" create
	grub-editenv "$G" set saved_entry=0 "title=Debian GNU/Linux, with Linux 6.1" \
		'path=C:\boot\vmlinuz' "two=line one${NL}line two" 'trail=\' 'empty=' 'eq=a=b'
	run eg -f "$G" list
	assert_success
	assert_output "$(grub-editenv "$G" list)"
	run eg -f "$G" get path
	assert_output 'C:\boot\vmlinuz'
	run eg -f "$G" get two
	assert_output "line one${NL}line two"
	run eg -f "$G" get trail
	assert_output '\'
	run eg -f "$G" get eq
	assert_output 'a=b'
	run eg -f "$G" get empty
	assert_success
	assert_output ''
	run eg -f "$G" check
	assert_success
	assert_output --regexp "^$G: ok, 7 variables, [0-9]+ of 1024 bytes free$"
}

@test "earlyguard edits, grub-editenv reads: byte-identical to grub-editenv's own edits" {
	grub-editenv "$G" create
	cp "$G" "$E"
	both set a=1 b=2 c=3
	both set b=a_longer_value
	both set a=
	both unset b
	both set b=back 'bs=\\x\' "nl=${NL}${NL}"
	both unset nosuch a
	both set c=3 d=4
	both unset c d bs nl b
	run stat -c %s "$E"
	assert_output 1024
	grub-editenv "$G" set z=last
	eg set z=last
	run grub-editenv "$E" list
	assert_output "z=last"
}

@test "values with backslashes and newlines: escaped as GRUB does, both ways" {
	grub-editenv "$G" create
	cp "$G" "$E"
	v1='\'
	v2='\\'
	v3="${NL}"
	v4="a\\${NL}b\\"
	both set "v1=$v1" "v2=$v2" "v3=$v3" "v4=$v4"
	grep -qF 'v4=a\\\' "$E"
	# through files: $(...) would drop the newlines at the end
	for k in v1 v2 v3 v4; do
		case $k in v1) want=$v1 ;; v2) want=$v2 ;; v3) want=$v3 ;; v4) want=$v4 ;; esac
		eg get "$k" >"$BATS_TEST_TMPDIR/got"
		printf '%s\n' "$want" | cmp - "$BATS_TEST_TMPDIR/got" || fail "get $k"
	done
	run grub-editenv "$E" list
	assert_output "$(eg list)"
}

@test "a missing file is created as grub-editenv creates it" {
	grub-editenv "$G" set a=1
	eg set a=1
	cmp "$G" "$E"
	rm "$E"
	grub-editenv "$G" create
	eg check --repair
	cmp "$G" "$E"
	rm "$E"
	run eg list
	assert_failure 111
	assert_output --partial "unable to read $E: No such file or directory"
	[ ! -e "$E" ]
}

@test "no room: refused with the size needed, the file byte-identical" {
	grub-editenv "$G" create
	cp "$G" "$E"
	cp "$E" "$BATS_TEST_TMPDIR/before"
	big=$(head -c 2000 /dev/zero | tr '\0' x)
	run eg set a=1 "big=$big"
	assert_failure 1
	assert_output --partial "grubenv: big: no room: grubenv is 1024 bytes, the new block needs 2103; $E unchanged"
	cmp "$E" "$BATS_TEST_TMPDIR/before"
	run grub-editenv "$G" set "big=$big"
	assert_failure
	assert_output --partial "environment block too small"
	cmp "$G" "$E"
}

@test "a block filled to the last byte: both agree, and neither takes one more" {
	grub-editenv "$G" create
	cp "$G" "$E"
	# 1024 - 25 (header) - 69 (comment) - 2 ("f=") - 1 (newline)
	fill=$(head -c 927 /dev/zero | tr '\0' f)
	both set "f=$fill"
	[ "$(tail -c 1 "$E" | od -An -c | tr -d ' ')" = '\n' ]
	run eg set g=
	assert_failure 1
	assert_output --partial "the new block needs 1027"
	run grub-editenv "$G" set g=
	assert_failure
	cmp "$G" "$E"
	both unset f
}

@test "set refuses names GRUB scripts cannot use; the file stays as it was" {
	grub-editenv "$G" create
	cp "$G" "$E"
	cp "$E" "$BATS_TEST_TMPDIR/before"
	for name in 1abc a-b 'a b' '#x' 'ä' 'a.b'; do
		run eg set good=1 "$name=1"
		assert_failure 1
		assert_output --partial "invalid name"
		cmp "$E" "$BATS_TEST_TMPDIR/before"
	done
	run eg set =1
	assert_failure 1
	assert_output --partial 'invalid name ""'
}

@test "odd names and comments grub-editenv wrote are kept through earlyguard's edits" {
	grub-editenv "$G" create
	grub-editenv "$G" set 'a b=1' 'n#=2' '=x'
	cp "$G" "$E"
	both set a=3
	both unset 'a b'
	run eg get 'n#'
	assert_output 2
	run eg list
	assert_output "n#=2${NL}=x${NL}a=3"
}

corrupt() {
	grub-editenv "$E" create
	grub-editenv "$E" set saved_entry=2 boot_count=1
}

@test "a corrupt block: reported, never read, left alone by reading actions" {
	corrupt
	# a line without '=' ahead of saved_entry: GRUB would read "junk\nsaved_entry"
	sed -i 's/^saved_entry=/junk\nsaved_entry=/' "$E"
	truncate -s 1024 "$E"
	cp "$E" "$BATS_TEST_TMPDIR/before"
	run eg list
	assert_failure 1
	assert_output "earlyguard: grubenv: $E is corrupt: line 3 has no '='"
	run eg get boot_count
	assert_failure 1
	run eg check
	assert_failure 1
	assert_output --partial "line 3 has no '='"
	cmp "$E" "$BATS_TEST_TMPDIR/before"
}

@test "a corrupt block is replaced by grub-editenv create's block, then edited" {
	grub-editenv "$G" create
	for how in empty zeroed torn header nul padding twice; do
		corrupt
		case $how in
		empty) : >"$E" ;;
		zeroed) head -c 1024 /dev/zero >"$E" ;;
		torn) truncate -s 100 "$E" ;;
		header) printf 'X' | dd of="$E" conv=notrunc status=none ;;
		nul) printf '\0' | dd of="$E" bs=1 seek=40 conv=notrunc status=none ;;
		padding) printf 'Z' | dd of="$E" bs=1 seek=1023 conv=notrunc status=none ;;
		twice) sed -i 's/^boot_count=1$/saved_entry=9/' "$E" && truncate -s 1024 "$E" ;;
		esac
		run eg check
		assert_failure 1
		run eg check --repair
		assert_success
		assert_output --partial "is corrupt"
		assert_output --partial "writing a fresh block"
		cmp "$G" "$E" || fail "$how: not grub-editenv create's block"
		run eg check
		assert_success
	done
	corrupt
	truncate -s 0 "$E"
	run eg set boot_count=0
	assert_success
	assert_output "earlyguard: grubenv: $E is corrupt: empty file; writing a fresh block"
	run grub-editenv "$E" list
	assert_output "boot_count=0"
}

# block LINES: a 1024-byte block holding LINES (printf format) into $E
block() {
	# shellcheck disable=SC2059 # the lines are the format
	printf "# GRUB Environment Block\n$1" >"$E"
	n=$(stat -c %s "$E")
	head -c $((1024 - n)) /dev/zero | tr '\0' '#' >>"$E"
}

@test "what grub-editenv mis-handles, earlyguard reports (the documented difference)" {
	# a name set twice: grub-editenv edits the first, GRUB's load_env keeps the last
	block 'a=1\nb=2\na=3\n'
	cp "$E" "$G"
	grub-editenv "$G" set a=9
	run grub-editenv "$G" list
	assert_output "a=9${NL}b=2${NL}a=3"
	run eg check
	assert_failure 1
	assert_output --partial "line 4 sets a again"
	# an escaped last newline: grub-editenv lists nothing, and a variable
	# set after it becomes part of the value
	block 'a=1\\\n'
	cp "$E" "$G"
	run grub-editenv "$G" list
	assert_output ""
	grub-editenv "$G" set new=1
	run grub-editenv "$G" list
	assert_output "a=1${NL}new=1"
	run eg check
	assert_output --partial "line 2 ends in an escaped newline"
	# the last line runs into the padding: grub-editenv cannot set anything
	block 'a=1'
	cp "$E" "$G"
	run grub-editenv "$G" set b=2
	assert_failure
	assert_output --partial "environment block too small"
	run eg set b=2
	assert_success
	assert_output --partial "no newline at offset 27, before the padding"
	run eg list
	assert_output "b=2"
}

@test "corruption reasons are precise" {
	corrupt
	cp "$E" "$BATS_TEST_TMPDIR/good"
	check_reason() {
		run eg check
		assert_failure 1
		assert_output "earlyguard: grubenv: $E is corrupt: $1"
		cp "$BATS_TEST_TMPDIR/good" "$E"
	}
	: >"$E"
	check_reason "empty file"
	truncate -s 1000 "$E"
	check_reason "size 1000 is not a multiple of 512 up to 4096"
	printf '\0' | dd of="$E" bs=1 seek=200 conv=notrunc status=none
	check_reason "NUL byte at offset 200"
	sed -i 's/^boot_count=1$/boot_count=1\\/' "$E" && truncate -s 1024 "$E"
	check_reason "line 4 ends in an escaped newline"
	printf 'X' | dd of="$E" bs=1 seek=1023 conv=notrunc status=none
	check_reason "no newline at offset 1023, before the padding"
}

@test "a file over 4096 bytes is refused and not touched" {
	head -c 8192 /dev/zero >"$E"
	run eg set a=1
	assert_failure 1
	assert_output --partial "unable to read $E: File too large"
	run stat -c %s "$E"
	assert_output 8192
}

@test "a FIFO, a directory: not a grubenv, neither read nor replaced" {
	mkfifo "$E"
	run timeout 10 "$EG" -c "$CONF" --cmdline "$CMDLINE" grubenv set a=1
	assert_failure 1
	assert_output --partial "unable to read $E: Invalid argument"
	[ -p "$E" ]
	run timeout 10 "$EG" -c "$CONF" --cmdline "$CMDLINE" grubenv list
	assert_failure 1
	rm "$E"
	mkdir "$E"
	run eg check --repair
	assert_failure 1
	[ -d "$E" ]
}

@test "the file keeps its mode; a symlink stays a symlink to the edited file" {
	grub-editenv "$G" create
	cp "$G" "$BATS_TEST_TMPDIR/target"
	chmod 600 "$BATS_TEST_TMPDIR/target"
	ln -s target "$E"
	grub-editenv "$G" set a=1
	eg set a=1
	[ -L "$E" ]
	cmp "$G" "$BATS_TEST_TMPDIR/target"
	rm "$E"
	mv "$BATS_TEST_TMPDIR/target" "$E"
	eg set b=2
	[ "$(stat -c %a "$E")" = 600 ]
	[ ! -e "$E.tmp" ]
}

@test "the file comes from grubenv=, the kernel command line, or -f" {
	grub-editenv "$E" set where=conf
	grub-editenv "$G" set where=grub
	run eg get where
	assert_output conf
	echo "quiet earlyguard.grubenv=$G" >"$CMDLINE"
	run eg get where
	assert_output grub
	run eg -f "$E" get where
	assert_output conf
	printf 'grubenv=relative/path\n' >"$CONF"
	echo quiet >"$CMDLINE"
	run eg -f "$E" get where
	assert_output conf
}

@test "get of a variable that is not set exits 1" {
	grub-editenv "$E" create
	run eg get nosuch
	assert_failure 1
	assert_output "earlyguard: grubenv: nosuch is not set"
}

@test "wrong arguments are usage errors (100) and touch nothing" {
	for args in "" "frob" "list x" "get" "get a b" "set" "set noequals" "unset" \
		"check --frob" "check --repair x" "-f"; do
		# shellcheck disable=SC2086 # word splitting wanted
		run eg $args
		assert_equal "$status" 100
		assert_output --partial "usage"
	done
	[ ! -e "$E" ]
}
