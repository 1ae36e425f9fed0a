/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <xxhash.h>

#include "digest.h"
#include "msg.h"
#include "xalloc.h"

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
		d->md = EVP_MD_CTX_new();
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
		if (EVP_DigestInit_ex(d->md, EVP_sha256(), NULL) != 1)
			msg_die(1, "SHA-256 initialisation failed");
	} else if (d->kind == DIGEST_BLAKE2B) {
		if (EVP_DigestInit_ex(d->md, EVP_blake2b512(), NULL) != 1)
			msg_die(1, "BLAKE2b-512 initialisation failed");
	} else {
		XXH3_128bits_reset(d->xxh);
	}
}

void digest_update(struct digest *d, const void *data, size_t len)
{
	if (d->kind != DIGEST_XXH3)
		EVP_DigestUpdate(d->md, data, len);
	else
		XXH3_128bits_update(d->xxh, data, len);
}

size_t digest_final(struct digest *d, uint8_t *out)
{
	if (d->kind != DIGEST_XXH3) {
		unsigned int n = 0;
		EVP_DigestFinal_ex(d->md, out, &n);
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
	EVP_MD_CTX_free(d->md);
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
