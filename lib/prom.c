/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>

#include "atomicfile.h"
#include "c.h"
#include "prom.h"
#include "xalloc.h"

struct prom_sample {
	const char *name;         /* the family's name, or a histogram/summary suffix name */
	char *own_name;           /* set when name is not the family's */
	struct prom_label *labels; /* one allocation with the strings */
	size_t nlabels;
	double value;
	int64_t ts;
	int has_ts;
};

struct prom_family {
	char *name;
	char *help;               /* NULL: no HELP line seen */
	enum prom_type type;
	int typed;                /* TYPE given or declared */
	int declared;             /* by prom_declare (samples must name it exactly) */
	const char *help_src, *type_src;
	size_t help_line, type_line;
	struct prom_sample *s;
	size_t n, cap;
};

/* a series in the duplicate index: family and sample index, hash of name and label set */
struct series_ref {
	uint64_t hash;
	size_t fam, idx; /* idx + 1; 0: empty slot */
};

struct prom_registry {
	struct prom_family *fam;
	size_t nfam, capfam;
	size_t *fidx;     /* family index + 1 by name hash; 0 empty */
	size_t fcap;
	struct series_ref *ser;
	size_t nser, scap;
	char **sources;
	size_t nsrc;
	uint64_t seed;
	size_t nsamples;
};

/* ---- hashing: seeded, so crafted input cannot aim at one bucket ---- */

static uint64_t mix64(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_bytes(uint64_t seed, const char *p, size_t n)
{
	uint64_t h = mix64(seed ^ (n * 0x9e3779b97f4a7c15ULL));
	while (n >= 8) {
		uint64_t w;
		memcpy(&w, p, 8);
		h = mix64(h ^ w) + 0x9e3779b97f4a7c15ULL;
		p += 8;
		n -= 8;
	}
	uint64_t w = 0;
	memcpy(&w, p, n);
	return mix64(h ^ w ^ ((uint64_t)n << 59));
}

static uint64_t hash_str(uint64_t seed, const char *s)
{
	return hash_bytes(seed, s, strlen(s));
}

/* ---- names, types, UTF-8 ---- */

static const char *const type_names[] = {
	[PROM_UNTYPED] = "untyped", [PROM_GAUGE] = "gauge", [PROM_COUNTER] = "counter",
	[PROM_HISTOGRAM] = "histogram", [PROM_SUMMARY] = "summary",
};

const char *prom_type_name(enum prom_type t)
{
	return (unsigned)t < ARRAY_SIZE(type_names) ? type_names[t] : "untyped";
}

static int is_alpha_(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_digit(int c)
{
	return c >= '0' && c <= '9';
}

static int is_metric_char(int c, int first)
{
	return is_alpha_(c) || c == ':' || (!first && is_digit(c));
}

static int is_label_char(int c, int first)
{
	return is_alpha_(c) || (!first && is_digit(c));
}

int prom_valid_metric_name(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!is_metric_char((unsigned char)*p, p == name))
			return 0;
	return 1;
}

int prom_valid_label_name(const char *name)
{
	if (!name || !*name)
		return 0;
	for (const char *p = name; *p; p++)
		if (!is_label_char((unsigned char)*p, p == name))
			return 0;
	return 1;
}

/* 1 if s[0..n) is well-formed UTF-8 without NUL (what Prometheus accepts in values) */
static int utf8_valid(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s, *end = p + n;
	while (p < end) {
		unsigned c = *p;
		if (c == 0)
			return 0;
		if (c < 0x80) {
			p++;
			continue;
		}
		size_t len;
		unsigned min;
		if ((c & 0xe0) == 0xc0) {
			len = 2;
			min = 0x80;
			c &= 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			min = 0x800;
			c &= 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			min = 0x10000;
			c &= 0x07;
		} else
			return 0;
		if ((size_t)(end - p) < len)
			return 0;
		for (size_t i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return 0;
			c = (c << 6) | (p[i] & 0x3f);
		}
		if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
			return 0;
		p += len;
	}
	return 1;
}

/* 1 if the "_"-separated words of name contain word */
static int has_word(const char *name, const char *word)
{
	size_t wl = strlen(word);
	for (const char *p = name; *p;) {
		const char *e = strchr(p, '_');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == wl && !strncmp(p, word, wl))
			return 1;
		if (!e)
			break;
		p = e + 1;
	}
	return 0;
}

static int ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);
	return n >= m && !strcmp(s + n - m, suffix);
}

