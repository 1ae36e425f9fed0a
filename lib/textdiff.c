/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "textdiff.h"

#define TEXTDIFF_MAX_LINES 4096
#define TEXTDIFF_CONTEXT 3

struct lines {
	const char **p;
	size_t *len;
	size_t n;
};

static int split(const char *t, struct lines *l)
{
	size_t cap = 1;
	l->n = 0;
	for (const char *c = t ? t : ""; *c; c++)
		if (*c == '\n')
			cap++;
	if (cap > TEXTDIFF_MAX_LINES)
		return -EFBIG;
	l->p = calloc(cap, sizeof(*l->p));
	l->len = calloc(cap, sizeof(*l->len));
	if (!l->p || !l->len)
		return -ENOMEM;
	for (const char *c = t ? t : ""; *c;) {
		const char *nl = strchr(c, '\n');
		size_t n = nl ? (size_t)(nl - c) : strlen(c);
		l->p[l->n] = c;
		l->len[l->n++] = n;
		c += n + (nl ? 1 : 0);
	}
	return 0;
}

static int same(const struct lines *a, size_t i, const struct lines *b, size_t j)
{
	return a->len[i] == b->len[j] && !memcmp(a->p[i], b->p[j], a->len[i]);
}

/* one edit-script entry: ' ' keep, '-' old only, '+' new only */
struct op {
	char kind;
	size_t a, b;
};

int text_diff(FILE *out, const char *label, const char *old_text, const char *new_text)
{
	struct lines a = { 0 }, b = { 0 };
	unsigned short *lcs = NULL;
	struct op *ops = NULL;
	size_t nops = 0;
	int rc;

	if ((rc = split(old_text, &a)) < 0 || (rc = split(new_text, &b)) < 0)
		goto out;
	/* lcs[i][j]: common lines of a[i..] and b[j..] */
	size_t w = b.n + 1;
	lcs = calloc((a.n + 1) * w, sizeof(*lcs));
	ops = calloc(a.n + b.n + 1, sizeof(*ops));
	if (!lcs || !ops) {
		rc = -ENOMEM;
		goto out;
	}
	for (size_t i = a.n; i-- > 0;)
		for (size_t j = b.n; j-- > 0;)
			lcs[i * w + j] = same(&a, i, &b, j)
				? (unsigned short)(lcs[(i + 1) * w + j + 1] + 1)
				: lcs[(i + 1) * w + j] > lcs[i * w + j + 1] ? lcs[(i + 1) * w + j]
									      : lcs[i * w + j + 1];
	size_t i = 0, j = 0;
	while (i < a.n || j < b.n) {
		if (i < a.n && j < b.n && same(&a, i, &b, j))
			ops[nops++] = (struct op){ ' ', i++, j++ };
		else if (j < b.n && (i == a.n || lcs[i * w + j + 1] >= lcs[(i + 1) * w + j]))
			ops[nops++] = (struct op){ '+', i, j++ };
		else
			ops[nops++] = (struct op){ '-', i++, j };
	}
	rc = 0;
	for (size_t k = 0; k < nops; k++)
		if (ops[k].kind != ' ')
			rc = 1;
	if (!rc)
		goto out;
	fprintf(out, "--- a%s\n+++ b%s\n", label, label);
	for (size_t k = 0; k < nops;) {
		if (ops[k].kind == ' ') {
			k++;
			continue;
		}
		/* a hunk: back up context, extend while changes are close */
		size_t start = k > TEXTDIFF_CONTEXT ? k - TEXTDIFF_CONTEXT : 0, end = k;
		for (size_t e = k; e < nops; e++) {
			if (ops[e].kind != ' ')
				end = e;
			else if (e - end > 2 * TEXTDIFF_CONTEXT)
				break;
		}
		end = end + TEXTDIFF_CONTEXT + 1 < nops ? end + TEXTDIFF_CONTEXT + 1 : nops;
		size_t na = 0, nb = 0;
		for (size_t e = start; e < end; e++) {
			na += ops[e].kind != '+';
			nb += ops[e].kind != '-';
		}
		fprintf(out, "@@ -%zu,%zu +%zu,%zu @@\n", na ? ops[start].a + 1 : ops[start].a, na,
			nb ? ops[start].b + 1 : ops[start].b, nb);
		for (size_t e = start; e < end; e++) {
			const struct lines *l = ops[e].kind == '+' ? &b : &a;
			size_t idx = ops[e].kind == '+' ? ops[e].b : ops[e].a;
			fprintf(out, "%c%.*s\n", ops[e].kind, (int)l->len[idx], l->p[idx]);
		}
		k = end;
	}
out:
	free(a.p);
	free(a.len);
	free(b.p);
	free(b.len);
	free(lcs);
	free(ops);
	return rc;
}
