/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonread.h"

#define JSONREAD_DEPTH_MAX 64

struct cursor {
	const char *p, *end;
	int depth;
	/* lookup: the remaining path, and where the match was found */
	const char *want;      /* next path component, NULL once past the path */
	int found;
	const char *val;       /* start of the matched value */
	const char *val_end;
	enum jsonread_type type;
};

static void skip_ws(struct cursor *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int lit(struct cursor *c, const char *word)
{
	size_t n = strlen(word);
	if ((size_t)(c->end - c->p) < n || memcmp(c->p, word, n))
		return -EINVAL;
	c->p += n;
	return 0;
}

static int hex4(const char *p)
{
	int v = 0;
	for (int i = 0; i < 4; i++) {
		char h = p[i];
		v <<= 4;
		if (h >= '0' && h <= '9')
			v |= h - '0';
		else if (h >= 'a' && h <= 'f')
			v |= h - 'a' + 10;
		else if (h >= 'A' && h <= 'F')
			v |= h - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/* A string starting at c->p ('"'); leaves c->p after the closing quote. */
static int scan_string(struct cursor *c)
{
	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p;
		if (ch == '"') {
			c->p++;
			return 0;
		}
		if (ch < 0x20)
			return -EINVAL;
		if (ch == '\\') {
			if (c->end - c->p < 2)
				return -EINVAL;
			char e = c->p[1];
			if (e == 'u') {
				if (c->end - c->p < 6 || hex4(c->p + 2) < 0)
					return -EINVAL;
				c->p += 6;
				continue;
			}
			if (!strchr("\"\\/bfnrt", e) || !e)
				return -EINVAL;
			c->p += 2;
			continue;
		}
		c->p++;
	}
	return -EINVAL;
}

static int scan_number(struct cursor *c)
{
	const char *p = c->p;
	if (p < c->end && *p == '-')
		p++;
	if (p >= c->end)
		return -EINVAL;
	if (*p == '0') {
		p++;
	} else if (*p >= '1' && *p <= '9') {
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	} else {
		return -EINVAL;
	}
	if (p < c->end && *p == '.') {
		p++;
		if (p >= c->end || *p < '0' || *p > '9')
			return -EINVAL;
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	if (p < c->end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < c->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= c->end || *p < '0' || *p > '9')
			return -EINVAL;
		while (p < c->end && *p >= '0' && *p <= '9')
			p++;
	}
	c->p = p;
	return 0;
}

/* Does the raw key (between quotes, k..kend) equal the path component? */
static int key_matches(const char *k, const char *kend, const char *comp)
{
	size_t clen = strcspn(comp, ".");
	return (size_t)(kend - k) == clen && !memcmp(k, comp, clen);
}

static const char *next_component(const char *comp)
{
	const char *dot = strchr(comp, '.');
	return dot ? dot + 1 : NULL;
}

static int scan_value(struct cursor *c, const char *path);

/* Scan a value; if path is "" (we are at the target), record it. */
static int scan_value(struct cursor *c, const char *path)
{
	int rc;
	skip_ws(c);
	if (c->p >= c->end)
		return -EINVAL;
	const char *start = c->p;
	enum jsonread_type type;

	switch (*c->p) {
	case '{': {
		type = JSONREAD_OBJECT;
		if (++c->depth > JSONREAD_DEPTH_MAX)
			return -EINVAL;
		c->p++;
		skip_ws(c);
		if (c->p < c->end && *c->p == '}') {
			c->p++;
			c->depth--;
			break;
		}
		for (;;) {
			skip_ws(c);
			if (c->p >= c->end || *c->p != '"')
				return -EINVAL;
			const char *k = c->p + 1;
			if ((rc = scan_string(c)))
				return rc;
			const char *kend = c->p - 1;
			skip_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -EINVAL;
			c->p++;
			const char *sub = NULL;
			if (path && *path && key_matches(k, kend, path))
				sub = next_component(path) ? next_component(path) : "";
			if ((rc = scan_value(c, sub)))
				return rc;
			skip_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == '}') {
				c->p++;
				break;
			}
			return -EINVAL;
		}
		c->depth--;
		break;
	}
	case '[': {
		type = JSONREAD_ARRAY;
		if (++c->depth > JSONREAD_DEPTH_MAX)
			return -EINVAL;
		c->p++;
		skip_ws(c);
		if (c->p < c->end && *c->p == ']') {
			c->p++;
			c->depth--;
			break;
		}
		/* an index component: decimal digits only */
		long want = -1;
		if (path && *path) {
			size_t clen = strcspn(path, ".");
			if (clen && clen <= 9 && strspn(path, "0123456789") >= clen)
				want = strtol(path, NULL, 10);
		}
		for (long idx = 0;; idx++) {
			const char *sub = NULL;
			if (idx == want)
				sub = next_component(path) ? next_component(path) : "";
			if ((rc = scan_value(c, sub)))
				return rc;
			skip_ws(c);
			if (c->p < c->end && *c->p == ',') {
				c->p++;
				continue;
			}
			if (c->p < c->end && *c->p == ']') {
				c->p++;
				break;
			}
			return -EINVAL;
		}
		c->depth--;
		break;
	}
	case '"':
		type = JSONREAD_STRING;
		if ((rc = scan_string(c)))
			return rc;
		break;
	case 't':
		type = JSONREAD_TRUE;
		if (lit(c, "true"))
			return -EINVAL;
		break;
	case 'f':
		type = JSONREAD_FALSE;
		if (lit(c, "false"))
			return -EINVAL;
		break;
	case 'n':
		type = JSONREAD_NULL;
		if (lit(c, "null"))
			return -EINVAL;
		break;
	default:
		type = JSONREAD_NUMBER;
		if (scan_number(c))
			return -EINVAL;
		break;
	}
	if (path && !*path && !c->found) {
		c->found = 1;
		c->val = start;
		c->val_end = c->p;
		c->type = type;
	}
	return 0;
}

static int lookup(const char *buf, size_t len, const char *path, struct cursor *c)
{
	memset(c, 0, sizeof(*c));
	c->p = buf;
	c->end = buf + len;
	if (scan_value(c, path))
		return -EINVAL;
	skip_ws(c);
	if (c->p != c->end)
		return -EINVAL;
	return c->found ? 0 : -ENOENT;
}

int jsonread_validate(const char *buf, size_t len)
{
	struct cursor c;
	int rc = lookup(buf, len, NULL, &c);
	return rc == -ENOENT ? 0 : rc;
}

int jsonread_lookup(const char *buf, size_t len, const char *path, enum jsonread_type *type)
{
	struct cursor c;
	int rc = lookup(buf, len, path, &c);
	if (!rc && type)
		*type = c.type;
	return rc;
}

int jsonread_number(const char *buf, size_t len, const char *path, double *value)
{
	struct cursor c;
	char tmp[64];
	int rc = lookup(buf, len, path, &c);
	if (rc)
		return rc;
	if (c.type != JSONREAD_NUMBER)
		return -EDOM;
	size_t n = (size_t)(c.val_end - c.val);
	if (n >= sizeof(tmp))
		return -EDOM;
	memcpy(tmp, c.val, n);
	tmp[n] = '\0';
	*value = strtod(tmp, NULL);
	return 0;
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

int jsonread_string(const char *buf, size_t len, const char *path, char *out, size_t size)
{
	struct cursor c;
	int rc = lookup(buf, len, path, &c);
	if (rc)
		return rc;
	if (c.type != JSONREAD_STRING)
		return -EDOM;
	if (!size)
		return 0;
	/* the value was validated: every escape is complete */
	const char *p = c.val + 1, *end = c.val_end - 1;
	size_t o = 0;
	while (p < end) {
		char enc[4];
		size_t n = 1;
		if (*p != '\\') {
			enc[0] = *p++;
		} else if (p[1] != 'u') {
			static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
			enc[0] = to[strchr(from, p[1]) - from];
			p += 2;
		} else {
			unsigned cp = (unsigned)hex4(p + 2);
			p += 6;
			if (cp >= 0xd800 && cp <= 0xdbff && end - p >= 6 && p[0] == '\\' && p[1] == 'u') {
				int lo = hex4(p + 2);
				if (lo >= 0xdc00 && lo <= 0xdfff) {
					cp = 0x10000 + ((cp - 0xd800) << 10) + ((unsigned)lo - 0xdc00);
					p += 6;
				}
			}
			if (cp >= 0xd800 && cp <= 0xdfff)
				cp = 0xfffd; /* a lone surrogate */
			if (!cp)
				cp = 0xfffd; /* keep the result a C string */
			n = put_utf8(enc, cp);
		}
		if (o + n > size - 1)
			break;
		memcpy(out + o, enc, n);
		o += n;
	}
	out[o] = '\0';
	return 0;
}
