/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <sched.h>
#include <libmnl/libmnl.h>
#include <linux/netlink.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "fileutil.h"
#include "paths.h"
#include "qdisc.h"
#include "xalloc.h"

/* libmnl 1.0.4 has no MNL_SOCKET_DUMP_SIZE; 4 KiB truncates dumps (doc/platform-notes.md) */
#define NL_BUF_SIZE 32768

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

static struct mnl_socket *nl_open(void)
{
	struct mnl_socket *nl = mnl_socket_open(NETLINK_ROUTE);
	int one = 1;
	if (!nl)
		return NULL;
	/* extended acks carry the kernel's reason; older kernels ignore this */
	(void)mnl_socket_setsockopt(nl, NETLINK_EXT_ACK, &one, sizeof(one));
	if (mnl_socket_bind(nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;
		mnl_socket_close(nl);
		errno = e;
		return NULL;
	}
	return nl;
}

struct ack_attrs {
	const char *msg;
};

static int ack_attr_cb(const struct nlattr *attr, void *data)
{
	struct ack_attrs *a = data;
	if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
	    mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0)
		a->msg = mnl_attr_get_str(attr);
	return MNL_CB_OK;
}

/* Send one request with NLM_F_ACK and wait for its ack. 0 or -errno. */
static int nl_request(struct nlmsghdr *nlh, char *why, size_t whylen)
{
	char *buf;
	struct mnl_socket *nl = nl_open();
	int rc = -EPROTO;

	if (why && whylen)
		why[0] = '\0';
	if (!nl)
		return -errno;
	nlh->nlmsg_flags |= NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = (unsigned)time(NULL);
	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0) {
		rc = -errno;
		mnl_socket_close(nl);
		return rc;
	}
	buf = xmalloc(NL_BUF_SIZE);
	for (;;) {
		ssize_t r = mnl_socket_recvfrom(nl, buf, NL_BUF_SIZE);
		if (r < 0) {
			rc = -errno;
			break;
		}
		int len = (int)r, done = 0;
		for (struct nlmsghdr *h = (struct nlmsghdr *)buf; mnl_nlmsg_ok(h, len);
		     h = mnl_nlmsg_next(h, &len)) {
			if (h->nlmsg_seq != nlh->nlmsg_seq || h->nlmsg_type != NLMSG_ERROR)
				continue;
			const struct nlmsgerr *e = mnl_nlmsg_get_payload(h);
			if (h->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				break;
			rc = e->error;
			if (rc && why && (h->nlmsg_flags & NLM_F_ACK_TLVS)) {
				size_t off = sizeof(*e);
				if (!(h->nlmsg_flags & NLM_F_CAPPED))
					off += e->msg.nlmsg_len - sizeof(struct nlmsghdr);
				struct ack_attrs a = { 0 };
				if (NLMSG_HDRLEN + MNL_ALIGN(off) <= h->nlmsg_len &&
				    mnl_attr_parse(h, (unsigned)MNL_ALIGN(off), ack_attr_cb, &a) >= 0 && a.msg)
					snprintf(why, whylen, "%s", a.msg);
			}
			done = 1;
			break;
		}
		if (done)
			break;
	}
	free(buf);
	mnl_socket_close(nl);
	return rc;
}

struct dump_ctx {
	struct qdisc_root *v;
	size_t n, cap;
	int ifindex; /* 0: all */
};

static int tca_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **tb = data;
	int type = mnl_attr_get_type(attr);
	if (type <= TCA_MAX)
		tb[type] = attr;
	return MNL_CB_OK;
}

