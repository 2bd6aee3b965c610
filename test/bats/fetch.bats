#!/usr/bin/env bats
# SPDX-License-Identifier: GPL-2.0-or-later
#
# earlyguard fetch (the host build, --no-reboot) in a network namespace each
# test creates: a veth pair eg0 (earlyguard's, configured by the fetch) /
# eg1 (the server's, 10.0.2.2), both inside the namespace, and
# fetch-server.py listening on 10.0.2.2:8080 there.  Nothing is sent
# outside the namespace.  The slots and the grubenv live in the test's
# temp dir; the bundle is made once per file with images/make-bundle.sh.
# Root is needed.

bats_load_library bats-support
bats_load_library bats-assert
load slots

setup_file() {
	[ "$(id -u)" -eq 0 ] || return 0
	local d="$BATS_FILE_TMPDIR"
	mkdir -p "$d/keys" "$d/other" "$d/src"
	"$BATS_TEST_DIRNAME/../../images/make-bundle.sh" --new-key "$d/keys" >/dev/null
	"$BATS_TEST_DIRNAME/../../images/make-bundle.sh" --new-key "$d/other" >/dev/null
	head -c 307200 /dev/urandom >"$d/src/vmlinuz-6.1"
	head -c 1048576 /dev/urandom >"$d/src/initrd.img-6.1"
	"$BATS_TEST_DIRNAME/../../images/make-bundle.sh" -k "$d/keys/earlyguard-bundle.key.pem" \
		-o "$d/bundle" kernel="$d/src/vmlinuz-6.1" initrd="$d/src/initrd.img-6.1" >/dev/null
	head -c 2097152 /dev/urandom >"$d/src/rootfs.img"
	"$BATS_TEST_DIRNAME/../../images/make-bundle.sh" -k "$d/keys/earlyguard-bundle.key.pem" \
		-o "$d/bundle-rootfs" kernel="$d/src/vmlinuz-6.1" initrd="$d/src/initrd.img-6.1" \
		rootfs="$d/src/rootfs.img" >/dev/null
}

setup() {
	[ "$(id -u)" -eq 0 ] || skip "network namespaces need root"
	command -v ip >/dev/null || skip "needs ip(8) (iproute2)"
	command -v python3 >/dev/null || skip "needs python3 for the test server"
	EG="$BATS_TEST_DIRNAME/../../build/host/earlyguard"
	T="$BATS_TEST_TMPDIR"
	F="$BATS_FILE_TMPDIR"
	export EARLYGUARD_KMSG=-
	export EARLYGUARD_RUN="$T/run"
	mkdir -p "$EARLYGUARD_RUN"
	SLOTS="$T/slots"
	ENV="$T/grubenv"
	CONF="$T/earlyguard.conf"
	CMDLINE="$T/cmdline"
	make_slots "$SLOTS"
	printf 'old args\n' >"$SLOTS/trial/slot.env"
	"$EG" grubenv -f "$ENV" set eg_default=A >/dev/null
	cat >"$CONF" <<-EOC
		grubenv=$ENV
		grub_slots=$SLOTS
		fetch_key=$F/keys/earlyguard-bundle.pub.pem
		fetch_deadline=40s
		fetch_timeout=3s
	EOC
	echo "root=/dev/vda earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080 quiet" \
		>"$CMDLINE"
	NS="egfetch-$$-$BATS_TEST_NUMBER"
	ip netns add "$NS"
	ip -n "$NS" link add eg0 type veth peer name eg1
	ip -n "$NS" addr add 10.0.2.2/24 dev eg1
	ip -n "$NS" link set eg1 up
	ip -n "$NS" link set lo up
	LOG="$T/server.log"
	: >"$LOG"
	cp "$ENV" "$T/grubenv.before"
}

teardown() {
	if [ -n "${SRV:-}" ]; then
		kill "$SRV" 2>/dev/null || true
		wait "$SRV" 2>/dev/null || true
	fi
	if [ -n "${NS:-}" ]; then
		ip netns del "$NS" 2>/dev/null || true
	fi
}