const char *prom_name_convention(const char *name, enum prom_type type)
{
	static const char *const abbreviated[] = { "s", "ms", "us", "ns", "sec", "b", "kb", "mb",
						   "gb", "tb", "pb", "m", "h", "d", NULL };
	static const char *const non_base[] = { "milliseconds", "microseconds", "nanoseconds",
						"minutes", "hours", "days", "weeks", "kilobytes",
						"megabytes", "gigabytes", "terabytes", "petabytes",
						"kibibytes", "mebibytes", "gibibytes", "bits", NULL };
	if (type == PROM_COUNTER && !ends_with(name, "_total"))
		return "a counter's name ends in _total";
	if (type != PROM_COUNTER && ends_with(name, "_total"))
		return "only a counter's name ends in _total";
	for (const char *p = name; p[0] && p[1]; p++)
		if (p[0] >= 'a' && p[0] <= 'z' && p[1] >= 'A' && p[1] <= 'Z')
			return "camelCase in the name: use snake_case";
	for (const char *const *w = abbreviated; *w; w++)
		if (has_word(name, *w))
			return "abbreviated unit in the name: spell out the base unit (seconds, bytes)";
	for (const char *const *w = non_base; *w; w++)
		if (has_word(name, *w))
			return "use the base unit (seconds, bytes) in the name";
	for (const char *const *w = type_names; w < type_names + ARRAY_SIZE(type_names); w++)
		if (has_word(name, *w))
			return "the type is in the name";
	return NULL;
}

/* ---- registry ---- */

struct prom_registry *prom_new(void)
{
	struct prom_registry *r = xcalloc(1, sizeof(*r));
	if (getrandom(&r->seed, sizeof(r->seed), GRND_NONBLOCK) != (ssize_t)sizeof(r->seed))
		r->seed = (uint64_t)time(NULL) ^ (uint64_t)(uintptr_t)r;
	return r;
}

void prom_free(struct prom_registry *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nfam; i++) {
		struct prom_family *f = &r->fam[i];
		for (size_t j = 0; j < f->n; j++) {
			free(f->s[j].own_name);
			free(f->s[j].labels);
		}
		free(f->s);
		free(f->name);
		free(f->help);
	}
	for (size_t i = 0; i < r->nsrc; i++)
		free(r->sources[i]);
	free(r->sources);
	free(r->fam);
	free(r->fidx);
	free(r->ser);
	free(r);
}

size_t prom_family_count(const struct prom_registry *r)
{
	return r->nfam;
}

size_t prom_sample_count(const struct prom_registry *r)
{
	return r->nsamples;
}

static struct prom_family *find_family(const struct prom_registry *r, const char *name, size_t len)
{
	if (!r->fcap)
		return NULL;
	size_t mask = r->fcap - 1;
	for (size_t i = hash_bytes(r->seed, name, len) & mask;; i = (i + 1) & mask) {
		size_t v = r->fidx[i];
		if (!v)
			return NULL;
		struct prom_family *f = &r->fam[v - 1];
		if (!strncmp(f->name, name, len) && !f->name[len])
			return f;
	}
}

static void index_family(struct prom_registry *r, size_t idx)
{
	size_t mask = r->fcap - 1;
	size_t i = hash_str(r->seed, r->fam[idx].name) & mask;
	while (r->fidx[i])
		i = (i + 1) & mask;
	r->fidx[i] = idx + 1;
}

static struct prom_family *new_family(struct prom_registry *r, const char *name, size_t len)
{
	if (r->nfam == r->capfam) {
		r->capfam = r->capfam ? r->capfam * 2 : 16;
		r->fam = xreallocarray(r->fam, r->capfam, sizeof(*r->fam));
	}
	struct prom_family *f = &r->fam[r->nfam++];
	memset(f, 0, sizeof(*f));
	f->name = xstrndup(name, len);
	if (r->nfam * 2 > r->fcap) {
		free(r->fidx);
		r->fcap = r->fcap ? r->fcap * 2 : 32;
		r->fidx = xcalloc(r->fcap, sizeof(*r->fidx));
		for (size_t i = 0; i < r->nfam; i++)
			index_family(r, i);
	} else
		index_family(r, r->nfam - 1);
	return f;
}

int prom_declare(struct prom_registry *r, const char *name, enum prom_type type, const char *help)
{
	if (!prom_valid_metric_name(name) || strchr(name, ':') || prom_name_convention(name, type))
		return -EINVAL;
	if (type != PROM_GAUGE && type != PROM_COUNTER && type != PROM_UNTYPED)
		return -EINVAL;
	if (!help || !*help || strchr(help, '\n') || !utf8_valid(help, strlen(help)))
		return -EINVAL;
	struct prom_family *f = find_family(r, name, strlen(name));
	if (f)
		return f->typed && f->type != type ? -EEXIST : 0;
	f = new_family(r, name, strlen(name));
	f->help = xstrdup(help);
	f->type = type;
	f->typed = f->declared = 1;
	return 0;
}

