/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * A stream of path names from the command line or from a descriptor
 * (newline- or NUL-separated, as `find -print0` writes them), read with
 * bounded memory: only the current entry is held.
 */
#ifndef TUNEKIT_PATHSRC_H
#define TUNEKIT_PATHSRC_H

#include <stddef.h>

struct pathsrc;

/* Paths from argv[0..argc-1] (not copied: argv must outlive the source). */
struct pathsrc *pathsrc_from_argv(char *const *argv, int argc);

/*
 * Paths from fd separated by delim ('\n' or '\0'); empty entries are
 * skipped. An entry longer than max_len bytes is skipped and reported once
 * as -ENAMETOOLONG.
 */
struct pathsrc *pathsrc_from_fd(int fd, int delim, size_t max_len);

/* Paths from a memory buffer, split like pathsrc_from_fd (tests, fuzzing). */
struct pathsrc *pathsrc_from_mem(const void *data, size_t len, int delim, size_t max_len);

/*
 * Next path: 1 with *path (NUL-terminated, valid until the next call) and
 * *len set; 0 at the end; -ENAMETOOLONG for an overlong entry (call again
 * for the next one); other -errno for a read error (the end).
 */
int pathsrc_next(struct pathsrc *ps, const char **path, size_t *len);

/* Entries returned so far (overlong ones included). */
unsigned long long pathsrc_count(const struct pathsrc *ps);

void pathsrc_free(struct pathsrc *ps);

#endif
