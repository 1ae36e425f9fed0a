/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * TLS client side for the probes (HTTPS in nettune-probe, DNS over TLS in
 * nettune-dns), through OpenSSL: TLS 1.2 or 1.3, the peer's certificate
 * chain verified against the system store or a given CA file, and its name
 * (or IP address) checked, unless the caller asked for insecure. Every call
 * works on a non-blocking socket within a deadline (CLOCK_MONOTONIC, ns,
 * mono_ns()) and returns 0 or -errno; a failed handshake or
 * verification is -ECONNABORTED with the reason in words.
 */
#ifndef TUNEKIT_TLSPROBE_H
#define TUNEKIT_TLSPROBE_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct tlsprobe_ctx;  /* settings shared by many connections (thread safe) */
struct tlsprobe_conn; /* one TLS session over a connected socket */

/*
 * cafile: PEM file of trusted CAs instead of the system store (NULL: the
 * system store). insecure: no verification at all. 0, or -errno with the
 * reason in err (an unreadable or empty CA file: -EINVAL).
 */
int tlsprobe_ctx_new(struct tlsprobe_ctx **out, const char *cafile, int insecure, char *err, size_t errlen);
void tlsprobe_ctx_free(struct tlsprobe_ctx *c);
int tlsprobe_ctx_insecure(const struct tlsprobe_ctx *c);

/*
 * Handshake over the connected non-blocking socket fd. name: the server's
 * name, sent as SNI (unless it is an IP address) and verified against the
 * certificate (an IP address against its IP SANs). On success *out owns the
 * session (not fd). -ECONNABORTED with why set for a failed handshake or
 * certificate ("certificate has expired", "hostname mismatch"...),
 * -ETIMEDOUT, -ECONNRESET, -ENOMEM.
 */
int tlsprobe_handshake(struct tlsprobe_ctx *c, int fd, const char *name, uint64_t deadline,
		       struct tlsprobe_conn **out, char *why, size_t whylen);

/* Write all of buf. 0 or -errno. */
int tlsprobe_write(struct tlsprobe_conn *t, const void *buf, size_t len, uint64_t deadline);

/* Read what is there (waiting for at least one byte): bytes read, 0 at the
 * end of the stream (close_notify or a plain close), or -errno. */
ssize_t tlsprobe_read(struct tlsprobe_conn *t, void *buf, size_t len, uint64_t deadline);

/* The negotiated protocol ("TLSv1.3"). */
const char *tlsprobe_version(const struct tlsprobe_conn *t);

/* Send close_notify (best effort, no wait) and free; the socket stays open. */
void tlsprobe_close(struct tlsprobe_conn *t);

/* 1 if s is an IPv4 or IPv6 address literal (no SNI for those). */
int tlsprobe_is_ip(const char *s);

#endif
