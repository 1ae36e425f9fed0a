/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * nettune-backup: the command-line face of the safe-change engine.
 * save, list, show, diff, restore, apply, check, prune.
 */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "hoststack.h"
#include "json.h"
#include "kvconf.h"
#include "msg.h"
#include "nicval.h"
#include "optval.h"
#include "paths.h"
#include "prom.h"
#include "snapshot.h"
#include "sysctl.h"
#include "sysctld.h"
#include "sysfsval.h"
#include "txn.h"
#include "xalloc.h"

#define INPUT_MAX (16u << 20)
#define MAX_PREFIXES 32

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %1$s save [-m NOTE]        snapshot net.* keys and managed files\n"
	       " %1$s list [--json] [--verify]  list snapshots, newest last (--verify: check each)\n"
	       " %1$s show ID               print a snapshot as sysctl.d lines\n"
	       " %1$s diff [ID]             live values against a snapshot (default newest)\n"
	       " %1$s restore [ID] [-n]     go back to a snapshot (default: undo the last change)\n"
	       " %1$s apply [FILE|-] [-n]   apply sysctl.d lines transactionally\n"
	       " %1$s check [--prom FILE]   live values and the boot-time sysctl.d files\n"
	       "                            against the persisted file; silent when all is well\n"
	       " %1$s prune [--keep N] [--keep-days D]  remove old snapshots (default: tunekit.conf's\n"
	       "                            keep and keep_days, else keep = %2$d); the oldest\n"
	       "                            and the next N undo steps always stay\n",
	       msg_progname(), SNAPSHOT_KEEP_DEFAULT);
	printf("\nOptions:\n"
	       " -m, --note NOTE          note stored with the snapshot (save)\n"
	       " -n, --dry-run            show what would change, change nothing\n"
	       "     --allow-prefix P     allow keys under P besides net. (apply, restore; repeatable)\n"
	       "     --skip-read-only     skip keys that are read-only here (apply)\n"
	       "     --json               JSON output (list, apply)\n"
	       "     --prom FILE          write node_exporter textfile metrics atomically\n"
	       "                            (check; '-': on stdout instead of the text)\n"
	       "     --keep N             undo steps and newest snapshots to keep (prune)\n"
	       "     --keep-days D        also keep snapshots younger than D days (prune)\n"
	       "     --verify             load and check every snapshot (list)\n"
	       "     --root DIR           manage files under DIR (env TUNEKIT_ROOT)\n"
	       " -q, --quiet              only errors on stderr\n"
	       " -v, --verbose            say more\n"
	       " -h, --help               display this help\n"
	       " -V, --version            display version\n");
	printf("\nExit status: 0 ok, 1 failure, 2 invalid input, 3 drift or difference found.\n");
	printf("Snapshots: %s, persisted keys: %s (secret keys: %s, mode 0600).\n", TK_SNAPSHOT_DIR,
	       TK_SYSCTL_CONF, TK_SYSCTL_PRIVATE_CONF);
	printf("Lock: %s; waits at most TUNEKIT_LOCK_TIMEOUT seconds (default 30).\n", TK_LOCK_FILE);
	exit(TK_EXIT_OK);
}

struct options {
	const char *note;
	int dry_run;
	int json;
	const char *prom;
	long keep;
	long keep_days;
	int verify;
	const char *prefixes[MAX_PREFIXES + 2];
	size_t nprefixes;
	int skip_read_only;
};

