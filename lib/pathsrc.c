/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pathsrc.h"
#include "xalloc.h"

enum { PATHSRC_CHUNK = 64 * 1024 };

struct pathsrc {
	/* argv source */
	char *const *argv;
	int argc, argi;
	/* stream source: buf[start..end) holds unparsed bytes */
	int fd;                 /* -1 for memory */
	int delim;
	size_t max_len;
	char *buf;
	size_t cap, start, end;
	int eof;
	int skipping;           /* inside an overlong entry */
	const char *mem;        /* memory source */
	size_t mem_len, mem_off;
	unsigned long long count;
};

struct pathsrc *pathsrc_from_argv(char *const *argv, int argc)
{
	struct pathsrc *ps = xcalloc(1, sizeof(*ps));
	ps->argv = argv;
	ps->argc = argc;
	ps->fd = -1;
	return ps;
}

static struct pathsrc *stream_new(int fd, int delim, size_t max_len)
{
	struct pathsrc *ps = xcalloc(1, sizeof(*ps));
	ps->fd = fd;
	ps->delim = delim;
	ps->max_len = max_len ? max_len : 1;
	/* room for one maximal entry, its NUL and one chunk of look-ahead */
	ps->cap = ps->max_len + 1 + PATHSRC_CHUNK;
	ps->buf = xmalloc(ps->cap);
	return ps;
}

struct pathsrc *pathsrc_from_fd(int fd, int delim, size_t max_len)
{
	return stream_new(fd, delim, max_len);
}

struct pathsrc *pathsrc_from_mem(const void *data, size_t len, int delim, size_t max_len)
{
	struct pathsrc *ps = stream_new(-1, delim, max_len);
	ps->mem = data;
	ps->mem_len = len;
	return ps;
}

/* Move the unparsed bytes to the front and read more; 0 or -errno. */
static int fill(struct pathsrc *ps)
{
	if (ps->start > 0) {
		memmove(ps->buf, ps->buf + ps->start, ps->end - ps->start);
		ps->end -= ps->start;
		ps->start = 0;
	}
	size_t room = ps->cap - 1 - ps->end;
	if (room > PATHSRC_CHUNK)
		room = PATHSRC_CHUNK;
	if (ps->fd < 0) {
		size_t n = ps->mem_len - ps->mem_off;
		if (n > room)
			n = room;
		memcpy(ps->buf + ps->end, ps->mem + ps->mem_off, n);
		ps->mem_off += n;
		ps->end += n;
		if (n == 0)
			ps->eof = 1;
		return 0;
	}
	for (;;) {
		ssize_t r = read(ps->fd, ps->buf + ps->end, room);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (r == 0)
			ps->eof = 1;
		ps->end += (size_t)r;
		return 0;
	}
}

static int stream_next(struct pathsrc *ps, const char **path, size_t *len)
{
	for (;;) {
		char *p = ps->buf + ps->start;
		size_t avail = ps->end - ps->start;
		char *d = avail ? memchr(p, ps->delim, avail) : NULL;

		if (ps->skipping) {
			/* drop the rest of an overlong entry up to its delimiter */
			if (d) {
				ps->start += (size_t)(d - p) + 1;
				ps->skipping = 0;
				continue;
			}
			ps->start = ps->end;
			if (ps->eof) {
				ps->skipping = 0;
				return 0;
			}
			int rc = fill(ps);
			if (rc < 0)
				return rc;
			continue;
		}
		if (d || (ps->eof && avail > 0)) {
			size_t n = d ? (size_t)(d - p) : avail;
			if (n > ps->max_len) {
				ps->start += d ? n + 1 : n;
				ps->count++;
				return -ENAMETOOLONG;
			}
			ps->start += d ? n + 1 : n;
			if (n == 0)
				continue;
			p[n] = '\0';    /* the delimiter, or spare room at EOF */
			*path = p;
			*len = n;
			ps->count++;
			return 1;
		}
		if (ps->eof)
			return 0;
		if (avail > ps->max_len) {
			/* no delimiter within max_len bytes: skip the entry */
			ps->start = ps->end;
			ps->skipping = 1;
			ps->count++;
			return -ENAMETOOLONG;
		}
		int rc = fill(ps);
		if (rc < 0)
			return rc;
	}
}

int pathsrc_next(struct pathsrc *ps, const char **path, size_t *len)
{
	if (!ps->buf) {
		while (ps->argi < ps->argc) {
			const char *a = ps->argv[ps->argi++];
			ps->count++;
			*path = a;
			*len = strlen(a);
			return 1;
		}
		return 0;
	}
	return stream_next(ps, path, len);
}

unsigned long long pathsrc_count(const struct pathsrc *ps)
{
	return ps->count;
}

void pathsrc_free(struct pathsrc *ps)
{
	if (!ps)
		return;
	free(ps->buf);
	free(ps);
}
