/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * The digest of a file taken from the copy's own buffers (--manifest,
 * --verify): chunks complete in any order, the digest needs them in file
 * order. A chunk that arrives early is kept (copied: its buffer goes back
 * to the engine) until the ones before it are in; at most the queue depth
 * of chunks wait. Holes are digested as the zeros they read as.
 */
#include "config.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "copyjob.h"
#include "xalloc.h"

struct held_chunk {
	uint64_t off;
	size_t len;
	char *data;
};

struct copy_hash {
	struct digest *d;
	uint64_t pos;   /* bytes digested: [0, pos) */
	size_t ext_idx; /* first extent that ends after pos */
	struct held_chunk *held;
	size_t n_held, cap_held;
};

static const char zeros[64 * 1024];

struct copy_hash *copy_hash_new(enum digest_kind kind)
{
	struct copy_hash *h = xcalloc(1, sizeof(*h));
	h->d = digest_new(kind);
	return h;
}

void copy_hash_free(struct copy_hash *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n_held; i++)
		free(h->held[i].data);
	free(h->held);
	digest_free(h->d);
	free(h);
}

/* Where the next data byte from pos on is (ext NULL: a dense stream). */
static uint64_t next_data(struct copy_hash *h, const struct copy_extent *ext, size_t n)
{
	if (!ext)
		return h->pos;
	while (h->ext_idx < n && ext[h->ext_idx].off + ext[h->ext_idx].len <= h->pos)
		h->ext_idx++;
	if (h->ext_idx == n)
		return UINT64_MAX;
	return ext[h->ext_idx].off > h->pos ? ext[h->ext_idx].off : h->pos;
}

static void feed_zeros(struct copy_hash *h, uint64_t upto)
{
	while (h->pos < upto) {
		uint64_t n = upto - h->pos < sizeof(zeros) ? upto - h->pos : sizeof(zeros);
		digest_update(h->d, zeros, (size_t)n);
		h->pos += n;
	}
}

static void feed(struct copy_hash *h, uint64_t off, const void *data, size_t len)
{
	feed_zeros(h, off);
	digest_update(h->d, data, len);
	h->pos = off + len;
}

/* Digest the kept chunks that are now next. */
static void drain(struct copy_hash *h, const struct copy_extent *ext, size_t n)
{
	for (size_t i = 0; i < h->n_held;) {
		if (h->held[i].off != next_data(h, ext, n)) {
			i++;
			continue;
		}
		struct held_chunk c = h->held[i];
		h->held[i] = h->held[--h->n_held];
		feed(h, c.off, c.data, c.len);
		free(c.data);
		i = 0;
	}
}

void copy_hash_chunk(struct copy_hash *h, const struct copy_extent *ext, size_t n, uint64_t off,
		     const void *data, size_t len)
{
	if (off == next_data(h, ext, n)) {
		feed(h, off, data, len);
		drain(h, ext, n);
		return;
	}
	if (h->n_held == h->cap_held) {
		h->cap_held = h->cap_held ? h->cap_held * 2 : 8;
		h->held = xreallocarray(h->held, h->cap_held, sizeof(*h->held));
	}
	struct held_chunk *c = &h->held[h->n_held++];
	c->off = off;
	c->len = len;
	c->data = xmalloc(len ? len : 1);
	memcpy(c->data, data, len);
}

int copy_hash_final(struct copy_hash *h, const struct copy_extent *ext, size_t n, uint64_t size,
		    char *hex)
{
	drain(h, ext, n);
	if (h->n_held || h->pos > size)
		return -EIO; /* a chunk never came: not the file's digest */
	feed_zeros(h, size);
	digest_final_hex(h->d, hex);
	return 0;
}

char *copy_manifest_line(const char *hex, const char *name)
{
	bool esc = strpbrk(name, "\\\n") != NULL;
	size_t n = strlen(hex) + 2 * strlen(name) + 5;
	char *out = xmalloc(n), *p = out;
	if (esc)
		*p++ = '\\';
	p += sprintf(p, "%s  ", hex);
	for (const char *c = name; *c; c++) {
		if (*c == '\\' || *c == '\n') {
			*p++ = '\\';
			*p++ = *c == '\n' ? 'n' : '\\';
		} else {
			*p++ = *c;
		}
	}
	*p++ = '\n';
	*p = '\0';
	return out;
}
