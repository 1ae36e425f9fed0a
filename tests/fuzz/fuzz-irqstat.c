/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the /proc/interrupts and /proc/meminfo parsers. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "irqstat.h"
#include "meminfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct irq_table t;
	unsigned line = 0;
	uint64_t v;
	if (irqstat_parse((const char *)data, size, &t, &line) == 0) {
		if (!t.ncpu)
			abort();
		for (size_t i = 0; i < t.n; i++) {
			if (!t.rows[i].name || strchr(t.rows[i].name, ' '))
				abort();
			(void)irqstat_total(&t, &t.rows[i]);
		}
		irqstat_free(&t);
	} else if (t.rows || t.n || line == 0) {
		abort();
	}
	(void)meminfo_parse((const char *)data, size, "MemTotal", &v);
	return 0;
}
