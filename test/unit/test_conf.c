/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "unit.h"
#include "conf.h"

struct sink {
	int n;
	char last_where[256];
	char last_msg[EG_MSG_MAX];
};

static void sink(void *ctx, const char *where, const char *msg)
{
	struct sink *s = ctx;

	s->n++;
	snprintf(s->last_where, sizeof s->last_where, "%s", where);
	snprintf(s->last_msg, sizeof s->last_msg, "%s", msg);
}

/* One value of one key: accepted or refused, and the value in force after
 * (from the defaults each time). */
struct keycase {
	int key;
	const char *in;
	int ok;
	const char *want;
};

static void check_keys(const struct keycase *t, size_t n)
{
	char err[EG_MSG_MAX], buf[EG_PATH_MAX];
	struct eg_conf c;

	for (size_t i = 0; i < n; i++) {
		int r;

		eg_conf_defaults(&c);
		r = eg_conf_set(&c, t[i].key, t[i].in, EG_SRC_FILE, err, sizeof err);
		CHECK_INT(r, t[i].ok ? 0 : -1, "%s=\"%s\" %s", eg_keys[t[i].key].name, t[i].in,
			  t[i].ok ? "accepted" : "refused");
		eg_conf_format(&c, t[i].key, buf, sizeof buf);
		CHECK_STR(buf, t[i].want, "%s after \"%s\"", eg_keys[t[i].key].name, t[i].in);
	}
}

static void durations(void)
{
	static const struct {
		const char *in;
		int ok;
		uint64_t want;
	} t[] = {
		{"0", 1, 0},        {"90", 1, 90},        {"90s", 1, 90},     {"5m", 1, 300},
		{"1h", 1, 3600},    {"1h30m", 1, 5400},   {"2m30s", 1, 150},  {"1h2m3s", 1, 3723},
		{"007", 1, 7},      {"0s", 1, 0},         {"", 0, 0},         {"s", 0, 0},
		{"5x", 0, 0},       {"5 m", 0, 0},        {"-5", 0, 0},       {"+5", 0, 0},
		{"1m1h", 0, 0},     {"1s1s", 0, 0},       {"5M", 0, 0},       {"1.5m", 0, 0},
		{"m5", 0, 0},       {"5ms", 0, 0},        {" 5", 0, 0},       {"5 ", 0, 0},
		{"99999999999999999999", 0, 0},           {"18446744073709551615s", 0, 0},
		{"4294967295", 1, 4294967295u},           {"4294967296", 0, 0},
		{"1193047h", 0, 0}, {"71582789m", 0, 0},  {"71582788m", 1, 4294967280u},  {"0h0m0s", 1, 0},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		uint64_t got = 12345;
		bool ok = eg_parse_duration(t[i].in, UINT32_MAX, &got);

		CHECK(ok == (t[i].ok != 0), "duration \"%s\" %s", t[i].in,
		      t[i].ok ? "accepted" : "refused");
		if (ok && t[i].ok)
			CHECK_INT(got, t[i].want, "duration \"%s\" value", t[i].in);
		if (!ok)
			CHECK_INT(got, 12345, "duration \"%s\" leaves the output alone", t[i].in);
	}
	{
		uint64_t got;
		CHECK(!eg_parse_duration("3601", 3600, &got), "duration above max refused");
		CHECK(eg_parse_duration("1h", 3600, &got) && got == 3600, "duration at max accepted");
	}
}

static void defaults(void)
{
	struct eg_conf c;

	eg_conf_defaults(&c);
	CHECK_STR(c.device, "/dev/watchdog", "default device");
	CHECK_INT(c.timeout_s, 30, "default timeout");
	CHECK_INT(c.deadline_s, 600, "default deadline");
	CHECK_INT(c.rescue_s, 60, "default rescue window");
	CHECK_INT(c.panic_s, 10, "default panic delay");
	CHECK_INT(c.rootwait_s, 30, "default rootwait");
	CHECK_STR(c.driver, "", "default driver none");
	CHECK_STR(c.record, "", "default record none");
	CHECK_STR(c.grubenv, "/boot/grub/grubenv", "default grubenv");
	CHECK_STR(c.grub_slots, "/boot/earlyguard", "default grub_slots");
	for (int k = 0; k < EG_K_COUNT; k++)
		CHECK(c.source[k] == EG_SRC_DEFAULT, "key %s starts as default", eg_keys[k].name);
}

