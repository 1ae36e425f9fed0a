/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: size, rate and duration parsers (unit strings from users). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "units.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	char buf[64];
	uint64_t v;
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (units_parse_size(s, &v) == 0)
		units_format_size(v, buf, sizeof(buf));
	if (units_parse_rate(s, &v) == 0)
		units_format_rate(v, buf, sizeof(buf));
	if (units_parse_duration(s, 1000000000ULL, &v) == 0)
		units_format_duration(v, buf, sizeof(buf));
	free(s);
	return 0;
}
