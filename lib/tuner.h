/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * What nettune-buffers, nettune-cc and nettune-queues share: a list of
 * recommended sysctl values, each with how a live value is judged against
 * it, printed as sysctl.d lines, checked against the live system, or
 * applied through the transaction engine (txn.h).
 */
#ifndef TUNEKIT_TUNER_H
#define TUNEKIT_TUNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "txn.h"

/* Options every tuner takes (see TUNER_LONGOPTS and tuner_option()). */
struct tuner_common {
	int explain, json, dry_run;
	const char *prom; /* check --prom FILE ("-": stdout), NULL if not asked */
};

/* Long-option codes of the shared options; a tool's own codes start at TUNER_OPT_FIRST. */
enum { TUNER_OPT_ROOT = 0x100, TUNER_OPT_PROM, TUNER_OPT_FIRST };

/* The shared entries of a tool's longopts[] (short letters e j n q v). */
#define TUNER_LONGOPTS                                                  \
	{ "explain", no_argument, NULL, 'e' },                          \
	{ "json", no_argument, NULL, 'j' },                             \
	{ "prom", required_argument, NULL, TUNER_OPT_PROM },            \
	{ "dry-run", no_argument, NULL, 'n' },                          \
	{ "root", required_argument, NULL, TUNER_OPT_ROOT },            \
	{ "quiet", no_argument, NULL, 'q' },                            \
	{ "verbose", no_argument, NULL, 'v' }

/* Handle c if it is a shared option (-e -j --prom FILE -n --root -q -v): 1 if it was. */
int tuner_option(int c, const char *arg, struct tuner_common *tc);

enum tuner_command { TUNER_SHOW, TUNER_RECOMMEND, TUNER_APPLY, TUNER_CHECK, TUNER_EXTRA };

/*
 * The one command word after the options: show, recommend, apply, check, or
 * extra (a tool's own, e.g. "observe"; NULL for none). A missing, unknown or
 * second word, --prom outside check, or --json with --prom - (both on
 * stdout) is a usage error (exit 2).
 */
enum tuner_command tuner_command(int argc, char **argv, int optind, const char *extra,
				 const struct tuner_common *tc);


enum tuner_cmp {
	TUNER_EQUAL,    /* the live value must equal the recommendation */
	TUNER_AT_LEAST, /* each number of the live value must be >= ours */
};

struct tuner_rec {
	char *key;      /* canonical dot form */
	char *value;
	enum tuner_cmp cmp;
	char *why;      /* one line for --explain */
};

struct tuner_recs {
	struct tuner_rec *v;
	size_t n, cap;
};

enum tuner_format { TUNER_TEXT, TUNER_JSON };

/* Add or replace key's recommendation; value printf-style. */
void tuner_set(struct tuner_recs *r, const char *key, enum tuner_cmp cmp, const char *why,
	       const char *fmt, ...) __attribute__((__format__(__printf__, 5, 6)));
void tuner_free(struct tuner_recs *r);

/*
 * Drop the keys this system does not have (absent under the sysctl root,
 * e.g. netdev_budget inside a network namespace), saying so on stderr
 * unless quiet. Returns how many were dropped.
 */
size_t tuner_drop_absent(struct tuner_recs *r, int quiet);

/* "key = value" lines sorted by key: what sysctl -p - and nettune-backup apply - read. */
void tuner_print(const struct tuner_recs *r, FILE *out);
/* "# key = value: why" lines (for --explain, on stderr). */
void tuner_explain(const struct tuner_recs *r, FILE *out);

/* 1 when live meets rec (see enum tuner_cmp), 0 when it falls short. */
int tuner_meets(const struct tuner_rec *rec, const char *live);

struct prom_registry;

/*
 * Compare every recommendation with the live value, reading each key once.
 * Text: one line per key that falls short, "KEY: LIVE -> WANT" (or
 * "KEY: unreadable: why"), nothing for the keys that meet it (-v: "ok" on
 * stderr). JSON: one object. When prom is not NULL, also fills it with
 * tunekit_tuner_key_ok{tool,key} and tunekit_tuner_drift_keys{tool}
 * (gauges) from the same reading. out NULL: no text or JSON. Returns the
 * number of keys that fall short.
 */
size_t tuner_check(const struct tuner_recs *r, const char *tool, enum tuner_format fmt, FILE *out,
		   struct prom_registry *prom);

/* Read a key as up to n unsigned numbers; returns how many, or -errno. */
int tuner_read_u64s(const char *key, uint64_t *v, size_t n);
/* Read a key holding one unsigned number. 0 or -errno (-EINVAL: not a number). */
int tuner_read_u64(const char *key, uint64_t *v);

/*
 * Apply r through txn_apply (opts may carry an after_write step and a log
 * the tool already holds its own changes in). Keys that are read-only here
 * (network namespace) are left out with a warning. Text: the changes
 * ("key: old -> new") on stdout, "nothing to change" on stderr when nothing
 * changed (not with quiet), "undo with" only when a snapshot was taken.
 * json: one object on stdout (txn_json_report) and no text. Failures on
 * stderr. Returns the exit status for main().
 */
int tuner_apply(struct tuner_recs *r, struct txn_opts *opts, int quiet, int json,
		int (*explain_failure)(int rc, const struct txn_error *err));

/*
 * check as tc asks: text or --json on stdout, --prom FILE written
 * atomically through lib/prom (extra: families the tool filled already, or
 * NULL; "-": metrics on stdout instead of text). The exit status: 0, 3
 * (drift), 1 (the metrics file cannot be written).
 */
int tuner_check_status(const struct tuner_recs *r, const struct tuner_common *tc,
		       struct prom_registry *extra);

/*
 * The tuner skeleton: what each nettune-{buffers,cc,queues} decides, behind
 * callbacks; tuner_run does the rest the same way for all three (the
 * command words, quiet rules, --explain, recommend output, check with
 * --prom and its exit status, apply through the engine). ctl is the tool's
 * own state, passed back to every callback. NULL callbacks are skipped.
 */
struct tuner_ops {
	const char *name;          /* "nettune-queues": the snapshot note "NAME apply" */
	/* show, and the tool's own extra command (nettune-buffers observe) */
	int (*show)(void *ctl);
	int (*extra)(void *ctl);
	/* the recommendation for cmd; quiet: no notes on stderr (check, -q) */
	void (*recommend)(void *ctl, struct tuner_recs *recs, enum tuner_command cmd, int quiet);
	/* recommend, not quiet: advice after the lines (stderr) */
	void (*advise)(void *ctl, const struct tuner_recs *recs);
	/* check --prom: the tool's own families (or NULL) */
	struct prom_registry *(*check_metrics)(void *ctl);
	/* apply; NULL: tuner_apply with the note "NAME apply" */
	int (*apply)(void *ctl, struct tuner_recs *recs);
	/* a failed apply said in the tool's words: 1 when said, 0 for the default */
	int (*explain_failure)(int rc, const struct txn_error *err);
};

/* Run cmd (from tuner_command) for the tool; returns the exit status for main(). */
int tuner_run(const struct tuner_ops *ops, void *ctl, const struct tuner_common *tc, enum tuner_command cmd);

#endif
