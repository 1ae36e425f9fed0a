/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"
#include "optval.h"
#include "units.h"

static int parse_count(const char *s, uint64_t *out)
{
	uint64_t v = 0;
	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return -EINVAL;
		uint64_t d = (uint64_t)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	*out = v;
	return 0;
}

int optval_parse(enum optval_kind kind, const char *arg, uint64_t min, uint64_t max, uint64_t *out,
		 const char **why)
{
	static const char *const kinds[] = {
		[OPTVAL_COUNT] = "not a whole number",
		[OPTVAL_SIZE] = "not a size (e.g. 4096, 4K, 128MiB)",
		[OPTVAL_DURATION] = "not a duration with a unit (e.g. 200ms, 2s)",
		[OPTVAL_SECONDS] = "not a duration (seconds, or with a unit: 500ms, 2m)",
		[OPTVAL_MILLIS] = "not a duration (milliseconds, or with a unit: 500ms, 2s)",
		[OPTVAL_RATE] = "not a rate (e.g. 10gbit, 1.5Gbps, 125MB/s)",
	};
	uint64_t v = 0;
	int rc;
	switch (kind) {
	case OPTVAL_COUNT:
		rc = parse_count(arg, &v);
		break;
	case OPTVAL_SIZE:
		rc = units_parse_size(arg, &v);
		break;
	case OPTVAL_DURATION:
		rc = units_parse_duration(arg, 0, &v);
		break;
	case OPTVAL_SECONDS:
		rc = units_parse_duration(arg, 1000000000ULL, &v);
		break;
	case OPTVAL_MILLIS:
		rc = units_parse_duration(arg, 1000000ULL, &v);
		break;
	case OPTVAL_RATE:
		rc = units_parse_rate(arg, &v);
		break;
	default:
		rc = -EINVAL;
	}
	if (rc == 0 && (v < min || v > max))
		rc = -ERANGE;
	if (why)
		*why = rc == -ERANGE ? "out of range" : rc ? kinds[kind] : NULL;
	if (rc == 0)
		*out = v;
	return rc < 0 ? rc : 0;
}

uint64_t optval_or_die(enum optval_kind kind, const char *opt, const char *arg, uint64_t min, uint64_t max)
{
	const char *why;
	uint64_t v;
	int rc = optval_parse(kind, arg, min, max, &v, &why);
	if (rc == -ERANGE) {
		char range[96];
		bool duration = kind == OPTVAL_DURATION || kind == OPTVAL_SECONDS || kind == OPTVAL_MILLIS;
		if (duration && min == 1)
			snprintf(range, sizeof(range), "out of range (more than 0 s, at most %g s)", (double)max / 1e9);
		else if (duration)
			snprintf(range, sizeof(range), "out of range (%g s to %g s)", (double)min / 1e9, (double)max / 1e9);
		else
			snprintf(range, sizeof(range), "out of range (%" PRIu64 " to %" PRIu64 "%s)", min, max,
				 kind == OPTVAL_SIZE ? " bytes" : kind == OPTVAL_RATE ? " bit/s" : "");
		usage_error(opt, arg, range);
	}
	if (rc)
		usage_error(opt, arg, why);
	return v;
}

int optval_parse_real(const char *arg, double min, double max, double *out, const char **why)
{
	/* digits with at most one '.', and a digit somewhere: what strtod
	 * takes beyond that (signs, blanks, hex, exponents, inf, nan) is not
	 * a value anyone types for a percentage or a threshold */
	size_t digits = 0, dots = 0;
	const char *s;
	for (s = arg; *s; s++) {
		if (*s >= '0' && *s <= '9')
			digits++;
		else if (*s == '.')
			dots++;
		else
			break;
	}
	int rc = 0;
	double v = 0;
	if (*s || !digits || dots > 1) {
		rc = -EINVAL;
	} else {
		errno = 0;
		v = strtod(arg, NULL);
		if (errno || !isfinite(v) || v < min || v > max)
			rc = -ERANGE;
	}
	if (why)
		*why = rc == -ERANGE ? "out of range" : rc ? "not a number (e.g. 5, 0.5)" : NULL;
	if (rc == 0)
		*out = v;
	return rc;
}

double optval_real_or_die(const char *opt, const char *arg, double min, double max)
{
	const char *why;
	double v;
	int rc = optval_parse_real(arg, min, max, &v, &why);
	if (rc == -ERANGE) {
		char range[96];
		snprintf(range, sizeof(range), "out of range (%g to %g)", min, max);
		usage_error(opt, arg, range);
	}
	if (rc)
		usage_error(opt, arg, why);
	return v;
}

void usage_error(const char *opt, const char *arg, const char *why)
{
	const char *arg_word = opt[0] == '-' ? " argument" : "";
	if (why)
		msg_warn("invalid %s%s '%s': %s", opt, arg_word, arg, why);
	else
		msg_warn("invalid %s%s '%s'", opt, arg_word, arg);
	usage_hint();
}

void usage_errorf(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	fprintf(stderr, "%s: ", msg_progname());
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
	va_end(ap);
	usage_hint();
}
