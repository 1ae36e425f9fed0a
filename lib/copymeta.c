/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Metadata beyond mode, owner and times for the copy front end: extended
 * attributes (every namespace the caller may read and write; POSIX ACLs
 * are the system.posix_acl_* attributes) and the table that keeps hard
 * links as links within the copied set.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/xattr.h>

#include "copyjob.h"
#include "xalloc.h"

/* Listing, reading and writing through a descriptor, or a path (not
 * followed) for symlinks and directories. */
static ssize_t x_list(int fd, const char *path, char *buf, size_t n)
{
	return path ? llistxattr(path, buf, n) : flistxattr(fd, buf, n);
}

static ssize_t x_get(int fd, const char *path, const char *name, void *buf, size_t n)
{
	return path ? lgetxattr(path, name, buf, n) : fgetxattr(fd, name, buf, n);
}

static int x_set(int fd, const char *path, const char *name, const void *v, size_t n)
{
	return path ? lsetxattr(path, name, v, n, 0) : fsetxattr(fd, name, v, n, 0);
}

static int x_remove(int fd, const char *path, const char *name)
{
	return path ? lremovexattr(path, name) : fremovexattr(fd, name);
}

static bool listed(const char *names, ssize_t len, const char *name)
{
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1)
		if (!strcmp(names + i, name))
			return true;
	return false;
}

/* ACLs the new file inherited from a default ACL of its directory: not the
 * source's, so gone (as cp -a removes them). */
static const char *const inherited_acls[] = {
	"system.posix_acl_access",
	"system.posix_acl_default",
};

int copy_xattrs(int sfd, const char *spath, int dfd, const char *dpath, char *failed, size_t cap)
{
	char *names = NULL, *val = NULL;
	size_t vcap = 0;
	ssize_t len;
	int first = 0;

	if (failed && cap)
		failed[0] = '\0';
	/* the list can grow between the two calls: retry */
	for (int tries = 0; tries < 8; tries++) {
		len = x_list(sfd, spath, NULL, 0);
		if (len <= 0)
			break;
		names = xreallocarray(names, (size_t)len, 1);
		len = x_list(sfd, spath, names, (size_t)len);
		if (len >= 0 || errno != ERANGE)
			break;
	}
	if (len < 0) {
		int e = errno;
		free(names);
		/* a source file system without xattrs has none to copy */
		return e == ENOTSUP ? 0 : -e;
	}
	for (size_t k = 0; k < sizeof(inherited_acls) / sizeof(*inherited_acls); k++)
		if (!listed(names, len, inherited_acls[k]) &&
		    x_get(dfd, dpath, inherited_acls[k], NULL, 0) >= 0 &&
		    x_remove(dfd, dpath, inherited_acls[k]) < 0 && !first && errno != ENODATA) {
			first = -errno;
			if (failed && cap)
				snprintf(failed, cap, "%s", inherited_acls[k]);
		}
	for (ssize_t i = 0; i < len; i += (ssize_t)strlen(names + i) + 1) {
		const char *name = names + i;
		ssize_t n;
		for (;;) {
			n = x_get(sfd, spath, name, val, vcap);
			if (n >= 0 && (size_t)n <= vcap && (vcap || n == 0))
				break;
			if (n < 0 && errno != ERANGE)
				break;
			ssize_t want = x_get(sfd, spath, name, NULL, 0);
			if (want < 0) {
				n = -1;
				break;
			}
			vcap = (size_t)want + 64;
			val = xreallocarray(val, vcap, 1);
		}
		int rc = 0;
		if (n < 0)
			rc = errno == ENODATA ? 0 : -errno; /* removed meanwhile */
		else if (x_set(dfd, dpath, name, val, (size_t)n) < 0)
			rc = -errno;
		if (rc && !first) {
			first = rc;
			if (failed && cap)
				snprintf(failed, cap, "%s", name);
		}
	}
	free(names);
	free(val);
	return first;
}

/* ---- hard links ------------------------------------------------------------ */

struct link_slot {
	dev_t dev;
	ino_t ino;
	char *dst; /* NULL: free slot */
};

struct copy_links {
	struct link_slot *slots;
	size_t cap, used; /* cap a power of two */
};

struct copy_links *copy_links_new(void)
{
	struct copy_links *l = xcalloc(1, sizeof(*l));
	l->cap = 64;
	l->slots = xcalloc(l->cap, sizeof(*l->slots));
	return l;
}

static size_t link_hash(dev_t dev, ino_t ino, size_t cap)
{
	uint64_t h = (uint64_t)ino * 0x9e3779b97f4a7c15ULL ^ (uint64_t)dev * 0xc2b2ae3d27d4eb4fULL;
	return (size_t)(h ^ (h >> 29)) & (cap - 1);
}

static struct link_slot *link_find(struct link_slot *s, size_t cap, dev_t dev, ino_t ino)
{
	for (size_t i = link_hash(dev, ino, cap);; i = (i + 1) & (cap - 1))
		if (!s[i].dst || (s[i].dev == dev && s[i].ino == ino))
			return &s[i];
}

const char *copy_links_seen(struct copy_links *l, dev_t dev, ino_t ino, const char *dst)
{
	struct link_slot *s = link_find(l->slots, l->cap, dev, ino);
	if (s->dst)
		return s->dst;
	if ((l->used + 1) * 2 > l->cap) {
		size_t cap = l->cap * 2;
		struct link_slot *n = xcalloc(cap, sizeof(*n));
		for (size_t i = 0; i < l->cap; i++)
			if (l->slots[i].dst)
				*link_find(n, cap, l->slots[i].dev, l->slots[i].ino) = l->slots[i];
		free(l->slots);
		l->slots = n;
		l->cap = cap;
		s = link_find(l->slots, l->cap, dev, ino);
	}
	s->dev = dev;
	s->ino = ino;
	s->dst = xstrdup(dst);
	l->used++;
	return NULL;
}

void copy_links_free(struct copy_links *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->cap; i++)
		free(l->slots[i].dst);
	free(l->slots);
	free(l);
}