static int dump_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump_ctx *c = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_MAX + 1] = { 0 };

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return MNL_CB_ERROR;
	if (tcm->tcm_parent != TC_H_ROOT || (c->ifindex && tcm->tcm_ifindex != c->ifindex))
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*tcm), tca_attr_cb, tb);
	if (!tb[TCA_KIND])
		return MNL_CB_OK;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 8;
		c->v = xreallocarray(c->v, c->cap, sizeof(*c->v));
	}
	struct qdisc_root *q = &c->v[c->n++];
	memset(q, 0, sizeof(*q));
	q->ifindex = tcm->tcm_ifindex;
	if (!if_indextoname((unsigned)q->ifindex, q->ifname))
		snprintf(q->ifname, sizeof(q->ifname), "if%d", q->ifindex);
	snprintf(q->kind, sizeof(q->kind), "%.*s", (int)mnl_attr_get_payload_len(tb[TCA_KIND]),
		 (const char *)mnl_attr_get_payload(tb[TCA_KIND]));
	q->kind[strcspn(q->kind, "\n")] = '\0';
	q->handle = tcm->tcm_handle;
	if (tb[TCA_OPTIONS]) {
		q->options_len = mnl_attr_get_payload_len(tb[TCA_OPTIONS]);
		q->options = xmalloc(q->options_len ? q->options_len : 1);
		memcpy(q->options, mnl_attr_get_payload(tb[TCA_OPTIONS]), q->options_len);
	}
	return MNL_CB_OK;
}

/*
 * One rtnetlink dump of type (RTM_GETQDISC, RTM_GETTCLASS, RTM_GETTFILTER)
 * for ifindex (0: every interface), each message through cb. 0 or -errno.
 */
static int tc_dump(int type, int ifindex, mnl_cb_t cb, void *ctx)
{
	struct mnl_socket *nl = nl_open();
	char *buf;
	int rc = 0;

	if (!nl)
		return -errno;
	buf = xmalloc(NL_BUF_SIZE);
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	nlh->nlmsg_seq = (unsigned)time(NULL);
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	unsigned seq = nlh->nlmsg_seq, portid = mnl_socket_get_portid(nl);

	if (mnl_socket_sendto(nl, nlh, nlh->nlmsg_len) < 0)
		rc = -errno;
	while (rc == 0) {
		ssize_t r = mnl_socket_recvfrom(nl, buf, NL_BUF_SIZE);
		if (r < 0) {
			rc = -errno;
			break;
		}
		int res = mnl_cb_run(buf, (size_t)r, seq, portid, cb, ctx);
		if (res == MNL_CB_STOP)
			break;
		if (res < 0)
			rc = errno ? -errno : -EPROTO;
	}
	free(buf);
	mnl_socket_close(nl);
	return rc;
}

static int dump_roots(struct dump_ctx *c)
{
	return tc_dump(RTM_GETQDISC, 0, dump_cb, c);
}

static int cmp_root(const void *a, const void *b)
{
	return strcmp(((const struct qdisc_root *)a)->ifname, ((const struct qdisc_root *)b)->ifname);
}

int qdisc_root_list(struct qdisc_root **roots, size_t *n)
{
	struct dump_ctx c = { 0 };
	int rc = dump_roots(&c);
	if (rc < 0) {
		qdisc_root_list_free(c.v, c.n);
		return rc;
	}
	if (c.n > 1)
		qsort(c.v, c.n, sizeof(*c.v), cmp_root);
	*roots = c.v;
	*n = c.n;
	return 0;
}

void qdisc_root_free(struct qdisc_root *q)
{
	free(q->options);
	q->options = NULL;
	q->options_len = 0;
}

void qdisc_root_list_free(struct qdisc_root *roots, size_t n)
{
	for (size_t i = 0; i < n; i++)
		qdisc_root_free(&roots[i]);
	free(roots);
}

int qdisc_root_get(const char *ifname, struct qdisc_root *out)
{
	unsigned idx = if_nametoindex(ifname);
	if (!idx)
		return -ENODEV;
	struct dump_ctx c = { .ifindex = (int)idx };
	int rc = dump_roots(&c);
	if (rc == 0 && c.n == 0)
		rc = -ENOENT; /* a device without a root qdisc (none attached yet) */
	if (rc == 0) {
		*out = c.v[0];
		c.v[0].options = NULL;
	}
	qdisc_root_list_free(c.v, c.n);
	return rc;
}