static void format_time(time_t t, char *buf, size_t len)
{
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A store error: an untrusted store is refused by name (exit 2), others exit 1. */
static void __attribute__((__noreturn__)) store_die(int rc, const struct snapshot_problem *p)
{
	if (rc == -EPERM && p->why)
		msg_die(TK_EXIT_USAGE, "refusing the snapshot store: %s %s", p->what, p->why);
	if (rc == -EACCES)
		msg_die(TK_EXIT_FAILURE, "%s%s: %s (the snapshot store is readable by root only)", tk_root(),
			TK_SNAPSHOT_DIR, strerror(-rc));
	msg_die_errno(TK_EXIT_FAILURE, -rc, "%s%s", tk_root(), TK_SNAPSHOT_DIR);
}

/* Resolve an optional ID argument to a snapshot ID (newest by default). */
static void pick_id(const char *arg, char *id, size_t len)
{
	if (arg) {
		if (!snapshot_id_valid(arg))
			msg_die(TK_EXIT_USAGE, "%s: not a snapshot ID (see '%s list')", arg, msg_progname());
		snprintf(id, len, "%s", arg);
		return;
	}
	struct snapshot_problem p = { "", NULL };
	struct snapshot_info *v;
	size_t n;
	int rc = snapshot_list(&v, &n, 0, &p);
	if (rc < 0)
		store_die(rc, &p);
	if (n == 0)
		msg_die(TK_EXIT_FAILURE, "no snapshots in %s%s", tk_root(), TK_SNAPSHOT_DIR);
	snprintf(id, len, "%s", v[n - 1].id);
	snapshot_info_free(v, n);
}

/*
 * The default for restore: undo the last change not undone yet. Newest
 * first, "before restore of X" snapshots are skipped and so is every X they
 * name, so repeated restores walk back through the changes instead of
 * flipping between the last two states.
 */
static void pick_undo_id(char *id, size_t len)
{
	static const char prefix[] = "before restore of ";
	struct snapshot_info *v;
	struct snapshot_problem p = { "", NULL };
	size_t n;
	int rc = snapshot_list(&v, &n, 0, &p);
	if (rc < 0)
		store_die(rc, &p);
	if (n == 0)
		msg_die(TK_EXIT_FAILURE, "no snapshots in %s%s", tk_root(), TK_SNAPSHOT_DIR);
	char **undone = xcalloc(n, sizeof(*undone));
	size_t nundone = 0;
	const char *pick = NULL;
	for (size_t i = n; i-- > 0 && !pick;) {
		if (!strncmp(v[i].note, prefix, sizeof(prefix) - 1)) {
			undone[nundone++] = v[i].note + sizeof(prefix) - 1;
			continue;
		}
		int seen = 0;
		for (size_t k = 0; k < nundone && !seen; k++)
			seen = !strcmp(undone[k], v[i].id);
		if (!seen)
			pick = v[i].id;
	}
	if (!pick)
		msg_die(TK_EXIT_FAILURE, "every change is undone already; name a snapshot to restore (see '%s list')",
			msg_progname());
	snprintf(id, len, "%s", pick);
	free(undone);
	snapshot_info_free(v, n);
}

static void load_or_die(const char *id, struct snapshot *s)
{
	struct snapshot_problem p = { "", NULL };
	int rc = snapshot_load(id, s, &p);
	if (rc == -ENOENT)
		msg_die(TK_EXIT_USAGE, "%s: no such snapshot", id);
	if (rc == -EPERM && p.why) /* whoever could write it could have forged it */
		msg_die(TK_EXIT_USAGE, "%s: refusing the snapshot: %s %s; nothing changed", id, p.what, p.why);
	if (rc == -EBADMSG)
		msg_die(TK_EXIT_FAILURE, "%s: snapshot is corrupt (checksum or format mismatch%s%s%s%s); refusing to use it",
			id, p.why ? ": " : "", p.why ? p.what : "", p.why ? " " : "", p.why ? p.why : "");
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s: cannot read snapshot", id);
}

static int cmd_save(const struct options *o)
{
	struct txn_opts topts = { 0 };
	struct txn_error err;
	struct kv_list none = { 0 };
	/* a snapshot is a transaction that changes nothing */
	topts.note = o->note ? o->note : "manual save";
	topts.no_persist = 1;
	int rc = txn_apply(&none, &topts, &err);
	if (rc) {
		txn_error_print(&err, NULL);
		return txn_exit_status(rc);
	}
	printf("%s\n", topts.snapshot_id);
	return TK_EXIT_OK;
}

static int cmd_list(const struct options *o)
{
	struct snapshot_info *v;
	struct snapshot_problem p = { "", NULL };
	size_t n;
	int rc = snapshot_list(&v, &n, o->verify ? SNAPSHOT_LIST_VERIFY : 0, &p);
	if (rc < 0)
		store_die(rc, &p);
	char when[32];
	if (o->json) {
		struct json j;
		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_array_begin(&j, "snapshots");
		for (size_t i = 0; i < n; i++) {
			format_time(v[i].time, when, sizeof(when));
			json_object_begin(&j, NULL);
			json_string(&j, "id", v[i].id);
			json_string(&j, "time", when);
			json_i64(&j, "epoch", (int64_t)v[i].time);
			json_string(&j, "note", v[i].note);
			json_u64(&j, "keys", v[i].nkeys);
			if (v[i].valid < 0)
				json_null(&j, "valid"); /* not checked: list --verify */
			else
				json_bool(&j, "valid", v[i].valid);
			json_u64(&j, "seq", v[i].seq);
			json_object_end(&j);
		}
		json_array_end(&j);
		json_object_end(&j);
		putchar('\n');
	} else {
		for (size_t i = 0; i < n; i++) {
			format_time(v[i].time, when, sizeof(when));
			printf("%s  %s  %5zu  %s%s\n", v[i].id, when, v[i].nkeys, v[i].note,
			       v[i].valid == 0 ? " [CORRUPT]" : "");
		}
	}
	snapshot_info_free(v, n);
	return TK_EXIT_OK;
}

static const char *file_state(const struct snapshot_file *f, char *buf, size_t len)
{
	switch (f->type) {
	case SF_ABSENT:
		return "absent";
	case SF_SYMLINK:
		snprintf(buf, len, "symlink to %s", f->data);
		return buf;
	default:
		snprintf(buf, len, "%zu bytes, mode %04o", f->len, (unsigned)f->mode);
		return buf;
	}
}

static int cmd_show(const char *id)
{
	struct snapshot s;
	load_or_die(id, &s);
	char when[32], state[4200];
	format_time(s.time, when, sizeof(when));
	printf("# tunekit snapshot %s, %s, %s\n", s.id, when, s.note);
	kvconf_print(stdout, &s.keys);
	for (size_t i = 0; i < s.nfiles; i++)
		printf("# file %s: %s\n", s.files[i].path, file_state(&s.files[i], state, sizeof(state)));
	snapshot_free(&s);
	return TK_EXIT_OK;
}

static int cmd_diff(const char *arg)
{
	char id[SNAPSHOT_ID_MAX];
	struct snapshot s;
	int differ = 0;
	pick_id(arg, id, sizeof(id));
	load_or_die(id, &s);
	for (size_t i = 0; i < s.keys.n; i++) {
		char *live;
		if (sysctl_read(s.keys.v[i].key, &live) < 0) {
			printf("%s: %s -> (absent)\n", s.keys.v[i].key, s.keys.v[i].value);
			differ = 1;
			continue;
		}
		if (!sysctl_value_equal(live, s.keys.v[i].value)) {
			printf("%s: %s -> %s\n", s.keys.v[i].key, s.keys.v[i].value, live);
			differ = 1;
		}
		free(live);
	}
	for (size_t i = 0; i < s.nfiles; i++) {
		if (snapshot_file_matches(&s.files[i]))
			continue;
		struct snapshot_file live;
		char a[4200], b[4200];
		if (snapshot_file_capture(s.files[i].path, &live) == 0) {
			printf("%s: %s -> %s\n", s.files[i].path, file_state(&s.files[i], a, sizeof(a)),
			       file_state(&live, b, sizeof(b)));
			free(live.path);
			free(live.data);
		} else {
			printf("%s: %s -> (unreadable)\n", s.files[i].path, file_state(&s.files[i], a, sizeof(a)));
		}
		differ = 1;
	}
	snapshot_free(&s);
	return differ ? TK_EXIT_DRIFT : TK_EXIT_OK;
}

/* The key policy of apply and restore: net. plus every --allow-prefix. */
static const char *const *allowed_prefixes(const struct options *o, const char **prefixes)
{
	if (!o->nprefixes)
		return NULL; /* sysctl_default_prefixes */
	size_t k = 0;
	for (const char *const *d = sysctl_default_prefixes; *d; d++)
		prefixes[k++] = *d;
	for (size_t i = 0; i < o->nprefixes; i++)
		prefixes[k++] = o->prefixes[i];
	prefixes[k] = NULL;
	return prefixes;
}

static int cmd_restore(const char *arg, const struct options *o)
{
	const char *prefixes[MAX_PREFIXES + 2];
	char id[SNAPSHOT_ID_MAX];
	struct snapshot s;
	struct txn_opts topts = { 0 };
	struct txn_error err;
	if (arg)
		pick_id(arg, id, sizeof(id));
	else
		pick_undo_id(id, sizeof(id));
	load_or_die(id, &s);
	topts.dry_run = o->dry_run;
	topts.report = stdout;
	topts.allow_prefixes = allowed_prefixes(o, prefixes);
	int rc = txn_restore(&s, &topts, &err);
	if (rc) {
		txn_error_print(&err, rc == -EINVAL ? id : NULL);
		if (rc == -EINVAL)
			msg_warn("%s: snapshot refused: it reaches beyond what apply may change; nothing changed", id);
		snapshot_free(&s);
		return txn_exit_status(rc);
	}
	if (topts.skipped)
		msg_verbose("%u keys of the snapshot do not exist or are read-only here; skipped", topts.skipped);
	if (!o->dry_run)
		msg_info("restored %s; the state before was saved as %s", id, topts.snapshot_id);
	snapshot_free(&s);
	return TK_EXIT_OK;
}

static int cmd_apply(const char *arg, const struct options *o)
{
	const char *name = arg && strcmp(arg, "-") ? arg : "<stdin>";
	char *buf;
	size_t len;
	int rc = arg && strcmp(arg, "-") ? read_file(arg, INPUT_MAX, &buf, &len)
					  : read_fd(STDIN_FILENO, INPUT_MAX, &buf, &len);
	if (rc == -EFBIG)
		msg_die(TK_EXIT_USAGE, "%s: input larger than %u MiB", name, INPUT_MAX >> 20);
	if (rc < 0)
		msg_die_errno(rc == -ENOENT ? TK_EXIT_USAGE : TK_EXIT_FAILURE, -rc, "%s", name);

	struct kv_list in = { 0 }, changes = { 0 };
	struct kv_error kerr;
	if (kvconf_parse_buffer(buf, len, &in, &kerr) < 0)
		msg_die(TK_EXIT_USAGE, "%s:%u: %s; nothing changed", name, kerr.line, kerr.why);
	free(buf);

	/*
	 * "-key = value": a key that does not exist or is read-only here is
	 * skipped, as sysctl -p ignores its errors; --skip-read-only does the
	 * same for read-only keys on every line (containers, namespaces).
	 */
	for (size_t i = 0; i < in.n; i++) {
		if (in.v[i].ignore_errors && !sysctl_exists(in.v[i].key)) {
			msg_verbose("%s:%u: %s: no such key here, ignored ('-' prefix)", name, in.v[i].line,
				    in.v[i].key);
			continue;
		}
		kv_list_set(&changes, in.v[i].key, in.v[i].value);
		long j = kv_list_find(&changes, in.v[i].key);
		changes.v[j].line = in.v[i].line;
		changes.v[j].ignore_errors = in.v[i].ignore_errors;
	}
	kv_list_free(&in);
	struct txn_opts topts = { 0 };
	struct txn_changes log = { 0 };
	struct kv_list skipped = { 0 };
	/* read-only keys: the engine leaves them out (skip_read_only) and names them */
	topts.skip_read_only = o->skip_read_only;
	topts.skipped_keys = &skipped;
	size_t skippable = 0;
	for (size_t i = 0; i < changes.n; i++)
		skippable += (o->skip_read_only || changes.v[i].ignore_errors) && sysctl_key_read_only(changes.v[i].key);
	if (changes.n == skippable) {
		for (size_t i = 0; i < changes.n; i++)
			msg_info("%s:%u: %s: read-only here, skipped", name, changes.v[i].line, changes.v[i].key);
		msg_info("%s: no settings to apply", name);
		topts.dry_run = o->dry_run;
		if (o->json)
			txn_json_report(stdout, &topts);
		return TK_EXIT_OK;
	}

	struct txn_error err;
	const char *prefixes[MAX_PREFIXES + 2];
	topts.dry_run = o->dry_run;
	topts.report = o->json ? NULL : stdout;
	topts.log = &log;
	topts.allow_prefixes = allowed_prefixes(o, prefixes);
	rc = txn_apply(&changes, &topts, &err);
	kv_list_free(&changes);
	for (size_t i = 0; i < skipped.n; i++)
		msg_info("%s:%u: %s: read-only here, skipped", name, skipped.v[i].line, skipped.v[i].key);
	kv_list_free(&skipped);
	if (rc) {
		txn_error_print(&err, name);
		if (rc == -EINVAL)
			msg_warn("nothing changed");
		txn_changes_free(&log);
		return txn_exit_status(rc);
	}
	if (o->json)
		txn_json_report(stdout, &topts);
	if (o->dry_run)
		msg_info("dry run: %u key%s would change", topts.changed, topts.changed == 1 ? "" : "s");
	else if (!topts.snapshot_id[0])
		msg_info("nothing to change: live values and %s already match", TK_SYSCTL_CONF);
	else {
		/* queue settings persist in the udev rule file, sysctls in sysctl.d */
		int nsys = 0, nqueue = 0;
		for (size_t i = 0; i < log.n; i++)
			if (strncmp(log.v[i].key, "file:", 5))
				*(sysfs_key_is(log.v[i].key) || nic_key_is(log.v[i].key) ? &nqueue : &nsys) += 1;
		msg_info("%u key%s changed, persisted to %s%s%s; undo with: %s restore %s", topts.changed,
			 topts.changed == 1 ? "" : "s", nqueue && !nsys ? "" : TK_SYSCTL_CONF,
			 nqueue && nsys ? " and " : "", nqueue ? TK_UDEV_RULES : "", msg_progname(), topts.snapshot_id);
	}
	txn_changes_free(&log);
	return TK_EXIT_OK;
}

/* Append the keys of a persisted file to list; 0 if read, -errno if not. */
static int read_persisted(const char *abs, struct kv_list *list)
{
	char *path = tk_path(abs);
	char *buf = NULL;
	size_t len = 0;
	int rc = read_file(path, INPUT_MAX, &buf, &len);
	if (rc == 0) {
		struct kv_error kerr;
		if (kvconf_parse_buffer(buf, len, list, &kerr) < 0)
			msg_die(TK_EXIT_USAGE, "%s:%u: %s", path, kerr.line, kerr.why);
	} else if (rc == -ENOENT) {
		msg_verbose("%s does not exist: nothing persisted there", path);
	}
	free(buf);
	free(path);
	return rc;
}

/* a sample of one of our own declared families: can only fail on memory */
static void prom_or_die(int rc)
{
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "metrics");
}

