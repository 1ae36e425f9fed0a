/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The safe-change engine (doc/design.md "Changing the system safely"). Every
 * change to sysctls or managed files goes through here:
 *   1. validate the whole input (any bad entry: -EINVAL, nothing touched);
 *   2. flock TK_LOCK_FILE (in root's TK_RUN_DIR; bounded wait);
 *   3. snapshot (all net.* keys, the touched keys, the managed files);
 *   4. write each key, read it back, compare normalized values;
 *   5. on any failure restore every key already written, name the key;
 *   6. persist to TK_SYSCTL_CONF (secret keys to TK_SYSCTL_PRIVATE_CONF,
 *      0600; queue settings, "sysfs:" and "ethtool:" keys, to
 *      TK_UDEV_RULES): merged, sorted, one line per key (one RUN line a
 *      device for ethtool keys), atomic;
 *   7. prune the snapshot store (txn_prune_policy), still under the lock.
 */
#ifndef TUNEKIT_TXN_H
#define TUNEKIT_TXN_H

#include <stdio.h>
#include <sys/types.h>

#include "kvconf.h"

struct txn_error {
	unsigned line;     /* input line of the bad entry, 0 if none */
	char key[260];     /* key that failed, "" if none */
	const char *why;   /* static text, or NULL when errnum says it all */
	int errnum;        /* errno of the failed operation, 0 if none */
	int rolled_back;   /* 1 when written keys were restored */
	int refused;       /* 1 when the kernel refused a value (not our privileges) */
	char text[512];    /* room for a composed why (why may point here) */
};

/* One change a transaction made (or, in a dry run, would make). */
struct txn_change {
	char *key;  /* sysctl key; "qdisc/IFACE"; "file:/etc/..." for a managed file */
	char *old;  /* value before (NULL: none, e.g. an absent file) */
	char *new;  /* value after (NULL: none, e.g. a removed file) */
};

/* The changes of one transaction, in the order they were made. */
struct txn_changes {
	struct txn_change *v;
	size_t n;
};

/* Append a change (strings copied; NULL allowed for old and new). */
void txn_changes_add(struct txn_changes *c, const char *key, const char *old, const char *new);
void txn_changes_free(struct txn_changes *c);

struct txn_opts {
	int dry_run;                  /* validate and report, change nothing */
	const char *note;             /* snapshot note; NULL: "before apply" */
	const char *const *allow_prefixes; /* key policy (sysctl_key_allowed); NULL: only "net." */
	int no_persist;               /* do not write TK_SYSCTL_CONF */
	/*
	 * apply: leave out keys that are read-only here (sysctl_key_read_only)
	 * instead of failing validation; they are counted in skipped and, when
	 * skipped_keys is set, appended there (with their input line) for the
	 * tool to name. Entries with ignore_errors ("-key" lines) are always
	 * treated so.
	 */
	int skip_read_only;
	struct kv_list *skipped_keys;
	FILE *report;                 /* "key: old -> new" per change; NULL: silent */
	/*
	 * Called after every key is written and read back, before persist;
	 * a non-zero return (-errno, err filled) rolls every key back. Lets a
	 * tool add a non-sysctl step (a qdisc change) to the same transaction.
	 * Set it only when the step has something to change: it runs under the
	 * lock even when no key changes (and a snapshot is taken first).
	 */
	int (*after_write)(void *ctx, struct txn_error *err);
	/* Called when a later step (files, persist) fails after after_write
	 * succeeded, so the tool can undo its own step too. */
	void (*undo_after_write)(void *ctx);
	void *after_write_ctx;
	char snapshot_id[64];         /* out: the snapshot taken ("" if none) */
	unsigned changed;             /* out: number of keys whose value changed */
	unsigned skipped;             /* out: keys absent or read-only now (restore), read-only (apply) */
	/*
	 * out, may be NULL: each change made (dry run: that would be made),
	 * keys with their values (secrets as "(secret)"), and the persisted
	 * file or managed file as "file:PATH" when its bytes change. A tool
	 * appends its own step's changes (qdiscs) before reporting.
	 */
	struct txn_changes *log;
};

struct snapshot;

/*
 * Validate changes without touching anything: key syntax, allowed prefix,
 * key exists under the sysctl root and is writable, numeric keys get
 * numeric values. 0 or -EINVAL with err filled.
 */
int txn_validate(const struct kv_list *changes, const struct txn_opts *opts,
		 struct txn_error *err);

/*
 * Apply changes as one transaction (steps 1-6 above). Keys whose live value
 * already equals the requested one are not written but are still persisted.
 * When nothing at all would change (live values and the persisted file
 * already match, and no after_write step is set), nothing is written, no
 * snapshot is taken and opts->snapshot_id stays "". An empty changes list
 * without after_write takes a snapshot only (nettune-backup save). The
 * persisted files are parsed before anything changes (malformed: -EINVAL);
 * a failure after the snapshot is never -EINVAL (it was rolled back, but a
 * snapshot exists).
 * Returns 0; -EINVAL (validation, nothing changed); -EPERM/-EACCES (not
 * root, nothing changed); -ENOSPC etc. (snapshot failed, nothing changed);
 * or the -errno of the failed write/read-back after rolling back.
 */
int txn_apply(const struct kv_list *changes, struct txn_opts *opts, struct txn_error *err);

/*
 * Replace one managed file (e.g. TK_RESOLVED_DROPIN, given as an absolute
 * path without the root) in a transaction: lock, snapshot, atomic write
 * under tk_root(). data NULL removes the file. When the file already holds
 * exactly data with mode (or is absent for NULL), nothing is written and no
 * snapshot taken (snapshot_id ""). 0 or -errno.
 */
int txn_apply_file(const char *abs_path, const void *data, size_t len, mode_t mode,
		   struct txn_opts *opts, struct txn_error *err);

/*
 * Bring the system back to snapshot snap (keys and managed files). The
 * snapshot is first held to apply's rules as a whole: every key allowed by
 * opts->allow_prefixes, every file managed and no more permissive than it
 * may be (snapshot_file_allowed), the persisted files' keys allowed, values
 * valid (txn_validate); else -EINVAL, err naming the entry, nothing changed.
 * Then: lock, a new "before restore" snapshot, write and read back every key
 * that differs, restore every managed file that differs. A key or file that
 * cannot be brought back (the write fails, reads back different, or is
 * read-only here) is named with msg_warn and the rest is still restored;
 * then -EIO with err->why listing them. Keys that no longer exist are
 * skipped and counted in opts->skipped.
 */
int txn_restore(const struct snapshot *snap, struct txn_opts *opts, struct txn_error *err);

/*
 * The lock every change holds: flock on TK_LOCK_FILE in TK_RUN_DIR (under
 * tk_root()), a directory created 0700 and refused unless it is root's and
 * not writable by others. Waits at most TUNEKIT_LOCK_TIMEOUT seconds
 * (default 30), then -ETIMEDOUT with err naming the holder's PID.
 * 0 or -errno (err filled).
 */
int txn_lock_acquire(int *fd, struct txn_error *err);
void txn_lock_release(int fd);

struct snapshot_prune_policy;
/*
 * The snapshot pruning policy every stored snapshot is followed by:
 * SNAPSHOT_KEEP_DEFAULT, or "keep" and "keep_days" in TK_CONFIG_FILE.
 */
void txn_prune_policy(struct snapshot_prune_policy *pol);

/* Print err as "prog: FILE:LINE: KEY: why" style message (input names the source). */
void txn_error_print(const struct txn_error *err, const char *input);

/* Exit status for a txn_* return code: 0, 1 (runtime), 2 (invalid input). */
int txn_exit_status(int rc);

/*
 * The --json report of an apply, one object on one line:
 * {"changed":N,"snapshot":"ID"|null,"dry_run":bool,
 *  "changes":[{"key":K,"old":V|null,"new":V|null},...]}
 * from opts->log (N is its length) and opts->snapshot_id.
 */
void txn_json_report(FILE *out, const struct txn_opts *opts);

#endif
