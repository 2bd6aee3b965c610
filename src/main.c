/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * earlyguard: keeps a remotely managed machine reachable.  One static
 * binary, several roles; main only parses options, calls the role and maps
 * its result to the exit codes of earlyguard(8).
 */
#include "conf.h"
#include "ctl.h"
#include "grubenv.h"
#include "modload.h"
#include "record.h"
#include "roles.h"
#include "sys.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

/* One line a command: the details, the status lines and the exit codes of
 * each command are in earlyguard(8), and every byte here is in the
 * initramfs. */
static const char usage_text[] =
	"usage: earlyguard [-c CONF] [--cmdline FILE] COMMAND [ARGS]\n"
	"initramfs:\n"
	"  init [REAL_INIT [ARGS]]   arm the watchdog, start the guard, exec REAL_INIT\n"
	"  rescue [--no-shell] REASON...  say why, a bounded console shell, reboot\n"
	"  modprobe MODULE...        load modules (modules.dep, params from cmdline)\n"
	"  fetch [--no-reboot] [--auto=entry|noroot]\n"
	"                            the signed bundle into the trial slot, select, reboot;\n"
	"                            --auto: only if GRUB's recovery entry / a missing root\n"
	"                            and recover=fetch ask for it\n"
	"anywhere:\n"
	"  config [get KEY|check]    the configuration in force (file, then cmdline)\n"
	"  net up                    set up the static IPv4 network of net= (or ip=)\n"
	"  record [DEVICE]           the newest boot record\n"
	"  grubenv [-f FILE] list|get KEY|set KEY=VALUE...|unset KEY...|check [--repair]\n"
	"  version\n"
	"rootfs:\n"
	"  daemon [-d FD]            take the watchdog over, hold the boot to deadlines\n"
	"  disarm                    confirm this boot\n"
	"  checkin [--disable]       check in (the first one arms the check-in deadline)\n"
	"  status [--json]           watchdog, handoff, deadlines, the last boot's end\n"
	"  reboot --reason TEXT      orderly reboot under the watchdog\n"
	"  inhibit --for DURATION|--clear  hold the self-heal's recovery reboots (at most 7d)\n"
	"  trial ENTRY               boot ENTRY (trial, A, B or recovery) next boot only\n"
	"  promote                   make this confirmed trial the default slot\n"
	"  shutdown begin|done       the first and the last thing of any shutdown\n"
	"  watchdog stop --yes|start maintenance: stop the hardware watchdog, re-arm it\n"
	"options: -c CONF (/etc/earlyguard.conf), --cmdline FILE (/proc/cmdline),\n"
	"  -h/--help, --version\n"
	"exit: 0 ok, 1 refused or failed, 2 daemon unreachable, 99 timeout, 100 usage,\n"
	"  111 system call failed.  See earlyguard(8), earlyguard.conf(5).\n";

static int usage(const char *why)
{
	if (why) {
		fprintf(stderr, "earlyguard: usage error: %s\n"
			"usage: earlyguard [-c CONF] [--cmdline FILE] COMMAND [ARGS]; "
			"see earlyguard --help\n", why);
		return EG_EXIT_USAGE;
	}
	fputs(usage_text, stdout);
	return EG_EXIT_OK;
}

static const char *source_name(enum eg_source s)
{
	switch (s) {
	case EG_SRC_DEFAULT: return "default";
	case EG_SRC_FILE: return "file";
	case EG_SRC_CMDLINE: return "kernel command line";
	}
	return "?";
}

static int cmd_config(const struct eg_opts *o, int argc, char **argv)
{
	struct eg_conf c;
	char cmdline[EG_CMDLINE_MAX], val[EG_LIST_MAX];
	int problems;

	eg_log_init(false);
	problems = eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline,
				argc >= 2 && strcmp(argv[1], "get") == 0 ? false : true);
	if (argc >= 2 && strcmp(argv[1], "get") == 0) {
		int k;

		if (argc != 3)
			return usage("config get takes one KEY");
		k = eg_conf_lookup(argv[2], strlen(argv[2]));
		if (k < 0) {
			fprintf(stderr, "earlyguard: config get: unknown key '%s'\n", argv[2]);
			return EG_EXIT_USAGE;
		}
		/* durations in plain seconds, for shell arithmetic */
		if (eg_keys[k].type == EG_T_DURATION) {
			printf("%lu\n", (unsigned long)eg_conf_seconds(&c, k));
		} else {
			eg_conf_format(&c, k, val, sizeof val);
			printf("%s\n", val);
		}
		return EG_EXIT_OK;
	}
	if (argc >= 2 && strcmp(argv[1], "check") == 0) {
		if (argc != 2)
			return usage("config check takes no arguments");
		if (problems) {
			fprintf(stderr, "earlyguard: config check: %d problem%s (see above)\n",
				problems, problems == 1 ? "" : "s");
			return EG_EXIT_FAIL;
		}
		printf("configuration ok\n");
		return EG_EXIT_OK;
	}
	if (argc != 1)
		return usage("config takes 'get KEY' or 'check'");
	for (int k = 0; k < EG_K_COUNT; k++) {
		eg_conf_format(&c, k, val, sizeof val);
		printf("%s=%s\t# %s\n", eg_keys[k].name, val[0] ? val : "none",
		       source_name(c.source[k]));
	}
	return EG_EXIT_OK;
}

