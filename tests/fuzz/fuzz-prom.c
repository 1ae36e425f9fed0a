/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the Prometheus text-format parser (lib/prom.c). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "prom.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *render(const struct prom_registry *r, size_t *len)
{
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f || prom_render(r, f) < 0)
		abort();
	fclose(f);
	return buf;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct prom_registry *r = prom_new();
	struct prom_error err;
	if (prom_parse(r, (const char *)data, size, NULL, &err) == 0) {
		/* whatever parses renders to text that parses to the same text */
		size_t len, len2;
		char *out = render(r, &len);
		struct prom_registry *again = prom_new();
		if (prom_parse(again, out, len, NULL, &err) != 0)
			abort();
		char *out2 = render(again, &len2);
		if (len != len2 || memcmp(out, out2, len) ||
		    prom_sample_count(again) != prom_sample_count(r))
			abort();
		/* and a second copy of the same input is all duplicates */
		if (prom_sample_count(r) && prom_parse(again, out, len, NULL, &err) == 0)
			abort();
		free(out);
		free(out2);
		prom_free(again);
	}
	prom_free(r);
	return 0;
}
