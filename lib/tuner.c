/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "c.h"
#include "json.h"
#include "kvconf.h"
#include "msg.h"
#include "paths.h"
#include "prom.h"
#include "sysctl.h"
#include "tuner.h"
#include "xalloc.h"

static void rec_free(struct tuner_rec *e)
{
	free(e->key);
	free(e->value);
	free(e->why);
}

void tuner_set(struct tuner_recs *r, const char *key, enum tuner_cmp cmp, const char *why,
	       const char *fmt, ...)
{
	va_list ap;
	char *value;
	struct tuner_rec *e = NULL;

	va_start(ap, fmt);
	if (vasprintf(&value, fmt, ap) < 0)
		msg_die(TK_EXIT_FAILURE, "out of memory");
	va_end(ap);
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->v[i].key, key)) {
			e = &r->v[i];
			rec_free(e);
			break;
		}
	if (!e) {
		if (r->n == r->cap) {
			r->cap = r->cap ? r->cap * 2 : 8;
			r->v = xreallocarray(r->v, r->cap, sizeof(*r->v));
		}
		e = &r->v[r->n++];
	}
	e->key = xstrdup(key);
	e->value = value;
	e->cmp = cmp;
	e->why = xstrdup(why ? why : "");
}

void tuner_free(struct tuner_recs *r)
{
	for (size_t i = 0; i < r->n; i++)
		rec_free(&r->v[i]);
	free(r->v);
	memset(r, 0, sizeof(*r));
}

static void remove_at(struct tuner_recs *r, size_t i)
{
	rec_free(&r->v[i]);
	memmove(&r->v[i], &r->v[i + 1], (r->n - i - 1) * sizeof(*r->v));
	r->n--;
}

size_t tuner_drop_absent(struct tuner_recs *r, int quiet)
{
	size_t dropped = 0;
	for (size_t i = 0; i < r->n;) {
		if (sysctl_exists(r->v[i].key)) {
			i++;
			continue;
		}
		if (!quiet)
			msg_warn("%s does not exist here (kernel or network namespace): left out",
				 r->v[i].key);
		remove_at(r, i);
		dropped++;
	}
	return dropped;
}

static int cmp_rec(const void *a, const void *b)
{
	return strcmp(((const struct tuner_rec *)a)->key, ((const struct tuner_rec *)b)->key);
}

static void sort_recs(const struct tuner_recs *r)
{
	if (r->n > 1)
		qsort(r->v, r->n, sizeof(*r->v), cmp_rec);
}

void tuner_print(const struct tuner_recs *r, FILE *out)
{
	sort_recs(r);
	for (size_t i = 0; i < r->n; i++)
		fprintf(out, "%s = %s\n", r->v[i].key, r->v[i].value);
}

void tuner_explain(const struct tuner_recs *r, FILE *out)
{
	sort_recs(r);
	for (size_t i = 0; i < r->n; i++)
		fprintf(out, "# %s = %s: %s\n", r->v[i].key, r->v[i].value, r->v[i].why);
}

/* Parse up to n blank-separated unsigned numbers; count or -EINVAL. */
static int parse_u64s(const char *s, uint64_t *v, size_t n)
{
	size_t i = 0;
	const char *p = s;
	for (;;) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (!isdigit((unsigned char)*p) || i == n)
			return -EINVAL;
		uint64_t x = 0;
		while (isdigit((unsigned char)*p)) {
			unsigned d = (unsigned)(*p - '0');
			if (x > (UINT64_MAX - d) / 10)
				return -ERANGE;
			x = x * 10 + d;
			p++;
		}
		if (*p && !isspace((unsigned char)*p))
			return -EINVAL;
		v[i++] = x;
	}
	return (int)i;
}

int tuner_meets(const struct tuner_rec *rec, const char *live)
{
	if (rec->cmp == TUNER_EQUAL)
		return sysctl_value_equal(live, rec->value);
	uint64_t want[8], have[8];
	int nw = parse_u64s(rec->value, want, ARRAY_SIZE(want));
	int nh = parse_u64s(live, have, ARRAY_SIZE(have));
	if (nw <= 0 || nh != nw)
		return sysctl_value_equal(live, rec->value);
	for (int i = 0; i < nw; i++)
		if (have[i] < want[i])
			return 0;
	return 1;
}

#define KEY_OK "tunekit_tuner_key_ok"
#define DRIFT_KEYS "tunekit_tuner_drift_keys"

/* a sample of one of our own declared families: can only fail on memory */
static void prom_add_or_die(int rc)
{
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "metrics");
}

size_t tuner_check(const struct tuner_recs *r, const char *tool, enum tuner_format fmt, FILE *out,
		   struct prom_registry *prom)
{
	struct json w;
	size_t short_keys = 0;

