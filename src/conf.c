/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "conf.h"
#include "uplink.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#define H 3600u
#define M 60u

const struct eg_keydef eg_keys[EG_K_COUNT] = {
	/* watchdog device node */
	[EG_K_DEVICE] = {"device", EG_T_PATH, 0, 0, "/dev/watchdog"},
	/* watchdog driver module(s) to load first */
	[EG_K_DRIVER] = {"driver", EG_T_MODLIST, 0, 0, ""},
	/* hardware watchdog timeout */
	[EG_K_TIMEOUT] = {"timeout", EG_T_DURATION, 1, H, "30s"},
	/* time from arming to switch_root before a reboot */
	[EG_K_DEADLINE] = {"deadline", EG_T_DURATION, 10, 24 * H, "10m"},
	/* console shell window before a rescue reboot */
	[EG_K_RESCUE] = {"rescue", EG_T_DURATION, 0, H, "60s"},
	/* reboot delay after a kernel panic, if the kernel would wait forever */
	[EG_K_PANIC] = {"panic", EG_T_DURATION, 1, H, "10s"},
	/* boot record device: /dev/..., PARTLABEL=name, or none */
	[EG_K_RECORD] = {"record", EG_T_RECORD, 0, 0, ""},
	/* how long the project's init waits for the root device */
	[EG_K_ROOTWAIT] = {"rootwait", EG_T_DURATION, 1, H, "30s"},
	/* modules the project's init loads before looking for root */
	[EG_K_MODULES] = {"modules", EG_T_MODLIST, 0, 0, ""},
	/* after switch_root, reboot unless the daemon takes over (0: off) */
	[EG_K_HANDOFF_TIMEOUT] = {"handoff_timeout", EG_T_DURATION, 0, 24 * H, "5m"},
	/* reboot unless `earlyguard disarm` confirms the boot (0: off) */
	[EG_K_CONFIRM_TIMEOUT] = {"confirm_timeout", EG_T_DURATION, 0, 7 * 24 * H, "10m"},
	/* once armed, `earlyguard checkin` is due this often (0: off) */
	[EG_K_CHECKIN_INTERVAL] = {"checkin_interval", EG_T_DURATION, 0, 7 * 24 * H, "0"},
	/* after a missed check-in and a network restart, reboot after this */
	[EG_K_CHECKIN_GRACE] = {"checkin_grace", EG_T_DURATION, 10, 24 * H, "5m"},
	/* command run (sh -c) when a check-in is missed */
	[EG_K_NETWORK_RESTART] = {"network_restart", EG_T_COMMAND, 0, 0, ""},
	/* watchdog timeout while shutting down */
	[EG_K_SHUTDOWN_TIMEOUT] = {"shutdown_timeout", EG_T_DURATION, 10, H, "10m"},
	/* how the daemon asks the init system to reboot */
	[EG_K_REBOOT_COMMAND] = {"reboot_command", EG_T_COMMAND, 0, 0, "/sbin/reboot"},
	/* persistent state of the daemon */
	[EG_K_STATE_DIR] = {"state_dir", EG_T_PATH, 0, 0, "/var/lib/earlyguard"},
	/* GRUB's environment block (earlyguard grubenv) */
	[EG_K_GRUBENV] = {"grubenv", EG_T_PATH, 0, 0, "/boot/grub/grubenv"},
	/* GRUB's boot slots (earlyguard trial, promote) */
	[EG_K_GRUB_SLOTS] = {"grub_slots", EG_T_PATH, 0, 0, "/boot/earlyguard"},
	/* the recovery network: a static IPv4 address on one interface */
	[EG_K_NET] = {"net", EG_T_NET, 0, 0, ""},
	/* the known-good server, by address */
	[EG_K_SERVER] = {"server", EG_T_SERVER, 0, 0, ""},
	/* how long to wait for the carrier of net='s interface */
	[EG_K_NET_CARRIER_TIMEOUT] = {"net_carrier_timeout", EG_T_DURATION, 1, 5 * M, "10s"},
	/* when the local root cannot be used: reboot (retry) or fetch (GRUB's
	 * recovery entry passes earlyguard.recover=fetch) */
	[EG_K_RECOVER] = {"recover", EG_T_RECOVER, 0, 0, "retry"},
	/* the bundle's directory on the server, as the path of a URL */
	[EG_K_FETCH_PATH] = {"fetch_path", EG_T_URLPATH, 0, 0, "/"},
	/* the public key that checks the manifest's signature */
	[EG_K_FETCH_KEY] = {"fetch_key", EG_T_PATH, 0, 0, "/etc/earlyguard/fetch.pub.pem"},
	/* or the manifest's SHA-256, pinned: no signature needed */
	[EG_K_FETCH_PIN] = {"fetch_pin", EG_T_SHA256, 0, 0, ""},
	/* the slot directory the fetch writes; none: grub_slots/trial */
	[EG_K_FETCH_SLOT] = {"fetch_slot", EG_T_OPTPATH, 0, 0, ""},
	/* the whole fetch, retries included, then a reboot */
	[EG_K_FETCH_DEADLINE] = {"fetch_deadline", EG_T_DURATION, 5, 24 * H, "10m"},
	/* a connect, or a read that brings nothing */
	[EG_K_FETCH_TIMEOUT] = {"fetch_timeout", EG_T_DURATION, 1, 5 * M, "10s"},
	/* the longest wait between two tries */
	[EG_K_FETCH_RETRY_MAX] = {"fetch_retry_max", EG_T_DURATION, 1, H, "60s"},
	/* the boot partition (grubenv, grub_slots): the fetch mounts it
	 * read-write on boot_dir in the initramfs, unless it is mounted */
	[EG_K_BOOT_DEV] = {"boot_dev", EG_T_RECORD, 0, 0, ""},
	[EG_K_BOOT_DIR] = {"boot_dir", EG_T_PATH, 0, 0, "/boot"},
	/* the partition (or file) a bundle's rootfs artifact is written to;
	 * the fetched slot then boots with root= it */
	[EG_K_FETCH_ROOTFS] = {"fetch_rootfs", EG_T_RECORD, 0, 0, ""},
	/* the network self-heal (the daemon): the watched uplink, none: off */
	[EG_K_IFACE] = {"iface", EG_T_IFACE, 0, 0, ""},
	/* healthy needs an IPv4 address as well as the carrier */
	[EG_K_CHECK_V4] = {"check_v4", EG_T_BOOL, 0, 1, "1"},
	/* unhealthy this long before the ladder starts (a flap is only logged) */
	[EG_K_HEAL_GRACE] = {"heal_grace", EG_T_DURATION, 0, 10 * M, "1s"},
	/* after each stage, wait at most this for the uplink to be healthy */
	[EG_K_RECHECK_SLEEP] = {"recheck_sleep", EG_T_DURATION, 1, H, "15s"},
	/* stage 2: re-apply the network configuration (sh -c) */
	[EG_K_NETWORK_REAPPLY] = {"network_reapply", EG_T_COMMAND, 0, 0, ""},
	/* failed ladder runs before a reboot is considered */
	[EG_K_MAX_FAILS] = {"max_fails", EG_T_COUNT, 1, 1000, "2"},
	/* between two failed ladder runs */
	[EG_K_HEAL_INTERVAL] = {"heal_interval", EG_T_DURATION, 1, 24 * H, "10m"},
	/* at most one recovery reboot per this, across reboots (0: no limit) */
	[EG_K_REBOOT_COOLDOWN] = {"reboot_cooldown", EG_T_DURATION, 0, 7 * 24 * H, "1h"},
	/* no recovery reboot while a USB mass-storage LUN presents a file */
	[EG_K_USB_GUARD] = {"usb_guard", EG_T_BOOL, 0, 1, "1"},
	/* ... only while that gadget is bound to a UDC */
	[EG_K_USB_GUARD_REQUIRE_UDC] = {"usb_guard_require_udc", EG_T_BOOL, 0, 1, "0"},
	[EG_K_USB_GADGET_DIR] = {"usb_gadget_dir", EG_T_PATH, 0, 0, "/sys/kernel/config/usb_gadget"},
	/* no recovery reboot while a target answers */
	[EG_K_PING_VETO] = {"ping_veto", EG_T_BOOL, 0, 1, "1"},
	[EG_K_PING_VETO_IP1] = {"ping_veto_ip1", EG_T_PROBE, 0, 0, ""},
	[EG_K_PING_VETO_IP2] = {"ping_veto_ip2", EG_T_PROBE, 0, 0, ""},
	/* how long the targets have to answer (both are probed at once; the
	 * guards' answer is bounded by EG_HEAL_GUARDS_MS) */
	[EG_K_PING_TIMEOUT] = {"ping_timeout", EG_T_DURATION, 1, 8, "2s"},
	/* healthy needs one of these to answer through iface too (none: the
	 * link's carrier and address are the health) */
	[EG_K_HEALTH_PROBE1] = {"health_probe1", EG_T_PROBE, 0, 0, ""},
	[EG_K_HEALTH_PROBE2] = {"health_probe2", EG_T_PROBE, 0, 0, ""},
	/* a round of the health probe this often while it is answered */
	[EG_K_HEALTH_PROBE_INTERVAL] = {"health_probe_interval", EG_T_DURATION, 1, H, "10s"},
	/* how long a round has to be answered */
	[EG_K_HEALTH_PROBE_TIMEOUT] = {"health_probe_timeout", EG_T_DURATION, 1, M, "2s"},
	/* unanswered rounds in a row before the uplink is unhealthy */
	[EG_K_HEALTH_PROBE_MISSES] = {"health_probe_misses", EG_T_COUNT, 1, 100, "3"},
	/* the peer watch (the daemon): the other machine, none: off */
	[EG_K_PEER] = {"peer", EG_T_PEER, 0, 0, ""},
	/* where its heartbeats come in; none: peer's port, any address */
	[EG_K_PEER_LISTEN] = {"peer_listen", EG_T_LISTEN, 0, 0, ""},
	/* the shared key, in hex (openssl rand -hex 32) */
	[EG_K_PEER_KEY] = {"peer_key", EG_T_PATH, 0, 0, "/etc/earlyguard/peer.key"},
	/* our name in the heartbeats; none: the host name */
	[EG_K_PEER_ID] = {"peer_id", EG_T_NODEID, 0, 0, ""},
	/* a heartbeat this often, and at once when our state changes */
	[EG_K_PEER_INTERVAL] = {"peer_interval", EG_T_DURATION, 1, M, "5s"},
	/* the longest a recovering or rebooting peer holds our reboot (0: never) */
	[EG_K_PEER_HOLD_MAX] = {"peer_hold_max", EG_T_DURATION, 0, 24 * H, "15m"},
	/* uplink failover (the daemon, with iface= the primary): the backup
	 * uplink, none: off */
	[EG_K_UPLINK2] = {"uplink2", EG_T_IFACE, 0, 0, ""},
	/* start and stop the backup (a PPPoE or L2TP session), and the primary */
	[EG_K_UPLINK2_UP] = {"uplink2_up", EG_T_COMMAND, 0, 0, ""},
	[EG_K_UPLINK2_DOWN] = {"uplink2_down", EG_T_COMMAND, 0, 0, ""},
	[EG_K_UPLINK1_UP] = {"uplink1_up", EG_T_COMMAND, 0, 0, ""},
	[EG_K_UPLINK1_DOWN] = {"uplink1_down", EG_T_COMMAND, 0, 0, ""},
	/* the two are one exclusive set: never both running */
	[EG_K_UPLINK_SET] = {"uplink_set", EG_T_BOOL, 0, 1, "0"},
	/* the ladder stage after which an unhealthy primary fails over */
	[EG_K_FAILOVER_STAGE] = {"failover_stage", EG_T_COUNT, 1, 3, "2"},
	/* the primary healthy this long, without a break, before fail-back */
	[EG_K_FAILBACK_AFTER] = {"failback_after", EG_T_DURATION, 1, 24 * H, "5m"},
	/* the default route's next hop through each; none: on-link (dev IFACE) */
	[EG_K_UPLINK1_GATEWAY] = {"uplink1_gateway", EG_T_IP4, 0, 0, ""},
	[EG_K_UPLINK2_GATEWAY] = {"uplink2_gateway", EG_T_IP4, 0, 0, ""},
	/* an up or down command, at most; then its process group is killed */
	[EG_K_UPLINK_CMD_TIMEOUT] = {"uplink_cmd_timeout", EG_T_DURATION, 1, H, "30s"},
};

