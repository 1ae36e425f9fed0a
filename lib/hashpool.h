/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A small pool of threads that feed buffers into digests. The caller keeps
 * at most one job per digest in flight, so one file's chunks are hashed in
 * order by one thread at a time. A finished job is reported through
 * hashpool_reap() and one 8-byte write to wake_fd (an eventfd the caller
 * waits on, e.g. with a read through its io_uring).
 */
#ifndef TUNEKIT_HASHPOOL_H
#define TUNEKIT_HASHPOOL_H

#include <stddef.h>

#include "digest.h"

struct hashpool;

/* threads workers, at most max_jobs jobs at once. NULL with errno set. */
struct hashpool *hashpool_new(unsigned threads, unsigned max_jobs, int wake_fd);

/* Queue digest_update(d, buf, len); tag comes back from hashpool_reap(). */
void hashpool_submit(struct hashpool *p, struct digest *d, const void *buf, size_t len,
		     unsigned tag);

/* Tags of finished jobs into tags (room for max); returns how many. */
unsigned hashpool_reap(struct hashpool *p, unsigned *tags, unsigned max);

/* Stop the workers (queued jobs are finished first) and free. */
void hashpool_free(struct hashpool *p);

#endif
