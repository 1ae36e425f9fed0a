/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: profiles and tunekit.conf (schema over the kvconf grammar). */
#include "config.h"

#include <stdint.h>

#include "tkconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_list l = { 0 };
	struct kv_error e;
	tkconf_parse(TKCONF_LOCAL, (const char *)data, size, &l, &e);
	kv_list_free(&l);
	tkconf_parse(TKCONF_PROFILE, (const char *)data, size, &l, &e);
	kv_list_free(&l);
	return 0;
}