	sort_recs(r);
	if (fmt == TUNER_JSON && out) {
		json_init(&w, out);
		json_object_begin(&w, NULL);
		json_string(&w, "tool", tool);
		json_array_begin(&w, "keys");
	}
	if (prom) {
		prom_add_or_die(prom_declare(prom, KEY_OK, PROM_GAUGE,
					     "1 when the live sysctl meets the recommendation"));
		prom_add_or_die(prom_declare(prom, DRIFT_KEYS, PROM_GAUGE, "keys whose live value falls short"));
	}
	for (size_t i = 0; i < r->n; i++) {
		const struct tuner_rec *e = &r->v[i];
		char *live = NULL;
		/* a key nobody can change here (rmem_max in a netns) is not drift */
		if (sysctl_key_read_only(e->key)) {
			msg_verbose("%s: read-only here, not checked", e->key);
			continue;
		}
		int rc = sysctl_read(e->key, &live);
		int ok = rc == 0 && tuner_meets(e, live);
		if (!ok)
			short_keys++;
		if (live)
			sysctl_value_normalize(live, live, strlen(live) + 1);
		if (prom)
			prom_add_or_die(prom_addl(prom, KEY_OK, ok, "tool", tool, "key", e->key, NULL));
		if (fmt == TUNER_TEXT && out) {
			/* silent when all is well, as a cron check should be */
			if (rc < 0)
				fprintf(out, "%s: unreadable: %s\n", e->key, strerror(-rc));
			else if (!ok)
				fprintf(out, "%s: %s -> %s\n", e->key, live, e->value);
			else
				msg_verbose("%s: ok (%s%s)", e->key, live,
					    e->cmp == TUNER_AT_LEAST && !sysctl_value_equal(live, e->value) ?
					    ", above the recommendation" : "");
		} else if (fmt == TUNER_JSON && out) {
			json_object_begin(&w, NULL);
			json_string(&w, "key", e->key);
			json_string(&w, "live", rc == 0 ? live : NULL);
			json_string(&w, "want", e->value);
			json_string(&w, "compare", e->cmp == TUNER_AT_LEAST ? "at_least" : "equal");
			json_bool(&w, "ok", ok);
			json_object_end(&w);
		}
		free(live);
	}
	if (fmt == TUNER_JSON && out) {
		json_array_end(&w);
		json_u64(&w, "drift", short_keys);
		json_bool(&w, "ok", short_keys == 0);
		json_object_end(&w);
	}
	if (prom)
		prom_add_or_die(prom_addl(prom, DRIFT_KEYS, (double)short_keys, "tool", tool, NULL));
	return short_keys;
}

int tuner_read_u64s(const char *key, uint64_t *v, size_t n)
{
	char *s;
	int rc = sysctl_read(key, &s);
	if (rc < 0)
		return rc;
	rc = parse_u64s(s, v, n);
	free(s);
	return rc;
}

int tuner_read_u64(const char *key, uint64_t *v)
{
	int rc = tuner_read_u64s(key, v, 1);
	if (rc < 0)
		return rc;
	return rc == 1 ? 0 : -EINVAL;
}

int tuner_apply(struct tuner_recs *r, struct txn_opts *opts, int quiet, int json,
		int (*explain_failure)(int rc, const struct txn_error *err))
{
	struct kv_list changes = { 0 };
	struct txn_changes own = { 0 };
	struct txn_error err;
	int rc;

	struct kv_list skipped = { 0 };
	sort_recs(r);
	for (size_t i = 0; i < r->n; i++)
		kv_list_set(&changes, r->v[i].key, r->v[i].value);
	/* read-only keys (a network namespace) are the engine's to leave out */
	opts->skip_read_only = 1;
	opts->skipped_keys = &skipped;
	memset(&err, 0, sizeof(err));
	if (!opts->log)
		opts->log = &own;
	opts->report = json ? NULL : stdout;
	if (changes.n || opts->after_write) {
		rc = txn_apply(&changes, opts, &err);
	} else {
		/* no key and no step of the tool's own: an empty list would be a bare snapshot */
		opts->snapshot_id[0] = '\0';
		opts->changed = 0;
		rc = 0;
	}
	kv_list_free(&changes);
	for (size_t i = 0; !quiet && i < skipped.n; i++)
		msg_warn("%s is read-only here (network namespace?): left out", skipped.v[i].key);
	kv_list_free(&skipped);
	opts->skipped_keys = NULL;
	if (rc < 0) {
		if (!explain_failure || !explain_failure(rc, &err))
			txn_error_print(&err, NULL);
		txn_changes_free(&own);
		return txn_exit_status(rc);
	}
	if (json)
		txn_json_report(stdout, opts);
	else if (!quiet && !opts->log->n)
		msg_info("nothing to change");
	else if (!quiet && !opts->dry_run && opts->snapshot_id[0])
		msg_info("%u key(s) changed; undo with: nettune-backup restore %s", opts->changed,
			 opts->snapshot_id);
	txn_changes_free(&own);
	if (opts->log == &own)
		opts->log = NULL;
	return TK_EXIT_OK;
}

