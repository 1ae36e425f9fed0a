/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <string.h>

#include "sumline.h"

bool sumline_needs_escape(const char *name, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (name[i] == '\\' || name[i] == '\n' || name[i] == '\r')
			return true;
	return false;
}

size_t sumline_max(size_t hexlen, size_t namelen)
{
	/* '\' + hex + two spaces + every name byte doubled + terminator + NUL */
	return 1 + hexlen + 2 + 2 * namelen + 1 + 1;
}

long sumline_format(char *out, size_t cap, const char *hex, const char *name,
		    size_t len, bool zero)
{
	size_t hexlen = strlen(hex);
	bool esc = !zero && sumline_needs_escape(name, len);
	size_t need = (esc ? 1 : 0) + hexlen + 2 + len + 1 + 1;
	size_t o = 0;

	if (esc)
		for (size_t i = 0; i < len; i++)
			if (name[i] == '\\' || name[i] == '\n' || name[i] == '\r')
				need++;
	if (need > cap)
		return -ENOSPC;
	if (esc)
		out[o++] = '\\';
	memcpy(out + o, hex, hexlen);
	o += hexlen;
	out[o++] = ' ';
	out[o++] = ' ';
	if (!esc) {
		memcpy(out + o, name, len);
		o += len;
	} else {
		for (size_t i = 0; i < len; i++) {
			switch (name[i]) {
			case '\\': out[o++] = '\\'; out[o++] = '\\'; break;
			case '\n': out[o++] = '\\'; out[o++] = 'n'; break;
			case '\r': out[o++] = '\\'; out[o++] = 'r'; break;
			default: out[o++] = name[i]; break;
			}
		}
	}
	out[o++] = zero ? '\0' : '\n';
	out[o] = '\0';
	return (long)o;
}

int sumline_print(FILE *f, const char *hex, const char *name, size_t len, bool zero)
{
	char small[512];
	size_t cap = sumline_max(strlen(hex), len);
	char *line = cap <= sizeof(small) ? small : NULL;
	long n;

	if (!line) {
		/* long names are rare: format piecewise instead of allocating */
		bool esc = !zero && sumline_needs_escape(name, len);
		if (esc)
			fputc('\\', f);
		fputs(hex, f);
		fputs("  ", f);
		for (size_t i = 0; i < len; i++) {
			char c = name[i];
			if (esc && (c == '\\' || c == '\n' || c == '\r')) {
				fputc('\\', f);
				c = c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
			}
			fputc(c, f);
		}
		fputc(zero ? '\0' : '\n', f);
		return ferror(f) ? -(errno ? errno : EIO) : 0;
	}
	n = sumline_format(line, cap, hex, name, len, zero);
	if (n < 0)
		return (int)n;
	if (fwrite(line, 1, (size_t)n, f) != (size_t)n)
		return -(errno ? errno : EIO);
	return 0;
}

int sumline_print_name(FILE *f, const char *name, size_t len, bool escape)
{
	if (!escape) {
		if (fwrite(name, 1, len, f) != len)
			return -(errno ? errno : EIO);
		return 0;
	}
	for (size_t i = 0; i < len; i++) {
		char c = name[i];
		if (c == '\\' || c == '\n' || c == '\r') {
			fputc('\\', f);
			c = c == '\n' ? 'n' : c == '\r' ? 'r' : '\\';
		}
		fputc(c, f);
	}
	return ferror(f) ? -(errno ? errno : EIO) : 0;
}