/* Strings from files go to a terminal or a log: no control characters. */
/*
 * What the boot will set for the persisted keys of abs (one managed file):
 * one line per key the sysctl.d files will not leave at our value, under
 * either boot path (systemd-sysctl, sysctl --system), as tunekit-bootlint
 * prints them. Fills ok[i] (1: in force at boot) for want's keys.
 * Returns the number of findings; exits 1 when the files cannot be read.
 */
static size_t boot_lint(FILE *out, const char *abs, const struct kv_list *want, char *ok)
{
	struct sysctld_report rep;
	size_t n = 0;
	int rc = sysctld_lint(abs, want, &rep);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "reading the sysctl.d files under '%s'",
			      *tk_root() ? tk_root() : "/");
	for (size_t i = 0; i < rep.n && i < want->n; i++) {
		const struct sysctld_result *r = &rep.v[i];
		const struct sysctld_verdict *sd = &r->model[SYSCTLD_SYSTEMD], *pp = &r->model[SYSCTLD_PROCPS];
		const struct sysctld_verdict *v = sd->status != SYSCTLD_OK ? sd : pp;
		long k = kv_list_find(want, r->key);
		if (k >= 0)
			ok[k] = v->status == SYSCTLD_OK;
		if (v->status == SYSCTLD_OK)
			continue;
		n++;
		/* a finding of one boot path only says which */
		unsigned models = v == sd && pp->status == SYSCTLD_OK ? 1u << SYSCTLD_SYSTEMD
				  : v == pp ? 1u << SYSCTLD_PROCPS : 0;
		sysctld_format_finding(out, &rep, r, v, models, SYSCTLD_FMT_SECRET);
	}
	sysctld_report_free(&rep);
	return n;
}

