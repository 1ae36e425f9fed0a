/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-compare BEFORE AFTER: side-by-side medians, p95 and loss of two
 * saved reports (`nettune test --save`), with deltas. With one report of
 * `nettune optimize --verify --save`: its baseline against its candidate. Installed in
 * /usr/libexec/tunekit, run as `nettune compare`.
 *
 * Reports are walked generically: every number whose key names a median,
 * p95, mean, loss or throughput is a row (thresholds named max_* are not);
 * differences under 2%, or under 0.1 ms for *_ms, are "same"; objects inside
 * arrays are labelled
 * by their identifying strings (target, method, server, ...), so rows of the
 * two reports match even when their order differs.
 *
 * Reports are untrusted: at most REPORT_MAX bytes, memory linear in their
 * size, rows matched through a hash table, and every name printed escaped.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "json.h"
#include "jsonread.h"
#include "msg.h"
#include "strhash.h"
#include "xalloc.h"

/*
 * Reports are a few KB; the cap bounds the memory a hostile report can take
 * (the parsed tree costs at most about 20 times its text).
 */
#define REPORT_MAX (4u << 20)
/* Longest measurement name shown (label and metric); longer ones end in "...". */
#define NAME_SHOWN_MAX 1024

/*
 * A label is a path of parts (object keys, array elements' identifying
 * strings), interned once: node (parent, part) -> id, so every row of a
 * deeply nested report shares its ancestors' parts instead of copying them,
 * and rows of both reports match by (label id, metric id) through a hash
 * table. Only the paths that lead to a measurement are interned; metric
 * names are interned the same way, under the parent METRIC_NAME.
 */
#define METRIC_NAME SIZE_MAX
struct label {
	size_t parent; /* id of the parent label, 0 for the root */
	char *part;
	uint64_t hash;
};

struct row {
	size_t label;  /* label id */
	size_t metric; /* label id of the metric's name (parent METRIC_NAME) */
	uint64_t hash;
	double before, after;
	int has_before, has_after;
};

/* An open-addressing index of ids (1-based; 0 is an empty slot). */
struct index {
	size_t *slot;
	size_t nslot;
};

struct table {
	struct label *labels; /* labels[0] is the root (empty) label */
	size_t nlabels, labels_cap;
	struct index label_index;
	struct row *v;
	size_t n, cap;
	struct index row_index;
};

static const char *const id_keys[] = { "target", "host", "server", "address", "method",
				       "name", "interface", "proto", "id", NULL };

static int is_metric(const char *key)
{
	/* max_loss_pct, max_ms...: thresholds the run was given, not measurements */
	if (!strncmp(key, "max_", 4))
		return 0;
	static const char *const words[] = { "median", "p50", "p95", "mean", "loss", "bits_per_second",
					     "bps", "mbit", "throughput", NULL };
	for (const char *const *w = words; *w; w++)
		if (strstr(key, *w))
			return 1;
	return 0;
}

/* Higher is better for throughput, lower for everything else. */
static int higher_is_better(const char *metric)
{
	return strstr(metric, "bits_per_second") || strstr(metric, "bps") || strstr(metric, "mbit") ||
	       strstr(metric, "throughput");
}

/* Mixes a parent or label id into a string's hash. */
static uint64_t with_id(uint64_t hash, size_t id)
{
	return hash ^ ((uint64_t)id * 0x9e3779b97f4a7c15ULL);
}

/* Grow idx to hold count + 1 ids at most half full; rehash with hash_of(id). */
static void index_reserve(struct index *idx, size_t count, const struct table *t,
			  uint64_t (*hash_of)(const struct table *, size_t))
{
	if (2 * (count + 1) <= idx->nslot)
		return;
	size_t nslot = idx->nslot ? idx->nslot * 2 : 64;
	while (nslot < 2 * (count + 1))
		nslot *= 2;
	free(idx->slot);
	idx->slot = xcalloc(nslot, sizeof(*idx->slot));
	idx->nslot = nslot;
	for (size_t id = 1; id <= count; id++) {
		size_t i = (size_t)hash_of(t, id) & (nslot - 1);
		while (idx->slot[i])
			i = (i + 1) & (nslot - 1);
		idx->slot[i] = id;
	}
}

static uint64_t label_hash(const struct table *t, size_t id)
{
	return t->labels[id].hash;
}

static uint64_t row_hash(const struct table *t, size_t id)
{
	return t->v[id - 1].hash;
}

