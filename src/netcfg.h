/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The recovery network, as text: a static IPv4 address on one interface
 * and the server to fetch from, by address (there is no DNS).  Pure
 * functions, no I/O: netlink.c applies what these parse.
 *
 * Reasons are short static strings naming what is wrong; the callers add
 * where the text came from.
 */
#ifndef EG_NETCFG_H
#define EG_NETCFG_H

#include "eg.h"

#define EG_IFNAME_MAX 16  /* the kernel's IFNAMSIZ: 15 characters and the NUL */
#define EG_IP4_STR 16     /* "255.255.255.255" and the NUL */
#define EG_NET_STR 64     /* IFACE:ADDR/PREFIX:GATEWAY, 50 at most */
#define EG_SERVER_STR 32  /* ADDR:PORT, 21 at most */
#define EG_SERVER_PORT 80 /* when earlyguard.server= gives none */

/* Addresses are in host byte order. */
struct eg_net {
	char ifname[EG_IFNAME_MAX];
	uint32_t addr;
	uint32_t gateway; /* 0: no default route */
	unsigned prefix;  /* 1 to 32 */
};

struct eg_server {
	uint32_t addr;
	uint16_t port;
};

/* Where the network in force comes from (eg_net_resolve). */
enum eg_net_from { EG_NET_NONE, EG_NET_CONF, EG_NET_KERNEL_IP };

/* A dotted quad, strictly: four decimal numbers 0-255, no leading zeros
 * ("0" itself is fine), no octal or hex, no shorthand ("10.1"), nothing
 * around it.  The whole of s[0..len). */
bool eg_ip4_parse(const char *s, size_t len, uint32_t *out);
void eg_ip4_format(uint32_t a, char buf[EG_IP4_STR]);
/* NULL when s[0..len) is a name the kernel accepts for a network
 * interface (dev_valid_name: 1-15 bytes, not "." or "..", no '/', ':' or
 * blank), and has no control character; else why not. */
const char *eg_ifname_check(const char *s, size_t len);
/* The prefix length of a netmask, or -1 when its one bits are not
 * contiguous from the top (255.0.255.0). */
int eg_mask_prefix(uint32_t mask);

/* earlyguard.net=IFACE:ADDR/PREFIX[:GATEWAY].  NULL and *n set, or why
 * not (n unchanged).  The address must be a unicast host address that is
 * neither the network nor the broadcast address of its prefix; the
 * gateway, when given, another one in the same network. */
const char *eg_net_parse(const char *s, struct eg_net *n);
/* The kernel's static ip= (Documentation/admin-guide/nfs/nfsroot.rst):
 * CLIENT:SERVER:GATEWAY:NETMASK:HOSTNAME:DEVICE[:AUTOCONF[:...]], read
 * only when AUTOCONF is empty, off or none; CLIENT, NETMASK and DEVICE are
 * required.  SERVER, HOSTNAME and the fields after AUTOCONF are ignored.
 * "dhcp" and the other automatic forms are refused. */
const char *eg_net_parse_ip(const char *s, struct eg_net *n);
/* earlyguard.server=ADDR[:PORT], port 1-65535, default 80. */
const char *eg_server_parse(const char *s, struct eg_server *sv);
/* The peer watch's addresses.  peer=ADDR:PORT (listen false): the port
 * is required, the address follows the server's rules.  peer_listen=
 * (listen true): PORT alone or ADDR:PORT, where ADDR is a unicast address
 * of this machine or 0.0.0.0; PORT alone and 0.0.0.0 give addr 0, any
 * address. */
const char *eg_peer_addr_parse(const char *s, bool listen, struct eg_server *sv);
/* n as earlyguard.net= text ("eth0:10.0.2.15/24:10.0.2.2"). */
void eg_net_format(const struct eg_net *n, char *buf, size_t size);

/* The network in force.  earlyguard's own net= key wins (conf_net: the
 * file's value overridden by earlyguard.net=, "" when unset); only
 * without it is the last ip= word of cmdline read.  ip=off and ip=none
 * configure nothing.  Returns 0 with *n set, or -1 with why (a sentence
 * naming the ip= word when that is what is refused); *from says which
 * was read (EG_NET_NONE: nothing is configured). */
int eg_net_resolve(const char *conf_net, const char *cmdline, struct eg_net *n,
		   enum eg_net_from *from, char *why, size_t whylen);

#endif
