# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# fetch.sh - the known-good server of the fetch scenarios (M30-M36).
# Sourced after lib.sh by test/qemu/M3*.sh, never executed.
#
# The server is test/bats/fetch-server.py on 127.0.0.1 (a port the kernel
# picks), reached from the guest only through QEMU user networking with
# restrict=on and a guestfwd rule (EG_FETCH_PORT in lib.sh): the guest
# configures the static address 10.0.2.15/24 on eth0 and fetches from
# 10.0.2.100:80.  Nothing leaves the machine.
#
# The bundles are signed with build/images/fetch-key (images/build.sh),
# whose public half is the test initramfs' fetch_key.  Each one's initrd is
# the test initrd with a hook that prints "EG-TEST: known-good bundle TAG",
# so a boot shows that it runs what was fetched.

EG_FETCH_KEYDIR=$EG_IMAGES/fetch-key
EG_FETCH_SERVER=$EG_TOP/test/bats/fetch-server.py
EG_MKBUNDLE=$EG_TOP/images/make-bundle.sh
# The recovery network and the server, on the recovery slot's command line.
EG_FETCH_ARGS="earlyguard.net=eth0:10.0.2.15/24:10.0.2.2 earlyguard.server=10.0.2.100:80"
# The slots as the guest's initramfs sees them (boot_dir=/egboot).
EG_TRIAL=/boot/earlyguard/trial

# eg_bundle DIR TAG [KEY]: a signed bundle in DIR (manifest, manifest.sig,
# vmlinuz, bundle-initrd.img), signed with KEY (default: the images' fetch
# key).  Sets EG_BUNDLE_SUM to "SHA256 of vmlinuz SHA256 of the initrd".
# With EG_BUNDLE_ROOTFS=1 also a rootfs: the test rootfs.img with TAG in
# /etc/egtest-bundle (its rcS prints "EG-TEST: known-good rootfs TAG").
eg_bundle() {
	local dir=$1 tag=$2 key=${3:-$EG_FETCH_KEYDIR/earlyguard-bundle.key.pem}
	local rootfs=()
	local hook=$EG_WORK/bundle-hook spec=$EG_WORK/bundle.spec initrd=$EG_WORK/bundle-initrd.img
	[ -s "$key" ] || { eg_fail "${key#"$EG_TOP"/} missing: run make images"; return 1; }
	printf '#!/bin/sh\necho "EG-TEST: known-good bundle %s" >/dev/console\n' "$tag" >"$hook"
	printf '%s\n' 'dir etc 0755' 'dir etc/earlyguard 0755' 'dir etc/earlyguard/hooks.d 0755' \
		"file etc/earlyguard/hooks.d/60-bundle $hook 0755" >"$spec"
	eg_initrd "$spec" || return 1
	mv -f "$EG_WORK/initrd.img" "$initrd" || { eg_fail "cannot move the bundle's initrd"; return 1; }
	# shellcheck disable=SC2034 # lib.sh's: the next plain boot assembles its own
	EG_INITRD=
	if [ "${EG_BUNDLE_ROOTFS:-0}" = 1 ]; then
		printf '%s\n' "$tag" >"$EG_WORK/egtest-bundle"
		if ! cp --sparse=always "$EG_ROOTFS" "$EG_WORK/bundle-rootfs.img" ||
			! debugfs -w -R "write $EG_WORK/egtest-bundle /etc/egtest-bundle" \
				"$EG_WORK/bundle-rootfs.img" >>"$EG_WORK/bundle.log" 2>&1; then
			eg_fail "cannot make the bundle's rootfs"
			return 1
		fi
		rootfs=(rootfs="$EG_WORK/bundle-rootfs.img")
	fi
	rm -rf "$dir"
	"$EG_MKBUNDLE" -k "$key" -o "$dir" kernel="$EG_KERNEL" initrd="$initrd" "${rootfs[@]}" \
		>>"$EG_WORK/bundle.log" 2>&1 ||
		{ eg_fail "make-bundle.sh failed: $(tail -n 3 "$EG_WORK/bundle.log")"; return 1; }
	EG_BUNDLE_SUM="$(sha256sum <"$EG_KERNEL" | cut -d' ' -f1) $(sha256sum <"$initrd" | cut -d' ' -f1)"
	eg_note "bundle $tag: $(du -b "$EG_KERNEL" "$initrd" | awk '{ s += $1 } END { print s }') bytes in ${dir#"$EG_TOP"/}"
}

