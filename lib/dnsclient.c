/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stddef.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "dnsclient.h"
#include "dnswire.h"
#include "monoclock.h"
#include "tlsprobe.h"
#include "xalloc.h"

#define DOT_PORT 853

static int valid_tls_name(const char *n, size_t len)
{
	if (!len || len > DNS_TLS_NAME_MAX || n[0] == '.' || n[0] == '-')
		return 0;
	for (size_t i = 0; i < len; i++) {
		char c = n[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
		      c == '.'))
			return 0;
	}
	return 1;
}

int dns_server_parse(const char *spec, struct dns_server *s)
{
	char host[INET6_ADDRSTRLEN + 1], buf[INET6_ADDRSTRLEN + 16];
	const char *port = NULL;
	size_t hlen;
	int tls = 0;

	memset(s, 0, sizeof(*s));
	if (!spec || !*spec)
		return -EINVAL;
	if (!strncmp(spec, "tls://", 6)) {
		tls = 1;
		spec += 6;
		const char *hash = strchr(spec, '#');
		if (hash) {
			if (!valid_tls_name(hash + 1, strlen(hash + 1)) || (size_t)(hash - spec) >= sizeof(buf))
				return -EINVAL;
			memcpy(s->tls_name, hash + 1, strlen(hash + 1) + 1);
			memcpy(buf, spec, (size_t)(hash - spec));
			buf[hash - spec] = '\0';
			spec = buf;
		}
		if (!*spec)
			return -EINVAL;
	}
	if (spec[0] == '[') {
		const char *end = strchr(spec, ']');
		if (!end)
			return -EINVAL;
		hlen = (size_t)(end - spec - 1);
		if (end[1] == ':')
			port = end + 2;
		else if (end[1])
			return -EINVAL;
		spec++;
	} else {
		const char *colon = strchr(spec, ':');
		/* one colon: IPv4 with port; several: a bare IPv6 address */
		if (colon && !strchr(colon + 1, ':')) {
			hlen = (size_t)(colon - spec);
			port = colon + 1;
		} else {
			hlen = strlen(spec);
		}
	}
	if (hlen == 0 || hlen >= sizeof(host))
		return -EINVAL;
	memcpy(host, spec, hlen);
	host[hlen] = '\0';

	unsigned long p = tls ? DOT_PORT : 53;
	if (port) {
		char *end;
		if (!*port || *port < '0' || *port > '9')
			return -EINVAL;
		errno = 0;
		p = strtoul(port, &end, 10);
		if (errno || *end || p == 0 || p > 65535)
			return -EINVAL;
	}

	struct sockaddr_in *in4 = (struct sockaddr_in *)&s->addr;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&s->addr;
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		in4->sin_port = htons((uint16_t)p);
		s->addrlen = sizeof(*in4);
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons((uint16_t)p);
		s->addrlen = sizeof(*in6);
	} else {
		return -EINVAL;
	}
	s->tls = tls;
	if (!tls)
		s->tls_name[0] = '\0';
	return 0;
}

char *dns_server_addr(const struct dns_server *s, char *buf, size_t len)
{
	const void *a = s->addr.ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)&s->addr)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)&s->addr)->sin_addr;
	if (!inet_ntop(s->addr.ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

uint16_t dns_server_port(const struct dns_server *s)
{
	if (s->addr.ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)&s->addr)->sin6_port);
	return ntohs(((const struct sockaddr_in *)&s->addr)->sin_port);
}

char *dns_server_format(const struct dns_server *s, int with_port, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	uint16_t port = dns_server_port(s);
	const char *pre = s->tls ? "tls://" : "", *hash = s->tls && s->tls_name[0] ? "#" : "";
	const char *name = s->tls ? s->tls_name : "";
	dns_server_addr(s, a, sizeof(a));
	if (!with_port && port == (s->tls ? DOT_PORT : 53))
		snprintf(buf, len, "%s%s%s%s", pre, a, hash, name);
	else if (s->addr.ss_family == AF_INET6)
		snprintf(buf, len, "%s[%s]:%u%s%s", pre, a, port, hash, name);
	else
		snprintf(buf, len, "%s%s:%u%s%s", pre, a, port, hash, name);
	return buf;
}

static int sockaddr_equal(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	if (a->ss_family != b->ss_family)
		return 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_port == y->sin_port && x->sin_addr.s_addr == y->sin_addr.s_addr;
	}
	if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
		return x->sin6_port == y->sin6_port &&
		       !memcmp(&x->sin6_addr, &y->sin6_addr, sizeof(x->sin6_addr));
	}
	return 0;
}