/* Counts of persisted keys another tuner sets too. */
struct comanagers {
	size_t tuned, bpftune;
};

/*
 * TuneD (an active profile that is running or enabled) and bpftune (a
 * running process) touching the persisted keys: one line each, counted.
 */
static size_t comanager_lint(FILE *out, const struct kv_list *keys, struct comanagers *cm)
{
	struct tuned_state ts = { 0 };
	pid_t *bpids = NULL;
	size_t nbpids = 0, n = 0;
	int rc = tuned_load(&ts);
	if (rc < 0)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "reading the TuneD profile");
	/* a leftover active_profile of a stopped, disabled TuneD fights nobody */
	char *wants = tk_path("/etc/systemd/system/multi-user.target.wants/tuned.service");
	struct stat st;
	int tuned_on = ts.pid != 0 || lstat(wants, &st) == 0;
	free(wants);
	if (proc_find_comm("bpftune", &bpids, &nbpids) < 0)
		nbpids = 0;
	for (size_t i = 0; i < keys->n; i++) {
		const struct kv_entry *e = &keys->v[i];
		char rel[SYSCTL_KEY_MAX + 1];
		if (tuned_on && sysctl_key_parse(e->key, NULL, 0, rel, sizeof(rel), NULL) == 0) {
			for (size_t t = 0; t < ts.n; t++) {
				if (strcmp(ts.v[t].key, rel) || sysctl_value_equal(ts.v[t].value, e->value))
					continue;
				sysctld_put_text(out, e->key);
				fputs(": tuned profile ", out);
				sysctld_put_text(out, ts.v[t].profile);
				fputs(" sets ", out);
				sysctld_put_text(out, sysctl_key_secret(e->key) ? "(secret)" : ts.v[t].value);
				fputs(" (", out);
				sysctld_put_text(out, ts.v[t].file);
				fprintf(out, ":%u)\n", ts.v[t].line);
				cm->tuned++;
				n++;
			}
		}
		const char *tuner = bpftune_tuner_for(e->key);
		if (nbpids && tuner) {
			sysctld_put_text(out, e->key);
			fprintf(out, ": retuned at run time by bpftune (pid %ld, tuner %s)\n", (long)bpids[0], tuner);
			cm->bpftune++;
			n++;
		}
	}
	free(bpids);
	tuned_state_free(&ts);
	return n;
}

