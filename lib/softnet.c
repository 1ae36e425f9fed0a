/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "paths.h"
#include "softnet.h"
#include "xalloc.h"

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parse one row [p, end) into cols; returns the column count or -EINVAL. */
static int parse_row(const char *p, const char *end, uint32_t *cols)
{
	int n = 0;
	while (p < end) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if (p == end)
			break;
		if (n == SOFTNET_MAX_COLUMNS)
			return -EINVAL;
		uint32_t v = 0;
		int digits = 0, d;
		while (p < end && (d = hexval(*p)) >= 0) {
			if (++digits > 8)
				return -EINVAL;
			v = v << 4 | (uint32_t)d;
			p++;
		}
		if (!digits || (p < end && *p != ' ' && *p != '\t'))
			return -EINVAL;
		cols[n++] = v;
	}
	return n;
}

int softnet_parse(const char *buf, size_t len, struct softnet_stat *out, unsigned *line)
{
	size_t cap = 0;
	unsigned lineno = 0;
	const char *p = buf, *end = buf + len;

	out->cpus = NULL;
	out->n = 0;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		uint32_t cols[SOFTNET_MAX_COLUMNS];
		lineno++;
		if (memchr(p, '\0', (size_t)(eol - p)))
			goto bad;
		int n = parse_row(p, eol, cols);
		if (n < 0 || (n > 0 && n < SOFTNET_MIN_COLUMNS))
			goto bad;
		if (n > 0) {
			if (out->n == SOFTNET_MAX_ROWS)
				goto bad;
			if (out->n == cap) {
				cap = cap ? cap * 2 : 8;
				out->cpus = xreallocarray(out->cpus, cap, sizeof(*out->cpus));
			}
			struct softnet_cpu *c = &out->cpus[out->n];
			memset(c, 0, sizeof(*c));
			c->columns = (unsigned)n;
			c->processed = cols[0];
			c->dropped = cols[1];
			c->time_squeeze = cols[2];
			if (n >= 10)
				c->received_rps = cols[9];
			if (n >= 11)
				c->flow_limit = cols[10];
			if (n >= 12)
				c->backlog_len = cols[11];
			if (n >= 13) {
				c->cpu = cols[12];
				c->cpu_from_column = 1;
			} else {
				c->cpu = (unsigned)out->n;
			}
			for (size_t i = 0; i < out->n; i++)
				if (out->cpus[i].cpu == c->cpu)
					goto bad; /* a CPU listed twice */
			out->n++;
		}
		p = nl ? nl + 1 : end;
	}
	return 0;
bad:
	if (line)
		*line = lineno;
	softnet_free(out);
	return -EINVAL;
}

int softnet_read(struct softnet_stat *out, unsigned *line)
{
	char *path = tk_proc_path("net/softnet_stat");
	char *data;
	size_t len;
	int rc = read_file(path, 4U << 20, &data, &len);
	free(path);
	if (rc < 0)
		return rc;
	rc = softnet_parse(data, len, out, line);
	free(data);
	return rc;
}

static const struct softnet_cpu *find_cpu(const struct softnet_stat *s, unsigned cpu)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->cpus[i].cpu == cpu)
			return &s->cpus[i];
	return NULL;
}

void softnet_cpu_diff(const struct softnet_stat *earlier, const struct softnet_cpu *later,
		      struct softnet_cpu *delta)
{
	const struct softnet_cpu *e = find_cpu(earlier, later->cpu);
	*delta = *later;
	if (!e)
		return; /* a CPU that came online: its counters start at zero */
	delta->processed = later->processed - e->processed;
	delta->dropped = later->dropped - e->dropped;
	delta->time_squeeze = later->time_squeeze - e->time_squeeze;
	delta->received_rps = later->received_rps - e->received_rps;
	delta->flow_limit = later->flow_limit - e->flow_limit;
}

void softnet_diff(const struct softnet_stat *earlier, const struct softnet_stat *later,
		  struct softnet_delta *delta)
{
	memset(delta, 0, sizeof(*delta));
	for (size_t i = 0; i < later->n; i++) {
		struct softnet_cpu d;
		softnet_cpu_diff(earlier, &later->cpus[i], &d);
		delta->processed += d.processed;
		delta->dropped += d.dropped;
		delta->time_squeeze += d.time_squeeze;
		delta->flow_limit += d.flow_limit;
		if (d.dropped)
			delta->cpus_dropping++;
		if (d.time_squeeze)
			delta->cpus_squeezing++;
	}
}

void softnet_free(struct softnet_stat *s)
{
	free(s->cpus);
	s->cpus = NULL;
	s->n = 0;
}
