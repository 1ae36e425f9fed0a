/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

/* <net/if.h> first: <linux/if.h> then leaves out what glibc defines */
#include <net/if.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>
#include <linux/sockios.h>

#include "c.h"
#include "nl.h"
#include "xalloc.h"

/*
 * libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE and MNL_SOCKET_BUFFER_SIZE is a
 * page: the kernel fills dump messages up to 32 KiB, so receive into that.
 */
#define NL_RECV_SIZE 32768
/* our requests carry a header and a few small attributes */
#define NL_REQ_SIZE 512

/* Copy an NLA_STRING payload (maybe not NUL-terminated) into dst. */
static int attr_strcpy(const struct nlattr *a, char *dst, size_t len)
{
	const char *s = mnl_attr_get_payload(a);
	size_t n = mnl_attr_get_payload_len(a);
	size_t slen = strnlen(s, n);

	if (slen >= len)
		return -EINVAL;
	memcpy(dst, s, slen);
	dst[slen] = '\0';
	return 0;
}

static int attr_u32(const struct nlattr *a, uint32_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U32) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u32(a);
	return 0;
}

static int attr_u8(const struct nlattr *a, uint8_t *v)
{
	if (mnl_attr_validate(a, MNL_TYPE_U8) < 0)
		return -EINVAL;
	*v = mnl_attr_get_u8(a);
	return 0;
}

/* A table of attributes by type; types above max are ignored. */
struct attr_table {
	const struct nlattr **tb;
	unsigned int max;
};

static int table_cb(const struct nlattr *a, void *data)
{
	struct attr_table *t = data;
	unsigned int type = mnl_attr_get_type(a);

	if (type <= t->max)
		t->tb[type] = a;
	return MNL_CB_OK;
}

static int parse_attrs(const struct nlmsghdr *nlh, size_t hdrlen,
		       const struct nlattr **tb, unsigned int max)
{
	struct attr_table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + MNL_ALIGN(hdrlen))
		return -EINVAL;
	if (mnl_attr_parse(nlh, hdrlen, table_cb, &t) < 0)
		return -EINVAL;
	return 0;
}

static int parse_nested(const struct nlattr *nest, const struct nlattr **tb,
			unsigned int max)
{
	struct attr_table t = { tb, max };

	memset(tb, 0, (max + 1) * sizeof(*tb));
	if (mnl_attr_parse_nested(nest, table_cb, &t) < 0)
		return -EINVAL;
	return 0;
}

static void stats_from64(struct nl_stats *st, const struct nlattr *a)
{
	struct rtnl_link_stats64 s;
	size_t len = mnl_attr_get_payload_len(a);

	memset(&s, 0, sizeof(s));
	memcpy(&s, mnl_attr_get_payload(a), len < sizeof(s) ? len : sizeof(s));
	*st = (struct nl_stats){
		.rx_bytes = s.rx_bytes, .rx_packets = s.rx_packets,
		.rx_errors = s.rx_errors, .rx_dropped = s.rx_dropped,
		.tx_bytes = s.tx_bytes, .tx_packets = s.tx_packets,
		.tx_errors = s.tx_errors, .tx_dropped = s.tx_dropped,
	};
}

static void stats_from32(struct nl_stats *st, const struct nlattr *a)
{
	struct rtnl_link_stats s;
	size_t len = mnl_attr_get_payload_len(a);

	memset(&s, 0, sizeof(s));
	memcpy(&s, mnl_attr_get_payload(a), len < sizeof(s) ? len : sizeof(s));
	*st = (struct nl_stats){
		.rx_bytes = s.rx_bytes, .rx_packets = s.rx_packets,
		.rx_errors = s.rx_errors, .rx_dropped = s.rx_dropped,
		.tx_bytes = s.tx_bytes, .tx_packets = s.tx_packets,
		.tx_errors = s.tx_errors, .tx_dropped = s.tx_dropped,
	};
}

/* The eight counters we report are the first eight fields of both structs. */
#define STATS64_MIN (8 * sizeof(uint64_t))
#define STATS32_MIN (8 * sizeof(uint32_t))

