# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=bash
#
# heal.sh - the emulated network of the network self-heal scenarios
# (issue 7, M40-M47).  Sourced after lib.sh, never executed.
#
# The watched uplink is eth0, QEMU's netdev n0 (EG_NET=1: user networking,
# restrict=on, the ssh forward).  eg_set_link takes its carrier away and
# gives it back, as a pulled cable would.  Whatever the guest must still
# reach while n0 is down comes through more NICs, one per word of
# EG_NIC2 (eth1 is n1, eth2 is n2, ...), each on its own subnet:
#
#   user       user networking, restrict=on, 10.0.5.0/24 (guest
#              10.0.5.15, QEMU 10.0.5.2), with its own forward
#              127.0.0.1:PORT -> guest port 22: eg_ssh_via n1 logs in
#              through it while n0 is down
#   responder  the emulated LAN of test/qemu/lan-responder.py (guest
#              10.0.3.15/24): a host at 10.0.3.2 that answers ARP, ping
#              and TCP SYNs while it runs (eg_responder_start/_stop), the
#              ping veto's target.  QEMU carries the frames over unix
#              datagram sockets in EG_SOCKDIR (-netdev dgram): nothing is
#              bound to an IP address on the host
#   peer       a cable between two VMs of the scenario running at once
#              (-netdev stream over a unix socket in EG_SOCKDIR): peer
#              ID (eg_peer) is 10.0.4.ID/24
#
# Every extra NIC's guest address goes on the kernel command line as
# egtest.ethN=ADDR/PREFIX, which the rootfs' rcS configures ("EG-ROOTFS:
# network up on ethN (ADDR)"), so EG_NIC2 needs a -kernel boot, not
# EG_DISK.  No default route anywhere: each NIC's subnet is on-link, and
# every address a scenario reaches (10.0.2.2, 10.0.5.2, 10.0.3.2, the
# other peer) is on one of them, so the guest answers a connection on the
# NIC it came in on even while eth0 has no carrier.  A scenario that adds
# a default route must not put it on eth0 for a target it wants reached
# through another NIC: Linux keeps using a route through a NIC without
# carrier (it only flags it "linkdown").
#
# Guest helpers in the rootfs (images/build.sh): eg-gadget (a USB
# mass-storage gadget on dummy_hcd, for usb_guard; egtest.gadget=FILE on
# the command line sets one up at boot) and eg-carrier (egtest.carrier=
# IFACE[,IFACE]: a "EG-CARRIER: IFACE carrier C operstate S" line on the
# console with the kernel's timestamp at boot and at every change, polled
# every 0.1 s: the guest-time reference for "within 1 s of the link going
# down").

EG_LAN_RESPONDER=$EG_TOP/test/qemu/lan-responder.py
# The responder's address on the emulated LAN, and the guest's there.
EG_LAN_IP=10.0.3.2
EG_LAN_GUEST=10.0.3.15/24
# The second user network's subnet and the guest's address in it.
EG_USER2_NET=10.0.5.0/24
EG_USER2_GUEST=10.0.5.15/24
EG_RESPONDER_PID=    # the running responder's pid, empty when none
EG_LINK_AT=0         # host cs just after the last eg_set_link was answered
EG_PEER_ID=1         # the peer the next boot is (eg_peer)
EG_NIC2_QEMU=()      # set by eg_nic2_args for lib.sh's eg_boot
# shellcheck disable=SC2034 # read by lib.sh's eg_boot
EG_NIC2_APPEND=

# eg_lan_sock: the responder's socket, where a responder NIC sends.
eg_lan_sock() {
	echo "$EG_SOCKDIR/lan.sock"
}

# eg_peer_sock: the unix socket peer 1 listens on and peer 2 connects to.
eg_peer_sock() {
	echo "$EG_SOCKDIR/peer.sock"
}