int tuner_option(int c, const char *arg, struct tuner_common *tc)
{
	switch (c) {
	case 'e':
		tc->explain = 1;
		return 1;
	case 'j':
		tc->json = 1;
		return 1;
	case TUNER_OPT_PROM:
		if (!*arg) {
			msg_warn("--prom needs a FILE ('-': stdout)");
			usage_hint();
		}
		tc->prom = arg;
		return 1;
	case 'n':
		tc->dry_run = 1;
		return 1;
	case TUNER_OPT_ROOT:
		tk_set_root(arg);
		return 1;
	case 'q':
		msg_verbosity = -1;
		return 1;
	case 'v':
		msg_verbosity++;
		return 1;
	}
	return 0;
}

enum tuner_command tuner_command(int argc, char **argv, int optind, const char *extra,
				 const struct tuner_common *tc)
{
	static const char *const words[] = { "show", "recommend", "apply", "check" };
	if (optind != argc - 1) {
		msg_warn(optind == argc ? "no command given" : "too many arguments");
		usage_hint();
	}
	const char *cmd = argv[optind];
	enum tuner_command t = TUNER_EXTRA;
	size_t i;
	for (i = 0; i < ARRAY_SIZE(words); i++)
		if (!strcmp(cmd, words[i]))
			break;
	if (i < ARRAY_SIZE(words))
		t = (enum tuner_command)i;
	else if (!extra || strcmp(cmd, extra)) {
		msg_warn("unknown command '%s'", cmd);
		usage_hint();
	}
	if (tc->prom && t != TUNER_CHECK) {
		msg_warn("--prom is for check");
		usage_hint();
	}
	if (tc->prom && tc->json && !strcmp(tc->prom, "-")) {
		msg_warn("--json and --prom - both write to stdout: give --prom a FILE");
		usage_hint();
	}
	return t;
}

int tuner_check_status(const struct tuner_recs *r, const struct tuner_common *tc,
		       struct prom_registry *extra)
{
	struct prom_registry *prom = extra;
	int to_stdout = tc->prom && !strcmp(tc->prom, "-");
	if (tc->prom && !prom)
		prom = prom_new();
	/* one reading of every key gives the text, the JSON and the metrics */
	size_t drift = tuner_check(r, msg_progname(), tc->json ? TUNER_JSON : TUNER_TEXT,
				   to_stdout ? NULL : stdout, tc->prom ? prom : NULL);
	int status = drift ? TK_EXIT_DRIFT : TK_EXIT_OK;
	if (tc->prom) {
		int rc = to_stdout ? prom_render(prom, stdout) : prom_write_file(prom, tc->prom);
		if (rc < 0) {
			msg_warn_errno(-rc, "%s", to_stdout ? "stdout" : tc->prom);
			status = TK_EXIT_FAILURE;
		}
	}
	if (prom != extra)
		prom_free(prom);
	return status;
}

int tuner_run(const struct tuner_ops *ops, void *ctl, const struct tuner_common *tc, enum tuner_command cmd)
{
	if (cmd == TUNER_SHOW)
		return ops->show(ctl);
	if (cmd == TUNER_EXTRA)
		return ops->extra(ctl);

	struct tuner_recs recs = { 0 };
	/* a check is silent when all is well: its findings are the drift lines */
	int quiet = msg_verbosity < 0 || cmd == TUNER_CHECK, rc;
	ops->recommend(ctl, &recs, cmd, quiet);
	tuner_drop_absent(&recs, quiet);
	if (tc->explain)
		tuner_explain(&recs, stderr);
	if (cmd == TUNER_RECOMMEND) {
		tuner_print(&recs, stdout);
		if (!quiet && recs.n && ops->advise)
			ops->advise(ctl, &recs);
		rc = TK_EXIT_OK;
	} else if (cmd == TUNER_CHECK) {
		struct prom_registry *extra = tc->prom && ops->check_metrics ? ops->check_metrics(ctl) : NULL;
		rc = tuner_check_status(&recs, tc, extra);
		prom_free(extra);
	} else if (ops->apply) {
		rc = ops->apply(ctl, &recs);
	} else {
		char *note = xasprintf("%s apply", ops->name);
		struct txn_opts opts = { .dry_run = tc->dry_run, .note = note };
		rc = tuner_apply(&recs, &opts, msg_verbosity < 0, tc->json, ops->explain_failure);
		free(note);
	}
	tuner_free(&recs);
	return rc;
}
