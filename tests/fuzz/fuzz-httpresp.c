/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the HTTP/1.1 response parser, whole and split at a byte. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "httpmini.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int run(const char *d, size_t size, size_t split, struct http_response *r, size_t *consumed)
{
	size_t used = 0;
	int rc;
	http_response_init(r, 0);
	*consumed = 0;
	rc = http_response_feed(r, d, split, &used);
	*consumed += used;
	if (rc == 0 && split < size) {
		rc = http_response_feed(r, d + split, size - split, &used);
		*consumed += used;
	}
	if (rc == 0)
		rc = http_response_eof(r) == 1 ? 1 : -1;
	return rc < 0 ? -1 : rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct http_response a, b;
	size_t ua, ub;
	const char *d = (const char *)data;
	int ra = run(d, size, size, &a, &ua);
	int rb = run(d, size, size ? data[0] % (size + 1) : 0, &b, &ub);
	/* where the bytes are split must not change the outcome */
	if (ra != rb)
		abort();
	if (ra == 1 && (a.status != b.status || a.body_bytes != b.body_bytes || ua != ub || ua > size))
		abort();
	if (ra == 1 && a.status < 200)
		abort();
	return 0;
}