# eg_nic2_args N: called by eg_boot for boot N when EG_NIC2 is set: the
# QEMU arguments of each extra NIC into EG_NIC2_QEMU, the guest's
# addresses (egtest.ethK=...) into EG_NIC2_APPEND.  Records a failure on
# an unknown or repeated mode, on an EG_DISK boot (no command line to put
# the addresses on), and when eth0 would not be n0.
eg_nic2_args() {
	local n=$1 sfx='' k=0 mode mac seen=' '
	[ "$n" = 1 ] || sfx=.$n
	EG_NIC2_QEMU=() EG_NIC2_APPEND=
	if [ "$EG_NET" != 1 ] && [ -z "${EG_FETCH_PORT:-}" ]; then
		eg_fail "EG_NIC2=$EG_NIC2: eth0 must be n0, so set EG_NET=1"
		return 1
	fi
	if [ -n "${EG_DISK:-}" ]; then
		eg_fail "EG_NIC2=$EG_NIC2: the guest's addresses go on the kernel command line, which an EG_DISK boot does not take"
		return 1
	fi
	for mode in $EG_NIC2; do
		k=$((k + 1))
		case $seen in
		*" $mode "*) eg_fail "EG_NIC2=$EG_NIC2: $mode twice (one subnet each)"; return 1 ;;
		esac
		seen+="$mode "
		# Locally administered addresses, one per NIC and peer: two
		# peers' NICs meet on one segment.
		mac=$(printf '52:54:00:e7:%02x:%02x' "$k" "$EG_PEER_ID")
		case $mode in
		user)
			# Its own subnet: QEMU is 10.0.5.2 there, the
			# forwarded connections come from it.
			EG_NIC2_QEMU+=(-netdev "user,id=n$k,restrict=on,net=$EG_USER2_NET,hostfwd=tcp:127.0.0.1:0-:22")
			EG_NIC2_APPEND+=" egtest.eth$k=$EG_USER2_GUEST"
			;;
		responder)
			# QEMU binds its end (removed first: a socket file of
			# an earlier boot would make the bind fail) and sends
			# every frame to the responder's socket, which need
			# not exist yet: until it does, frames are lost.
			local qsock=$EG_SOCKDIR/lan-n$k$sfx.sock
			rm -f "$qsock"
			EG_NIC2_QEMU+=(-netdev "dgram,id=n$k,local.type=unix,local.path=$qsock,remote.type=unix,remote.path=$(eg_lan_sock)")
			EG_NIC2_APPEND+=" egtest.eth$k=$EG_LAN_GUEST"
			;;
		peer)
			if [ "$EG_PEER_ID" = 1 ]; then
				rm -f "$(eg_peer_sock)"
				EG_NIC2_QEMU+=(-netdev "stream,id=n$k,server=on,addr.type=unix,addr.path=$(eg_peer_sock)")
			else
				# QEMU 7.2 connects once, at start, and never
				# again: peer 1 must be listening.
				eg_await_file "$(eg_peer_sock)" 10 socket ||
					{ eg_fail "peer $EG_PEER_ID: peer 1 is not listening on $(eg_peer_sock) (start it first)"; return 1; }
				EG_NIC2_QEMU+=(-netdev "stream,id=n$k,server=off,addr.type=unix,addr.path=$(eg_peer_sock)")
			fi
			EG_NIC2_APPEND+=" egtest.eth$k=10.0.4.$EG_PEER_ID/24"
			;;
		*)
			eg_fail "EG_NIC2: unknown mode '$mode' (user, responder or peer)"
			return 1
			;;
		esac
		EG_NIC2_QEMU+=(-device "virtio-net-pci,netdev=n$k,mac=$mac,romfile=")
	done
	EG_NIC2_APPEND=${EG_NIC2_APPEND# }
}

# eg_await_file PATH SECONDS [socket]: wait until PATH exists (a socket
# with "socket"), for at most SECONDS; fails without recording.
eg_await_file() {
	local end now
	eg_now now
	end=$((now + $2 * 100))
	for (( ; ; )); do
		if [ "${3:-}" = socket ]; then
			[ -S "$1" ] && return 0
		else
			[ -e "$1" ] && return 0
		fi
		eg_now now
		[ "$now" -lt "$end" ] || return 1
		sleep "$EG_POLL"
	done
}

# ---- the link ----

# eg_set_link NAME up|down: QMP set_link on the current VM: NAME is the
# netdev id (n0 is eth0; the NIC behind it follows, as a pulled cable
# takes the carrier from both ends).  Sets EG_LINK_AT to the host time
# just after QEMU answered, the reference for how fast the guest saw it.
# Records a failure unless QEMU answers with success.
eg_set_link() {
	local name=$1 up reply rc
	case $2 in
	up) up=true ;;
	down) up=false ;;
	*) eg_fail "eg_set_link $name: '$2' is neither up nor down"; return 1 ;;
	esac
	case $name in
	'' | *[!A-Za-z0-9_.-]*) eg_fail "eg_set_link: bad netdev name '$name'"; return 1 ;;
	esac
	reply=$("$EG_QMP" "$EG_CTL" --cmd \
		"{\"execute\":\"set_link\",\"arguments\":{\"name\":\"$name\",\"up\":$up}}" \
		2>>"$EG_QEMULOG")
	rc=$?
	eg_now EG_LINK_AT
	if [ "$rc" != 0 ] || ! printf '%s\n' "$reply" | grep -q '"return"'; then
		eg_fail "set_link $name $2 failed (qmp rc $rc): $reply"
		return 1
	fi
	eg_note "link: $name $2 at host $(eg_cs $((EG_LINK_AT - EG_T_START))) s after QEMU start"
}

# ---- the LAN responder ----

