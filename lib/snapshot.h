/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The snapshot store under TK_SNAPSHOT_DIR (below --root). A snapshot is a
 * directory ID/ holding:
 *   meta         id, time, note, key count
 *   sysctl.conf  the keys' live values, sysctl -p format, sorted
 *   files.list   one line per managed file: "file MODE PATH", "symlink
 *                TARGET PATH" or "absent - PATH"; contents in files/N
 *   MANIFEST     sha256sum-format checksums of all of the above
 * It is written under a temp name and renamed into place, so a snapshot is
 * whole or absent; a snapshot never overwrites another.
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
	time_t time;
	char *note;
	struct kv_list keys;
	struct snapshot_file *files;
	size_t nfiles;
};

struct snapshot_info {
	char id[SNAPSHOT_ID_MAX];
	time_t time;
	char *note;
	size_t nkeys;
	int valid;                   /* checksums verified */
};

/* The files tunekit manages (absolute paths without the root), NULL-ended. */
extern const char *const snapshot_managed_files[];

/*
 * Read the live state into s: every readable, writable key under "net"
 * (world-readable ones only, so secrets such as tcp_fastopen_key stay out),
 * plus the keys of extra (any prefix), plus every managed file.
 */
int snapshot_capture(struct snapshot *s, const char *note, const struct kv_list *extra);

/* Capture one managed file (type, mode, contents or link target). */
int snapshot_file_capture(const char *abs_path, struct snapshot_file *f);
/* Put a managed file back as recorded (atomic write, symlink or unlink). */
int snapshot_file_restore(const struct snapshot_file *f);
/* 1 if the live file matches the record. */
int snapshot_file_matches(const struct snapshot_file *f);

/* Write s into the store under a new unique ID (filled into s->id). */
int snapshot_store(struct snapshot *s);

/* Load and verify a snapshot: -ENOENT, -EINVAL (bad ID), -EBADMSG (corrupt). */
int snapshot_load(const char *id, struct snapshot *s);

/* All snapshots, oldest first. */
int snapshot_list(struct snapshot_info **out, size_t *n);
void snapshot_info_free(struct snapshot_info *v, size_t n);

/* The newest snapshot's ID: 0, or -ENOENT when the store is empty. */
int snapshot_latest(char *id, size_t len);

/* Remove one snapshot. */
int snapshot_remove(const char *id);

/* 1 if id has the shape of a snapshot ID (no path characters). */
int snapshot_id_valid(const char *id);

void snapshot_free(struct snapshot *s);

#endif