static int cmd_check(const struct options *o)
{
	struct kv_list pub = { 0 }, priv = { 0 }, persisted = { 0 };
	int to_stdout = o->prom && !strcmp(o->prom, "-");
	int rc = read_persisted(TK_SYSCTL_CONF, &pub);
	if (rc < 0 && rc != -ENOENT)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s%s", tk_root(), TK_SYSCTL_CONF);
	/* root's alone: without root its keys are not checked */
	rc = read_persisted(TK_SYSCTL_PRIVATE_CONF, &priv);
	if (rc == -EACCES)
		msg_verbose("%s%s: readable by root only; its keys are not checked", tk_root(), TK_SYSCTL_PRIVATE_CONF);
	else if (rc < 0 && rc != -ENOENT)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s%s", tk_root(), TK_SYSCTL_PRIVATE_CONF);
	/* queue settings persisted as a udev rule: a device that is not there is no drift */
	struct kv_list queues = { 0 };
	char *rules = tk_path(TK_UDEV_RULES), *rbuf = NULL;
	size_t rlen;
	struct kv_error rerr;
	if (read_file(rules, INPUT_MAX, &rbuf, &rlen) == 0 && sysfs_udev_parse(rbuf, rlen, &queues, &rerr) < 0)
		msg_die(TK_EXIT_USAGE, "%s:%u: %s", rules, rerr.line, rerr.why);
	for (size_t i = 0; i < queues.n; i++)
		queues.v[i].ignore_errors = 1;
	free(rbuf);
	free(rules);
	const struct kv_list *files[] = { &pub, &priv, &queues };
	for (size_t f = 0; f < ARRAY_SIZE(files); f++)
		for (size_t i = 0; i < files[f]->n; i++) {
			kv_list_set(&persisted, files[f]->v[i].key, files[f]->v[i].value);
			long k = kv_list_find(&persisted, files[f]->v[i].key);
			persisted.v[k].ignore_errors = files[f]->v[i].ignore_errors;
		}
	kv_list_free(&queues);
	/* metrics on stdout replace the text: the findings go to a discarded stream */
	FILE *out = to_stdout ? fopen("/dev/null", "we") : stdout;
	if (!out)
		msg_die_errno(TK_EXIT_FAILURE, errno, "/dev/null");

	/* one reading of every key: the text and the metrics come from it */
	char *drifted = xcalloc(persisted.n + 1, 1);
	size_t ndrift = 0;
	for (size_t i = 0; i < persisted.n; i++) {
		char *live;
		const struct kv_entry *e = &persisted.v[i];
		if (sysctl_read(e->key, &live) < 0) {
			if (e->ignore_errors)
				continue;
			fprintf(out, "%s: (absent) -> %s\n", e->key, sysctl_key_secret(e->key) ? "(secret)" : e->value);
			drifted[i] = 1;
			ndrift++;
			continue;
		}
		if (!sysctl_key_value_equal(e->key, live, e->value)) {
			if (sysctl_key_secret(e->key))
				fprintf(out, "%s: (secret, differs) -> (secret)\n", e->key);
			else /* as every check says it: live -> want */
				fprintf(out, "%s: %s -> %s\n", e->key, live, e->value);
			drifted[i] = 1;
			ndrift++;
		} else {
			msg_verbose("%s: ok", e->key);
		}
		free(live);
	}
	/* will the boot put the same values back? (each persisted file on its own) */
	char *boot_ok = xcalloc(persisted.n + 1, 1);
	memset(boot_ok, 1, persisted.n);
	size_t nboot = 0;
	char *ok_pub = xcalloc(pub.n + 1, 1), *ok_priv = xcalloc(priv.n + 1, 1);
	if (pub.n)
		nboot += boot_lint(out, TK_SYSCTL_CONF, &pub, ok_pub);
	if (priv.n)
		nboot += boot_lint(out, TK_SYSCTL_PRIVATE_CONF, &priv, ok_priv);
	size_t nshadowed = 0;
	for (size_t i = 0; i < persisted.n; i++) {
		long k = kv_list_find(&pub, persisted.v[i].key);
		if (k >= 0 && !ok_pub[k])
			boot_ok[i] = 0;
		k = kv_list_find(&priv, persisted.v[i].key);
		if (k >= 0 && !ok_priv[k])
			boot_ok[i] = 0;
		nshadowed += !boot_ok[i];
	}
	struct comanagers cm = { 0, 0 };
	size_t nco = persisted.n ? comanager_lint(out, &persisted, &cm) : 0;
	if (out != stdout)
		fclose(out);

	if (o->prom) {
		struct prom_registry *p = prom_new();
		prom_or_die(prom_declare(p, "tunekit_sysctl_drift", PROM_GAUGE,
					 "1 when the live value differs from the persisted one"));
		prom_or_die(prom_declare(p, "tunekit_sysctl_drifted_keys", PROM_GAUGE,
					 "persisted keys whose live value differs"));
		prom_or_die(prom_declare(p, "tunekit_boot_key_ok", PROM_GAUGE,
					 "1 when the sysctl.d files will set the persisted value at boot"));
		prom_or_die(prom_declare(p, "tunekit_boot_shadowed_keys", PROM_GAUGE,
					 "persisted keys another sysctl.d file shadows, excludes or masks at boot"));
		prom_or_die(prom_declare(p, "tunekit_comanager_keys", PROM_GAUGE,
					 "persisted keys another tuner (TuneD, bpftune) sets to its own value"));
		for (size_t i = 0; i < persisted.n; i++) {
			prom_or_die(prom_addl(p, "tunekit_sysctl_drift", drifted[i], "key", persisted.v[i].key, NULL));
			prom_or_die(prom_addl(p, "tunekit_boot_key_ok", boot_ok[i], "key", persisted.v[i].key, NULL));
		}
		prom_or_die(prom_addl(p, "tunekit_sysctl_drifted_keys", (double)ndrift, NULL));
		prom_or_die(prom_addl(p, "tunekit_boot_shadowed_keys", (double)nshadowed, NULL));
		prom_or_die(prom_addl(p, "tunekit_comanager_keys", (double)cm.tuned, "manager", "tuned", NULL));
		prom_or_die(prom_addl(p, "tunekit_comanager_keys", (double)cm.bpftune, "manager", "bpftune", NULL));
		rc = to_stdout ? prom_render(p, stdout) : prom_write_file(p, o->prom);
		prom_free(p);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", to_stdout ? "stdout" : o->prom);
	}
	free(drifted);
	free(boot_ok);
	free(ok_pub);
	free(ok_priv);
	kv_list_free(&persisted);
	kv_list_free(&pub);
	kv_list_free(&priv);
	return ndrift || nboot || nco ? TK_EXIT_DRIFT : TK_EXIT_OK;
}

