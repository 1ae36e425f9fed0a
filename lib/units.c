/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "c.h"
#include "units.h"

struct unit {
	const char *name;
	uint64_t mult; /* multiplier of the base (bytes, bits/s or ns) */
};

/*
 * Split "12.345xyz" into the integer part, the fraction (as digits and
 * their count, at most 18 kept) and the unit suffix. Returns -EINVAL when
 * there is no digit or a sign.
 */
static int split_number(const char *s, uint64_t *ipart, uint64_t *frac,
			uint64_t *frac_scale, const char **suffix)
{
	const char *p = s;
	int digits = 0;

	*ipart = 0;
	*frac = 0;
	*frac_scale = 1;
	if (!s)
		return -EINVAL;
	while (isspace((unsigned char)*p))
		p++;
	while (isdigit((unsigned char)*p)) {
		unsigned d = (unsigned)(*p - '0');
		if (*ipart > (UINT64_MAX - d) / 10)
			return -ERANGE;
		*ipart = *ipart * 10 + d;
		p++;
		digits++;
	}
	if (*p == '.') {
		p++;
		while (isdigit((unsigned char)*p)) {
			if (*frac_scale < 1000000000000000000ULL) {
				*frac = *frac * 10 + (uint64_t)(*p - '0');
				*frac_scale *= 10;
			}
			p++;
			digits++;
		}
	}
	if (!digits)
		return -EINVAL;
	while (*p == ' ')
		p++;
	*suffix = p;
	return 0;
}

/* value = (ipart + frac/frac_scale) * mult, exact where it fits. */
static int scale(uint64_t ipart, uint64_t frac, uint64_t frac_scale,
		 uint64_t mult, uint64_t *out)
{
	if (mult && ipart > UINT64_MAX / mult)
		return -ERANGE;
	uint64_t v = ipart * mult;
	if (frac) {
		/* frac * mult may overflow: split mult to keep precision. */
		unsigned __int128 f = (unsigned __int128)frac * mult / frac_scale;
		if (f > UINT64_MAX - v)
			return -ERANGE;
		v += (uint64_t)f;
	}
	*out = v;
	return 0;
}

static int parse_with(const char *s, const struct unit *units, size_t n,
		      int bare_ok, uint64_t bare_mult, uint64_t *out)
{
	uint64_t ipart, frac, fscale;
	const char *suffix;
	int rc = split_number(s, &ipart, &frac, &fscale, &suffix);
	if (rc)
		return rc;
	if (!*suffix) {
		if (!bare_ok)
			return -EINVAL;
		return scale(ipart, frac, fscale, bare_mult, out);
	}
	for (size_t i = 0; i < n; i++)
		if (strcmp(suffix, units[i].name) == 0)
			return scale(ipart, frac, fscale, units[i].mult, out);
	/* second pass: case-insensitive for the unambiguous spellings */
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(suffix, units[i].name) == 0)
			return scale(ipart, frac, fscale, units[i].mult, out);
	return -EINVAL;
}

#define KI 1024ULL
#define K1 1000ULL

static const struct unit size_units[] = {
	{ "B", 1 },
	{ "K", KI }, { "KiB", KI }, { "KB", K1 }, { "k", KI },
	{ "M", KI * KI }, { "MiB", KI * KI }, { "MB", K1 * K1 },
	{ "G", KI * KI * KI }, { "GiB", KI * KI * KI }, { "GB", K1 * K1 * K1 },
	{ "T", KI * KI * KI * KI }, { "TiB", KI * KI * KI * KI }, { "TB", K1 * K1 * K1 * K1 },
	{ "P", KI * KI * KI * KI * KI }, { "PiB", KI * KI * KI * KI * KI },
	{ "PB", K1 * K1 * K1 * K1 * K1 },
	{ "E", KI * KI * KI * KI * KI * KI }, { "EiB", KI * KI * KI * KI * KI * KI },
	{ "EB", K1 * K1 * K1 * K1 * K1 * K1 },
};

