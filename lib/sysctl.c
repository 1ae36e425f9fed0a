/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fileutil.h"
#include "nicval.h"
#include "paths.h"
#include "sysctl.h"
#include "sysfsval.h"
#include "xalloc.h"

#define SYSCTL_VALUE_MAX (1 << 16)

int sysctl_key_parse(const char *key, char *dot, size_t dotlen,
		     char *rel, size_t rellen, const char **why)
{
	const char *reason = NULL;
	char sep;
	size_t n, comp_start = 0;
	char dbuf[SYSCTL_KEY_MAX + 1], pbuf[SYSCTL_KEY_MAX + 1];

	if (!key || !*key) {
		reason = "empty key";
		goto bad;
	}
	n = strlen(key);
	/* a queue setting under sysfs or of ethtool: its own fixed schema, the key is its canonical form */
	if (sysfs_key_is(key) || nic_key_is(key)) {
		int bad = sysfs_key_is(key) ? sysfs_key_parse(key, NULL, &reason) : nic_key_parse(key, NULL, &reason);
		if (n > SYSCTL_KEY_MAX || bad < 0) {
			reason = reason ? reason : "key too long";
			goto bad;
		}
		if ((dot && n >= dotlen) || (rel && n >= rellen)) {
			reason = "key too long";
			goto bad;
		}
		if (dot)
			strcpy(dot, key);
		if (rel)
			strcpy(rel, key);
		return 0;
	}
	if (n > SYSCTL_KEY_MAX) {
		reason = "key too long";
		goto bad;
	}
	if (key[0] == '/' || key[0] == '.') {
		reason = "key starts with a separator";
		goto bad;
	}
	const char *first = strpbrk(key, "./");
	sep = first ? *first : '.';

	for (size_t i = 0; i <= n; i++) {
		unsigned char c = (unsigned char)key[i];
		if (c == '\0' || c == sep) {
			size_t clen = i - comp_start;
			if (clen == 0) {
				reason = "empty component in key";
				goto bad;
			}
			/* in dot form "/" stands for ".", so ".." can be spelt "//" */
			if (sep == '.') {
				if ((clen == 1 && key[comp_start] == '/') ||
				    (clen == 2 && key[comp_start] == '/' && key[comp_start + 1] == '/')) {
					reason = "'.' or '..' component in key";
					goto bad;
				}
			} else if ((clen == 1 && key[comp_start] == '.') ||
				   (clen == 2 && key[comp_start] == '.' && key[comp_start + 1] == '.')) {
				reason = "'.' or '..' component in key";
				goto bad;
			}
			comp_start = i + 1;
			if (c == '\0') {
				dbuf[i] = pbuf[i] = '\0';
				break;
			}
			dbuf[i] = '.';
			pbuf[i] = '/';
			continue;
		}
		if (c <= 0x20 || c == 0x7f) {
			reason = isspace(c) ? "whitespace in key" : "control character in key";
			goto bad;
		}
		if (c == '*' || c == '?' || c == '[') {
			reason = "glob characters in key are not supported";
			goto bad;
		}
		/* the other separator is a literal dot inside a component */
		if (c == '.' || c == '/') {
			dbuf[i] = '/';
			pbuf[i] = '.';
		} else {
			dbuf[i] = pbuf[i] = (char)c;
		}
	}
	if (dot) {
		if (strlen(dbuf) >= dotlen) {
			reason = "key too long";
			goto bad;
		}
		strcpy(dot, dbuf);
	}
	if (rel) {
		if (strlen(pbuf) >= rellen) {
			reason = "key too long";
			goto bad;
		}
		strcpy(rel, pbuf);
	}
	return 0;
bad:
	if (why)
		*why = reason;
	return -EINVAL;
}

static char *sys_root(void)
{
	return tk_proc_path("sys");
}

char *sysctl_key_path(const char *key)
{
	if (sysfs_key_is(key))
		return sysfs_key_path(key);
	if (nic_key_is(key)) /* no file: ethtool netlink */
		return NULL;
	char rel[SYSCTL_KEY_MAX + 1];
	if (sysctl_key_parse(key, NULL, 0, rel, sizeof(rel), NULL) < 0)
		return NULL;
	char *root = sys_root();
	char *path = xasprintf("%s/%s", root, rel);
	free(root);
	return path;
}

/*
 * The key is validated component by component, but a crafted tree could
 * still hold a symlink out of the root: refuse a resolved path outside it.
 */
static int path_inside_root(const char *path)
{
	/* the root's resolved path, once per root (a restore reads every key twice) */
	static char root_seen[PATH_MAX], rroot[PATH_MAX];
	char *root = sys_root();
	char rpath[PATH_MAX];
	int inside = 0;
	if (strcmp(root, root_seen) != 0) {
		root_seen[0] = '\0';
		if (strlen(root) < sizeof(root_seen) && realpath(root, rroot))
			snprintf(root_seen, sizeof(root_seen), "%s", root);
	}
	if (root_seen[0] && realpath(path, rpath)) {
		size_t n = strlen(rroot);
		inside = strncmp(rroot, rpath, n) == 0 && rpath[n] == '/';
	}
	free(root);
	return inside;
}

