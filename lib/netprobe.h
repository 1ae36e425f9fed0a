/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One latency probe at a time, timed with CLOCK_MONOTONIC: TCP connect
 * (SYN to established), an HTTP/1.1 GET over TCP or TLS (phases as curl's
 * time_namelookup ... time_total) and
 * ICMP echo through an unprivileged ping socket or a raw socket. Every call
 * takes a timeout and returns 0 or -errno (-ETIMEDOUT, -ECONNREFUSED,
 * -EHOSTUNREACH, -EPROTO for a malformed HTTP response...).
 */
#ifndef TUNEKIT_NETPROBE_H
#define TUNEKIT_NETPROBE_H

#include <stdint.h>
#include <sys/socket.h>

/*
 * Poll fd for events until deadline (mono_ns() time): 0 with *revents
 * (revents may be NULL), -ETIMEDOUT, -errno. A fd that is ready counts even
 * when the caller comes after the deadline: it is polled at least once.
 */
int netprobe_wait_fd(int fd, short events, uint64_t deadline, short *revents);

/*
 * Non-blocking connect and poll until established. *rtt_ns gets the time
 * from connect(2) to established. With fd_out the connected (non-blocking)
 * socket is handed over, otherwise it is closed.
 */
int netprobe_tcp_connect(const struct sockaddr *sa, socklen_t salen, uint64_t timeout_ns,
			 uint64_t *rtt_ns, int *fd_out);

struct tlsprobe_ctx;

/* One HTTP or HTTPS GET, the way curl times it. */
struct netprobe_http_req {
	const char *host;        /* name or address: resolved by every probe (the dns phase) */
	unsigned port;
	int family;              /* AF_UNSPEC, AF_INET, AF_INET6 */
	const char *host_header; /* "name[:port]" */
	const char *path;
	struct tlsprobe_ctx *tls; /* NULL: plain HTTP; else HTTPS, host verified */
	uint64_t timeout_ns;     /* the whole exchange, lookup included */
};

/*
 * Phases, each measured from the start of the probe (before the name
 * lookup) to the moment it ended, as curl's -w variables are:
 * dns = time_namelookup, connect = time_connect, tls = time_appconnect,
 * ttfb = time_starttransfer, total = time_total.
 */
enum netprobe_phase {
	NETPROBE_DNS, NETPROBE_CONNECT, NETPROBE_TLS, NETPROBE_TTFB, NETPROBE_TOTAL, NETPROBE_PHASES
};

struct netprobe_http {
	uint64_t ns[NETPROBE_PHASES]; /* valid where reached[] is set */
	int reached[NETPROBE_PHASES]; /* the phase completed (even when a later one failed) */
	int status;                   /* HTTP status code, 0 if no status line came */
	uint64_t body_bytes;
	char address[46];             /* the address connected to, "" before */
	char why[200];                /* failure in words ("" : use strerror of the return) */
};

/*
 * GET rq->path from rq->host, within rq->timeout_ns. Any status (3xx, 4xx,
 * 5xx too) is a success: 0 with *res filled. -EHOSTUNREACH with why for a
 * failed lookup, -ECONNABORTED with why for a failed TLS handshake or
 * certificate, -EPROTO for a malformed response.
 */
int netprobe_http_get(const struct netprobe_http_req *rq, struct netprobe_http *res);

enum netprobe_icmp_mode {
	NETPROBE_ICMP_AUTO,  /* ping socket, else raw socket */
	NETPROBE_ICMP_DGRAM, /* SOCK_DGRAM/IPPROTO_ICMP: net.ipv4.ping_group_range */
	NETPROBE_ICMP_RAW,   /* SOCK_RAW: root or CAP_NET_RAW */
};

struct netprobe_icmp {
	int fd;
	int family;    /* AF_INET or AF_INET6 */
	int raw;       /* 1: a raw socket, 0: a ping socket */
	uint16_t ident;
	uint16_t seq;
};

/* Open an ICMP socket for family. 0, or -errno of the last attempt (EACCES, EPERM). */
int netprobe_icmp_open(struct netprobe_icmp *s, int family, enum netprobe_icmp_mode mode);

/* Send one echo request to sa and wait for its reply. */
int netprobe_icmp_echo(struct netprobe_icmp *s, const struct sockaddr *sa, socklen_t salen,
		       uint64_t timeout_ns, uint64_t *rtt_ns);

void netprobe_icmp_close(struct netprobe_icmp *s);

#endif