static int cmp_label(const void *a, const void *b)
{
	return strcmp(((const struct prom_label *)a)->name, ((const struct prom_label *)b)->name);
}

/* labels sorted by name, in a scratch array the caller frees */
static struct prom_label *sorted_labels(const struct prom_label *l, size_t n)
{
	struct prom_label *s = xreallocarray(NULL, n ? n : 1, sizeof(*s));
	if (n)
		memcpy(s, l, n * sizeof(*s));
	if (n > 1)
		qsort(s, n, sizeof(*s), cmp_label);
	return s;
}

static uint64_t series_hash(const struct prom_registry *r, const char *name,
			    const struct prom_label *sorted, size_t n)
{
	uint64_t h = hash_str(r->seed, name);
	for (size_t i = 0; i < n; i++) {
		h = mix64(h ^ hash_str(r->seed, sorted[i].name));
		h = mix64(h ^ hash_str(r->seed + 1, sorted[i].value));
	}
	return h;
}

/* 1 if sample s is the series (name, sorted labels) */
static int same_series(const struct prom_sample *s, const char *name, const struct prom_label *sorted,
		       size_t n)
{
	if (s->nlabels != n || strcmp(s->name, name))
		return 0;
	struct prom_label *mine = sorted_labels(s->labels, s->nlabels);
	int same = 1;
	for (size_t i = 0; i < n && same; i++)
		same = !strcmp(mine[i].name, sorted[i].name) && !strcmp(mine[i].value, sorted[i].value);
	free(mine);
	return same;
}

static void index_series(struct prom_registry *r, uint64_t hash, size_t fam, size_t idx)
{
	size_t mask = r->scap - 1, i = hash & mask;
	while (r->ser[i].idx)
		i = (i + 1) & mask;
	r->ser[i] = (struct series_ref){ hash, fam, idx + 1 };
}

static struct prom_sample *find_series(const struct prom_registry *r, uint64_t hash, const char *name,
				       const struct prom_label *sorted, size_t n)
{
	if (!r->scap)
		return NULL;
	size_t mask = r->scap - 1;
	for (size_t i = hash & mask; r->ser[i].idx; i = (i + 1) & mask) {
		if (r->ser[i].hash != hash)
			continue;
		struct prom_sample *s = &r->fam[r->ser[i].fam].s[r->ser[i].idx - 1];
		if (same_series(s, name, sorted, n))
			return s;
	}
	return NULL;
}

enum { LABELS_API = 1 << 0, ADD_REPLACE = 1 << 1 };

/* Validate labels: names valid and distinct, values UTF-8. 0 or -EINVAL. */
static int check_labels(const struct prom_label *sorted, size_t n, unsigned flags)
{
	for (size_t i = 0; i < n; i++) {
		if (!prom_valid_label_name(sorted[i].name) || !sorted[i].value)
			return -EINVAL;
		/* "__" names are Prometheus's own; the text format forbids only __name__ */
		if ((flags & LABELS_API) ? !strncmp(sorted[i].name, "__", 2)
					 : !strcmp(sorted[i].name, "__name__"))
			return -EINVAL;
		if (!utf8_valid(sorted[i].value, strlen(sorted[i].value)))
			return -EINVAL;
		if (i && !strcmp(sorted[i - 1].name, sorted[i].name))
			return -EINVAL;
	}
	return 0;
}

