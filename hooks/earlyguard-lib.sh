# SPDX-License-Identifier: GPL-2.0-or-later
# shellcheck shell=sh
#
# earlyguard-lib.sh - the shell functions every initramfs generator adapter
# calls (dracut, mkinitcpio, initramfs-tools).  Sourced, never executed.
# POSIX sh: it runs under busybox ash, klibc sh and dash, at build time on
# the host and at boot inside the initramfs.
#
# Boot side (inside the initramfs):
#   eg_arm             run `earlyguard init` once; never aborts the boot
#   eg_fetch_entry     `earlyguard fetch --auto=entry`: on GRUB's recovery
#                      entry with recover=fetch and a server=, the
#                      known-good bundle before the root is mounted (it
#                      reboots, or kexecs, into it); otherwise nothing.
#                      Never aborts the boot
#   eg_rescue REASON   `earlyguard fetch --auto=noroot` (the known-good
#                      bundle, when recover=fetch and a server= ask for
#                      it), then `earlyguard rescue REASON`; does not return
# Build side (on the host, while the generator builds the image):
#   eg_driver_modules  the kernel modules of the configured watchdog driver,
#                      one a line
#   eg_install_files   the files to put in the image, "SOURCE TARGET" a line
#
# Paths, overridable from the environment (the test builds point them at
# the source tree; an installed system uses the defaults):
#   EARLYGUARD_BIN   the binary            (default /sbin/earlyguard)
#   EARLYGUARD_CONF  the configuration     (default /etc/earlyguard.conf)
#   EARLYGUARD_LIB   this library          (default /usr/lib/earlyguard/earlyguard-lib.sh)

: "${EARLYGUARD_BIN:=/sbin/earlyguard}"
: "${EARLYGUARD_CONF:=/etc/earlyguard.conf}"
: "${EARLYGUARD_LIB:=/usr/lib/earlyguard/earlyguard-lib.sh}"

# Where the pieces go inside the image, whatever their source on the host.
EG_IMAGE_BIN=/sbin/earlyguard
EG_IMAGE_CONF=/etc/earlyguard.conf
EG_IMAGE_LIB=/usr/lib/earlyguard/earlyguard-lib.sh
# Made by the first eg_arm of a boot (/run is carried into the new root).
EG_ARMED_MARK=/run/earlyguard/armed-by-hook

# eg_log MESSAGE...: to the kernel log (the console shows it with the
# kernel's messages; EARLYGUARD_KMSG, as for the binary, redirects it in
# tests), else to stderr.  Never fails.
eg_log() {
	if [ -w "${EARLYGUARD_KMSG:-/dev/kmsg}" ]; then
		printf 'earlyguard: %s\n' "$*" >>"${EARLYGUARD_KMSG:-/dev/kmsg}" 2>/dev/null && return 0
	fi
	printf 'earlyguard: %s\n' "$*" >&2 2>/dev/null
	return 0
}

# eg_build_log MESSAGE...: build side (on the host, inside the generator's
# run): to stderr, where the person running the generator sees it, never
# to the build host's kernel log.
eg_build_log() {
	printf 'earlyguard: %s\n' "$*" >&2 2>/dev/null
	return 0
}

# eg_arm: arm the watchdog and start the guard, once per boot.  A generator
# may call its early hook more than once (or two adapters may be in one
# image); $EG_ARMED_MARK makes the second call a no-op.
# Failure is logged, never returned: the boot goes on unguarded rather
# than not at all, and `earlyguard init` has said why in the kernel log.
eg_arm() {
	if [ -e "$EG_ARMED_MARK" ]; then
		return 0
	fi
	if [ ! -x "$EG_IMAGE_BIN" ]; then
		eg_log "hook: $EG_IMAGE_BIN missing from the initramfs; the watchdog is not armed"
		return 0
	fi
	"$EG_IMAGE_BIN" init
	rc=$?
	mkdir -p "${EG_ARMED_MARK%/*}" 2>/dev/null && : >"$EG_ARMED_MARK" 2>/dev/null
	if [ "$rc" != 0 ]; then
		eg_log "hook: earlyguard init failed (exit $rc); the guard may be missing"
	fi
	return 0
}