int dns_server_equal(const struct dns_server *a, const struct dns_server *b)
{
	return a->tls == b->tls && sockaddr_equal(&a->addr, &b->addr) && !strcmp(a->tls_name, b->tls_name);
}

int dns_random(void *buf, size_t len)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t r = getrandom(p, len, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += r;
		len -= (size_t)r;
	}
	return 0;
}

/* IDs come from a small pool so a burst of queries costs one getrandom(). */
static int random_id(uint16_t *id)
{
	static uint8_t pool[256];
	static size_t left;
	if (left < 2) {
		int rc = dns_random(pool, sizeof(pool));
		if (rc < 0)
			return rc;
		left = sizeof(pool);
	}
	left -= 2;
	*id = (uint16_t)(pool[left] << 8 | pool[left + 1]);
	return 0;
}

/* SO_TIMESTAMPNS stamps are CLOCK_REALTIME: the send time on that clock too */
static uint64_t realtime_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

enum slot_state { SLOT_FREE, SLOT_UDP, SLOT_TCP_CONNECT, SLOT_TCP_WRITE, SLOT_TCP_READ };

struct slot {
	enum slot_state state;
	struct dns_query *q;
	int fd;
	int edns;
	uint8_t query[DNS_QUERY_MAX + 2]; /* [0..1]: TCP length prefix */
	size_t qlen;
	uint64_t t0_mono, t0_real, deadline;
	uint8_t *tcp_buf;                 /* DNS_MAX_UDP + 2 bytes */
	size_t tcp_done;                  /* bytes written or read so far */
};

static void slot_close(struct slot *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static void slot_finish(struct slot *s, enum dns_query_status st, int err)
{
	slot_close(s);
	s->q->status = st;
	s->q->error = err;
	s->state = SLOT_FREE;
	s->q = NULL;
}

/*
 * (Re)build the query with a fresh ID, with an OPT RR only while s->edns:
 * a retry after FORMERR/NOTIMP must be a plain query, over UDP or TCP.
 */
static int build_query(struct slot *s, const struct dns_client_opts *o)
{
	uint16_t id;
	int rc;

	if ((rc = random_id(&id)) < 0)
		return rc;
	return dns_build_query(s->query + 2, DNS_QUERY_MAX, &s->qlen, id, s->q->name,
			       s->q->qtype, o->rd, s->edns);
}

/* Build the query and send it on a new connected socket. */
static int udp_send(struct slot *s, const struct dns_client_opts *o)
{
	const struct dns_server *srv = s->q->server;
	int rc, one = 1;

	if ((rc = build_query(s, o)) < 0)
		return rc;
	s->fd = socket(srv->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	/* kernel receive timestamps: our own scheduling delay stays out of the RTT */
	(void)setsockopt(s->fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one));
	if (connect(s->fd, (const struct sockaddr *)&srv->addr, srv->addrlen) < 0)
		return -errno;
	uint64_t mono = mono_ns(), real = realtime_ns();
	if (!s->t0_mono) {
		s->t0_mono = mono;
		s->t0_real = real;
	}
	if (send(s->fd, s->query + 2, s->qlen, 0) < 0)
		return -errno;
	s->deadline = mono + o->timeout_ns;
	s->state = SLOT_UDP;
	return 0;
}

static int tcp_start(struct slot *s, const struct dns_client_opts *o)
{
	const struct dns_server *srv = s->q->server;
	int rc;

	slot_close(s);
	if ((rc = build_query(s, o)) < 0)
		return rc;
	s->query[0] = (uint8_t)(s->qlen >> 8);
	s->query[1] = (uint8_t)s->qlen;
	if (!s->tcp_buf)
		s->tcp_buf = xmalloc(DNS_MAX_UDP + 2);
	s->tcp_done = 0;
	s->fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->fd < 0)
		return -errno;
	s->deadline = mono_ns() + o->timeout_ns;
	if (connect(s->fd, (const struct sockaddr *)&srv->addr, srv->addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		s->state = SLOT_TCP_CONNECT;
	} else {
		s->state = SLOT_TCP_WRITE;
	}
	return 0;
}

/*
 * One message that came back for slot s. Returns 1 when the query is done
 * (answered), 0 to keep waiting, or -errno.
 */
static int handle_reply(struct slot *s, const uint8_t *msg, size_t len, uint64_t rtt_ns,
			const struct dns_client_opts *o)
{
	struct dns_query *q = s->q;
	struct dns_msg m;

	if (dns_reply_match(s->query + 2, s->qlen, msg, len) != DNS_MATCH_OK) {
		q->mismatched++;
		return 0;
	}
	uint16_t flags = (uint16_t)(msg[2] << 8 | msg[3]);
	if (s->state == SLOT_UDP && (flags & DNS_FLAG_TC)) {
		q->tcp = 1;
		int rc = tcp_start(s, o);
		return rc < 0 ? rc : 0;
	}
	if (s->edns && (DNS_RCODE(flags) == DNS_RCODE_FORMERR ||
			DNS_RCODE(flags) == DNS_RCODE_NOTIMP)) {
		q->edns_retry = 1;
		s->edns = 0;
		if (s->state != SLOT_UDP)
			return tcp_start(s, o) < 0 ? -EIO : 0;
		slot_close(s);
		int rc = udp_send(s, o);
		return rc < 0 ? rc : 0;
	}
	if (dns_parse(msg, len, &m) < 0) {
		q->malformed++;
		return 0;
	}
	q->rtt_ns = rtt_ns;
	q->rcode = m.rcode;
	q->answers = m.answers;
	q->answer_addrs = m.answer_addrs;
	return 1;
}

static int udp_readable(struct slot *s, uint8_t *buf, const struct dns_client_opts *o)
{
	for (;;) {
		struct sockaddr_storage from;
		char cbuf[CMSG_SPACE(sizeof(struct timespec))];
		struct iovec iov = { .iov_base = buf, .iov_len = DNS_MAX_UDP };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		ssize_t r = recvmsg(s->fd, &mh, MSG_DONTWAIT);
		if (r < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				continue;
			return -errno;	/* ECONNREFUSED: ICMP port unreachable */
		}
		uint64_t mono = mono_ns(), rtt = mono - s->t0_mono;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
				struct timespec ts;
				memcpy(&ts, CMSG_DATA(c), sizeof(ts));
				uint64_t rx = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
				/* a clock step makes it useless: keep the monotonic RTT */
				if (rx > s->t0_real && rx - s->t0_real <= rtt)
					rtt = rx - s->t0_real;
			}
		}
		if (!sockaddr_equal(&from, &s->q->server->addr)) {
			s->q->mismatched++;
			continue;
		}
		int rc = handle_reply(s, buf, (size_t)r, rtt, o);
		if (rc != 0 || s->state != SLOT_UDP)
			return rc;
	}
}