/* Where each key lives in struct eg_conf. */
#define FIELD(f) {offsetof(struct eg_conf, f), sizeof(((struct eg_conf *)0)->f)}
static const struct {
	size_t off, size;
} fields[EG_K_COUNT] = {
	[EG_K_DEVICE] = FIELD(device),     [EG_K_DRIVER] = FIELD(driver),
	[EG_K_TIMEOUT] = FIELD(timeout_s), [EG_K_DEADLINE] = FIELD(deadline_s),
	[EG_K_RESCUE] = FIELD(rescue_s),   [EG_K_PANIC] = FIELD(panic_s),
	[EG_K_RECORD] = FIELD(record),     [EG_K_ROOTWAIT] = FIELD(rootwait_s),
	[EG_K_MODULES] = FIELD(modules),
	[EG_K_HANDOFF_TIMEOUT] = FIELD(handoff_s),
	[EG_K_CONFIRM_TIMEOUT] = FIELD(confirm_s),
	[EG_K_CHECKIN_INTERVAL] = FIELD(checkin_s),
	[EG_K_CHECKIN_GRACE] = FIELD(checkin_grace_s),
	[EG_K_NETWORK_RESTART] = FIELD(network_restart),
	[EG_K_SHUTDOWN_TIMEOUT] = FIELD(shutdown_s),
	[EG_K_REBOOT_COMMAND] = FIELD(reboot_command),
	[EG_K_STATE_DIR] = FIELD(state_dir),
	[EG_K_GRUBENV] = FIELD(grubenv),
	[EG_K_GRUB_SLOTS] = FIELD(grub_slots),
	[EG_K_NET] = FIELD(net),
	[EG_K_SERVER] = FIELD(server),
	[EG_K_NET_CARRIER_TIMEOUT] = FIELD(net_carrier_s),
	[EG_K_RECOVER] = FIELD(recover),
	[EG_K_FETCH_PATH] = FIELD(fetch_path),
	[EG_K_FETCH_KEY] = FIELD(fetch_key),
	[EG_K_FETCH_PIN] = FIELD(fetch_pin),
	[EG_K_FETCH_SLOT] = FIELD(fetch_slot),
	[EG_K_FETCH_DEADLINE] = FIELD(fetch_deadline_s),
	[EG_K_FETCH_TIMEOUT] = FIELD(fetch_timeout_s),
	[EG_K_FETCH_RETRY_MAX] = FIELD(fetch_retry_max_s),
	[EG_K_BOOT_DEV] = FIELD(boot_dev),
	[EG_K_BOOT_DIR] = FIELD(boot_dir),
	[EG_K_FETCH_ROOTFS] = FIELD(fetch_rootfs),
	[EG_K_IFACE] = FIELD(iface),
	[EG_K_CHECK_V4] = FIELD(check_v4),
	[EG_K_HEAL_GRACE] = FIELD(heal_grace_s),
	[EG_K_RECHECK_SLEEP] = FIELD(recheck_sleep_s),
	[EG_K_NETWORK_REAPPLY] = FIELD(network_reapply),
	[EG_K_MAX_FAILS] = FIELD(max_fails),
	[EG_K_HEAL_INTERVAL] = FIELD(heal_interval_s),
	[EG_K_REBOOT_COOLDOWN] = FIELD(reboot_cooldown_s),
	[EG_K_USB_GUARD] = FIELD(usb_guard),
	[EG_K_USB_GUARD_REQUIRE_UDC] = FIELD(usb_guard_require_udc),
	[EG_K_USB_GADGET_DIR] = FIELD(usb_gadget_dir),
	[EG_K_PING_VETO] = FIELD(ping_veto),
	[EG_K_PING_VETO_IP1] = FIELD(ping_veto_ip1),
	[EG_K_PING_VETO_IP2] = FIELD(ping_veto_ip2),
	[EG_K_PING_TIMEOUT] = FIELD(ping_timeout_s),
	[EG_K_HEALTH_PROBE1] = FIELD(health_probe1),
	[EG_K_HEALTH_PROBE2] = FIELD(health_probe2),
	[EG_K_HEALTH_PROBE_INTERVAL] = FIELD(health_probe_interval_s),
	[EG_K_HEALTH_PROBE_TIMEOUT] = FIELD(health_probe_timeout_s),
	[EG_K_HEALTH_PROBE_MISSES] = FIELD(health_probe_misses),
	[EG_K_PEER] = FIELD(peer),
	[EG_K_PEER_LISTEN] = FIELD(peer_listen),
	[EG_K_PEER_KEY] = FIELD(peer_key),
	[EG_K_PEER_ID] = FIELD(peer_id),
	[EG_K_PEER_INTERVAL] = FIELD(peer_interval_s),
	[EG_K_PEER_HOLD_MAX] = FIELD(peer_hold_max_s),
	[EG_K_UPLINK2] = FIELD(uplink2),
	[EG_K_UPLINK2_UP] = FIELD(uplink2_up),
	[EG_K_UPLINK2_DOWN] = FIELD(uplink2_down),
	[EG_K_UPLINK1_UP] = FIELD(uplink1_up),
	[EG_K_UPLINK1_DOWN] = FIELD(uplink1_down),
	[EG_K_UPLINK_SET] = FIELD(uplink_set),
	[EG_K_FAILOVER_STAGE] = FIELD(failover_stage),
	[EG_K_FAILBACK_AFTER] = FIELD(failback_after_s),
	[EG_K_UPLINK1_GATEWAY] = FIELD(uplink1_gateway),
	[EG_K_UPLINK2_GATEWAY] = FIELD(uplink2_gateway),
	[EG_K_UPLINK_CMD_TIMEOUT] = FIELD(uplink_cmd_timeout_s),
};
#undef FIELD

