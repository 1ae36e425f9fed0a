/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the resolv.conf parser (lib/resolvconf.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_blank_or_nul(const char *w)
{
	return !*w || strpbrk(w, " \t\r\v\f\n") != NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolvconf rc;
	const char *buf = (const char *)data;
	size_t bad = resolvconf_parse(buf, size, &rc), nul_lines = 0, counted = 0, next = 0;

	/* the lines tile the buffer in order, one '\n' between them */
	for (size_t i = 0; i < rc.nlines; i++) {
		const struct resolvconf_line *l = &rc.lines[i];
		if (l->off != next || l->lineno != i + 1 || l->off + l->len > size ||
		    memchr(buf + l->off, '\n', l->len))
			abort();
		next = l->off + l->len + (l->off + l->len < size);
		if (memchr(buf + l->off, '\0', l->len)) {
			nul_lines++;
			if (!l->why)
				abort(); /* a NUL byte is never taken as part of a setting */
		}
		counted += l->why != NULL;
	}
	if (next != size || counted != bad || bad != rc.nmalformed || bad < nul_lines)
		abort();
	/* words are whole: no blank, no NUL, never empty; never more than the lines */
	if (rc.nnameservers > rc.nlines)
		abort();
	for (size_t i = 0; i < rc.nnameservers; i++)
		if (has_blank_or_nul(rc.nameservers[i]))
			abort();
	for (size_t i = 0; i < rc.nsearch; i++)
		if (has_blank_or_nul(rc.search[i]))
			abort();
	for (size_t i = 0; i < rc.noptions; i++)
		if (has_blank_or_nul(rc.options[i]))
			abort();
	resolvconf_free(&rc);
	return 0;
}
