/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Whole-file reads and directory creation. */
#ifndef TUNEKIT_FILEUTIL_H
#define TUNEKIT_FILEUTIL_H

#include <stddef.h>
#include <sys/types.h>

/*
 * Read a whole file (regular or /proc) into a NUL-terminated buffer.
 * Returns 0, -errno, or -EFBIG when it exceeds max bytes.
 */
int read_file(const char *path, size_t max, char **data, size_t *len);

/* Read all of an open descriptor (a pipe, stdin) the same way. */
int read_fd(int fd, size_t max, char **data, size_t *len);

/* mkdir -p with mode for the directories it creates; 0 or -errno. */
int mkdir_p(const char *path, mode_t mode);

/* Remove a directory tree (no symlink following); 0 or -errno. */
int remove_tree(const char *path);

#endif