/* Parse one file image; return problems; conf in *c. */
static int file(struct eg_conf *c, const char *text, struct sink *s)
{
	memset(s, 0, sizeof *s);
	eg_conf_defaults(c);
	return eg_conf_parse_file(c, "t.conf", text, strlen(text), sink, s);
}

static void file_syntax(void)
{
	static const struct {
		const char *text;
		int problems;
		uint32_t timeout;
		const char *driver;
		const char *what;
	} t[] = {
		{"timeout=5\n", 0, 5, "", "plain"},
		{"timeout=5", 0, 5, "", "no final newline"},
		{"timeout=5s\r\n", 0, 5, "", "CRLF"},
		{"timeout='5s'\n", 0, 5, "", "single quotes"},
		{"timeout=\"5s\"\n", 0, 5, "", "double quotes"},
		{"timeout=5\"s\"\n", 0, 5, "", "quoted part joined as sh does"},
		{"export timeout=7\n", 0, 7, "", "export prefix"},
		{"  timeout=7  # seven\n", 0, 7, "", "indent and trailing comment"},
		{"# timeout=7\n\n\t\n", 0, 30, "", "comments and blank lines"},
		{"TIMEOUT=8\n", 0, 8, "", "upper-case key"},
		{"timeout=5\ntimeout=9\n", 0, 9, "", "later line wins"},
		{"timeout=9\ntimeout=bad\n", 1, 9, "", "bad later value keeps the earlier"},
		{"timeout=\n", 1, 30, "", "empty duration refused"},
		{"timeout = 5\n", 1, 30, "", "spaces around ="},
		{"timeout 5\n", 1, 30, "", "no ="},
		{"5timeout=1\n", 1, 30, "", "key starting with a digit"},
		{"timeout=$T\n", 1, 30, "", "unquoted $ refused"},
		{"timeout=\"$T\"\n", 1, 30, "", "$ in double quotes refused"},
		{"timeout=\"\\$T\"\n", 1, 30, "", "escaped $ is literal, then not a duration"},
		{"timeout=`id`\n", 1, 30, "", "backquote refused"},
		{"timeout=5;reboot\n", 1, 30, "", "; refused"},
		{"timeout=5 6\n", 1, 30, "", "two words refused"},
		{"timeout='5\n", 1, 30, "", "unterminated single quote"},
		{"timeout=\"5\n", 1, 30, "", "unterminated double quote"},
		{"timeout=5*\n", 1, 30, "", "glob refused"},
		{"bogus=1\ntimeout=4\n", 1, 4, "", "unknown key reported, rest applied"},
		{"driver=\"i6300esb softdog\"\n", 0, 30, "i6300esb,softdog", "space list"},
		{"driver=i6300esb,softdog\n", 0, 30, "i6300esb,softdog", "comma list"},
		{"driver=' a ,, b '\n", 0, 30, "a,b", "list normalised"},
		{"driver=none\n", 0, 30, "", "none"},
		{"driver=\"bad/name\"\n", 1, 30, "", "slash in module name refused"},
		{"driver=iTCO_wdt\n", 0, 30, "iTCO_wdt", "mixed case module"},
		{"driver=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n", 1, 30, "",
		 "module name too long"},
	};

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		struct eg_conf c;
		struct sink s;
		int n = file(&c, t[i].text, &s);

		CHECK_INT(n, t[i].problems, "file: %s: problems", t[i].what);
		CHECK_INT(c.timeout_s, t[i].timeout, "file: %s: timeout", t[i].what);
		CHECK_STR(c.driver, t[i].driver, "file: %s: driver", t[i].what);
	}
}

