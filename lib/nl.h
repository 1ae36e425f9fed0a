/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Network link information over netlink (libmnl): links with their
 * counters (RTM_GETLINK), addresses (RTM_GETADDR), speed and duplex
 * (ethtool generic netlink, SIOCETHTOOL as fallback) and the driver name.
 * Read-only: nothing here needs privileges. Functions return 0 or -errno.
 */
#ifndef TUNEKIT_NL_H
#define TUNEKIT_NL_H

#include <net/if.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <stddef.h>
#include <stdint.h>

struct nlmsghdr;

#define NL_SPEED_UNKNOWN (-1)  /* as SPEED_UNKNOWN of <linux/ethtool.h> */
#define NL_DUPLEX_HALF 0
#define NL_DUPLEX_FULL 1
#define NL_DUPLEX_UNKNOWN 255  /* as DUPLEX_UNKNOWN */
#define NL_QDISC_MAX 32
#define NL_KIND_MAX 32
#define NL_DRIVER_MAX 32

/* The counters of IFLA_STATS64 (IFLA_STATS when the kernel lacks it). */
struct nl_stats {
	uint64_t rx_bytes, rx_packets, rx_errors, rx_dropped;
	uint64_t tx_bytes, tx_packets, tx_errors, tx_dropped;
};

/* One address of RTM_GETADDR, as text without the prefix length. */
struct nl_addr {
	int ifindex;
	uint8_t family;    /* AF_INET or AF_INET6 */
	uint8_t prefixlen;
	uint8_t scope;     /* RT_SCOPE_* */
	char text[INET6_ADDRSTRLEN];
};

struct nl_link {
	int ifindex;
	char name[IF_NAMESIZE];
	unsigned int flags;       /* IFF_* of ifinfomsg, IFF_LOWER_UP included */
	uint32_t mtu;
	uint32_t txqlen;
	uint8_t operstate;        /* IF_OPER_* */
	char qdisc[NL_QDISC_MAX]; /* root qdisc kind, "" when none reported */
	char kind[NL_KIND_MAX];   /* IFLA_INFO_KIND ("veth"), "" for none */
	int32_t speed_mbps;       /* nl_session_ethtool(); NL_SPEED_UNKNOWN until then */
	uint8_t duplex;           /* NL_DUPLEX_* */
	int has_ethtool;          /* the link answered ethtool link modes */
	int has_stats;            /* stats valid */
	struct nl_stats stats;
	struct nl_addr *addrs;    /* filled by nl_addrs_dump() */
	size_t naddrs;
};

/* Links in the order of the kernel's dump (ifindex order). */
struct nl_links {
	struct nl_link *v;
	size_t n;
};

/*
 * One netlink session for a run: one rtnetlink socket, one generic netlink
 * socket (ethtool's family id looked up once) and one ioctl socket, each
 * opened on first use, and one receive buffer. A tool opens one, makes its
 * requests, closes it; the single-call functions below open their own.
 */
struct nl_session;
int nl_session_open(struct nl_session **s);
void nl_session_close(struct nl_session *s);
/* nl_links_dump, nl_addrs_dump on the session's socket. */
int nl_session_links(struct nl_session *s, struct nl_links *links);
int nl_session_addrs(struct nl_session *s, struct nl_links *links);
/*
 * Speed and duplex of every link with one ETHTOOL_MSG_LINKMODES_GET dump
 * (NLM_F_DUMP); a link the dump does not name has none (has_ethtool 0). Where
 * the kernel has no ethtool netlink, SIOCETHTOOL one device at a time.
 */
int nl_session_ethtool(struct nl_session *s, struct nl_links *links);
/* nl_link_driver on the session's ioctl socket. */
int nl_session_driver(struct nl_session *s, const char *name, char *driver, size_t len);

/* Dump every link of this network namespace into *links (zeroed first). */
int nl_links_dump(struct nl_links *links);
/* Dump the IPv4 and IPv6 addresses and attach them to their links. */
int nl_addrs_dump(struct nl_links *links);
/* The link called name, or NULL. */
struct nl_link *nl_links_find(const struct nl_links *links, const char *name);
/* The link with this ifindex, or NULL. */
struct nl_link *nl_links_find_index(const struct nl_links *links, int ifindex);
/* Free what the dumps allocated; *links is empty afterwards. */
void nl_links_free(struct nl_links *links);

/*
 * Speed in Mbit/s and duplex of one link: ethtool netlink
 * (ETHTOOL_MSG_LINKMODES_GET), else the SIOCETHTOOL ioctl. A driver that
 * does not know gives NL_SPEED_UNKNOWN / NL_DUPLEX_UNKNOWN with 0; a link
 * without ethtool support (lo) gives -EOPNOTSUPP.
 */
