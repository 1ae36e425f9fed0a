/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Inside the copy front end: the queue and what lib/copyjob.c (cp
 * semantics, the work queue, metadata), lib/copychunk.c (chunks, extents,
 * alignment) and lib/copytemp.c (temp files, signal cleanup) share. Not
 * for the tools: they see lib/copyjob.h.
 */
#ifndef TUNEKIT_COPYINT_H
#define TUNEKIT_COPYINT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "copyjob.h"
#include "progress.h"

/* Named temp files (where O_TMPFILE is missing) are ".NAME.tkcp-XXXXXX",
 * created with TMP_MODE and locked (flock): a file with that name, our owner,
 * no mode bit beyond TMP_MODE (a umask may take some away), one link and no
 * lock is a copy that died, and the next run into the directory removes it.
 * A creator that loses its fresh file to such a cleaner (in the moment
 * before its lock) sees that and tries a new name. */
#define TMP_MARK ".tkcp-"
#define TMP_MODE 0600
/* Room left for the marker and suffix in a NAME_MAX component. */
#define TMP_BASE_MAX 200

struct copy_item {
	char *src, *dst;
	mode_t mode;   /* mode for the new file */
	bool nofollow; /* open the source with O_NOFOLLOW (inside a tree) */
	bool stream;   /* dst is an existing device or FIFO: write into it */
	bool replaces; /* dst is an existing regular file */
	bool dropped_setid; /* ...whose set-uid/set-gid bits mode leaves out */
	bool stream_src; /* src is a pipe or device: read to EOF */
	bool from_stdin; /* src is "-": standard input */
};

/* One line of the manifest: a committed file and its SHA-256. */
struct manifest_entry {
	char *dst;
	char hex[DIGEST_HEX_MAX];
};

/* A hard link of a file copied earlier in this run, made once the engine
 * is done (the first copy has its name then). */
struct copy_link {
	char *src, *target, *dst;
};

/* A directory already searched for stale temp files in this run. */
struct copy_seen_dir {
	dev_t dev;
	ino_t ino;
};

struct copy_dir {
	char *src, *dst;
	struct stat st;
	bool created;
};

struct copy_queue {
	const struct copy_opts *o;
	struct copy_stats *stats;
	struct copy_item *items;
	size_t n_items, cap_items, next_item;
	struct copy_dir *dirs;
	size_t n_dirs, cap_dirs;
	uint64_t total_bytes;
	mode_t umask;
	struct progress *progress;
	bool warned_no_direct;
	unsigned warned_xattr; /* one warning a run for attributes not kept */
	bool no_tmpfile; /* TUNEKIT_NO_TMPFILE: named temp files only */
	struct copy_seen_dir *cleaned;
	size_t n_cleaned, cap_cleaned;
	char *last_cleaned; /* the directory cleaned last, by name: files in a row share it */
	struct copy_links *links; /* --preserve=links: first copy of each inode */
	struct copy_link *pending;
	size_t n_pending, cap_pending;
	struct manifest_entry *mf; /* --manifest: the files committed */
	size_t n_mf, cap_mf;
	bool mf_sorted;
};

/* lib/copytemp.c: temp files, and their removal when a signal ends us */
void copy_signals_install(size_t slots);
void copy_signals_restore(void);
void copy_tmp_register(char *path);
void copy_tmp_unregister(const char *path);
/* ".NAME.tkcp-XXXXXX" next to path; malloc'd. */
char *copy_tmp_name(const char *path);
/* A second descriptor of fd's file (by /proc/self/fd), else of path. */
int copy_reopen_fd(int fd, const char *path, int flags);
/* The file f's data goes to until the commit (O_TMPFILE, else named and
 * locked): the descriptor, or -errno. */
int copy_tmp_create(struct copy_queue *q, struct copy_file *f);
/* Give the O_TMPFILE of f its name (ATOMIC_* flags). 0 or -errno. */
int copy_commit_anon(struct copy_file *f, unsigned flags);

#endif
