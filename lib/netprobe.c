/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "httpmini.h"
#include "monoclock.h"
#include "netprobe.h"
#include "tlsprobe.h"

#define ICMP_PAYLOAD 56

#ifndef ICMP_FILTER
/* from <linux/icmp.h>, which clashes with <netinet/ip_icmp.h> */
#define ICMP_FILTER 1
struct icmp_filter {
	uint32_t data;
};
#endif /* the classic ping size: 64 bytes of ICMP */

int netprobe_wait_fd(int fd, short events, uint64_t deadline, short *revents)
{
	for (;;) {
		/* poll before judging the deadline: a caller scheduled late
		 * still sees a fd that is ready (poll with 0 ms once) */
		uint64_t now = mono_ns();
		uint64_t left_ms = now >= deadline ? 0 : (deadline - now + 999999) / 1000000;
		struct pollfd pfd = { .fd = fd, .events = events };
		int n = poll(&pfd, 1, left_ms > 60000 ? 60000 : (int)left_ms);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (n > 0) {
			if (revents)
				*revents = pfd.revents;
			return 0;
		}
		if (!left_ms || mono_ns() >= deadline)
			return -ETIMEDOUT;
	}
}

static int tcp_connect_at(const struct sockaddr *sa, socklen_t salen, uint64_t deadline,
			  uint64_t start, uint64_t *rtt_ns, int *fd_out)
{
	int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
	if (fd < 0)
		return -errno;
	int rc = 0;
	if (connect(fd, sa, salen) < 0) {
		if (errno != EINPROGRESS) {
			rc = -errno;
			goto out;
		}
		short rev;
		if ((rc = netprobe_wait_fd(fd, POLLOUT, deadline, &rev)))
			goto out;
		int err = 0;
		socklen_t el = sizeof(err);
		if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) < 0)
			err = errno;
		if (err) {
			rc = -err;
			goto out;
		}
	}
	*rtt_ns = mono_ns() - start;
out:
	if (rc || !fd_out)
		close(fd);
	else
		*fd_out = fd;
	return rc;
}

int netprobe_tcp_connect(const struct sockaddr *sa, socklen_t salen, uint64_t timeout_ns,
			 uint64_t *rtt_ns, int *fd_out)
{
	uint64_t start = mono_ns();
	return tcp_connect_at(sa, salen, start + timeout_ns, start, rtt_ns, fd_out);
}

/* the lookup of one probe: first address of the family, like curl's */
static int http_resolve(const struct netprobe_http_req *rq, struct sockaddr_storage *ss, socklen_t *sslen,
			struct netprobe_http *res)
{
	struct addrinfo hints = { .ai_family = rq->family, .ai_socktype = SOCK_STREAM }, *ai = NULL;
	char portstr[8];
	snprintf(portstr, sizeof(portstr), "%u", rq->port);
	int rc = getaddrinfo(rq->host, portstr, &hints, &ai);
	if (rc) {
		snprintf(res->why, sizeof(res->why), "cannot resolve %s: %s", rq->host,
			 rc == EAI_SYSTEM ? strerror(errno) : gai_strerror(rc));
		return -EHOSTUNREACH;
	}
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*sslen = ai->ai_addrlen;
	if (getnameinfo(ai->ai_addr, ai->ai_addrlen, res->address, sizeof(res->address), NULL, 0, NI_NUMERICHOST))
		res->address[0] = '\0';
	freeaddrinfo(ai);
	return 0;
}

static int http_send(int fd, struct tlsprobe_conn *tc, const char *buf, size_t len, uint64_t deadline)
{
	if (tc)
		return tlsprobe_write(tc, buf, len, deadline);
	for (size_t off = 0; off < len;) {
		ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
		if (n < 0) {
			short rev;
			int rc;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if ((rc = netprobe_wait_fd(fd, POLLOUT, deadline, &rev)))
				return rc;
			continue;
		}
		off += (size_t)n;
	}
	return 0;
}

static ssize_t http_recv(int fd, struct tlsprobe_conn *tc, char *buf, size_t len, uint64_t deadline)
{
	if (tc)
		return tlsprobe_read(tc, buf, len, deadline);
	for (;;) {
		ssize_t n = recv(fd, buf, len, 0);
		if (n >= 0)
			return n;
		short rev;
		int rc;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN)
			return -errno;
		if ((rc = netprobe_wait_fd(fd, POLLIN, deadline, &rev)))
			return rc;
	}
}