static int cmd_modprobe(const struct eg_opts *o, int argc, char **argv)
{
	char cmdline[EG_CMDLINE_MAX], why[EG_MSG_MAX];
	int failures = 0;
	long n;

	if (argc < 2)
		return usage("modprobe needs a MODULE");
	eg_log_init(getpid() == 1 || access("/dev/kmsg", W_OK) == 0);
	n = eg_read_file(o->cmdline_path, cmdline, sizeof cmdline, NULL);
	if (n < 0)
		cmdline[0] = '\0';
	for (int i = 1; i < argc; i++)
		if (eg_modprobe(argv[i], cmdline, why, sizeof why) != 0) {
			eg_log(EG_ERR, "modprobe %s: %s", argv[i], why);
			failures++;
		}
	return failures ? EG_EXIT_FAIL : EG_EXIT_OK;
}

static int cmd_record(const struct eg_opts *o, int argc, char **argv)
{
	struct eg_conf c;
	struct eg_record r;
	char cmdline[EG_CMDLINE_MAX], path[EG_PATH_MAX];
	const char *spec;
	int err;

	eg_log_init(false);
	if (argc > 2)
		return usage("record takes at most one DEVICE");
	eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, false);
	spec = argc == 2 ? argv[1] : c.record;
	if (spec[0] == '\0') {
		fprintf(stderr, "earlyguard: record: no record device configured (record=)\n");
		return EG_EXIT_FAIL;
	}
	err = eg_record_resolve(spec, path, sizeof path);
	if (err != 0) {
		fprintf(stderr, "earlyguard: record: device %s not found: %s\n", spec, strerror(-err));
		return EG_EXIT_FAIL;
	}
	err = eg_record_read(path, &r);
	if (err == -ENOENT) {
		fprintf(stderr, "earlyguard: record: %s holds no boot record\n", spec);
		return EG_EXIT_FAIL;
	}
	if (err) {
		fprintf(stderr, "earlyguard: unable to read the boot record %s: %s\n", spec,
			strerror(-err));
		return EG_EXIT_SYS;
	}
	printf("seq=%lu\nboot=%lu\nevent=%s\nstage=%s\nreason=%s\n", (unsigned long)r.seq,
	       (unsigned long)r.boot, r.event, r.stage, r.reason);
	return EG_EXIT_OK;
}

/* grubenv's actions, in the order of grubenv_verbs[] */
enum { GE_LIST, GE_CHECK, GE_GET, GE_SET, GE_UNSET, GE_NONE };
static const char grubenv_verbs[GE_NONE][6] = {"list", "check", "get", "set", "unset"};