static uint32_t *duration_field(struct eg_conf *c, int key)
{
	return (uint32_t *)((char *)c + fields[key].off);
}

static char *text_field(struct eg_conf *c, int key, size_t *size)
{
	*size = fields[key].size;
	return (char *)c + fields[key].off;
}

uint32_t eg_conf_seconds(const struct eg_conf *c, int key)
{
	return *(const uint32_t *)((const char *)c + fields[key].off);
}

void eg_conf_defaults(struct eg_conf *c)
{
	char err[EG_MSG_MAX];

	memset(c, 0, sizeof *c);
	for (int k = 0; k < EG_K_COUNT; k++)
		eg_conf_set(c, k, eg_keys[k].def, EG_SRC_DEFAULT, err, sizeof err);
}

static char lower(char ch)
{
	return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

int eg_conf_lookup(const char *name, size_t len)
{
	for (int k = 0; k < EG_K_COUNT; k++) {
		const char *n = eg_keys[k].name;
		size_t i;

		if (strlen(n) != len)
			continue;
		for (i = 0; i < len && lower(name[i]) == n[i]; i++)
			;
		if (i == len)
			return k;
	}
	return -1;
}

bool eg_parse_duration(const char *s, uint64_t max_s, uint64_t *out_s)
{
	uint64_t total = 0;
	int last_rank = 4; /* units must come in the order h, m, s, once each */

	if (s == NULL || *s == '\0')
		return false;
	if (eg_parse_u64(s, &total))
		goto done;
	total = 0;
	while (*s) {
		uint64_t n = 0, mult;
		int rank, digits = 0;

		for (; *s >= '0' && *s <= '9'; s++, digits++) {
			if (n > (UINT64_MAX - 9) / 10)
				return false;
			n = n * 10 + (uint64_t)(*s - '0');
		}
		if (digits == 0)
			return false;
		switch (*s) {
		case 'h': rank = 3; mult = H; break;
		case 'm': rank = 2; mult = M; break;
		case 's': rank = 1; mult = 1; break;
		default: return false;
		}
		s++;
		if (rank >= last_rank)
			return false;
		last_rank = rank;
		if (n > max_s / mult || total > max_s - n * mult)
			return false;
		total += n * mult;
	}
done:
	if (total > max_s)
		return false;
	*out_s = total;
	return true;
}

static bool modname_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	       (ch >= '0' && ch <= '9') || ch == '_' || ch == '-';
}

