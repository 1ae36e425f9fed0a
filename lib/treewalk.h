/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Regular files under directory trees, depth first, in the order of
 * `find -H ROOT -type f -print0 | LC_ALL=C sort -z` for each root: the
 * entries of a directory are sorted by bytes, a subdirectory as if its name
 * ended with '/', and a subdirectory is walked where it sorts. Only the
 * listings of the directories on the current path are held.
 */
#ifndef TUNEKIT_TREEWALK_H
#define TUNEKIT_TREEWALK_H

#include <errno.h>
#include <stddef.h>

#include "pathsrc.h"

enum {
	TREEWALK_FOLLOW = 1,    /* -L: follow symbolic links below the roots */
	TREEWALK_XDEV = 2,      /* -x: do not descend into other file systems */
};

/* Special error of treewalk_next: a directory loop through symlinks (-L). */
#define TREEWALK_ELOOP (-ELOOP)

struct treewalk;

/* Walk the paths of roots (taken over: freed with the walk). */
struct treewalk *treewalk_new(struct pathsrc *roots, int flags);

/*
 * Next name: 1 with *path and *len set (a regular file found in a walk, or a
 * root that is not a directory, passed on as given); 0 at the end; -errno
 * about *path (a directory that could not be read, TREEWALK_ELOOP for a
 * loop), call again to go on; an error of the root source as
 * pathsrc_next() gives it (*path NULL), -ENAMETOOLONG to go on, others the end.
 * *path stays valid until the next call.
 */
int treewalk_next(struct treewalk *tw, const char **path, size_t *len);

void treewalk_free(struct treewalk *tw);

/* Compare two entry keys as the walk orders them (exposed for tests). */
int treewalk_keycmp(const char *a, int a_dir, const char *b, int b_dir);

#endif