static void file_reports(void)
{
	struct eg_conf c;
	struct sink s;
	char big[EG_LINE_MAX + 20];

	file(&c, "\n\ntimeout=banana\n", &s);
	CHECK_STR(s.last_where, "t.conf:3", "report names file:line");
	CHECK(strstr(s.last_msg, "timeout") && strstr(s.last_msg, "banana") &&
		      strstr(s.last_msg, "1s to 1h") && strstr(s.last_msg, "keeping 30s"),
	      "report names key, value, what is allowed and what stays: %s", s.last_msg);
	file(&c, "timeout=20\n", &s);
	CHECK(c.source[EG_K_TIMEOUT] == EG_SRC_FILE, "source recorded as file");

	memset(big, 'a', sizeof big);
	memcpy(big, "driver=", 7);
	big[sizeof big - 2] = '\n';
	big[sizeof big - 1] = '\0';
	CHECK_INT(file(&c, big, &s), 1, "over-long line refused");
	CHECK(strstr(s.last_msg, "longer than") != NULL, "over-long line says so");
	{
		const char nul[] = "timeout=5\0x\ntimeout=6\n";
		memset(&s, 0, sizeof s);
		eg_conf_defaults(&c);
		CHECK_INT(eg_conf_parse_file(&c, "t.conf", nul, sizeof nul - 1, sink, &s), 1,
			  "NUL byte line refused");
		CHECK_INT(c.timeout_s, 6, "line after NUL still read");
	}
	file(&c, "device=dev/watchdog\n", &s);
	CHECK_STR(c.device, "/dev/watchdog", "relative device path refused");
	file(&c, "device=/dev/watchdog1\n", &s);
	CHECK_STR(c.device, "/dev/watchdog1", "device path set");
	file(&c, "record=PARTLABEL=eg-rec.1\n", &s);
	CHECK_STR(c.record, "PARTLABEL=eg-rec.1", "record by partition label");
	CHECK_INT(file(&c, "record=PARTLABEL=a/b\n", &s), 1, "bad label refused");
	CHECK_INT(file(&c, "record=PARTLABEL=\n", &s), 1, "empty label refused");
	file(&c, "record=/dev/vdb\nrecord=none\n", &s);
	CHECK_STR(c.record, "", "record none");
	CHECK_INT(file(&c, "rescue=0\n", &s), 0, "rescue window 0 allowed");
	CHECK_INT(file(&c, "deadline=9\n", &s), 1, "deadline under 10s refused");
	CHECK_INT(file(&c, "deadline=24h\n", &s), 0, "deadline 24h allowed");
	CHECK_INT(file(&c, "deadline=24h1s\n", &s), 1, "deadline over 24h refused");
	CHECK_INT(file(&c, "panic=0\n", &s), 1, "panic 0 refused (would wait forever)");
	CHECK_INT(file(&c, "grubenv=/boot/efi/EFI/debian/grubenv\n", &s), 0, "grubenv path");
	CHECK_STR(c.grubenv, "/boot/efi/EFI/debian/grubenv", "grubenv set from the file");
	CHECK_INT(file(&c, "grubenv=grub/grubenv\n", &s), 1, "relative grubenv refused");
	CHECK(strstr(s.last_msg, "keeping /boot/grub/grubenv (the default)") != NULL,
	      "relative grubenv: the default stays: %s", s.last_msg);
	CHECK_INT(file(&c, "grubenv=none\n", &s), 1, "grubenv has no 'none'");
	CHECK_INT(file(&c, "grub_slots=/boot/efi/earlyguard\n", &s), 0, "grub_slots path");
	CHECK_STR(c.grub_slots, "/boot/efi/earlyguard", "grub_slots set from the file");
	CHECK_INT(file(&c, "grub_slots=earlyguard\n", &s), 1, "relative grub_slots refused");
	CHECK(strstr(s.last_msg, "keeping /boot/earlyguard (the default)") != NULL,
	      "relative grub_slots: the default stays: %s", s.last_msg);
	CHECK_INT(file(&c, "grub_slots='/boot/my slots'\n", &s), 1, "grub_slots with a space");
}

