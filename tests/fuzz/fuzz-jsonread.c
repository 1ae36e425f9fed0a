/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: jsonread validation and lookups (as used on iperf3 output). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const paths[] = {
		"error", "end.sum_sent.bits_per_second", "end.sum_received.bits_per_second",
		"end.sum_sent.retransmits", "start.connected.0.remote_host", "0", "a.0.b",
	};
	const char *d = (const char *)data;
	int valid = jsonread_validate(d, size);
	if (valid != 0 && valid != -EINVAL)
		abort();
	for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		double v;
		char s[32];
		int rn = jsonread_number(d, size, paths[i], &v);
		int rs = jsonread_string(d, size, paths[i], s, sizeof(s));
		/* a valid document never reports -EINVAL; an invalid one always does */
		if ((valid == 0) != (rn != -EINVAL) || (valid == 0) != (rs != -EINVAL))
			abort();
		if (rs == 0 && strlen(s) >= sizeof(s))
			abort();
	}
	return 0;
}