/* Add a sample to family f under metric name (f's or a suffixed one). */
static int add_sample(struct prom_registry *r, struct prom_family *f, const char *name, double value,
		      const struct prom_label *labels, size_t n, const int64_t *ts, unsigned flags)
{
	struct prom_label *sorted = sorted_labels(labels, n);
	int rc = check_labels(sorted, n, flags);
	if (rc < 0) {
		free(sorted);
		return rc;
	}
	uint64_t h = series_hash(r, name, sorted, n);
	struct prom_sample *old = find_series(r, h, name, sorted, n);
	free(sorted);
	if (old) {
		if (!(flags & ADD_REPLACE))
			return -EEXIST;
		old->value = value;
		old->has_ts = ts != NULL;
		old->ts = ts ? *ts : 0;
		return 0;
	}

	size_t bytes = n * sizeof(struct prom_label);
	for (size_t i = 0; i < n; i++)
		bytes += strlen(labels[i].name) + strlen(labels[i].value) + 2;
	struct prom_label *copy = n ? xmalloc(bytes) : NULL;
	/* no arithmetic on NULL when the series has no labels */
	char *strings = n ? (char *)(copy + n) : NULL;
	for (size_t i = 0; i < n; i++) {
		size_t ln = strlen(labels[i].name) + 1, lv = strlen(labels[i].value) + 1;
		copy[i].name = memcpy(strings, labels[i].name, ln);
		strings += ln;
		copy[i].value = memcpy(strings, labels[i].value, lv);
		strings += lv;
	}
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 4;
		f->s = xreallocarray(f->s, f->cap, sizeof(*f->s));
	}
	struct prom_sample *s = &f->s[f->n++];
	memset(s, 0, sizeof(*s));
	if (strcmp(name, f->name)) {
		s->own_name = xstrdup(name);
		s->name = s->own_name;
	} else
		s->name = f->name;
	s->labels = copy;
	s->nlabels = n;
	s->value = value;
	s->has_ts = ts != NULL;
	s->ts = ts ? *ts : 0;
	r->nsamples++;

	if ((r->nser + 1) * 2 > r->scap) {
		free(r->ser);
		r->scap = r->scap ? r->scap * 2 : 64;
		r->ser = xcalloc(r->scap, sizeof(*r->ser));
		r->nser = 0;
		for (size_t fi = 0; fi < r->nfam; fi++)
			for (size_t j = 0; j < r->fam[fi].n; j++) {
				const struct prom_sample *t = &r->fam[fi].s[j];
				struct prom_label *ts_sorted = sorted_labels(t->labels, t->nlabels);
				index_series(r, series_hash(r, t->name, ts_sorted, t->nlabels), fi, j);
				free(ts_sorted);
				r->nser++;
			}
	} else {
		index_series(r, h, (size_t)(f - r->fam), f->n - 1);
		r->nser++;
	}
	return 0;
}

static int api_add(struct prom_registry *r, const char *name, double value,
		   const struct prom_label *labels, size_t n, unsigned flags)
{
	if (!name)
		return -EINVAL;
	struct prom_family *f = find_family(r, name, strlen(name));
	if (!f)
		return -ENOENT;
	return add_sample(r, f, name, value, labels, n, NULL, flags | LABELS_API);
}

int prom_add(struct prom_registry *r, const char *name, double value,
	     const struct prom_label *labels, size_t nlabels)
{
	return api_add(r, name, value, labels, nlabels, 0);
}

int prom_set(struct prom_registry *r, const char *name, double value,
	     const struct prom_label *labels, size_t nlabels)
{
	return api_add(r, name, value, labels, nlabels, ADD_REPLACE);
}

int prom_addl(struct prom_registry *r, const char *name, double value, ...)
{
	struct prom_label l[16];
	size_t n = 0;
	va_list ap;
	va_start(ap, value);
	for (const char *k; (k = va_arg(ap, const char *));) {
		const char *v = va_arg(ap, const char *);
		if (n == ARRAY_SIZE(l) || !v) {
			va_end(ap);
			return -EINVAL;
		}
		l[n++] = (struct prom_label){ k, v };
	}
	va_end(ap);
	return prom_add(r, name, value, l, n);
}

/* ---- rendering ---- */

void prom_format_value(double v, char *buf, size_t size)
{
	if (isnan(v))
		snprintf(buf, size, "NaN");
	else if (isinf(v))
		snprintf(buf, size, v > 0 ? "+Inf" : "-Inf");
	else if (v == 0)
		snprintf(buf, size, "0"); /* -0 too */
	else if (v == trunc(v) && fabs(v) < 1e19)
		snprintf(buf, size, "%.0f", v);
	else {
		/* the shortest form that reads back as the same double */
		for (int prec = 1; prec <= 17; prec++) {
			snprintf(buf, size, "%.*g", prec, v);
			if (strtod(buf, NULL) == v)
				break;
		}
	}
}

static void put_escaped(FILE *out, const char *s, int quote)
{
	for (; *s; s++) {
		if (*s == '\\')
			fputs("\\\\", out);
		else if (*s == '\n')
			fputs("\\n", out);
		else if (quote && *s == '"')
			fputs("\\\"", out);
		else
			putc(*s, out);
	}
}

int prom_render(const struct prom_registry *r, FILE *out)
{
	char num[48];
	for (size_t i = 0; i < r->nfam; i++) {
		const struct prom_family *f = &r->fam[i];
		if (f->help) {
			fprintf(out, "# HELP %s ", f->name);
			put_escaped(out, f->help, 0);
			putc('\n', out);
		}
		fprintf(out, "# TYPE %s %s\n", f->name, prom_type_name(f->type));
		for (size_t j = 0; j < f->n; j++) {
			const struct prom_sample *s = &f->s[j];
			fputs(s->name, out);
			if (s->nlabels) {
				putc('{', out);
				for (size_t k = 0; k < s->nlabels; k++) {
					fprintf(out, "%s%s=\"", k ? "," : "", s->labels[k].name);
					put_escaped(out, s->labels[k].value, 1);
					putc('"', out);
				}
				putc('}', out);
			}
			prom_format_value(s->value, num, sizeof(num));
			fprintf(out, " %s", num);
			if (s->has_ts)
				fprintf(out, " %lld", (long long)s->ts);
			putc('\n', out);
		}
	}
	if (fflush(out) == EOF || ferror(out))
		return errno ? -errno : -EIO;
	return 0;
}