/* The id of label parent + part, made when new. */
static size_t intern_label(struct table *t, size_t parent, const char *part)
{
	uint64_t h = with_id(strhash(part, strlen(part)), parent);
	index_reserve(&t->label_index, t->nlabels - 1, t, label_hash);
	size_t mask = t->label_index.nslot - 1, i = (size_t)h & mask, id;
	while ((id = t->label_index.slot[i]) != 0) {
		const struct label *l = &t->labels[id];
		if (l->hash == h && l->parent == parent && !strcmp(l->part, part))
			return id;
		i = (i + 1) & mask;
	}
	if (t->nlabels == t->labels_cap) {
		t->labels_cap *= 2;
		t->labels = xreallocarray(t->labels, t->labels_cap, sizeof(*t->labels));
	}
	id = t->nlabels++;
	t->labels[id] = (struct label){ parent, xstrdup(part), h };
	t->label_index.slot[i] = id;
	return id;
}

static struct row *find_row(struct table *t, size_t label, size_t metric)
{
	size_t ids[2] = { label, metric };
	uint64_t h = strhash(ids, sizeof(ids));
	index_reserve(&t->row_index, t->n, t, row_hash);
	size_t mask = t->row_index.nslot - 1, i = (size_t)h & mask, id;
	while ((id = t->row_index.slot[i]) != 0) {
		struct row *r = &t->v[id - 1];
		if (r->label == label && r->metric == metric)
			return r;
		i = (i + 1) & mask;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	struct row *r = &t->v[t->n++];
	memset(r, 0, sizeof(*r));
	r->label = label;
	r->metric = metric;
	r->hash = h;
	t->row_index.slot[i] = t->n;
	return r;
}

/* Where the walk is: a chain on the stack, interned when a row needs it. */
struct path {
	struct path *up; /* NULL at the top of the report */
	const char *part;
	size_t id;       /* label id once interned, else 0 */
};

static size_t path_id(struct table *t, struct path *p)
{
	if (!p->up)
		return 0;
	if (!p->id)
		p->id = intern_label(t, path_id(t, p->up), p->part);
	return p->id;
}

static char *element_label(const struct jv *e, size_t index)
{
	char *label = NULL;
	size_t len = 0;
	if (e->type == JV_OBJECT) {
		int has_target = jv_get_string(e, "target") || jv_get_string(e, "server");
		for (const char *const *k = id_keys; *k; k++) {
			const char *s = jv_get_string(e, *k);
			if (!s)
				continue;
			/* "target" or "server" already names the host and its address */
			if (has_target && (!strcmp(*k, "host") || !strcmp(*k, "address")))
				continue;
			size_t n = strlen(s);
			label = xreallocarray(label, len + n + 2, 1);
			if (len)
				label[len++] = ' ';
			memcpy(label + len, s, n + 1);
			len += n;
		}
	}
	return label ? label : xasprintf("#%zu", index);
}

static int is_container(const struct jv *v)
{
	return v->type == JV_OBJECT || v->type == JV_ARRAY;
}

static void walk(const struct jv *v, struct path *here, struct table *t, int after)
{
	if (v->type == JV_OBJECT) {
		for (size_t i = 0; i < v->n; i++) {
			const struct jv *c = &v->items[i];
			if (c->type == JV_NUMBER && is_metric(v->keys[i])) {
				struct row *r = find_row(t, path_id(t, here), intern_label(t, METRIC_NAME, v->keys[i]));
				if (after) {
					r->after = c->number;
					r->has_after = 1;
				} else {
					r->before = c->number;
					r->has_before = 1;
				}
			} else if (is_container(c)) {
				struct path sub = { here, v->keys[i], 0 };
				walk(c, &sub, t, after);
			}
		}
	} else if (v->type == JV_ARRAY) {
		for (size_t i = 0; i < v->n; i++) {
			if (!is_container(&v->items[i]))
				continue;
			char *id = element_label(&v->items[i], i);
			struct path sub = { here, id, 0 };
			walk(&v->items[i], &sub, t, after);
			free(id);
		}
	}
}

/* A name being built for display, at most NAME_SHOWN_MAX bytes and "...". */
struct shown {
	char text[NAME_SHOWN_MAX + 4];
	size_t len;
	int cut;
};

/*
 * Append s as text safe for a terminal: C-style escapes for control
 * characters (ESC is \x1b, newline \n), DEL, backslash, the C1 controls
 * U+0080..U+009F and bytes that are not UTF-8; other text as it is. For
 * JSON (raw), only C1 controls change (to U+FFFD): the JSON writer escapes
 * the rest.
 */
static void show(struct shown *o, const char *str, int raw)
{
	const unsigned char *s = (const unsigned char *)str;
	size_t n = strlen(str);
	for (size_t i = 0; i < n && !o->cut;) {
		unsigned char c = s[i];
		char esc[8];
		const char *out = esc;
		size_t len = 1, used = 1;
		if (c >= 0x80) {
			used = utf8_seq_len(s + i, n - i);
			if (used == 2 && c == 0xc2 && s[i + 1] < 0xa0) {
				if (raw)
					out = "\xef\xbf\xbd", len = 3;
				else
					len = (size_t)snprintf(esc, sizeof(esc), "\\u%04x", s[i + 1]);
			} else if (used) {
				out = (const char *)s + i, len = used;
			} else if (raw) {
				used = 1; /* the JSON writer turns it into U+FFFD */
				out = (const char *)s + i;
			} else {
				used = 1;
				len = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
			}
		} else if (raw || (c >= 0x20 && c != 0x7f && c != '\\')) {
			out = (const char *)s + i;
		} else if (c == '\\' || c == '\n' || c == '\t' || c == '\r') {
			esc[0] = '\\';
			esc[1] = c == '\\' ? '\\' : c == '\n' ? 'n' : c == '\t' ? 't' : 'r';
			len = 2;
		} else {
			len = (size_t)snprintf(esc, sizeof(esc), "\\x%02x", c);
		}
		if (o->len + len > NAME_SHOWN_MAX) {
			memcpy(o->text + o->len, "...", 3);
			o->len += 3;
			o->cut = 1;
			break;
		}
		memcpy(o->text + o->len, out, len);
		o->len += len;
		i += used;
	}
	o->text[o->len] = '\0';
}

/* The label of a row, root first, then (with metric) its metric. */
static void row_name(const struct table *t, const struct row *r, int with_metric, int raw,
		     struct shown *o)
{
	size_t chain[JV_MAX_DEPTH + 2], depth = 0;
	o->len = 0;
	o->cut = 0;
	o->text[0] = '\0';
	for (size_t id = r->label; id && depth < ARRAY_SIZE(chain); id = t->labels[id].parent)
		chain[depth++] = id;
	while (depth--) {
		show(o, t->labels[chain[depth]].part, raw);
		if (depth || with_metric)
			show(o, " ", raw);
	}
	if (with_metric)
		show(o, t->labels[r->metric].part, raw);
}

static void load(const char *path, struct jv *v)
{
	char *buf;
	size_t len;
	int rc = read_file(path, REPORT_MAX, &buf, &len);
	if (rc == -EFBIG)
		msg_die(TK_EXIT_USAGE, "%s: not a report: larger than %u MiB", path, REPORT_MAX >> 20);
	if (rc < 0)
		msg_die_errno(rc == -ENOENT ? TK_EXIT_USAGE : TK_EXIT_FAILURE, -rc, "%s", path);
	struct jv_error err;
	rc = jv_parse(buf, len, v, &err);
	free(buf);
	if (rc < 0)
		msg_die(TK_EXIT_USAGE, "%s: not a JSON report: %s at byte %zu", path, err.why, err.offset);
	if (v->type != JV_OBJECT)
		msg_die(TK_EXIT_USAGE, "%s: not a report (top level is not an object)", path);
}

/* Rows of one report into t; its tree is freed before the next one is read. */
static void add_report(const char *path, struct table *t, int after)
{
	struct jv v;
	struct path top = { NULL, "", 0 };
	load(path, &v);
	walk(&v, &top, t, after);
	jv_free(&v);
}

/*
 * One report of `nettune optimize --verify`: its pooled baseline rounds are
 * BEFORE, its candidate rounds AFTER.
 */
static void add_verify_report(const char *path, struct table *t)
{
	struct jv v;
	load(path, &v);
	const struct jv *sides[2] = { jv_get(&v, "baseline"), jv_get(&v, "candidate") };
	if (!jv_get(&v, "verify") || !sides[0] || !sides[1] || sides[0]->type != JV_OBJECT ||
	    sides[1]->type != JV_OBJECT)
		msg_die(TK_EXIT_USAGE, "%s: not a report of 'nettune optimize --verify' (no verify, baseline and "
			"candidate objects); compare two reports: BEFORE AFTER", path);
	for (int after = 0; after < 2; after++) {
		struct path top = { NULL, "", 0 };
		walk(sides[after], &top, t, after);
	}
	jv_free(&v);
}

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n %s [--json] BEFORE AFTER\n %s [--json] VERIFY-REPORT\n\n"
	       "Compare two reports saved by 'nettune test --save': medians, p95, means,\n"
	       "loss and throughput side by side with their deltas. One report saved by\n"
	       "'nettune optimize --verify --save': its baseline against its candidate.\n"
	       "Reports of up to 4 MiB are read; control characters in names are shown\n"
	       "escaped (\\x1b).\n\n"
	       "Options:\n"
	       "     --json      one JSON object: {\"rows\":[{label, metric, before, after,\n"
	       "                 delta, delta_pct, verdict}]}\n"
	       " -h, --help      display this help\n"
	       " -V, --version   display version\n", msg_progname(), msg_progname());
	exit(TK_EXIT_OK);
}