static int tcp_ready(struct slot *s, short revents, const struct dns_client_opts *o)
{
	if (s->state == SLOT_TCP_CONNECT) {
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			return -errno;
		if (err)
			return -err;
		s->state = SLOT_TCP_WRITE;
	}
	if (s->state == SLOT_TCP_WRITE) {
		ssize_t w = send(s->fd, s->query + s->tcp_done, s->qlen + 2 - s->tcp_done, MSG_NOSIGNAL);
		if (w < 0)
			return errno == EAGAIN ? 0 : -errno;
		s->tcp_done += (size_t)w;
		if (s->tcp_done == s->qlen + 2) {
			s->state = SLOT_TCP_READ;
			s->tcp_done = 0;
		}
		return 0;
	}
	if (s->state == SLOT_TCP_READ && (revents & (POLLIN | POLLHUP | POLLERR))) {
		for (;;) {
			size_t need = 2;
			if (s->tcp_done >= 2)
				need += (size_t)(s->tcp_buf[0] << 8 | s->tcp_buf[1]);
			if (s->tcp_done < need) {
				ssize_t r = recv(s->fd, s->tcp_buf + s->tcp_done, need - s->tcp_done, 0);
				if (r < 0)
					return errno == EAGAIN ? 0 : -errno;
				if (r == 0)
					return -ECONNRESET;
				s->tcp_done += (size_t)r;
				continue;
			}
			uint64_t rtt = mono_ns() - s->t0_mono;
			int rc = handle_reply(s, s->tcp_buf + 2, need - 2, rtt, o);
			if (rc != 0 || s->state != SLOT_TCP_READ)
				return rc;
			s->tcp_done = 0;	/* dropped: read the next message */
		}
	}
	return 0;
}

/* ---- DNS over TLS ------------------------------------------------------ */

struct dot_conn {
	int fd;
	struct tlsprobe_conn *tc;
	unsigned used;
};

static void dot_close(struct dot_conn *c)
{
	tlsprobe_close(c->tc);
	c->tc = NULL;
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->used = 0;
}