# eg_fetch_server DIR [SWITCH...]: fetch-server.py serving DIR on
# 127.0.0.1, port picked by the kernel, into EG_FETCH_PORT; returns once
# it listens (10 s at most).  Its requests go to server.log, one a line.
# Ended with the scenario's VMs (eg_kill_all).
eg_fetch_server() {
	local dir=$1 ready=$EG_WORK/server.ready end now pid port
	shift
	command -v python3 >/dev/null || { eg_fail "python3 not found (test/deps.sh installs it)"; return 1; }
	rm -f "$ready"
	python3 "$EG_FETCH_SERVER" --dir "$dir" --addr 127.0.0.1 --port 0 \
		--log "$EG_WORK/server.log" --ready "$ready" "$@" 2>>"$EG_WORK/server.err" &
	EG_HELPERS+=("$!")
	eg_now now
	end=$((now + 1000))
	until [ -s "$ready" ]; do
		eg_now now
		[ "$now" -lt "$end" ] || { eg_fail "the fetch server did not start: $(tail -n 3 "$EG_WORK/server.err")"; return 1; }
		sleep "$EG_POLL"
	done
	read -r pid port <"$ready"
	case $port in
	'' | *[!0-9]*) eg_fail "the fetch server wrote no port: $(cat "$ready")"; return 1 ;;
	esac
	# shellcheck disable=SC2034 # read by lib.sh's eg_boot
	EG_FETCH_PORT=$port
	eg_note "fetch server: pid $pid, 127.0.0.1:$port${*:+ ($*)}"
}

# eg_slot_args SLOT WORD...: append WORDs to SLOT's kernel arguments
# (eg_slot_args in its slot.env) on the scenario's disk.
eg_slot_args() {
	local slot_env=/boot/earlyguard/$1/slot.env
	shift
	eg_env --file "$slot_env" get eg_slot_args || return 1
	eg_env --file "$slot_env" set "eg_slot_args=$EG_ENV_OUT $*"
}

# eg_slot_sums SLOT: "SHA256 PATH" (or "absent PATH") of SLOT's vmlinuz,
# initrd.img and slot.env on the scenario's disk, into EG_ENV_OUT.
eg_slot_sums() {
	local d=/boot/earlyguard/$1
	eg_env sum "$d/vmlinuz" "$d/initrd.img" "$d/slot.env"
}

# eg_expect_fetched SLOT [ROOT]: SLOT holds the last eg_bundle's kernel
# and initrd; without ROOT no slot.env (GRUB's eg_args apply to a fetched
# kernel), with ROOT (a bundle with a rootfs) a slot.env whose
# eg_slot_args has root=ROOT.  EG_ENV_OUT: the slot's sums.
eg_expect_fetched() {
	local k i sums
	read -r k i <<<"$EG_BUNDLE_SUM"
	eg_slot_sums "$1" || return 1
	sums=$EG_ENV_OUT
	printf '%s\n' "$sums" | grep -qxF "$k /boot/earlyguard/$1/vmlinuz" ||
		eg_fail "$1/vmlinuz is not the bundle's: $sums"
	printf '%s\n' "$sums" | grep -qxF "$i /boot/earlyguard/$1/initrd.img" ||
		eg_fail "$1/initrd.img is not the bundle's: $sums"
	if [ -z "${2:-}" ]; then
		printf '%s\n' "$sums" | grep -qxF "absent /boot/earlyguard/$1/slot.env" ||
			eg_fail "$1/slot.env is still there: $sums"
	else
		eg_env --file "/boot/earlyguard/$1/slot.env" get eg_slot_args || return 1
		case " $EG_ENV_OUT " in
		*" root=$2 "*) ;;
		*) eg_fail "$1/slot.env: eg_slot_args without root=$2: $EG_ENV_OUT" ;;
		esac
	fi
	EG_ENV_OUT=$sums
}

# eg_server_log_has LINE: the server logged a request line LINE (fixed
# string, whole line).
eg_server_log_has() {
	grep -qxF -- "$1" "$EG_WORK/server.log" 2>/dev/null && return 0
	eg_fail "the server log has no line '$1' (log: $(tr '\n' '|' <"$EG_WORK/server.log" 2>/dev/null))"
}

# eg_recovery_once WORD...: the next boot of the scenario's disk is the
# recovery entry, once (eg_trial=recovery, as `earlyguard trial recovery`
# sets it), with the recovery network, the server and WORDs on its
# command line; GRUB adds earlyguard.recover=fetch.
eg_recovery_once() {
	eg_slot_args recovery "$EG_FETCH_ARGS" "$@" || return 1
	eg_env set eg_trial=recovery
}

# eg_expect_refused BEFORE: the trial slot's files are what eg_slot_sums
# printed before (BEFORE), no .part file is left, nothing is selected.
eg_expect_refused() {
	eg_slot_sums trial || return 1
	[ "$EG_ENV_OUT" = "$1" ] || eg_fail "the trial slot changed: $EG_ENV_OUT (was: $1)"
	eg_env sum "$EG_TRIAL/vmlinuz.part" "$EG_TRIAL/initrd.img.part" || return 1
	[ "$EG_ENV_OUT" = "absent $EG_TRIAL/vmlinuz.part
absent $EG_TRIAL/initrd.img.part" ] || eg_fail "a .part file was left: $EG_ENV_OUT"
	eg_env_is eg_trial "" eg_entry recovery
}
