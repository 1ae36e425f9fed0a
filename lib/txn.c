/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "fileutil.h"
#include "msg.h"
#include "paths.h"
#include "snapshot.h"
#include "sysctl.h"
#include "txn.h"
#include "xalloc.h"

static const char *const default_prefixes[] = { "net.", NULL };

/* Keys the kernel changes as a side effect of writing another one. */
static const char *const coupled_keys[] = {
	/* writing tcp_congestion_control adds the algorithm to the allowed list */
	"net.ipv4.tcp_allowed_congestion_control",
	NULL,
};

static const char persist_header[] =
	"# Managed by tunekit: written by nettune-backup apply and the nettune-*\n"
	"# tools. Edits are merged on the next apply; to undo a change use\n"
	"# `nettune-backup restore`. One key a line, sorted.\n";

static void set_err(struct txn_error *err, unsigned line, const char *key, const char *why, int errnum)
{
	err->line = line;
	snprintf(err->key, sizeof(err->key), "%s", key ? key : "");
	err->why = why;
	err->errnum = errnum;
}

static int prefix_allowed(const char *key, const char *const *prefixes)
{
	for (; *prefixes; prefixes++) {
		size_t n = strlen(*prefixes);
		if (n == 0)
			return 1; /* "" allows every key */
		/* "net" and "net." both mean the net subtree */
		if (n && (*prefixes)[n - 1] == '.')
			n--;
		if (strncmp(key, *prefixes, n) == 0 && (key[n] == '.' || key[n] == '\0'))
			return 1;
	}
	return 0;
}

static size_t count_fields(const char *v)
{
	size_t n = 0;
	int in = 0;
	for (; *v; v++) {
		int blank = *v == ' ' || *v == '\t';
		if (!blank && !in)
			n++;
		in = !blank;
	}
	return n;
}

static int validate_entry(const struct kv_entry *e, const char *const *prefixes,
			  struct txn_error *err)
{
	unsigned mode;
	char *live;

	if (prefixes && !prefix_allowed(e->key, prefixes)) {
		set_err(err, e->line, e->key, "key outside the allowed prefixes (see --allow-prefix)", 0);
		return -EINVAL;
	}
	int rc = sysctl_mode(e->key, &mode);
	if (rc == -ENOENT || rc == -ENOTDIR) {
		set_err(err, e->line, e->key, "unknown key: no such sysctl on this system", 0);
		return -EINVAL;
	}
	if (rc < 0) {
		set_err(err, e->line, e->key, NULL, -rc);
		return -EINVAL;
	}
	if (S_ISDIR(mode)) {
		set_err(err, e->line, e->key, "is a directory of keys, not a key", 0);
		return -EINVAL;
	}
	if (!(mode & 0222)) {
		set_err(err, e->line, e->key, "read-only key", 0);
		return -EINVAL;
	}
	rc = sysctl_read(e->key, &live);
	if (rc < 0) {
		set_err(err, e->line, e->key, "cannot be read back, refusing to write it", -rc);
		return -EINVAL;
	}
	if (sysctl_value_is_numeric(live)) {
		size_t want = count_fields(live), got = count_fields(e->value);
		if (!sysctl_value_is_numeric(e->value)) {
			set_err(err, e->line, e->key, "non-numeric value for a numeric key", 0);
			rc = -EINVAL;
		} else if (want != got) {
			set_err(err, e->line, e->key,
				want == 3 ? "expects three numbers (min default max)" : "wrong number of values", 0);
			rc = -EINVAL;
		}
	}
	free(live);
	return rc;
}

int txn_validate(const struct kv_list *changes, const struct txn_opts *opts, struct txn_error *err)
{
	const char *const *prefixes = opts && opts->allow_prefixes ? opts->allow_prefixes : default_prefixes;
	for (size_t i = 0; i < changes->n; i++) {
		int rc = validate_entry(&changes->v[i], prefixes, err);
		if (rc)
			return rc;
	}
	return 0;
}

/* ---- privileges and lock ------------------------------------------------ */

