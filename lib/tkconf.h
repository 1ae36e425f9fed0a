/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * tunekit's own KEY = VALUE configuration: profiles (/usr/share/tunekit/
 * profiles/NAME.conf) and local overrides (/etc/tunekit/tunekit.conf).
 * Same line grammar as sysctl.d (kvconf.h); every key is checked against a
 * schema and every value against its type, so files are parsed, never run.
 */
#ifndef TUNEKIT_TKCONF_H
#define TUNEKIT_TKCONF_H

#include "kvconf.h"

enum tkconf_kind {
	TKCONF_PROFILE = 1, /* keys allowed in a profile */
	TKCONF_LOCAL = 2,   /* keys allowed in tunekit.conf */
};

/* The profiles shipped with tunekit, NULL-ended. */
extern const char *const tkconf_profiles[];

/* 1 if name is one of tkconf_profiles. */
int tkconf_profile_valid(const char *name);

/*
 * Check one key/value against the schema for kind. Keys "sysctl.KEY" (in
 * profiles) carry extra sysctl settings; KEY must be a valid sysctl key.
 * Returns 0 or -EINVAL with *why set.
 */
int tkconf_check(enum tkconf_kind kind, const char *key, const char *value, const char **why);

/*
 * Parse buf as a file of kind: kvconf grammar, then tkconf_check on every
 * entry. Entries are appended to list (later keys win). 0 or -EINVAL with
 * err filled (line and reason).
 */
int tkconf_parse(enum tkconf_kind kind, const char *buf, size_t len, struct kv_list *list,
		 struct kv_error *err);

#endif