/* "a, b c" -> "a,b,c"; false if a name is malformed or too long. */
static bool norm_modlist(const char *in, char *out, size_t size, char *why, size_t whylen)
{
	size_t o = 0;

	if (strcmp(in, "none") == 0)
		in = "";
	for (const char *p = in; *p;) {
		size_t n = 0;

		while (*p == ',' || *p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		while (p[n] && p[n] != ',' && p[n] != ' ' && p[n] != '\t') {
			if (!modname_char(p[n])) {
				snprintf(why, whylen, "'%c' cannot appear in a module name", p[n]);
				return false;
			}
			n++;
		}
		if (n >= EG_MODNAME_MAX) {
			snprintf(why, whylen, "a module name is longer than %d characters",
				 EG_MODNAME_MAX - 1);
			return false;
		}
		if (o + n + 2 > size) {
			snprintf(why, whylen, "the list is longer than %zu characters", size - 1);
			return false;
		}
		if (o)
			out[o++] = ',';
		memcpy(out + o, p, n);
		o += n;
		p += n;
	}
	out[o] = '\0';
	return true;
}

static bool path_ok(const char *v, size_t size, char *why, size_t whylen)
{
	if (v[0] != '/') {
		snprintf(why, whylen, "an absolute path is required");
		return false;
	}
	if (strlen(v) >= size) {
		snprintf(why, whylen, "paths are limited to %zu characters", size - 1);
		return false;
	}
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f) {
			snprintf(why, whylen, "spaces and control characters are not allowed");
			return false;
		}
	return true;
}

/* What eg_http_request sends as a path: RFC 3986's path characters (no
 * query, no fragment), '%' only before two hex digits. */