static int check_privileges(const struct kv_list *changes, int need_files, struct txn_error *err)
{
	if (geteuid() == 0)
		return 0;
	for (size_t i = 0; i < changes->n; i++) {
		char *path = sysctl_key_path(changes->v[i].key);
		int ok = path && access(path, W_OK) == 0;
		free(path);
		if (!ok) {
			set_err(err, 0, changes->v[i].key, "needs root or CAP_NET_ADMIN", EACCES);
			return -EPERM;
		}
	}
	if (need_files) {
		char *state = tk_path(TK_STATE_DIR);
		char *probe = xstrdup(state);
		/* the nearest existing ancestor decides whether we may create it */
		while (access(probe, F_OK) != 0 && strrchr(probe, '/') && strrchr(probe, '/') != probe)
			*strrchr(probe, '/') = '\0';
		int ok = access(probe, W_OK) == 0;
		free(probe);
		free(state);
		if (!ok) {
			set_err(err, 0, NULL, "needs root (cannot write the snapshot store)", EACCES);
			return -EPERM;
		}
	}
	return 0;
}

static int txn_lock(int *fdp)
{
	char *path = tk_path(TK_LOCK_FILE);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	int rc = mkdir_p(dir, 0755);
	free(dir);
	int fd = rc ? -1 : open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
	if (fd < 0) {
		rc = rc ? rc : -errno;
		free(path);
		return rc;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
		if (errno == EWOULDBLOCK) {
			msg_verbose("waiting for the lock %s", path);
			while (flock(fd, LOCK_EX) < 0) {
				if (errno != EINTR) {
					rc = -errno;
					break;
				}
			}
		} else {
			rc = -errno;
		}
	}
	free(path);
	if (rc) {
		close(fd);
		return rc;
	}
	*fdp = fd;
	return 0;
}

static void txn_unlock(int fd)
{
	if (fd >= 0)
		close(fd);
}

/* ---- the transaction ---------------------------------------------------- */

struct written {
	char *key;
	char *old;
	char *new;
};

static void rollback(struct written *w, size_t n, const struct snapshot *snap)
{
	for (size_t i = n; i-- > 0;)
		sysctl_write(w[i].key, w[i].old);
	for (const char *const *k = coupled_keys; *k; k++) {
		long j = kv_list_find(&snap->keys, *k);
		char *live;
		if (j < 0 || sysctl_read(*k, &live) < 0)
			continue;
		if (!sysctl_value_equal(live, snap->keys.v[j].value))
			sysctl_write(*k, snap->keys.v[j].value);
		free(live);
	}
}

static int persist(const struct kv_list *changes, struct txn_error *err)
{
	char *path = tk_path(TK_SYSCTL_CONF);
	char *dir = xstrdup(path);
	*strrchr(dir, '/') = '\0';
	struct kv_list merged = { 0 };
	char *old = NULL;
	size_t len;
	int rc = mkdir_p(dir, 0755);
	if (rc) {
		set_err(err, 0, NULL, "cannot create the sysctl.d directory", -rc);
		goto out;
	}
	rc = read_file(path, 4u << 20, &old, &len);
	if (rc == 0) {
		struct kv_error kerr;
		if (kvconf_parse_buffer(old, len, &merged, &kerr) < 0) {
			set_err(err, kerr.line, NULL, "the persisted file " TK_SYSCTL_CONF " is malformed; fix or remove it", 0);
			rc = -EINVAL;
			goto out;
		}
	} else if (rc != -ENOENT) {
		set_err(err, 0, NULL, "cannot read " TK_SYSCTL_CONF, -rc);
		goto out;
	}
	for (size_t i = 0; i < changes->n; i++)
		kv_list_set(&merged, changes->v[i].key, changes->v[i].value);
	kv_list_sort(&merged);
	char *text = kvconf_format(&merged, persist_header);
	rc = atomic_write_file(path, text, strlen(text), 0644);
	free(text);
	if (rc)
		set_err(err, 0, NULL, "cannot write " TK_SYSCTL_CONF, -rc);
out:
	kv_list_free(&merged);
	free(old);
	free(dir);
	free(path);
	return rc;
}

/*
 * The core: keys (already validated), optional files to restore, with the
 * snapshot snap already taken. Writes, reads back, runs the hook, persists
 * or restores files; rolls back everything on failure.
 */
static int run(const struct kv_list *changes, const struct snapshot_file *files, size_t nfiles,
	       const struct snapshot *snap, int do_persist, struct txn_opts *opts,
	       struct txn_error *err)
{
	struct written *w = xcalloc(changes->n + 1, sizeof(*w));
	char *restored = xcalloc(nfiles + 1, 1);
	size_t nw = 0;
	int files_restored = 0;
	int rc = 0;

