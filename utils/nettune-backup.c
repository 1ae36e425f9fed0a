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
#include <time.h>
#include <unistd.h>

#include "atomicfile.h"
#include "c.h"
#include "closestream.h"
#include "fileutil.h"
#include "json.h"
#include "kvconf.h"
#include "msg.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "txn.h"
#include "xalloc.h"

#define INPUT_MAX (16u << 20)
#define MAX_PREFIXES 32

static void __attribute__((__noreturn__)) usage(void)
{
	printf("Usage:\n"
	       " %1$s save [-m NOTE]        snapshot net.* keys and managed files\n"
	       " %1$s list [--json]         list snapshots, newest last\n"
	       " %1$s show ID               print a snapshot as sysctl.d lines\n"
	       " %1$s diff [ID]             live values against a snapshot (default newest)\n"
	       " %1$s restore [ID] [-n]     go back to a snapshot (default: undo the last change)\n"
	       " %1$s apply [FILE|-] [-n]   apply sysctl.d lines transactionally\n"
	       " %1$s check [--prom FILE]   compare the persisted file with live values\n"
	       " %1$s prune --keep N        keep only the newest N snapshots\n",
	       msg_progname());
	printf("\nOptions:\n"
	       " -m, --note NOTE          note stored with the snapshot (save)\n"
	       " -n, --dry-run            show what would change, change nothing\n"
	       "     --allow-prefix P     allow keys under P besides net. (apply, restore; repeatable)\n"
	       "     --skip-read-only     skip keys that are read-only here (apply)\n"
	       "     --json               JSON output (list)\n"
	       "     --prom FILE          write node_exporter textfile metrics (check)\n"
	       "     --keep N             snapshots to keep (prune)\n"
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
	const char *prefixes[MAX_PREFIXES + 2];
	size_t nprefixes;
	int skip_read_only;
};

/* 1 if the key exists but has no write bit (read-only here, e.g. in a netns). */
static int key_read_only(const char *key)
{
	unsigned mode;
	return sysctl_mode(key, &mode) == 0 && !(mode & 0222);
}

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
	int rc = snapshot_list(&v, &n, &p);
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
	int rc = snapshot_list(&v, &n, &p);
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
	int rc = snapshot_list(&v, &n, &p);
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
			       v[i].valid ? "" : " [CORRUPT]");
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
		if ((in.v[i].ignore_errors || o->skip_read_only) && key_read_only(in.v[i].key)) {
			msg_info("%s:%u: %s: read-only here, skipped", name, in.v[i].line, in.v[i].key);
			continue;
		}
		kv_list_set(&changes, in.v[i].key, in.v[i].value);
		changes.v[changes.n - 1].line = in.v[i].line;
	}
	kv_list_free(&in);
	if (changes.n == 0) {
		msg_info("%s: no settings to apply", name);
		return TK_EXIT_OK;
	}

	struct txn_opts topts = { 0 };
	struct txn_error err;
	const char *prefixes[MAX_PREFIXES + 2];
	topts.dry_run = o->dry_run;
	topts.report = stdout;
	topts.allow_prefixes = allowed_prefixes(o, prefixes);
	rc = txn_apply(&changes, &topts, &err);
	kv_list_free(&changes);
	if (rc) {
		txn_error_print(&err, name);
		if (rc == -EINVAL)
			msg_warn("nothing changed");
		return txn_exit_status(rc);
	}
	if (o->dry_run)
		msg_info("dry run: %u key%s would change", topts.changed, topts.changed == 1 ? "" : "s");
	else if (!topts.snapshot_id[0])
		msg_info("nothing to change: live values and %s already match", TK_SYSCTL_CONF);
	else
		msg_info("%u key%s changed, persisted to %s; undo with: %s restore %s", topts.changed,
			 topts.changed == 1 ? "" : "s", TK_SYSCTL_CONF, msg_progname(), topts.snapshot_id);
	return TK_EXIT_OK;
}

static int write_prom(const char *path, const struct kv_list *persisted, const char *drifted)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	fprintf(f, "# HELP tunekit_sysctl_drift 1 when the live value differs from %s.\n"
		   "# TYPE tunekit_sysctl_drift gauge\n", TK_SYSCTL_CONF);
	unsigned total = 0;
	for (size_t i = 0; i < persisted->n; i++) {
		fprintf(f, "tunekit_sysctl_drift{key=\"%s\"} %d\n", persisted->v[i].key, drifted[i]);
		total += (unsigned)drifted[i];
	}
	fprintf(f, "# HELP tunekit_sysctl_drifted_keys Number of persisted keys whose live value differs.\n"
		   "# TYPE tunekit_sysctl_drifted_keys gauge\n"
		   "tunekit_sysctl_drifted_keys %u\n", total);
	fprintf(f, "# HELP tunekit_check_timestamp_seconds When the check ran (Unix time).\n"
		   "# TYPE tunekit_check_timestamp_seconds gauge\n"
		   "tunekit_check_timestamp_seconds %lld\n", (long long)time(NULL));
	fclose(f);
	int rc = atomic_write_file(path, buf, len, 0644);
	free(buf);
	return rc;
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