/* connect(2) and the TLS handshake within deadline. 0 or -errno (why set). */
static int dot_open(struct dot_conn *c, const struct dns_server *srv, const struct dns_client_opts *o,
		    uint64_t deadline, char *why, size_t whylen)
{
	char addr[INET6_ADDRSTRLEN];
	if (!o->tls) {
		snprintf(why, whylen, "no TLS context");
		return -EINVAL;
	}
	c->fd = socket(srv->addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0)
		return -errno;
	int one = 1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->fd, (const struct sockaddr *)&srv->addr, srv->addrlen) < 0) {
		if (errno != EINPROGRESS)
			return -errno;
		for (;;) {
			uint64_t now = mono_ns();
			if (now >= deadline)
				return -ETIMEDOUT;
			struct pollfd p = { .fd = c->fd, .events = POLLOUT };
			uint64_t left = (deadline - now + 999999) / 1000000;
			int r = poll(&p, 1, left > 60000 ? 60000 : (int)left);
			if (r < 0 && errno != EINTR)
				return -errno;
			if (r > 0)
				break;
		}
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			return -errno;
		if (err)
			return -err;
	}
	const char *name = srv->tls_name[0] ? srv->tls_name : dns_server_addr(srv, addr, sizeof(addr));
	return tlsprobe_handshake(o->tls, c->fd, name, deadline, &c->tc, why, whylen);
}

/*
 * ACK what arrives at once. Our query leaves right after the handshake, so
 * the kernel takes the connection as interactive and delays its ACKs (40 ms
 * at least); a TLS 1.3 server sends its session tickets then the answer, and
 * a server that writes with Nagle (unbound) holds the answer until the
 * ticket is acknowledged: the first query paid the delayed ACK on top of its
 * round trips. TCP_QUICKACK is not sticky: set after each write.
 */
static void dot_quickack(struct dot_conn *c)
{
	int one = 1;
	(void)setsockopt(c->fd, IPPROTO_TCP, TCP_QUICKACK, &one, sizeof(one));
}

/* Read exactly len bytes. 0 or -errno (-ECONNRESET at the end of the stream). */
static int dot_read_full(struct dot_conn *c, uint8_t *buf, size_t len, uint64_t deadline)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = tlsprobe_read(c->tc, buf + got, len - got, deadline);
		if (r < 0)
			return (int)r;
		if (r == 0)
			return -ECONNRESET;
		got += (size_t)r;
	}
	return 0;
}

/* One query over the server's connection (opened when there is none). */
static void dot_query(struct dot_conn *c, struct dns_query *q, const struct dns_client_opts *o, uint8_t *buf)
{
	uint8_t query[DNS_QUERY_MAX + 2];
	size_t qlen;
	uint16_t id;
	uint64_t t0 = mono_ns(), deadline = t0 + o->timeout_ns;
	int rc;

	if (c->tc && o->dot_reuse && c->used >= o->dot_reuse)
		dot_close(c);
	if (!c->tc) {
		q->handshake = 1;
		rc = dot_open(c, q->server, o, deadline, q->why, sizeof(q->why));
		if (rc)
			goto fail;
	}
	c->used++;
	if ((rc = random_id(&id)) < 0 ||
	    (rc = dns_build_query(query + 2, DNS_QUERY_MAX, &qlen, id, q->name, q->qtype, o->rd, o->edns)) < 0)
		goto fail;
	query[0] = (uint8_t)(qlen >> 8);
	query[1] = (uint8_t)qlen;
	if ((rc = tlsprobe_write(c->tc, query, qlen + 2, deadline)))
		goto fail;
	dot_quickack(c);
	for (;;) {
		uint8_t lenb[2];
		if ((rc = dot_read_full(c, lenb, 2, deadline)))
			goto fail;
		size_t mlen = (size_t)(lenb[0] << 8 | lenb[1]);
		if ((rc = dot_read_full(c, buf, mlen, deadline)))
			goto fail;
		uint64_t rtt = mono_ns() - t0;
		struct dns_msg m;
		if (dns_reply_match(query + 2, qlen, buf, mlen) != DNS_MATCH_OK) {
			q->mismatched++;
			continue;
		}
		if (dns_parse(buf, mlen, &m) < 0) {
			q->malformed++;
			continue;
		}
		q->rtt_ns = rtt;
		q->rcode = m.rcode;
		q->answers = m.answers;
		q->answer_addrs = m.answer_addrs;
		q->status = DNSQ_ANSWERED;
		return;
	}
fail:
	/* a connection in an unknown state is not reused */
	dot_close(c);
	q->status = rc == -ETIMEDOUT ? DNSQ_TIMEOUT : DNSQ_ERROR;
	q->error = rc;
	if (!q->why[0] && rc == -ETIMEDOUT && q->handshake)
		snprintf(q->why, sizeof(q->why), "TLS connection timed out");
}

