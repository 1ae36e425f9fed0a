/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "irqstat.h"
#include "paths.h"
#include "xalloc.h"

static const char *skip_blanks(const char *p, const char *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/* Count "CPUn" words of the header; -EINVAL when it is not one. */
static int parse_header(const char *p, const char *end)
{
	int n = 0;
	for (;;) {
		p = skip_blanks(p, end);
		if (p == end)
			break;
		if (end - p < 4 || memcmp(p, "CPU", 3) || !isdigit((unsigned char)p[3]))
			return -EINVAL;
		p += 3;
		while (p < end && isdigit((unsigned char)*p))
			p++;
		if (p < end && *p != ' ' && *p != '\t')
			return -EINVAL;
		if (++n > IRQSTAT_MAX_CPUS)
			return -EINVAL;
	}
	return n ? n : -EINVAL;
}

/* Copy [p, end) with runs of blanks collapsed and ends trimmed. */
static char *collapse(const char *p, const char *end)
{
	char *s = xmalloc((size_t)(end - p) + 1), *o = s;
	p = skip_blanks(p, end);
	while (p < end) {
		if (*p == ' ' || *p == '\t') {
			p = skip_blanks(p, end);
			if (p < end)
				*o++ = ' ';
			continue;
		}
		*o++ = *p++;
	}
	*o = '\0';
	return s;
}

static int parse_row(struct irq_table *t, const char *p, const char *end, struct irq_row *r)
{
	const char *q;
	unsigned long irq = 0;

	p = skip_blanks(p, end);
	if (p == end || !isdigit((unsigned char)*p))
		return 0; /* NMI:, LOC:, ERR: ... not a device IRQ */
	for (q = p; q < end && isdigit((unsigned char)*q); q++) {
		irq = irq * 10 + (unsigned long)(*q - '0');
		if (irq > 0xffffffUL)
			return -EINVAL;
	}
	if (q == end || *q != ':')
		return -EINVAL;
	p = q + 1;
	r->irq = (unsigned)irq;
	r->counts = xcalloc(t->ncpu, sizeof(*r->counts));
	for (unsigned c = 0; c < t->ncpu; c++) {
		p = skip_blanks(p, end);
		if (p == end || !isdigit((unsigned char)*p))
			break; /* fewer counts than CPUs (the rest stay 0) */
		const char *start = p;
		uint64_t v = 0;
		while (p < end && isdigit((unsigned char)*p)) {
			unsigned d = (unsigned)(*p - '0');
			if (v > (UINT64_MAX - d) / 10)
				goto bad;
			v = v * 10 + d;
			p++;
		}
		if (p < end && *p != ' ' && *p != '\t') {
			p = start; /* a word starting with a digit: the chip name */
			break;
		}
		r->counts[c] = v;
	}
	r->desc = collapse(p, end);
	const char *last = strrchr(r->desc, ' ');
	r->name = xstrdup(last ? last + 1 : r->desc);
	return 1;
bad:
	free(r->counts);
	r->counts = NULL;
	return -EINVAL;
}

int irqstat_parse(const char *buf, size_t len, struct irq_table *t, unsigned *line)
{
	const char *p = buf, *end = buf + len;
	unsigned lineno = 0;
	size_t cap = 0;

	memset(t, 0, sizeof(*t));
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p)))
			goto bad;
		if (!t->ncpu) {
			int n = parse_header(p, eol);
			if (n < 0)
				goto bad;
			t->ncpu = (unsigned)n;
		} else {
			struct irq_row r = { 0 };
			int rc = parse_row(t, p, eol, &r);
			if (rc < 0)
				goto bad;
			if (rc > 0) {
				if (t->n == cap) {
					cap = cap ? cap * 2 : 32;
					t->rows = xreallocarray(t->rows, cap, sizeof(*t->rows));
				}
				t->rows[t->n++] = r;
			}
		}
		p = nl ? nl + 1 : end;
	}
	if (!t->ncpu)
		goto bad;
	return 0;
bad:
	if (line)
		*line = lineno ? lineno : 1;
	irqstat_free(t);
	return -EINVAL;
}

int irqstat_read(struct irq_table *t, unsigned *line)
{
	char *path = tk_proc_path("interrupts");
	char *data;
	size_t len;
	int rc = read_file(path, 16U << 20, &data, &len);
	free(path);
	if (rc < 0)
		return rc;
	rc = irqstat_parse(data, len, t, line);
	free(data);
	return rc;
}

uint64_t irqstat_total(const struct irq_table *t, const struct irq_row *r)
{
	uint64_t sum = 0;
	for (unsigned c = 0; c < t->ncpu; c++)
		sum += r->counts[c];
	return sum;
}

void irqstat_free(struct irq_table *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->rows[i].counts);
		free(t->rows[i].desc);
		free(t->rows[i].name);
	}
	free(t->rows);
	memset(t, 0, sizeof(*t));
}