static void lookup_and_format(void)
{
	struct eg_conf c;
	char buf[64];

	CHECK_INT(eg_conf_lookup("timeout", 7), EG_K_TIMEOUT, "lookup");
	CHECK_INT(eg_conf_lookup("TimeOut", 7), EG_K_TIMEOUT, "lookup ignores case");
	CHECK_INT(eg_conf_lookup("timeou", 6), -1, "prefix is not a key");
	CHECK_INT(eg_conf_lookup("timeouts", 8), -1, "longer is not a key");
	eg_conf_defaults(&c);
	for (int k = 0; k < EG_K_COUNT; k++) {
		char err[EG_MSG_MAX];
		struct eg_conf d = c;

		/* every formatted value parses back to itself */
		eg_conf_format(&c, k, buf, sizeof buf);
		CHECK_INT(eg_conf_set(&d, k, buf, EG_SRC_FILE, err, sizeof err), 0,
			  "key %s: formatted default \"%s\" parses back", eg_keys[k].name, buf);
	}
	c.deadline_s = 5400;
	eg_conf_format(&c, EG_K_DEADLINE, buf, sizeof buf);
	CHECK_STR(buf, "1h30m", "format 1h30m");
	c.deadline_s = 61;
	eg_conf_format(&c, EG_K_DEADLINE, buf, sizeof buf);
	CHECK_STR(buf, "61s", "format 61s");
}