# eg_fetch_entry: the recovery entry's fetch, at the generator's last hook
# before the root is mounted (the network card's driver must be loaded by
# then: udev, or the generator's module list).  `earlyguard fetch
# --auto=entry` decides; it returns only when it does nothing (or could
# not reboot), and the boot goes on.
eg_fetch_entry() {
	if [ ! -x "$EG_IMAGE_BIN" ]; then
		eg_log "hook: $EG_IMAGE_BIN missing from the initramfs; no recovery fetch"
		return 0
	fi
	"$EG_IMAGE_BIN" fetch --auto=entry ||
		eg_log "hook: earlyguard fetch --auto=entry failed (exit $?); booting on"
	return 0
}

# eg_rescue REASON...: what the generator's emergency shell becomes: the
# known-good fetch when the configuration asks for one (recover=fetch and
# a server=; it reboots into the fetched slot, or after its deadline),
# else say why, a bounded shell on the console, then reboot.  Does not
# return: if
# rescue itself cannot run, the guard (when armed) still reboots the
# machine at its deadline, and nothing here waits for a person.
eg_rescue() {
	if [ -x "$EG_IMAGE_BIN" ]; then
		eg_log "hook: $*"
		"$EG_IMAGE_BIN" fetch --auto=noroot
		"$EG_IMAGE_BIN" rescue "$@"
		eg_log "hook: earlyguard rescue returned ($?); waiting for the watchdog"
	else
		eg_log "hook: $EG_IMAGE_BIN missing; rescue impossible, rebooting: $*"
		reboot -f 2>/dev/null || echo b >/proc/sysrq-trigger 2>/dev/null
	fi
	while :; do sleep 3600; done
}

# eg_config_get KEY: the value in force for KEY at build time: the
# configuration file only, never the build host's kernel command line.
eg_config_get() {
	if [ -r "$EARLYGUARD_CONF" ]; then
		"$EARLYGUARD_BIN" -c "$EARLYGUARD_CONF" --cmdline /dev/null config get "$1"
	else
		"$EARLYGUARD_BIN" -c /dev/null --cmdline /dev/null config get "$1"
	fi
}

# eg_driver_modules: the modules of the configured driver= (a comma list,
# "none" for a built-in driver), one a line.  Fails, saying why, when the
# configuration cannot be read or `earlyguard config check` finds problems.
eg_driver_modules() {
	# A value the binary refuses reads back as the default; an image
	# built from it would lack the driver, so refuse to build instead.
	if [ -r "$EARLYGUARD_CONF" ] &&
		! "$EARLYGUARD_BIN" -c "$EARLYGUARD_CONF" --cmdline /dev/null config check >/dev/null; then
		eg_build_log "build: $EARLYGUARD_CONF has problems (see above); fix them first"
		return 1
	fi
	drivers=$(eg_config_get driver) || {
		eg_build_log "build: unable to read driver= from $EARLYGUARD_CONF with $EARLYGUARD_BIN"
		return 1
	}
	old_ifs=$IFS
	IFS=,
	# shellcheck disable=SC2086 # the comma list becomes words on purpose
	set -- $drivers
	IFS=$old_ifs
	for m in "$@"; do
		case "$m" in
		'' | none) ;;
		*[!A-Za-z0-9_-]*)
			eg_build_log "build: bad module name in driver=: '$m'"
			return 1
			;;
		*) printf '%s\n' "$m" ;;
		esac
	done
}

# eg_install_files: "SOURCE TARGET" lines: the binary, this library, the
# configuration when there is one, and the fetch_key public key when that
# file exists.  Fails when the binary is missing.
eg_install_files() {
	if [ ! -f "$EARLYGUARD_BIN" ]; then
		eg_build_log "build: $EARLYGUARD_BIN not found"
		return 1
	fi
	printf '%s %s\n' "$EARLYGUARD_BIN" "$EG_IMAGE_BIN"
	printf '%s %s\n' "$EARLYGUARD_LIB" "$EG_IMAGE_LIB"
	if [ -f "$EARLYGUARD_CONF" ]; then
		printf '%s %s\n' "$EARLYGUARD_CONF" "$EG_IMAGE_CONF"
	fi
	# the public key of the known-good fetch, where the fetch looks for it
	key=$(eg_config_get fetch_key 2>/dev/null) || key=
	case "$key" in
	/*) [ ! -f "$key" ] || printf '%s %s\n' "$key" "$key" ;;
	esac
}