static int cmd_prune(const struct options *o)
{
	struct snapshot_prune_policy pol;
	struct snapshot_problem p = { "", NULL };
	struct txn_error err = { 0 };
	char **gone;
	size_t ngone;
	int lock;
	txn_prune_policy(&pol);
	if (o->keep >= 0 || o->keep_days >= 0) {
		pol.keep = o->keep >= 0 ? o->keep : 0;
		pol.keep_days = o->keep_days >= 0 ? o->keep_days : 0;
	}
	/* the index changes with each removal: one writer at a time */
	int rc = txn_lock_acquire(&lock, &err);
	if (rc) {
		txn_error_print(&err, NULL);
		return txn_exit_status(rc);
	}
	rc = snapshot_prune(&pol, &gone, &ngone, &p);
	if (rc == -EPERM && p.why)
		store_die(rc, &p);
	for (size_t i = 0; i < ngone; i++) {
		printf("%s\n", gone[i]);
		free(gone[i]);
	}
	free(gone);
	txn_lock_release(lock);
	if (rc < 0) {
		msg_warn_errno(-rc, "%s%s: cannot prune every snapshot", tk_root(), TK_SNAPSHOT_DIR);
		return TK_EXIT_FAILURE;
	}
	return TK_EXIT_OK;
}

int main(int argc, char **argv)
{
	enum { OPT_ALLOW = 256, OPT_JSON, OPT_PROM, OPT_KEEP, OPT_KEEP_DAYS, OPT_VERIFY, OPT_ROOT, OPT_SKIP_RO };
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "allow-prefix", required_argument, NULL, OPT_ALLOW },
		{ "skip-read-only", no_argument, NULL, OPT_SKIP_RO },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "prom", required_argument, NULL, OPT_PROM },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "keep-days", required_argument, NULL, OPT_KEEP_DAYS },
		{ "verify", no_argument, NULL, OPT_VERIFY },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .keep = -1, .keep_days = -1 };
	int c;

	msg_init(argv[0]);
	close_stdout_atexit();

	while ((c = getopt_long(argc, argv, "m:nqvhV", longopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.note = optarg;
			break;
		case 'n':
			o.dry_run = 1;
			break;
		case OPT_ALLOW: {
			char dot[SYSCTL_KEY_MAX + 1];
			const char *why = NULL;
			char *p = xstrdup(optarg);
			size_t n = strlen(p);
			if (n && p[n - 1] == '.')
				p[n - 1] = '\0';
			if (o.nprefixes >= MAX_PREFIXES || sysctl_key_parse(p, dot, sizeof(dot), NULL, 0, &why) < 0) {
				msg_warn("--allow-prefix '%s': %s", optarg, why ? why : "too many prefixes");
				usage_hint();
			}
			free(p);
			o.prefixes[o.nprefixes++] = xstrdup(dot);
			break;
		}
		case OPT_JSON:
			o.json = 1;
			break;
		case OPT_SKIP_RO:
			o.skip_read_only = 1;
			break;
		case OPT_PROM:
			o.prom = optarg;
			break;
		case OPT_KEEP:
			o.keep = (long)optval_or_die(OPTVAL_COUNT, "--keep", optarg, 1, INT_MAX);
			break;
		case OPT_KEEP_DAYS:
			o.keep_days = (long)optval_or_die(OPTVAL_COUNT, "--keep-days", optarg, 1, 1000000);
			break;
		case OPT_VERIFY:
			o.verify = 1;
			break;
		case OPT_ROOT:
			tk_set_root(optarg);
			break;
		case 'q':
			msg_verbosity = -1;
			break;
		case 'v':
			msg_verbosity++;
			break;
		case 'h':
			usage();
		case 'V':
			print_version();
		default:
			usage_hint();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1) {
		msg_warn("no command given");
		usage_hint();
	}
	const char *cmd = argv[0];
	const char *arg = argc > 1 ? argv[1] : NULL;
	int max_args = 1;
	if (!strcmp(cmd, "show") || !strcmp(cmd, "diff") || !strcmp(cmd, "restore") || !strcmp(cmd, "apply"))
		max_args = 2;
	if (argc > max_args) {
		msg_warn("%s: unexpected argument '%s'", cmd, argv[max_args]);
		usage_hint();
	}
	/* options that belong to one command only */
	struct { int set; const char *opt; const char *cmds; } only[] = {
		{ o.note != NULL, "--note", "save" },
		{ o.dry_run, "--dry-run", "apply restore" },
		{ o.nprefixes > 0, "--allow-prefix", "apply restore" },
		{ o.skip_read_only, "--skip-read-only", "apply" },
		{ o.json, "--json", "list apply" },
		{ o.prom != NULL, "--prom", "check" },
		{ o.keep >= 0, "--keep", "prune" },
		{ o.keep_days >= 0, "--keep-days", "prune" },
		{ o.verify, "--verify", "list" },
	};
	for (size_t i = 0; i < ARRAY_SIZE(only); i++) {
		if (only[i].set && !strstr(only[i].cmds, cmd)) {
			msg_warn("%s is not an option of '%s' (only: %s)", only[i].opt, cmd, only[i].cmds);
			usage_hint();
		}
	}

	if (!strcmp(cmd, "save"))
		return cmd_save(&o);
	if (!strcmp(cmd, "list"))
		return cmd_list(&o);
	if (!strcmp(cmd, "show")) {
		if (!arg) {
			msg_warn("show needs a snapshot ID");
			usage_hint();
		}
		if (!snapshot_id_valid(arg))
			msg_die(TK_EXIT_USAGE, "%s: not a snapshot ID (see '%s list')", arg, msg_progname());
		return cmd_show(arg);
	}
	if (!strcmp(cmd, "diff"))
		return cmd_diff(arg);
	if (!strcmp(cmd, "restore"))
		return cmd_restore(arg, &o);
	if (!strcmp(cmd, "apply"))
		return cmd_apply(arg, &o);
	if (!strcmp(cmd, "check"))
		return cmd_check(&o);
	if (!strcmp(cmd, "prune"))
		return cmd_prune(&o);
	msg_warn("unknown command '%s'", cmd);
	usage_hint();
}