	for (size_t i = 0; i < changes->n && !rc; i++) {
		const struct kv_entry *e = &changes->v[i];
		char *old = NULL, *back = NULL;
		long j = kv_list_find(&snap->keys, e->key);
		if (j >= 0)
			old = xstrdup(snap->keys.v[j].value);
		else if ((rc = sysctl_read(e->key, &old)) < 0) {
			set_err(err, e->line, e->key, "cannot read the current value", -rc);
			break;
		}
		if (sysctl_value_equal(old, e->value)) {
			free(old);
			continue;
		}
		rc = sysctl_write(e->key, e->value);
		if (rc < 0) {
			err->refused = rc == -EPERM || rc == -EINVAL;
			set_err(err, e->line, e->key, err->refused ? "the kernel refused the value" : "write failed",
				-rc);
			free(old);
			break;
		}
		w[nw].key = xstrdup(e->key);
		w[nw].old = old;
		w[nw].new = xstrdup(e->value);
		nw++;
		rc = sysctl_read(e->key, &back);
		if (rc < 0) {
			set_err(err, e->line, e->key, "read back failed", -rc);
		} else if (!sysctl_value_equal(back, e->value)) {
			set_err(err, e->line, e->key, "read back a different value than written (the kernel adjusted it)", 0);
			rc = -EIO;
		}
		free(back);
	}
	int hook_done = 0;
	if (!rc && opts->after_write) {
		rc = opts->after_write(opts->after_write_ctx, err);
		hook_done = rc == 0;
	}
	for (size_t i = 0; !rc && i < nfiles; i++) {
		if (snapshot_file_matches(&files[i]))
			continue;
		rc = snapshot_file_restore(&files[i]);
		if (rc)
			set_err(err, 0, files[i].path, "cannot write the file", -rc);
		else
			restored[i] = 1, files_restored = 1;
	}
	if (!rc && do_persist)
		rc = persist(changes, err);

	if (rc) {
		if (hook_done && opts->undo_after_write)
			opts->undo_after_write(opts->after_write_ctx);
		rollback(w, nw, snap);
		/* files written so far go back to what the snapshot saw */
		for (size_t i = 0; i < nfiles; i++)
			for (size_t k = 0; restored[i] && k < snap->nfiles; k++)
				if (!strcmp(snap->files[k].path, files[i].path))
					snapshot_file_restore(&snap->files[k]);
		err->rolled_back = nw > 0 || files_restored;
	} else {
		opts->changed = (unsigned)nw;
		for (size_t i = 0; opts->report && i < nw; i++)
			fprintf(opts->report, "%s: %s -> %s\n", w[i].key, w[i].old, w[i].new);
		for (size_t i = 0; opts->report && i < nfiles; i++)
			if (restored[i])
				fprintf(opts->report, "%s: %s\n", files[i].path,
					files[i].type == SF_ABSENT ? "removed" : "written");
	}
	free(restored);
	for (size_t i = 0; i < nw; i++) {
		free(w[i].key);
		free(w[i].old);
		free(w[i].new);
	}
	free(w);
	return rc;
}

static int take_snapshot(struct snapshot *snap, const char *note, const struct kv_list *extra,
			 struct txn_opts *opts, struct txn_error *err)
{
	int rc = snapshot_capture(snap, note, extra);
	if (rc) {
		set_err(err, 0, NULL, "cannot read the current state for the snapshot", -rc);
		return rc;
	}
	rc = snapshot_store(snap);
	if (rc) {
		set_err(err, 0, NULL, "cannot save the snapshot, nothing changed", -rc);
		snapshot_free(snap);
		return rc;
	}
	snprintf(opts->snapshot_id, sizeof(opts->snapshot_id), "%s", snap->id);
	return 0;
}

static void dry_run_report(const struct kv_list *changes, struct txn_opts *opts)
{
	opts->changed = 0;
	for (size_t i = 0; i < changes->n; i++) {
		char *live = NULL;
		if (sysctl_read(changes->v[i].key, &live) < 0)
			continue;
		if (!sysctl_value_equal(live, changes->v[i].value)) {
			opts->changed++;
			if (opts->report)
				fprintf(opts->report, "%s: %s -> %s\n", changes->v[i].key, live,
					changes->v[i].value);
		}
		free(live);
	}
}

int txn_apply(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err)
{
	memset(err, 0, sizeof(*err));
	opts->snapshot_id[0] = '\0';
	opts->changed = 0;
	int rc = txn_validate(changes, opts, err);
	if (rc)
		return rc;
	if (opts->dry_run) {
		dry_run_report(changes, opts);
		return 0;
	}
	if ((rc = check_privileges(changes, 1, err)))
		return rc;
	int lock = -1;
	if ((rc = txn_lock(&lock))) {
		set_err(err, 0, NULL, "cannot take the lock " TK_LOCK_FILE, -rc);
		return rc;
	}
	struct snapshot snap;
	rc = take_snapshot(&snap, opts->note ? opts->note : "before apply", changes, opts, err);
	if (!rc) {
		rc = run(changes, NULL, 0, &snap, !opts->no_persist, opts, err);
		snapshot_free(&snap);
	}
	txn_unlock(lock);
	return rc;
}