int netprobe_http_get(const struct netprobe_http_req *rq, struct netprobe_http *res)
{
	char req[HTTP_LINE_MAX + 512];
	memset(res, 0, sizeof(*res));
	int reqlen = http_format_get(req, sizeof(req), rq->host_header, rq->path,
				     "tunekit-nettune-probe/" PACKAGE_VERSION);
	if (reqlen < 0)
		return reqlen;

	uint64_t start = mono_ns(), deadline = start + rq->timeout_ns, ignored;
	struct sockaddr_storage ss;
	socklen_t sslen = 0;
	int rc = http_resolve(rq, &ss, &sslen, res);
	if (rc)
		return rc;
	res->ns[NETPROBE_DNS] = mono_ns() - start;
	res->reached[NETPROBE_DNS] = 1;

	int fd = -1;
	rc = tcp_connect_at((struct sockaddr *)&ss, sslen, deadline, start, &ignored, &fd);
	if (rc)
		return rc;
	res->ns[NETPROBE_CONNECT] = mono_ns() - start;
	res->reached[NETPROBE_CONNECT] = 1;
	/* as curl: the request must not wait behind Nagle for the ACK of the
	 * handshake's last flight (one more round trip) */
	int one = 1;
	(void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));

	struct tlsprobe_conn *tc = NULL;
	if (rq->tls) {
		rc = tlsprobe_handshake(rq->tls, fd, rq->host, deadline, &tc, res->why, sizeof(res->why));
		if (rc)
			goto out;
		res->ns[NETPROBE_TLS] = mono_ns() - start;
		res->reached[NETPROBE_TLS] = 1;
	}

	if ((rc = http_send(fd, tc, req, (size_t)reqlen, deadline)))
		goto out;

	struct http_response *r = malloc(sizeof(*r));
	if (!r) {
		rc = -ENOMEM;
		goto out;
	}
	http_response_init(r, 0);
	for (;;) {
		char buf[16384];
		ssize_t n = http_recv(fd, tc, buf, sizeof(buf), deadline);
		uint64_t now = mono_ns();
		if (n < 0) {
			rc = (int)n;
			break;
		}
		if (n == 0) {
			rc = http_response_eof(r) == 1 ? 0 : -EPROTO;
			if (!rc) {
				res->ns[NETPROBE_TOTAL] = now - start;
				res->reached[NETPROBE_TOTAL] = 1;
			}
			break;
		}
		if (!res->reached[NETPROBE_TTFB]) {
			res->reached[NETPROBE_TTFB] = 1;
			res->ns[NETPROBE_TTFB] = now - start;
		}
		int done = http_response_feed(r, buf, (size_t)n, NULL);
		if (done < 0) {
			rc = done;
			break;
		}
		if (done) {
			res->ns[NETPROBE_TOTAL] = now - start;
			res->reached[NETPROBE_TOTAL] = 1;
			rc = 0;
			break;
		}
	}
	res->status = http_response_started(r) ? r->status : 0;
	res->body_bytes = r->body_bytes;
	free(r);
out:
	tlsprobe_close(tc);
	close(fd);
	return rc;
}

static uint16_t inet_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;
	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)(p[0] << 8 | p[1]);
	if (len)
		sum += (uint32_t)(p[0] << 8);
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static int icmp_socket(int family, int raw)
{
	int proto = family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	return socket(family, (raw ? SOCK_RAW : SOCK_DGRAM) | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);
}

int netprobe_icmp_open(struct netprobe_icmp *s, int family, enum netprobe_icmp_mode mode)
{
	int fd = -1, raw = 0, err = 0;

	memset(s, 0, sizeof(*s));
	s->fd = -1;
	if (mode != NETPROBE_ICMP_RAW) {
		fd = icmp_socket(family, 0);
		if (fd < 0)
			err = errno;
	}
	if (fd < 0 && mode != NETPROBE_ICMP_DGRAM) {
		fd = icmp_socket(family, 1);
		if (fd < 0)
			err = mode == NETPROBE_ICMP_RAW || !err ? errno : err;
		raw = 1;
	}
	if (fd < 0)
		return -err;

	if (raw && family == AF_INET) {
		struct icmp_filter filt = { .data = ~(1U << ICMP_ECHOREPLY) };
		(void)setsockopt(fd, SOL_RAW, ICMP_FILTER, &filt, sizeof(filt));
	} else if (raw) {
		struct icmp6_filter filt;
		ICMP6_FILTER_SETBLOCKALL(&filt);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &filt);
		(void)setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &filt, sizeof(filt));
	}
	s->fd = fd;
	s->family = family;
	s->raw = raw;
	/* a ping socket's identifier is its port: the kernel picks it */
	s->ident = (uint16_t)(raw ? (getpid() ^ (family << 8)) : 0);
	s->seq = (uint16_t)(mono_ns() & 0x7fff);
	return 0;
}

