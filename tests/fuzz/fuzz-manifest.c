/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the checksum manifest line parser (ioring-batch -c). */
#include "config.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* first byte picks the algorithm, stdin-ness and the reversed state */
	struct manifest_parser p;
	uint8_t sel = size ? data[0] : 0;
	struct manifest_entry e;
	const uint8_t *d = size ? data + 1 : data;
	size_t left = size ? size - 1 : 0;

	if (sel & 1)
		manifest_init(&p, "BLAKE2b", 128, true);
	else
		manifest_init(&p, "SHA256", 64, false);
	/* every line through one parser, as a manifest is read */
	while (left > 0) {
		const uint8_t *nl = memchr(d, '\n', left);
		size_t len = nl ? (size_t)(nl - d) + 1 : left;
		char *line = malloc(len + 1);
		if (!line)
			abort();
		memcpy(line, d, len);
		line[len] = '\0';
		int rc = manifest_parse(&p, line, len, sel & 2, &e);
		if (rc == 1) {
			if (e.name < line || e.name + e.name_len > line + len + 1 ||
			    e.name[e.name_len] != '\0' || memchr(e.name, '\0', e.name_len))
				abort();
			if (e.hex < line || e.hex + e.hex_len > line + len || e.hex_len == 0 ||
			    e.hex_len > p.hex_len || e.hex_len % 2)
				abort();
		} else if (rc != 0 && rc != -EINVAL) {
			abort();
		}
		free(line);
		d += len;
		left -= len;
	}
	return 0;
}