# eg_responder_start [IP[,IP...] [TCPPORT...]]: lan-responder.py on the
# emulated LAN's socket, answering ARP and ping for each IP (default
# EG_LAN_IP; all on 10.0.3.0/24 to be reached) and TCP SYNs with SYN-ACK
# on each TCPPORT (RST on any other port); returns
# once it is bound (10 s at most).  Its answers go to responder.log, one a
# line.  Ended by eg_responder_stop or with the scenario's VMs
# (eg_kill_all).  May run before or after the boot, and be started again
# after a stop.
eg_responder_start() {
	local ip=${1:-$EG_LAN_IP} ready=$EG_WORK/responder.ready port pid sock
	local tcp=()
	[ $# -eq 0 ] || shift
	for port; do tcp+=(--tcp "$port"); done
	[ -z "$EG_RESPONDER_PID" ] || { eg_fail "eg_responder_start: one runs already (pid $EG_RESPONDER_PID)"; return 1; }
	command -v python3 >/dev/null || { eg_fail "python3 not found (test/deps.sh installs it)"; return 1; }
	rm -f "$ready"
	python3 "$EG_LAN_RESPONDER" --sock "$(eg_lan_sock)" --ip "$ip" "${tcp[@]}" \
		--ready "$ready" --log "$EG_WORK/responder.log" 2>>"$EG_WORK/responder.err" &
	EG_RESPONDER_PID=$!
	EG_HELPERS+=("$EG_RESPONDER_PID")
	if ! eg_await_file "$ready" 10; then
		eg_fail "the LAN responder did not start: $(tail -n 3 "$EG_WORK/responder.err")"
		eg_responder_stop
		return 1
	fi
	read -r pid sock <"$ready"
	eg_note "LAN responder: pid $pid, $ip${tcp[*]:+ (${tcp[*]})} on $sock"
}

# eg_responder_stop: end the responder (SIGTERM, SIGKILL after 5 s) and
# wait for it: from then on nothing answers on the emulated LAN.  Does
# nothing when none runs.
eg_responder_stop() {
	local pid=$EG_RESPONDER_PID end now p keep=()
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	eg_now now
	end=$((now + 500))
	while kill -0 "$pid" 2>/dev/null; do
		eg_now now
		if [ "$now" -ge "$end" ]; then
			kill -KILL "$pid" 2>/dev/null
			break
		fi
		sleep 0.1
	done
	wait "$pid" 2>/dev/null
	for p in "${EG_HELPERS[@]}"; do
		[ "$p" = "$pid" ] || keep+=("$p")
	done
	EG_HELPERS=("${keep[@]}")
	EG_RESPONDER_PID=
	eg_note "LAN responder: stopped"
}

# ---- two VMs at once ----

# eg_peer ID: the next boot is peer ID (1 or 2): its peer NIC (EG_NIC2
# word "peer") is 10.0.4.ID/24, and its record disk is its own,
# $EG_WORK/state.peerID.img (made empty the first time), so two peers can
# run at once.  Peer 1 listens for the cable, peer 2 plugs into it:
# boot peer 1 first.
eg_peer() {
	case $1 in
	1 | 2) ;;
	*) eg_fail "eg_peer: '$1' is not 1 or 2"; return 1 ;;
	esac
	EG_PEER_ID=$1
	EG_STATE_IMG=$EG_WORK/state.peer$1.img
	[ -f "$EG_STATE_IMG" ] || truncate -s 1M "$EG_STATE_IMG" ||
		{ eg_fail "cannot make $EG_STATE_IMG"; return 1; }
}

# eg_use N: make boot N (started earlier by eg_boot, maybe still running)
# the current one again, for every helper of lib.sh: the console and QMP
# logs, the control socket (eg_stop, eg_set_link), the exit file, ssh (its
# port is asked again).  For scenarios that run two VMs at once.
# shellcheck disable=SC2034 # lib.sh's variables of the current boot
eg_use() {
	local n=$1 sfx='' saved
	[ "$n" = 1 ] || sfx=.$n
	saved=${EG_BOOT_SAVED[n]:-}
	[ -n "$saved" ] || { eg_fail "eg_use $n: no boot $n was started"; return 1; }
	read -r EG_T_START EG_BOOT_NET EG_BOOT_REBOOTS <<<"$saved"
	EG_CONSOLE=$EG_WORK/console$sfx.log
	EG_QMPLOG=$EG_WORK/qmp$sfx.log
	EG_QEMULOG=$EG_WORK/qemu$sfx.log
	EG_EXITF=$EG_WORK/exit$sfx
	EG_PIDF=$EG_WORK/pid$sfx
	EG_CTL=$EG_SOCKDIR/ctl$sfx.sock
	EG_RC='' EG_OUTCOME='' EG_T_EXIT=0 EG_SSH_PORT=
}

# ---- ssh through another NIC ----

# eg_ssh_via NETDEV USER CMD...: eg_ssh through the forward of the
# user-net NETDEV (n1 for EG_NIC2=user) instead of n0's: works while n0
# is down.  Same results and log as eg_ssh.
# shellcheck disable=SC2034,SC2153 # lib.sh's EG_SSH_* results and count
eg_ssh_via() {
	local netdev=$1 saved=$EG_SSH_PORT port rc
	shift
	EG_SSH_RC=255 EG_SSH_OUT='' EG_SSH_ERR=''
	port=$(eg_usernet_port "$netdev") || return 255
	EG_SSH_PORT=$port
	eg_ssh "$@"
	rc=$?
	EG_SSH_PORT=$saved
	printf '  (#%d went through %s, 127.0.0.1:%s)\n' "$EG_SSH_N" "$netdev" "$port" >>"$EG_WORK/ssh.log"
	return "$rc"
}
