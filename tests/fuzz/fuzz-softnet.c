/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the /proc/net/softnet_stat parser and the sample diff. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "softnet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct softnet_stat s = { 0 }, none = { 0 };
	struct softnet_delta d;
	unsigned line = 0;
	if (softnet_parse((const char *)data, size, &s, &line) == 0) {
		for (size_t i = 0; i < s.n; i++)
			if (s.cpus[i].columns < SOFTNET_MIN_COLUMNS ||
			    s.cpus[i].columns > SOFTNET_MAX_COLUMNS)
				abort();
		softnet_diff(&none, &s, &d);
		softnet_diff(&s, &s, &d);
		if (d.dropped || d.processed || d.time_squeeze)
			abort(); /* a sample minus itself is zero */
	} else if (s.cpus || s.n || line == 0) {
		abort();
	}
	softnet_free(&s);
	return 0;
}
