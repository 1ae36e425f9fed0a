/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * One latency probe at a time, timed with CLOCK_MONOTONIC: TCP connect
 * (SYN to established), an HTTP/1.1 GET (time to first byte and total) and
 * ICMP echo through an unprivileged ping socket or a raw socket. Every call
 * takes a timeout and returns 0 or -errno (-ETIMEDOUT, -ECONNREFUSED,
 * -EHOSTUNREACH, -EPROTO for a malformed HTTP response...).
 */
#ifndef TUNEKIT_NETPROBE_H
#define TUNEKIT_NETPROBE_H

#include <stdint.h>
#include <sys/socket.h>

/* CLOCK_MONOTONIC in nanoseconds. */
uint64_t netprobe_now_ns(void);

/*
 * Non-blocking connect and poll until established. *rtt_ns gets the time
 * from connect(2) to established. With fd_out the connected (non-blocking)
 * socket is handed over, otherwise it is closed.
 */
int netprobe_tcp_connect(const struct sockaddr *sa, socklen_t salen, uint64_t timeout_ns,
			 uint64_t *rtt_ns, int *fd_out);

struct netprobe_http {
	uint64_t connect_ns; /* connect(2) to established */
	uint64_t ttfb_ns;    /* connect(2) to the first response byte (like curl) */
	uint64_t total_ns;   /* connect(2) to the last body byte */
	int first_byte;      /* ttfb_ns is valid (even when the rest failed) */
	int status;          /* HTTP status code, 0 if no status line came */
	uint64_t body_bytes;
};

/*
 * GET path from the server at sa, within timeout_ns for the whole exchange.
 * Any status (3xx, 4xx, 5xx too) is a success: 0 with *res filled.
 */
int netprobe_http_get(const struct sockaddr *sa, socklen_t salen, const char *host_header,
		      const char *path, uint64_t timeout_ns, struct netprobe_http *res);

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