/* Every DoT query: server by server (in order of first appearance), each
 * server's queries in order over its connection. */
static void dot_run(struct dns_query *queries, size_t n, const struct dns_client_opts *o)
{
	uint8_t *buf = xmalloc(65536);
	char *done = xcalloc(n ? n : 1, 1);
	for (size_t i = 0; i < n; i++) {
		if (!queries[i].server->tls || done[i])
			continue;
		struct dot_conn c = { .fd = -1 };
		for (size_t k = i; k < n; k++) {
			struct dns_query *q = &queries[k];
			if (done[k] || !q->server->tls || !dns_server_equal(q->server, queries[i].server))
				continue;
			done[k] = 1;
			memset(&q->status, 0, sizeof(*q) - offsetof(struct dns_query, status));
			dot_query(&c, q, o, buf);
		}
		dot_close(&c);
	}
	free(done);
	free(buf);
}

int dns_client_run(struct dns_query *queries, size_t n, const struct dns_client_opts *o)
{
	unsigned par = o->parallel ? o->parallel : 1;
	struct slot *slots = xcalloc(par, sizeof(*slots));
	struct pollfd *pfd = xcalloc(par, sizeof(*pfd));
	unsigned *map = xcalloc(par, sizeof(*map));
	uint8_t *buf = xmalloc(DNS_MAX_UDP);
	size_t next = 0, done = 0;
	int ret = 0;

	for (unsigned i = 0; i < par; i++)
		slots[i].fd = -1;

	while (done < n) {
		/* fill free slots */
		for (unsigned i = 0; i < par && next < n; i++) {
			struct slot *s = &slots[i];
			while (s->state == SLOT_FREE && next < n) {
				struct dns_query *q = &queries[next++];
				if (q->server->tls) { /* dot_run() below */
					done++;
					continue;
				}
				memset(&q->status, 0, sizeof(*q) - offsetof(struct dns_query, status));
				s->q = q;
				s->edns = o->edns;
				s->t0_mono = s->t0_real = 0;
				int rc = udp_send(s, o);
				if (rc < 0) {
					slot_finish(s, DNSQ_ERROR, rc);
					done++;
				}
			}
		}
		/* wait for the first event or deadline */
		uint64_t now = mono_ns(), first = UINT64_MAX;
		unsigned np = 0;
		for (unsigned i = 0; i < par; i++) {
			struct slot *s = &slots[i];
			if (s->state == SLOT_FREE)
				continue;
			if (s->deadline < first)
				first = s->deadline;
			pfd[np].fd = s->fd;
			pfd[np].events = (short)(s->state == SLOT_TCP_CONNECT || s->state == SLOT_TCP_WRITE
						 ? POLLOUT : POLLIN);
			pfd[np].revents = 0;
			map[np++] = i;
		}
		if (!np)
			continue;
		uint64_t wait = first > now ? first - now : 0;
		struct timespec ts = { .tv_sec = (time_t)(wait / 1000000000u),
				       .tv_nsec = (long)(wait % 1000000000u) };
		int pr = ppoll(pfd, np, &ts, NULL);
		if (pr < 0 && errno != EINTR) {
			ret = -errno;
			break;
		}
		for (unsigned k = 0; pr > 0 && k < np; k++) {
			struct slot *s = &slots[map[k]];
			if (!pfd[k].revents || s->state == SLOT_FREE)
				continue;
			int rc = s->state == SLOT_UDP ? udp_readable(s, buf, o)
						      : tcp_ready(s, pfd[k].revents, o);
			if (rc != 0) {
				slot_finish(s, rc > 0 ? DNSQ_ANSWERED : DNSQ_ERROR, rc > 0 ? 0 : rc);
				done++;
			}
		}
		now = mono_ns();
		for (unsigned i = 0; i < par; i++) {
			struct slot *s = &slots[i];
			if (s->state != SLOT_FREE && now >= s->deadline) {
				slot_finish(s, DNSQ_TIMEOUT, 0);
				done++;
			}
		}
	}
	for (unsigned i = 0; i < par; i++) {
		slot_close(&slots[i]);
		free(slots[i].tcp_buf);
	}
	free(slots);
	free(pfd);
	free(map);
	free(buf);
	if (!ret)
		dot_run(queries, n, o);
	return ret;
}
