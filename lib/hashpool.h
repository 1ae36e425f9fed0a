/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small pool of threads that feed buffers into digests. The caller keeps
 * at most one job per digest in flight, so one file's chunks are hashed in
 * order by one thread at a time. Finished jobs are reported through
 * hashpool_reap() and 8-byte writes to wake_fd (an eventfd the caller
 * waits on, e.g. with a read through its io_uring). The writes are
 * coalesced: none while one is unreaped, and none while at least half the
 * queue (or one job a thread) still waits for a thread, so the caller wakes
 * to reap many jobs at once while the threads stay busy. No finished job
 * goes unannounced: the queue always runs low in the end, and a reap that
 * leaves jobs behind (max too small) writes a wake for them itself.
 */
#ifndef TUNEKIT_HASHPOOL_H
#define TUNEKIT_HASHPOOL_H

#include <stdbool.h>
#include <stddef.h>

#include "digest.h"

struct hashpool;

/* threads workers, at most max_jobs jobs at once. NULL with errno set. */
struct hashpool *hashpool_new(unsigned threads, unsigned max_jobs, int wake_fd);

/* Queue digest_update(d, buf, len); tag comes back from hashpool_reap(). */
void hashpool_submit(struct hashpool *p, struct digest *d, const void *buf, size_t len,
		     unsigned tag);

/*
 * The caller hashes one queued job itself (instead of waiting for the
 * threads): false if none was queued. Its tag comes back from
 * hashpool_reap(), with no wake written for it.
 */
bool hashpool_help(struct hashpool *p);

/* Tags of finished jobs into tags (room for max); returns how many. */
unsigned hashpool_reap(struct hashpool *p, unsigned *tags, unsigned max);

/* Stop the workers (queued jobs are finished first) and free. */
void hashpool_free(struct hashpool *p);

#endif
