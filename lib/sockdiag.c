/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <libmnl/libmnl.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "sockdiag.h"
#include "xalloc.h"

/* libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE; 4 KiB truncates dumps (doc/platform-notes.md) */
#define DUMP_BUF_SIZE 32768

struct collect {
	struct sockdiag_conn *v;
	size_t n, cap;
};

static void format_addr(int family, const __be32 *addr, __be16 port, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(family, addr, a, sizeof(a));
	if (family == AF_INET6)
		snprintf(out, len, "[%s]:%u", a, ntohs(port));
	else
		snprintf(out, len, "%s:%u", a, ntohs(port));
}

static int attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type <= INET_DIAG_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int msg_cb(const struct nlmsghdr *nlh, void *data)
{
	struct collect *c = data;
	const struct inet_diag_msg *m = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[INET_DIAG_MAX + 1] = { 0 };
	struct sockdiag_conn *s;

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*m)))
		return MNL_CB_ERROR;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 32;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	s = &c->v[c->n++];
	memset(s, 0, sizeof(*s));
	s->family = m->idiag_family;
	s->state = m->idiag_state;
	s->inode = m->idiag_inode;
	s->cookie = (uint64_t)m->id.idiag_cookie[1] << 32 | m->id.idiag_cookie[0];
	format_addr(m->idiag_family, m->id.idiag_src, m->id.idiag_sport, s->local, sizeof(s->local));
	format_addr(m->idiag_family, m->id.idiag_dst, m->id.idiag_dport, s->peer, sizeof(s->peer));

	mnl_attr_parse(nlh, sizeof(*m), attr_cb, tb);
	if (tb[INET_DIAG_INFO]) {
		/* older kernels send a shorter struct: the rest stays zero */
		size_t len = mnl_attr_get_payload_len(tb[INET_DIAG_INFO]);
		s->info_len = len;
		memcpy(&s->info, mnl_attr_get_payload(tb[INET_DIAG_INFO]),
		       len < sizeof(s->info) ? len : sizeof(s->info));
		s->has_info = 1;
	}
	if (tb[INET_DIAG_CONG]) {
		size_t len = mnl_attr_get_payload_len(tb[INET_DIAG_CONG]);
		if (len >= sizeof(s->cong))
			len = sizeof(s->cong) - 1;
		memcpy(s->cong, mnl_attr_get_payload(tb[INET_DIAG_CONG]), len);
		s->cong[len] = '\0';
		s->cong[strcspn(s->cong, "\n")] = '\0';
	}
	if (tb[INET_DIAG_SKMEMINFO]) {
		size_t len = mnl_attr_get_payload_len(tb[INET_DIAG_SKMEMINFO]);
		memcpy(s->skmem, mnl_attr_get_payload(tb[INET_DIAG_SKMEMINFO]),
		       len < sizeof(s->skmem) ? len : sizeof(s->skmem));
		s->has_skmem = 1;
	}
	return MNL_CB_OK;
}

static int dump_family(struct mnl_socket *nl, int family, unsigned states, struct collect *c)
{
	char *buf = xmalloc(DUMP_BUF_SIZE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct inet_diag_req_v2 *req;
	unsigned seq = (unsigned)time(NULL) + (unsigned)family;
	unsigned portid = mnl_socket_get_portid(nl);
	int rc = 0;

	nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = seq;
	req = mnl_nlmsg_put_extra_header(nlh, sizeof(*req));
	req->sdiag_family = (uint8_t)family;
	req->sdiag_protocol = IPPROTO_TCP;
	req->idiag_states = states;
	req->idiag_ext = 1 << (INET_DIAG_INFO - 1) | 1 << (INET_DIAG_CONG - 1) |
			 1 << (INET_DIAG_SKMEMINFO - 1);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		goto out;
	}
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(nl, buf, DUMP_BUF_SIZE);
		if (r < 0) {
			rc = -errno;
			break;
		}
		int cb = mnl_cb_run(buf, (size_t)r, seq, portid, msg_cb, c);
		if (cb == MNL_CB_STOP)
			break;
		if (cb < 0) {
			rc = errno ? -errno : -EPROTO;
			break;
		}
	}
out:
	free(buf);
	return rc;
}

int sockdiag_tcp_list(unsigned states, struct sockdiag_conn **conns, size_t *n)
{
	struct collect c = { 0 };
	struct mnl_socket *nl = mnl_socket_open(NETLINK_SOCK_DIAG);
	int rc;

	*conns = NULL;
	*n = 0;
	if (!nl)
		return -errno;
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	rc = dump_family(nl, AF_INET, states, &c);
	if (rc == 0) {
		rc = dump_family(nl, AF_INET6, states, &c);
		/* a kernel without IPv6 refuses the v6 dump: v4 is still good */
		if (rc == -ENOENT || rc == -EAFNOSUPPORT)
			rc = 0;
	}
	mnl_socket_close(nl);
	if (rc < 0) {
		free(c.v);
		return rc;
	}
	*conns = c.v;
	*n = c.n;
	return 0;
}

const struct sockdiag_conn *sockdiag_find(const struct sockdiag_conn *conns, size_t n,
					  uint64_t cookie)
{
	for (size_t i = 0; i < n; i++)
		if (conns[i].cookie == cookie)
			return &conns[i];
	return NULL;
}

const char *sockdiag_state_name(uint8_t state)
{
	static const char *const names[] = {
		"UNKNOWN", "ESTAB", "SYN-SENT", "SYN-RECV", "FIN-WAIT-1", "FIN-WAIT-2",
		"TIME-WAIT", "UNCONN", "CLOSE-WAIT", "LAST-ACK", "LISTEN", "CLOSING",
	};
	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}
