/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * `earlyguard net up`, and what the recovery fetch calls: the network of
 * the configuration, resolved (netcfg.c) and set up (netlink.c), each step
 * said once.
 */
#include "netlink.h"
#include "roles.h"
#include "sys.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

static void say(bool print, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void say(bool print, const char *fmt, ...)
{
	char msg[EG_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (print)
		printf("%s\n", msg);
	else
		eg_log(EG_NOTICE, "%s", msg);
}

int eg_net_configure(const struct eg_conf *c, const char *cmdline, bool print)
{
	struct eg_net n;
	struct eg_net_result r;
	enum eg_net_from from;
	char why[EG_MSG_MAX], text[EG_NET_STR], ip[EG_IP4_STR];
	int err;

	if (eg_net_resolve(c->net, cmdline, &n, &from, why, sizeof why) != 0) {
		eg_log(EG_ERR, "net: %s", why);
		return EG_EXIT_FAIL;
	}
	eg_net_format(&n, text, sizeof text);
	say(print, "net: %s (%s)", text,
	    from == EG_NET_KERNEL_IP		      ? "ip= on the kernel command line" :
	    c->source[EG_K_NET] == EG_SRC_CMDLINE ? "earlyguard.net= on the kernel command line" :
						    "net= in the configuration file");
	err = eg_net_up(&n, (int64_t)c->net_carrier_s * 1000, &r);
	if (r.carrier_ms >= 0)
		say(print, "net: %s: %s; carrier after %ldms", n.ifname,
		    r.was_up ? "the link was up" : "brought the link up", (long)r.carrier_ms);
	if (err) {
		eg_log(EG_ERR, "net: %s", r.why);
		return err == -ENODEV ? EG_EXIT_FAIL : err == -ETIMEDOUT ? EG_EXIT_TIMEOUT : EG_EXIT_SYS;
	}
	eg_ip4_format(n.addr, ip);
	say(print, "net: %s: address %s/%u set", n.ifname, ip, n.prefix);
	eg_ip4_format(n.gateway, ip);
	if (n.gateway)
		say(print, "net: default route via %s on %s set", ip, n.ifname);
	else
		say(print, "net: no gateway: no default route");
	return EG_EXIT_OK;
}

int eg_cmd_net_up(const struct eg_opts *o)
{
	struct eg_conf c;
	char cmdline[EG_CMDLINE_MAX];

	eg_log_init(false);
	eg_load_conf(&c, o->conf_path, o->cmdline_path, cmdline, sizeof cmdline, true);
	return eg_net_configure(&c, cmdline, true);
}
