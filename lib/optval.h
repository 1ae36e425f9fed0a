/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Option values, strictly and with ranges, for every tool: a count is
 * digits only (never a byte size: "--flows 1k" is refused), a size takes
 * units (4K, 128MiB), a duration needs a unit unless the option has a
 * default one, a rate takes bit or byte units. The usage error is one line,
 * "prog: invalid OPT argument 'ARG': WHY", the usage hint, exit 2.
 */
#ifndef TUNEKIT_OPTVAL_H
#define TUNEKIT_OPTVAL_H

#include <stdint.h>

#include "c.h"

enum optval_kind {
	OPTVAL_COUNT,    /* decimal digits */
	OPTVAL_SIZE,     /* bytes with an optional unit (units_parse_size) */
	OPTVAL_DURATION, /* nanoseconds; a unit is required (50ms, 2s) */
	OPTVAL_SECONDS,  /* nanoseconds; a bare number is seconds */
	OPTVAL_MILLIS,   /* nanoseconds; a bare number is milliseconds */
	OPTVAL_RATE,     /* bits per second (10gbit, 1.5Gbps, 125MB/s) */
};

/*
 * Parse arg as kind into *out, which must lie in [min, max]. 0, or -EINVAL
 * (not of that kind) / -ERANGE (outside the range, or overflow) with *why
 * (static text, may be NULL) saying which.
 */
int optval_parse(enum optval_kind kind, const char *arg, uint64_t min, uint64_t max, uint64_t *out,
		 const char **why);

/* optval_parse, or usage_error(opt, arg, why) naming the range. */
uint64_t optval_or_die(enum optval_kind kind, const char *opt, const char *arg, uint64_t min, uint64_t max);

/*
 * A decimal number (digits, one optional fraction: 0.5, 12, 99.9; no sign,
 * exponent, blank, inf or nan) in [min, max]: 0, -EINVAL or -ERANGE, *why
 * as optval_parse's.
 */
int optval_parse_real(const char *arg, double min, double max, double *out, const char **why);

/* optval_parse_real, or usage_error(opt, arg, why) naming the range. */
double optval_real_or_die(const char *opt, const char *arg, double min, double max);

/*
 * "prog: invalid OPT argument 'ARG': WHY" for an option ("--count"), or
 * "prog: invalid WHAT 'ARG': WHY" for an operand ("target"); without WHY
 * (NULL) the line ends after 'ARG'. Then the usage hint, exit 2.
 */
TK_NORETURN void usage_error(const char *opt, const char *arg, const char *why);

/* Any other usage error: "prog: TEXT", the usage hint, exit 2. */
TK_NORETURN void usage_errorf(const char *fmt, ...) TK_PRINTF(1, 2);

#endif
