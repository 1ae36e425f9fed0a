/* SPDX-License-Identifier: GPL-2.0-or-later */
#include "config.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "c.h"
#include "msg.h"

int msg_verbosity;
static const char *progname = PACKAGE;

void msg_init(const char *argv0)
{
	if (argv0 && *argv0) {
		const char *slash = strrchr(argv0, '/');
		progname = slash ? slash + 1 : argv0;
	}
}

const char *msg_progname(void)
{
	return progname;
}

int msg_use_color(void)
{
	const char *nc = getenv("NO_COLOR");
	if (nc && *nc)
		return 0;
	return isatty(STDERR_FILENO);
}

enum level { LVL_ERROR, LVL_WARN, LVL_INFO };

static void vmsg(enum level lvl, int errnum, const char *fmt, va_list ap)
{
	static const char *const colors[] = { "\033[1;31m", "\033[1;33m", "" };
	int color = msg_use_color() && colors[lvl][0];

	fflush(stdout);
	if (color)
		fputs(colors[lvl], stderr);
	fprintf(stderr, "%s: ", progname);
	if (color)
		fputs("\033[0m", stderr);
	vfprintf(stderr, fmt, ap);
	if (errnum)
		fprintf(stderr, ": %s", strerror(errnum));
	fputc('\n', stderr);
}

void msg_warn(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(LVL_WARN, 0, fmt, ap);
	va_end(ap);
}

void msg_warn_errno(int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(LVL_WARN, errnum, fmt, ap);
	va_end(ap);
}

void msg_info(const char *fmt, ...)
{
	va_list ap;
	if (msg_verbosity < 0)
		return;
	va_start(ap, fmt);
	vmsg(LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

void msg_verbose(const char *fmt, ...)
{
	va_list ap;
	if (msg_verbosity < 1)
		return;
	va_start(ap, fmt);
	vmsg(LVL_INFO, 0, fmt, ap);
	va_end(ap);
}

void msg_die(int status, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(LVL_ERROR, 0, fmt, ap);
	va_end(ap);
	exit(status);
}

void msg_die_errno(int status, int errnum, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vmsg(LVL_ERROR, errnum, fmt, ap);
	va_end(ap);
	exit(status);
}

void print_version(void)
{
	printf("%s from %s %s\n", progname, PACKAGE_NAME, PACKAGE_VERSION);
	exit(TK_EXIT_OK);
}

void usage_hint(void)
{
	fprintf(stderr, "Try '%s --help' for more information.\n", progname);
	exit(TK_EXIT_USAGE);
}
