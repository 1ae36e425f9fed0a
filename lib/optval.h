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

/* "prog: invalid OPT argument 'ARG': WHY", the usage hint, exit 2. */
TK_NORETURN void usage_error(const char *opt, const char *arg, const char *why);

#endif
