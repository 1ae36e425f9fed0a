/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * Parse and print sizes, rates and durations. Parsers take the whole string
 * (junk after the unit is an error), accept decimal fractions ("1.5G"),
 * return 0 or -EINVAL (junk, unknown unit, empty, negative) or -ERANGE
 * (overflow of uint64_t).
 */
#ifndef TUNEKIT_UNITS_H
#define TUNEKIT_UNITS_H

#include <stddef.h>
#include <stdint.h>

/* Sizes in bytes: "4096", "4K", "4KiB" (1024) and "4KB" (1000); K M G T P E. */
int units_parse_size(const char *s, uint64_t *bytes);

/*
 * Rates in bits per second: "10gbit", "1.5Gbps", "100mbit", "800kbps" (1000
 * based, bits); "125MB/s", "1GiB/s" (bytes per second, multiplied by 8).
 * A bare number is bits per second.
 */
int units_parse_rate(const char *s, uint64_t *bits_per_sec);

/*
 * Durations in nanoseconds: "50ms", "2s", "1.5s", "250us", "10ns", "5m", "1h".
 * A bare number is taken in default_unit_ns (e.g. 1000000000 for seconds);
 * pass 0 to require a unit.
 */
int units_parse_duration(const char *s, uint64_t default_unit_ns, uint64_t *ns);

/* "64 MiB", "1.5 GiB", "512 B": binary units, at most one decimal. */
char *units_format_size(uint64_t bytes, char *buf, size_t len);
/* "10 Gbit/s", "1.5 Mbit/s". */
char *units_format_rate(uint64_t bits_per_sec, char *buf, size_t len);
/* "80 ms", "1.5 s", "250 us". */
char *units_format_duration(uint64_t ns, char *buf, size_t len);

#endif