# server [SWITCH...]: fetch-server.py on 10.0.2.2:8080 in the namespace,
# serving the bundle (BUNDLE, default $F/bundle); returns once it listens
# (5 s at most).
server() {
	rm -f "$T/ready"
	ip netns exec "$NS" python3 "$BATS_TEST_DIRNAME/fetch-server.py" --dir "${BUNDLE:-$F/bundle}" \
		--addr 10.0.2.2 --port 8080 --log "$LOG" --ready "$T/ready" "$@" 2>"$T/server.err" &
	SRV=$!
	for _ in $(seq 100); do
		[ -s "$T/ready" ] && return 0
		sleep 0.05
	done
	fail "the test server did not start: $(cat "$T/server.err")"
}

# fetch: the fetch, bounded by an outer 90 s; sets ELAPSED (ms)
fetch() {
	local t0
	t0=$(date +%s%N)
	run timeout 90 ip netns exec "$NS" "$EG" -c "$CONF" --cmdline "$CMDLINE" fetch --no-reboot
	ELAPSED=$((($(date +%s%N) - t0) / 1000000))
}

assert_fetched() {
	cmp "$F/src/vmlinuz-6.1" "$SLOTS/trial/vmlinuz" || fail "trial/vmlinuz differs"
	cmp "$F/src/initrd.img-6.1" "$SLOTS/trial/initrd.img" || fail "trial/initrd.img differs"
	[ ! -e "$SLOTS/trial/slot.env" ] || fail "the old trial/slot.env is still there"
	run "$EG" grubenv -f "$ENV" get eg_trial
	assert_output trial
	run cat "$SLOTS/trial/fetch.state"
	assert_output "failures=0"
}

# the slot and the grubenv as setup() left them, no .part left behind
assert_untouched() {
	run cat "$SLOTS/trial/vmlinuz" "$SLOTS/trial/initrd.img" "$SLOTS/trial/slot.env"
	assert_output "kernel trial
initrd trial
old args"
	cmp "$T/grubenv.before" "$ENV" || fail "the grubenv changed"
	run ls "$SLOTS/trial"
	refute_output --partial ".part"
}

@test "fetch: the happy path writes the slot byte for byte and selects it once" {
	server
	fetch
	assert_success
	assert_line "net: eg0: address 10.0.2.15/24 set"
	assert_line "fetch: manifest verified (key $F/keys/earlyguard-bundle.pub.pem, 2 artifacts, 1.2 MiB)"
	assert_line --regexp '^fetch: vmlinuz-6\.1 300\.0 KiB/1\.2 MiB 22% '
	assert_line --regexp '^fetch: initrd\.img-6\.1 1\.2 MiB/1\.2 MiB 100% '
	assert_line "fetch: trial slot written and verified; next boot: trial (one-shot)"
	assert_fetched
	run "$EG" grubenv -f "$ENV" get eg_default
	assert_output A
	# the manifest and its signature first, then the artifacts, no Range
	run cat "$LOG"
	assert_output "GET /manifest HTTP/1.1
GET /manifest.sig HTTP/1.1
GET /vmlinuz-6.1 HTTP/1.1
GET /initrd.img-6.1 HTTP/1.1"
	echo "# happy path: ${ELAPSED}ms" >&3
}

@test "fetch: a tampered artifact is refused before selection; slot and grubenv untouched" {
	server --tamper initrd.img-6.1
	fetch
	assert_failure 1
	assert_output --regexp 'initrd\.img-6\.1: SHA-256 [0-9a-f]{64}, not the manifest'"'"'s [0-9a-f]{64}'
	assert_output --partial "fetch: refused: verification failed 3 times; the slot and the grubenv are unchanged"
	assert_untouched
}

@test "fetch: a tampered signature is refused, nothing written" {
	server --tamper manifest.sig
	fetch
	assert_failure 1
	assert_output --partial "manifest.sig: signature: "
	refute_output --partial "manifest verified"
	assert_untouched
	run grep -c "GET /vmlinuz" "$LOG"
	assert_output 0
}

@test "fetch: a manifest signed with another key is refused, nothing written" {
	echo "fetch_key=$F/other/earlyguard-bundle.pub.pem" >>"$CONF"
	server
	fetch
	assert_failure 1
	assert_output --partial "manifest.sig: signature: does not match the message and key (key $F/other/earlyguard-bundle.pub.pem)"
	assert_untouched
	run grep -c "GET /vmlinuz" "$LOG"
	assert_output 0
}

