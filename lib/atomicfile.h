/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Replace a file so that readers see the old or the new contents, never a
 * mix, even across a crash: temp file in the same directory, fsync, rename,
 * fsync of the directory.
 */
#ifndef TUNEKIT_ATOMICFILE_H
#define TUNEKIT_ATOMICFILE_H

#include <stddef.h>
#include <sys/types.h>

/* Write data atomically to path with the given mode. 0 or -errno. */
int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode);

/* fsync the directory that holds path. 0 or -errno. */
int fsync_parent_dir(const char *path);

/*
 * Create a temp file next to path (".NAME.XXXXXX", O_CLOEXEC, mode 0600);
 * returns the fd and stores the malloc'd temp name in *tmp_path, or -errno.
 */
int atomic_tmpfile(const char *path, char **tmp_path);

/* fsync fd, rename tmp_path over path, fsync the directory. 0 or -errno;
 * on failure the temp file is removed. Does not close fd. */
int atomic_commit(int fd, const char *tmp_path, const char *path);

/* Flags for atomic_commit_flags(). */
enum {
	ATOMIC_NOSYNC = 1 << 0,    /* skip the fsync of the file and of the directory */
	ATOMIC_NOREPLACE = 1 << 1, /* fail with -EEXIST if path exists (RENAME_NOREPLACE) */
};

/* atomic_commit() with flags; without ATOMIC_NOSYNC it is atomic_commit().
 * On failure the temp file is removed. Does not close fd. */
int atomic_commit_flags(int fd, const char *tmp_path, const char *path, unsigned flags);

#endif
