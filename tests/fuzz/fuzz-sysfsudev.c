/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the udev rule file of the queue settings (a snapshot or a
 * hostile local file can hold anything). What parses names only schema
 * keys (sysfs ATTR lines, ethtool settings of tunekit-nicset RUN lines),
 * and formats back to the same settings; the only program a formatted
 * file runs is tunekit-nicset.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "kvconf.h"
#include "nicval.h"
#include "sysfsval.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct kv_list a = { 0 }, b = { 0 };
	struct kv_error err = { 0, NULL };
	if (sysfs_udev_parse((const char *)data, size, &a, &err) == 0) {
		for (size_t i = 0; i < a.n; i++) {
			struct sysfs_key k;
			struct nic_key nk;
			const char *dev = NULL;
			char norm[16];
			if (nic_key_is(a.v[i].key)) {
				/* an ethtool setting comes back canonical */
				if (nic_key_parse(a.v[i].key, &nk, NULL) < 0 ||
				    nic_value_normalize(a.v[i].key, a.v[i].value, norm, sizeof(norm), NULL) < 0 ||
				    strcmp(norm, a.v[i].value))
					abort();
				dev = nk.dev;
			} else if (sysfs_key_parse(a.v[i].key, &k, NULL) == 0) {
				dev = k.dev;
			}
			if (!dev || strstr(a.v[i].key, "..") || strchr(dev, '/') || strchr(dev, '"') || strchr(dev, ' '))
				abort();
		}
		char *text = sysfs_udev_format(&a);
		/* every RUN of the file is tunekit-nicset's */
		for (const char *r = strstr(text, "RUN+="); r; r = strstr(r + 1, "RUN+="))
			if (r[5] != '"' || strncmp(r + 6, nic_set_program(), strlen(nic_set_program())) ||
			    r[6 + strlen(nic_set_program())] != ' ')
				abort();
		if (sysfs_udev_parse(text, strlen(text), &b, &err) < 0 || b.n != a.n)
			abort();
		for (size_t i = 0; i < a.n; i++) {
			long j = kv_list_find(&b, a.v[i].key);
			if (j < 0 || strcmp(b.v[j].value, a.v[i].value))
				abort();
		}
		free(text);
	} else if (a.n || !err.line || !err.why) {
		abort(); /* refused: nothing added, and the line says why */
	}
	kv_list_free(&a);
	kv_list_free(&b);
	return 0;
}
