/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <inttypes.h>
#include <math.h>

#include "jsonw.h"

void jw_init(struct jsonw *w, FILE *out)
{
	w->out = out;
	w->depth = 0;
	w->count[0] = 0;
}

void jw_quote(FILE *out, const char *s)
{
	putc('"', out);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", out);
			break;
		case '\\':
			fputs("\\\\", out);
			break;
		case '\n':
			fputs("\\n", out);
			break;
		case '\t':
			fputs("\\t", out);
			break;
		default:
			if (*p < 0x20 || *p == 0x7f)
				fprintf(out, "\\u%04x", *p);
			else
				putc(*p, out);
		}
	}
	putc('"', out);
}

static void member(struct jsonw *w, const char *key)
{
	if (w->count[w->depth]++)
		putc(',', w->out);
	if (key) {
		jw_quote(w->out, key);
		putc(':', w->out);
	}
}

static void open_level(struct jsonw *w, const char *key, int c)
{
	member(w, key);
	putc(c, w->out);
	if (w->depth < JSONW_MAX_DEPTH - 1) {
		w->depth++;
		w->count[w->depth] = 0;
		w->close[w->depth] = c == '{' ? '}' : ']';
	}
}

void jw_object(struct jsonw *w, const char *key)
{
	open_level(w, key, '{');
}

void jw_array(struct jsonw *w, const char *key)
{
	open_level(w, key, '[');
}

void jw_end(struct jsonw *w)
{
	if (w->depth == 0)
		return;
	putc(w->close[w->depth], w->out);
	if (--w->depth == 0)
		putc('\n', w->out);
}

void jw_str(struct jsonw *w, const char *key, const char *value)
{
	member(w, key);
	if (value)
		jw_quote(w->out, value);
	else
		fputs("null", w->out);
}

void jw_u64(struct jsonw *w, const char *key, uint64_t value)
{
	member(w, key);
	fprintf(w->out, "%" PRIu64, value);
}

void jw_i64(struct jsonw *w, const char *key, int64_t value)
{
	member(w, key);
	fprintf(w->out, "%" PRId64, value);
}

void jw_bool(struct jsonw *w, const char *key, int value)
{
	member(w, key);
	fputs(value ? "true" : "false", w->out);
}

void jw_double(struct jsonw *w, const char *key, double value)
{
	member(w, key);
	if (isfinite(value))
		fprintf(w->out, "%.6g", value);
	else
		fputs("null", w->out);
}