static struct nlmsghdr *qdisc_msg(char *buf, int type, unsigned flags, int ifindex, uint32_t handle)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (uint16_t)type;
	nlh->nlmsg_flags = (uint16_t)flags;
	struct tcmsg *tcm = mnl_nlmsg_put_extra_header(nlh, sizeof(*tcm));
	tcm->tcm_family = AF_UNSPEC;
	tcm->tcm_ifindex = ifindex;
	tcm->tcm_parent = TC_H_ROOT;
	tcm->tcm_handle = handle;
	return nlh;
}

int qdisc_replace_root(int ifindex, const char *kind, char *why, size_t whylen)
{
	char buf[512];
	if (strlen(kind) >= QDISC_KIND_MAX)
		return -EINVAL;
	struct nlmsghdr *nlh = qdisc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, ifindex, 0);
	mnl_attr_put_strz(nlh, TCA_KIND, kind);
	return nl_request(nlh, why, whylen);
}

int qdisc_restore_root(const struct qdisc_root *saved)
{
	size_t len = 512 + saved->options_len;
	char *buf = xcalloc(1, len);
	struct nlmsghdr *nlh;
	int rc;

	if (saved->handle == 0) {
		/* the kernel's default: remove ours and the device gets it back */
		nlh = qdisc_msg(buf, RTM_DELQDISC, 0, saved->ifindex, 0);
	} else {
		nlh = qdisc_msg(buf, RTM_NEWQDISC, NLM_F_CREATE | NLM_F_REPLACE, saved->ifindex,
				saved->handle);
		mnl_attr_put_strz(nlh, TCA_KIND, saved->kind);
		if (saved->options)
			mnl_attr_put(nlh, TCA_OPTIONS, saved->options_len, saved->options);
	}
	rc = nl_request(nlh, NULL, 0);
	free(buf);
	return rc;
}

int qdisc_kind_is_default(const char *kind)
{
	static const char *const defaults[] = { "pfifo_fast", "noqueue", "mq", "fq_codel", "pfifo", "fq" };
	for (size_t i = 0; i < sizeof(defaults) / sizeof(defaults[0]); i++)
		if (!strcmp(kind, defaults[i]))
			return 1;
	return 0;
}

struct tree_ctx {
	struct qdisc_tree *t;
	int ifindex;
	uint32_t root_handle;
	uint32_t prios[64]; /* distinct filter priority/protocol pairs seen */
};

static int tree_qdisc_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tree_ctx *c = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	const struct nlattr *tb[TCA_MAX + 1] = { 0 };

	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return MNL_CB_ERROR;
	if (tcm->tcm_ifindex != c->ifindex)
		return MNL_CB_OK;
	mnl_attr_parse(nlh, sizeof(*tcm), tca_attr_cb, tb);
	if (!tb[TCA_KIND])
		return MNL_CB_OK;
	char kind[QDISC_KIND_MAX];
	snprintf(kind, sizeof(kind), "%.*s", (int)mnl_attr_get_payload_len(tb[TCA_KIND]),
		 (const char *)mnl_attr_get_payload(tb[TCA_KIND]));
	/* ingress and clsact hang off their own parent: a root change keeps them */
	if (tcm->tcm_parent == TC_H_ROOT || tcm->tcm_parent == TC_H_INGRESS)
		return MNL_CB_OK;
	c->t->nchildren++;
	if (!c->t->child_kind[0] && !qdisc_kind_is_default(kind))
		snprintf(c->t->child_kind, sizeof(c->t->child_kind), "%s", kind);
	return MNL_CB_OK;
}

static int tree_class_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tree_ctx *c = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return MNL_CB_ERROR;
	if (tcm->tcm_ifindex == c->ifindex)
		c->t->nclasses++;
	return MNL_CB_OK;
}

