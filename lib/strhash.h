/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A keyed hash for in-memory hash tables fed untrusted input (sysctl.d
 * files, saved reports): SipHash-1-3 with a key drawn once per program from
 * getrandom(2), so no input can be crafted to make every key collide and
 * turn a lookup back into a scan. Values differ from run to run: never store
 * or compare them across processes.
 */
#ifndef TUNEKIT_STRHASH_H
#define TUNEKIT_STRHASH_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "monoclock.h"

#define STRHASH_ROTL(x, b) (uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define STRHASH_ROUND(v0, v1, v2, v3)                                          \
	do {                                                                   \
		v0 += v1; v1 = STRHASH_ROTL(v1, 13); v1 ^= v0; v0 = STRHASH_ROTL(v0, 32); \
		v2 += v3; v3 = STRHASH_ROTL(v3, 16); v3 ^= v2;                 \
		v0 += v3; v3 = STRHASH_ROTL(v3, 21); v3 ^= v0;                 \
		v2 += v1; v1 = STRHASH_ROTL(v1, 17); v1 ^= v2; v2 = STRHASH_ROTL(v2, 32); \
	} while (0)

/* SipHash-1-3 of len bytes at data under this program's random key. */
static inline uint64_t strhash(const void *data, size_t len)
{
	static uint64_t key[2];
	static int keyed;
	if (!keyed) {
		if (getrandom(key, sizeof(key), GRND_NONBLOCK) != (ssize_t)sizeof(key)) {
			/* no entropy yet (early boot): still differs per run */
			uint64_t t = mono_ns();
			key[0] = t ^ (t << 32) ^ (uint64_t)(uintptr_t)&t;
			key[1] = (uint64_t)getpid() * 0x9e3779b97f4a7c15ULL ^ (uint64_t)(uintptr_t)data;
		}
		keyed = 1;
	}
	const unsigned char *in = data;
	uint64_t v0 = 0x736f6d6570736575ULL ^ key[0], v1 = 0x646f72616e646f6dULL ^ key[1];
	uint64_t v2 = 0x6c7967656e657261ULL ^ key[0], v3 = 0x7465646279746573ULL ^ key[1];
	uint64_t m, last = (uint64_t)len << 56;
	size_t whole = len - len % 8;
	for (size_t i = 0; i < whole; i += 8) {
		memcpy(&m, in + i, 8);
		v3 ^= m;
		STRHASH_ROUND(v0, v1, v2, v3);
		v0 ^= m;
	}
	for (size_t i = 0; i < len % 8; i++)
		last |= (uint64_t)in[whole + i] << (8 * i);
	v3 ^= last;
	STRHASH_ROUND(v0, v1, v2, v3);
	v0 ^= last;
	v2 ^= 0xff;
	STRHASH_ROUND(v0, v1, v2, v3);
	STRHASH_ROUND(v0, v1, v2, v3);
	STRHASH_ROUND(v0, v1, v2, v3);
	return v0 ^ v1 ^ v2 ^ v3;
}

#endif
