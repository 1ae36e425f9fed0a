/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/nl: the parsers of netlink messages, over messages built here. */
#include "config.h"

#include <net/if.h>
#include <errno.h>
#include <string.h>

#include <libmnl/libmnl.h>
#include <linux/ethtool_netlink.h>
#include <linux/genetlink.h>
#include <linux/if.h>
#include <linux/if_addr.h>
#include <linux/if_link.h>
#include <linux/rtnetlink.h>

#include "nl.h"
#include "tap.h"

static _Alignas(uint64_t) char buf[4096];

static struct nlmsghdr *new_link(void)
{
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifm;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWLINK;
	ifm = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifm));
	ifm->ifi_index = 7;
	ifm->ifi_flags = IFF_UP | IFF_BROADCAST | IFF_LOWER_UP;
	return nlh;
}

static void test_link_full(void)
{
	struct nlmsghdr *nlh = new_link();
	struct rtnl_link_stats64 st = {
		.rx_packets = 11, .tx_packets = 12, .rx_bytes = 1300, .tx_bytes = 1400,
		.rx_errors = 1, .tx_errors = 2, .rx_dropped = 3, .tx_dropped = 4,
	};
	struct nlattr *nest;
	struct nl_link l;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "veth0");
	mnl_attr_put_u32(nlh, IFLA_MTU, 1400);
	mnl_attr_put_u32(nlh, IFLA_TXQLEN, 500);
	mnl_attr_put_u8(nlh, IFLA_OPERSTATE, IF_OPER_UP);
	mnl_attr_put_strz(nlh, IFLA_QDISC, "noqueue");
	mnl_attr_put(nlh, IFLA_STATS64, sizeof(st), &st);
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	mnl_attr_nest_end(nlh, nest);

	memset(&l, 0xaa, sizeof(l));
	is_int(nl_link_parse(nlh, &l), 0, "link: full RTM_NEWLINK parses");
	is_str(l.name, "veth0", "link: name");
	is_int(l.ifindex, 7, "link: ifindex");
	is_int(l.mtu, 1400, "link: mtu");
	is_int(l.txqlen, 500, "link: txqlen");
	is_int(l.operstate, IF_OPER_UP, "link: operstate");
	is_str(l.qdisc, "noqueue", "link: qdisc");
	is_str(l.kind, "veth", "link: kind from IFLA_LINKINFO");
	ok(l.flags & IFF_LOWER_UP, "link: flags kept");
	is_int(l.has_stats, 1, "link: stats present");
	is_u64(l.stats.rx_bytes, 1300, "link: rx_bytes");
	is_u64(l.stats.tx_bytes, 1400, "link: tx_bytes");
	is_u64(l.stats.rx_packets, 11, "link: rx_packets");
	is_u64(l.stats.tx_packets, 12, "link: tx_packets");
	is_u64(l.stats.rx_errors, 1, "link: rx_errors");
	is_u64(l.stats.tx_errors, 2, "link: tx_errors");
	is_u64(l.stats.rx_dropped, 3, "link: rx_dropped");
	is_u64(l.stats.tx_dropped, 4, "link: tx_dropped");
	ok(l.addrs == NULL && l.naddrs == 0, "link: no addresses yet");
}

static void test_link_minimal(void)
{
	struct nlmsghdr *nlh = new_link();
	struct nl_link l;

	/* a name without its NUL is still a name */
	mnl_attr_put(nlh, IFLA_IFNAME, 4, "eth0");
	is_int(nl_link_parse(nlh, &l), 0, "link: name without NUL parses");
	is_str(l.name, "eth0", "link: name without NUL");
	is_int(l.operstate, IF_OPER_UNKNOWN, "link: no IFLA_OPERSTATE is UNKNOWN");
	is_str(l.qdisc, "", "link: no qdisc is empty");
	is_str(l.kind, "", "link: no linkinfo is no kind");
	is_int(l.has_stats, 0, "link: no stats");
}

