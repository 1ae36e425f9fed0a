/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The snapshot store under TK_SNAPSHOT_DIR (below --root), a directory
 * owned by root, mode 0700 (doc/design.md, "Snapshots"):
 *   index      one line per snapshot, "SEQ ID TIME NKEYS NOTE", by ascending
 *              SEQ: what list reads, and nothing else
 *   ID         one snapshot, one 0600 file (format 2): a header (id, seq,
 *              time, note, key count, base=SHA256 of the full key capture it
 *              is a delta against, one line per managed file), "[keys]" with
 *              the keys whose value differs from the base, "sha256=" over
 *              all of it. Small file contents are inline (b64:), others blobs
 *   blobs/SHA  contents stored once (bases, managed files), checked against
 *              their name on every read
 *   ID/        a snapshot of older tunekit (format 1: meta, sysctl.conf,
 *              files.list, files/N, MANIFEST), still loaded
 * A snapshot is written under a temp name, its index line appended, then it
 * is renamed into place (never over another); prune rewrites the index before
 * it removes snapshots, and blobs last. So a crash leaves a last index line
 * without its snapshot (dropped by the next reader) or snapshots without a
 * line (removed by the next prune). The order is the sequence number, never
 * the wall clock (which can step back). A store without an index (older
 * tunekit) gets one rebuilt from the snapshots: their order by seq, then ID.
 *
 * The checksums prove a snapshot whole, not who wrote it: the store, every
 * snapshot, the blob directory and every blob must be owned by root (or the
 * effective user) and not writable by group or others, or loading refuses
 * it; and restore admits only the managed files, with modes no higher than
 * they may have (snapshot_file_allowed).
 */
#ifndef TUNEKIT_SNAPSHOT_H
#define TUNEKIT_SNAPSHOT_H

#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#include "kvconf.h"

#define SNAPSHOT_ID_MAX 64

enum snapshot_file_type { SF_ABSENT, SF_FILE, SF_SYMLINK };

struct snapshot_file {
	char *path;                  /* absolute, without the root */
	enum snapshot_file_type type;
	mode_t mode;
	char *data;                  /* contents, or the symlink target */
	size_t len;
};

struct snapshot {
	char id[SNAPSHOT_ID_MAX];
	unsigned long long seq;      /* order in the store (0: not stored yet) */
	time_t time;
	char *note;
	struct kv_list keys;
	struct snapshot_file *files;
	size_t nfiles;
};

struct snapshot_info {
	char id[SNAPSHOT_ID_MAX];
	unsigned long long seq;      /* order in the store, from the index */
	time_t time;
	char *note;
	size_t nkeys;
	int valid;                   /* 1 verified, 0 corrupt, -1 not read (list without verify) */
};

/* What was refused and why, for the message (filled on -EPERM/-EBADMSG). */
struct snapshot_problem {
	char what[4200];             /* a path, a member or an entry */
	const char *why;             /* static text */
};

/* The files tunekit manages (absolute paths without the root), NULL-ended. */
extern const char *const snapshot_managed_files[];

/*
 * The highest mode the managed file abs_path may have (0644, or 0600 for a
 * file that holds secrets), or -1 if tunekit does not manage it.
 */
int snapshot_managed_max_mode(const char *abs_path);

/*
 * 1 if restoring f stays inside what tunekit manages: a managed path, a
 * regular file with no set-id or sticky bits and no mode bits above
 * snapshot_managed_max_mode(), a symlink only where one is expected
 * (/etc/resolv.conf). 0 otherwise, with *why (if not NULL) saying why.
 */
int snapshot_file_allowed(const struct snapshot_file *f, const char **why);

/*
 * Read the live state into s: every readable, writable key under "net"
 * (world-readable ones only: secrets are not captured unless named), plus
 * the keys of extra (any prefix, secrets included: snapshots are 0600),
 * plus every managed file.
 */
int snapshot_capture(struct snapshot *s, const char *note, const struct kv_list *extra);

/* Capture one managed file (type, mode, contents or link target). */
int snapshot_file_capture(const char *abs_path, struct snapshot_file *f);
/* Put a managed file back as recorded (atomic write, symlink or unlink);
 * -EPERM if !snapshot_file_allowed(f). */
int snapshot_file_restore(const struct snapshot_file *f);
/* 1 if the live file matches the record. */
int snapshot_file_matches(const struct snapshot_file *f);

/*
 * Write s into the store under a new unique ID (filled into s->id) and the
 * next sequence number (s->seq); the caller holds the txn lock. -EPERM
 * (p filled) when the store is not owned by root or writable by others.
 */
int snapshot_store(struct snapshot *s, struct snapshot_problem *p);

/*
 * Load and verify a snapshot: -ENOENT, -EINVAL (bad ID), -EBADMSG (corrupt:
 * checksum or format), -EPERM (the store, the snapshot or a member is not
 * owned by root or is writable by others). p (may be NULL) names the
 * offending path or entry.
 */
int snapshot_load(const char *id, struct snapshot *s, struct snapshot_problem *p);

/*
 * All snapshots by ascending sequence (oldest change first), from the index
 * alone (rebuilt when missing, reconciled with the store's entries): valid
 * is -1. With SNAPSHOT_LIST_VERIFY each snapshot is also loaded and checked
 * (valid 0 or 1), which reads them all. -EPERM (p filled) for an untrusted
 * store.
 */
#define SNAPSHOT_LIST_VERIFY 1u
int snapshot_list(struct snapshot_info **out, size_t *n, unsigned flags, struct snapshot_problem *p);
void snapshot_info_free(struct snapshot_info *v, size_t n);

/* The ID with the highest sequence number: 0, or -ENOENT when the store is empty. */
int snapshot_latest(char *id, size_t len);

/* Remove one snapshot and its index line; the caller holds the txn lock. */
int snapshot_remove(const char *id);

/*
 * Pruning (doc/design.md, "Snapshots"). A snapshot is kept when it is the
 * oldest (the pristine baseline), one of the newest keep, younger than
 * keep_days, one of the next keep steps of the undo walk (restore without
 * an ID), or the "before restore of X" marker of a kept X. keep and
 * keep_days both 0: nothing is pruned.
 */
#define SNAPSHOT_KEEP_DEFAULT 100
struct snapshot_prune_policy {
	long keep;       /* undo steps and newest snapshots kept; 0: no count rule */
	long keep_days;  /* snapshots younger than this many days kept; 0: no age rule */
	time_t now;
};
void snapshot_prune_policy_default(struct snapshot_prune_policy *pol);
/* Pure: remove[i] = 1 for each v[i] (ascending seq) the policy removes. */
void snapshot_prune_plan(const struct snapshot_info *v, size_t n, const struct snapshot_prune_policy *pol,
			 char *remove);
/*
 * Apply the policy to the store (the caller holds the txn lock): remove the
 * snapshots, then rewrite the index, then remove the blobs no snapshot
 * refers to any more. *removed (free each and the array) names what went.
 */
int snapshot_prune(const struct snapshot_prune_policy *pol, char ***removed, size_t *nremoved,
		   struct snapshot_problem *p);

/* 1 if id has the shape of a snapshot ID (no path characters). */
int snapshot_id_valid(const char *id);

void snapshot_free(struct snapshot *s);

#endif
