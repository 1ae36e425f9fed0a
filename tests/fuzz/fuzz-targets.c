/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: nettune-probe's targets file parser. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "probetarget.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_target_list list = { 0 };
	unsigned line = 0;
	const char *why = NULL;
	if (probe_targets_parse_buffer((const char *)data, size, &list, &line, &why) == 0) {
		for (size_t i = 0; i < list.n; i++) {
			const struct probe_target *t = &list.v[i];
			/* every accepted target parses again from its own spec, identically */
			struct probe_target again;
			const char *w = NULL;
			if (!t->host[0] || !t->line || probe_target_parse(t->spec, strlen(t->spec), &again, &w))
				abort();
			if (strcmp(again.host, t->host) || again.port != t->port || again.http != t->http ||
			    (t->http && (t->path[0] != '/' || strcmp(again.path, t->path))))
				abort();
			if (t->http && !t->port)
				abort();
			probe_target_free(&again);
		}
	} else if (!why || !line || list.n) {
		abort(); /* an error names its line and leaves the list empty */
	}
	probe_target_list_free(&list);
	return 0;
}