int nl_link_parse(const struct nlmsghdr *nlh, struct nl_link *link)
{
	const struct nlattr *tb[IFLA_MAX + 1];
	const struct ifinfomsg *ifm;
	struct nl_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return -EINVAL;
	if (parse_attrs(nlh, sizeof(*ifm), tb, IFLA_MAX) < 0)
		return -EINVAL;
	ifm = mnl_nlmsg_get_payload(nlh);

	memset(&l, 0, sizeof(l));
	l.ifindex = ifm->ifi_index;
	l.flags = ifm->ifi_flags;
	l.operstate = IF_OPER_UNKNOWN;
	l.speed_mbps = NL_SPEED_UNKNOWN;
	l.duplex = NL_DUPLEX_UNKNOWN;

	if (!tb[IFLA_IFNAME] || attr_strcpy(tb[IFLA_IFNAME], l.name, sizeof(l.name)) < 0 ||
	    !l.name[0])
		return -EINVAL;
	if (tb[IFLA_MTU] && attr_u32(tb[IFLA_MTU], &l.mtu) < 0)
		return -EINVAL;
	if (tb[IFLA_TXQLEN] && attr_u32(tb[IFLA_TXQLEN], &l.txqlen) < 0)
		return -EINVAL;
	if (tb[IFLA_OPERSTATE] && attr_u8(tb[IFLA_OPERSTATE], &l.operstate) < 0)
		return -EINVAL;
	if (tb[IFLA_QDISC] && attr_strcpy(tb[IFLA_QDISC], l.qdisc, sizeof(l.qdisc)) < 0)
		return -EINVAL;

	if (tb[IFLA_STATS64] && mnl_attr_get_payload_len(tb[IFLA_STATS64]) >= STATS64_MIN) {
		stats_from64(&l.stats, tb[IFLA_STATS64]);
		l.has_stats = 1;
	} else if (tb[IFLA_STATS] && mnl_attr_get_payload_len(tb[IFLA_STATS]) >= STATS32_MIN) {
		stats_from32(&l.stats, tb[IFLA_STATS]);
		l.has_stats = 1;
	}

	if (tb[IFLA_LINKINFO]) {
		const struct nlattr *info[IFLA_INFO_MAX + 1];

		if (parse_nested(tb[IFLA_LINKINFO], info, IFLA_INFO_MAX) < 0)
			return -EINVAL;
		if (info[IFLA_INFO_KIND] &&
		    attr_strcpy(info[IFLA_INFO_KIND], l.kind, sizeof(l.kind)) < 0)
			return -EINVAL;
	}

	*link = l;
	return 0;
}

int nl_addr_parse(const struct nlmsghdr *nlh, struct nl_addr *addr)
{
	const struct nlattr *tb[IFA_MAX + 1];
	const struct ifaddrmsg *ifa;
	const struct nlattr *a;
	size_t want;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return -EINVAL;
	if (parse_attrs(nlh, sizeof(*ifa), tb, IFA_MAX) < 0)
		return -EINVAL;
	ifa = mnl_nlmsg_get_payload(nlh);

	if (ifa->ifa_family == AF_INET)
		want = sizeof(struct in_addr);
	else if (ifa->ifa_family == AF_INET6)
		want = sizeof(struct in6_addr);
	else
		return -EAFNOSUPPORT;
	if (ifa->ifa_prefixlen > want * 8)
		return -EINVAL;

	/* IFA_LOCAL is our end of a point-to-point link, IFA_ADDRESS the peer */
	a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
	if (!a || mnl_attr_get_payload_len(a) != want)
		return -EINVAL;

	memset(addr, 0, sizeof(*addr));
	addr->ifindex = (int)ifa->ifa_index;
	addr->family = ifa->ifa_family;
	addr->prefixlen = ifa->ifa_prefixlen;
	addr->scope = ifa->ifa_scope;
	if (!inet_ntop(ifa->ifa_family, mnl_attr_get_payload(a), addr->text, sizeof(addr->text)))
		return -errno;
	return 0;
}

int nl_linkmodes_parse(const struct nlmsghdr *nlh, int32_t *speed_mbps, uint8_t *duplex)
{
	const struct nlattr *tb[ETHTOOL_A_LINKMODES_MAX + 1];
	uint32_t speed = (uint32_t)NL_SPEED_UNKNOWN;
	uint8_t dup = NL_DUPLEX_UNKNOWN;

	if (parse_attrs(nlh, sizeof(struct genlmsghdr), tb, ETHTOOL_A_LINKMODES_MAX) < 0)
		return -EINVAL;
	if (tb[ETHTOOL_A_LINKMODES_SPEED] && attr_u32(tb[ETHTOOL_A_LINKMODES_SPEED], &speed) < 0)
		return -EINVAL;
	if (tb[ETHTOOL_A_LINKMODES_DUPLEX] && attr_u8(tb[ETHTOOL_A_LINKMODES_DUPLEX], &dup) < 0)
		return -EINVAL;
	/* SPEED_UNKNOWN is (u32)-1; anything past INT32_MAX is as meaningless */
	*speed_mbps = speed > INT32_MAX ? NL_SPEED_UNKNOWN : (int32_t)speed;
	*duplex = dup == NL_DUPLEX_HALF || dup == NL_DUPLEX_FULL ? dup : NL_DUPLEX_UNKNOWN;
	return 0;
}

