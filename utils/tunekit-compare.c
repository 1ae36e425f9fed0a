/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit-compare BEFORE AFTER: side-by-side medians, p95 and loss of two
 * saved reports (`nettune test --save`), with deltas. Installed in
 * /usr/libexec/tunekit, run as `nettune compare`.
 *
 * Reports are walked generically: every number whose key names a median,
 * p95, mean, loss or throughput is a row (thresholds named max_* are not);
 * differences under 2%, or under 0.1 ms for *_ms, are "same"; objects inside
 * arrays are labelled
 * by their identifying strings (target, method, server, ...), so rows of the
 * two reports match even when their order differs.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "json.h"
#include "jsonread.h"
#include "msg.h"
#include "xalloc.h"

#define REPORT_MAX (64u << 20)

struct row {
	char *label;
	char *metric;
	double before, after;
	int has_before, has_after;
};

struct table {
	struct row *v;
	size_t n, cap;
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

static struct row *find_row(struct table *t, const char *label, const char *metric)
{
	for (size_t i = 0; i < t->n; i++)
		if (!strcmp(t->v[i].label, label) && !strcmp(t->v[i].metric, metric))
			return &t->v[i];
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 32;
		t->v = xreallocarray(t->v, t->cap, sizeof(*t->v));
	}
	struct row *r = &t->v[t->n++];
	memset(r, 0, sizeof(*r));
	r->label = xstrdup(label);
	r->metric = xstrdup(metric);
	return r;
}

static char *element_label(const struct jv *e, size_t index)
{
	char *label = NULL;
	if (e->type == JV_OBJECT) {
		int has_target = jv_get_string(e, "target") || jv_get_string(e, "server");
		for (const char *const *k = id_keys; *k; k++) {
			const char *s = jv_get_string(e, *k);
			if (!s)
				continue;
			/* "target" or "server" already names the host and its address */
			if (has_target && (!strcmp(*k, "host") || !strcmp(*k, "address")))
				continue;
			char *next = label ? xasprintf("%s %s", label, s) : xstrdup(s);
			free(label);
			label = next;
		}
	}
	return label ? label : xasprintf("#%zu", index);
}

static void walk(const struct jv *v, const char *label, struct table *t, int after)
{
	if (v->type == JV_OBJECT) {
		for (size_t i = 0; i < v->n; i++) {
			const struct jv *c = &v->items[i];
			if (c->type == JV_NUMBER && is_metric(v->keys[i])) {
				struct row *r = find_row(t, label, v->keys[i]);
				if (after) {
					r->after = c->number;
					r->has_after = 1;
				} else {
					r->before = c->number;
					r->has_before = 1;
				}
			} else if (c->type == JV_OBJECT || c->type == JV_ARRAY) {
				char *sub = *label ? xasprintf("%s %s", label, v->keys[i]) : xstrdup(v->keys[i]);
				walk(c, sub, t, after);
				free(sub);
			}
		}
	} else if (v->type == JV_ARRAY) {
		for (size_t i = 0; i < v->n; i++) {
			char *id = element_label(&v->items[i], i);
			char *sub = *label ? xasprintf("%s %s", label, id) : xstrdup(id);
			walk(&v->items[i], sub, t, after);
			free(sub);
			free(id);
		}
	}
}

static void load(const char *path, struct jv *v)
{
	char *buf;
	size_t len;
	int rc = read_file(path, REPORT_MAX, &buf, &len);
	if (rc < 0)
		msg_die_errno(rc == -ENOENT ? TK_EXIT_USAGE : TK_EXIT_FAILURE, -rc, "%s", path);
	struct jv_error err;
	if (jv_parse(buf, len, v, &err) < 0)
		msg_die(TK_EXIT_USAGE, "%s: not a JSON report: %s at byte %zu", path, err.why, err.offset);
	if (v->type != JV_OBJECT)
		msg_die(TK_EXIT_USAGE, "%s: not a report (top level is not an object)", path);
	free(buf);
}

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n %s [--json] BEFORE AFTER\n\n"
	       "Compare two reports saved by 'nettune test --save': medians, p95, means,\n"
	       "loss and throughput side by side with their deltas.\n\n"
	       "Options:\n"
	       "     --json      one JSON object: {\"rows\":[{label, metric, before, after,\n"
	       "                 delta, delta_pct, verdict}]}\n"
	       " -h, --help      display this help\n"
	       " -V, --version   display version\n", msg_progname());
	exit(TK_EXIT_OK);
}

static const char *verdict(const struct row *r)
{
	if (!r->has_before || !r->has_after)
		return r->has_after ? "new" : "gone";
	double d = r->after - r->before;
	/* within 2%, or under 0.1 ms for latencies, is noise, not a verdict */
	size_t n = strlen(r->metric);
	int is_ms = n > 3 && !strcmp(r->metric + n - 3, "_ms");
	if (fabs(d) <= 0.02 * fabs(r->before) || fabs(d) < 1e-9 || (is_ms && fabs(d) < 0.1))
		return "same";
	return (d > 0) == (higher_is_better(r->metric) != 0) ? "better" : "worse";
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
	if (argc - optind != 2) {
		msg_warn("need two reports: BEFORE AFTER");
		usage_hint();
	}
	struct jv before, after;
	struct table t = { 0 };
	load(argv[optind], &before);
	load(argv[optind + 1], &after);
	walk(&before, "", &t, 0);
	walk(&after, "", &t, 1);
	if (t.n == 0)
		msg_die(TK_EXIT_USAGE, "no measurements (median, p95, loss...) in either report");

	if (json) {
		struct json j;
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_array_begin(&j, "rows");
		for (size_t i = 0; i < t.n; i++) {
			const struct row *r = &t.v[i];
			json_object_begin(&j, NULL);
			json_string(&j, "label", r->label);
			json_string(&j, "metric", r->metric);
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
			json_string(&j, "verdict", verdict(r));
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		putchar('\n');
	} else {
		size_t w = strlen("MEASUREMENT");
		for (size_t i = 0; i < t.n; i++) {
			size_t n = strlen(t.v[i].label) + 1 + strlen(t.v[i].metric);
			if (n > w)
				w = n;
		}
		printf("%-*s %12s %12s %12s %8s  %s\n", (int)w, "MEASUREMENT", "BEFORE", "AFTER", "DELTA", "DELTA%",
		       "VERDICT");
		for (size_t i = 0; i < t.n; i++) {
			const struct row *r = &t.v[i];
			char name[1024], b[32] = "-", a[32] = "-", d[32] = "-", p[32] = "-";
			snprintf(name, sizeof(name), "%s %s", r->label, r->metric);
			if (r->has_before)
				snprintf(b, sizeof(b), "%.3f", r->before);
			if (r->has_after)
				snprintf(a, sizeof(a), "%.3f", r->after);
			if (r->has_before && r->has_after) {
				snprintf(d, sizeof(d), "%+.3f", r->after - r->before);
				if (r->before != 0)
					snprintf(p, sizeof(p), "%+.1f%%", 100.0 * (r->after - r->before) / fabs(r->before));
			}
			printf("%-*s %12s %12s %12s %8s  %s\n", (int)w, name, b, a, d, p, verdict(r));
		}
	}
	for (size_t i = 0; i < t.n; i++) {
		free(t.v[i].label);
		free(t.v[i].metric);
	}
	free(t.v);
	jv_free(&before);
	jv_free(&after);
	return TK_EXIT_OK;
}
