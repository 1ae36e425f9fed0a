/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Streaming file digests from well-kept libraries: SHA-256 from OpenSSL
 * libcrypto (uses the CPU's SHA extensions), BLAKE2b-512 from libcrypto
 * (as coreutils b2sum) and XXH3-128 from libxxhash.
 */
#ifndef TUNEKIT_DIGEST_H
#define TUNEKIT_DIGEST_H

#include <stddef.h>
#include <stdint.h>

enum digest_kind { DIGEST_SHA256, DIGEST_XXH3, DIGEST_BLAKE2B };

#define DIGEST_MAX_LEN 64              /* bytes (BLAKE2b-512) */
#define DIGEST_HEX_MAX (DIGEST_MAX_LEN * 2 + 1)

struct digest;

/* New context (exits on allocation failure). */
struct digest *digest_new(enum digest_kind kind);
void digest_reset(struct digest *d);
void digest_update(struct digest *d, const void *data, size_t len);
/* Lowercase hex into hex (DIGEST_HEX_MAX bytes); returns hex. */
char *digest_final_hex(struct digest *d, char *hex);
/* Raw bytes into out; returns the length (32 SHA-256, 16 XXH3-128, 64 BLAKE2b). */
size_t digest_final(struct digest *d, uint8_t *out);
void digest_free(struct digest *d);

/* Digest a whole open file (reads from offset 0 with pread). 0 or -errno. */
int digest_fd(enum digest_kind kind, int fd, char *hex);

#endif
