/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Probe targets as users write them: "HOST", "HOST:PORT", "[V6ADDR]",
 * "[V6ADDR]:PORT", a bare IPv6 address ("::1"), "http://HOST[:PORT][/PATH]"
 * or "https://HOST[:PORT][/PATH]".
 * And a targets file: one target a line, '#' comments (whole line or after
 * blanks), blank lines. Pure parsing, no resolution.
 */
#ifndef TUNEKIT_PROBETARGET_H
#define TUNEKIT_PROBETARGET_H

#include <stddef.h>

#define PROBE_TARGET_MAX 1024 /* longest target (and targets-file line) accepted */
#define PROBE_HOST_MAX 253

struct probe_target {
	char *spec;    /* the target as written (trimmed) */
	char *host;    /* name or address, without brackets */
	unsigned port; /* 1..65535, 0 when none was given (http: 80, https: 443 by default) */
	int http;      /* an http:// or https:// URL */
	int tls;       /* https:// */
	char *path;    /* http: request target starting with '/', else NULL */
	unsigned line; /* line in the targets file, 0 from the command line */
};

struct probe_target_list {
	struct probe_target *v;
	size_t n, cap;
};

/*
 * Parse one target of len bytes (no surrounding blanks). Returns 0 and fills
 * *t (free with probe_target_free), or -EINVAL with *why (static string).
 */
int probe_target_parse(const char *s, size_t len, struct probe_target *t, const char **why);

/*
 * Parse a targets file held in buf, appending to list. Returns 0, or
 * -EINVAL with *line (1-based) and *why set and list unchanged.
 */
int probe_targets_parse_buffer(const char *buf, size_t len, struct probe_target_list *list,
			       unsigned *line, const char **why);

/* Append a copy of t (caller keeps t). */
void probe_target_list_add(struct probe_target_list *list, const struct probe_target *t);
void probe_target_list_free(struct probe_target_list *list);
void probe_target_free(struct probe_target *t);

#endif