int prom_write_file(const struct prom_registry *r, const char *path)
{
	struct stat st;
	mode_t mode = 0644;
	if (lstat(path, &st) == 0) {
		if (!S_ISREG(st.st_mode))
			return -EEXIST;
		mode &= st.st_mode; /* never more readable than the file it replaces */
	} else if (errno != ENOENT)
		return -errno;

	char *buf = NULL;
	size_t len = 0;
	FILE *mem = open_memstream(&buf, &len);
	if (!mem)
		return -errno;
	int rc = prom_render(r, mem);
	if (fclose(mem) == EOF && !rc)
		rc = -errno;
	if (!rc)
		rc = atomic_write_file(path, buf, len, mode);
	free(buf);
	return rc;
}

/* ---- parsing ---- */

/* per-parse bookkeeping of a family (the registry's may span several inputs) */
struct fam_state {
	size_t help_line, type_line, first_sample, last_sample;
	unsigned char closed, reported_ungrouped;
};

struct parser {
	struct prom_registry *r;
	const struct prom_parse_opts *o;
	const char *source;
	struct prom_error *err;
	size_t line;
	struct fam_state *st;
	size_t nst;
	size_t last_fam; /* index + 1 of the family of the previous sample */
	char *scratch;   /* unescaped strings of the current line */
	size_t scratch_cap;
};

