/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kvconf.h"
#include "strhash.h"
#include "sysctl.h"
#include "xalloc.h"

static int is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\v' || c == '\f';
}

int kvconf_parse_line(const char *line, size_t len, struct kv_entry *entry, const char **why)
{
	const char *p = line, *end = line + len;
	char dot[SYSCTL_KEY_MAX + 1];

	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	if (p == end || *p == '#' || *p == ';')
		return 0;

	int ignore = 0;
	if (*p == '-') {
		ignore = 1;
		p++;
	}
	const char *eq = memchr(p, '=', (size_t)(end - p));
	if (!eq) {
		*why = "no '=' in line";
		return -EINVAL;
	}
	const char *kend = eq, *v = eq + 1;
	while (kend > p && is_blank(kend[-1]))
		kend--;
	while (v < end && is_blank(*v))
		v++;
	if (kend == p) {
		*why = "empty key";
		return -EINVAL;
	}
	for (const char *c = v; c < end; c++) {
		if ((unsigned char)*c < 0x20 && *c != '\t') {
			*why = "control character in value";
			return -EINVAL;
		}
	}
	char *key = xstrndup(p, (size_t)(kend - p));
	if (strlen(key) != (size_t)(kend - p)) {
		free(key);
		*why = "NUL byte in key";
		return -EINVAL;
	}
	int rc = sysctl_key_parse(key, dot, sizeof(dot), NULL, 0, why);
	free(key);
	if (rc < 0)
		return rc;

	entry->key = xstrdup(dot);
	entry->value = xstrndup(v, (size_t)(end - v));
	entry->ignore_errors = ignore;
	entry->line = 0;
	return 1;
}

/* The slot of key: where it is indexed, or the empty slot it would take. */
static size_t slot_of(const struct kv_list *list, const char *key, int *found)
{
	size_t mask = list->nslot - 1, i = (size_t)strhash(key, strlen(key)) & mask;
	*found = 0;
	while (list->slot[i]) {
		if (strcmp(list->v[list->slot[i] - 1].key, key) == 0) {
			*found = 1;
			break;
		}
		i = (i + 1) & mask;
	}
	return i;
}

/* Index every entry in a table at most half full. */
static void index_rebuild(struct kv_list *list, size_t want)
{
	size_t nslot = 16;
	while (nslot < 2 * want)
		nslot *= 2;
	if (nslot != list->nslot) {
		free(list->slot);
		list->slot = xcalloc(nslot, sizeof(*list->slot));
		list->nslot = nslot;
	} else {
		memset(list->slot, 0, nslot * sizeof(*list->slot));
	}
	for (size_t e = 0; e < list->n; e++) {
		int found;
		size_t i = slot_of(list, list->v[e].key, &found);
		if (!found) /* a duplicate put in by hand: the first one stays findable */
			list->slot[i] = e + 1;
	}
	list->indexed = list->n;
}

long kv_list_find(const struct kv_list *list, const char *key)
{
	if (list->slot && list->indexed == list->n) {
		int found;
		size_t i = slot_of(list, key, &found);
		return found ? (long)(list->slot[i] - 1) : -1;
	}
	for (size_t i = 0; i < list->n; i++)
		if (strcmp(list->v[i].key, key) == 0)
			return (long)i;
	return -1;
}

static void kv_list_put(struct kv_list *list, struct kv_entry *e)
{
	if (!list->slot || list->indexed != list->n || 2 * (list->n + 1) > list->nslot)
		index_rebuild(list, list->n + 1);
	int found;
	size_t i = slot_of(list, e->key, &found);
	if (found) {
		size_t at = list->slot[i] - 1;
		kv_entry_free(&list->v[at]);
		list->v[at] = *e;
		return;
	}
	if (list->n == list->cap) {
		list->cap = list->cap ? list->cap * 2 : 16;
		list->v = xreallocarray(list->v, list->cap, sizeof(*list->v));
	}
	list->v[list->n++] = *e;
	list->slot[i] = list->n;
	list->indexed = list->n;
}

void kv_list_set(struct kv_list *list, const char *key, const char *value)
{
	struct kv_entry e = { xstrdup(key), xstrdup(value), 0, 0 };
	kv_list_put(list, &e);
}

int kvconf_parse_buffer(const char *buf, size_t len, struct kv_list *list, struct kv_error *err)
{
	struct kv_list tmp = { 0 };
	const char *p = buf, *end = buf + len;
	unsigned lineno = 0;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *lend = nl ? nl : end;
		lineno++;
		const char *why = NULL;
		if ((size_t)(lend - p) > KVCONF_LINE_MAX)
			why = "line too long";
		else if (memchr(p, '\0', (size_t)(lend - p)))
			why = "NUL byte in line";
		if (!why) {
			struct kv_entry e;
			int rc = kvconf_parse_line(p, (size_t)(lend - p), &e, &why);
			if (rc > 0) {
				e.line = lineno;
				kv_list_put(&tmp, &e);
			} else if (rc == 0) {
				why = NULL;
			}
		}
		if (why) {
			kv_list_free(&tmp);
			err->line = lineno;
			err->why = why;
			return -EINVAL;
		}
		p = nl ? nl + 1 : end;
	}
	for (size_t i = 0; i < tmp.n; i++)
		kv_list_put(list, &tmp.v[i]);
	free(tmp.v);
	free(tmp.slot);
	return 0;
}

static int cmp_entry(const void *a, const void *b)
{
	return strcmp(((const struct kv_entry *)a)->key, ((const struct kv_entry *)b)->key);
}

void kv_list_sort(struct kv_list *list)
{
	if (list->n > 1)
		qsort(list->v, list->n, sizeof(*list->v), cmp_entry);
	if (list->slot)
		index_rebuild(list, list->n);
}

void kv_entry_free(struct kv_entry *e)
{
	free(e->key);
	free(e->value);
	e->key = e->value = NULL;
}

void kv_list_free(struct kv_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		kv_entry_free(&list->v[i]);
	free(list->v);
	free(list->slot);
	list->v = NULL;
	list->slot = NULL;
	list->n = list->cap = list->nslot = list->indexed = 0;
}

void kvconf_print(FILE *out, const struct kv_list *list)
{
	for (size_t i = 0; i < list->n; i++)
		fprintf(out, "%s%s = %s\n", list->v[i].ignore_errors ? "-" : "",
			list->v[i].key, list->v[i].value);
}

char *kvconf_format(const struct kv_list *list, const char *header)
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	if (!f)
		return NULL;
	if (header)
		fputs(header, f);
	kvconf_print(f, list);
	if (fclose(f) != 0) {
		free(buf);
		return NULL;
	}
	return buf;
}
