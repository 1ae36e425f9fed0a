/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Checked allocation: on failure print "prog: out of memory" and exit 1. */
#ifndef TUNEKIT_XALLOC_H
#define TUNEKIT_XALLOC_H

#include <stddef.h>

void *xmalloc(size_t size);
void *xcalloc(size_t nmemb, size_t size);
/* Like reallocarray(3): overflow of nmemb * size is an error. */
void *xreallocarray(void *ptr, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* asprintf that cannot fail. */
char *xasprintf(const char *fmt, ...) __attribute__((__format__(__printf__, 1, 2)));
/* Append s to the NUL-terminated text of *len bytes in a buffer of *cap
 * (both 0 and *text NULL to start), growing it by doubling. */
void xappend(char **text, size_t *len, size_t *cap, const char *s);

#endif