/* One action on file (under the grubenv lock when it writes). */
static int grubenv_edit(const char *file, int cmd, char **argv, int n, bool writes)
{
	static struct eg_grubenv e;
	static char val[EG_GRUBENV_MAX];
	struct eg_grubenv_var v;
	size_t pos = 0;
	int vars = 0, r;
	bool changed;

	r = eg_grubenv_load(file, &e);
	if (r < 0 && (r != -ENOENT || !writes)) {
		eg_log_sys(EG_ERR, "read", file, -r);
		return r == -EFBIG || r == -EINVAL ? EG_EXIT_FAIL : EG_EXIT_SYS;
	}
	if (r > 0)
		eg_log(EG_ERR, "grubenv: %s is corrupt: %s%s", file, e.err,
		       writes ? "; writing a fresh block" : "");
	if (r > 0 && !writes)
		return EG_EXIT_FAIL;
	if (cmd == GE_GET) {
		if (eg_grubenv_get(&e, argv[0], val, sizeof val) <= 0) {
			eg_log(EG_ERR, "grubenv: %s is not set", argv[0]);
			return EG_EXIT_FAIL;
		}
		puts(val);
	}
	while (cmd <= GE_CHECK && eg_grubenv_next(&e, &pos, &v)) {
		vars++;
		if (cmd == GE_LIST && eg_grubenv_unescape(v.raw, v.rlen, val, sizeof val))
			printf("%.*s=%s\n", (int)v.nlen, v.name, val);
	}
	if (cmd == GE_CHECK && r == 0)
		printf("%s: ok, %d variable%s, %zu of %zu bytes free\n", file, vars,
		       vars == 1 ? "" : "s", e.size - EG_GRUBENV_HDRLEN - e.used, e.size);
	changed = r != 0;
	for (int k = 0; cmd >= GE_SET && k < n; k++) {
		char *eq = strchr(argv[k], '=');
		const char *why;

		if (cmd == GE_UNSET) {
			changed |= eg_grubenv_unset(&e, argv[k]);
			continue;
		}
		*eq = '\0';
		why = eg_grubenv_set(&e, argv[k], eq + 1);
		if (why) {
			eg_log(EG_ERR, "grubenv: %s: %s; %s unchanged", argv[k], why, file);
			return EG_EXIT_FAIL;
		}
		changed = true;
	}
	r = changed && writes ? eg_grubenv_save(file, &e) : 0;
	if (r)
		eg_log_sys(EG_ERR, "write", file, -r);
	return r ? EG_EXIT_SYS : EG_EXIT_OK;
}

/* GRUB's environment block, as grub-editenv edits it.  A corrupt block is
 * never read from; a command that writes replaces it with a fresh one. */
static int cmd_grubenv(const struct eg_opts *o, int argc, char **argv)
{
	struct eg_conf c;
	char cmdline[EG_CMDLINE_MAX];
	const char *file;
	int i = 1, n, r, cmd = 0, lock = -1;
	bool repair, writes;

	eg_log_init(false);
	eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, false);
	file = c.grubenv;
	if (argc >= 3 && strcmp(argv[1], "-f") == 0) {
		file = argv[2];
		i = 3;
	}
	while (cmd < GE_NONE && (i >= argc || strcmp(argv[i], grubenv_verbs[cmd]) != 0))
		cmd++;
	n = argc - i - 1;
	argv += i + 1;
	repair = cmd == GE_CHECK && n == 1 && strcmp(argv[0], "--repair") == 0;
	if (cmd == GE_NONE || (cmd <= GE_CHECK ? n > repair : cmd == GE_GET ? n != 1 : n < 1))
		return usage("grubenv takes [-f FILE] and list, get KEY, set KEY=VALUE..., "
			     "unset KEY... or check [--repair]");
	for (int k = 0; cmd == GE_SET && k < n; k++)
		if (!strchr(argv[k], '='))
			return usage("grubenv set takes KEY=VALUE");
	writes = cmd >= GE_SET || repair;
	if (writes && (lock = eg_grub_lock("grubenv", file)) < 0)
		return EG_EXIT_FAIL;
	r = grubenv_edit(file, cmd, argv, n, writes);
	if (lock >= 0)
		close(lock);
	return r;
}

static int cmd_daemon(const struct eg_opts *o, int argc, char **argv)
{
	uint64_t fd = 0;

	if (argc == 1)
		return eg_cmd_daemon(o, -1);
	if (argc == 3 && strcmp(argv[1], "-d") == 0 && eg_parse_u64(argv[2], &fd) && fd >= 3 &&
	    fd < 1024)
		return eg_cmd_daemon(o, (int)fd);
	return usage("daemon takes at most -d FD (a notification fd, 3 or more)");
}