int sysctl_read(const char *key, char **value)
{
	if (sysfs_key_is(key))
		return sysfs_read(key, value);
	if (nic_key_is(key))
		return nic_read(key, value);
	char *path = sysctl_key_path(key);
	if (!path)
		return -EINVAL;
	struct stat st;
	int rc;
	if (stat(path, &st) < 0)
		rc = -errno;
	else if (S_ISDIR(st.st_mode))
		rc = -EISDIR;
	else if (!path_inside_root(path))
		rc = -EXDEV;
	else {
		size_t len;
		rc = read_file(path, SYSCTL_VALUE_MAX, value, &len);
		if (rc == 0) {
			while (len > 0 && ((*value)[len - 1] == '\n'))
				(*value)[--len] = '\0';
			/* the kernel separates array values with tabs; print them as sysctl(8) does */
			for (char *t = *value; *t; t++)
				if (*t == '\t')
					*t = ' ';
		}
	}
	free(path);
	return rc;
}

int sysctl_write(const char *key, const char *value)
{
	if (sysfs_key_is(key))
		return sysfs_write(key, value);
	if (nic_key_is(key))
		return nic_write(key, value);
	char *path = sysctl_key_path(key);
	if (!path)
		return -EINVAL;
	int rc = 0;
	struct stat st;
	if (stat(path, &st) < 0) {
		rc = -errno;
		goto out;
	}
	if (S_ISDIR(st.st_mode)) {
		rc = -EISDIR;
		goto out;
	}
	if (!path_inside_root(path)) {
		rc = -EXDEV;
		goto out;
	}
	int fd = open(path, O_WRONLY | O_CLOEXEC | O_NOFOLLOW | (S_ISREG(st.st_mode) ? O_TRUNC : 0));
	if (fd < 0) {
		rc = -errno;
		goto out;
	}
	/* the kernel parses one write(2); a short write is an error */
	char *line = xasprintf("%s\n", value);
	size_t len = strlen(line);
	ssize_t w = write(fd, line, len);
	if (w < 0)
		rc = -errno;
	else if ((size_t)w != len)
		rc = -EIO;
	if (close(fd) < 0 && !rc)
		rc = -errno;
	free(line);
out:
	free(path);
	return rc;
}

int sysctl_exists(const char *key)
{
	unsigned mode;
	if (nic_key_is(key))
		return nic_mode(key, &mode) == 0;
	char *path = sysctl_key_path(key);
	if (!path)
		return 0;
	struct stat st;
	int ok = stat(path, &st) == 0 && !S_ISDIR(st.st_mode);
	free(path);
	return ok;
}

int sysctl_writable(const char *key)
{
	unsigned mode;
	if (nic_key_is(key)) /* CAP_NET_ADMIN is the kernel's to judge */
		return nic_mode(key, &mode) == 0 && geteuid() == 0;
	char *path = sysctl_key_path(key);
	if (!path)
		return 0;
	struct stat st;
	int ok = stat(path, &st) == 0 && !S_ISDIR(st.st_mode) &&
		 (st.st_mode & 0222) && access(path, W_OK) == 0;
	free(path);
	return ok;
}

int sysctl_mode(const char *key, unsigned *mode)
{
	if (sysfs_key_is(key))
		return sysfs_mode(key, mode);
	if (nic_key_is(key))
		return nic_mode(key, mode);
	char *path = sysctl_key_path(key);
	if (!path)
		return -EINVAL;
	struct stat st;
	int rc = stat(path, &st) < 0 ? -errno : 0;
	if (!rc)
		*mode = st.st_mode;
	free(path);
	return rc;
}

int sysctl_key_read_only(const char *key)
{
	unsigned mode;
	return sysctl_mode(key, &mode) == 0 && S_ISREG(mode) && !(mode & 0222);
}

void sysctl_value_normalize(const char *in, char *out, size_t outlen)
{
	size_t o = 0;
	int pending_space = 0;
	if (!outlen)
		return;
	for (const char *p = in; *p; p++) {
		if (isspace((unsigned char)*p)) {
			pending_space = o > 0;
			continue;
		}
		if (pending_space && o + 1 < outlen)
			out[o++] = ' ';
		pending_space = 0;
		if (o + 1 < outlen)
			out[o++] = *p;
	}
	out[o] = '\0';
}

int sysctl_value_equal(const char *a, const char *b)
{
	size_t la = strlen(a) + 1, lb = strlen(b) + 1;
	char *na = xmalloc(la), *nb = xmalloc(lb);
	sysctl_value_normalize(a, na, la);
	sysctl_value_normalize(b, nb, lb);
	int eq = strcmp(na, nb) == 0;
	free(na);
	free(nb);
	return eq;
}

