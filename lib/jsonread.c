/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"
#include "xalloc.h"

struct parser {
	const char *s;
	size_t len, pos;
	struct jv_error *err;
};

static int fail(struct parser *p, const char *why)
{
	p->err->offset = p->pos;
	p->err->why = why;
	return -EINVAL;
}

static void skip_ws(struct parser *p)
{
	while (p->pos < p->len) {
		char c = p->s[p->pos];
		if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
			break;
		p->pos++;
	}
}

static int literal(struct parser *p, const char *word)
{
	size_t n = strlen(word);
	if (p->len - p->pos < n || memcmp(p->s + p->pos, word, n) != 0)
		return fail(p, "invalid literal");
	p->pos += n;
	return 0;
}

static int hex4(struct parser *p, unsigned *out)
{
	unsigned v = 0;
	if (p->len - p->pos < 4)
		return fail(p, "short \\u escape");
	for (int i = 0; i < 4; i++) {
		char c = p->s[p->pos++];
		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			v |= (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			v |= (unsigned)(c - 'A' + 10);
		else
			return fail(p, "bad hex digit in \\u escape");
	}
	*out = v;
	return 0;
}

static size_t put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * p->pos is at the opening quote. The buffer is sized to this string's
 * source (up to its closing quote, or the control character or end of input
 * that makes it invalid), which its decoded form never exceeds.
 */
static int parse_string(struct parser *p, char **out)
{
	p->pos++;
	size_t end = p->pos;
	while (end < p->len && p->s[end] != '"' && (unsigned char)p->s[end] >= 0x20)
		end += p->s[end] == '\\' ? 2 : 1;
	if (end > p->len)
		end = p->len;
	char *buf = xmalloc(end - p->pos + 1);
	size_t o = 0;
	while (p->pos < p->len) {
		unsigned char c = (unsigned char)p->s[p->pos];
		if (c == '"') {
			p->pos++;
			buf[o] = '\0';
			*out = buf;
			return 0;
		}
		if (c < 0x20) {
			free(buf);
			return fail(p, "control character in string");
		}
		if (c != '\\') {
			buf[o++] = (char)c;
			p->pos++;
			continue;
		}
		if (++p->pos >= p->len)
			break;
		char e = p->s[p->pos++];
		unsigned cp;
		switch (e) {
		case '"': buf[o++] = '"'; break;
		case '\\': buf[o++] = '\\'; break;
		case '/': buf[o++] = '/'; break;
		case 'b': buf[o++] = '\b'; break;
		case 'f': buf[o++] = '\f'; break;
		case 'n': buf[o++] = '\n'; break;
		case 'r': buf[o++] = '\r'; break;
		case 't': buf[o++] = '\t'; break;
		case 'u':
			if (hex4(p, &cp)) {
				free(buf);
				return -EINVAL;
			}
			if (cp >= 0xd800 && cp <= 0xdbff) {
				unsigned lo;
				if (p->len - p->pos < 6 || p->s[p->pos] != '\\' || p->s[p->pos + 1] != 'u') {
					cp = 0xfffd;
				} else {
					p->pos += 2;
					if (hex4(p, &lo)) {
						free(buf);
						return -EINVAL;
					}
					cp = lo >= 0xdc00 && lo <= 0xdfff
						     ? 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00)
						     : 0xfffd;
				}
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			if (cp == 0)
				cp = 0xfffd; /* keep strings NUL-free */
			/* 6 or 12 source bytes always cover up to 4 output bytes */
			o += put_utf8(buf + o, cp);
			break;
		default:
			free(buf);
			return fail(p, "invalid escape in string");
		}
	}
	free(buf);
	return fail(p, "unterminated string");
}

static int parse_number(struct parser *p, double *out)
{
	size_t start = p->pos;
	if (p->s[p->pos] == '-')
		p->pos++;
	if (p->pos >= p->len)
		return fail(p, "truncated number");
	if (p->s[p->pos] == '0') {
		p->pos++;
	} else if (p->s[p->pos] >= '1' && p->s[p->pos] <= '9') {
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
	} else {
		return fail(p, "invalid number");
	}
	if (p->pos < p->len && p->s[p->pos] == '.') {
		p->pos++;
		size_t d = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == d)
			return fail(p, "digits expected after '.'");
	}
	if (p->pos < p->len && (p->s[p->pos] == 'e' || p->s[p->pos] == 'E')) {
		p->pos++;
		if (p->pos < p->len && (p->s[p->pos] == '+' || p->s[p->pos] == '-'))
			p->pos++;
		size_t d = p->pos;
		while (p->pos < p->len && p->s[p->pos] >= '0' && p->s[p->pos] <= '9')
			p->pos++;
		if (p->pos == d)
			return fail(p, "digits expected in exponent");
	}
	size_t n = p->pos - start;
	if (n > 64)
		return fail(p, "number too long");
	char tmp[72];
	memcpy(tmp, p->s + start, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	if (!isfinite(*out))
		return fail(p, "number out of range");
	return 0;
}

static int parse_value(struct parser *p, struct jv *v, int depth);

static int push(struct parser *p, struct jv *v, size_t *cap, char *key, struct jv *item)
{
	if (v->n == UINT32_MAX)
		return fail(p, "too many members");
	if (v->n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		v->items = xreallocarray(v->items, *cap, sizeof(*v->items));
		if (v->type == JV_OBJECT)
			v->keys = xreallocarray(v->keys, *cap, sizeof(*v->keys));
	}
	if (v->type == JV_OBJECT)
		v->keys[v->n] = key;
	v->items[v->n++] = *item;
	return 0;
}

/* Give back the unused part of a closed container's arrays. */
static void trim(struct jv *v, size_t cap)
{
	if (v->n == cap)
		return;
	v->items = xreallocarray(v->items, v->n, sizeof(*v->items));
	if (v->type == JV_OBJECT)
		v->keys = xreallocarray(v->keys, v->n, sizeof(*v->keys));
}

static int parse_container(struct parser *p, struct jv *v, int depth)
{
	char close = v->type == JV_ARRAY ? ']' : '}';
	size_t cap = 0;
	p->pos++;
	skip_ws(p);
	if (p->pos < p->len && p->s[p->pos] == close) {
		p->pos++;
		return 0;
	}
	for (;;) {
		char *key = NULL;
		struct jv item;
		skip_ws(p);
		if (v->type == JV_OBJECT) {
			if (p->pos >= p->len || p->s[p->pos] != '"')
				return fail(p, "object key expected");
			if (parse_string(p, &key))
				return -EINVAL;
			skip_ws(p);
			if (p->pos >= p->len || p->s[p->pos] != ':') {
				free(key);
				return fail(p, "':' expected");
			}
			p->pos++;
		}
		if (parse_value(p, &item, depth + 1)) {
			jv_free(&item);
			free(key);
			return -EINVAL;
		}
		if (push(p, v, &cap, key, &item)) {
			jv_free(&item);
			free(key);
			return -EINVAL;
		}
		skip_ws(p);
		if (p->pos >= p->len)
			return fail(p, "unterminated array or object");
		if (p->s[p->pos] == ',') {
			p->pos++;
			continue;
		}
		if (p->s[p->pos] == close) {
			p->pos++;
			trim(v, cap);
			return 0;
		}
		return fail(p, "',' or closing bracket expected");
	}
}

static int parse_value(struct parser *p, struct jv *v, int depth)
{
	memset(v, 0, sizeof(*v));
	if (depth > JV_MAX_DEPTH)
		return fail(p, "nesting too deep");
	skip_ws(p);
	if (p->pos >= p->len)
		return fail(p, "value expected");
	switch (p->s[p->pos]) {
	case '{':
		v->type = JV_OBJECT;
		return parse_container(p, v, depth);
	case '[':
		v->type = JV_ARRAY;
		return parse_container(p, v, depth);
	case '"':
		v->type = JV_STRING;
		return parse_string(p, &v->string);
	case 't':
		v->type = JV_BOOL;
		v->boolean = 1;
		return literal(p, "true");
	case 'f':
		v->type = JV_BOOL;
		return literal(p, "false");
	case 'n':
		v->type = JV_NULL;
		return literal(p, "null");
	default:
		v->type = JV_NUMBER;
		return parse_number(p, &v->number);
	}
}

int jv_parse(const char *text, size_t len, struct jv *out, struct jv_error *err)
{
	struct parser p = { text, len, 0, err };
	int rc = parse_value(&p, out, 0);
	if (!rc) {
		skip_ws(&p);
		if (p.pos != p.len)
			rc = fail(&p, "trailing data after the value");
	}
	if (rc)
		jv_free(out);
	return rc;
}

void jv_free(struct jv *v)
{
	if (!v)
		return;
	if (v->type == JV_STRING)
		free(v->string);
	for (size_t i = 0; i < v->n; i++) {
		jv_free(&v->items[i]);
		if (v->keys)
			free(v->keys[i]);
	}
	free(v->items);
	free(v->keys);
	memset(v, 0, sizeof(*v));
}

const struct jv *jv_get(const struct jv *obj, const char *key)
{
	if (!obj || obj->type != JV_OBJECT)
		return NULL;
	for (size_t i = 0; i < obj->n; i++)
		if (strcmp(obj->keys[i], key) == 0)
			return &obj->items[i];
	return NULL;
}

const char *jv_get_string(const struct jv *obj, const char *key)
{
	const struct jv *v = jv_get(obj, key);
	return v && v->type == JV_STRING ? v->string : NULL;
}

int jv_get_number(const struct jv *obj, const char *key, double *out)
{
	const struct jv *v = jv_get(obj, key);
	if (!v || v->type != JV_NUMBER)
		return -ENOENT;
	*out = v->number;
	return 0;
}