int nl_linkmodes_parse_dev(const struct nlmsghdr *nlh, int *ifindex, int32_t *speed_mbps, uint8_t *duplex)
{
	const struct nlattr *tb[ETHTOOL_A_LINKMODES_MAX + 1];
	const struct nlattr *hdr[ETHTOOL_A_HEADER_MAX + 1];
	uint32_t index;

	if (parse_attrs(nlh, sizeof(struct genlmsghdr), tb, ETHTOOL_A_LINKMODES_MAX) < 0 ||
	    !tb[ETHTOOL_A_LINKMODES_HEADER] ||
	    parse_nested(tb[ETHTOOL_A_LINKMODES_HEADER], hdr, ETHTOOL_A_HEADER_MAX) < 0 ||
	    !hdr[ETHTOOL_A_HEADER_DEV_INDEX] || attr_u32(hdr[ETHTOOL_A_HEADER_DEV_INDEX], &index) < 0 ||
	    index > INT32_MAX)
		return -EINVAL;
	*ifindex = (int)index;
	return nl_linkmodes_parse(nlh, speed_mbps, duplex);
}

int nl_genl_family_parse(const struct nlmsghdr *nlh, uint16_t *family_id)
{
	const struct nlattr *tb[CTRL_ATTR_MAX + 1];

	if (parse_attrs(nlh, sizeof(struct genlmsghdr), tb, CTRL_ATTR_MAX) < 0)
		return -EINVAL;
	if (!tb[CTRL_ATTR_FAMILY_ID] || mnl_attr_validate(tb[CTRL_ATTR_FAMILY_ID], MNL_TYPE_U16) < 0)
		return -EINVAL;
	*family_id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
	return 0;
}

/*
 * One netlink session a run: one rtnetlink socket, one generic netlink
 * socket (opened on first use, the ethtool family id looked up once), one
 * ioctl socket for what only SIOCETHTOOL answers, one receive buffer.
 */
struct nl_session {
	struct mnl_socket *sock[2]; /* NETLINK_ROUTE, NETLINK_GENERIC */
	unsigned int port[2];
	unsigned int seq;
	uint16_t ethtool_family;
	int ethtool_rc;             /* the family lookup: 0 done, 1 not yet, -errno failed */
	int ioctl_fd;
	char *buf;
};

int nl_session_open(struct nl_session **sp)
{
	struct nl_session *s = xcalloc(1, sizeof(*s));
	s->seq = (unsigned int)time(NULL);
	s->ethtool_rc = 1;
	s->ioctl_fd = -1;
	s->buf = xmalloc(NL_RECV_SIZE);
	*sp = s;
	return 0;
}

void nl_session_close(struct nl_session *s)
{
	if (!s)
		return;
	for (int i = 0; i < 2; i++)
		if (s->sock[i])
			mnl_socket_close(s->sock[i]);
	if (s->ioctl_fd >= 0)
		close(s->ioctl_fd);
	free(s->buf);
	free(s);
}

static int session_sock(struct nl_session *s, int bus)
{
	int i = bus == NETLINK_GENERIC;
	if (s->sock[i])
		return 0;
	struct mnl_socket *nl = mnl_socket_open(bus);
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	s->sock[i] = nl;
	s->port[i] = mnl_socket_get_portid(nl);
	return 0;
}

/*
 * Send one request on the session's socket for bus and run cb over every
 * reply until the dump ends or the kernel acknowledges. Requests must carry
 * NLM_F_DUMP or NLM_F_ACK, or the loop would wait for an end that never comes.
 */
static int session_talk(struct nl_session *s, int bus, struct nlmsghdr *req, mnl_cb_t cb, void *data)
{
	int rc = session_sock(s, bus), i = bus == NETLINK_GENERIC;
	if (rc < 0)
		return rc;
	unsigned int seq = ++s->seq;
	req->nlmsg_seq = seq;
	if (mnl_socket_sendto(s->sock[i], req, req->nlmsg_len) < 0)
		return -errno;
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(s->sock[i], s->buf, NL_RECV_SIZE);
		if (n < 0)
			return -errno;
		errno = 0;
		rc = mnl_cb_run(s->buf, (size_t)n, seq, s->port[i], cb, data);
		if (rc == MNL_CB_STOP)
			return 0;
		if (rc == MNL_CB_ERROR)
			/* a callback's own -errno travels in errno; keep a sane fallback */
			return errno ? -errno : -EPROTO;
	}
}

static struct nlmsghdr *put_request(char *buf, uint16_t type, uint16_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);

	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	return nlh;
}

