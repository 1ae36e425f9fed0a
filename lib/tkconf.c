/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "c.h"
#include "sysctl.h"
#include "tkconf.h"
#include "units.h"

const char *const tkconf_profiles[] = { "throughput", "latency", "balanced", NULL };

enum vtype { V_PROFILE, V_RATE, V_DURATION, V_COUNT, V_BOOL, V_TEXT, V_HOSTS, V_IFACES, V_MS, V_COUNT0 };

struct field {
	const char *key;
	enum vtype type;
	int kinds;
};

static const struct field schema[] = {
	{ "description", V_TEXT, TKCONF_PROFILE },
	{ "profile", V_PROFILE, TKCONF_LOCAL },
	{ "cc_profile", V_PROFILE, TKCONF_PROFILE | TKCONF_LOCAL },
	{ "rate", V_RATE, TKCONF_PROFILE | TKCONF_LOCAL },
	{ "rtt", V_DURATION, TKCONF_PROFILE | TKCONF_LOCAL },
	{ "flows", V_COUNT, TKCONF_PROFILE | TKCONF_LOCAL },
	{ "queues", V_BOOL, TKCONF_PROFILE | TKCONF_LOCAL },
	{ "qdisc_ifaces", V_IFACES, TKCONF_LOCAL },
	{ "probe_targets", V_HOSTS, TKCONF_LOCAL },
	{ "probe_count", V_COUNT, TKCONF_LOCAL },
	{ "dns_servers", V_HOSTS, TKCONF_LOCAL },
	{ "dns_count", V_COUNT, TKCONF_LOCAL },
	{ "dns_max_ms", V_MS, TKCONF_LOCAL },
	/* snapshot pruning (lib/snapshot.h); 0 turns the rule off */
	{ "keep", V_COUNT0, TKCONF_LOCAL },
	{ "keep_days", V_COUNT0, TKCONF_LOCAL },
};

int tkconf_profile_valid(const char *name)
{
	for (const char *const *p = tkconf_profiles; *p; p++)
		if (!strcmp(*p, name))
			return 1;
	return 0;
}

static int check_count(const char *v)
{
	char *end;
	if (!isdigit((unsigned char)*v))
		return 0;
	unsigned long n = strtoul(v, &end, 10);
	return *end == '\0' && n >= 1 && n <= 1000000;
}

/* HOST[:PORT] or [V6]:PORT tokens separated by blanks: a conservative charset. */
static int check_hosts(const char *v)
{
	int tokens = 0, in = 0;
	for (const char *p = v; *p; p++) {
		unsigned char c = (unsigned char)*p;
		if (c == ' ' || c == '\t' || c == ',') {
			in = 0;
			continue;
		}
		if (!isalnum(c) && !strchr(".-_:[]/", c))
			return 0;
		if (!in)
			tokens++;
		in = 1;
	}
	return tokens > 0;
}

static int check_ifaces(const char *v)
{
	int tokens = 0;
	size_t len = 0;
	for (const char *p = v;; p++) {
		if (*p == ' ' || *p == ',' || *p == '\0') {
			if (len) {
				if (len > 15)
					return 0;
				tokens++;
			}
			len = 0;
			if (!*p)
				break;
			continue;
		}
		if ((unsigned char)*p <= 0x20 || *p == '/' || *p == ':' || (unsigned char)*p >= 0x7f)
			return 0;
		len++;
	}
	return tokens > 0;
}

static int check_value(enum vtype t, const char *v, const char **why)
{
	uint64_t u;
	switch (t) {
	case V_PROFILE:
		*why = "not a profile (throughput, latency, balanced)";
		return tkconf_profile_valid(v);
	case V_RATE:
		*why = "not a rate (e.g. 10gbit, 1.5Gbps, 125MB/s)";
		return units_parse_rate(v, &u) == 0 && u > 0;
	case V_DURATION:
		*why = "not a duration with a unit (e.g. 50ms, 2s)";
		return units_parse_duration(v, 0, &u) == 0 && u > 0;
	case V_MS:
		*why = "not a number of milliseconds (1 to 1000000)";
		return check_count(v);
	case V_COUNT0:
		*why = "not a count (0 to 1000000)";
		return !strcmp(v, "0") || check_count(v);
	case V_COUNT:
		*why = "not a count (1 to 1000000)";
		return check_count(v);
	case V_BOOL:
		*why = "not yes or no";
		return !strcmp(v, "yes") || !strcmp(v, "no");
	case V_TEXT:
		*why = "empty text";
		return *v != '\0';
	case V_HOSTS:
		*why = "not a list of HOST[:PORT]";
		return check_hosts(v);
	case V_IFACES:
		*why = "not a list of interface names";
		return check_ifaces(v);
	}
	return 0;
}

int tkconf_check(enum tkconf_kind kind, const char *key, const char *value, const char **why)
{
	if (!strncmp(key, "sysctl.", 7)) {
		if (kind != TKCONF_PROFILE) {
			*why = "sysctl.* keys belong in profiles; put local sysctls in /etc/sysctl.d";
			return -EINVAL;
		}
		if (sysctl_key_parse(key + 7, NULL, 0, NULL, 0, why) < 0)
			return -EINVAL;
		if (*value == '\0') {
			*why = "empty sysctl value";
			return -EINVAL;
		}
		return 0;
	}
	for (size_t i = 0; i < ARRAY_SIZE(schema); i++) {
		if (strcmp(schema[i].key, key) != 0)
			continue;
		if (!(schema[i].kinds & (int)kind)) {
			*why = kind == TKCONF_PROFILE ? "key not allowed in a profile"
						      : "key not allowed in tunekit.conf";
			return -EINVAL;
		}
		return check_value(schema[i].type, value, why) ? 0 : -EINVAL;
	}
	*why = "unknown key";
	return -EINVAL;
}

int tkconf_parse(enum tkconf_kind kind, const char *buf, size_t len, struct kv_list *list,
		 struct kv_error *err)
{
	struct kv_list tmp = { 0 };
	int rc = kvconf_parse_buffer(buf, len, &tmp, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < tmp.n; i++) {
		const char *why = NULL;
		if (tmp.v[i].ignore_errors) {
			why = "'-' prefix is only for sysctl.d files";
			rc = -EINVAL;
		} else {
			rc = tkconf_check(kind, tmp.v[i].key, tmp.v[i].value, &why);
		}
		if (rc) {
			err->line = tmp.v[i].line;
			err->why = why;
			kv_list_free(&tmp);
			return rc;
		}
	}
	for (size_t i = 0; i < tmp.n; i++)
		kv_list_set(list, tmp.v[i].key, tmp.v[i].value);
	kv_list_free(&tmp);
	return 0;
}
