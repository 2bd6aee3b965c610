/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Configuration: /etc/earlyguard.conf (KEY=value, a subset of sh syntax so
 * hooks may source it) overridden by earlyguard.KEY=value words on the
 * kernel command line, last one wins.  Pure functions: no I/O here.
 *
 * A bad value never takes effect: it is reported with where it came from
 * and what is allowed, and the key keeps the value it had (the file's, or
 * the default), so the machine still boots guarded.
 */
#ifndef EG_CONF_H
#define EG_CONF_H

#include "eg.h"
#include "netcfg.h"
#include "peer.h"

/* fetch_path leaves room for a '/' and a manifest NAME (64 bytes) */
#define EG_URLNAME_ROOM 66

enum eg_key {
	EG_K_DEVICE,
	EG_K_DRIVER,
	EG_K_TIMEOUT,
	EG_K_DEADLINE,
	EG_K_RESCUE,
	EG_K_PANIC,
	EG_K_RECORD,
	EG_K_ROOTWAIT,
	EG_K_MODULES,
	EG_K_HANDOFF_TIMEOUT,
	EG_K_CONFIRM_TIMEOUT,
	EG_K_CHECKIN_INTERVAL,
	EG_K_CHECKIN_GRACE,
	EG_K_NETWORK_RESTART,
	EG_K_SHUTDOWN_TIMEOUT,
	EG_K_REBOOT_COMMAND,
	EG_K_STATE_DIR,
	EG_K_GRUBENV,
	EG_K_GRUB_SLOTS,
	EG_K_NET,
	EG_K_SERVER,
	EG_K_NET_CARRIER_TIMEOUT,
	EG_K_RECOVER,
	EG_K_FETCH_PATH,
	EG_K_FETCH_KEY,
	EG_K_FETCH_PIN,
	EG_K_FETCH_SLOT,
	EG_K_FETCH_DEADLINE,
	EG_K_FETCH_TIMEOUT,
	EG_K_FETCH_RETRY_MAX,
	EG_K_BOOT_DEV,
	EG_K_BOOT_DIR,
	EG_K_FETCH_ROOTFS,
	EG_K_IFACE,
	EG_K_CHECK_V4,
	EG_K_HEAL_GRACE,
	EG_K_RECHECK_SLEEP,
	EG_K_NETWORK_REAPPLY,
	EG_K_MAX_FAILS,
	EG_K_HEAL_INTERVAL,
	EG_K_REBOOT_COOLDOWN,
	EG_K_USB_GUARD,
	EG_K_USB_GUARD_REQUIRE_UDC,
	EG_K_USB_GADGET_DIR,
	EG_K_PING_VETO,
	EG_K_PING_VETO_IP1,
	EG_K_PING_VETO_IP2,
	EG_K_PING_TIMEOUT,
	EG_K_HEALTH_PROBE1,
	EG_K_HEALTH_PROBE2,
	EG_K_HEALTH_PROBE_INTERVAL,
	EG_K_HEALTH_PROBE_TIMEOUT,
	EG_K_HEALTH_PROBE_MISSES,
	EG_K_PEER,
	EG_K_PEER_LISTEN,
	EG_K_PEER_KEY,
	EG_K_PEER_ID,
	EG_K_PEER_INTERVAL,
	EG_K_PEER_HOLD_MAX,
	EG_K_UPLINK2,
	EG_K_UPLINK2_UP,
	EG_K_UPLINK2_DOWN,
	EG_K_UPLINK1_UP,
	EG_K_UPLINK1_DOWN,
	EG_K_UPLINK_SET,
	EG_K_FAILOVER_STAGE,
	EG_K_FAILBACK_AFTER,
	EG_K_UPLINK1_GATEWAY,
	EG_K_UPLINK2_GATEWAY,
	EG_K_UPLINK_CMD_TIMEOUT,
	EG_K_COUNT
};

enum eg_type {
	EG_T_DURATION, EG_T_PATH, EG_T_MODLIST, EG_T_RECORD, EG_T_COMMAND,
	EG_T_NET,    /* IFACE:ADDR/PREFIX[:GATEWAY] (netcfg.h) */
	EG_T_SERVER, /* ADDR[:PORT] */
	EG_T_RECOVER, /* retry, fetch or kexec */
	EG_T_URLPATH, /* the path of a URL: /, /bundles/box1/ */
	EG_T_SHA256,  /* 64 lowercase hex digits, or none */
	EG_T_OPTPATH, /* an absolute path, or none */
	EG_T_IFACE,   /* a network interface's name, or none */
	EG_T_BOOL,    /* 0 or 1 (also no/yes, off/on, false/true) */
	EG_T_COUNT,   /* a whole number from min to max */
	EG_T_PROBE,   /* an IPv4 ADDR (ICMP echo) or ADDR:PORT (TCP connect), or none */
	EG_T_PEER,    /* an IPv4 ADDR:PORT, or none */
	EG_T_LISTEN,  /* PORT or ADDR:PORT, or none */
	EG_T_NODEID,  /* a peer watch node id (peer.h), or none */
	EG_T_IP4,     /* an IPv4 ADDR, or none */
};

enum eg_source { EG_SRC_DEFAULT, EG_SRC_FILE, EG_SRC_CMDLINE };

struct eg_keydef {
	const char *name;
	enum eg_type type;
	uint32_t min, max; /* durations, in seconds */
	const char *def;
};

extern const struct eg_keydef eg_keys[EG_K_COUNT];

