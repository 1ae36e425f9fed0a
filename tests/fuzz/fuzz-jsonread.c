/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the JSON reader behind `nettune compare` (saved reports). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "jsonread.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct jv v;
	struct jv_error err;
	if (jv_parse((const char *)data, size, &v, &err) == 0) {
		if (v.type == JV_OBJECT && v.n)
			(void)jv_get(&v, v.keys[0]);
		jv_free(&v);
	}
	return 0;
}