static void test_link_stats32(void)
{
	struct nlmsghdr *nlh = new_link();
	struct rtnl_link_stats st = { .rx_packets = 5, .tx_bytes = 4000000000U };
	struct nl_link l;

	mnl_attr_put_strz(nlh, IFLA_IFNAME, "old0");
	mnl_attr_put(nlh, IFLA_STATS, sizeof(st), &st);
	is_int(nl_link_parse(nlh, &l), 0, "link: IFLA_STATS only parses");
	is_int(l.has_stats, 1, "link: 32-bit stats used without IFLA_STATS64");
	is_u64(l.stats.rx_packets, 5, "link: 32-bit rx_packets");
	is_u64(l.stats.tx_bytes, 4000000000U, "link: 32-bit tx_bytes");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "short0");
	mnl_attr_put(nlh, IFLA_STATS64, 16, &st);
	is_int(nl_link_parse(nlh, &l), 0, "link: short IFLA_STATS64 still parses");
	is_int(l.has_stats, 0, "link: short IFLA_STATS64 is ignored");
}

static void test_link_bad(void)
{
	struct nlmsghdr *nlh;
	struct nl_link l;
	struct nlattr *nest;

	nlh = new_link();
	mnl_attr_put_u32(nlh, IFLA_MTU, 1500);
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: missing IFLA_IFNAME rejected");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "");
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: empty name rejected");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "a-name-longer-than-ifnamsiz");
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: name of IFNAMSIZ or more rejected");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_u16(nlh, IFLA_MTU, 1500);
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: 2-byte IFLA_MTU rejected");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	mnl_attr_put_strz(nlh, IFLA_QDISC, "a-qdisc-name-far-longer-than-thirty-two");
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: overlong qdisc rejected");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nest = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put(nlh, IFLA_INFO_KIND, 40, "veth-veth-veth-veth-veth-veth-veth-veth-");
	mnl_attr_nest_end(nlh, nest);
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: overlong kind rejected");

	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nlh->nlmsg_type = RTM_NEWADDR;
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: other message type rejected");

	nlh = new_link();
	nlh->nlmsg_len = MNL_NLMSG_HDRLEN + 4;
	is_int(nl_link_parse(nlh, &l), -EINVAL, "link: message shorter than ifinfomsg rejected");

	/* an attribute claiming more bytes than the message has ends the walk */
	nlh = new_link();
	mnl_attr_put_strz(nlh, IFLA_IFNAME, "eth0");
	nest = mnl_nlmsg_get_payload_tail(nlh);
	mnl_attr_put_u32(nlh, IFLA_MTU, 9000);
	nest->nla_len = 200;
	memset(&l, 0, sizeof(l));
	ok(nl_link_parse(nlh, &l) == 0 && l.mtu == 0,
	   "link: attribute overrunning the message is not read");
}

static struct nlmsghdr *new_addr(uint8_t family, uint8_t prefixlen)
{
	struct nlmsghdr *nlh;
	struct ifaddrmsg *ifa;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = RTM_NEWADDR;
	ifa = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifa));
	ifa->ifa_family = family;
	ifa->ifa_prefixlen = prefixlen;
	ifa->ifa_scope = RT_SCOPE_UNIVERSE;
	ifa->ifa_index = 3;
	return nlh;
}

static void test_addr(void)
{
	struct nlmsghdr *nlh;
	struct nl_addr a;
	struct in_addr local, peer;
	struct in6_addr v6;

	inet_pton(AF_INET, "10.200.0.1", &local);
	inet_pton(AF_INET, "10.200.0.2", &peer);
	inet_pton(AF_INET6, "fd00:200::1", &v6);

	nlh = new_addr(AF_INET, 24);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(local), &local);
	is_int(nl_addr_parse(nlh, &a), 0, "addr: v4 parses");
	is_str(a.text, "10.200.0.1", "addr: v4 text");
	is_int(a.prefixlen, 24, "addr: v4 prefix length");
	is_int(a.ifindex, 3, "addr: ifindex");
	is_int(a.family, AF_INET, "addr: family");

	nlh = new_addr(AF_INET, 32);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(peer), &peer);
	mnl_attr_put(nlh, IFA_LOCAL, sizeof(local), &local);
	is_int(nl_addr_parse(nlh, &a), 0, "addr: point-to-point parses");
	is_str(a.text, "10.200.0.1", "addr: IFA_LOCAL wins over the peer's IFA_ADDRESS");

	nlh = new_addr(AF_INET6, 64);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(v6), &v6);
	is_int(nl_addr_parse(nlh, &a), 0, "addr: v6 parses");
	is_str(a.text, "fd00:200::1", "addr: v6 text");
	is_int(a.prefixlen, 64, "addr: v6 prefix length");

	nlh = new_addr(AF_INET, 33);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(local), &local);
	is_int(nl_addr_parse(nlh, &a), -EINVAL, "addr: v4 prefix 33 rejected");

	nlh = new_addr(AF_INET6, 129);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(v6), &v6);
	is_int(nl_addr_parse(nlh, &a), -EINVAL, "addr: v6 prefix 129 rejected");

	nlh = new_addr(AF_INET6, 64);
	mnl_attr_put(nlh, IFA_ADDRESS, sizeof(local), &local);
	is_int(nl_addr_parse(nlh, &a), -EINVAL, "addr: v6 with 4 address bytes rejected");

	nlh = new_addr(AF_INET, 24);
	is_int(nl_addr_parse(nlh, &a), -EINVAL, "addr: no address attribute rejected");

	nlh = new_addr(AF_PACKET, 0);
	is_int(nl_addr_parse(nlh, &a), -EAFNOSUPPORT, "addr: other families skipped");
}