static bool urlpath_ok(const char *v, size_t size, char *why, size_t whylen)
{
	static const char hex[] = "0123456789abcdefABCDEF";

	if (v[0] != '/') {
		snprintf(why, whylen, "it must start with '/'");
		return false;
	}
	if (strlen(v) >= size - EG_URLNAME_ROOM) {
		snprintf(why, whylen, "paths are limited to %zu characters", size - 1 - EG_URLNAME_ROOM);
		return false;
	}
	for (const char *p = v; *p; p++) {
		if (*p == '%' && (!p[1] || !strchr(hex, p[1]) || !p[2] || !strchr(hex, p[2]))) {
			snprintf(why, whylen, "'%%' must begin a %%XX escape");
			return false;
		}
		if (!modname_char(*p) && !strchr("/.~%!$&'()*+,;=:@", *p)) {
			if ((unsigned char)*p > ' ' && (unsigned char)*p < 0x7f)
				snprintf(why, whylen, "a URL path cannot hold '%c'", *p);
			else
				snprintf(why, whylen, "a URL path cannot hold spaces, control "
					 "characters or non-ASCII bytes");
			return false;
		}
	}
	return true;
}

static void allowed(int key, char *buf, size_t size)
{
	const struct eg_keydef *d = &eg_keys[key];
	char lo[24], hi[24];

	switch (d->type) {
	case EG_T_DURATION:
		eg_fmt_duration(lo, sizeof lo, d->min);
		eg_fmt_duration(hi, sizeof hi, d->max);
		snprintf(buf, size, "a duration from %s to %s (seconds, or with s, m, h: 90s, 5m, 1h30m)",
			 lo, hi);
		break;
	case EG_T_PATH:
		snprintf(buf, size, "an absolute path");
		break;
	case EG_T_MODLIST:
		snprintf(buf, size, "module names separated by commas, or none");
		break;
	case EG_T_RECORD:
		snprintf(buf, size, "a device path, PARTLABEL=name, or none");
		break;
	case EG_T_COMMAND:
		snprintf(buf, size, "one line of printable text (a command for sh -c), or none");
		break;
	case EG_T_NET:
		snprintf(buf, size, "IFACE:ADDR/PREFIX[:GATEWAY] in IPv4 "
			 "(eth0:192.168.1.20/24:192.168.1.1), or none");
		break;
	case EG_T_SERVER:
		snprintf(buf, size, "an IPv4 ADDR[:PORT] (192.168.1.10:8080; port 80 by default), "
			 "or none");
		break;
	case EG_T_RECOVER:
		snprintf(buf, size, "retry, fetch or kexec");
		break;
	case EG_T_URLPATH:
		snprintf(buf, size, "the path of a URL, from its first '/' (/bundles/box1/)");
		break;
	case EG_T_SHA256:
		snprintf(buf, size, "a SHA-256 as sha256sum prints it (64 lowercase hex digits), "
			 "or none");
		break;
	case EG_T_OPTPATH:
		snprintf(buf, size, "an absolute path, or none");
		break;
	case EG_T_IFACE:
		snprintf(buf, size, "a network interface's name (eth0), or none");
		break;
	case EG_T_BOOL:
		snprintf(buf, size, "1 or 0 (yes/no, on/off, true/false)");
		break;
	case EG_T_COUNT:
		snprintf(buf, size, "a whole number from %lu to %lu", (unsigned long)d->min,
			 (unsigned long)d->max);
		break;
	case EG_T_PROBE:
		snprintf(buf, size, "an IPv4 ADDR (ICMP echo) or ADDR:PORT (TCP connect), or none");
		break;
	case EG_T_PEER:
		snprintf(buf, size, "an IPv4 ADDR:PORT (10.0.4.2:7000), or none");
		break;
	case EG_T_LISTEN:
		snprintf(buf, size, "a PORT or an IPv4 ADDR:PORT, or none (peer's port)");
		break;
	case EG_T_NODEID:
		snprintf(buf, size, "1 to 32 of A-Z a-z 0-9 . _ -, or none (the host name)");
		break;
	case EG_T_IP4:
		snprintf(buf, size, "an IPv4 ADDR (192.168.1.1), or none");
		break;
	}
}

static bool iface_ok(const char *v, char *why, size_t whylen)
{
	size_t n = strlen(v);

	if (n >= EG_IFNAME_MAX) {
		snprintf(why, whylen, "interface names are limited to %d characters",
			 EG_IFNAME_MAX - 1);
		return false;
	}
	for (const char *p = v; *p; p++)
		if (!modname_char(*p) && *p != '.' && *p != '@') {
			snprintf(why, whylen, "interface names here use letters, digits, '.', '_', '-' "
				 "and '@'");
			return false;
		}
	if (strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
		snprintf(why, whylen, "not an interface name");
		return false;
	}
	return true;
}

static int parse_bool(const char *v)
{
	static const char *const yes[] = {"1", "yes", "on", "true"}, *const no[] = {"0", "no", "off", "false"};

	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++) {
		if (strcmp(v, yes[i]) == 0)
			return 1;
		if (strcmp(v, no[i]) == 0)
			return 0;
	}
	return -1;
}

int eg_conf_set(struct eg_conf *c, int key, const char *value,
		enum eg_source src, char *err, size_t errlen)
{
	char why[160] = "", tmp[EG_PATH_MAX > EG_LIST_MAX ? EG_PATH_MAX : EG_LIST_MAX];
	char cur[EG_LIST_MAX], what[160];
	uint32_t *dur;
	size_t size;
	char *text;

