/* SPDX-License-Identifier: GPL-2.0-or-later */
/* Messages on stderr as "prog: what failed: why". */
#ifndef TUNEKIT_MSG_H
#define TUNEKIT_MSG_H

#include "c.h"

/* Verbosity set by --quiet (-1), default (0) and --verbose (1, 2...). */
extern int msg_verbosity;

/* Remember the program name (basename of argv[0]); call first in main(). */
void msg_init(const char *argv0);
const char *msg_progname(void);

/* True when stderr is a terminal and NO_COLOR is unset or empty. */
int msg_use_color(void);

/* "prog: text" (warnx style); *_errno appends ": strerror(errnum)". */
void msg_warn(const char *fmt, ...) TK_PRINTF(1, 2);
void msg_warn_errno(int errnum, const char *fmt, ...) TK_PRINTF(2, 3);
/* Only printed when not --quiet. */
void msg_info(const char *fmt, ...) TK_PRINTF(1, 2);
/* Only printed with --verbose. */
void msg_verbose(const char *fmt, ...) TK_PRINTF(1, 2);
/* Print and exit with status. */
TK_NORETURN void msg_die(int status, const char *fmt, ...) TK_PRINTF(2, 3);
TK_NORETURN void msg_die_errno(int status, int errnum, const char *fmt, ...) TK_PRINTF(3, 4);

#endif