static struct nlmsghdr *new_genl(uint16_t type, uint8_t cmd)
{
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;

	memset(buf, 0, sizeof(buf));
	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = type;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = cmd;
	g->version = 1;
	return nlh;
}

static void test_linkmodes(void)
{
	struct nlmsghdr *nlh;
	int32_t speed = 0;
	uint8_t duplex = 0;
	uint16_t id = 0;

	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, 10000);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_DUPLEX, NL_DUPLEX_FULL);
	is_int(nl_linkmodes_parse(nlh, &speed, &duplex), 0, "linkmodes: parses");
	is_int(speed, 10000, "linkmodes: speed");
	is_int(duplex, NL_DUPLEX_FULL, "linkmodes: duplex");

	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, 0xffffffffU);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_DUPLEX, 255);
	is_int(nl_linkmodes_parse(nlh, &speed, &duplex), 0, "linkmodes: unknown parses");
	is_int(speed, NL_SPEED_UNKNOWN, "linkmodes: speed -1 is unknown");
	is_int(duplex, NL_DUPLEX_UNKNOWN, "linkmodes: duplex 255 is unknown");

	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_DUPLEX, 7);
	is_int(nl_linkmodes_parse(nlh, &speed, &duplex), 0, "linkmodes: no speed parses");
	ok(speed == NL_SPEED_UNKNOWN && duplex == NL_DUPLEX_UNKNOWN,
	   "linkmodes: missing speed and odd duplex 7 are unknown");

	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	mnl_attr_put_u16(nlh, ETHTOOL_A_LINKMODES_SPEED, 100);
	is_int(nl_linkmodes_parse(nlh, &speed, &duplex), -EINVAL, "linkmodes: 2-byte speed rejected");

	/* a dump reply names its device in the nested header */
	int ifindex = 0;
	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	struct nlattr *hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_LINKMODES_HEADER);
	mnl_attr_put_u32(nlh, ETHTOOL_A_HEADER_DEV_INDEX, 42);
	mnl_attr_put_strz(nlh, ETHTOOL_A_HEADER_DEV_NAME, "tkv0");
	mnl_attr_nest_end(nlh, hdr);
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, 25000);
	mnl_attr_put_u8(nlh, ETHTOOL_A_LINKMODES_DUPLEX, NL_DUPLEX_HALF);
	is_int(nl_linkmodes_parse_dev(nlh, &ifindex, &speed, &duplex), 0, "linkmodes dump: parses");
	ok(ifindex == 42 && speed == 25000 && duplex == NL_DUPLEX_HALF, "linkmodes dump: ifindex, speed, duplex");
	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	mnl_attr_put_u32(nlh, ETHTOOL_A_LINKMODES_SPEED, 25000);
	is_int(nl_linkmodes_parse_dev(nlh, &ifindex, &speed, &duplex), -EINVAL, "linkmodes dump: no header rejected");
	nlh = new_genl(30, ETHTOOL_MSG_LINKMODES_GET_REPLY);
	hdr = mnl_attr_nest_start(nlh, ETHTOOL_A_LINKMODES_HEADER);
	mnl_attr_put_u16(nlh, ETHTOOL_A_HEADER_DEV_INDEX, 42);
	mnl_attr_nest_end(nlh, hdr);
	is_int(nl_linkmodes_parse_dev(nlh, &ifindex, &speed, &duplex), -EINVAL, "linkmodes dump: 2-byte ifindex rejected");

	nlh = new_genl(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
	mnl_attr_put_u16(nlh, CTRL_ATTR_FAMILY_ID, 0x1c);
	is_int(nl_genl_family_parse(nlh, &id), 0, "genl: family reply parses");
	is_int(id, 0x1c, "genl: family id");

	nlh = new_genl(GENL_ID_CTRL, CTRL_CMD_NEWFAMILY);
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, "ethtool");
	is_int(nl_genl_family_parse(nlh, &id), -EINVAL, "genl: reply without id rejected");
}