struct eg_conf {
	char device[EG_PATH_MAX];
	char driver[EG_LIST_MAX];  /* comma-separated module names */
	char modules[EG_LIST_MAX]; /* comma-separated module names */
	char record[EG_PATH_MAX];  /* "" (none), /path, or PARTLABEL=name */
	char network_restart[EG_PATH_MAX]; /* sh -c command, "" for none */
	char reboot_command[EG_PATH_MAX];
	char state_dir[EG_PATH_MAX];
	char grubenv[EG_PATH_MAX];  /* GRUB's environment block */
	char grub_slots[EG_PATH_MAX]; /* GRUB's boot slots: A/, B/, trial/, recovery/ */
	char net[EG_NET_STR];       /* the recovery network, "" for none */
	char server[EG_SERVER_STR]; /* the known-good server, "" for none */
	char recover[8];            /* "retry", "fetch" or "kexec" */
	char fetch_path[EG_PATH_MAX]; /* the bundle's directory on the server */
	char fetch_key[EG_PATH_MAX];  /* the public key of the bundle's signature */
	char fetch_pin[68];           /* the manifest's SHA-256, "" for none */
	char fetch_slot[EG_PATH_MAX]; /* where the fetch writes, "" for grub_slots/trial */
	char boot_dev[EG_PATH_MAX];   /* the boot partition, "" (none), /dev/..., PARTLABEL= */
	char boot_dir[EG_PATH_MAX];   /* where the fetch mounts it */
	char fetch_rootfs[EG_PATH_MAX]; /* where a rootfs artifact goes, "" for none */
	char iface[EG_IFNAME_MAX];    /* the watched uplink, "" when the self-heal is off */
	char network_reapply[EG_PATH_MAX]; /* sh -c command, "" for none */
	char usb_gadget_dir[EG_PATH_MAX];
	char ping_veto_ip1[EG_SERVER_STR], ping_veto_ip2[EG_SERVER_STR];
	char health_probe1[EG_SERVER_STR], health_probe2[EG_SERVER_STR]; /* "": none */
	char peer[EG_SERVER_STR];        /* the other machine, "" when the peer watch is off */
	char peer_listen[EG_SERVER_STR]; /* "": peer's port, any address */
	char peer_key[EG_PATH_MAX];
	char peer_id[EG_PEER_ID_MAX + 1]; /* "": the host name */
	char uplink2[EG_IFNAME_MAX];     /* the backup uplink, "" when failover is off */
	char uplink1_up[EG_PATH_MAX], uplink1_down[EG_PATH_MAX]; /* sh -c commands, "" for none */
	char uplink2_up[EG_PATH_MAX], uplink2_down[EG_PATH_MAX];
	char uplink1_gateway[16], uplink2_gateway[16]; /* "": an on-link default route */
	uint32_t timeout_s, deadline_s, rescue_s, panic_s, rootwait_s;
	uint32_t handoff_s, confirm_s, checkin_s, checkin_grace_s, shutdown_s;
	uint32_t net_carrier_s;
	uint32_t fetch_deadline_s, fetch_timeout_s, fetch_retry_max_s;
	uint32_t heal_grace_s, recheck_sleep_s, heal_interval_s, reboot_cooldown_s, ping_timeout_s;
	uint32_t health_probe_interval_s, health_probe_timeout_s, health_probe_misses;
	uint32_t peer_interval_s, peer_hold_max_s;
	uint32_t failback_after_s, uplink_cmd_timeout_s, failover_stage, uplink_set;
	uint32_t check_v4, max_fails, usb_guard, usb_guard_require_udc, ping_veto; /* bool, count */
	enum eg_source source[EG_K_COUNT];
};

/* Called once per problem: where is "FILE:LINE" or "kernel command line". */
typedef void (*eg_report_fn)(void *ctx, const char *where, const char *msg);

void eg_conf_defaults(struct eg_conf *c);
/* Key index for a name (case-insensitive), or -1. */
int eg_conf_lookup(const char *name, size_t len);
/* The key nearest to name (a typo: edit distance at most 2, or a third of
 * its length), or NULL. */
const char *eg_conf_nearest(const char *name);
/* Set key from text.  On error c is unchanged and err says what is allowed
 * and which value stays in force.  Returns 0 or -1. */
int eg_conf_set(struct eg_conf *c, int key, const char *value,
		enum eg_source src, char *err, size_t errlen);
/* The value of a duration key, in seconds. */
uint32_t eg_conf_seconds(const struct eg_conf *c, int key);
/* The value of key as text, in the form the parser accepts. */
void eg_conf_format(const struct eg_conf *c, int key, char *buf, size_t size);

/* Parse a whole file image; returns the number of problems reported. */
int eg_conf_parse_file(struct eg_conf *c, const char *fname, const char *buf,
		       size_t len, eg_report_fn report, void *ctx);
/* Parse the earlyguard.* words of a kernel command line. */
int eg_conf_parse_cmdline(struct eg_conf *c, const char *cmdline,
			  eg_report_fn report, void *ctx);

/* Durations: "90", "90s", "5m", "1h30m".  Seconds out, false if malformed
 * or above max_s. */
bool eg_parse_duration(const char *s, uint64_t max_s, uint64_t *out_s);

/* Kernel command-line tokenizer with the kernel's quoting rules.  Copies
 * the next word's key and value; has_val is false for a bare word.
 * Returns 0 at the end, 1 for a word, -1 for a word too long for the
 * buffers (skipped; raw/rawlen give the word for the message).  Stops at a
 * bare "--": the words after it belong to init. */
struct eg_word {
	char key[128];
	char val[EG_PATH_MAX];
	bool has_val;
	const char *raw;
	size_t rawlen;
};
int eg_cmdline_next(const char **cursor, struct eg_word *w);

#endif