int txn_apply_file(const char *abs_path, const void *data, size_t len, mode_t mode,
		   struct txn_opts *opts, struct txn_error *err)
{
	struct kv_list none = { 0 };
	memset(err, 0, sizeof(*err));
	opts->snapshot_id[0] = '\0';
	if (opts->dry_run)
		return 0;
	int rc = check_privileges(&none, 1, err);
	if (rc)
		return rc;
	int lock = -1;
	if ((rc = txn_lock(&lock))) {
		set_err(err, 0, NULL, "cannot take the lock " TK_LOCK_FILE, -rc);
		return rc;
	}
	struct snapshot snap;
	rc = take_snapshot(&snap, opts->note ? opts->note : "before apply", NULL, opts, err);
	if (!rc) {
		struct snapshot_file f = { (char *)abs_path, data ? SF_FILE : SF_ABSENT, mode,
					   (char *)data, len };
		rc = run(&none, &f, 1, &snap, 0, opts, err);
		snapshot_free(&snap);
	}
	txn_unlock(lock);
	return rc;
}

int txn_restore(const struct snapshot *target, struct txn_opts *opts, struct txn_error *err)
{
	static const char *const any_prefix[] = { "", NULL };
	struct kv_list changes = { 0 };
	memset(err, 0, sizeof(*err));
	opts->snapshot_id[0] = '\0';
	opts->skipped = 0;

	/* only keys that exist, are writable here and differ from the target */
	for (size_t i = 0; i < target->keys.n; i++) {
		const struct kv_entry *e = &target->keys.v[i];
		unsigned mode;
		char *live;
		if (sysctl_mode(e->key, &mode) < 0 || !S_ISREG(mode) || !(mode & 0222) ||
		    sysctl_read(e->key, &live) < 0) {
			opts->skipped++;
			continue;
		}
		if (!sysctl_value_equal(live, e->value))
			kv_list_set(&changes, e->key, e->value);
		free(live);
	}
	struct txn_opts vopts = *opts;
	vopts.allow_prefixes = any_prefix;
	int rc = txn_validate(&changes, &vopts, err);
	if (rc)
		goto out;
	if (opts->dry_run) {
		dry_run_report(&changes, opts);
		for (size_t i = 0; opts->report && i < target->nfiles; i++)
			if (!snapshot_file_matches(&target->files[i]))
				fprintf(opts->report, "%s: would be restored\n", target->files[i].path);
		goto out;
	}
	if ((rc = check_privileges(&changes, 1, err)))
		goto out;
	int lock = -1;
	if ((rc = txn_lock(&lock))) {
		set_err(err, 0, NULL, "cannot take the lock " TK_LOCK_FILE, -rc);
		goto out;
	}
	struct snapshot before;
	char *note = xasprintf("before restore of %s", target->id);
	rc = take_snapshot(&before, note, &target->keys, opts, err);
	free(note);
	if (!rc) {
		rc = run(&changes, target->files, target->nfiles, &before, 0, opts, err);
		snapshot_free(&before);
	}
	txn_unlock(lock);
out:
	kv_list_free(&changes);
	return rc;
}

void txn_error_print(const struct txn_error *err, const char *input)
{
	char where[512] = "";
	size_t n = 0;
	if (err->line && input)
		n += (size_t)snprintf(where + n, sizeof(where) - n, "%s:%u: ", input, err->line);
	if (err->key[0] && n < sizeof(where))
		snprintf(where + n, sizeof(where) - n, "%s: ", err->key);
	const char *tail = err->rolled_back ? " (every key written so far was restored)" : "";
	if (err->why && err->errnum)
		msg_warn("%s%s: %s%s", where, err->why, strerror(err->errnum), tail);
	else if (err->why)
		msg_warn("%s%s%s", where, err->why, tail);
	else
		msg_warn("%s%s%s", where, strerror(err->errnum ? err->errnum : EIO), tail);
}

int txn_exit_status(int rc)
{
	if (rc == 0)
		return TK_EXIT_OK;
	if (rc == -EINVAL)
		return TK_EXIT_USAGE;
	return TK_EXIT_FAILURE;
}