static void test_names(void)
{
	const char *names[4];
	char sbuf[8];
	size_t n;

	is_str(nl_operstate_name(IF_OPER_UP), "UP", "operstate: UP");
	is_str(nl_operstate_name(IF_OPER_DOWN), "DOWN", "operstate: DOWN");
	is_str(nl_operstate_name(IF_OPER_LOWERLAYERDOWN), "LOWERLAYERDOWN", "operstate: LOWERLAYERDOWN");
	is_str(nl_operstate_name(IF_OPER_UNKNOWN), "UNKNOWN", "operstate: UNKNOWN");
	is_str(nl_operstate_name(99), "UNKNOWN", "operstate: out of range is UNKNOWN");
	is_str(nl_duplex_name(NL_DUPLEX_HALF), "half", "duplex: half");
	is_str(nl_duplex_name(NL_DUPLEX_FULL), "full", "duplex: full");
	is_str(nl_duplex_name(NL_DUPLEX_UNKNOWN), "unknown", "duplex: 255 unknown");
	is_str(nl_duplex_name(2), "unknown", "duplex: 2 unknown");
	is_str(nl_scope_name(RT_SCOPE_UNIVERSE, sbuf, sizeof(sbuf)), "global", "scope: global");
	is_str(nl_scope_name(RT_SCOPE_LINK, sbuf, sizeof(sbuf)), "link", "scope: link");
	is_str(nl_scope_name(RT_SCOPE_HOST, sbuf, sizeof(sbuf)), "host", "scope: host");
	is_str(nl_scope_name(42, sbuf, sizeof(sbuf)), "42", "scope: unnamed as number");

	n = nl_flag_names(IFF_UP | IFF_BROADCAST | IFF_MULTICAST | IFF_LOWER_UP, names, 4);
	ok(n == 4 && !strcmp(names[0], "BROADCAST") && !strcmp(names[1], "MULTICAST") &&
	   !strcmp(names[2], "UP") && !strcmp(names[3], "LOWER_UP"),
	   "flags: ip-link order BROADCAST,MULTICAST,UP,LOWER_UP");
	n = nl_flag_names(IFF_UP | IFF_LOOPBACK | IFF_LOWER_UP, names, 2);
	ok(n == 2 && !strcmp(names[0], "LOOPBACK") && !strcmp(names[1], "UP"),
	   "flags: stops at max");
	is_int((long long)nl_flag_names(0, names, 4), 0, "flags: none");
}

static void test_find(void)
{
	struct nl_link v[2];
	struct nl_links links = { v, 2 };

	memset(v, 0, sizeof(v));
	strcpy(v[0].name, "lo");
	v[0].ifindex = 1;
	strcpy(v[1].name, "veth0");
	v[1].ifindex = 5;
	ok(nl_links_find(&links, "veth0") == &v[1], "find: by name");
	ok(nl_links_find(&links, "veth") == NULL, "find: no prefix match");
	ok(nl_links_find_index(&links, 1) == &v[0], "find: by ifindex");
	ok(nl_links_find_index(&links, 9) == NULL, "find: unknown ifindex");
}

int main(void)
{
	test_link_full();
	test_link_minimal();
	test_link_stats32();
	test_link_bad();
	test_addr();
	test_linkmodes();
	test_names();
	test_find();
	return done_testing();
}
