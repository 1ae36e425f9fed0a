/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * How much of a file is in the page cache: cachestat(2) (Linux 6.5+, also
 * counts dirty pages), else mincore(2) over a read-only mapping (no dirty
 * count). And dropping a file's clean pages: POSIX_FADV_DONTNEED, which
 * never writes dirty pages back.
 */
#ifndef TUNEKIT_PAGECACHE_H
#define TUNEKIT_PAGECACHE_H

#include <stdbool.h>
#include <stdint.h>

struct pagecache_info {
	uint64_t cached_pages;
	uint64_t dirty_pages;   /* cachestat only (mincore: 0) */
	bool dirty_known;       /* false after the mincore fallback */
};

/* Figures for the open file fd of size bytes. 0 or -errno. */
int pagecache_stat(int fd, uint64_t size, struct pagecache_info *out);

/* Drop the clean cached pages of fd. 0 or -errno. */
int pagecache_evict(int fd);

/* Page size in bytes. */
uint64_t pagecache_page_size(void);

/* Use mincore even where cachestat exists (tests; env TUNEKIT_NO_CACHESTAT). */
void pagecache_force_mincore(bool on);

#endif
