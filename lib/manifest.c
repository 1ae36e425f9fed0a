/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

#define ISWHITE(c) ((c) == ' ' || (c) == '\t')

void manifest_init(struct manifest_parser *p, const char *tag, unsigned hex_len, bool var_len)
{
	p->tag = tag;
	p->hex_len = hex_len;
	p->var_len = var_len;
	p->reversed = -1;
}

/* Undo sha256sum's escaping in place; NULL when invalid (as filename_unescape). */
static char *unescape(char *s, size_t len, size_t *out_len)
{
	char *dst = s;
	for (size_t i = 0; i < len; i++) {
		switch (s[i]) {
		case '\\':
			if (i == len - 1)
				return NULL;
			switch (s[++i]) {
			case 'n': *dst++ = '\n'; break;
			case 'r': *dst++ = '\r'; break;
			case '\\': *dst++ = '\\'; break;
			default: return NULL;
			}
			break;
		case '\0':
			return NULL;
		default:
			*dst++ = s[i];
			break;
		}
	}
	*out_len = (size_t)(dst - s);
	if (dst < s + len)
		*dst = '\0';
	return s;
}

/* Exactly n hex digits, then the end of the string. */
static bool hex_digits(const char *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (!isxdigit((unsigned char)s[i]))
			return false;
	return s[n] == '\0';
}

/* "NAME) = HEX" after "TAG (". */
static bool bsd_split(char *s, size_t len, bool escaped, struct manifest_entry *e)
{
	size_t i;
	if (len == 0)
		return false;
	i = len - 1;
	while (i && s[i] != ')')
		i--;
	if (s[i] != ')')
		return false;
	e->name = s;
	if (escaped) {
		if (!unescape(s, i, &e->name_len))
			return false;
	}
	s[i++] = '\0';
	if (!escaped)
		e->name_len = strlen(s);
	while (ISWHITE(s[i]))
		i++;
	if (s[i] != '=')
		return false;
	i++;
	while (ISWHITE(s[i]))
		i++;
	e->hex = s + i;
	return true;
}

int manifest_parse(struct manifest_parser *p, char *line, size_t len, bool is_stdin,
		   struct manifest_entry *e)
{
	size_t i = 0, taglen = strlen(p->tag);
	unsigned hex_len = p->hex_len;
	bool escaped = false;
	char *s = line;

	if (len == 0 || s[0] == '#')
		return 0;
	len -= s[len - 1] == '\n';
	if (len > 0)
		len -= s[len - 1] == '\r';
	if (len == 0)
		return 0;
	s[len] = '\0';

	while (ISWHITE(s[i]))
		i++;
	if (s[i] == '\\') {
		i++;
		escaped = true;
	}
	if (strncmp(s + i, p->tag, taglen) == 0) {
		i += taglen;
		if (p->var_len) {
			/* as b2sum: one byte after the tag is skipped unless '(';
			 * "BLAKE2b-256 (" names the length in bits */
			bool length_given = s[i] == '-', paren = s[i] == '(';
			if (s[i] == '\0')
				return -EINVAL;
			if (!paren)
				i++;
			if (length_given) {
				char *end;
				unsigned long long bits;
				size_t j = i;
				while (isspace((unsigned char)s[j]))
					j++;
				if (s[j] == '-' || !s[j])
					return -EINVAL;
				errno = 0;
				bits = strtoull(s + i, &end, 0);
				if (errno || end == s + i || bits == 0 || bits > p->hex_len * 4ULL || bits % 8)
					return -EINVAL;
				hex_len = (unsigned)(bits / 4);
				i = (size_t)(end - s);
			}
		}
		if (s[i] == ' ')
			i++;
		if (s[i] != '(')
			return -EINVAL;
		i++;
		if (!bsd_split(s + i, len - i, escaped, e))
			return -EINVAL;
	} else {
		if (len - i < (p->var_len ? 0 : hex_len) + 2 + (s[i] == '\\'))
			return -EINVAL;
		e->hex = s + i;
		if (p->var_len) {
			unsigned n = 0;
			while (isxdigit((unsigned char)s[i + n]))
				n++;
			if (n < 2 || n % 2 || n > p->hex_len)
				return -EINVAL;
			hex_len = n;
		}
		i += hex_len;
		if (!ISWHITE(s[i]))
			return -EINVAL;
		s[i++] = '\0';
		if (!hex_digits(e->hex, hex_len))
			return -EINVAL;
		if (len - i == 1 || (s[i] != ' ' && s[i] != '*')) {
			if (p->reversed == 0)
				return -EINVAL;
			p->reversed = 1;
		} else if (p->reversed != 1) {
			p->reversed = 0;
			i++;
		}
		e->name = s + i;
		if (escaped) {
			if (!unescape(s + i, len - i, &e->name_len))
				return -EINVAL;
		} else {
			e->name_len = strlen(e->name);
		}
	}
	if (!hex_digits(e->hex, hex_len))
		return -EINVAL;
	if (is_stdin && strcmp(e->name, "-") == 0)
		return -EINVAL;
	e->hex_len = hex_len;
	return 1;
}

bool manifest_hex_equal(const char *listed, const char *computed, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (tolower((unsigned char)listed[i]) != computed[i])
			return false;
	return true;
}
