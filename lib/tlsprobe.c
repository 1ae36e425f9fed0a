/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include "monoclock.h"
#include "netprobe.h"
#include "tlsprobe.h"

struct tlsprobe_ctx {
	SSL_CTX *ctx;
	int insecure;
};

struct tlsprobe_conn {
	SSL *ssl;
	int fd;
};

int tlsprobe_is_ip(const char *s)
{
	unsigned char buf[sizeof(struct in6_addr)];
	return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

int tlsprobe_ctx_new(struct tlsprobe_ctx **out, const char *cafile, int insecure, char *err, size_t errlen)
{
	struct tlsprobe_ctx *c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->ctx = SSL_CTX_new(TLS_client_method());
	if (!c->ctx) {
		free(c);
		snprintf(err, errlen, "cannot create a TLS context");
		return -ENOMEM;
	}
	SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION);
	SSL_CTX_set_mode(c->ctx, SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER);
	/* every probe measures a full handshake: no session resumption */
	SSL_CTX_set_session_cache_mode(c->ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_options(c->ctx, SSL_OP_NO_TICKET);
	c->insecure = insecure;
	if (insecure) {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_NONE, NULL);
	} else {
		SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
		int ok = cafile ? SSL_CTX_load_verify_locations(c->ctx, cafile, NULL)
				: SSL_CTX_set_default_verify_paths(c->ctx);
		if (ok != 1) {
			unsigned long e = ERR_get_error();
			snprintf(err, errlen, "cannot load CA certificates%s%s: %s", cafile ? " from " : "",
				 cafile ? cafile : "", e ? ERR_reason_error_string(e) : "no certificates");
			ERR_clear_error();
			SSL_CTX_free(c->ctx);
			free(c);
			return -EINVAL;
		}
	}
	*out = c;
	return 0;
}

void tlsprobe_ctx_free(struct tlsprobe_ctx *c)
{
	if (!c)
		return;
	SSL_CTX_free(c->ctx);
	free(c);
}

int tlsprobe_ctx_insecure(const struct tlsprobe_ctx *c)
{
	return c->insecure;
}

/* Wait as SSL_get_error says; 0 to retry, or -errno with why. */
static int ssl_wait(SSL *ssl, int fd, int ret, uint64_t deadline, const char *what, char *why, size_t whylen)
{
	int e = SSL_get_error(ssl, ret);
	switch (e) {
	case SSL_ERROR_WANT_READ:
		return netprobe_wait_fd(fd, POLLIN, deadline, NULL);
	case SSL_ERROR_WANT_WRITE:
		return netprobe_wait_fd(fd, POLLOUT, deadline, NULL);
	case SSL_ERROR_ZERO_RETURN:
		return -ECONNRESET;
	case SSL_ERROR_SYSCALL: {
		int saved = errno;
		ERR_clear_error();
		if (why)
			snprintf(why, whylen, "%s: %s", what,
				 saved && ret < 0 ? strerror(saved) : "connection closed by the server");
		return saved && ret < 0 ? -saved : -ECONNRESET;
	}
	default: {
		unsigned long err = ERR_get_error();
		if (why) {
			const char *r = err ? ERR_reason_error_string(err) : NULL;
			snprintf(why, whylen, "%s: %s", what, r ? r : "protocol error");
		}
		ERR_clear_error();
		return -ECONNABORTED;
	}
	}
}

int tlsprobe_handshake(struct tlsprobe_ctx *c, int fd, const char *name, uint64_t deadline,
		       struct tlsprobe_conn **out, char *why, size_t whylen)
{
	if (why && whylen)
		why[0] = '\0';
	SSL *ssl = SSL_new(c->ctx);
	if (!ssl)
		return -ENOMEM;
	int ip = name && tlsprobe_is_ip(name);
	if (name && !ip && SSL_set_tlsext_host_name(ssl, name) != 1)
		goto nomem;
	if (name && !c->insecure) {
		if (ip) {
			if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), name) != 1)
				goto nomem;
		} else {
			SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
			if (SSL_set1_host(ssl, name) != 1)
				goto nomem;
		}
	}
	if (SSL_set_fd(ssl, fd) != 1)
		goto nomem;
	for (;;) {
		ERR_clear_error();
		int ret = SSL_connect(ssl);
		if (ret == 1)
			break;
		long vr = SSL_get_verify_result(ssl);
		if (vr != X509_V_OK) {
			if (why)
				snprintf(why, whylen, "certificate verify failed: %s",
					 vr == X509_V_ERR_HOSTNAME_MISMATCH ? "hostname mismatch"
					 : vr == X509_V_ERR_IP_ADDRESS_MISMATCH ? "IP address mismatch"
										: X509_verify_cert_error_string(vr));
			ERR_clear_error();
			SSL_free(ssl);
			return -ECONNABORTED;
		}
		int rc = ssl_wait(ssl, fd, ret, deadline, "TLS handshake failed", why, whylen);
		if (rc) {
			if (rc == -ETIMEDOUT && why)
				snprintf(why, whylen, "TLS handshake timed out");
			SSL_free(ssl);
			return rc;
		}
	}
	struct tlsprobe_conn *t = malloc(sizeof(*t));
	if (!t)
		goto nomem;
	t->ssl = ssl;
	t->fd = fd;
	*out = t;
	return 0;
nomem:
	SSL_free(ssl);
	return -ENOMEM;
}

int tlsprobe_write(struct tlsprobe_conn *t, const void *buf, size_t len, uint64_t deadline)
{
	const char *p = buf;
	while (len) {
		ERR_clear_error();
		int n = SSL_write(t->ssl, p, len > 1 << 30 ? 1 << 30 : (int)len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		int rc = ssl_wait(t->ssl, t->fd, n, deadline, "TLS write", NULL, 0);
		if (rc)
			return rc;
	}
	return 0;
}

ssize_t tlsprobe_read(struct tlsprobe_conn *t, void *buf, size_t len, uint64_t deadline)
{
	for (;;) {
		ERR_clear_error();
		int n = SSL_read(t->ssl, buf, len > 1 << 30 ? 1 << 30 : (int)len);
		if (n > 0)
			return n;
		int e = SSL_get_error(t->ssl, n);
		if (e == SSL_ERROR_ZERO_RETURN)
			return 0;
		/* a server that closes without close_notify: the end, as curl takes it */
		if (e == SSL_ERROR_SYSCALL && n == 0) {
			ERR_clear_error();
			return 0;
		}
#ifdef SSL_R_UNEXPECTED_EOF_WHILE_READING
		if (e == SSL_ERROR_SSL && ERR_GET_REASON(ERR_peek_error()) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
			ERR_clear_error();
			return 0;
		}
#endif
		int rc = ssl_wait(t->ssl, t->fd, n, deadline, "TLS read", NULL, 0);
		if (rc)
			return rc;
	}
}

const char *tlsprobe_version(const struct tlsprobe_conn *t)
{
	return SSL_get_version(t->ssl);
}

void tlsprobe_close(struct tlsprobe_conn *t)
{
	if (!t)
		return;
	ERR_clear_error();
	(void)SSL_shutdown(t->ssl);
	ERR_clear_error();
	SSL_free(t->ssl);
	free(t);
}