void netprobe_icmp_close(struct netprobe_icmp *s)
{
	if (s->fd >= 0)
		close(s->fd);
	s->fd = -1;
}

static int same_addr(const struct sockaddr *a, const struct sockaddr_storage *b)
{
	if (a->sa_family != b->ss_family)
		return 0;
	if (a->sa_family == AF_INET)
		return ((const struct sockaddr_in *)a)->sin_addr.s_addr ==
		       ((const struct sockaddr_in *)b)->sin_addr.s_addr;
	return !memcmp(&((const struct sockaddr_in6 *)a)->sin6_addr,
		       &((const struct sockaddr_in6 *)b)->sin6_addr, sizeof(struct in6_addr));
}

/* Is pkt (len bytes, as the socket delivered it) our echo reply with seq? */
static int is_our_reply(const struct netprobe_icmp *s, const uint8_t *pkt, size_t len, uint16_t seq)
{
	if (s->family == AF_INET && s->raw) {
		if (len < sizeof(struct ip))
			return 0;
		size_t hl = (size_t)(pkt[0] & 0x0f) * 4;
		if (hl < 20 || len < hl)
			return 0;
		pkt += hl;
		len -= hl;
	}
	if (len < 8)
		return 0;
	uint8_t want_type = s->family == AF_INET ? ICMP_ECHOREPLY : ICMP6_ECHO_REPLY;
	uint16_t id = (uint16_t)(pkt[4] << 8 | pkt[5]), sq = (uint16_t)(pkt[6] << 8 | pkt[7]);
	if (pkt[0] != want_type || sq != seq)
		return 0;
	/* a ping socket only sees its own replies, with the kernel's id */
	return !s->raw || id == s->ident;
}

int netprobe_icmp_echo(struct netprobe_icmp *s, const struct sockaddr *sa, socklen_t salen,
		       uint64_t timeout_ns, uint64_t *rtt_ns)
{
	uint8_t pkt[8 + ICMP_PAYLOAD];
	uint16_t seq = ++s->seq;

	memset(pkt, 0, sizeof(pkt));
	pkt[0] = s->family == AF_INET ? ICMP_ECHO : ICMP6_ECHO_REQUEST;
	pkt[4] = (uint8_t)(s->ident >> 8);
	pkt[5] = (uint8_t)s->ident;
	pkt[6] = (uint8_t)(seq >> 8);
	pkt[7] = (uint8_t)seq;
	for (size_t i = 8; i < sizeof(pkt); i++)
		pkt[i] = (uint8_t)i;
	if (s->family == AF_INET) {
		uint16_t ck = inet_checksum(pkt, sizeof(pkt));
		memcpy(pkt + 2, &ck, 2);
	} /* ICMPv6: the kernel computes the checksum over the pseudo-header */

	uint64_t start = mono_ns(), deadline = start + timeout_ns;
	while (sendto(s->fd, pkt, sizeof(pkt), 0, sa, salen) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	for (;;) {
		uint8_t buf[1500];
		struct sockaddr_storage from;
		socklen_t fl = sizeof(from);
		ssize_t n = recvfrom(s->fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
		if (n < 0) {
			short rev;
			int rc;
			if (errno == EINTR)
				continue;
			if (errno != EAGAIN)
				return -errno;
			if ((rc = netprobe_wait_fd(s->fd, POLLIN, deadline, &rev)))
				return rc;
			continue;
		}
		uint64_t now = mono_ns();
		if (same_addr(sa, &from) && is_our_reply(s, buf, (size_t)n, seq)) {
			*rtt_ns = now - start;
			return 0;
		}
		if (now >= deadline)
			return -ETIMEDOUT;
	}
}
