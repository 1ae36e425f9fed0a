/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the path list splitter (stdin of ioring-batch). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "pathsrc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* first byte picks the delimiter and a small max_len, to reach the edges */
	int delim = size && (data[0] & 1) ? '\0' : '\n';
	size_t max = size ? 1 + (data[0] >> 1) : 8;
	struct pathsrc *ps = pathsrc_from_mem(data, size, delim, max);
	const char *p;
	size_t len, total = 0;
	int rc;
	while ((rc = pathsrc_next(ps, &p, &len)) != 0) {
		if (rc == -ENAMETOOLONG)
			continue;
		if (rc < 0 || len == 0 || len > max || p[len] != '\0' || memchr(p, delim, len))
			abort();
		total += len;
	}
	if (total > size)
		abort();
	pathsrc_free(ps);
	return 0;
}
