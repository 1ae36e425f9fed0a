/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A measuring DNS stub client: many queries in flight at once (ppoll), one
 * connected UDP socket per query (kernel-chosen source port), random IDs
 * from getrandom(), EDNS0 with a retry without OPT on FORMERR/NOTIMP, TC
 * answered by a retry over TCP (2-byte length prefix). A datagram is taken
 * as the reply only when its source, ID, QR, opcode and question match and
 * it parses; anything else is counted and dropped, and waiting goes on.
 *
 * DNS over TLS (RFC 7858, "tls://ADDR[:PORT][#NAME]", port 853): the queries
 * of a server go one after another over one TLS connection (lib/tlsprobe),
 * opened by the first; that query's time runs from connect(2) to its answer
 * (TCP and TLS handshakes included, flagged handshake), the others' from
 * their own send (warm). A handshake or certificate that fails fails the
 * query (DNSQ_ERROR, -ECONNABORTED, the reason in why).
 */
#ifndef TUNEKIT_DNSCLIENT_H
#define TUNEKIT_DNSCLIENT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define DNS_TLS_NAME_MAX 253

struct dns_server {
	struct sockaddr_storage addr;
	socklen_t addrlen;
	int tls;                            /* DNS over TLS */
	char tls_name[DNS_TLS_NAME_MAX + 1]; /* name to verify ("": the address) */
};

/* "192.0.2.1", "192.0.2.1:5353", "2001:db8::1", "[2001:db8::1]:5353"
 * (numeric only, port 53 by default), or any of those after "tls://" with
 * an optional "#NAME" (port 853 by default). 0 or -EINVAL. */
int dns_server_parse(const char *spec, struct dns_server *s);

/* Server as text: the address alone for port 53 (853 for DoT), else
 * "ADDR:PORT" or "[V6]:PORT" (with_port forces the port); DoT as
 * "tls://...#NAME". Returns buf. */
char *dns_server_format(const struct dns_server *s, int with_port, char *buf, size_t len);

/* Address only, and port. */
char *dns_server_addr(const struct dns_server *s, char *buf, size_t len);
uint16_t dns_server_port(const struct dns_server *s);

/* Same address, port and transport. */
int dns_server_equal(const struct dns_server *a, const struct dns_server *b);

enum dns_query_status {
	DNSQ_PENDING = 0,
	DNSQ_ANSWERED,  /* a matching, well-formed reply arrived */
	DNSQ_TIMEOUT,   /* no acceptable reply within the timeout: a loss */
	DNSQ_ERROR,     /* socket error (unreachable, refused port, TCP reset) */
};

struct dns_query {
	/* in */
	const struct dns_server *server;
	const char *name;      /* absolute or relative text name */
	uint16_t qtype;
	/* out */
	enum dns_query_status status;
	int error;             /* -errno for DNSQ_ERROR */
	uint64_t rtt_ns;       /* first packet sent to the accepted reply */
	unsigned rcode;        /* 12-bit, OPT bits included */
	unsigned answers;      /* RRs in the answer section */
	unsigned answer_addrs; /* A/AAAA among them */
	unsigned mismatched;   /* datagrams dropped: other source, ID, question... */
	unsigned malformed;    /* matching replies that failed to parse */
	unsigned tcp;          /* 1: TC was set, the answer came over TCP */
	unsigned edns_retry;   /* 1: FORMERR/NOTIMP to EDNS, retried without OPT */
	unsigned handshake;    /* DoT: this query opened the connection (rtt includes it) */
	char why[128];         /* DoT: why the connection failed, "" otherwise */
};

struct tlsprobe_ctx;

struct dns_client_opts {
	unsigned parallel;   /* queries in flight at once (>= 1) */
	uint64_t timeout_ns; /* per attempt (UDP, retry, TCP) */
	int edns;            /* send an OPT RR (DNS_EDNS_PAYLOAD) */
	int rd;              /* recursion desired */
	struct tlsprobe_ctx *tls; /* for DoT servers (NULL: their queries fail) */
	unsigned dot_reuse;  /* DoT: queries per connection (0: no limit) */
};

/*
 * Run every query to completion (answered, timed out or failed). Returns 0,
 * or -errno when the client itself cannot work (out of descriptors, ppoll
 * failed); per-query failures are in each query's status.
 */
int dns_client_run(struct dns_query *queries, size_t n, const struct dns_client_opts *opts);

/* Fill buf with random bytes from getrandom(). 0 or -errno. */
int dns_random(void *buf, size_t len);

#endif
