/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Fuzz target: the resolv.conf parser, ownership, rewrite and the
 * NetworkManager key-file reader (lib/resolvconf.c). */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "resolvconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int has_blank_or_nul(const char *w)
{
	return !*w || strpbrk(w, " \t\r\v\f\n") != NULL;
}

/* The rewrite, the owner, the link name and the NetworkManager readers. */
static void fuzz_more(const char *buf, size_t size)
{
	static const char *const addrs[] = { "192.0.2.1", "2001:db8::1" };
	unsigned bad = 0;
	char *once = resolvconf_rewrite(buf, size, addrs, 2, &bad);
	if (!once) {
		if (!bad || !memchr(buf, '\0', size))
			abort(); /* only a NUL byte stops a rewrite, and its line is named */
	} else {
		/* no NUL byte out; the same servers again change nothing */
		size_t ol = strlen(once);
		char *twice = resolvconf_rewrite(once, ol, addrs, 2, &bad);
		if (!twice || strcmp(once, twice) || (ol && once[ol - 1] != '\n'))
			abort();
		free(twice);
		free(once);
	}

	struct resolvconf_seen seen = { .exists = 1, .data = buf, .len = size };
	char link[256];
	enum resolvconf_owner o = resolvconf_owner_of(&seen, link, sizeof(link), NULL);
	if (link[0] || (o != RESOLVCONF_OWNER_PLAIN && o != RESOLVCONF_OWNER_NETWORKMANAGER &&
			o != RESOLVCONF_OWNER_RESOLVCONF && o != RESOLVCONF_OWNER_RESOLVED_FILE))
		abort(); /* a file's content never makes it a link */

	/* the bytes as a link target: an absolute name without . or .. parts */
	char *target = strndup(buf, size), *abs = malloc(size + 16);
	if (!target || !abs)
		abort();
	resolvconf_link_normalize(target, abs, size + 16);
	if ((abs[0] && abs[0] != '/') || strstr(abs, "//") || strstr(abs, "/./") || strstr(abs, "/../"))
		abort();
	size_t al = strlen(abs);
	if ((al >= 2 && !strcmp(abs + al - 2, "/.")) || (al >= 3 && !strcmp(abs + al - 3, "/..")))
		abort();
	seen = (struct resolvconf_seen){ .exists = 1, .link = target };
	resolvconf_owner_of(&seen, link, sizeof(link), NULL);
	free(abs);
	free(target);

	char **w;
	size_t n = resolvconf_nm_servers(buf, size, &w);
	for (size_t i = 0; i < n; i++) {
		size_t wl = strlen(w[i]);
		if (!wl || strpbrk(w[i], ",;\n") || w[i][0] == ' ' || w[i][wl - 1] == ' ')
			abort();
		free(w[i]);
	}
	free(w);
	long pid = resolvconf_pid_parse(buf, size);
	if (pid == 0 || (pid > 0 && !memchr(buf, '0' + (int)(pid % 10), size)))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct resolvconf rc;
	const char *buf = (const char *)data;
	size_t bad = resolvconf_parse(buf, size, &rc), nul_lines = 0, counted = 0, next = 0;

	/* the lines tile the buffer in order, one '\n' between them */
	for (size_t i = 0; i < rc.nlines; i++) {
		const struct resolvconf_line *l = &rc.lines[i];
		if (l->off != next || l->lineno != i + 1 || l->off + l->len > size ||
		    memchr(buf + l->off, '\n', l->len))
			abort();
		next = l->off + l->len + (l->off + l->len < size);
		if (memchr(buf + l->off, '\0', l->len)) {
			nul_lines++;
			if (!l->why)
				abort(); /* a NUL byte is never taken as part of a setting */
		}
		counted += l->why != NULL;
	}
	if (next != size || counted != bad || bad != rc.nmalformed || bad < nul_lines)
		abort();
	/* words are whole: no blank, no NUL, never empty; never more than the lines */
	if (rc.nnameservers > rc.nlines)
		abort();
	for (size_t i = 0; i < rc.nnameservers; i++)
		if (has_blank_or_nul(rc.nameservers[i]))
			abort();
	for (size_t i = 0; i < rc.nsearch; i++)
		if (has_blank_or_nul(rc.search[i]))
			abort();
	for (size_t i = 0; i < rc.noptions; i++)
		if (has_blank_or_nul(rc.options[i]))
			abort();
	/* the drop-in from what was parsed: its servers read back, in order */
	static const char *const addrs[] = { "192.0.2.1", "2001:db8::1" };
	char *dropin = resolvconf_nm_dropin(addrs, 2, &rc, NULL), **w;
	size_t n = resolvconf_nm_servers(dropin, strlen(dropin), &w);
	if (n != 2 || strcmp(w[0], addrs[0]) || strcmp(w[1], addrs[1]))
		abort();
	free(w[0]);
	free(w[1]);
	free(w);
	free(dropin);
	resolvconf_free(&rc);
	fuzz_more(buf, size);
	return 0;
}
