/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "fileutil.h"
#include "meminfo.h"
#include "paths.h"

int meminfo_parse(const char *buf, size_t len, const char *field, uint64_t *bytes)
{
	size_t flen = strlen(field);
	const char *p = buf, *end = buf + len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		const char *eol = nl ? nl : end;
		if ((size_t)(eol - p) > flen && !memcmp(p, field, flen) && p[flen] == ':') {
			const char *q = p + flen + 1;
			uint64_t v = 0;
			int digits = 0;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			while (q < eol && isdigit((unsigned char)*q)) {
				unsigned d = (unsigned)(*q - '0');
				if (v > (UINT64_MAX - d) / 10)
					return -ERANGE;
				v = v * 10 + d;
				q++;
				digits++;
			}
			if (!digits)
				return -EINVAL;
			while (q < eol && (*q == ' ' || *q == '\t'))
				q++;
			if (eol - q == 2 && !memcmp(q, "kB", 2)) {
				if (v > UINT64_MAX / 1024)
					return -ERANGE;
				v *= 1024;
			} else if (q != eol) {
				return -EINVAL;
			}
			*bytes = v;
			return 0;
		}
		p = nl ? nl + 1 : end;
	}
	return -ENOENT;
}

int meminfo_total(uint64_t *bytes)
{
	char *path = tk_proc_path("meminfo");
	char *data;
	size_t len;
	int rc = read_file(path, 1U << 20, &data, &len);
	free(path);
	if (rc < 0)
		return rc;
	rc = meminfo_parse(data, len, "MemTotal", bytes);
	free(data);
	return rc;
}
