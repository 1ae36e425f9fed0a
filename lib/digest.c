/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * libcrypto is loaded on first use (dlopen), not linked: relocating its
 * ~17k symbols costs every start of every tool about 1.1 ms (perf stat:
 * `uringcp --version` 1.47 ms linked, 0.94 ms without), which is most of
 * a reflink copy of a whole file. Only the tools and options that hash
 * (--verify, --manifest, ioring-batch's digests) pay for it, once.
 */
#include "config.h"

#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/opensslv.h>
#include <xxhash.h>

#include "digest.h"
#include "msg.h"
#include "xalloc.h"

/* The soname of the libcrypto the headers belong to: OpenSSL 3 and later
 * version it by major number, 1.1 as "1.1". */
#define TK_STR2(x) #x
#define TK_STR(x) TK_STR2(x)
#if defined(OPENSSL_VERSION_MAJOR) && OPENSSL_VERSION_MAJOR >= 3
#define LIBCRYPTO_SONAME "libcrypto.so." TK_STR(OPENSSL_VERSION_MAJOR)
#else
#define LIBCRYPTO_SONAME "libcrypto.so.1.1"
#endif

static struct {
	__typeof__(EVP_MD_CTX_new) *ctx_new;
	__typeof__(EVP_MD_CTX_free) *ctx_free;
	__typeof__(EVP_sha256) *sha256;
	__typeof__(EVP_blake2b512) *blake2b512;
	__typeof__(EVP_DigestInit_ex) *init;
	__typeof__(EVP_DigestUpdate) *update;
	__typeof__(EVP_DigestFinal_ex) *final;
} evp;
static pthread_once_t evp_once = PTHREAD_ONCE_INIT;
static const char *evp_error;

static void *evp_sym(void *h, const char *name)
{
	void *p = dlsym(h, name);
	if (!p && !evp_error)
		evp_error = name;
	return p;
}

static void evp_load(void)
{
	void *h = dlopen(LIBCRYPTO_SONAME, RTLD_NOW | RTLD_LOCAL);
	if (!h) {
		evp_error = dlerror();
		return;
	}
	*(void **)&evp.ctx_new = evp_sym(h, "EVP_MD_CTX_new");
	*(void **)&evp.ctx_free = evp_sym(h, "EVP_MD_CTX_free");
	*(void **)&evp.sha256 = evp_sym(h, "EVP_sha256");
	*(void **)&evp.blake2b512 = evp_sym(h, "EVP_blake2b512");
	*(void **)&evp.init = evp_sym(h, "EVP_DigestInit_ex");
	*(void **)&evp.update = evp_sym(h, "EVP_DigestUpdate");
	*(void **)&evp.final = evp_sym(h, "EVP_DigestFinal_ex");
}

/* libcrypto's digests, loaded once (any thread); exit 1 naming what is
 * missing when it cannot be. */
static void evp_need(void)
{
	pthread_once(&evp_once, evp_load);
	if (evp_error)
		msg_die(1, "cannot load %s (SHA-256 and BLAKE2b come from OpenSSL's libcrypto): %s",
			LIBCRYPTO_SONAME, evp_error);
}

struct digest {
	enum digest_kind kind;
	EVP_MD_CTX *md;
	XXH3_state_t *xxh;
};

struct digest *digest_new(enum digest_kind kind)
{
	struct digest *d = xcalloc(1, sizeof(*d));
	d->kind = kind;
	if (kind != DIGEST_XXH3) {
		evp_need();
		d->md = evp.ctx_new();
		if (!d->md)
			msg_die(1, "out of memory");
	} else {
		d->xxh = XXH3_createState();
		if (!d->xxh)
			msg_die(1, "out of memory");
	}
	digest_reset(d);
	return d;
}

void digest_reset(struct digest *d)
{
	if (d->kind == DIGEST_SHA256) {
		if (evp.init(d->md, evp.sha256(), NULL) != 1)
			msg_die(1, "SHA-256 initialisation failed");
	} else if (d->kind == DIGEST_BLAKE2B) {
		if (evp.init(d->md, evp.blake2b512(), NULL) != 1)
			msg_die(1, "BLAKE2b-512 initialisation failed");
	} else {
		XXH3_128bits_reset(d->xxh);
	}
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	if (d->kind != DIGEST_XXH3)
		evp.update(d->md, data, len);
	else
		XXH3_128bits_update(d->xxh, data, len);
}

size_t digest_final(struct digest *d, uint8_t *out)
{
	if (d->kind != DIGEST_XXH3) {
		unsigned int n = 0;
		evp.final(d->md, out, &n);
		return n;
	}
	XXH128_canonical_t c;
	XXH128_canonicalFromHash(&c, XXH3_128bits_digest(d->xxh));
	for (size_t i = 0; i < sizeof(c.digest); i++)
		out[i] = c.digest[i];
	return sizeof(c.digest);
}

char *digest_final_hex(struct digest *d, char *hex)
{
	static const char xd[] = "0123456789abcdef";
	uint8_t raw[DIGEST_MAX_LEN];
	size_t n = digest_final(d, raw);
	for (size_t i = 0; i < n; i++) {
		hex[2 * i] = xd[raw[i] >> 4];
		hex[2 * i + 1] = xd[raw[i] & 15];
	}
	hex[2 * n] = '\0';
	return hex;
}

void digest_free(struct digest *d)
{
	if (!d)
		return;
	if (d->md)
		evp.ctx_free(d->md);
	if (d->xxh)
		XXH3_freeState(d->xxh);
	free(d);
}

int digest_fd(enum digest_kind kind, int fd, char *hex)
{
	enum { BUFSZ = 1 << 20 };
	char *buf = xmalloc(BUFSZ);
	struct digest *d = digest_new(kind);
	off_t off = 0;
	int rc = 0;
	for (;;) {
		ssize_t r = pread(fd, buf, BUFSZ, off);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			rc = -errno;
			break;
		}
		if (r == 0)
			break;
		digest_update(d, buf, (size_t)r);
		off += r;
	}
	if (!rc)
		digest_final_hex(d, hex);
	digest_free(d);
	free(buf);
	return rc;
}