	if (key < 0 || key >= EG_K_COUNT)
		return -1;
	switch (eg_keys[key].type) {
	case EG_T_DURATION: {
		uint64_t s;

		dur = duration_field(c, key);
		if (!eg_parse_duration(value, UINT32_MAX, &s) || s < eg_keys[key].min ||
		    s > eg_keys[key].max)
			break;
		*dur = (uint32_t)s;
		c->source[key] = src;
		return 0;
	}
	case EG_T_PATH:
		text = text_field(c, key, &size);
		if (!path_ok(value, size, why, sizeof why))
			break;
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	case EG_T_MODLIST:
		text = text_field(c, key, &size);
		if (!norm_modlist(value, tmp, size, why, sizeof why))
			break;
		eg_copy(text, size, tmp);
		c->source[key] = src;
		return 0;
	case EG_T_COMMAND:
		text = text_field(c, key, &size);
		if (strlen(value) >= size) {
			snprintf(why, sizeof why, "commands are limited to %zu characters", size - 1);
			break;
		}
		{
			const char *p = value;
			for (; *p; p++)
				if ((unsigned char)*p < ' ' || *p == 0x7f)
					break;
			if (*p) {
				snprintf(why, sizeof why, "control characters are not allowed");
				break;
			}
		}
		eg_copy(text, size, strcmp(value, "none") == 0 ? "" : value);
		c->source[key] = src;
		return 0;
	case EG_T_RECORD:
		text = text_field(c, key, &size);
		if (value[0] == '\0' || strcmp(value, "none") == 0) {
			text[0] = '\0';
		} else if (strncmp(value, "PARTLABEL=", 10) == 0) {
			const char *p = value + 10;

			if (*p == '\0' || strlen(value) >= size) {
				snprintf(why, sizeof why, "the label is empty or too long");
				break;
			}
			for (; *p; p++)
				if (!modname_char(*p) && *p != '.') {
					snprintf(why, sizeof why, "labels may use letters, digits, '.', '_' and '-'");
					break;
				}
			if (*p)
				break;
			eg_copy(text, size, value);
		} else if (path_ok(value, size, why, sizeof why)) {
			eg_copy(text, size, value);
		} else {
			break;
		}
		c->source[key] = src;
		return 0;
	case EG_T_RECOVER:
		text = text_field(c, key, &size);
		if (strcmp(value, "retry") != 0 && strcmp(value, "fetch") != 0 &&
		    strcmp(value, "kexec") != 0)
			break;
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	case EG_T_URLPATH:
		text = text_field(c, key, &size);
		if (!urlpath_ok(value, size, why, sizeof why))
			break;
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	case EG_T_SHA256:
		text = text_field(c, key, &size);
		if (strcmp(value, "none") == 0)
			value = "";
		if (value[0] != '\0' && strlen(value) != 64) {
			snprintf(why, sizeof why, "%zu characters, not 64", strlen(value));
			break;
		}
		if (value[strspn(value, "0123456789abcdef")] != '\0') {
			snprintf(why, sizeof why, "only 0-9 and a-f");
			break;
		}
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	case EG_T_OPTPATH:
		text = text_field(c, key, &size);
		if (strcmp(value, "none") == 0)
			value = "";
		if (value[0] != '\0' && !path_ok(value, size, why, sizeof why))
			break;
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	case EG_T_IFACE:
		text = text_field(c, key, &size);
		if (strcmp(value, "none") == 0)
			value = "";
		if (!iface_ok(value, why, sizeof why))
			break;
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	case EG_T_BOOL: {
		int b = parse_bool(value);

		if (b < 0)
			break;
		*duration_field(c, key) = (uint32_t)b;
		c->source[key] = src;
		return 0;
	}
	case EG_T_COUNT: {
		uint64_t v;

		if (!eg_parse_u64(value, &v) || v < eg_keys[key].min || v > eg_keys[key].max)
			break;
		*duration_field(c, key) = (uint32_t)v;
		c->source[key] = src;
		return 0;
	}
	case EG_T_PROBE: {
		struct eg_probe_target t;
		const char *r = NULL;

		if (strcmp(value, "none") == 0)
			value = "";
		if (value[0] != '\0')
			r = eg_probe_parse(value, &t);
		if (r) {
			eg_copy(why, sizeof why, r);
			break;
		}
		text = text_field(c, key, &size);
		if (!eg_copy(text, size, value)) {
			snprintf(why, sizeof why, "too long");
			break;
		}
		c->source[key] = src;
		return 0;
	}
	case EG_T_PEER:
	case EG_T_LISTEN:
	case EG_T_NODEID: {
		struct eg_server sv;
		const char *r = NULL;

		if (strcmp(value, "none") == 0)
			value = "";
		if (value[0] != '\0' && eg_keys[key].type == EG_T_NODEID)
			r = eg_peer_id_check(value, strlen(value), why, sizeof why) ? why : NULL;
		else if (value[0] != '\0')
			r = eg_peer_addr_parse(value, eg_keys[key].type == EG_T_LISTEN, &sv);
		if (r) {
			if (r != why)
				eg_copy(why, sizeof why, r);
			break;
		}
		/* a valid value always fits: 21 and 32 characters at most */
		text = text_field(c, key, &size);
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	}
	case EG_T_IP4: {
		uint32_t a;

		if (strcmp(value, "none") == 0)
			value = "";
		if (value[0] != '\0' && !eg_ip4_parse(value, strlen(value), &a))
			break;
		/* a valid value always fits: 15 characters at most */
		text = text_field(c, key, &size);
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	}
	case EG_T_NET:
	case EG_T_SERVER: {
		struct eg_net n;
		struct eg_server sv;
		const char *r = NULL;

		if (strcmp(value, "none") == 0)
			value = "";
		if (value[0] != '\0')
			r = eg_keys[key].type == EG_T_NET ? eg_net_parse(value, &n) :
							    eg_server_parse(value, &sv);
		if (r) {
			eg_copy(why, sizeof why, r);
			break;
		}
		/* a valid value always fits: 50 and 21 characters at most */
		text = text_field(c, key, &size);
		eg_copy(text, size, value);
		c->source[key] = src;
		return 0;
	}
	}
	allowed(key, what, sizeof what);
	eg_conf_format(c, key, cur, sizeof cur);
	if (why[0]) {
		char w[sizeof why + 4];
		snprintf(w, sizeof w, " (%s)", why);
		eg_copy(why, sizeof why, w);
	}
	snprintf(err, errlen, "%s: invalid value \"%.64s\"%s: expected %s; keeping %s%s",
		 eg_keys[key].name, value, why, what, cur[0] ? cur : "none",
		 c->source[key] == EG_SRC_DEFAULT ? " (the default)" : "");
	return -1;
}