static int link_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_links *links = data;
	struct nl_link l;

	if (nlh->nlmsg_type != RTM_NEWLINK)
		return MNL_CB_OK;
	if (nl_link_parse(nlh, &l) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	links->v = xreallocarray(links->v, links->n + 1, sizeof(*links->v));
	links->v[links->n++] = l;
	return MNL_CB_OK;
}

int nl_session_links(struct nl_session *s, struct nl_links *links)
{
	_Alignas(uint64_t) char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;
	int rc;

	links->v = NULL;
	links->n = 0;
	nlh = put_request(buf, RTM_GETLINK, NLM_F_DUMP);
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_family = AF_UNSPEC;

	rc = session_talk(s, NETLINK_ROUTE, nlh, link_cb, links);
	if (rc < 0)
		nl_links_free(links);
	return rc;
}

int nl_links_dump(struct nl_links *links)
{
	struct nl_session *s;
	nl_session_open(&s);
	int rc = nl_session_links(s, links);
	nl_session_close(s);
	return rc;
}

static int addr_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_links *links = data;
	struct nl_link *l;
	struct nl_addr a;
	int rc;

	if (nlh->nlmsg_type != RTM_NEWADDR)
		return MNL_CB_OK;
	rc = nl_addr_parse(nlh, &a);
	if (rc == -EAFNOSUPPORT)
		return MNL_CB_OK;
	if (rc < 0) {
		errno = -rc;
		return MNL_CB_ERROR;
	}
	l = nl_links_find_index(links, a.ifindex);
	if (!l) /* the link appeared after our link dump */
		return MNL_CB_OK;
	l->addrs = xreallocarray(l->addrs, l->naddrs + 1, sizeof(*l->addrs));
	l->addrs[l->naddrs++] = a;
	return MNL_CB_OK;
}

int nl_session_addrs(struct nl_session *s, struct nl_links *links)
{
	_Alignas(uint64_t) char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	nlh = put_request(buf, RTM_GETADDR, NLM_F_DUMP);
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = AF_UNSPEC;
	return session_talk(s, NETLINK_ROUTE, nlh, addr_cb, links);
}

int nl_addrs_dump(struct nl_links *links)
{
	struct nl_session *s;
	nl_session_open(&s);
	int rc = nl_session_addrs(s, links);
	nl_session_close(s);
	return rc;
}

struct nl_link *nl_links_find(const struct nl_links *links, const char *name)
{
	for (size_t i = 0; i < links->n; i++)
		if (strcmp(links->v[i].name, name) == 0)
			return &links->v[i];
	return NULL;
}

struct nl_link *nl_links_find_index(const struct nl_links *links, int ifindex)
{
	/* the dump is in ifindex order: search it so, check, then scan */
	size_t lo = 0, hi = links->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (links->v[mid].ifindex < ifindex)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < links->n && links->v[lo].ifindex == ifindex)
		return &links->v[lo];
	for (size_t i = 0; i < links->n; i++)
		if (links->v[i].ifindex == ifindex)
			return &links->v[i];
	return NULL;
}

void nl_links_free(struct nl_links *links)
{
	for (size_t i = 0; i < links->n; i++)
		free(links->v[i].addrs);
	free(links->v);
	links->v = NULL;
	links->n = 0;
}

static int family_cb(const struct nlmsghdr *nlh, void *data)
{
	if (nl_genl_family_parse(nlh, data) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	return MNL_CB_OK;
}

/* The ethtool family id, looked up once a session. */
static int session_ethtool_family(struct nl_session *s, uint16_t *id)
{
	if (s->ethtool_rc <= 0) {
		*id = s->ethtool_family;
		return s->ethtool_rc;
	}
	_Alignas(uint64_t) char buf[NL_REQ_SIZE];
	struct nlmsghdr *nlh;
	struct genlmsghdr *genl;

	nlh = put_request(buf, GENL_ID_CTRL, NLM_F_ACK);
	genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = CTRL_CMD_GETFAMILY;
	genl->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, ETHTOOL_GENL_NAME);
	s->ethtool_family = 0;
	int rc = session_talk(s, NETLINK_GENERIC, nlh, family_cb, &s->ethtool_family);
	if (rc == 0 && s->ethtool_family == 0)
		rc = -ENOENT;
	s->ethtool_rc = rc;
	*id = s->ethtool_family;
	return rc;
}

struct linkmodes {
	int32_t speed;
	uint8_t duplex;
	int seen;
};

