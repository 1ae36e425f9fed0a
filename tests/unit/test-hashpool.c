/* SPDX-License-Identifier: GPL-2.0-or-later */
/* lib/hashpool.c: chunks hashed by workers equal sequential hashing. */
#include "config.h"

#include <poll.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "digest.h"
#include "hashpool.h"
#include "tap.h"

enum { FILES = 16, CHUNKS = 40, CHUNK = 3000 };

int main(void)
{
	static unsigned char data[FILES][CHUNKS * CHUNK];
	struct digest *par[FILES], *seq = digest_new(DIGEST_SHA256);
	unsigned next[FILES] = { 0 }, busy = 0, tags[FILES];
	int efd = eventfd(0, EFD_CLOEXEC);

	for (unsigned f = 0; f < FILES; f++) {
		for (unsigned i = 0; i < sizeof(data[f]); i++)
			data[f][i] = (unsigned char)(i * 31 + f * 7 + (i >> 9));
		par[f] = digest_new(DIGEST_SHA256);
	}
	ok(efd >= 0, "eventfd");
	struct hashpool *p = hashpool_new(4, FILES, efd);
	ok(p != NULL, "pool of 4 threads");
	/* one chunk per file in flight, the next submitted when it comes back */
	for (unsigned f = 0; f < FILES; f++, busy++)
		hashpool_submit(p, par[f], data[f], CHUNK, f);
	while (busy) {
		uint64_t v;
		struct pollfd pfd = { .fd = efd, .events = POLLIN };
		if (poll(&pfd, 1, 10000) != 1 || read(efd, &v, sizeof(v)) != sizeof(v))
			break;
		unsigned n = hashpool_reap(p, tags, FILES);
		for (unsigned i = 0; i < n; i++) {
			unsigned f = tags[i];
			busy--;
			if (++next[f] < CHUNKS) {
				hashpool_submit(p, par[f], data[f] + next[f] * CHUNK, CHUNK, f);
				busy++;
			}
		}
	}
	is_int(busy, 0, "every job came back");
	int same = 1;
	for (unsigned f = 0; f < FILES; f++) {
		char a[DIGEST_HEX_MAX], b[DIGEST_HEX_MAX];
		digest_reset(seq);
		digest_update(seq, data[f], sizeof(data[f]));
		digest_final_hex(seq, a);
		digest_final_hex(par[f], b);
		same &= strcmp(a, b) == 0;
		digest_free(par[f]);
	}
	ok(same, "16 files x 40 chunks: the same digests as hashed in one go");
	hashpool_free(p);

	/*
	 * Wakes are coalesced: 16 jobs never reaped announce themselves with
	 * one eventfd write, not one each (hashpool_free finishes them all).
	 */
	uint64_t v = 0;
	struct pollfd stale = { .fd = efd, .events = POLLIN };
	if (poll(&stale, 1, 0) == 1) /* a wake written after the last reap */
		(void)!read(efd, &v, sizeof(v));
	p = hashpool_new(1, FILES, efd);
	for (unsigned f = 0; f < FILES; f++) {
		par[f] = digest_new(DIGEST_SHA256);
		hashpool_submit(p, par[f], data[f], sizeof(data[f]), f);
	}
	hashpool_free(p);
	is_int(read(efd, &v, sizeof(v)), sizeof(v), "the pool woke the caller");
	is_int((long long)v, 1, "16 finished jobs, none reaped: one wake, not 16");
	same = 1;
	for (unsigned f = 0; f < FILES; f++) {
		char a[DIGEST_HEX_MAX], b[DIGEST_HEX_MAX];
		digest_reset(seq);
		digest_update(seq, data[f], sizeof(data[f]));
		digest_final_hex(seq, a);
		digest_final_hex(par[f], b);
		same &= strcmp(a, b) == 0;
		digest_free(par[f]);
	}
	ok(same, "and every job was hashed before the pool stopped");

	/* reaping one at a time: the jobs left behind still wake the caller */
	p = hashpool_new(2, FILES, efd);
	for (unsigned f = 0; f < FILES; f++) {
		par[f] = digest_new(DIGEST_SHA256);
		hashpool_submit(p, par[f], data[f], CHUNK, f);
	}
	unsigned got = 0;
	while (got < FILES) {
		struct pollfd pfd = { .fd = efd, .events = POLLIN };
		if (poll(&pfd, 1, 10000) != 1 || read(efd, &v, sizeof(v)) != sizeof(v))
			break;
		got += hashpool_reap(p, tags, 1);
	}
	is_int(got, FILES, "16 jobs reaped one a wake: every one came back");
	hashpool_free(p);
	for (unsigned f = 0; f < FILES; f++)
		digest_free(par[f]);

	digest_free(seq);
	close(efd);
	return done_testing();
}