@test "fetch: a missing key is refused before the network" {
	echo "fetch_key=$T/nokey.pem" >>"$CONF"
	server
	fetch
	assert_failure 1
	assert_output --partial "earlyguard: fetch: unable to read the public key $T/nokey.pem: No such file or directory"
	refute_output --partial "net: eg0"
	assert_untouched
	assert_equal "$(cat "$LOG")" ""
}

@test "fetch: a pinned manifest SHA-256 needs no key; a wrong pin is refused" {
	sum=$(sha256sum <"$F/bundle/manifest")
	printf 'fetch_key=%s\nfetch_pin=%s\n' "$T/nokey.pem" "${sum%% *}" >>"$CONF"
	server
	fetch
	assert_success
	assert_line "fetch: manifest verified (pinned SHA-256, 2 artifacts, 1.2 MiB)"
	assert_fetched
	run grep -c "manifest.sig" "$LOG"
	assert_output 0
	echo "fetch_pin=$(printf '0%.0s' $(seq 64))" >>"$CONF"
	"$EG" grubenv -f "$ENV" unset eg_trial
	fetch
	assert_failure 1
	assert_output --partial "is not the one of fetch_pin"
}

@test "fetch: a cut connection is resumed with a Range and verifies" {
	server --cut-after 100000
	fetch
	assert_success
	assert_output --regexp 'fetch: retry 1 in [0-9.]+s: /vmlinuz-6\.1: '
	assert_fetched
	run cat "$LOG"
	assert_line "GET /vmlinuz-6.1 HTTP/1.1"
	assert_line "GET /vmlinuz-6.1 HTTP/1.1 Range: bytes=100000-"
}

@test "fetch: a server that ignores the Range sends it all again, and it verifies" {
	server --cut-after 200000 --ignore-range
	fetch
	assert_success
	assert_line "fetch: vmlinuz-6.1: the server sent it from the start again (it ignored the Range)"
	assert_fetched
	run cat "$LOG"
	assert_line "GET /vmlinuz-6.1 HTTP/1.1 Range: bytes=200000-"
}

@test "fetch: 500s are retried with the reason, then it works" {
	server --fail 2
	fetch
	assert_success
	assert_line --regexp '^fetch: retry 1 in [0-9]+\.[0-9]s: /manifest: HTTP 500 Internal Server Error$'
	assert_line --regexp '^fetch: retry 2 in [0-9]+\.[0-9]s: /manifest: HTTP 500 Internal Server Error$'
	assert_fetched
}

@test "fetch: a chunked server works" {
	server --chunked
	fetch
	assert_success
	assert_fetched
}

@test "fetch: a slow server keeps the fetch alive and shows progress" {
	# about 330 KiB/s: ~4 s for 1.3 MiB; each tenth of a second brings bytes, so
	# fetch_timeout=1s never fires while they flow
	echo "fetch_timeout=1s" >>"$CONF"
	server --rate 340000
	fetch
	assert_success
	run grep -cE '^fetch: (vmlinuz|initrd\.img)-6\.1 [0-9.]+ [KM]?i?B/1\.2 MiB [0-9]+% [0-9.]+ [KM]iB/s ETA [0-9]+s$' <<<"$output"
	[ "$output" -ge 3 ] || fail "only $output progress lines"
	assert_fetched
	echo "# slow server: ${ELAPSED}ms" >&3
	[ "$ELAPSED" -ge 3000 ] || fail "the rate limit did not work (${ELAPSED}ms)"
}