static int linkmodes_cb(const struct nlmsghdr *nlh, void *data)
{
	struct linkmodes *lm = data;

	if (nl_linkmodes_parse(nlh, &lm->speed, &lm->duplex) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	lm->seen = 1;
	return MNL_CB_OK;
}

/* A LINKMODES_GET request: for one device (name) or, name NULL, a dump of all. */
static struct nlmsghdr *linkmodes_request(char *buf, uint16_t family, const char *name)
{
	struct nlmsghdr *nlh = put_request(buf, family, name ? NLM_F_ACK : NLM_F_DUMP);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = ETHTOOL_MSG_LINKMODES_GET;
	genl->version = ETHTOOL_GENL_VERSION;
	struct nlattr *hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_LINKMODES_HEADER);
	if (name)
		mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, name);
	/* compact bitsets keep the reply of link modes small */
	mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_FLAGS, ETHTOOL_FLAG_COMPACT_BITSETS);
	mnl_attr_nest_end(nlh, hdr);
	return nlh;
}

static int speed_genl(struct nl_session *s, const char *name, int32_t *speed, uint8_t *duplex)
{
	_Alignas(uint64_t) char buf[NL_REQ_SIZE];
	struct linkmodes lm = { NL_SPEED_UNKNOWN, NL_DUPLEX_UNKNOWN, 0 };
	uint16_t family;
	int rc = session_ethtool_family(s, &family);
	if (rc < 0)
		return rc;
	rc = session_talk(s, NETLINK_GENERIC, linkmodes_request(buf, family, name), linkmodes_cb, &lm);
	if (rc < 0)
		return rc;
	if (!lm.seen)
		return -ENODATA;
	*speed = lm.speed;
	*duplex = lm.duplex;
	return 0;
}

static int linkmodes_dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct nl_links *links = data;
	int ifindex;
	int32_t speed;
	uint8_t duplex;

	if (nl_linkmodes_parse_dev(nlh, &ifindex, &speed, &duplex) < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	struct nl_link *l = nl_links_find_index(links, ifindex);
	if (l) { /* a link that appeared after our link dump is not ours to report */
		l->speed_mbps = speed;
		l->duplex = duplex;
		l->has_ethtool = 1;
	}
	return MNL_CB_OK;
}

static int ethtool_ioctl(struct nl_session *s, const char *name, void *cmd)
{
	struct ifreq ifr;

	if (strlen(name) >= sizeof(ifr.ifr_name))
		return -ENODEV;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	ifr.ifr_data = cmd;
	if (s->ioctl_fd < 0 && (s->ioctl_fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0)) < 0)
		return -errno;
	return ioctl(s->ioctl_fd, SIOCETHTOOL, &ifr) < 0 ? -errno : 0;
}

static void set_speed(uint32_t speed, uint8_t dup, int32_t *speed_mbps, uint8_t *duplex)
{
	*speed_mbps = speed > INT32_MAX ? NL_SPEED_UNKNOWN : (int32_t)speed;
	*duplex = dup == NL_DUPLEX_HALF || dup == NL_DUPLEX_FULL ? dup : NL_DUPLEX_UNKNOWN;
}

static int speed_ioctl(struct nl_session *s, const char *name, int32_t *speed_mbps, uint8_t *duplex)
{
	/* the header plus room for three masks of up to 127 words each */
	union {
		struct ethtool_link_settings s;
		uint32_t words[sizeof(struct ethtool_link_settings) / 4 + 3 * 127];
	} req;
	struct ethtool_cmd old;
	int rc;

	/* ETHTOOL_GLINKSETTINGS handshake: the kernel answers the mask size first */
	memset(&req, 0, sizeof(req));
	req.s.cmd = ETHTOOL_GLINKSETTINGS;
	rc = ethtool_ioctl(s, name, &req);
	if (rc == 0 && req.s.link_mode_masks_nwords < 0) {
		int8_t nwords = (int8_t)-req.s.link_mode_masks_nwords;

		memset(&req, 0, sizeof(req));
		req.s.cmd = ETHTOOL_GLINKSETTINGS;
		req.s.link_mode_masks_nwords = nwords;
		rc = ethtool_ioctl(s, name, &req);
		if (rc == 0 && req.s.link_mode_masks_nwords > 0) {
			set_speed(req.s.speed, req.s.duplex, speed_mbps, duplex);
			return 0;
		}
	}
	if (rc == -ENODEV)
		return rc;

	memset(&old, 0, sizeof(old));
	old.cmd = ETHTOOL_GSET;
	rc = ethtool_ioctl(s, name, &old);
	if (rc < 0)
		return rc;
	set_speed(ethtool_cmd_speed(&old), old.duplex, speed_mbps, duplex);
	return 0;
}

static int session_speed(struct nl_session *s, const char *name, int32_t *speed_mbps, uint8_t *duplex)
{
	int rc = speed_genl(s, name, speed_mbps, duplex);

	if (rc == 0 || rc == -ENODEV)
		return rc;
	return speed_ioctl(s, name, speed_mbps, duplex);
}

