/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Throughput through iperf3 (a well-kept tool we do not rewrite): run
 * `iperf3 -c HOST -J ...` as a client with a time limit and read the
 * sender/receiver rates and retransmits out of its JSON result.
 */
#ifndef TUNEKIT_IPERF3_H
#define TUNEKIT_IPERF3_H

#include <stdint.h>
#include <stddef.h>

struct iperf3_test {
	const char *host;        /* name or address, IPv6 without brackets */
	unsigned port;           /* 0: iperf3's default (5201) */
	unsigned seconds;        /* -t */
	int reverse;             /* -R: the server sends */
	int family;              /* AF_UNSPEC, AF_INET (-4) or AF_INET6 (-6) */
	uint64_t connect_timeout_ns;
};

struct iperf3_result {
	double sender_bps;       /* end.sum_sent.bits_per_second */
	double receiver_bps;     /* end.sum_received.bits_per_second */
	double seconds;          /* end.sum_received.seconds */
	int have_retransmits;    /* TCP only */
	double retransmits;      /* end.sum_sent.retransmits */
};

/* 1 if an executable iperf3 is on $PATH. */
int iperf3_installed(void);

/*
 * Run the test. Returns 0 with *res filled; -ENOENT when iperf3 is not
 * installed, -ETIMEDOUT when it outlived the test by more than the connect
 * timeout plus 10 s (it is killed), -EPROTO when it printed no usable JSON,
 * -ECONNABORTED when it reported an error (its message in err), other
 * -errno. err (may be NULL) gets a one-line reason on every failure.
 */
int iperf3_run(const struct iperf3_test *test, struct iperf3_result *res, char *err, size_t errlen);

/* Read a result out of iperf3 -J output (also what iperf3_run does). Same returns. */
int iperf3_parse(const char *json, size_t len, struct iperf3_result *res, char *err, size_t errlen);

#endif