int units_parse_size(const char *s, uint64_t *bytes)
{
	uint64_t v;
	/* sizes are case-sensitive where it matters (KB vs KiB); "kb" is 1000. */
	int rc = parse_with(s, size_units, ARRAY_SIZE(size_units), 1, 1, &v);
	if (rc == 0)
		*bytes = v;
	return rc;
}

static const struct unit rate_units[] = {
	{ "bit", 1 }, { "bps", 1 }, { "bit/s", 1 },
	{ "kbit", K1 }, { "kbps", K1 }, { "kbit/s", K1 }, { "Kbit", K1 },
	{ "mbit", K1 * K1 }, { "mbps", K1 * K1 }, { "Mbit/s", K1 * K1 },
	{ "gbit", K1 * K1 * K1 }, { "gbps", K1 * K1 * K1 }, { "Gbit/s", K1 * K1 * K1 },
	{ "tbit", K1 * K1 * K1 * K1 }, { "tbps", K1 * K1 * K1 * K1 },
	{ "Tbit/s", K1 * K1 * K1 * K1 },
	{ "B/s", 8 },
	{ "KB/s", 8 * K1 }, { "MB/s", 8 * K1 * K1 }, { "GB/s", 8 * K1 * K1 * K1 },
	{ "KiB/s", 8 * KI }, { "MiB/s", 8 * KI * KI }, { "GiB/s", 8 * KI * KI * KI },
};

int units_parse_rate(const char *s, uint64_t *bits_per_sec)
{
	uint64_t v;
	int rc = parse_with(s, rate_units, ARRAY_SIZE(rate_units), 1, 1, &v);
	if (rc == 0)
		*bits_per_sec = v;
	return rc;
}

#define NS_US 1000ULL
#define NS_MS 1000000ULL
#define NS_S 1000000000ULL

static const struct unit duration_units[] = {
	{ "ns", 1 }, { "us", NS_US }, { "µs", NS_US }, { "ms", NS_MS },
	{ "s", NS_S }, { "sec", NS_S }, { "m", 60 * NS_S }, { "min", 60 * NS_S },
	{ "h", 3600 * NS_S },
};

int units_parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *ns)
{
	uint64_t v;
	int rc = parse_with(s, duration_units, ARRAY_SIZE(duration_units),
			    default_unit_ns != 0, default_unit_ns, &v);
	if (rc == 0)
		*ns = v;
	return rc;
}

/* Print v / div with one decimal, dropping ".0". */
static char *format_scaled(uint64_t v, uint64_t div, const char *unit, char *buf, size_t len)
{
	uint64_t whole = v / div;
	uint64_t tenth = (uint64_t)(((unsigned __int128)(v % div) * 10 + div / 2) / div);
	if (tenth == 10) {
		whole++;
		tenth = 0;
	}
	if (tenth)
		snprintf(buf, len, "%llu.%llu %s", (unsigned long long)whole,
			 (unsigned long long)tenth, unit);
	else
		snprintf(buf, len, "%llu %s", (unsigned long long)whole, unit);
	return buf;
}

char *units_format_size(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB" };
	uint64_t div = 1;
	size_t i = 0;
	while (i + 1 < ARRAY_SIZE(names) && bytes / div >= 1024) {
		div *= 1024;
		i++;
	}
	return format_scaled(bytes, div, names[i], buf, len);
}

char *units_format_rate(uint64_t bps, char *buf, size_t len)
{
	static const char *const names[] = { "bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s" };
	uint64_t div = 1;
	size_t i = 0;
	while (i + 1 < ARRAY_SIZE(names) && bps / div >= 1000) {
		div *= 1000;
		i++;
	}
	return format_scaled(bps, div, names[i], buf, len);
}

char *units_format_duration(uint64_t ns, char *buf, size_t len)
{
	if (ns >= NS_S)
		return format_scaled(ns, NS_S, "s", buf, len);
	if (ns >= NS_MS)
		return format_scaled(ns, NS_MS, "ms", buf, len);
	if (ns >= NS_US)
		return format_scaled(ns, NS_US, "us", buf, len);
	snprintf(buf, len, "%llu ns", (unsigned long long)ns);
	return buf;
}