/* Operator commands: one request to the daemon over the control socket. */
static int cmd_operator(const struct eg_opts *o, int argc, char **argv)
{
	char req[EG_CTL_MAX];
	const char *verb = argv[0];

	eg_log_init(false);
	if (strcmp(verb, "disarm") == 0 && argc == 1)
		return eg_ctl_call(verb, "DISARM", NULL, 0);
	if (strcmp(verb, "checkin") == 0 && argc == 1)
		return eg_ctl_call(verb, "CHECKIN", NULL, 0);
	if (strcmp(verb, "checkin") == 0 && argc == 2 && strcmp(argv[1], "--disable") == 0)
		return eg_ctl_call(verb, "CHECKIN-DISABLE", NULL, 0);
	if (strcmp(verb, "status") == 0 && argc == 1)
		return eg_ctl_call(verb, "STATUS", NULL, 0);
	if (strcmp(verb, "status") == 0 && argc == 2 && strcmp(argv[1], "--json") == 0)
		return eg_ctl_call(verb, "STATUS-JSON", NULL, 0);
	if (strcmp(verb, "reboot") == 0 && argc == 3 && strcmp(argv[1], "--reason") == 0) {
		if (argv[2][0] == '\0' || strlen(argv[2]) > EG_REASON_MAX - 20)
			return usage("reboot --reason takes a non-empty TEXT of at most 180 characters");
		for (const char *p = argv[2]; *p; p++)
			if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
				return usage("reboot --reason: TEXT must be printable ASCII, on one line");
		snprintf(req, sizeof req, "REBOOT %s", argv[2]);
		return eg_ctl_call(verb, req, NULL, 0);
	}
	if (strcmp(verb, "inhibit") == 0 && argc == 2 && strcmp(argv[1], "--clear") == 0)
		return eg_ctl_call(verb, "INHIBIT 0", NULL, 0);
	if (strcmp(verb, "inhibit") == 0) {
		uint64_t secs;

		if (argc != 3 || strcmp(argv[1], "--for") != 0)
			return usage("inhibit takes --for DURATION (90s, 2h, 1h30m) or --clear");
		if (!eg_parse_duration(argv[2], 7 * 24 * 3600, &secs) || secs == 0)
			return usage("inhibit --for: DURATION is 1s to 7 days (90s, 2h, 1h30m)");
		snprintf(req, sizeof req, "INHIBIT %llu", (unsigned long long)secs * 1000);
		return eg_ctl_call(verb, req, NULL, 0);
	}
	if (strcmp(verb, "shutdown") == 0 && argc == 2 && strcmp(argv[1], "begin") == 0) {
		int r = eg_ctl_call("shutdown begin", "SHUTDOWN-BEGIN", NULL, 0);
		if (r == EG_EXIT_UNREACHABLE) {
			/* No daemon to extend the watchdog: still record the start. */
			struct eg_conf c;
			char cmdline[EG_CMDLINE_MAX];
			eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, false);
			eg_record_append(c.record, "shutdown", "rootfs",
					 "shutdown by the init system (no daemon)");
		}
		return r;
	}
	if (strcmp(verb, "shutdown") == 0 && argc == 2 && strcmp(argv[1], "done") == 0) {
		/* The last hook: filesystems may be read-only, the daemon gone;
		 * the boot record is written directly. */
		struct eg_conf c;
		char cmdline[EG_CMDLINE_MAX];
		eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, false);
		if (c.record[0] == '\0')
			return EG_EXIT_OK;
		return eg_record_append(c.record, "shutdown-done", "rootfs", NULL) == 0 ?
			       EG_EXIT_OK : EG_EXIT_SYS;
	}
	if (strcmp(verb, "watchdog") == 0 && argc == 3 && strcmp(argv[1], "stop") == 0 &&
	    strcmp(argv[2], "--yes") == 0)
		return eg_ctl_call("watchdog stop", "WATCHDOG-STOP", NULL, 0);
	if (strcmp(verb, "watchdog") == 0 && argc == 2 && strcmp(argv[1], "stop") == 0)
		return usage("watchdog stop leaves hangs uncaught: say 'watchdog stop --yes'");
	if (strcmp(verb, "watchdog") == 0 && argc == 2 && strcmp(argv[1], "start") == 0)
		return eg_ctl_call("watchdog start", "WATCHDOG-START", NULL, 0);
	if (strcmp(verb, "control-raw") == 0 && argc == 1) {
		/* a test aid: stdin as one raw control message */
		static char raw[128 * 1024];
		size_t n = 0;
		ssize_t k;
		while (n < sizeof raw && (k = read(0, raw + n, sizeof raw - n)) > 0)
			n += (size_t)k;
		return eg_ctl_call(verb, NULL, raw, n);
	}
	{
		char why[EG_MSG_MAX];
		snprintf(why, sizeof why, "wrong arguments for %s (see earlyguard --help)", verb);
		return usage(why);
	}
}

