/* SPDX-License-Identifier: GPL-2.0-or-later */
/* A tiny TAP producer for the C unit tests (one "ok N - name" per check). */
#ifndef TUNEKIT_TAP_H
#define TUNEKIT_TAP_H

#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define TAP_FN static __attribute__((__unused__))
static int tap_n, tap_failed;

static void tap_result(int ok, const char *fmt, va_list ap)
{
	tap_n++;
	if (!ok)
		tap_failed++;
	printf("%sok %d - ", ok ? "" : "not ", tap_n);
	vprintf(fmt, ap);
	putchar('\n');
	fflush(stdout);
}

__attribute__((__format__(__printf__, 2, 3)))
TAP_FN int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	return cond;
}

__attribute__((__format__(__printf__, 3, 4)))
TAP_FN int is_str(const char *got, const char *want, const char *fmt, ...)
{
	int cond = got && want ? strcmp(got, want) == 0 : got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: '%s'\n#  want: '%s'\n", got ? got : "(null)", want ? want : "(null)");
	return cond;
}

__attribute__((__format__(__printf__, 3, 4)))
TAP_FN int is_int(long long got, long long want, const char *fmt, ...)
{
	int cond = got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %lld\n#  want: %lld\n", got, want);
	return cond;
}

__attribute__((__format__(__printf__, 3, 4)))
TAP_FN int is_u64(uint64_t got, uint64_t want, const char *fmt, ...)
{
	int cond = got == want;
	va_list ap;
	va_start(ap, fmt);
	tap_result(cond, fmt, ap);
	va_end(ap);
	if (!cond)
		printf("#   got: %" PRIu64 "\n#  want: %" PRIu64 "\n", got, want);
	return cond;
}

/*
 * A check that cannot run here (a kernel feature, a file that is absent):
 * reported as "ok N # SKIP why", which TAP harnesses count as skipped, not
 * passed. Never use ok(1, ...) for that.
 */
__attribute__((__format__(__printf__, 1, 2)))
TAP_FN void skip(const char *fmt, ...)
{
	va_list ap;
	tap_n++;
	printf("ok %d # SKIP ", tap_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
}

TAP_FN void diag(const char *s)
{
	printf("# %s\n", s);
}

/* Print the plan and return the exit status for main(). */
TAP_FN int done_testing(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