int nl_session_ethtool(struct nl_session *s, struct nl_links *links)
{
	_Alignas(uint64_t) char buf[NL_REQ_SIZE];
	uint16_t family;
	int rc = session_ethtool_family(s, &family);

	for (size_t i = 0; i < links->n; i++)
		links->v[i].has_ethtool = 0;
	if (rc == 0)
		rc = session_talk(s, NETLINK_GENERIC, linkmodes_request(buf, family, NULL), linkmodes_dump_cb, links);
	if (rc == 0)
		return 0; /* a link the dump leaves out has no ethtool link modes (lo) */
	/* no ethtool netlink (an older kernel): one device at a time, SIOCETHTOOL */
	for (size_t i = 0; i < links->n; i++) {
		struct nl_link *l = &links->v[i];
		if (speed_ioctl(s, l->name, &l->speed_mbps, &l->duplex) == 0)
			l->has_ethtool = 1;
		else
			l->speed_mbps = NL_SPEED_UNKNOWN, l->duplex = NL_DUPLEX_UNKNOWN;
	}
	return 0;
}

int nl_link_speed(const char *name, int32_t *speed_mbps, uint8_t *duplex)
{
	struct nl_session *s;
	nl_session_open(&s);
	int rc = session_speed(s, name, speed_mbps, duplex);
	nl_session_close(s);
	return rc;
}

int nl_session_driver(struct nl_session *s, const char *name, char *driver, size_t len)
{
	struct ethtool_drvinfo info;
	size_t n;
	int rc;

	memset(&info, 0, sizeof(info));
	info.cmd = ETHTOOL_GDRVINFO;
	rc = ethtool_ioctl(s, name, &info);
	if (rc < 0)
		return rc;
	n = strnlen(info.driver, sizeof(info.driver));
	if (n == 0)
		return -ENODATA;
	if (n >= len)
		return -ENAMETOOLONG;
	memcpy(driver, info.driver, n);
	driver[n] = '\0';
	return 0;
}

int nl_link_driver(const char *name, char *driver, size_t len)
{
	struct nl_session *s;
	nl_session_open(&s);
	int rc = nl_session_driver(s, name, driver, len);
	nl_session_close(s);
	return rc;
}

const char *nl_operstate_name(uint8_t operstate)
{
	static const char *const names[] = {
		[IF_OPER_UNKNOWN] = "UNKNOWN",
		[IF_OPER_NOTPRESENT] = "NOTPRESENT",
		[IF_OPER_DOWN] = "DOWN",
		[IF_OPER_LOWERLAYERDOWN] = "LOWERLAYERDOWN",
		[IF_OPER_TESTING] = "TESTING",
		[IF_OPER_DORMANT] = "DORMANT",
		[IF_OPER_UP] = "UP",
	};

	if (operstate < ARRAY_SIZE(names) && names[operstate])
		return names[operstate];
	return "UNKNOWN";
}

const char *nl_duplex_name(uint8_t duplex)
{
	switch (duplex) {
	case NL_DUPLEX_HALF:
		return "half";
	case NL_DUPLEX_FULL:
		return "full";
	default:
		return "unknown";
	}
}

const char *nl_scope_name(uint8_t scope, char *buf, size_t len)
{
	switch (scope) {
	case RT_SCOPE_UNIVERSE:
		return "global";
	case RT_SCOPE_SITE:
		return "site";
	case RT_SCOPE_LINK:
		return "link";
	case RT_SCOPE_HOST:
		return "host";
	case RT_SCOPE_NOWHERE:
		return "nowhere";
	default:
		snprintf(buf, len, "%u", scope);
		return buf;
	}
}

size_t nl_flag_names(unsigned int flags, const char **names, size_t max)
{
	/* the order ip-link(8) prints them in */
	static const struct {
		unsigned int flag;
		const char *name;
	} table[] = {
		{ IFF_LOOPBACK, "LOOPBACK" }, { IFF_BROADCAST, "BROADCAST" },
		{ IFF_POINTOPOINT, "POINTOPOINT" }, { IFF_MULTICAST, "MULTICAST" },
		{ IFF_NOARP, "NOARP" }, { IFF_ALLMULTI, "ALLMULTI" },
		{ IFF_PROMISC, "PROMISC" }, { IFF_UP, "UP" },
		{ IFF_LOWER_UP, "LOWER_UP" }, { IFF_DORMANT, "DORMANT" },
	};
	size_t n = 0;

	for (size_t i = 0; i < ARRAY_SIZE(table); i++)
		if ((flags & table[i].flag) && n < max)
			names[n++] = table[i].name;
	return n;
}

/* ---- ring sizes and interrupt coalescing (ethtool netlink, read-only) ---- */