static const char *verdict(const struct table *t, const struct row *r)
{
	const char *metric = t->labels[r->metric].part;
	if (!r->has_before || !r->has_after)
		return r->has_after ? "new" : "gone";
	double d = r->after - r->before;
	/* within 2%, or under 0.1 ms for latencies, is noise, not a verdict */
	size_t n = strlen(metric);
	int is_ms = n > 3 && !strcmp(metric + n - 3, "_ms");
	if (fabs(d) <= 0.02 * fabs(r->before) || fabs(d) < 1e-9 || (is_ms && fabs(d) < 0.1))
		return "same";
	return (d > 0) == (higher_is_better(metric) != 0) ? "better" : "worse";
}

int main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int json = 0, c;
	msg_init(argv[0]);
	close_stdout_atexit();
	while ((c = getopt_long(argc, argv, "hV", longopts, NULL)) != -1) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	if (argc - optind != 2 && argc - optind != 1) {
		msg_warn("need two reports (BEFORE AFTER) or one report of 'nettune optimize --verify'");
		usage_hint();
	}
	struct table t = { 0 };
	t.labels_cap = 64;
	t.labels = xreallocarray(NULL, t.labels_cap, sizeof(*t.labels));
	t.labels[0] = (struct label){ 0, xstrdup(""), 0 };
	t.nlabels = 1;
	if (argc - optind == 1) {
		add_verify_report(argv[optind], &t);
	} else {
		add_report(argv[optind], &t, 0);
		add_report(argv[optind + 1], &t, 1);
	}
	if (t.n == 0)
		msg_die(TK_EXIT_USAGE, "no measurements (median, p95, loss...) in either report");

	struct shown *name = xmalloc(sizeof(*name));
	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_array_begin(&j, "rows");
		for (size_t i = 0; i < t.n; i++) {
			const struct row *r = &t.v[i];
			json_object_begin(&j, NULL);
			row_name(&t, r, 0, 1, name);
			json_string(&j, "label", name->text);
			name->len = 0;
			name->cut = 0;
			show(name, t.labels[r->metric].part, 1);
			json_string(&j, "metric", name->text);
			if (r->has_before)
				json_double(&j, "before", r->before, 3);
			else
				json_null(&j, "before");
			if (r->has_after)
				json_double(&j, "after", r->after, 3);
			else
				json_null(&j, "after");
			if (r->has_before && r->has_after) {
				json_double(&j, "delta", r->after - r->before, 3);
				if (r->before != 0)
					json_double(&j, "delta_pct", 100.0 * (r->after - r->before) / fabs(r->before), 1);
				else
					json_null(&j, "delta_pct");
			}
			json_string(&j, "verdict", verdict(&t, r));
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		putchar('\n');
	} else {
		size_t w = strlen("MEASUREMENT");
		for (size_t i = 0; i < t.n; i++) {
			row_name(&t, &t.v[i], 1, 0, name);
			if (name->len > w)
				w = name->len;
		}
		printf("%-*s %12s %12s %12s %8s  %s\n", (int)w, "MEASUREMENT", "BEFORE", "AFTER", "DELTA", "DELTA%",
		       "VERDICT");
		for (size_t i = 0; i < t.n; i++) {
			const struct row *r = &t.v[i];
			char b[32] = "-", a[32] = "-", d[32] = "-", p[32] = "-";
			row_name(&t, r, 1, 0, name);
			if (r->has_before)
				snprintf(b, sizeof(b), "%.3f", r->before);
			if (r->has_after)
				snprintf(a, sizeof(a), "%.3f", r->after);
			if (r->has_before && r->has_after) {
				snprintf(d, sizeof(d), "%+.3f", r->after - r->before);
				if (r->before != 0)
					snprintf(p, sizeof(p), "%+.1f%%", 100.0 * (r->after - r->before) / fabs(r->before));
			}
			printf("%-*s %12s %12s %12s %8s  %s\n", (int)w, name->text, b, a, d, p, verdict(&t, r));
		}
	}
	free(name);
	for (size_t i = 0; i < t.nlabels; i++)
		free(t.labels[i].part);
	free(t.v);
	free(t.labels);
	free(t.row_index.slot);
	free(t.label_index.slot);
	return TK_EXIT_OK;
}