void eg_conf_format(const struct eg_conf *c, int key, char *buf, size_t size)
{
	if (size == 0)
		return;
	if (eg_keys[key].type == EG_T_DURATION)
		eg_fmt_duration(buf, size, eg_conf_seconds(c, key));
	else if (eg_keys[key].type == EG_T_BOOL || eg_keys[key].type == EG_T_COUNT)
		snprintf(buf, size, "%lu", (unsigned long)eg_conf_seconds(c, key));
	else
		snprintf(buf, size, "%s", (const char *)c + fields[key].off);
}

/* ---- the configuration file ---- */

static bool key_start(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || ch == '_';
}

static bool key_char(char ch)
{
	return key_start(ch) || (ch >= '0' && ch <= '9');
}

/* Characters sh would treat specially outside quotes. */
static bool plain_char(char ch)
{
	return (unsigned char)ch > ' ' && ch != 0x7f && !strchr("\"'\\$`;&|<>()#*?[]{}~", ch);
}

/*
 * One line in sh assignment syntax: [export ]KEY=VALUE [# comment], where
 * VALUE joins plain characters, '...' and "..." (with \" \\ \$ \` escapes).
 * Anything sh would expand ($, `, globs) is refused rather than guessed.
 */
static const char *parse_line(const char *line, size_t len, char *key, size_t ksize,
			      char *val, size_t vsize)
{
	size_t i = 0, k = 0, v = 0;

	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (len - i >= 7 && memcmp(line + i, "export", 6) == 0 &&
	    (line[i + 6] == ' ' || line[i + 6] == '\t')) {
		i += 6;
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
	}
	if (i >= len || !key_start(line[i]))
		return "expected KEY=value";
	while (i < len && key_char(line[i])) {
		if (k + 1 >= ksize)
			return "key name too long";
		key[k++] = line[i++];
	}
	key[k] = '\0';
	if (i >= len || line[i] != '=') {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		return i < len && line[i] == '=' ? "no spaces around '=' (sh syntax: KEY=value)" :
						   "expected KEY=value";
	}
	i++;
	while (i < len && line[i] != ' ' && line[i] != '\t') {
		char ch = line[i];

		if (ch == '\'') {
			for (i++; i < len && line[i] != '\''; i++) {
				if (v + 1 >= vsize)
					return "value too long";
				val[v++] = line[i];
			}
			if (i >= len)
				return "unterminated '...' quote";
			i++;
		} else if (ch == '"') {
			for (i++; i < len && line[i] != '"'; i++) {
				ch = line[i];
				if (ch == '\\' && i + 1 < len && strchr("\"\\$`", line[i + 1]))
					ch = line[++i];
				else if (ch == '$' || ch == '`')
					return "'$' and '`' would be expanded by sh: escape them with '\\'";
				if (v + 1 >= vsize)
					return "value too long";
				val[v++] = ch;
			}
			if (i >= len)
				return "unterminated \"...\" quote";
			i++;
		} else if (plain_char(ch)) {
			if (v + 1 >= vsize)
				return "value too long";
			val[v++] = line[i++];
		} else {
			return "special characters need quoting ('...')";
		}
	}
	val[v] = '\0';
	while (i < len && (line[i] == ' ' || line[i] == '\t'))
		i++;
	if (i < len && line[i] != '#')
		return "text after the value: quote values that contain spaces";
	return NULL;
}