static void fetch_keys(void)
{
	static const struct keycase t[] = {
		{EG_K_RECOVER, "fetch", 1, "fetch"},
		{EG_K_RECOVER, "retry", 1, "retry"},
		{EG_K_RECOVER, "kexec", 1, "kexec"},
		{EG_K_RECOVER, "Fetch", 0, "retry"},
		{EG_K_RECOVER, "", 0, "retry"},
		{EG_K_RECOVER, "none", 0, "retry"},
		{EG_K_FETCH_PATH, "/bundles/box1/", 1, "/bundles/box1/"},
		{EG_K_FETCH_PATH, "/a%20b/~x;v=1/", 1, "/a%20b/~x;v=1/"},
		{EG_K_FETCH_PATH, "bundles/", 0, "/"},
		{EG_K_FETCH_PATH, "", 0, "/"},
		{EG_K_FETCH_PATH, "/a b", 0, "/"},
		{EG_K_FETCH_PATH, "/a?x=1", 0, "/"},
		{EG_K_FETCH_PATH, "/a#x", 0, "/"},
		{EG_K_FETCH_PATH, "/a%2", 0, "/"},
		{EG_K_FETCH_PATH, "/a%zz", 0, "/"},
		{EG_K_FETCH_PATH, "/a\"b", 0, "/"},
		{EG_K_FETCH_PATH, "/\x01", 0, "/"},
		{EG_K_FETCH_PIN, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 1,
		 "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"},
		{EG_K_FETCH_PIN, "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855", 0, ""},
		{EG_K_FETCH_PIN, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85", 0, ""},
		{EG_K_FETCH_PIN, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b8555", 0, ""},
		{EG_K_FETCH_PIN, "g3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", 0, ""},
		{EG_K_FETCH_PIN, "none", 1, ""},
		{EG_K_FETCH_SLOT, "/boot/fetched", 1, "/boot/fetched"},
		{EG_K_FETCH_SLOT, "none", 1, ""},
		{EG_K_FETCH_SLOT, "boot", 0, ""},
		{EG_K_FETCH_KEY, "/etc/k.pem", 1, "/etc/k.pem"},
		{EG_K_FETCH_KEY, "none", 0, "/etc/earlyguard/fetch.pub.pem"},
		{EG_K_FETCH_DEADLINE, "4s", 0, "10m"},
		{EG_K_FETCH_DEADLINE, "5s", 1, "5s"},
		{EG_K_FETCH_TIMEOUT, "0", 0, "10s"},
		{EG_K_FETCH_TIMEOUT, "5m", 1, "5m"},
		{EG_K_FETCH_RETRY_MAX, "2h", 0, "1m"},
		{EG_K_FETCH_RETRY_MAX, "2s", 1, "2s"},
		{EG_K_BOOT_DEV, "/dev/vda1", 1, "/dev/vda1"},
		{EG_K_BOOT_DEV, "PARTLABEL=boot", 1, "PARTLABEL=boot"},
		{EG_K_BOOT_DEV, "LABEL=boot", 0, ""},
		{EG_K_BOOT_DEV, "none", 1, ""},
		{EG_K_BOOT_DIR, "/egboot", 1, "/egboot"},
		{EG_K_BOOT_DIR, "egboot", 0, "/boot"},
	};
	char err[EG_MSG_MAX], longpath[EG_PATH_MAX];
	struct eg_conf c;

	check_keys(t, sizeof t / sizeof t[0]);
	eg_conf_defaults(&c);
	eg_conf_set(&c, EG_K_FETCH_PATH, "/a b", EG_SRC_FILE, err, sizeof err);
	CHECK_STR(err, "fetch_path: invalid value \"/a b\" (a URL path cannot hold spaces, control "
		  "characters or non-ASCII bytes): expected the path of a URL, from its first '/' "
		  "(/bundles/box1/); keeping / (the default)", "fetch_path's refusal");
	/* room for '/' and a 64-byte NAME after the path */
	memset(longpath, 'a', sizeof longpath);
	longpath[0] = '/';
	longpath[EG_PATH_MAX - EG_URLNAME_ROOM] = '\0';
	CHECK_INT(eg_conf_set(&c, EG_K_FETCH_PATH, longpath, EG_SRC_FILE, err, sizeof err), -1,
		  "a fetch_path without room for a NAME is refused");
	longpath[EG_PATH_MAX - 1 - EG_URLNAME_ROOM] = '\0';
	CHECK_INT(eg_conf_set(&c, EG_K_FETCH_PATH, longpath, EG_SRC_FILE, err, sizeof err), 0,
		  "the longest fetch_path");
	{
		struct sink s = {0};
		eg_conf_defaults(&c);
		CHECK_INT(eg_conf_parse_cmdline(&c, "root=/dev/sda earlyguard.recover=fetch "
						"earlyguard.fetch_deadline=2m", sink, &s), 0,
			  "earlyguard.recover=fetch is a key now");
		CHECK_STR(c.recover, "fetch", "recover=fetch from the command line");
		CHECK_INT(c.fetch_deadline_s, 120, "fetch_deadline from the command line");
	}
}

static void nearest(void)
{
	static const struct {
		const char *in, *want; /* want NULL: no suggestion */
	} t[] = {
		{"timeout", "timeout"},     {"timout", "timeout"},
		{"Timeout", "timeout"},     {"fetch_dedline", "fetch_deadline"},
		{"rootwiat", "rootwait"},   {"bootdev", "boot_dev"},
		{"recovery", "recover"},    {"bogus", NULL},
		{"", NULL},                 {"x", NULL},
		{"link_counter", NULL},     {"fetch_retry_maximum", "fetch_retry_max"},
	};
	struct eg_conf c;
	struct sink s = {0};
	char longname[100];

	for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
		const char *got = eg_conf_nearest(t[i].in);

		CHECK(t[i].want ? got && strcmp(got, t[i].want) == 0 : got == NULL,
		      "nearest to '%s': %s, want %s", t[i].in, got ? got : "none",
		      t[i].want ? t[i].want : "none");
	}
	memset(longname, 'a', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	CHECK(eg_conf_nearest(longname) == NULL, "a 99-byte name has no neighbour");
	eg_conf_defaults(&c);
	eg_conf_parse_cmdline(&c, "earlyguard.timout=5", sink, &s);
	CHECK_STR(s.last_msg, "earlyguard.timout=5: unknown key 'timout' ignored (did you mean "
		  "'timeout'? every key: earlyguard.conf(5), earlyguard config)", "typo on the "
		  "command line");
	file(&c, "bogus=1\n", &s);
	CHECK_STR(s.last_msg, "unknown key 'bogus' ignored (every key: earlyguard.conf(5), "
		  "earlyguard config)", "no suggestion in a file");
}

static void heal_keys(void)
{
	static const struct keycase t[] = {
		{EG_K_IFACE, "eth0", 1, "eth0"},
		{EG_K_IFACE, "enp0s31f6", 1, "enp0s31f6"},
		{EG_K_IFACE, "none", 1, ""},
		{EG_K_IFACE, "", 1, ""},
		{EG_K_IFACE, "abcdefghijklmno", 1, "abcdefghijklmno"},
		{EG_K_IFACE, "abcdefghijklmnop", 0, ""},
		{EG_K_IFACE, "eth0:1", 0, ""},
		{EG_K_IFACE, "a/b", 0, ""},
		{EG_K_IFACE, "..", 0, ""},
		{EG_K_IFACE, "e th", 0, ""},
		{EG_K_CHECK_V4, "0", 1, "0"},
		{EG_K_CHECK_V4, "off", 1, "0"},
		{EG_K_CHECK_V4, "no", 1, "0"},
		{EG_K_CHECK_V4, "false", 1, "0"},
		{EG_K_CHECK_V4, "yes", 1, "1"},
		{EG_K_CHECK_V4, "2", 0, "1"},
		{EG_K_CHECK_V4, "", 0, "1"},
		{EG_K_USB_GUARD_REQUIRE_UDC, "1", 1, "1"},
		{EG_K_USB_GUARD_REQUIRE_UDC, "Yes", 0, "0"},
		{EG_K_MAX_FAILS, "1", 1, "1"},
		{EG_K_MAX_FAILS, "1000", 1, "1000"},
		{EG_K_MAX_FAILS, "0", 0, "2"},
		{EG_K_MAX_FAILS, "1001", 0, "2"},
		{EG_K_MAX_FAILS, "2s", 0, "2"},
		{EG_K_MAX_FAILS, "-1", 0, "2"},
		{EG_K_REBOOT_COOLDOWN, "0", 1, "0s"},
		{EG_K_REBOOT_COOLDOWN, "3600", 1, "1h"},
		{EG_K_REBOOT_COOLDOWN, "169h", 0, "1h"},
		{EG_K_RECHECK_SLEEP, "0", 0, "15s"},
		{EG_K_HEAL_INTERVAL, "10m", 1, "10m"},
		{EG_K_PING_VETO_IP1, "1.1.1.1", 1, "1.1.1.1"},
		{EG_K_PING_VETO_IP1, "192.168.1.1:22", 1, "192.168.1.1:22"},
		{EG_K_PING_VETO_IP1, "none", 1, ""},
		{EG_K_PING_VETO_IP1, "one.one.one.one", 0, ""},
		{EG_K_PING_VETO_IP1, "1.1.1.1:0", 0, ""},
		{EG_K_PING_VETO_IP2, "1.1.1.256", 0, ""},
		{EG_K_HEALTH_PROBE1, "10.0.2.2", 1, "10.0.2.2"},
		{EG_K_HEALTH_PROBE1, "10.0.2.2:80", 1, "10.0.2.2:80"},
		{EG_K_HEALTH_PROBE2, "none", 1, ""},
		{EG_K_HEALTH_PROBE2, "gateway", 0, ""},
		{EG_K_HEALTH_PROBE_INTERVAL, "1s", 1, "1s"},
		{EG_K_HEALTH_PROBE_INTERVAL, "0", 0, "10s"},
		{EG_K_HEALTH_PROBE_INTERVAL, "61m", 0, "10s"},
		{EG_K_HEALTH_PROBE_TIMEOUT, "60s", 1, "1m"},
		{EG_K_HEALTH_PROBE_TIMEOUT, "61s", 0, "2s"},
		{EG_K_HEALTH_PROBE_MISSES, "1", 1, "1"},
		{EG_K_HEALTH_PROBE_MISSES, "101", 0, "3"},
		{EG_K_HEALTH_PROBE_MISSES, "0", 0, "3"},
		{EG_K_NETWORK_REAPPLY, "/etc/init.d/S46kvmd-network restart", 1,
		 "/etc/init.d/S46kvmd-network restart"},
		{EG_K_USB_GADGET_DIR, "gadgets", 0, "/sys/kernel/config/usb_gadget"},
	};
	char err[EG_MSG_MAX];
	struct eg_conf c;

	check_keys(t, sizeof t / sizeof t[0]);
	eg_conf_defaults(&c);
	CHECK(c.iface[0] == '\0' && c.check_v4 == 1 && c.max_fails == 2 && c.recheck_sleep_s == 15 &&
	      c.reboot_cooldown_s == 3600 && c.ping_veto == 1 && c.usb_guard == 1 &&
	      c.usb_guard_require_udc == 0 && c.heal_interval_s == 600,
	      "the self-heal's defaults are the seed script's (and off without iface)");
	eg_conf_set(&c, EG_K_MAX_FAILS, "0", EG_SRC_FILE, err, sizeof err);
	CHECK_STR(err, "max_fails: invalid value \"0\": expected a whole number from 1 to 1000; "
		  "keeping 2 (the default)", "max_fails's refusal");
}

static void peer_keys(void)
{
	static const struct keycase t[] = {
		{EG_K_PEER, "10.0.4.2:7000", 1, "10.0.4.2:7000"},
		{EG_K_PEER, "127.0.0.1:7000", 1, "127.0.0.1:7000"},
		{EG_K_PEER, "none", 1, ""},
		{EG_K_PEER, "", 1, ""},
		{EG_K_PEER, "10.0.4.2", 0, ""},
		{EG_K_PEER, "0.0.0.0:7000", 0, ""},
		{EG_K_PEER, "peer:7000", 0, ""},
		{EG_K_PEER, "10.0.4.2:70000", 0, ""},
		{EG_K_PEER_LISTEN, "7000", 1, "7000"},
		{EG_K_PEER_LISTEN, "10.0.4.1:7001", 1, "10.0.4.1:7001"},
		{EG_K_PEER_LISTEN, "0.0.0.0:7000", 1, "0.0.0.0:7000"},
		{EG_K_PEER_LISTEN, "none", 1, ""},
		{EG_K_PEER_LISTEN, "0", 0, ""},
		{EG_K_PEER_LISTEN, "10.0.4.1", 0, ""},
		{EG_K_PEER_KEY, "/etc/earlyguard/other.key", 1, "/etc/earlyguard/other.key"},
		{EG_K_PEER_KEY, "peer.key", 0, "/etc/earlyguard/peer.key"},
		{EG_K_PEER_ID, "kvm-rack1.b", 1, "kvm-rack1.b"},
		{EG_K_PEER_ID, "abcdefghijklmnopqrstuvwxyz012345", 1, "abcdefghijklmnopqrstuvwxyz012345"},
		{EG_K_PEER_ID, "abcdefghijklmnopqrstuvwxyz0123456", 0, ""},
		{EG_K_PEER_ID, "none", 1, ""},
		{EG_K_PEER_ID, "node a", 0, ""},
		{EG_K_PEER_ID, "n\xc3\xa9", 0, ""},
		{EG_K_PEER_INTERVAL, "1s", 1, "1s"},
		{EG_K_PEER_INTERVAL, "1m", 1, "1m"},
		{EG_K_PEER_INTERVAL, "0", 0, "5s"},
		{EG_K_PEER_INTERVAL, "61", 0, "5s"},
		{EG_K_PEER_HOLD_MAX, "0", 1, "0s"},
		{EG_K_PEER_HOLD_MAX, "20s", 1, "20s"},
		{EG_K_PEER_HOLD_MAX, "24h", 1, "24h"},
		{EG_K_PEER_HOLD_MAX, "25h", 0, "15m"},
	};
	char err[EG_MSG_MAX];
	struct eg_conf c;

	check_keys(t, sizeof t / sizeof t[0]);
	eg_conf_defaults(&c);
	CHECK(c.peer[0] == '\0' && c.peer_listen[0] == '\0' && c.peer_id[0] == '\0' &&
	      strcmp(c.peer_key, "/etc/earlyguard/peer.key") == 0 && c.peer_interval_s == 5 &&
	      c.peer_hold_max_s == 900, "the peer watch is off by default; 5s heartbeats, 15m hold");
	eg_conf_set(&c, EG_K_PEER, "10.0.4.2", EG_SRC_FILE, err, sizeof err);
	CHECK_STR(err, "peer: invalid value \"10.0.4.2\" (the port is required): "
		  "expected an IPv4 ADDR:PORT (10.0.4.2:7000), or none; keeping none (the default)",
		  "peer's refusal");
	eg_conf_set(&c, EG_K_PEER_ID, "node a", EG_SRC_FILE, err, sizeof err);
	CHECK_STR(err, "peer_id: invalid value \"node a\" (node id: byte 5 is not one of A-Z a-z "
		  "0-9 . _ -): expected 1 to 32 of A-Z a-z 0-9 . _ -, or none (the host name); keeping "
		  "none (the default)", "peer_id's refusal");
}

static void failover_keys(void)
{
	static const struct keycase t[] = {
		{EG_K_UPLINK2, "eth1", 1, "eth1"},
		{EG_K_UPLINK2, "none", 1, ""},
		{EG_K_UPLINK2, "ppp0:1", 0, ""},
		{EG_K_UPLINK2_UP, "/usr/sbin/pon lte", 1, "/usr/sbin/pon lte"},
		{EG_K_UPLINK1_DOWN, "poff dsl", 1, "poff dsl"},
		{EG_K_UPLINK_SET, "1", 1, "1"},
		{EG_K_UPLINK_SET, "2", 0, "0"},
		{EG_K_FAILOVER_STAGE, "1", 1, "1"},
		{EG_K_FAILOVER_STAGE, "3", 1, "3"},
		{EG_K_FAILOVER_STAGE, "0", 0, "2"},
		{EG_K_FAILOVER_STAGE, "4", 0, "2"},
		{EG_K_FAILBACK_AFTER, "3s", 1, "3s"},
		{EG_K_FAILBACK_AFTER, "24h", 1, "24h"},
		{EG_K_FAILBACK_AFTER, "0", 0, "5m"},
		{EG_K_FAILBACK_AFTER, "25h", 0, "5m"},
		{EG_K_UPLINK1_GATEWAY, "192.168.1.1", 1, "192.168.1.1"},
		{EG_K_UPLINK2_GATEWAY, "10.0.5.2", 1, "10.0.5.2"},
		{EG_K_UPLINK2_GATEWAY, "none", 1, ""},
		{EG_K_UPLINK2_GATEWAY, "10.0.5", 0, ""},
		{EG_K_UPLINK2_GATEWAY, "10.0.5.2:80", 0, ""},
		{EG_K_UPLINK2_GATEWAY, "010.0.5.2", 0, ""},
		{EG_K_UPLINK_CMD_TIMEOUT, "1s", 1, "1s"},
		{EG_K_UPLINK_CMD_TIMEOUT, "0", 0, "30s"},
		{EG_K_UPLINK_CMD_TIMEOUT, "2h", 0, "30s"},
	};
	char err[EG_MSG_MAX];
	struct eg_conf c;

	check_keys(t, sizeof t / sizeof t[0]);
	eg_conf_defaults(&c);
	CHECK(c.uplink2[0] == '\0' && c.uplink_set == 0 && c.failover_stage == 2 &&
	      c.failback_after_s == 300 && c.uplink_cmd_timeout_s == 30 &&
	      c.uplink1_gateway[0] == '\0' && c.uplink2_up[0] == '\0',
	      "failover is off by default; stage 2, 5m fail-back hold, 30s commands");
	eg_conf_set(&c, EG_K_UPLINK2_GATEWAY, "10.0.5", EG_SRC_FILE, err, sizeof err);
	CHECK_STR(err, "uplink2_gateway: invalid value \"10.0.5\": expected an IPv4 ADDR "
		  "(192.168.1.1), or none; keeping none (the default)", "uplink2_gateway's refusal");
}

void test_conf(void)
{
	heal_keys();
	failover_keys();
	peer_keys();
	nearest();
	fetch_keys();
	durations();
	defaults();
	file_syntax();
	file_reports();
	lookup_and_format();
}
