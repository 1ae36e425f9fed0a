/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"

#include "paths.h"
#include "xalloc.h"

static char *root_override;
static int root_set;

static char *strip_trailing_slashes(const char *s)
{
	char *r = xstrdup(s ? s : "");
	size_t n = strlen(r);
	while (n > 0 && r[n - 1] == '/')
		r[--n] = '\0';
	return r;
}

void tk_set_root(const char *dir)
{
	free(root_override);
	root_override = strip_trailing_slashes(dir);
	root_set = 1;
}

const char *tk_root(void)
{
	if (!root_set) {
		root_override = strip_trailing_slashes(getenv("TUNEKIT_ROOT"));
		root_set = 1;
	}
	return root_override;
}

char *tk_path(const char *abs)
{
	return xasprintf("%s%s", tk_root(), abs);
}

const char *tk_proc(void)
{
	static char *proc;
	if (!proc) {
		const char *env = getenv("TUNEKIT_PROC");
		proc = strip_trailing_slashes(env && *env ? env : "/proc");
	}
	return proc;
}

char *tk_proc_path(const char *rel)
{
	return xasprintf("%s/%s", tk_proc(), rel);
}

int tk_stat_trusted(const struct stat *st)
{
	return (st->st_uid == 0 || st->st_uid == geteuid()) && !(st->st_mode & (S_IWGRP | S_IWOTH));
}

int tk_dir_trusted(const char *path, const char **why)
{
	struct stat st;
	const char *reason = NULL;
	int rc = 0;
	if (lstat(path, &st) < 0) {
		rc = -errno;
		reason = rc == -ENOENT ? "does not exist" : NULL;
	} else if (!S_ISDIR(st.st_mode)) {
		rc = -ENOTDIR;
		reason = S_ISLNK(st.st_mode) ? "is a symbolic link, not a directory" : "is not a directory";
	} else if (st.st_uid != 0 && st.st_uid != geteuid()) {
		rc = -EPERM;
		reason = "is not owned by root";
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		rc = -EPERM;
		reason = "is writable by group or others";
	}
	if (why)
		*why = reason;
	return rc;
}

int tk_dir_ensure(const char *path, mode_t mode, const char **why)
{
	struct stat st;
	if (why)
		*why = NULL;
	if (lstat(path, &st) < 0 && errno == ENOENT) {
		char *parent = xstrdup(path);
		char *slash = strrchr(parent, '/');
		int rc = 0;
		if (slash && slash != parent) {
			*slash = '\0';
			rc = mkdir_p(parent, 0755);
		}
		free(parent);
		if (rc)
			return rc;
		if (mkdir(path, mode) == 0) {
			if (chmod(path, mode) < 0) /* the umask must not loosen or tighten it */
				return -errno;
		} else if (errno != EEXIST) {
			return -errno;
		}
	}
	return tk_dir_trusted(path, why);
}
