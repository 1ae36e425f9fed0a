/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "treewalk.h"
#include "xalloc.h"

struct entry {
	char *name;             /* a directory's name ends with '/' here */
	size_t len;             /* without that '/' */
	bool dir;
};

struct frame {
	struct entry *ents;
	size_t n, next;
	size_t base;            /* path length up to and with this dir's '/' */
	dev_t dev;
	ino_t ino;
};

struct treewalk {
	struct pathsrc *roots;
	int flags;
	dev_t root_dev;
	struct frame *stack;
	size_t depth, cap;
	char *path;
	size_t path_len, path_cap;
};

struct treewalk *treewalk_new(struct pathsrc *roots, int flags)
{
	struct treewalk *tw = xcalloc(1, sizeof(*tw));
	tw->roots = roots;
	tw->flags = flags;
	return tw;
}

int treewalk_keycmp(const char *a, int a_dir, const char *b, int b_dir)
{
	const unsigned char *x = (const unsigned char *)a, *y = (const unsigned char *)b;
	for (;;) {
		/* a directory's name goes on with '/', a file's ends */
		int cx = *x ? *x : (a_dir == 1 ? '/' : 0);
		int cy = *y ? *y : (b_dir == 1 ? '/' : 0);
		if (cx != cy || !cx)
			return cx - cy;
		if (!*x)
			a_dir = 2;      /* the '/' is used: the key ends next */
		else
			x++;
		if (!*y)
			b_dir = 2;
		else
			y++;
	}
}

static int entcmp(const void *pa, const void *pb)
{
	const struct entry *a = pa, *b = pb;
	return treewalk_keycmp(a->name, a->dir, b->name, b->dir);
}

static void path_set(struct treewalk *tw, size_t at, const char *s, size_t len)
{
	if (at + len + 2 > tw->path_cap) {
		tw->path_cap = (at + len + 2) * 2;
		tw->path = xreallocarray(tw->path, tw->path_cap, 1);
	}
	memcpy(tw->path + at, s, len);
	tw->path_len = at + len;
	tw->path[tw->path_len] = '\0';
}

static void frame_free(struct frame *f)
{
	for (size_t i = 0; i < f->n; i++)
		free(f->ents[i].name);
	free(f->ents);
	f->ents = NULL;
}

/* Is this entry a directory to walk, a regular file, or neither? */
static int classify(struct treewalk *tw, int dfd, const struct dirent *d, bool *dir)
{
	struct stat st;
	unsigned char type = d->d_type;

	if (type == DT_LNK && !(tw->flags & TREEWALK_FOLLOW))
		return 0;
	if (type == DT_UNKNOWN || type == DT_LNK) {
		int fl = (tw->flags & TREEWALK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW;
		if (fstatat(dfd, d->d_name, &st, fl) < 0)
			return 0;       /* vanished or a dangling link: not a file */
		type = S_ISDIR(st.st_mode) ? DT_DIR : S_ISREG(st.st_mode) ? DT_REG : DT_UNKNOWN;
	}
	*dir = type == DT_DIR;
	return type == DT_DIR || type == DT_REG;
}

/* Read and sort the directory at tw->path; push it. 0 or -errno. */
static int push_dir(struct treewalk *tw)
{
	struct frame f = { 0 };
	size_t cap = 0;
	struct stat st;
	DIR *dir;
	int dfd;

	dfd = open(tw->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOCTTY);
	if (dfd < 0)
		return -errno;
	if (fstat(dfd, &st) < 0) {
		int e = errno;
		close(dfd);
		return -e;
	}
	for (size_t i = 0; i < tw->depth; i++)
		if (tw->stack[i].dev == st.st_dev && tw->stack[i].ino == st.st_ino) {
			close(dfd);
			return TREEWALK_ELOOP;
		}
	if (tw->depth == 0)
		tw->root_dev = st.st_dev;
	dir = fdopendir(dfd);
	if (!dir) {
		int e = errno;
		close(dfd);
		return -e;
	}
	for (;;) {
		struct dirent *d;
		bool isdir = false;
		errno = 0;
		d = readdir(dir);
		if (!d) {
			if (errno) {
				int e = errno;
				closedir(dir);
				frame_free(&f);
				return -e;
			}
			break;
		}
		if (!strcmp(d->d_name, ".") || !strcmp(d->d_name, ".."))
			continue;
		if (!classify(tw, dirfd(dir), d, &isdir))
			continue;
		if (f.n == cap) {
			cap = cap ? cap * 2 : 32;
			f.ents = xreallocarray(f.ents, cap, sizeof(*f.ents));
		}
		f.ents[f.n].name = xstrdup(d->d_name);
		f.ents[f.n].len = strlen(d->d_name);
		f.ents[f.n].dir = isdir;
		f.n++;
	}
	closedir(dir);
	qsort(f.ents, f.n, sizeof(*f.ents), entcmp);
	f.dev = st.st_dev;
	f.ino = st.st_ino;
	/* "ROOT" + "/", unless the root already ends with '/' (as find) */
	if (tw->path_len == 0 || tw->path[tw->path_len - 1] != '/')
		path_set(tw, tw->path_len, "/", 1);
	f.base = tw->path_len;
	if (tw->depth == tw->cap) {
		tw->cap = tw->cap ? tw->cap * 2 : 16;
		tw->stack = xreallocarray(tw->stack, tw->cap, sizeof(*tw->stack));
	}
	tw->stack[tw->depth++] = f;
	return 0;
}

int treewalk_next(struct treewalk *tw, const char **path, size_t *len)
{
	for (;;) {
		if (tw->depth == 0) {
			const char *root;
			size_t rlen;
			struct stat st;
			int rc = pathsrc_next(tw->roots, &root, &rlen);
			if (rc <= 0) {
				*path = NULL;
				return rc;
			}
			path_set(tw, 0, root, rlen);
			/* a root that is not a directory goes on as given */
			if (stat(root, &st) < 0 || !S_ISDIR(st.st_mode)) {
				*path = tw->path;
				*len = tw->path_len;
				return 1;
			}
			rc = push_dir(tw);
			if (rc < 0) {
				path_set(tw, 0, root, rlen);
				*path = tw->path;
				*len = tw->path_len;
				return rc;
			}
			continue;
		}
		struct frame *f = &tw->stack[tw->depth - 1];
		if (f->next == f->n) {
			frame_free(f);
			tw->depth--;
			continue;
		}
		struct entry *e = &f->ents[f->next++];
		path_set(tw, f->base, e->name, e->len);
		if (!e->dir) {
			*path = tw->path;
			*len = tw->path_len;
			return 1;
		}
		if (tw->flags & TREEWALK_XDEV) {
			struct stat st;
			int fl = (tw->flags & TREEWALK_FOLLOW) ? 0 : AT_SYMLINK_NOFOLLOW;
			if (fstatat(AT_FDCWD, tw->path, &st, fl) == 0 && st.st_dev != tw->root_dev)
				continue;
		}
		size_t keep = tw->path_len;
		int rc = push_dir(tw);
		if (rc < 0) {
			tw->path_len = keep;
			tw->path[keep] = '\0';
			*path = tw->path;
			*len = tw->path_len;
			return rc;
		}
	}
}

void treewalk_free(struct treewalk *tw)
{
	if (!tw)
		return;
	while (tw->depth)
		frame_free(&tw->stack[--tw->depth]);
	free(tw->stack);
	free(tw->path);
	pathsrc_free(tw->roots);
	free(tw);
}