struct ring_reply {
	struct nl_rings *r;
	int seen;
};

int nl_rings_parse(const struct nlmsghdr *nlh, struct nl_rings *r)
{
	const struct nlattr *tb[ETHTOOL_A_RINGS_MAX + 1];
	if (parse_attrs(nlh, sizeof(struct genlmsghdr), tb, ETHTOOL_A_RINGS_MAX) < 0)
		return -EINVAL;
	memset(r, 0, sizeof(*r));
	if ((tb[ETHTOOL_A_RINGS_RX] && attr_u32(tb[ETHTOOL_A_RINGS_RX], &r->rx) < 0) ||
	    (tb[ETHTOOL_A_RINGS_RX_MAX] && attr_u32(tb[ETHTOOL_A_RINGS_RX_MAX], &r->rx_max) < 0) ||
	    (tb[ETHTOOL_A_RINGS_TX] && attr_u32(tb[ETHTOOL_A_RINGS_TX], &r->tx) < 0) ||
	    (tb[ETHTOOL_A_RINGS_TX_MAX] && attr_u32(tb[ETHTOOL_A_RINGS_TX_MAX], &r->tx_max) < 0))
		return -EINVAL;
	/* the kernel sends a ring with its maximum only when the driver has one (max > 0) */
	if (tb[ETHTOOL_A_RINGS_RX] && r->rx_max)
		r->present |= NL_RINGS_RX;
	if (tb[ETHTOOL_A_RINGS_TX] && r->tx_max)
		r->present |= NL_RINGS_TX;
	return 0;
}

int nl_coalesce_parse(const struct nlmsghdr *nlh, struct nl_coalesce *c)
{
	const struct nlattr *tb[ETHTOOL_A_COALESCE_MAX + 1];
	if (parse_attrs(nlh, sizeof(struct genlmsghdr), tb, ETHTOOL_A_COALESCE_MAX) < 0)
		return -EINVAL;
	memset(c, 0, sizeof(*c));
	/* a driver reports only the parameters it supports */
	const struct {
		int type;
		uint32_t *v;
		unsigned bit;
	} f[] = {
		{ ETHTOOL_A_COALESCE_RX_USECS, &c->rx_usecs, NL_COALESCE_RX_USECS },
		{ ETHTOOL_A_COALESCE_RX_MAX_FRAMES, &c->rx_frames, NL_COALESCE_RX_FRAMES },
		{ ETHTOOL_A_COALESCE_TX_USECS, &c->tx_usecs, NL_COALESCE_TX_USECS },
		{ ETHTOOL_A_COALESCE_TX_MAX_FRAMES, &c->tx_frames, NL_COALESCE_TX_FRAMES },
	};
	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		if (!tb[f[i].type])
			continue;
		if (attr_u32(tb[f[i].type], f[i].v) < 0)
			return -EINVAL;
		c->present |= f[i].bit;
	}
	const struct {
		int type;
		uint8_t *v;
		unsigned bit;
	} b[] = {
		{ ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, &c->adaptive_rx, NL_COALESCE_ADAPTIVE_RX },
		{ ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, &c->adaptive_tx, NL_COALESCE_ADAPTIVE_TX },
	};
	for (size_t i = 0; i < sizeof(b) / sizeof(b[0]); i++) {
		if (!tb[b[i].type])
			continue;
		if (attr_u8(tb[b[i].type], b[i].v) < 0 || *b[i].v > 1)
			return -EINVAL;
		c->present |= b[i].bit;
	}
	return 0;
}

struct ethtool_get {
	int cmd;
	void *out;
	int seen;
};

static int ethtool_get_cb(const struct nlmsghdr *nlh, void *data)
{
	struct ethtool_get *g = data;
	int rc = g->cmd == ETHTOOL_MSG_RINGS_GET ? nl_rings_parse(nlh, g->out) : nl_coalesce_parse(nlh, g->out);
	if (rc < 0) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	g->seen = 1;
	return MNL_CB_OK;
}

/* One ethtool GET of cmd for the device name (header attribute 1 of every message). */
static int ethtool_get(struct nl_session *s, int cmd, const char *name, void *out)
{
	_Alignas(uint64_t) char buf[NL_REQ_SIZE];
	uint16_t family;
	int rc = session_ethtool_family(s, &family);
	if (rc < 0)
		return rc;
	/* NLM_F_ACK: a non-dump GET without it never reaches MNL_CB_STOP */
	struct nlmsghdr *nlh = put_request(buf, family, NLM_F_ACK);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = (uint8_t)cmd;
	genl->version = ETHTOOL_GENL_VERSION;
	/* ETHTOOL_A_RINGS_HEADER and ETHTOOL_A_COALESCE_HEADER are both 1 */
	struct nlattr *hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_RINGS_HEADER);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, name);
	mnl_attr_nest_end(nlh, hdr);
	struct ethtool_get g = { cmd, out, 0 };
	rc = session_talk(s, NETLINK_GENERIC, nlh, ethtool_get_cb, &g);
	if (rc < 0)
		return rc;
	return g.seen ? 0 : -ENODATA;
}

