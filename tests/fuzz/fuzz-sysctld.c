/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Fuzz target: the sysctl.d line parser and key normalization, the
 * per-component glob matcher, and the tuned.conf parser. The first byte
 * picks which; the rest is the input.
 */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hoststack.h"
#include "sysctld.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int check_line(const struct sysctld_line *l, void *ctx)
{
	(void)ctx;
	size_t n = strlen(l->key);
	/* normalized: non-empty, no empty component; when the first separator
	 * is a slash, normalizing again is a no-op */
	if (n == 0 || l->key[0] == '/' || l->key[n - 1] == '/' || strstr(l->key, "//"))
		abort();
	if ((strpbrk(l->key, "*?[") != NULL) != l->glob)
		abort();
	if (l->key[strcspn(l->key, "./")] == '/') {
		char *again = malloc(n + 1);
		if (!again || sysctld_normalize(l->key, n, again) != n || strcmp(again, l->key) != 0)
			abort();
		free(again);
	}
	/* a key always matches itself when it holds no pattern characters */
	if (!l->glob && !strchr(l->key, '\\') && !sysctld_glob_match(l->key, l->key))
		abort();
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	const char *in = (const char *)data + 1;
	size_t len = size - 1;

	switch (data[0] % 3) {
	case 0:
		if (sysctld_parse(in, len, check_line, NULL) < 0)
			abort();
		break;
	case 1: {
		/* "pattern\nkey", both normalized, the key bounded like a real one */
		const char *nl = memchr(in, '\n', len);
		size_t plen = nl ? (size_t)(nl - in) : len;
		size_t klen = nl ? len - plen - 1 : 0;
		if (klen > 256 || memchr(in, '\0', len))
			break;
		char *p = malloc(plen + 1), *k = malloc(klen + 1);
		if (!p || !k)
			abort();
		sysctld_normalize(in, plen, p);
		sysctld_normalize(nl ? nl + 1 : "", klen, k);
		int m = sysctld_glob_match(p, k);
		if (!strpbrk(p, "*?[\\") && m != (strcmp(p, k) == 0))
			abort();
		if (strcmp(p, k) == 0 && !strpbrk(p, "*?[\\") && !m)
			abort();
		free(p);
		free(k);
		break;
	}
	default: {
		struct tuned_conf c;
		tuned_conf_parse(in, len, "fuzz", "/etc/tuned/fuzz/tuned.conf", &c);
		for (size_t i = 0; i < c.nsysctl; i++)
			if (!strpbrk(c.sysctl[i].key, "./") || !c.sysctl[i].value)
				abort();
		tuned_conf_free(&c);
		break;
	}
	}
	return 0;
}