/* One filter shows as several messages (u32: its hash table and keys): count priorities. */
static int tree_filter_cb(const struct nlmsghdr *nlh, void *data)
{
	struct tree_ctx *c = data;
	const struct tcmsg *tcm = mnl_nlmsg_get_payload(nlh);
	if (nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*tcm)))
		return MNL_CB_ERROR;
	if (tcm->tcm_ifindex != c->ifindex)
		return MNL_CB_OK;
	for (size_t i = 0; i < c->t->nfilters && i < sizeof(c->prios) / sizeof(c->prios[0]); i++)
		if (c->prios[i] == tcm->tcm_info)
			return MNL_CB_OK;
	if (c->t->nfilters < sizeof(c->prios) / sizeof(c->prios[0]))
		c->prios[c->t->nfilters] = tcm->tcm_info;
	c->t->nfilters++;
	return MNL_CB_OK;
}

int qdisc_tree_get(int ifindex, struct qdisc_tree *t)
{
	struct tree_ctx c = { .t = t, .ifindex = ifindex };
	int rc;

	memset(t, 0, sizeof(*t));
	if ((rc = tc_dump(RTM_GETQDISC, 0, tree_qdisc_cb, &c)) < 0)
		return rc;
	if ((rc = tc_dump(RTM_GETTCLASS, ifindex, tree_class_cb, &c)) < 0)
		return rc;
	/* parent 0: the filters attached to the root qdisc itself */
	return tc_dump(RTM_GETTFILTER, ifindex, tree_filter_cb, &c);
}

int qdisc_kind_probe(const char *kind)
{
	if (strlen(kind) >= QDISC_KIND_MAX)
		return 0;
	pid_t pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		/* a network namespace of our own: its lo is ours to change, and it goes with us */
		if (unshare(CLONE_NEWNET) < 0)
			_exit(errno == EPERM ? 3 : 4);
		unsigned lo = if_nametoindex("lo");
		if (!lo)
			_exit(4);
		int rc = qdisc_replace_root((int)lo, kind, NULL, 0);
		_exit(rc == -ENOENT ? 1 : rc == -EPERM ? 3 : 0);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -errno;
	if (!WIFEXITED(status))
		return -EIO;
	switch (WEXITSTATUS(status)) {
	case 0:
		return 1;
	case 1:
		return 0;
	case 3:
		return -EPERM;
	default:
		return -EIO;
	}
}

/* 1 if text lists ".../sch_KIND.ko" (optionally compressed) */
static int modules_file_lists(const char *path, const char *kind)
{
	char *data, *needle = xasprintf("/sch_%s.ko", kind);
	size_t len, nlen = strlen(needle);
	int found = 0;
	if (read_file(path, 64U << 20, &data, &len) == 0) {
		for (char *p = data; (p = strstr(p, needle)); p += nlen) {
			char next = p[nlen];
			if (next == '\0' || next == '\n' || next == ':' || next == '.') {
				found = 1;
				break;
			}
		}
		free(data);
	}
	free(needle);
	return found;
}

int qdisc_kind_available(const char *kind)
{
	static const char *const builtin[] = { "pfifo_fast", "pfifo", "bfifo",
					       "pfifo_head_drop", "mq", "noqueue" };
	struct qdisc_root *roots;
	size_t n;
	int found = 0;

	for (size_t i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		if (!strcmp(kind, builtin[i]))
			return 1;
	if (strchr(kind, '/') || strlen(kind) >= QDISC_KIND_MAX)
		return 0;
	if (!tk_root()[0]) {
		if (qdisc_root_list(&roots, &n) == 0) {
			for (size_t i = 0; i < n && !found; i++)
				found = !strcmp(roots[i].kind, kind);
			qdisc_root_list_free(roots, n);
		}
		if (found)
			return 1;
		char *sys = xasprintf("/sys/module/sch_%s", kind);
		struct stat st;
		found = stat(sys, &st) == 0;
		free(sys);
		if (found)
			return 1;
	}
	struct utsname u;
	if (uname(&u) < 0)
		return 0;
	const char *files[] = { "modules.builtin", "modules.dep" };
	for (size_t i = 0; i < 2 && !found; i++) {
		char *rel = xasprintf("/lib/modules/%s/%s", u.release, files[i]);
		char *path = tk_path(rel);
		found = modules_file_lists(path, kind);
		free(path);
		free(rel);
	}
	return found;
}