int nl_session_rings(struct nl_session *s, const char *name, struct nl_rings *r)
{
	return ethtool_get(s, ETHTOOL_MSG_RINGS_GET, name, r);
}

int nl_session_coalesce(struct nl_session *s, const char *name, struct nl_coalesce *c)
{
	return ethtool_get(s, ETHTOOL_MSG_COALESCE_GET, name, c);
}

/* ---- ring sizes and interrupt coalescing: SET --------------------------- */

/* The header of a SET request for the device name (header attribute 1 of every message). */
static struct nlmsghdr *ethtool_set_header(char *buf, uint16_t family, int cmd, const char *name)
{
	/* NLM_F_ACK: the kernel answers a SET with its acknowledgement only */
	struct nlmsghdr *nlh = put_request(buf, family, NLM_F_ACK);
	struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof(*genl));
	genl->cmd = (uint8_t)cmd;
	genl->version = ETHTOOL_GENL_VERSION;
	struct nlattr *hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_RINGS_HEADER);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, name);
	mnl_attr_nest_end(nlh, hdr);
	return nlh;
}

struct nlmsghdr *nl_rings_set_msg(char *buf, uint16_t family, const char *name, const struct nl_rings *r,
				  unsigned which)
{
	struct nlmsghdr *nlh = ethtool_set_header(buf, family, ETHTOOL_MSG_RINGS_SET, name);
	if (which & NL_RINGS_RX)
		mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_RX, r->rx);
	if (which & NL_RINGS_TX)
		mnl_attr_put_u32(nlh, ETHTOOL_A_RINGS_TX, r->tx);
	return nlh;
}

struct nlmsghdr *nl_coalesce_set_msg(char *buf, uint16_t family, const char *name, const struct nl_coalesce *c,
				     unsigned which)
{
	struct nlmsghdr *nlh = ethtool_set_header(buf, family, ETHTOOL_MSG_COALESCE_SET, name);
	if (which & NL_COALESCE_RX_USECS)
		mnl_attr_put_u32(nlh, ETHTOOL_A_COALESCE_RX_USECS, c->rx_usecs);
	if (which & NL_COALESCE_RX_FRAMES)
		mnl_attr_put_u32(nlh, ETHTOOL_A_COALESCE_RX_MAX_FRAMES, c->rx_frames);
	if (which & NL_COALESCE_TX_USECS)
		mnl_attr_put_u32(nlh, ETHTOOL_A_COALESCE_TX_USECS, c->tx_usecs);
	if (which & NL_COALESCE_TX_FRAMES)
		mnl_attr_put_u32(nlh, ETHTOOL_A_COALESCE_TX_MAX_FRAMES, c->tx_frames);
	if (which & NL_COALESCE_ADAPTIVE_RX)
		mnl_attr_put_u8(nlh, ETHTOOL_A_COALESCE_USE_ADAPTIVE_RX, c->adaptive_rx ? 1 : 0);
	if (which & NL_COALESCE_ADAPTIVE_TX)
		mnl_attr_put_u8(nlh, ETHTOOL_A_COALESCE_USE_ADAPTIVE_TX, c->adaptive_tx ? 1 : 0);
	return nlh;
}

/* a SET's only answer is the acknowledgement (session_talk turns an error into -errno) */
static int ethtool_set(struct nl_session *s, struct nlmsghdr *nlh)
{
	return session_talk(s, NETLINK_GENERIC, nlh, NULL, NULL);
}

int nl_session_rings_set(struct nl_session *s, const char *name, const struct nl_rings *r, unsigned which)
{
	_Alignas(uint64_t) char buf[NL_SET_MSG_SIZE];
	uint16_t family;
	int rc = session_ethtool_family(s, &family);
	if (rc < 0)
		return rc;
	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	return ethtool_set(s, nl_rings_set_msg(buf, family, name, r, which));
}

int nl_session_coalesce_set(struct nl_session *s, const char *name, const struct nl_coalesce *c, unsigned which)
{
	_Alignas(uint64_t) char buf[NL_SET_MSG_SIZE];
	uint16_t family;
	int rc = session_ethtool_family(s, &family);
	if (rc < 0)
		return rc;
	if (strlen(name) >= IF_NAMESIZE)
		return -ENODEV;
	return ethtool_set(s, nl_coalesce_set_msg(buf, family, name, c, which));
}
