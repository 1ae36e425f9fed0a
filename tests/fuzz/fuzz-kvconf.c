/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the sysctl.d parser and the key validator behind it. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_list list = { 0 };
	struct kv_error err;
	if (kvconf_parse_buffer((const char *)data, size, &list, &err) == 0) {
		/* whatever parses must print and parse back to the same keys */
		char *out = kvconf_format(&list, NULL);
		struct kv_list again = { 0 };
		if (!out || kvconf_parse_buffer(out, strlen(out), &again, &err) != 0 || again.n != list.n)
			abort();
		for (size_t i = 0; i < list.n; i++)
			if (kv_list_find(&again, list.v[i].key) < 0)
				abort();
		kv_list_free(&again);
		free(out);
	}
	kv_list_free(&list);
	return 0;
}