static void report_fmt(eg_report_fn report, void *ctx, const char *where,
		       const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void report_fmt(eg_report_fn report, void *ctx, const char *where,
		       const char *fmt, ...)
{
	char msg[EG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (report)
		report(ctx, where, msg);
}

/* Levenshtein distance of a and b (lowercase), both under 64 bytes; one
 * row of the table is enough. */
static unsigned distance(const char *a, const char *b)
{
	unsigned row[64], la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

	if (la >= 64 || lb >= 64)
		return 64;
	for (unsigned j = 0; j <= lb; j++)
		row[j] = j;
	for (unsigned i = 1; i <= la; i++) {
		unsigned diag = row[0];

		row[0] = i;
		for (unsigned j = 1; j <= lb; j++) {
			unsigned up = row[j], best = diag + (lower(a[i - 1]) != b[j - 1]);

			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
		}
	}
	return row[lb];
}

const char *eg_conf_nearest(const char *name)
{
	const char *best = NULL;
	unsigned bestd = 64, limit = (unsigned)strlen(name) / 3;

	if (limit < 2)
		limit = 2;
	for (int k = 0; k < EG_K_COUNT; k++) {
		unsigned d = distance(name, eg_keys[k].name);

		if (d < bestd) {
			bestd = d;
			best = eg_keys[k].name;
		}
	}
	return bestd <= limit ? best : NULL;
}

/* "unknown key 'X' ignored (did you mean ...)": the nearest key, and
 * where the whole list is (it no longer fits one log line). */
static void unknown_key(char *buf, size_t size, const char *key)
{
	const char *near = eg_conf_nearest(key);

	if (near)
		snprintf(buf, size, "unknown key '%s' ignored (did you mean '%s'? every key: "
			 "earlyguard.conf(5), earlyguard config)", key, near);
	else
		snprintf(buf, size, "unknown key '%s' ignored (every key: earlyguard.conf(5), "
			 "earlyguard config)", key);
}

int eg_conf_parse_file(struct eg_conf *c, const char *fname, const char *buf,
		       size_t len, eg_report_fn report, void *ctx)
{
	char where[EG_PATH_MAX + 16], key[64], val[EG_LINE_MAX], err[EG_MSG_MAX];
	char unknown[EG_MSG_MAX / 2];
	int problems = 0;
	unsigned lineno = 0;
	size_t pos = 0;

	while (pos < len) {
		const char *line = buf + pos, *msg;
		size_t n = 0;
		int k;

		while (pos + n < len && buf[pos + n] != '\n')
			n++;
		pos += n + (pos + n < len);
		lineno++;
		snprintf(where, sizeof where, "%s:%u", fname, lineno);
		if (n > 0 && line[n - 1] == '\r')
			n--;
		if (memchr(line, '\0', n)) {
			report_fmt(report, ctx, where, "NUL byte in line; line ignored");
			problems++;
			continue;
		}
		{
			size_t i = 0;
			while (i < n && (line[i] == ' ' || line[i] == '\t'))
				i++;
			if (i == n || line[i] == '#')
				continue; /* blank or comment, however long */
		}
		if (n >= EG_LINE_MAX) {
			report_fmt(report, ctx, where, "line longer than %d bytes; line ignored",
				   EG_LINE_MAX - 1);
			problems++;
			continue;
		}
		msg = parse_line(line, n, key, sizeof key, val, sizeof val);
		if (msg) {
			report_fmt(report, ctx, where, "%s; line ignored: \"%.*s\"", msg,
				   (int)(n > 60 ? 60 : n), line);
			problems++;
			continue;
		}
		k = eg_conf_lookup(key, strlen(key));
		if (k < 0) {
			unknown_key(unknown, sizeof unknown, key);
			report_fmt(report, ctx, where, "%s", unknown);
			problems++;
			continue;
		}
		if (eg_conf_set(c, k, val, EG_SRC_FILE, err, sizeof err) != 0) {
			report_fmt(report, ctx, where, "%s", err);
			problems++;
		}
	}
	return problems;
}

/* ---- the kernel command line ---- */

static bool space(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' || ch == '\f';
}

int eg_cmdline_next(const char **cursor, struct eg_word *w)
{
	const char *s = *cursor, *e, *eq, *k, *v, *kend, *vend;
	bool in_quote = false, quoted = false;

	while (*s && space(*s))
		s++;
	if (*s == '\0' || (s[0] == '-' && s[1] == '-' && (s[2] == '\0' || space(s[2])))) {
		*cursor = s;
		return 0;
	}
	w->raw = s;
	/* As the kernel does: a quote toggles quoting anywhere in a word. */
	if (*s == '"') {
		quoted = true;
		in_quote = true;
		s++;
	}
	for (e = s; *e && (in_quote || !space(*e)); e++)
		if (*e == '"')
			in_quote = !in_quote;
	w->rawlen = (size_t)(e - w->raw);
	*cursor = e;
	eq = memchr(s, '=', (size_t)(e - s));
	k = s;
	kend = eq ? eq : e;
	v = eq ? eq + 1 : NULL;
	vend = e;
	if (v && v < vend && *v == '"') {
		v++;
		if (vend > v && vend[-1] == '"')
			vend--;
	}
	if (quoted && !eq && kend > k && kend[-1] == '"')
		kend--;
	else if (quoted && eq && vend == e && vend > v && vend[-1] == '"')
		vend--;
	w->has_val = v != NULL;
	if ((size_t)(kend - k) >= sizeof w->key || (v && (size_t)(vend - v) >= sizeof w->val))
		return -1;
	memcpy(w->key, k, (size_t)(kend - k));
	w->key[kend - k] = '\0';
	if (v) {
		memcpy(w->val, v, (size_t)(vend - v));
		w->val[vend - v] = '\0';
	} else {
		w->val[0] = '\0';
	}
	return 1;
}

int eg_conf_parse_cmdline(struct eg_conf *c, const char *cmdline,
			  eg_report_fn report, void *ctx)
{
	static const char prefix[] = "earlyguard.";
	const size_t plen = sizeof prefix - 1;
	char err[EG_MSG_MAX], unknown[EG_MSG_MAX / 2];
	struct eg_word w;
	int problems = 0, r;

	while ((r = eg_cmdline_next(&cmdline, &w)) != 0) {
		int k;
		int shown = (int)(w.rawlen > 80 ? 80 : w.rawlen);

		if (r < 0) {
			if (w.rawlen >= plen && memcmp(w.raw, prefix, plen) == 0) {
				report_fmt(report, ctx, "kernel command line",
					   "%.*s...: word too long; ignored", shown, w.raw);
				problems++;
			}
			continue;
		}
		if (strncmp(w.key, prefix, plen) != 0)
			continue;
		k = eg_conf_lookup(w.key + plen, strlen(w.key + plen));
		/* GRUB's words for this boot, read by bootsel.c */
		if (k < 0 && (strcmp(w.key + plen, "entry") == 0 ||
			      strcmp(w.key + plen, "attempt") == 0))
			continue;
		if (k < 0) {
			unknown_key(unknown, sizeof unknown, w.key + plen);
			report_fmt(report, ctx, "kernel command line", "%.*s: %s", shown, w.raw,
				   unknown);
			problems++;
			continue;
		}
		/* Module parameters belong to the modules we load (the recovery and
		 * later issues add keys that take no value). */
		if (!w.has_val) {
			report_fmt(report, ctx, "kernel command line",
				   "%.*s: a value is required (%s=VALUE); ignored", shown, w.raw,
				   w.key);
			problems++;
			continue;
		}
		if (eg_conf_set(c, k, w.val, EG_SRC_CMDLINE, err, sizeof err) != 0) {
			report_fmt(report, ctx, "kernel command line", "%.*s: %s", shown, w.raw,
				   err);
			problems++;
		}
	}
	return problems;
}
