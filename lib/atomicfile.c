/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomicfile.h"
#include "xalloc.h"

int fsync_parent_dir(const char *path)
{
	char *copy = xstrdup(path);
	int rc = 0;
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		rc = -errno;
	else {
		if (fsync(fd) < 0 && errno != EINVAL)
			rc = -errno;
		close(fd);
	}
	free(copy);
	return rc;
}

int atomic_tmpfile(const char *path, char **tmp_path)
{
	char *dcopy = xstrdup(path), *bcopy = xstrdup(path);
	char *tmpl = xasprintf("%s/.%s.XXXXXX", dirname(dcopy), basename(bcopy));
	free(dcopy);
	free(bcopy);

	int fd = mkostemp(tmpl, O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		free(tmpl);
		return -e;
	}
	*tmp_path = tmpl;
	return fd;
}

int atomic_commit(int fd, const char *tmp_path, const char *path)
{
	int rc = 0;
	if (fsync(fd) < 0)
		rc = -errno;
	else if (rename(tmp_path, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp_path);
		return rc;
	}
	return fsync_parent_dir(path);
}

int atomic_commit_flags(int fd, const char *tmp_path, const char *path, unsigned flags)
{
	int rc = 0;
	if (!(flags & ATOMIC_NOSYNC) && fsync(fd) < 0)
		rc = -errno;
	else if (flags & ATOMIC_NOREPLACE) {
		if (renameat2(AT_FDCWD, tmp_path, AT_FDCWD, path, RENAME_NOREPLACE) < 0)
			rc = -errno;
	} else if (rename(tmp_path, path) < 0)
		rc = -errno;
	if (rc) {
		unlink(tmp_path);
		return rc;
	}
	return (flags & ATOMIC_NOSYNC) ? 0 : fsync_parent_dir(path);
}

static int write_all(int fd, const void *data, size_t len)
{
	const char *p = data;
	while (len) {
		ssize_t w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int atomic_write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp;
	int fd = atomic_tmpfile(path, &tmp);
	if (fd < 0)
		return fd;

	int rc = write_all(fd, data, len);
	if (!rc && fchmod(fd, mode) < 0)
		rc = -errno;
	if (!rc)
		rc = atomic_commit(fd, tmp, path);
	else
		unlink(tmp);
	close(fd);
	free(tmp);
	return rc;
}