@test "fetch: server down: growing backoff, then 99 within fetch_deadline" {
	sed -i 's/^fetch_deadline=.*/fetch_deadline=8s/' "$CONF"
	fetch
	assert_failure 99
	assert_output --regexp 'fetch: retry 1 in (0\.[5-9]|1\.0)s: connect to 10\.0\.2\.2:8080: Connection refused'
	assert_output --regexp "fetch: deadline: [0-9.]+s of fetch_deadline=8s gone and retry [0-9]+ would wait [0-9.]+s: giving up"
	assert_output --partial "the slot and the grubenv are unchanged"
	mapfile -t delays < <(grep -o '^fetch: retry [0-9]* in [0-9.]*s' <<<"$output" | sed 's/.* in //; s/s$//; s/\.//')
	[ "${#delays[@]}" -ge 3 ] || fail "only ${#delays[@]} retries"
	for ((i = 1; i < ${#delays[@]}; i++)); do
		[ "$((10#${delays[i]}))" -ge "$((10#${delays[i - 1]}))" ] ||
			fail "retry $i waited ${delays[i]} after ${delays[i - 1]}"
	done
	echo "# server down: delays (tenths) ${delays[*]}, exit after ${ELAPSED}ms" >&3
	[ "$ELAPSED" -le 9000 ] || fail "exit 99 after ${ELAPSED}ms for an 8s deadline"
	assert_untouched
	run cat "$SLOTS/trial/fetch.state"
	assert_output "failures=1"
}

# guard_state STAGE PID IN_S: an initramfs guard's state file whose
# deadline is IN_S seconds from now (CLOCK_BOOTTIME, as the guard writes it)
guard_state() {
	local up
	read -r up _ </proc/uptime
	printf 'pid=%s\nstage=%s\ndeadline_at_ms=%d\n' "$2" "$1" \
		"$((10#${up/./} * 10 + $3 * 1000))" >"$EARLYGUARD_RUN/state"
}

@test "fetch: a running initramfs guard's deadline comes first (less 15 s); a stale state is ignored" {
	sed -i 's/^fetch_deadline=.*/fetch_deadline=12s/' "$CONF"
	# waits of 1 s at most: the fetch gives up within 1 s of its deadline
	echo "fetch_retry_max=1s" >>"$CONF"
	# a guard (this shell) at 20 s: the fetch must end by 5 s
	guard_state initramfs $$ 20
	fetch
	assert_failure 99
	echo "# guard deadline in 20s: exit 99 after ${ELAPSED}ms" >&3
	[ "$ELAPSED" -le 6500 ] || fail "exit 99 after ${ELAPSED}ms, the guard's deadline less 15 s was 5 s"
	# the state of a rootfs, or of a guard that is gone: fetch_deadline
	guard_state rootfs $$ 20
	fetch
	assert_failure 99
	[ "$ELAPSED" -ge 10000 ] || fail "exit 99 after ${ELAPSED}ms: a rootfs state clipped the 12 s deadline"
	rm -f "$SLOTS/trial/fetch.state"
	guard_state initramfs 999999 20
	fetch
	assert_failure 99
	[ "$ELAPSED" -ge 10000 ] || fail "exit 99 after ${ELAPSED}ms: a dead guard's state clipped the 12 s deadline"
}

@test "fetch: earlier failed boots make this boot wait first; success resets the count" {
	sed -i 's/^fetch_deadline=.*/fetch_deadline=10s/' "$CONF"
	echo "failures=3" >"$SLOTS/trial/fetch.state"
	server
	fetch
	assert_success
	assert_output --regexp "fetch: 3 earlier fetches did not finish \\($SLOTS/trial/fetch.state\\): waiting [2-5]\\.[0-9]s before the first try"
	[ "$ELAPSED" -ge 2500 ] || fail "no wait: ${ELAPSED}ms"
	assert_fetched
}

@test "fetch: a scheduled trial of the old slot is cleared before the slot is replaced" {
	"$EG" grubenv -f "$ENV" set eg_trial=trial
	server
	fetch
	assert_success
	assert_line "fetch: eg_trial=trial cleared while the slot is replaced"
	assert_fetched
}

@test "fetch: a slot of the fallback chain is refused" {
	echo "fetch_slot=$SLOTS/A" >>"$CONF"
	fetch
	assert_failure 1
	assert_output --partial "fetch_slot=$SLOTS/A is GRUB's A slot, in the fallback chain"
}

@test "fetch: no server configured is refused, exit 1" {
	echo "root=/dev/vda earlyguard.net=eg0:10.0.2.15/24" >"$CMDLINE"
	fetch
	assert_failure 1
	assert_output --partial "earlyguard: fetch: no server configured: set server=ADDR[:PORT]"
}

@test "fetch: usage; --help shows it" {
	run "$EG" --help
	assert_output --partial "  fetch [--no-reboot] "
	run "$EG" -c "$CONF" --cmdline "$CMDLINE" fetch --now
	assert_failure 100
	assert_output --partial "fetch takes --no-reboot and --auto=entry or --auto=noroot"
	run "$EG" -c "$CONF" --cmdline "$CMDLINE" fetch --auto
	assert_failure 100
}

# fetch_auto WHEN: the fetch as the initramfs runs it, --auto=WHEN
fetch_auto() {
	run timeout 90 ip netns exec "$NS" "$EG" -c "$CONF" --cmdline "$CMDLINE" fetch --no-reboot \
		"--auto=$1"
}

@test "fetch --auto=entry: not the recovery entry: nothing, silently, exit 0" {
	server
	echo "root=/dev/vda earlyguard.entry=A earlyguard.recover=fetch earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080" >"$CMDLINE"
	fetch_auto entry
	assert_success
	assert_output ""
	assert_untouched
	run cat "$LOG"
	assert_output ""
}

@test "fetch --auto=entry: the recovery entry with recover=fetch fetches" {
	server
	echo "root=/dev/vda earlyguard.entry=recovery earlyguard.attempt=1 earlyguard.recover=fetch earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080" >"$CMDLINE"
	fetch_auto entry
	assert_success
	assert_line "fetch: trial slot written and verified; next boot: trial (one-shot)"
	assert_fetched
}

@test "fetch --auto=entry: the recovery entry without a server boots the local root" {
	echo "root=/dev/vda earlyguard.entry=recovery earlyguard.recover=fetch earlyguard.net=eg0:10.0.2.15/24" >"$CMDLINE"
	fetch_auto entry
	assert_success
	assert_output "earlyguard: fetch: GRUB's recovery entry asks for a fetch, but no server= is configured: booting the local root"
	assert_untouched
}

@test "fetch --auto=noroot: recover=retry leaves it to the rescue; recover=fetch fetches" {
	server
	fetch_auto noroot
	assert_success
	assert_output "earlyguard: fetch: recover=retry: no fetch; the rescue reboots to try the local boot again"
	assert_untouched
	echo "recover=fetch" >>"$CONF"
	fetch_auto noroot
	assert_success
	assert_fetched
}

@test "fetch: boot_dev that does not exist is refused before the network" {
	printf 'boot_dev=/dev/eg-no-such-disk\nboot_dir=%s/bootmnt\n' "$T" >>"$CONF"
	server
	fetch
	assert_failure 1
	assert_output --partial "boot_dev=/dev/eg-no-such-disk: No such file or directory"
	run cat "$LOG"
	assert_output ""
}

@test "fetch: recover=kexec: into the run directory, no slot, no grubenv; then kexec" {
	server
	echo "recover=kexec" >>"$CONF"
	# the test build never loads a kernel: it opens both files, and
	# exec logs and exits 0 in place of the kexec reboot
	run timeout 90 ip netns exec "$NS" "$EG" -c "$CONF" --cmdline "$CMDLINE" fetch
	assert_success
	assert_line "fetch: $EARLYGUARD_RUN/kexec written and verified; kexec next"
	assert_line "fetch: kexec loaded $EARLYGUARD_RUN/kexec/vmlinuz and $EARLYGUARD_RUN/kexec/initrd.img; booting it with: root=/dev/vda earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080 quiet earlyguard.recover=retry"
	cmp "$F/src/vmlinuz-6.1" "$EARLYGUARD_RUN/kexec/vmlinuz" || fail "kexec/vmlinuz differs"
	cmp "$F/src/initrd.img-6.1" "$EARLYGUARD_RUN/kexec/initrd.img" || fail "kexec/initrd.img differs"
	assert_untouched
}

@test "fetch: recover=kexec: a refused kexec_file_load reboots with the reason" {
	server
	echo "recover=kexec" >>"$CONF"
	EARLYGUARD_TEST_KEXEC_ERRNO=1 run timeout 90 ip netns exec "$NS" env \
		EARLYGUARD_TEST_KEXEC_ERRNO=1 "$EG" -c "$CONF" --cmdline "$CMDLINE" fetch
	assert_output --partial "earlyguard: fetch: kexec: "
	assert_output --partial "lockdown"
	assert_output --regexp "reboot.*kexec: "
	assert_untouched
}

@test "fetch: a rootfs artifact is written in place into fetch_rootfs; the slot boots with root= it" {
	BUNDLE=$F/bundle-rootfs server
	head -c 3000000 /dev/zero >"$T/rootfs-part"
	echo "fetch_rootfs=$T/rootfs-part" >>"$CONF"
	echo "BOOT_IMAGE=/boot/earlyguard/recovery/vmlinuz root=/dev/vda2 earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080 quiet earlyguard.entry=recovery earlyguard.attempt=1 earlyguard.recover=fetch" >"$CMDLINE"
	fetch
	assert_success
	assert_line "fetch: manifest verified (key $F/keys/earlyguard-bundle.pub.pem, 3 artifacts, 3.2 MiB)"
	assert_line "fetch: $SLOTS/trial/slot.env: eg_slot_args=earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080 quiet earlyguard.recover=retry root=$T/rootfs-part"
	assert_line "fetch: trial slot written and verified; next boot: trial (one-shot)"
	cmp "$F/src/rootfs.img" "$T/rootfs-part" || fail "the rootfs differs"
	cmp "$F/src/vmlinuz-6.1" "$SLOTS/trial/vmlinuz" || fail "trial/vmlinuz differs"
	run "$EG" grubenv -f "$SLOTS/trial/slot.env" get eg_slot_args
	assert_output "earlyguard.net=eg0:10.0.2.15/24 earlyguard.server=10.0.2.2:8080 quiet earlyguard.recover=retry root=$T/rootfs-part"
	run "$EG" grubenv -f "$ENV" get eg_trial
	assert_output trial
}

@test "fetch: a rootfs artifact without fetch_rootfs is refused before any artifact" {
	BUNDLE=$F/bundle-rootfs server
	fetch
	assert_failure 1
	assert_output --partial "manifest line 4: rootfs.img is a rootfs: set fetch_rootfs= to the partition it is written to"
	assert_untouched
}

@test "fetch: a tampered rootfs: refused; the trial scheduled before is unselected before the rootfs is written" {
	BUNDLE=$F/bundle-rootfs server --tamper rootfs.img
	: >"$T/rootfs-part"
	echo "fetch_rootfs=$T/rootfs-part" >>"$CONF"
	"$EG" grubenv -f "$ENV" set eg_trial=trial >/dev/null
	fetch
	assert_failure 1
	assert_output --partial "rootfs.img: SHA-256 "
	assert_line "fetch: eg_trial=trial cleared while the slot is replaced"
	run "$EG" grubenv -f "$ENV" get eg_trial
	assert_failure
	run cat "$SLOTS/trial/vmlinuz" "$SLOTS/trial/slot.env"
	assert_output "kernel trial
old args"
}

@test "fetch: a slot without room for the kernel and the initrd is refused before the download" {
	mkdir -p "$T/small"
	mount -t tmpfs -o size=512k tmpfs "$T/small" 2>/dev/null || skip "cannot mount a tmpfs here"
	echo "fetch_slot=$T/small" >>"$CONF"
	server
	fetch
	umount "$T/small"
	assert_failure 1
	assert_output --partial "earlyguard: fetch: $T/small has "
	assert_output --partial "free; the kernel and the initrd need 1.2 MiB"
	run cat "$LOG"
	assert_output "GET /manifest HTTP/1.1
GET /manifest.sig HTTP/1.1"
}

@test "fetch: a fetch_rootfs that cannot be opened is refused and never removed" {
	BUNDLE=$F/bundle-rootfs server
	python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' "$T/rootfs-sock"
	echo "fetch_rootfs=$T/rootfs-sock" >>"$CONF"
	fetch
	assert_failure 111
	assert_output --partial "unable to open fetch_rootfs $T/rootfs-sock: "
	[ -S "$T/rootfs-sock" ] || fail "fetch_rootfs was removed"
	assert_untouched
}