int sysctl_key_value_equal(const char *key, const char *a, const char *b)
{
	if (sysfs_key_is(key))
		return sysfs_value_equal(key, a, b);
	if (nic_key_is(key))
		return nic_value_equal(key, a, b);
	return sysctl_value_equal(a, b);
}

int sysctl_key_value_normalize(const char *key, const char *value, char **out, const char **why)
{
	if (!sysfs_key_is(key) && !nic_key_is(key)) {
		*out = xstrdup(value);
		return 0;
	}
	char norm[SYSCTL_VALUE_MAX];
	int rc = sysfs_key_is(key) ? sysfs_value_normalize(key, value, norm, sizeof(norm), why) :
				     nic_value_normalize(key, value, norm, sizeof(norm), why);
	if (rc == 0)
		*out = xstrdup(norm);
	return rc;
}

int sysctl_value_is_numeric(const char *value)
{
	const char *p = value;
	int fields = 0;
	while (*p) {
		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		if (*p == '-' || *p == '+')
			p++;
		if (!isdigit((unsigned char)*p))
			return 0;
		while (isdigit((unsigned char)*p))
			p++;
		if (*p && !isspace((unsigned char)*p))
			return 0;
		fields++;
	}
	return fields > 0;
}

static int cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* dir is the absolute directory, dotkey its key prefix in dot form. */
static int walk_dir(const char *dir, const char *dotkey,
		    int (*fn)(const char *key, void *ctx), void *ctx)
{
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	char **names = NULL;
	size_t n = 0, cap = 0;
	struct dirent *de;
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.' && (!de->d_name[1] || (de->d_name[1] == '.' && !de->d_name[2])))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 32;
			names = xreallocarray(names, cap, sizeof(*names));
		}
		names[n++] = xstrdup(de->d_name);
	}
	closedir(d);
	if (n) /* qsort(NULL, 0) is undefined behaviour */
		qsort(names, n, sizeof(*names), cmp_names);

	int rc = 0;
	for (size_t i = 0; i < n; i++) {
		char *child = xasprintf("%s/%s", dir, names[i]);
		/* a literal dot in a file name is '/' in the dot form */
		for (char *c = names[i]; *c; c++)
			if (*c == '.')
				*c = '/';
		char *key = xasprintf("%s.%s", dotkey, names[i]);
		struct stat st;
		if (!rc && lstat(child, &st) == 0) {
			if (S_ISDIR(st.st_mode))
				rc = walk_dir(child, key, fn, ctx);
			else if (S_ISREG(st.st_mode))
				rc = fn(key, ctx);
		}
		free(key);
		free(child);
		free(names[i]);
	}
	free(names);
	return rc;
}

int sysctl_walk(const char *prefix, int (*fn)(const char *key, void *ctx), void *ctx)
{
	char dot[SYSCTL_KEY_MAX + 1], rel[SYSCTL_KEY_MAX + 1];
	if (sysctl_key_parse(prefix, dot, sizeof(dot), rel, sizeof(rel), NULL) < 0)
		return -EINVAL;
	char *root = sys_root();
	char *dir = xasprintf("%s/%s", root, rel);
	int rc = walk_dir(dir, dot, fn, ctx);
	free(dir);
	free(root);
	return rc;
}

const char *const sysctl_default_prefixes[] = { "net.", NULL };

int sysctl_key_allowed(const char *key, const char *const *prefixes)
{
	if (!prefixes)
		prefixes = sysctl_default_prefixes;
	/* queue settings of network devices: allowed where the whole net subtree is */
	if (sysfs_key_is(key) || nic_key_is(key))
		key = "net";
	for (; *prefixes; prefixes++) {
		size_t n = strlen(*prefixes);
		if (n == 0)
			return 1; /* "" allows every key */
		if ((*prefixes)[n - 1] == '.')
			n--;
		if (strncmp(key, *prefixes, n) == 0 && (key[n] == '.' || key[n] == '\0'))
			return 1;
	}
	return 0;
}

int sysctl_key_secret(const char *key)
{
	/* secret even where a fake or odd tree shows it world-readable */
	static const char *const named[] = { "tcp_fastopen_key", "stable_secret", NULL };
	char dot[SYSCTL_KEY_MAX + 1];
	if (sysfs_key_is(key) || nic_key_is(key) || sysctl_key_parse(key, dot, sizeof(dot), NULL, 0, NULL) < 0)
		return 0;
	const char *last = strrchr(dot, '.');
	last = last ? last + 1 : dot;
	for (const char *const *n = named; *n; n++)
		if (!strcmp(last, *n))
			return 1;
	unsigned mode;
	return sysctl_mode(key, &mode) == 0 && S_ISREG(mode) && !(mode & S_IROTH);
}