int main(int argc, char **argv)
{
	struct eg_opts o = {"/etc/earlyguard.conf", "/proc/cmdline", argv[0]};
	int i = 1;

	for (; i < argc && argv[i][0] == '-'; i++) {
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0)
			return usage(NULL);
		if (strcmp(argv[i], "--version") == 0) {
			printf("earlyguard %s\n", EG_VERSION);
			return EG_EXIT_OK;
		}
		if (strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--cmdline") == 0) {
			char why[EG_MSG_MAX];
			if (i + 1 >= argc) {
				snprintf(why, sizeof why, "option %s needs a FILE", argv[i]);
				return usage(why);
			}
			if (argv[i][1] == 'c')
				o.conf_path = argv[++i];
			else
				o.cmdline_path = argv[++i];
		} else if (strcmp(argv[i], "--") == 0) {
			i++;
			break;
		} else {
			char why[EG_MSG_MAX];
			snprintf(why, sizeof why, "unknown option %s", argv[i]);
			return usage(why);
		}
	}
	if (i >= argc)
		return usage("a COMMAND is required");
	argc -= i;
	argv += i;
	if (strcmp(argv[0], "init") == 0)
		return eg_cmd_init(&o, argc, argv);
	if (strcmp(argv[0], "rescue") == 0) {
		char reason[EG_REASON_MAX] = "";
		size_t n = 0;
		int first = 1;
		bool shell = true;
		/* --no-shell: the generator was told not to open one (rd.shell=0) */
		if (argc > 1 && strcmp(argv[1], "--no-shell") == 0) {
			shell = false;
			first = 2;
		}
		/* the words of the reason, joined */
		for (int k = first; k < argc; k++) {
			int w = snprintf(reason + n, sizeof reason - n, "%s%s", k > first ? " " : "",
					 argv[k]);
			if (w < 0 || (size_t)w >= sizeof reason - n)
				break;
			n += (size_t)w;
		}
		return eg_cmd_rescue(&o, reason[0] ? reason : "no reason given", shell);
	}
	if (strcmp(argv[0], "modprobe") == 0)
		return cmd_modprobe(&o, argc, argv);
	if (strcmp(argv[0], "config") == 0)
		return cmd_config(&o, argc, argv);
	if (strcmp(argv[0], "record") == 0)
		return cmd_record(&o, argc, argv);
	if (strcmp(argv[0], "daemon") == 0)
		return cmd_daemon(&o, argc, argv);
	if (strcmp(argv[0], "grubenv") == 0)
		return cmd_grubenv(&o, argc, argv);
	if (strcmp(argv[0], "trial") == 0) {
		int entry;
		const char *why = argc == 2 ? eg_bootsel_trial(argv[1], &entry) :
					      "trial takes one ENTRY";
		return why ? usage(why) : eg_cmd_trial(&o, entry);
	}
	if (strcmp(argv[0], "net") == 0)
		return argc == 2 && strcmp(argv[1], "up") == 0 ? eg_cmd_net_up(&o) :
								 usage("net takes 'up'");
	if (strcmp(argv[0], "fetch") == 0) {
		bool reboot = true;
		enum eg_fetch_when when = EG_FETCH_ALWAYS;

		for (int j = 1; j < argc; j++) {
			if (strcmp(argv[j], "--no-reboot") == 0)
				reboot = false;
			else if (strcmp(argv[j], "--auto=entry") == 0)
				when = EG_FETCH_ENTRY;
			else if (strcmp(argv[j], "--auto=noroot") == 0)
				when = EG_FETCH_NOROOT;
			else
				return usage("fetch takes --no-reboot and --auto=entry or "
					     "--auto=noroot");
		}
		return eg_cmd_fetch(&o, reboot, when);
	}
	if (strcmp(argv[0], "promote") == 0)
		return argc == 1 ? eg_cmd_promote(&o) : usage("promote takes no arguments");
	if (strcmp(argv[0], "disarm") == 0 || strcmp(argv[0], "checkin") == 0 ||
	    strcmp(argv[0], "status") == 0 || strcmp(argv[0], "reboot") == 0 ||
	    strcmp(argv[0], "shutdown") == 0 || strcmp(argv[0], "control-raw") == 0 ||
	    strcmp(argv[0], "watchdog") == 0 || strcmp(argv[0], "inhibit") == 0)
		return cmd_operator(&o, argc, argv);
	if (strcmp(argv[0], "version") == 0) {
		printf("earlyguard %s\n", EG_VERSION);
		return EG_EXIT_OK;
	}
	if (strcmp(argv[0], "help") == 0)
		return usage(NULL);
	{
		char why[EG_MSG_MAX];
		snprintf(why, sizeof why, "unknown command '%s'", argv[0]);
		return usage(why);
	}
}