static int perr(struct parser *p, const char *fmt, ...) TK_PRINTF(2, 3);
static int perr(struct parser *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	p->err->line = p->line;
	vsnprintf(p->err->why, sizeof(p->err->why), fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static void finding(struct parser *p, size_t line, const char *fmt, ...) TK_PRINTF(3, 4);
static void finding(struct parser *p, size_t line, const char *fmt, ...)
{
	if (!p->o || !p->o->finding)
		return;
	char why[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	p->o->finding(p->o->arg, p->source, line, why);
}

static struct fam_state *state_of(struct parser *p, const struct prom_family *f)
{
	size_t idx = (size_t)(f - p->r->fam);
	if (idx >= p->nst) {
		size_t n = p->r->capfam > idx ? p->r->capfam : idx + 1;
		p->st = xreallocarray(p->st, n, sizeof(*p->st));
		memset(p->st + p->nst, 0, (n - p->nst) * sizeof(*p->st));
		p->nst = n;
	}
	return &p->st[idx];
}

static const char *skip_blanks(const char *s, const char *e)
{
	while (s < e && (*s == ' ' || *s == '\t'))
		s++;
	return s;
}

static const char *token_end(const char *s, const char *e)
{
	while (s < e && *s != ' ' && *s != '\t')
		s++;
	return s;
}

static const char *metric_name_end(const char *s, const char *e)
{
	for (const char *p = s; p < e; p++)
		if (!is_metric_char((unsigned char)*p, p == s))
			return p;
	return e;
}

/* room for n more bytes of unescaped text in p->scratch at offset used */
static char *scratch_room(struct parser *p, size_t used, size_t n)
{
	if (used + n + 1 > p->scratch_cap) {
		p->scratch_cap = (used + n + 1) * 2;
		p->scratch = xreallocarray(p->scratch, p->scratch_cap, 1);
	}
	return p->scratch + used;
}

/*
 * Unescape [s, e) into scratch at *used (quote: a label value, ends at an
 * unescaped '"'; else a HELP text, ends at e). Returns the end of what was
 * read (after the closing quote), or NULL on a bad escape or no closing quote.
 */
static const char *unescape(struct parser *p, const char *s, const char *e, int quote, size_t *used,
			    const char **why)
{
	char *out = scratch_room(p, *used, (size_t)(e - s));
	const char *q = s;
	for (; q < e; q++) {
		if (quote && *q == '"')
			break;
		if (*q != '\\') {
			*out++ = *q;
			continue;
		}
		if (++q == e) {
			*why = "backslash at the end of the line";
			return NULL;
		}
		if (*q == '\\')
			*out++ = '\\';
		else if (*q == 'n')
			*out++ = '\n';
		else if (quote && *q == '"')
			*out++ = '"';
		else {
			*why = quote ? "invalid escape in a label value (\\\\, \\\" and \\n only)"
				     : "invalid escape in HELP text (\\\\ and \\n only)";
			return NULL;
		}
	}
	if (quote && q == e) {
		*why = "label value without its closing quote";
		return NULL;
	}
	*out++ = '\0';
	if (!utf8_valid(p->scratch + *used, (size_t)(out - 1 - (p->scratch + *used)))) {
		*why = "invalid UTF-8";
		return NULL;
	}
	*used = (size_t)(out - p->scratch);
	return quote ? q + 1 : q;
}

static int lookup_type(const char *s, size_t n, enum prom_type *t)
{
	for (size_t i = 0; i < ARRAY_SIZE(type_names); i++)
		if (strlen(type_names[i]) == n && !strncmp(type_names[i], s, n)) {
			*t = (enum prom_type)i;
			return 0;
		}
	return -EINVAL;
}

static struct prom_family *family_for_line(struct parser *p, const char *name, size_t len)
{
	struct prom_family *f = find_family(p->r, name, len);
	return f ? f : new_family(p->r, name, len);
}

static const char *where(struct parser *p, const char *src, size_t line, char *buf, size_t size)
{
	if (src == p->source)
		snprintf(buf, size, "line %zu", line);
	else
		snprintf(buf, size, "%s:%zu", src, line);
	return buf;
}

static int parse_help(struct parser *p, const char *s, const char *e)
{
	const char *ne = metric_name_end(s, e);
	if (ne == s || (ne < e && *ne != ' ' && *ne != '\t'))
		return perr(p, "invalid metric name in HELP line");
	struct prom_family *f = family_for_line(p, s, (size_t)(ne - s));
	struct fam_state *st = state_of(p, f);
	size_t used = 0;
	const char *why = NULL;
	if (!unescape(p, skip_blanks(ne, e), e, 0, &used, &why))
		return perr(p, "%s", why);
	char at[96];
	if (st->help_line)
		finding(p, p->line, "second HELP line for %s (first at line %zu)", f->name, st->help_line);
	else if (st->first_sample)
		finding(p, p->line, "HELP line for %s after its samples (line %zu)", f->name,
			st->first_sample);
	if (f->help && strcmp(f->help, p->scratch))
		finding(p, p->line, "HELP for %s differs from %s; the first is kept", f->name,
			where(p, f->help_src, f->help_line, at, sizeof(at)));
	if (!st->help_line)
		st->help_line = p->line;
	if (!f->help) {
		f->help = xstrdup(p->scratch);
		f->help_src = p->source;
		f->help_line = p->line;
	}
	return 0;
}

static int parse_type(struct parser *p, const char *s, const char *e)
{
	const char *ne = metric_name_end(s, e);
	if (ne == s || ne == e || (*ne != ' ' && *ne != '\t'))
		return perr(p, "invalid metric name in TYPE line");
	const char *ts = skip_blanks(ne, e), *te = token_end(ts, e);
	enum prom_type t;
	if (lookup_type(ts, (size_t)(te - ts), &t) < 0 || skip_blanks(te, e) != e)
		return perr(p, "unknown type in TYPE line (counter, gauge, histogram, summary, untyped)");
	struct prom_family *f = family_for_line(p, s, (size_t)(ne - s));
	struct fam_state *st = state_of(p, f);
	char at[96];
	if (f->typed && f->type != t)
		return perr(p, "TYPE %s for %s conflicts with TYPE %s at %s", prom_type_name(t), f->name,
			    prom_type_name(f->type), where(p, f->type_src, f->type_line, at, sizeof(at)));
	if (!f->typed && f->n)
		return perr(p, "TYPE line for %s after its samples", f->name);
	if (st->type_line)
		finding(p, p->line, "second TYPE line for %s (first at line %zu)", f->name, st->type_line);
	else
		st->type_line = p->line;
	if (!f->typed) {
		f->type = t;
		f->typed = 1;
		f->type_src = p->source;
		f->type_line = p->line;
	}
	return 0;
}

/* the family a sample name belongs to: itself, or a histogram/summary by suffix */
static struct prom_family *family_of_sample(struct parser *p, const char *name, size_t len)
{
	struct prom_family *f = find_family(p->r, name, len);
	if (f)
		return f;
	static const struct {
		const char *suffix;
		int histogram_only;
	} suffixes[] = { { "_bucket", 1 }, { "_sum", 0 }, { "_count", 0 } };
	for (size_t i = 0; i < ARRAY_SIZE(suffixes); i++) {
		size_t sl = strlen(suffixes[i].suffix);
		if (len <= sl || strncmp(name + len - sl, suffixes[i].suffix, sl))
			continue;
		struct prom_family *b = find_family(p->r, name, len - sl);
		if (b && (b->type == PROM_HISTOGRAM || (!suffixes[i].histogram_only && b->type == PROM_SUMMARY)))
			return b;
	}
	return new_family(p->r, name, len);
}

static int parse_value(const char *s, const char *e, double *v)
{
	size_t n = (size_t)(e - s);
	const char *q = s;
	int sign = 0;
	if (q < e && (*q == '+' || *q == '-')) {
		sign = 1;
		q++;
	}
	size_t rest = (size_t)(e - q);
	if ((rest == 3 && !strncasecmp(q, "inf", 3)) || (rest == 8 && !strncasecmp(q, "infinity", 8))) {
		*v = *s == '-' ? -INFINITY : INFINITY;
		return 0;
	}
	if (!sign && rest == 3 && !strncasecmp(q, "nan", 3)) {
		*v = NAN;
		return 0;
	}
	/* decimal only: digits [. digits] [e [sign] digits] */
	size_t digits = 0;
	while (q < e && is_digit(*q))
		q++, digits++;
	if (q < e && *q == '.')
		for (q++; q < e && is_digit(*q); q++)
			digits++;
	if (!digits)
		return -EINVAL;
	if (q < e && (*q == 'e' || *q == 'E')) {
		q++;
		if (q < e && (*q == '+' || *q == '-'))
			q++;
		if (q == e || !is_digit(*q))
			return -EINVAL;
		while (q < e && is_digit(*q))
			q++;
	}
	if (q != e)
		return -EINVAL;
	char small[64], *buf = n < sizeof(small) ? small : xmalloc(n + 1);
	memcpy(buf, s, n);
	buf[n] = '\0';
	*v = strtod(buf, NULL);
	if (buf != small)
		free(buf);
	return 0;
}

static int parse_timestamp(const char *s, const char *e, int64_t *ts)
{
	int neg = s < e && *s == '-';
	if (neg)
		s++;
	if (s == e)
		return -EINVAL;
	uint64_t x = 0, limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; s < e; s++) {
		if (!is_digit(*s))
			return -EINVAL;
		unsigned d = (unsigned)(*s - '0');
		if (x > (limit - d) / 10)
			return -EINVAL;
		x = x * 10 + d;
	}
	*ts = neg ? (int64_t)(0 - x) : (int64_t)x;
	return 0;
}

static int parse_sample(struct parser *p, const char *s, const char *e)
{
	const char *ne = metric_name_end(s, e);
	if (ne == s)
		return perr(p, "invalid metric name");
	const char *q = ne;
	/* labels: offsets into scratch while it may move, pointers after */
	size_t nl = 0, capl = 0, used = 0;
	size_t *off = NULL;
	int rc = 0;
	if (q < e && *q == '{') {
		q = skip_blanks(q + 1, e);
		while (q < e && *q != '}') {
			const char *ls = q;
			while (q < e && is_label_char((unsigned char)*q, q == ls))
				q++;
			if (q == ls) {
				rc = perr(p, "invalid label name");
				goto out;
			}
			const char *le = q;
			q = skip_blanks(q, e);
			if (q == e || *q != '=') {
				rc = perr(p, "expected '=' after label name");
				goto out;
			}
			q = skip_blanks(q + 1, e);
			if (q == e || *q != '"') {
				rc = perr(p, "expected '\"' to open a label value");
				goto out;
			}
			if (nl == capl) {
				capl = capl ? capl * 2 : 8;
				off = xreallocarray(off, capl, 2 * sizeof(*off));
			}
			off[2 * nl] = used;
			memcpy(scratch_room(p, used, (size_t)(le - ls)), ls, (size_t)(le - ls));
			used += (size_t)(le - ls);
			p->scratch[used++] = '\0';
			off[2 * nl + 1] = used;
			const char *why = NULL;
			q = unescape(p, q + 1, e, 1, &used, &why);
			if (!q) {
				rc = perr(p, "%s", why);
				goto out;
			}
			nl++;
			q = skip_blanks(q, e);
			if (q < e && *q == ',')
				q = skip_blanks(q + 1, e);
			else if (q < e && *q != '}') {
				rc = perr(p, "expected ',' or '}' after a label value");
				goto out;
			}
		}
		if (q == e) {
			rc = perr(p, "labels without the closing '}'");
			goto out;
		}
		q++;
	}
	if (q == e || (*q != ' ' && *q != '\t')) {
		rc = perr(p, q == e ? "sample without a value" : "expected a blank before the value");
		goto out;
	}
	q = skip_blanks(q, e);
	const char *ve = token_end(q, e);
	double value;
	if (q == ve || parse_value(q, ve, &value) < 0) {
		rc = perr(p, "invalid sample value");
		goto out;
	}
	q = skip_blanks(ve, e);
	int64_t ts = 0;
	int has_ts = 0;
	if (q < e) {
		const char *te = token_end(q, e);
		if (parse_timestamp(q, te, &ts) < 0 || skip_blanks(te, e) != e) {
			rc = perr(p, "invalid timestamp (milliseconds, an integer) or text after it");
			goto out;
		}
		if (p->o && p->o->no_timestamps) {
			rc = perr(p, "sample with a timestamp (node_exporter's textfile collector refuses them)");
			goto out;
		}
		has_ts = 1;
		finding(p, p->line, "sample with a timestamp (node_exporter's textfile collector refuses the file)");
	}

	struct prom_family *f = family_of_sample(p, s, (size_t)(ne - s));
	struct fam_state *st = state_of(p, f);
	size_t fi = (size_t)(f - p->r->fam);
	if (p->last_fam && p->last_fam != fi + 1)
		state_of(p, &p->r->fam[p->last_fam - 1])->closed = 1;
	st = state_of(p, f); /* state_of may have moved the array */
	if (st->closed && !st->reported_ungrouped) {
		finding(p, p->line, "samples of %s are not grouped (also at line %zu)", f->name,
			st->last_sample);
		st->reported_ungrouped = 1;
	}
	p->last_fam = fi + 1;
	if (!st->first_sample)
		st->first_sample = p->line;
	st->last_sample = p->line;

	struct prom_label *labels = xreallocarray(NULL, nl ? nl : 1, sizeof(*labels));
	for (size_t i = 0; i < nl; i++)
		labels[i] = (struct prom_label){ p->scratch + off[2 * i], p->scratch + off[2 * i + 1] };
	char *name = xstrndup(s, (size_t)(ne - s));
	rc = add_sample(p->r, f, name, value, labels, nl, has_ts ? &ts : NULL, 0);
	if (rc == -EEXIST)
		rc = perr(p, "duplicate series %s (same name and labels as before)", name);
	else if (rc < 0)
		rc = perr(p, "invalid labels (label name reserved or repeated)");
	free(name);
	free(labels);
out:
	free(off);
	return rc;
}

static int parse_line(struct parser *p, const char *s, const char *e)
{
	s = skip_blanks(s, e);
	if (s == e)
		return 0;
	if (*s != '#')
		return parse_sample(p, s, e);
	s = skip_blanks(s + 1, e);
	const char *te = token_end(s, e);
	size_t n = (size_t)(te - s);
	int help = n == 4 && !strncmp(s, "HELP", 4), type = n == 4 && !strncmp(s, "TYPE", 4);
	if (!help && !type)
		return 0; /* a comment */
	if (te == e)
		return perr(p, "%s line without a metric name", help ? "HELP" : "TYPE");
	s = skip_blanks(te, e);
	return help ? parse_help(p, s, e) : parse_type(p, s, e);
}

/* what a file with each family's lines shows when it is done */
static void final_findings(struct parser *p)
{
	for (size_t i = 0; i < p->r->nfam && i < p->nst; i++) {
		const struct fam_state *st = &p->st[i];
		const struct prom_family *f = &p->r->fam[i];
		size_t line = st->type_line ? st->type_line : st->help_line ? st->help_line : st->first_sample;
		if (!line)
			continue;
		if (!st->help_line)
			finding(p, line, "%s has no HELP line", f->name);
		else if (f->help && !*f->help)
			finding(p, st->help_line, "%s has an empty HELP text", f->name);
		if (!st->type_line)
			finding(p, line, "%s has no TYPE line", f->name);
		const char *why = prom_name_convention(f->name, f->type);
		if (why)
			finding(p, line, "%s: %s", f->name, why);
	}
}

int prom_parse(struct prom_registry *r, const char *text, size_t len,
	       const struct prom_parse_opts *opts, struct prom_error *err)
{
	struct prom_error scratch_err;
	if (!err)
		err = &scratch_err;
	memset(err, 0, sizeof(*err));
	if (len > PROM_MAX_TEXT) {
		snprintf(err->why, sizeof(err->why), "larger than %u bytes", PROM_MAX_TEXT);
		return -EFBIG;
	}
	struct parser p = { .r = r, .o = opts, .err = err };
	const char *src = opts && opts->source ? opts->source : "-";
	r->sources = xreallocarray(r->sources, r->nsrc + 1, sizeof(*r->sources));
	p.source = r->sources[r->nsrc++] = xstrdup(src);

	int rc = 0;
	const char *s = text, *end = text + len;
	while (s < end) {
		const char *e = memchr(s, '\n', (size_t)(end - s));
		if (!e)
			e = end;
		p.line++;
		if (memchr(s, '\0', (size_t)(e - s))) {
			rc = perr(&p, "NUL byte");
			break;
		}
		rc = parse_line(&p, s, e);
		if (rc < 0)
			break;
		s = e + 1;
	}
	if (rc == 0)
		final_findings(&p);
	free(p.st);
	free(p.scratch);
	return rc;
}
