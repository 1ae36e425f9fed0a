/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Small macros every tunekit source shares. */
#ifndef TUNEKIT_C_H
#define TUNEKIT_C_H

#include <stddef.h>
#include <stdio.h>

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#endif

#define TK_NORETURN __attribute__((__noreturn__))
#define TK_PRINTF(f, a) __attribute__((__format__(__printf__, f, a)))
#define TK_UNUSED __attribute__((__unused__))

/* Exit statuses shared by every tool (see tunekit(7)). */
enum {
	TK_EXIT_OK = 0,
	TK_EXIT_FAILURE = 1, /* runtime failure: I/O, permission, peer down */
	TK_EXIT_USAGE = 2,   /* usage error or invalid input */
	TK_EXIT_DRIFT = 3,   /* a check found drift or a problem */
};

/* Print "PROG from tunekit X.Y.Z" to stdout and exit 0. */
TK_NORETURN void print_version(void);

/* The one line every tool prints after a bad option, then exit 2. */
TK_NORETURN void usage_hint(void);

#endif
