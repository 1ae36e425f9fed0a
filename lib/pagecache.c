/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "pagecache.h"

#ifndef __NR_cachestat
#define __NR_cachestat 451      /* the same number on every architecture */
#endif

/* include/uapi/linux/mman.h of Linux 6.5 (the build headers may predate it) */
struct tk_cachestat_range {
	uint64_t off, len;
};
struct tk_cachestat {
	uint64_t nr_cache, nr_dirty, nr_writeback, nr_evicted, nr_recently_evicted;
};

static bool no_cachestat;       /* ENOSYS seen, or forced */

void pagecache_force_mincore(bool on)
{
	no_cachestat = on;
}

uint64_t pagecache_page_size(void)
{
	long ps = sysconf(_SC_PAGESIZE);
	return ps > 0 ? (uint64_t)ps : 4096;
}

static int by_mincore(int fd, uint64_t size, struct pagecache_info *out)
{
	uint64_t ps = pagecache_page_size();
	/* map and look in windows, so a huge file needs no huge vector */
	const uint64_t window = 1ULL << 30;
	unsigned char *vec = malloc(window / ps);

	if (!vec)
		return -ENOMEM;
	for (uint64_t off = 0; off < size; off += window) {
		size_t len = (size_t)(size - off < window ? size - off : window);
		void *m = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, (off_t)off);
		if (m == MAP_FAILED) {
			int e = errno;
			free(vec);
			return -e;
		}
		if (mincore(m, len, vec) < 0) {
			int e = errno;
			munmap(m, len);
			free(vec);
			return -e;
		}
		for (size_t i = 0; i < (len + ps - 1) / ps; i++)
			out->cached_pages += vec[i] & 1;
		munmap(m, len);
	}
	free(vec);
	return 0;
}

int pagecache_stat(int fd, uint64_t size, struct pagecache_info *out)
{
	out->cached_pages = 0;
	out->dirty_pages = 0;
	out->dirty_known = false;
	if (!no_cachestat) {
		struct tk_cachestat_range r = { 0, 0 };      /* len 0: to the end */
		struct tk_cachestat cs = { 0 };
		if (syscall(__NR_cachestat, fd, &r, &cs, 0) == 0) {
			out->cached_pages = cs.nr_cache;
			out->dirty_pages = cs.nr_dirty;
			out->dirty_known = true;
			return 0;
		}
		if (errno != ENOSYS && errno != EOPNOTSUPP)
			return -errno;
		no_cachestat = true;
	}
	if (size == 0)
		return 0;
	return by_mincore(fd, size, out);
}

int pagecache_evict(int fd)
{
	return -posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
}