int nl_link_speed(const char *name, int32_t *speed_mbps, uint8_t *duplex);
/* Driver name through SIOCETHTOOL ETHTOOL_GDRVINFO ("veth", "virtio_net"). */
int nl_link_driver(const char *name, char *driver, size_t len);

/* "UP", "DOWN", "LOWERLAYERDOWN"... as ip(8) prints IF_OPER_*. */
const char *nl_operstate_name(uint8_t operstate);
/* "half", "full" or "unknown". */
const char *nl_duplex_name(uint8_t duplex);
/* "global", "site", "link", "host", "nowhere" or the number as text in buf. */
const char *nl_scope_name(uint8_t scope, char *buf, size_t len);
/* Names of the set IFF_* flags ("UP", "LOWER_UP"...) in a fixed order; returns the count. */
size_t nl_flag_names(unsigned int flags, const char **names, size_t max);

/* Parsers of one netlink message, shared by the dumps and the unit tests. */
/* RTM_NEWLINK into *link (addresses untouched); -EINVAL when malformed. */
int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *link);
/* RTM_NEWADDR into *addr; -EAFNOSUPPORT for families other than v4/v6. */
int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *addr);
/* ETHTOOL_MSG_LINKMODES_GET_REPLY (a genlmsghdr follows nlh). */
int nl_linkmodes_parse(const struct nlmsghdr *nlh, int32_t *speed_mbps, uint8_t *duplex);
/* The same, from a dump: also the ifindex of the header (ETHTOOL_A_HEADER_DEV_INDEX). */
int nl_linkmodes_parse_dev(const struct nlmsghdr *nlh, int *ifindex, int32_t *speed_mbps, uint8_t *duplex);
/* CTRL_CMD_NEWFAMILY reply: the generic netlink family id. */
int nl_genl_family_parse(const struct nlmsghdr *nlh, uint16_t *family_id);

/* Ring sizes of a device (ETHTOOL_MSG_RINGS_GET): current and maximum. */
enum { NL_RINGS_RX = 1, NL_RINGS_TX = 2 };
struct nl_rings {
	uint32_t rx, rx_max, tx, tx_max;
	unsigned present; /* NL_RINGS_* of the rings the driver gave (it leaves out one it has not) */
};

/* Interrupt coalescing (ETHTOOL_MSG_COALESCE_GET): what the driver reports. */
enum {
	NL_COALESCE_RX_USECS = 1, NL_COALESCE_RX_FRAMES = 2, NL_COALESCE_TX_USECS = 4, NL_COALESCE_TX_FRAMES = 8,
	NL_COALESCE_ADAPTIVE_RX = 16, NL_COALESCE_ADAPTIVE_TX = 32,
};
struct nl_coalesce {
	uint32_t rx_usecs, rx_frames, tx_usecs, tx_frames;
	uint8_t adaptive_rx, adaptive_tx; /* 0 or 1 */
	unsigned present; /* NL_COALESCE_* bits of the values the driver gave */
};

/*
 * Read a device's rings or coalescing over ethtool netlink. -EOPNOTSUPP
 * when the driver has none (veth has neither), -ENOENT/-ENODEV for no such
 * device, other -errno on failure.
 */
int nl_session_rings(struct nl_session *s, const char *name, struct nl_rings *r);
int nl_session_coalesce(struct nl_session *s, const char *name, struct nl_coalesce *c);
/* Their reply parsers (a genlmsghdr follows nlh). */
int nl_rings_parse(const struct nlmsghdr *nlh, struct nl_rings *r);
int nl_coalesce_parse(const struct nlmsghdr *nlh, struct nl_coalesce *c);

/*
 * Change rings or coalescing (ETHTOOL_MSG_RINGS_SET, ETHTOOL_MSG_COALESCE_SET):
 * only the values whose NL_RINGS_* / NL_COALESCE_* bit is in which are
 * sent, the rest stay as they are. Needs CAP_NET_ADMIN (-EPERM). A driver
 * without the operation or that parameter: -EOPNOTSUPP or -EINVAL (the
 * kernel's word, "cannot modify an unsupported parameter"); a value above
 * the driver's maximum: -EINVAL. 0 or -errno.
 */
int nl_session_rings_set(struct nl_session *s, const char *name, const struct nl_rings *r, unsigned which);
int nl_session_coalesce_set(struct nl_session *s, const char *name, const struct nl_coalesce *c, unsigned which);
/* The request those send, built into buf (NL_SET_MSG_SIZE bytes, 8-aligned), for the unit tests. */
#define NL_SET_MSG_SIZE 512
struct nlmsghdr *nl_rings_set_msg(char *buf, uint16_t family, const char *name, const struct nl_rings *r,
				  unsigned which);
struct nlmsghdr *nl_coalesce_set_msg(char *buf, uint16_t family, const char *name, const struct nl_coalesce *c,
				     unsigned which);

#endif