static int cmd_check(const struct options *o)
{
	struct kv_list persisted = { 0 };
	int rc = read_persisted(TK_SYSCTL_CONF, &persisted);
	if (rc < 0 && rc != -ENOENT)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s%s", tk_root(), TK_SYSCTL_CONF);
	/* root's alone: without root its keys are not checked */
	rc = read_persisted(TK_SYSCTL_PRIVATE_CONF, &persisted);
	if (rc == -EACCES)
		msg_verbose("%s%s: readable by root only; its keys are not checked", tk_root(), TK_SYSCTL_PRIVATE_CONF);
	else if (rc < 0 && rc != -ENOENT)
		msg_die_errno(TK_EXIT_FAILURE, -rc, "%s%s", tk_root(), TK_SYSCTL_PRIVATE_CONF);

	char *drifted = xcalloc(persisted.n + 1, 1);
	int any = 0;
	for (size_t i = 0; i < persisted.n; i++) {
		char *live;
		const struct kv_entry *e = &persisted.v[i];
		if (sysctl_read(e->key, &live) < 0) {
			if (e->ignore_errors)
				continue;
			printf("%s: %s -> (absent)\n", e->key, sysctl_key_secret(e->key) ? "(secret)" : e->value);
			drifted[i] = any = 1;
			continue;
		}
		if (!sysctl_value_equal(live, e->value)) {
			if (sysctl_key_secret(e->key))
				printf("%s: (secret) -> (secret, differs)\n", e->key);
			else
				printf("%s: %s -> %s\n", e->key, e->value, live);
			drifted[i] = any = 1;
		}
		free(live);
	}
	if (o->prom) {
		rc = write_prom(o->prom, &persisted, drifted);
		if (rc < 0)
			msg_die_errno(TK_EXIT_FAILURE, -rc, "%s", o->prom);
	}
	free(drifted);
	kv_list_free(&persisted);
	return any ? TK_EXIT_DRIFT : TK_EXIT_OK;
}

static int cmd_prune(const struct options *o)
{
	if (o->keep < 1)
		msg_die(TK_EXIT_USAGE, "prune needs --keep N with N >= 1 (the newest snapshot is never removed)");
	struct snapshot_info *v;
	struct snapshot_problem p = { "", NULL };
	struct txn_error err = { 0 };
	size_t n;
	int lock;
	/* the index changes with each removal: one writer at a time */
	int rc = txn_lock_acquire(&lock, &err);
	if (rc) {
		txn_error_print(&err, NULL);
		return txn_exit_status(rc);
	}
	rc = snapshot_list(&v, &n, &p);
	if (rc < 0)
		store_die(rc, &p);
	int status = TK_EXIT_OK;
	for (size_t i = 0; i + (size_t)o->keep < n; i++) {
		rc = snapshot_remove(v[i].id);
		if (rc < 0) {
			msg_warn_errno(-rc, "%s: cannot remove", v[i].id);
			status = TK_EXIT_FAILURE;
		} else {
			printf("%s\n", v[i].id);
		}
	}
	snapshot_info_free(v, n);
	txn_lock_release(lock);
	return status;
}

int main(int argc, char **argv)
{
	enum { OPT_ALLOW = 256, OPT_JSON, OPT_PROM, OPT_KEEP, OPT_ROOT, OPT_SKIP_RO };
	static const struct option longopts[] = {
		{ "note", required_argument, NULL, 'm' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "allow-prefix", required_argument, NULL, OPT_ALLOW },
		{ "skip-read-only", no_argument, NULL, OPT_SKIP_RO },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "prom", required_argument, NULL, OPT_PROM },
		{ "keep", required_argument, NULL, OPT_KEEP },
		{ "root", required_argument, NULL, OPT_ROOT },
		{ "quiet", no_argument, NULL, 'q' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	struct options o = { .keep = -1 };
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
		case OPT_KEEP: {
			char *end;
			errno = 0;
			o.keep = strtol(optarg, &end, 10);
			if (errno || *end || end == optarg || o.keep < 1 || o.keep > INT_MAX) {
				msg_warn("--keep '%s': not a number >= 1", optarg);
				usage_hint();
			}
			break;
		}
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
		{ o.json, "--json", "list" },
		{ o.prom != NULL, "--prom", "check" },
		{ o.keep >= 0, "--keep", "prune" },
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
